"""The loading policy, and plugin isolation inside one :class:`PluginManager`.

Entry-point behaviour is tested in fresh interpreters (``test_discovery.py``);
here the policy is built from explicit environments and files, and managers
are built on their own with plugin objects, without any global state.
"""

from __future__ import annotations

import json
import logging
import os
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimu_core.errors import (
    AimuError,
    ConfigurationError,
    PluginConflictError,
    PluginError,
    PluginUnavailableError,
    UnknownProviderError,
)
from aimu_core.hookspecs import hookimpl
from aimu_core.models import AsyncModelClient, BaseModelClient, ModelClient
from aimu_core.models.resolve import default_model_string
from aimu_core.plugins import PLUGIN_API_VERSION, PluginInfo, PluginManager
from aimu_core.policy import Policy, normalize_name
from aimu_core.records import TextProvider, ToolRecord

_CLIENT = "aimu_core.testing.scripted:ScriptedClient"


class Provider:
    """A plugin object contributing one open-catalog provider."""

    def __init__(self, prefix: str, *, name: str | None = None, aliases: tuple[str, ...] = ()):
        self.__name__ = name or prefix
        self._record = TextProvider(name=prefix, client=_CLIENT, open_catalog=True, aliases=aliases)

    @hookimpl
    def aimu_text_providers(self) -> list[TextProvider]:
        return [self._record]


class Raising:
    __name__ = "raising"

    @hookimpl
    def aimu_text_providers(self) -> list[TextProvider]:
        raise KeyError("boom")


class Returns:
    """A plugin whose hook returns whatever it was given."""

    def __init__(self, value: Any, name: str = "returns") -> None:
        self.__name__ = name
        self._value = value

    @hookimpl
    def aimu_text_providers(self) -> Any:
        return self._value


def manager(*plugins: object, builtin: bool = False) -> PluginManager:
    return PluginManager(plugins, policy=Policy(autoload=False), builtin=builtin)


def status(pm: PluginManager) -> dict[str, tuple[str, str]]:
    return {p.name: (p.status, p.reason) for p in pm.plugins}


# -- Policy.from_env -------------------------------------------------------------------------


def test_defaults_allow_everything() -> None:
    policy = Policy.from_env({})
    assert policy.allow is None and policy.deny == frozenset() and policy.autoload is True
    assert policy.blocked_by("aimu-anything", "anything", "1.0") is None
    assert policy.source == "defaults"


def test_names_are_normalised_like_pypi() -> None:
    assert normalize_name("Aimu_OpenAI.x") == "aimu-openai-x"
    policy = Policy.from_env(
        {"AIMU_PLUGINS": " Aimu_OpenAI , aimu-ollama:Ollama,,", "AIMU_DISABLE_PLUGINS": "aimu.hf"}
    )
    assert policy.allow == {"aimu-openai", "aimu-ollama:ollama"}
    assert policy.deny == {"aimu-hf"}
    assert policy.blocked_by("aimu_openai", "openai", "0.1.0") is None
    assert policy.blocked_by("aimu-ollama", "ollama", "0.1.0") is None
    assert "not in the allow-list (AIMU_PLUGINS)" in policy.blocked_by("aimu-x", "x", None)  # type: ignore[operator]
    assert "deny-list (AIMU_DISABLE_PLUGINS) names 'aimu-hf'" == policy.blocked_by(
        "aimu_hf", "hf", None
    )


def test_lists_name_distributions_never_entry_points() -> None:
    """Any package may declare any entry-point name; only the distribution name is its own."""
    policy = Policy.from_env({"AIMU_PLUGINS": "aimu-openai"})
    assert policy.blocked_by("aimu-openai", "openai", "1") is None
    # evil-dist declares an entry point named after the allowed distribution
    assert policy.blocked_by("evil-dist", "aimu-openai", "1") == (
        "not in the allow-list (AIMU_PLUGINS)"
    )
    assert policy.blocked_by(None, "aimu-openai", None) is not None  # no distribution: no name
    # an entry-point name alone matches nothing, in either list
    policy = Policy.from_env({"AIMU_PLUGINS": "openai", "AIMU_DISABLE_PLUGINS": "echo"})
    assert policy.blocked_by("aimu-openai", "openai", "1") == "not in the allow-list (AIMU_PLUGINS)"
    assert policy.blocked_by("evil-dist", "echo", "1") == "not in the allow-list (AIMU_PLUGINS)"
    assert (
        Policy.from_env({"AIMU_DISABLE_PLUGINS": "echo"}).blocked_by("aimu-fx", "echo", "1") is None
    )


