"""Property-based tests: whatever a user (or a model) writes, only aimu errors, and short ones.

Model strings with their ``@url`` and ``;flags``, tool-call arguments as a
model sends them, and ``SKILL.md`` front matter. For every input the code
either succeeds or raises an :mod:`aimu_core.errors` type whose message is at
most :data:`BOUND` characters: quoted input is capped, never repeated whole.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import aimu_core.testing.scripted as scripted_plugin
from aimu_core.errors import AimuError, SkillError
from aimu_core.hookspecs import hookimpl
from aimu_core.models import AdHocModel, Model, ModelSpec, resolve_model_string
from aimu_core.plugins import PluginManager
from aimu_core.policy import Policy
from aimu_core.records import TextProvider
from aimu_core.sdk_calls import tool_arguments
from aimu_core.skills.frontmatter import split_front_matter
from aimu_core.tools import tool
from aimu_core.tools.toolbox import Toolbox

#: The longest message any of these inputs may produce.
BOUND = 1000
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Catalog(Model):
    ALPHA = ModelSpec("alpha-7b", tools=True)
    BETA = ModelSpec("beta:1", vision=True)


class Providers:
    __name__ = "property-providers"

    @hookimpl
    def aimu_text_providers(self) -> list[TextProvider]:
        client = "aimu_core.testing.scripted:ScriptedClient"
        return [
            TextProvider(name="closed", client=client, models=Catalog),
            TextProvider(
                name="server",
                client=client,
                open_catalog=True,
                accepts_base_url=True,
                requires_base_url=True,
            ),
        ]


PM = PluginManager([scripted_plugin, Providers()], policy=Policy(autoload=False), builtin=False)


def short_aimu_error(exc: BaseException) -> None:
    assert isinstance(exc, AimuError), f"{type(exc).__name__} escaped: {exc!r}"[:500]
    assert len(str(exc)) <= BOUND, f"a {len(str(exc))}-character message"


def resolves_or_short_error(text: str) -> Any:
    try:
        return resolve_model_string(text, manager=PM)
    except Exception as exc:
        short_aimu_error(exc)
        return None


# -- model strings, @urls and ;flags --------------------------------------------------------

PREFIXES = st.sampled_from(["closed", "server", "scripted", "nope", "Server", ""])
IDS = st.one_of(st.sampled_from(["alpha-7b", "beta:1", "m", "qwen3:8b", ""]), st.text(max_size=40))
FLAGS = st.one_of(
    st.lists(st.sampled_from(["tools", "thinking", "vision", "", " tools ", "x"]), max_size=5).map(
        ",".join
    ),
    st.text(max_size=40),
)
HOSTS = st.one_of(
    st.sampled_from(["127.0.0.1", "localhost", "[::1]", "", "[::1", "h_st", "xn--d1a"]),
    st.text(alphabet="abc.-:[]@%", max_size=12),
)
PORTS = st.one_of(
    st.none(),
    st.integers(-10, 100_000).map(str),
    st.sampled_from(["", "0", "65535", "65536", "http", " 80"]),
)
USERINFO = st.one_of(st.none(), st.sampled_from(["alice:s3cret-pass", "u", ":p", "a@b:c"]))


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http://", "https://", "ftp://", "http:/", "", "HTTP://"]))
    userinfo = draw(USERINFO)
    port = draw(PORTS)
    path = draw(st.sampled_from(["", "/", "/v1", "/v1?x=1", "#frag", "/a@b"]))
    return (
        f"{scheme}{userinfo + '@' if userinfo else ''}{draw(HOSTS)}"
        f"{':' + port if port is not None else ''}{path}"
    )


@st.composite
def model_strings(draw: st.DrawFn) -> str:
    text = f"{draw(PREFIXES)}:{draw(IDS)}"
    if draw(st.booleans()):
        text += "@" + draw(urls())
    if draw(st.booleans()):
        text += ";" + draw(FLAGS)
    return text


@SETTINGS
@given(st.text(max_size=200))
def test_any_text_as_a_model_string(text: str) -> None:
    resolves_or_short_error(text)


@pytest.mark.parametrize(
    "text",
    [
        "x" * 1_000_000,
        "closed:" + "y" * 1_000_000,
        "server:m@http://" + "h" * 1_000_000 + ":1",
        "server:m@" + "u" * 1_000_000 + "@h",
        "server:m@http://h/;" + "f," * 500_000,
    ],
    ids=["no-provider", "long-id", "long-host", "long-userinfo", "many-flags"],
)
def test_a_megabyte_model_string(text: str) -> None:
    resolves_or_short_error(text)


@SETTINGS
@given(model_strings())
def test_structured_model_strings(text: str) -> None:
    resolved = resolves_or_short_error(text)
    if resolved is None:
        return
    assert isinstance(resolved.model, Catalog | AdHocModel)
    url = resolved.base_url
    if url is not None:  # whatever resolve accepts, an HTTP client can use
        split = urllib.parse.urlsplit(url)
        assert split.scheme in ("http", "https") and split.hostname
        assert split.port is None or 0 < split.port < 65536
    assert "s3cret-pass" not in repr(resolved) + resolved.model_string


@SETTINGS
@given(urls())
@example("http://alice:s3cret-pass@h:99999/v1")
def test_a_secret_in_an_at_url_is_never_in_a_message(url: str) -> None:
    try:
        resolve_model_string(f"server:m@{url}", manager=PM)
    except Exception as exc:
        short_aimu_error(exc)
        assert "s3cret-pass" not in str(exc)


# -- tool-call arguments -------------------------------------------------------------------


@tool
def add(a: int, b: int = 0) -> int:
    """Add two numbers.

    Args:
        a: the first.
        b: the second.
    """
    return a + b


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["a", "b", "c", ""]) | st.text(max_size=5), children, max_size=4
        )
    ),
    max_leaves=12,
)
ARGUMENT_TEXT = st.one_of(
    st.text(max_size=200),
    JSON.map(json.dumps),
    st.builds(lambda a, b: json.dumps({"a": a, "b": b}), JSON, JSON),
    st.sampled_from(["[" * 5_000, '{"a": ' * 2_000, '{"a": ' + "1" * 5_000 + "}", "", "null"]),
)


@SETTINGS
@given(ARGUMENT_TEXT, st.sampled_from(["add", "missing", ""]))
def test_the_tool_loop_answers_any_arguments_with_text(arguments: str, name: str) -> None:
    box = Toolbox([add])
    result = box.call({"id": "c1", "function": {"name": name, "arguments": arguments}})
    assert isinstance(result["response"], str)
    if result["response"].startswith("Error"):
        assert len(result["response"]) <= BOUND


@SETTINGS
@given(ARGUMENT_TEXT)
def test_tool_arguments_for_object_apis_never_raise(arguments: str) -> None:
    assert isinstance(tool_arguments(arguments), dict)


# -- SKILL.md front matter -------------------------------------------------------------------

LINES = st.one_of(
    st.sampled_from(
        [
            "name: my-skill",
            "description: does things",
            "description: |",
            "description: >-",
            "metadata:",
            "  author: me",
            "  - item",
            "    deeper: x",
            'quoted: "unterminated',
            "single: 'x''y'",
            "single: 'open",
            "# a comment",
            "",
            "  ",
            "\t tab",
            "key: value # comment",
            "name: twice",
            "-",
            "---",
        ]
    ),
    st.text(max_size=60).map(lambda s: s.replace("\n", " ")),
)


@pytest.mark.parametrize(
    "line",
    [
        "x" * 1_000_000,
        'd: "' + "q" * 1_000_000,
        "d: '" + "q" * 1_000_000,
        " " + "i" * 1_000_000,
        "k" * 1_000_000 + ": v",
        "m:\n  " + "n" * 1_000_000,
    ],
    ids=["no-key", "double-quote", "single-quote", "indented", "long-key", "nested"],
)
def test_a_megabyte_front_matter_line(line: str) -> None:
    with pytest.raises(SkillError) as caught:
        split_front_matter(f"---\nname: n\n{line}\nname: again\n---\n")
    short_aimu_error(caught.value)


@SETTINGS
@given(st.lists(LINES, max_size=12), st.booleans())
def test_front_matter_parses_or_says_why_briefly(lines: list[str], closed: bool) -> None:
    text = "\n".join(["---", *lines, *(["---"] if closed else []), "body"])
    try:
        header, _ = split_front_matter(text, "s/SKILL.md")
    except Exception as exc:
        short_aimu_error(exc)
        assert isinstance(exc, SkillError)
        return
    assert isinstance(header, dict)


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_as_a_skill_file(text: str) -> None:
    try:
        split_front_matter(text)
    except Exception as exc:
        short_aimu_error(exc)


@pytest.mark.parametrize("count", [1, 5_000])
def test_deeply_nested_arguments_are_an_error_text(count: int) -> None:
    box = Toolbox([add])
    result = box.call({"id": "c", "function": {"name": "add", "arguments": "[" * count}})
    assert result["response"].startswith("Error: the arguments are not valid JSON")
