"""Core helpers providers rely on: think splitting, tool-call accumulation, kwargs
translation, images, model specs and catalogs, stream phases."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import pickle
import warnings
from pathlib import Path
from types import MappingProxyType

import pytest

from aimu_core.errors import ConfigurationError
from aimu_core.models import (
    CAPABILITIES,
    AdHocModel,
    Delta,
    Model,
    ModelSpec,
    Phase,
    StreamChunk,
    ThinkSplitter,
    ToolCallAccumulator,
    ToolCallDelta,
)
from aimu_core.models.generate_kwargs import PORTABLE_KWARGS, merge_kwargs, translate_kwargs
from aimu_core.models.images import image_part, split_data_url, user_content
from aimu_core.models.stream import filter_phases, parse_include

# -- ThinkSplitter ---------------------------------------------------------------------------


def split_all(pieces: list[str], *, in_thinking: bool = False) -> tuple[str, str]:
    splitter = ThinkSplitter(in_thinking=in_thinking)
    thinking, answer = "", ""
    for piece in pieces:
        t, a = splitter.feed(piece)
        thinking, answer = thinking + t, answer + a
    t, a = splitter.flush()
    return thinking + t, answer + a


CASES = [
    ("<think>plan it</think>The answer.", ("plan it", "The answer.")),
    ("no tags at all", ("", "no tags at all")),
    ("a < b and c <th d", ("", "a < b and c <th d")),
    ("<think>x < y</thinking> still</think>done", ("x < y</thinking> still", "done")),
    ("pre<think>one</think>mid<think>two</think>post", ("onetwo", "premidpost")),
    ("<think>cut off before the end", ("cut off before the end", "")),
    ("ends with a partial tag <thin", ("", "ends with a partial tag <thin")),
    ("<think>ends inside </thi", ("ends inside </thi", "")),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_think_splitter_whole_and_at_every_split_point(
    text: str, expected: tuple[str, str]
) -> None:
    assert split_all([text]) == expected
    assert split_all(list(text)) == expected  # one character at a time
    for i in range(len(text) + 1):
        assert split_all([text[:i], text[i:]]) == expected, i


def test_think_splitter_holds_back_only_a_possible_tag() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("Hello <") == ("", "Hello ")
    assert splitter.feed("b>") == ("", "<b>")
    assert splitter.feed("<think") == ("", "")
    assert splitter.feed(">why") == ("why", "")
    assert splitter.feed("</think>") == ("", "")
    assert splitter.in_thinking is False


def test_think_splitter_prompt_already_opened_the_tag() -> None:
    assert split_all(["reasoning</think>answer"], in_thinking=True) == ("reasoning", "answer")
    # reasoning cut off by max_tokens is never mistaken for the answer
    assert split_all(["still reasoning"], in_thinking=True) == ("still reasoning", "")


# -- ToolCallAccumulator -----------------------------------------------------------------------


def test_streamed_tool_calls_are_merged_by_index() -> None:
    acc = ToolCallAccumulator()
    assert not acc
    for piece in [
        ToolCallDelta(index=1, id="call_b", name="search", arguments=""),
        ToolCallDelta(index=0, id="call_a", name="get_weather", arguments='{"ci'),
        ToolCallDelta(index=0, arguments='ty": "Paris"}'),
        ToolCallDelta(index=1, arguments='{"q": "x"}'),
    ]:
        acc.add(piece)
    assert acc
    assert acc.result() == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        },
        {
            "id": "call_b",
            "type": "function",
            "function": {"name": "search", "arguments": '{"q": "x"}'},
        },
    ]


def test_names_repeated_in_every_piece_or_streamed_in_fragments() -> None:
    repeated = ToolCallAccumulator()
    for args in ('{"a"', ": 1}"):
        repeated.add(ToolCallDelta(index=0, id="c", name="get_weather", arguments=args))
    assert repeated.result()[0]["function"] == {"name": "get_weather", "arguments": '{"a": 1}'}

    fragments = ToolCallAccumulator()
    for name in ("ad", "d"):  # the second fragment is a suffix of the first
        fragments.add(ToolCallDelta(index=0, name=name))
    assert fragments.result()[0]["function"]["name"] == "add"


def test_dict_arguments_missing_id_and_empty_arguments() -> None:
    acc = ToolCallAccumulator()
    acc.add(ToolCallDelta(index=0, name="lookup", arguments={"city": "Paris", "days": 2}))
    acc.add(ToolCallDelta(index=1, name="now"))
    first, second = acc.result()
    assert json.loads(first["function"]["arguments"]) == {"city": "Paris", "days": 2}
    assert first["id"].startswith("call_") and len(first["id"]) > len("call_")
    assert first["id"] != second["id"]
    assert second["function"]["arguments"] == "{}"


def test_delta_defaults() -> None:
    delta = Delta()
    assert (delta.text, delta.thinking, delta.tool_calls, delta.usage, delta.finish_reason) == (
        "",
        "",
        [],
        None,
        None,
    )
    assert Delta().tool_calls is not delta.tool_calls


# -- generation kwargs -------------------------------------------------------------------------


def test_merge_kwargs_later_tiers_win() -> None:
    assert merge_kwargs({"temperature": 0.7, "top_p": 0.9}, None, {"temperature": 0.1}) == {
        "temperature": 0.1,
        "top_p": 0.9,
    }
    assert merge_kwargs(MappingProxyType({"seed": 1}), {}) == {"seed": 1}


def test_translate_renames_and_passes_native_names() -> None:
    out = translate_kwargs(
        {"temperature": 0.5, "max_tokens": 64, "stop": "\n", "mirostat": 2, "seed": None},
        {"temperature": "temperature", "max_tokens": "num_predict", "stop": "stop"},
        {"mirostat"},
        provider="t-rename",
    )
    assert out == {"temperature": 0.5, "num_predict": 64, "stop": ["\n"], "mirostat": 2}


def test_unsupported_portable_kwarg_is_dropped_with_one_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            assert translate_kwargs({"top_k": 40}, {}, provider="t-once") == {}
    assert [str(w.message) for w in caught] == [
        "Provider 't-once' does not support 'top_k'; it is ignored."
    ]


def test_unknown_kwarg_is_rejected_with_the_valid_names() -> None:
    with pytest.raises(ConfigurationError) as info:
        translate_kwargs(
            {"temprature": 0.5}, {"temperature": "temperature"}, {"mirostat"}, provider="t-unknown"
        )
    message = str(info.value)
    assert "Unknown generation kwarg 'temprature' for provider 't-unknown'" in message
    assert "temperature" in message and "mirostat" in message


@pytest.mark.parametrize(
    "key,value",
    [
        ("temperature", -0.1),
        ("temperature", "hot"),
        ("temperature", True),
        ("top_p", 1.5),
        ("top_k", 2.5),
        ("top_k", -1),
        ("max_tokens", 0),
        ("max_tokens", 10.0),
        ("stop", ["a", 1]),
        ("seed", "42"),
        ("context_length", -5),
        ("presence_penalty", "x"),
    ],
)
def test_invalid_values_are_rejected(key: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=f"{key}=.* is invalid: it must be"):
        translate_kwargs({key: value}, {name: name for name in PORTABLE_KWARGS}, provider="t-bad")


@pytest.mark.parametrize(
    "key,value",
    [
        ("temperature", 0),
        ("temperature", 1.5),
        ("top_p", 1),
        ("top_k", 0),
        ("max_tokens", 1),
        ("stop", ("a", "b")),
        ("seed", -3),
        ("repeat_penalty", 1.1),
        ("frequency_penalty", -1),
    ],
)
def test_valid_values_pass(key: str, value: object) -> None:
    supported = {name: name for name in PORTABLE_KWARGS}
    assert translate_kwargs({key: value}, supported, provider="t-good") == {key: value}


# -- images ---------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 "


def url_of(part: dict[str, object]) -> str:
    assert part["type"] == "image_url"
    return part["image_url"]["url"]  # type: ignore[index, no-any-return]


@pytest.mark.parametrize(
    "data,mime",
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (b"GIF89a...", "image/gif"), (WEBP, "image/webp")],
)
def test_image_bytes_are_sniffed(data: bytes, mime: str) -> None:
    url = url_of(image_part(data))
    assert url.startswith(f"data:{mime};base64,")
    assert split_data_url(url) == (mime, data)


def test_image_paths(tmp_path: Path) -> None:
    jpg = tmp_path / "photo.jpg"
    jpg.write_bytes(JPEG)
    assert split_data_url(url_of(image_part(jpg))) == ("image/jpeg", JPEG)
    assert split_data_url(url_of(image_part(str(jpg))))[0] == "image/jpeg"
    # a suffix that says nothing about the image: the bytes decide
    for name in ("upload.bin", "noext", "really-a-png.txt"):
        path = tmp_path / name
        path.write_bytes(PNG)
        assert split_data_url(url_of(image_part(path)))[0] == "image/png", name


def test_urls_pass_through_and_data_urls_are_checked() -> None:
    assert url_of(image_part("https://example.com/cat.png")) == "https://example.com/cat.png"
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert url_of(image_part(data_url)) == data_url
    with pytest.raises(ConfigurationError, match="invalid base64"):
        image_part("data:image/png;base64,@@@not base64")


@pytest.mark.parametrize(
    "url,message",
    [
        ("data:image/png,rawdata", "must look like"),
        ("image/png;base64,AAAA", "must look like"),
        ("data:image/png;base64", "must look like"),
        ("data:image/png;base64,A", "invalid base64"),
    ],
)
def test_split_data_url_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        split_data_url(url)


def test_image_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        image_part(tmp_path / "missing.png")
    with pytest.raises(ConfigurationError, match="not PNG, JPEG, GIF or WebP"):
        image_part(b"plain text, not an image")
    with pytest.raises(ConfigurationError, match="Unsupported image int"):
        image_part(42)  # type: ignore[arg-type]


def test_user_content() -> None:
    assert user_content("hi", None) == "hi"
    assert user_content("hi", []) == "hi"
    content = user_content("what is this?", [PNG, "https://example.com/x.jpg"])
    assert isinstance(content, list)
    assert content[0] == {"type": "text", "text": "what is this?"}
    assert url_of(content[1]).startswith("data:image/png;base64,")
    assert url_of(content[2]) == "https://example.com/x.jpg"


# -- ModelSpec, Model catalogs, AdHocModel -------------------------------------------------------------


class Catalog(Model):
    PLAIN = ModelSpec("plain-1")
    TOOLS = ModelSpec("tools-1", tools=True)
    ALL = ModelSpec(
        "all-1", tools=True, thinking=True, vision=True, generation_kwargs={"temperature": 0.6}
    )


def test_model_spec_equality_and_hash_use_the_id() -> None:
    a = ModelSpec("m", tools=True, generation_kwargs={"temperature": 0.1})
    b = ModelSpec("m")
    assert a == b and hash(a) == hash(b)
    assert a != ModelSpec("n") and a != "m"
    assert {a: 1}[b] == 1
    assert (a.tools, a.thinking, a.vision) == (True, False, False)


def test_model_spec_is_immutable() -> None:
    source = {"temperature": 0.1}
    spec = ModelSpec("m", generation_kwargs=source)
    source["temperature"] = 9  # the spec took a copy
    assert spec.generation_kwargs == {"temperature": 0.1}
    with pytest.raises(TypeError):
        spec.generation_kwargs["temperature"] = 1  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.tools = True  # type: ignore[misc]


@pytest.mark.parametrize("bad", ["", None, 3])
def test_model_spec_needs_an_id(bad: object) -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        ModelSpec(bad)  # type: ignore[arg-type]


def test_catalog_members() -> None:
    assert Catalog.ALL.value == "all-1"
    assert Catalog.ALL.spec.generation_kwargs == {"temperature": 0.6}
    assert Catalog("tools-1") is Catalog.TOOLS
    assert (
        Catalog.ALL.supports_tools,
        Catalog.ALL.supports_thinking,
        Catalog.ALL.supports_vision,
    ) == (True, True, True)
    assert not (
        Catalog.PLAIN.supports_tools
        or Catalog.PLAIN.supports_thinking
        or Catalog.PLAIN.supports_vision
    )
    assert Catalog.TOOL_MODELS == [Catalog.TOOLS, Catalog.ALL]
    assert Catalog.THINKING_MODELS == [Catalog.ALL]
    assert Catalog.VISION_MODELS == [Catalog.ALL]
    assert [m.value for m in Catalog] == ["plain-1", "tools-1", "all-1"]
    with pytest.raises(ValueError):
        Catalog("nope")
    assert pickle.loads(pickle.dumps(Catalog.ALL)) is Catalog.ALL
    assert copy.deepcopy(Catalog.ALL) is Catalog.ALL


def test_catalogs_are_distinct_even_with_shared_ids() -> None:
    class Other(Model):
        PLAIN = ModelSpec("plain-1")

    assert Other.PLAIN is not Catalog.PLAIN and Other.PLAIN != Catalog.PLAIN
    assert Other.PLAIN.spec == Catalog.PLAIN.spec  # same model id


def test_catalog_mistakes_fail_at_class_creation() -> None:
    with pytest.raises(ValueError, match=r"members \['B'\] repeat the id"):

        class Repeats(Model):
            A = ModelSpec("same")
            B = ModelSpec("same", tools=True)

    with pytest.raises(TypeError, match="members must be ModelSpec values, got 'x'"):

        class NotSpecs(Model):
            A = "x"


def test_ad_hoc_model_quacks_like_a_member() -> None:
    model = AdHocModel(ModelSpec("local.gguf", thinking=True))
    assert (model.value, model.name) == ("local.gguf", "local.gguf")
    assert (model.supports_tools, model.supports_thinking, model.supports_vision) == (
        False,
        True,
        False,
    )
    assert CAPABILITIES == ("tools", "thinking", "vision")


# -- stream phases ------------------------------------------------------------------------------------


def test_parse_include() -> None:
    assert parse_include(None) is None
    assert parse_include("thinking") == {Phase.THINKING}
    assert parse_include(Phase.DONE) == {Phase.DONE}
    assert parse_include(["generating", Phase.TOOL_CALLING]) == {
        Phase.GENERATING,
        Phase.TOOL_CALLING,
    }
    with pytest.raises(ConfigurationError, match="unknown phase 'answer'; valid phases are"):
        parse_include(["answer"])


def test_filter_phases_and_stream_chunk() -> None:
    chunks = [
        StreamChunk(Phase.THINKING, "t"),
        StreamChunk(Phase.GENERATING, "a"),
        StreamChunk(Phase.DONE, {"text": "a"}),
    ]
    assert list(filter_phases(iter(chunks), None)) == chunks
    assert list(filter_phases(iter(chunks), frozenset({Phase.GENERATING}))) == [chunks[1]]
    chunk = chunks[0]
    assert (chunk.agent, chunk.iteration) == (None, 0)
    assert chunk.phase == "thinking"  # a str enum: compares to its name


def test_translate_sdk_error_redacts_and_chains_only_safe_causes():
    from aimu_core.errors import AuthenticationError, ProviderError, translate_sdk_error

    def translate(exc: BaseException, text: str) -> ProviderError | None:
        return AuthenticationError(f"denied: {text}") if isinstance(exc, ValueError) else None

    quoted = ValueError("bad key sk-secret-123")
    error = translate_sdk_error(quoted, ["sk-secret-123", None], translate)
    assert str(error) == "denied: bad key ***"
    assert error.__cause__ is None and error.__suppress_context__
    plain = ValueError("HTTP 401")
    assert translate_sdk_error(plain, ["sk-secret-123"], translate).__cause__ is plain
    other = KeyError("not the SDK's")
    assert translate_sdk_error(other, [], translate) is other
    already = ProviderError("already translated")
    assert translate_sdk_error(already, [], translate) is already


def test_loop_local_makes_one_object_per_event_loop():
    import asyncio

    from aimu_core.aio import LoopLocal

    made: list[object] = []

    def factory() -> object:
        made.append(object())
        return made[-1]

    local = LoopLocal(factory)

    async def twice() -> tuple[object, object]:
        return local.get(), local.get()

    first = asyncio.run(twice())
    second = asyncio.run(twice())
    assert first[0] is first[1] and second[0] is second[1]
    assert first[0] is not second[0] and len(made) == 2
    assert local.get() is second[0]  # outside a loop: the last one made