def test_distribution_colon_entry_point_names_one_entry_point() -> None:
    policy = Policy.from_env({"AIMU_DISABLE_PLUGINS": "aimu-fx-a:echo"})
    assert policy.blocked_by("aimu-fx-a", "echo", "1") == (
        "deny-list (AIMU_DISABLE_PLUGINS) names 'aimu-fx-a:echo'"
    )
    assert policy.blocked_by("aimu-fx-b", "echo", "1") is None  # same entry-point name
    assert policy.blocked_by("aimu-fx-a", "other", "1") is None  # another entry point of it
    allow = Policy.from_env({"AIMU_PLUGINS": "Aimu_Fx_A:Echo"})
    assert allow.blocked_by("aimu-fx-a", "echo", "1") is None
    assert allow.blocked_by("aimu-fx-a", "other", "1") is not None
    assert allow.blocked_by("aimu-fx-b", "echo", "1") is not None


def test_a_list_entry_naming_an_entry_point_gets_a_hint() -> None:
    policy = Policy.from_env({"AIMU_PLUGINS": "aimu-openai", "AIMU_DISABLE_PLUGINS": "echo"})
    (allow_note,) = policy.misnamed("evil-dist", "aimu-openai")
    assert "names 'aimu-openai', which is this plugin's entry point" in allow_note
    assert "'evil-dist' or 'evil-dist:aimu-openai'" in allow_note
    (deny_note,) = policy.misnamed("aimu-fx-a", "echo")
    assert "does not block it" in deny_note and "'aimu-fx-a:echo'" in deny_note
    assert policy.misnamed("aimu-openai", "openai") == []


