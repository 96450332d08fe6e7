"""The loading policy, and plugin isolation inside one :class:`PluginManager`.

Entry-point behaviour is tested in fresh interpreters (``test_discovery.py``);
here the policy is built from explicit environments and files, and managers
are built on their own with plugin objects, without any global state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aimu_core.errors import (
    ConfigurationError,
    PluginConflictError,
    PluginUnavailableError,
    UnknownProviderError,
)
from aimu_core.hookspecs import hookimpl
from aimu_core.plugins import PLUGIN_API_VERSION, PluginManager
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
    assert policy.blocked_by(["anything", "aimu-anything"], "1.0") is None
    assert policy.source == "defaults"


def test_names_are_normalised_like_pypi() -> None:
    assert normalize_name("Aimu_OpenAI.x") == "aimu-openai-x"
    policy = Policy.from_env(
        {"AIMU_PLUGINS": " Aimu_OpenAI , ollama,,", "AIMU_DISABLE_PLUGINS": "aimu.hf"}
    )
    assert policy.allow == {"aimu-openai", "ollama"}
    assert policy.deny == {"aimu-hf"}
    assert policy.blocked_by(["openai", "aimu-openai"], "0.1.0") is None
    assert policy.blocked_by(["ollama", "aimu-ollama"], "0.1.0") is None
    assert "not in the allow-list (AIMU_PLUGINS)" in policy.blocked_by(["x", "aimu-x"], None)  # type: ignore[operator]
    assert "deny-list (AIMU_DISABLE_PLUGINS) names 'aimu-hf'" == policy.blocked_by(
        ["hf", "aimu_hf"], None
    )


def test_deny_wins_over_allow() -> None:
    policy = Policy.from_env({"AIMU_PLUGINS": "aimu-hf", "AIMU_DISABLE_PLUGINS": "hf"})
    assert "deny-list" in (policy.blocked_by(["hf", "aimu-hf"], "1") or "")


@pytest.mark.parametrize(
    "value,expected",
    [("0", False), ("false", False), ("No", False), ("off", False), ("1", True), ("yes", True)],
)
def test_autoload_switch(value: str, expected: bool) -> None:
    assert Policy.from_env({"AIMU_PLUGIN_AUTOLOAD": value}).autoload is expected


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
    assert policy.versions == {"aimu-openai": ">=1,<2"}
    assert policy.blocked_by(["openai", "aimu-openai"], "1.4.2") is None
    reason = policy.blocked_by(["openai", "aimu-openai"], "2.0")
    assert reason == "version 2.0 is outside the policy's range '>=1,<2' for aimu-openai"
    assert f"not in the allow-list (policy file {env['AIMU_PLUGIN_POLICY']})" == policy.blocked_by(
        ["x"], None
    )


def test_environment_wins_over_the_file_and_deny_lists_add_up(tmp_path: Path) -> None:
    env = write(tmp_path, 'allow = ["a"]\ndeny = ["b"]\nautoload = false\n')
    policy = Policy.from_env(
        {**env, "AIMU_PLUGINS": "c", "AIMU_DISABLE_PLUGINS": "d", "AIMU_PLUGIN_AUTOLOAD": "1"}
    )
    assert policy.allow == {"c"}
    assert policy.deny == {"b", "d"}
    assert policy.autoload is True
    assert "policy file" in (policy.blocked_by(["b"], None) or "")
    assert "(AIMU_DISABLE_PLUGINS)" in (policy.blocked_by(["d"], None) or "")
    assert "(AIMU_PLUGINS)" in (policy.blocked_by(["a"], None) or "")


def test_an_unparseable_version_never_satisfies_a_range(tmp_path: Path) -> None:
    policy = Policy.from_env(write(tmp_path, '[versions]\nx = ">=1"\n'))
    assert "outside" in (policy.blocked_by(["x"], "not-a-version") or "")
    assert policy.blocked_by(["y"], "not-a-version") is None


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
    assert set(pm.tools) == {"current_time"}
    info = pm.owner("tools", "current_time")
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
    with pytest.raises(UnknownProviderError, match="pip install aimu-anthropic"):
        manager().text_provider("anthropic")
    with pytest.raises(UnknownProviderError, match="pip install aimu-openai"):
        manager().text_provider("gemini")


def test_registering_the_same_object_twice_is_harmless() -> None:
    plugin = Provider("once")
    pm = manager(plugin, plugin)
    assert [(p.name, p.status) for p in pm.plugins] == [("once", "loaded")]