@pytest.mark.parametrize(
    "entry", ["openai:", ":openai", "aimu-openai:openai:x", "aimu openai", "-aimu", "aimu/openai"]
)
@pytest.mark.parametrize("variable", ["AIMU_PLUGINS", "AIMU_DISABLE_PLUGINS"])
def test_a_list_entry_that_is_no_plugin_name_is_an_error(variable: str, entry: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Policy.from_env({variable: f"aimu-ok,{entry}"})
    assert f"{variable} entry {entry!r} is not a plugin name" in str(info.value)
    assert "aimu-openai:openai" in str(info.value)  # the form to use


def test_deny_wins_over_allow() -> None:
    policy = Policy.from_env({"AIMU_PLUGINS": "aimu-hf", "AIMU_DISABLE_PLUGINS": "aimu-hf:hf"})
    assert "deny-list" in (policy.blocked_by("aimu-hf", "hf", "1") or "")
    assert policy.blocked_by("aimu-hf", "hf-extra", "1") is None


@pytest.mark.parametrize(
    "value,expected",
    [
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        (" OFF ", False),
        ("1", True),
        ("yes", True),
        ("True", True),
        ("on", True),
    ],
)
def test_autoload_switch(value: str, expected: bool) -> None:
    policy = Policy.from_env({"AIMU_PLUGIN_AUTOLOAD": value})
    assert policy.autoload is expected
    assert policy.autoload_origin == "AIMU_PLUGIN_AUTOLOAD"


@pytest.mark.parametrize("value", ["n", "disable", "", "0.0", "  ", "nope", "2", "x" * 10_000])
def test_autoload_rejects_what_is_not_a_boolean(value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Policy.from_env({"AIMU_PLUGIN_AUTOLOAD": value})
    message = str(info.value)
    assert message.startswith("AIMU_PLUGIN_AUTOLOAD=") and "is not a boolean" in message
    assert "use 1 or 0" in message
    assert len(message) < 160  # the value is quoted, cut short


def write(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return {"AIMU_PLUGIN_POLICY": str(path)}


def test_policy_file(tmp_path: Path) -> None:
    env = write(
        tmp_path,
        'allow = ["aimu-openai", "aimu_ollama"]\ndeny = ["aimu-hf"]\n'
        'autoload = false\n[versions]\nAimu_OpenAI = ">=1,<2"\n',
    )
    policy = Policy.from_env(env)
    assert policy.allow == {"aimu-openai", "aimu-ollama"}
    assert policy.deny == {"aimu-hf"}
    assert policy.autoload is False
    assert policy.autoload_origin == f"policy file {env['AIMU_PLUGIN_POLICY']}"
    assert policy.versions == {"aimu-openai": ">=1,<2"}
    assert policy.blocked_by("aimu-openai", "openai", "1.4.2") is None
    reason = policy.blocked_by("aimu-openai", "openai", "2.0")
    assert reason == "version 2.0 is outside the policy's range '>=1,<2' for aimu-openai"
    assert f"not in the allow-list (policy file {env['AIMU_PLUGIN_POLICY']})" == policy.blocked_by(
        "x", None, None
    )
    assert policy.blocked_by("evil-dist", "aimu-openai", "1.4.2") is not None


def test_policy_file_names_one_entry_point(tmp_path: Path) -> None:
    policy = Policy.from_env(write(tmp_path, 'deny = ["aimu-fx-a:echo"]\n'))
    assert "deny-list (policy file" in (policy.blocked_by("aimu-fx-a", "echo", None) or "")
    assert policy.blocked_by("aimu-fx-b", "echo", None) is None


def test_environment_wins_over_the_file_and_deny_lists_add_up(tmp_path: Path) -> None:
    env = write(tmp_path, 'allow = ["a"]\ndeny = ["b"]\nautoload = false\n')
    policy = Policy.from_env(
        {**env, "AIMU_PLUGINS": "c", "AIMU_DISABLE_PLUGINS": "d", "AIMU_PLUGIN_AUTOLOAD": "1"}
    )
    assert policy.allow == {"c"}
    assert policy.deny == {"b", "d"}
    assert policy.autoload is True
    assert policy.autoload_origin == "AIMU_PLUGIN_AUTOLOAD"
    assert "policy file" in (policy.blocked_by("b", None, None) or "")
    assert "(AIMU_DISABLE_PLUGINS)" in (policy.blocked_by("d", None, None) or "")
    assert "(AIMU_PLUGINS)" in (policy.blocked_by("a", None, None) or "")


def test_an_unparseable_version_never_satisfies_a_range(tmp_path: Path) -> None:
    policy = Policy.from_env(write(tmp_path, '[versions]\nx = ">=1"\n'))
    assert "outside" in (policy.blocked_by("x", "x", "not-a-version") or "")
    assert policy.blocked_by("y", "x", "not-a-version") is None
    assert policy.blocked_by("y", "x", "0.1") is None  # ranges are per distribution


@pytest.mark.parametrize(
    "text,message",
    [
        ("allow = aimu-openai", "is not valid TOML"),
        ("allow = 'aimu-openai'", "'allow' must be a list of names"),
        ("deny = [1, 2]", "'deny' must be a list of names"),
        ("autoload = 'no'", "'autoload' must be true or false"),
        ("alow = ['x']", "unknown keys ['alow']"),
        ("[versions]\nx = 2", "[versions] maps distribution names to ranges"),
        ("[versions]\nx = '=>1'", "version range '=>1' is invalid"),
        ("[versions]\n'x:y' = '>=1'", "[versions] key 'x:y' is not a distribution name"),
        ("allow = ['aimu-openai:']", "'allow' entry 'aimu-openai:' is not a plugin name"),
        ("deny = ['']", "'deny' entry '' is not a plugin name"),
        ("allow = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "is not valid TOML"),
    ],
)
def test_a_bad_policy_file_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    env = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as info:
        Policy.from_env(env)
    assert message in str(info.value)
    assert str(tmp_path / "policy.toml") in str(info.value)


def test_a_missing_policy_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        Policy.from_env({"AIMU_PLUGIN_POLICY": str(tmp_path / "nope.toml")})


def test_a_policy_file_that_is_a_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        Policy.from_env({"AIMU_PLUGIN_POLICY": str(tmp_path)})
    assert str(info.value) == (
        f"AIMU_PLUGIN_POLICY points to {tmp_path}, which is a directory; point it to the TOML file."
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_policy_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes('allow = ["aimu-openai"]  # café\n'.encode("latin-1"))
    with pytest.raises(ConfigurationError) as info:
        Policy.from_env({"AIMU_PLUGIN_POLICY": str(path)})
    assert f"Plugin policy file {path} is not UTF-8 text (byte 30)" in str(info.value)
    assert "save it as UTF-8" in str(info.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_policy_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("autoload = true\n", encoding="utf-8")
    path.chmod(0)
    try:
        with pytest.raises(ConfigurationError, match="Cannot read plugin policy file .*denied"):
            Policy.from_env({"AIMU_PLUGIN_POLICY": str(path)})
    finally:
        path.chmod(0o600)


# -- property tests: whatever the input, an aimu error or a policy -----------------------------

#: The longest message a policy error may have, beside the policy file's path.
_MESSAGE_BOUND = 300

#: Plugin names: well-formed ones (with ``:entry-point`` or version ranges) and any text.
_names = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}(:[A-Za-z0-9_.-]{1,10})?", fullmatch=True),
    st.sampled_from([">=1,<2", "==0.1.*", "<2", "aimu-openai", "aimu-fx-a:echo", ""]),
    st.text(
        alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs", "Cc")),
        max_size=80,
    ),
)
_lists = st.lists(_names, max_size=5).map(",".join)


def _outcome(environ: dict[str, str], bound: int = _MESSAGE_BOUND) -> Policy | None:
    """The policy, or ``None`` after checking the error is an aimu error of bounded length."""
    try:
        return Policy.from_env(environ)
    except AimuError as exc:  # anything else escapes and fails the test
        assert len(str(exc)) <= bound, str(exc)
        assert "\n" not in str(exc)  # one line, for `aimu plugins`' error
        return None


@settings(max_examples=200, deadline=None)
@given(
    allow=_lists,
    deny=_lists,
    autoload=st.one_of(st.none(), st.sampled_from(["0", "on", "No"]), _names),
    repeat=st.sampled_from([1, 2_000]),
)
def test_env_lists_and_switch_parse_or_raise_a_short_aimu_error(
    allow: str, deny: str, autoload: str | None, repeat: int
) -> None:
    environ = {"AIMU_PLUGINS": ",".join([allow] * repeat), "AIMU_DISABLE_PLUGINS": deny}
    if autoload is not None:
        environ["AIMU_PLUGIN_AUTOLOAD"] = autoload * repeat
    policy = _outcome(environ)
    if policy is not None:  # each accepted entry blocks exactly what it names
        for entry in policy.deny:
            distribution, _, entry_point = entry.partition(":")
            assert policy.blocked_by(distribution, entry_point or "x", None) is not None
            assert policy.blocked_by(f"other-{distribution}", entry_point or "x", None) != (
                f"deny-list (AIMU_DISABLE_PLUGINS) names {entry!r}"
            )


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string, mostly


_toml_value = st.recursive(
    st.one_of(st.sampled_from(["true", "false", "1", "1979-05-27"]), _names.map(_toml)),
    lambda inner: st.lists(inner, max_size=4).map(lambda items: f"[{', '.join(items)}]"),
    max_leaves=12,
)
_keys = st.sampled_from(["allow", "deny", "autoload", "alow"])
_toml_list = st.lists(_names.map(_toml), max_size=4).map(lambda items: f"[{', '.join(items)}]")
_specs = st.sampled_from([">=1,<2", "<2", "==0.1.*", "~=1.0", ">=1 ,<2", "=>1", ""]) | _names


def _document(top: dict[str, str], versions: dict[str, str] | None) -> bytes:
    lines = [f"{_toml(key)} = {value}" for key, value in top.items()]
    if versions is not None:
        lines += ["[versions]", *(f"{_toml(k)} = {_toml(v)}" for k, v in versions.items())]
    return "\n".join(lines).encode()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=200),
        # any values under the known keys (and a misspelt one)
        st.builds(_document, st.dictionaries(_keys, _toml_value, max_size=4), st.none()),
        # the right shapes, with any names and ranges in them
        st.builds(
            _document,
            st.fixed_dictionaries(
                {},
                optional={
                    "allow": _toml_list,
                    "deny": _toml_list,
                    "autoload": st.sampled_from(["true", "false"]),
                },
            ),
            st.none() | st.dictionaries(_names, _specs, max_size=3),
        ),
    )
)
def test_policy_files_parse_or_raise_a_short_aimu_error(policy_dir: Path, data: bytes) -> None:
    path = policy_dir / "policy.toml"
    path.write_bytes(data)
    _outcome({"AIMU_PLUGIN_POLICY": str(path)}, _MESSAGE_BOUND + len(str(path)))


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("policy")


# -- PluginManager isolation, in-process ---------------------------------------------------


def test_a_manager_is_self_contained() -> None:
    first = manager(Provider("alpha"))
    second = manager(Provider("beta"))
    assert set(first.text_providers) == {"alpha"}
    assert set(second.text_providers) == {"beta"}
    with pytest.raises(UnknownProviderError):
        second.text_provider("alpha")


def test_the_builtin_plugin_registers_core_tools() -> None:
    pm = manager(builtin=True)
    core = {"time.now", "time.convert", "calculator", "files.read", "files.write", "files.list"}
    assert core <= set(pm.tools)
    info = pm.owner("tools", "time.now")
    assert info is not None and info.name == "aimu-core" and info.status == "loaded"


def test_broken_plugins_are_isolated_from_good_ones() -> None:
    class Future:
        __name__ = "future"
        AIMU_PLUGIN_API = PLUGIN_API_VERSION + 1

        @hookimpl
        def aimu_text_providers(self) -> list[TextProvider]:
            return [TextProvider(name="future", client=_CLIENT, open_catalog=True)]

    class BadSignature:
        __name__ = "badsig"

        @hookimpl
        def aimu_text_providers(self, config: Any) -> list[TextProvider]:
            return []

    pm = manager(
        Raising(),
        Returns({"name": "x"}, name="dict"),
        Returns([{"name": "x"}], name="listofdict"),
        Returns([ToolRecord(name="t", tool="m:f")], name="wrongrecord"),
        Future(),
        BadSignature(),
        Provider("good"),
    )
    rows = status(pm)
    assert rows["good"] == ("loaded", "")
    assert rows["raising"] == ("failed", "hook aimu_text_providers raised KeyError: 'boom'")
    assert rows["dict"] == ("failed", "hook aimu_text_providers returned dict, expected a list")
    assert (
        rows["listofdict"][0] == "failed"
        and "expected TextProvider records" in rows["listofdict"][1]
    )
    assert rows["wrongrecord"][0] == "failed" and "ToolRecord(" in rows["wrongrecord"][1]
    assert (
        rows["future"][0] == "failed"
        and f"plugin API {PLUGIN_API_VERSION + 1}" in rows["future"][1]
    )
    assert rows["badsig"][0] == "failed" and "config" in rows["badsig"][1]
    assert set(pm.text_providers) == {"good"}
    pm.text_provider("good")

    for prefix in ("raising", "future"):
        with pytest.raises(PluginUnavailableError) as info:
            pm.text_provider(prefix)
        assert f"plugin {prefix}, which is failed" in str(info.value)


def test_a_failing_hook_contributes_nothing_even_from_its_other_hooks() -> None:
    class Half:
        __name__ = "half"

        @hookimpl
        def aimu_tools(self) -> list[ToolRecord]:
            return [ToolRecord(name="half_tool", tool="m:f")]

        @hookimpl
        def aimu_text_providers(self) -> list[TextProvider]:
            raise ValueError("nope")

    pm = manager(Half())
    assert status(pm)["half"][0] == "failed"
    assert pm.tools == {} and pm.text_providers == {}


def test_a_record_that_fails_validation_fails_its_plugin() -> None:
    class BadRecord:
        __name__ = "badrecord"

        @hookimpl
        def aimu_text_providers(self) -> list[TextProvider]:
            return [TextProvider(name="Bad Name", client=_CLIENT, open_catalog=True)]

    rows = status(manager(BadRecord(), Provider("good")))
    assert rows["badrecord"][0] == "failed" and "'Bad Name' is invalid" in rows["badrecord"][1]
    assert rows["good"][0] == "loaded"


def test_misspelled_hook_is_a_warning_not_a_failure() -> None:
    class Typo:
        __name__ = "typo"

        @hookimpl
        def aimu_text_provider(self) -> list[TextProvider]:
            return []

    (info,) = manager(Typo()).plugins
    assert info.status == "loaded" and info.hooks == []
    assert info.warnings == ["implements 'aimu_text_provider', which is not an aimu hook (typo?)"]


def test_duplicate_prefix_is_an_error_naming_both_plugins() -> None:
    pm = manager(Provider("dup", name="one"), Provider("dup", name="two"), Provider("other"))
    with pytest.raises(PluginConflictError) as info:
        pm.text_provider("dup")
    assert "'dup' is claimed by one and two" in str(info.value)
    assert pm.text_provider("other").name == "other"
    rows = {p.name: p for p in pm.plugins}
    assert rows["one"].warnings == [
        "text provider 'dup' is also claimed by two; using it raises PluginConflictError"
    ]
    assert rows["two"].status == "loaded" and "claimed by one" in rows["two"].warnings[0]


def test_a_third_claimant_joins_the_conflict_and_aliases_conflict_too() -> None:
    pm = manager(
        Provider("dup", name="one"),
        Provider("dup", name="two"),
        Provider("dup", name="three"),
        Provider("main", name="four", aliases=("shared",)),
        Provider("shared", name="five"),
    )
    with pytest.raises(PluginConflictError, match="one and two and three"):
        pm.text_provider("dup")
    with pytest.raises(PluginConflictError, match="four and five"):
        pm.text_provider("shared")
    assert pm.text_provider("main").name == "main"


def test_unknown_provider_error_lists_installed_and_suggests() -> None:
    pm = manager(Provider("ollama-like"), Provider("llamacpp-x"), Raising())
    with pytest.raises(UnknownProviderError) as info:
        pm.text_provider("olama-like")
    message = str(info.value)
    assert "Installed: llamacpp-x, ollama-like." in message
    assert "Did you mean 'ollama-like'?" in message
    assert "Not loaded: raising (failed)" in message


def test_unknown_first_party_prefix_names_the_distribution() -> None:
    pm = manager()
    with pytest.raises(UnknownProviderError, match="pip install aimu-anthropic"):
        pm.text_provider("anthropic")
    with pytest.raises(UnknownProviderError, match="pip install aimu-openai"):
        pm.text_provider("gemini")


def test_with_autoload_off_an_unknown_provider_says_so() -> None:
    policy = Policy.from_env({"AIMU_PLUGIN_AUTOLOAD": "0"})
    pm = PluginManager([Provider("ollama-like")], policy=policy, builtin=False)
    with pytest.raises(UnknownProviderError) as info:
        pm.text_provider("echo")
    message = str(info.value)
    assert message.startswith(
        "Unknown provider 'echo': plugin autoload is off (AIMU_PLUGIN_AUTOLOAD is false)"
    )
    assert "no installed plugin was loaded" in message
    assert "(loaded: ollama-like)" in message and "aimu_core.plugins.register()" in message
    assert "Installed:" not in message
    with pytest.raises(UnknownProviderError) as info:
        pm.text_provider("anthropic")
    assert "pip install" not in str(info.value)  # installing would not help
    # A manager built with Policy(autoload=False) in code (tests do) keeps the plain message.
    pm = PluginManager([Provider("ollama-like")], policy=Policy(autoload=False), builtin=False)
    with pytest.raises(UnknownProviderError, match=r"^Unknown provider 'echo'\. Installed: "):
        pm.text_provider("echo")


def test_with_autoload_off_in_the_policy_file_the_message_names_the_file(tmp_path: Path) -> None:
    env = write(tmp_path, "autoload = false\n")
    pm = PluginManager(policy=Policy.from_env(env), builtin=False)
    with pytest.raises(UnknownProviderError, match="autoload = false in the policy file"):
        pm.text_provider("echo")


def test_registering_the_same_object_twice_is_harmless() -> None:
    plugin = Provider("once")
    pm = manager(plugin, plugin)
    assert [(p.name, p.status) for p in pm.plugins] == [("once", "loaded")]


# -- plugins registered in code obey the lists and the file --------------------------------


def _module(name: str, prefix: str, *, api: int | None = PLUGIN_API_VERSION) -> types.ModuleType:
    """A plugin module ``name`` contributing the open-catalog provider ``prefix``."""
    module = types.ModuleType(name)
    record = TextProvider(name=prefix, client=_CLIENT, open_catalog=True)

    @hookimpl
    def aimu_text_providers() -> list[TextProvider]:
        return [record]

    module.aimu_text_providers = aimu_text_providers  # type: ignore[attr-defined]
    if api is not None:
        module.AIMU_PLUGIN_API = api  # type: ignore[attr-defined]
    return module


def coded(*plugins: object, **environ: str) -> PluginManager:
    """A manager of *plugins* registered in code, under the policy *environ* sets."""
    return PluginManager(plugins, policy=Policy.from_env(environ), builtin=False)


def test_a_plugin_registered_in_code_obeys_the_deny_list() -> None:
    aimu_echo = _module("aimu_echo", "echo")
    pm = coded(aimu_echo, AIMU_DISABLE_PLUGINS="aimu-echo")
    assert status(pm) == {
        "aimu_echo": ("blocked", "deny-list (AIMU_DISABLE_PLUGINS) names 'aimu-echo'")
    }
    with pytest.raises(PluginUnavailableError, match="plugin aimu_echo, which is blocked"):
        pm.text_provider("echo")
    # its top-level module names it, written either way; other plugins are not touched
    pm = coded(
        _module("aimu_echo.plugin", "echo"),
        _module("other", "other"),
        AIMU_DISABLE_PLUGINS="Aimu_Echo",
    )
    assert status(pm)["aimu_echo.plugin"][0] == "blocked"
    assert set(pm.text_providers) == {"other"}


def test_a_plugin_registered_in_code_obeys_the_allow_list() -> None:
    pm = coded(_module("aimu_echo", "echo"), _module("mine", "mine"), AIMU_PLUGINS="mine")
    assert set(pm.text_providers) == {"mine"}
    state, reason = status(pm)["aimu_echo"]
    assert state == "blocked" and reason.startswith("not in the allow-list (AIMU_PLUGINS)")
    assert "registered in code, it is known as 'aimu-echo'" in reason


def test_a_plugin_registered_in_code_obeys_the_policy_file(tmp_path: Path) -> None:
    env = write(tmp_path, 'allow = ["aimu-echo", "other"]\ndeny = ["other"]\nautoload = false\n')
    pm = coded(_module("aimu_echo", "echo"), _module("other", "other"), **env)
    assert set(pm.text_providers) == {"echo"}  # autoload = false does not apply to it
    assert "deny-list (policy file" in status(pm)["other"][1]


def test_an_instance_registered_in_code_is_known_by_its_class_module() -> None:
    pm = coded(Provider("inst"), AIMU_DISABLE_PLUGINS=__name__.split(".")[0])
    assert status(pm)["inst"][0] == "blocked"
    assert set(coded(Provider("inst"), AIMU_DISABLE_PLUGINS="aimu-other").text_providers) == {
        "inst"
    }


def test_autoload_off_does_not_apply_to_plugins_registered_in_code() -> None:
    pm = coded(_module("aimu_echo", "echo"), AIMU_PLUGIN_AUTOLOAD="0")
    assert pm.text_provider("echo").name == "echo"


# -- diagnostics -----------------------------------------------------------------------------


def test_a_plugin_module_without_a_plugin_api_loads_with_a_warning() -> None:
    pm = coded(_module("aimu_old", "old", api=None), _module("aimu_new", "new"))
    rows = {p.name: p for p in pm.plugins}
    assert rows["aimu_old"].status == "loaded" and pm.text_provider("old").name == "old"
    assert rows["aimu_old"].warnings == [
        "declares no AIMU_PLUGIN_API; add AIMU_PLUGIN_API = 1 to the plugin module "
        "(a later aimu-core may refuse plugins without it)"
    ]
    assert rows["aimu_new"].warnings == []


def test_a_hook_with_arguments_is_reported_under_the_plugins_own_name() -> None:
    module = types.ModuleType("arg-hook")

    @hookimpl
    def aimu_text_providers(config: Any) -> list[TextProvider]:
        return []

    module.aimu_text_providers = aimu_text_providers  # type: ignore[attr-defined]
    module.AIMU_PLUGIN_API = 1  # type: ignore[attr-defined]
    pm = coded(_module("first", "first"), _module("second", "second"), module)
    state, reason = status(pm)["arg-hook"]
    assert state == "failed"
    assert "'arg-hook'" in reason and "#" not in reason, reason
    assert "aimu_text_providers(config" in reason and "{'config'} are declared" in reason
    assert "\n" not in reason


def test_the_same_module_under_two_names_is_reported_by_name() -> None:
    module = _module("shared", "shared")
    pm = PluginManager(policy=Policy(autoload=False), builtin=False)
    pm._add(module, PluginInfo("one", "aimu-one", "1", "shared"))
    pm._add(module, PluginInfo("two", "aimu-two", "1", "shared"))
    assert status(pm)["two"] == (
        "failed",
        "it is the same object as plugin one (aimu-one 1), already loaded",
    )


def test_a_blocked_reason_is_the_rule_alone() -> None:
    (info,) = coded(_module("aimu_echo", "echo"), AIMU_DISABLE_PLUGINS="aimu-echo").plugins
    assert "blocked by policy" not in info.reason


def test_a_discover_that_raises_is_reported_with_its_plugin(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("AIMU_LANGUAGE_MODEL", raising=False)

    def broken() -> list[str]:
        raise OSError("socket exploded")

    class Discovering:
        __name__ = "discovering"

        @hookimpl
        def aimu_text_providers(self) -> list[TextProvider]:
            return [
                TextProvider(
                    name="flaky",
                    client=_CLIENT,
                    open_catalog=True,
                    discover=broken,
                    discover_priority=1,
                ),
                TextProvider(
                    name="steady",
                    client=_CLIENT,
                    open_catalog=True,
                    discover=lambda: ["local-model"],
                    discover_priority=2,
                ),
            ]

    pm = manager(Discovering())
    with caplog.at_level(logging.WARNING, logger="aimu_core.models.resolve"):
        assert default_model_string(manager=pm) == "steady:local-model"
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "discover() of provider 'flaky' (plugin discovering) raised OSError" in message
    assert "socket exploded" in message


# -- a provider's client class is checked when the client is built ---------------------------


class _NoChat(BaseModelClient):
    provider = "nochat"


class _NotAClient:
    def __init__(self, model: Any, **options: Any) -> None:
        pass


def _client_of(path: str, *, async_path: str | None = None, asynchronous: bool = False) -> Any:
    record = TextProvider(name="bad", client=path, async_client=async_path, open_catalog=True)
    pm = manager(Returns([record], name="badplugin"))
    factory = AsyncModelClient if asynchronous else ModelClient
    return factory("bad:any-model", manager=pm)


@pytest.mark.parametrize(
    "path,async_path,asynchronous,problem",
    [
        (f"{__name__}:_NoChat", None, False, "does not implement _chat"),
        (
            f"{__name__}:_NotAClient",
            None,
            False,
            "is the class _NotAClient, not a subclass of aimu_core BaseModelClient",
        ),
        (f"{__name__}:_client_of", None, False, "is a function, not a subclass"),
        (
            _CLIENT,
            _CLIENT,
            True,
            "its async client aimu_core.testing.scripted:ScriptedClient is "
            "the class ScriptedClient, not a subclass of aimu_core AsyncBaseModelClient",
        ),
        (f"{__name__}:_NoChat", None, True, "does not implement _chat"),  # through the thread
    ],
)
def test_a_client_class_that_breaks_the_contract_is_a_plugin_error(
    path: str, async_path: str | None, asynchronous: bool, problem: str
) -> None:
    with pytest.raises(PluginError) as info:
        _client_of(path, async_path=async_path, asynchronous=asynchronous)
    message = str(info.value)
    assert type(info.value) is PluginError
    assert message.startswith("Provider 'bad' (plugin ")
    assert problem in message


def test_a_client_that_cannot_be_imported_names_the_distribution_to_reinstall() -> None:
    with pytest.raises(PluginUnavailableError) as info:
        _client_of(f"{__name__}:NotThere")
    assert "AttributeError" in str(info.value)
    assert "<plugin>" not in str(info.value)
    assert "pip install --force-reinstall " in str(info.value)
    with pytest.raises(PluginUnavailableError) as info:
        _client_of("aimufx_sdk_that_is_not_installed.client:Client")
    assert "ModuleNotFoundError" in str(info.value)
    # no distribution holds the module: its name, written as a distribution name
    assert str(info.value).endswith(
        "pip install --force-reinstall aimufx-sdk-that-is-not-installed"
    )
