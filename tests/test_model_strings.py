"""Model strings (``provider:model_id[@base_url][;flags]``) and the default model.

Resolved against a :class:`PluginManager` of our own: the scripted provider's
real plugin module plus small plugins defined here. No entry points, no global
registry.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import aimu_core.testing.scripted as scripted_plugin
from aimu_core.errors import (
    ConfigurationError,
    ModelNotFoundError,
    PluginConflictError,
    UnknownProviderError,
)
from aimu_core.hookspecs import hookimpl
from aimu_core.models import AdHocModel, Model, ModelClient, ModelSpec, resolve_model_string
from aimu_core.models.client import resolve
from aimu_core.models.resolve import default_model_string
from aimu_core.plugins import PluginManager
from aimu_core.policy import Policy
from aimu_core.records import TextProvider
from aimu_core.testing import ScriptedModel

_CLIENT = "aimu_core.testing.scripted:ScriptedClient"


class ClosedModel(Model):
    ALPHA_7B = ModelSpec("alpha-7b", tools=True)
    ALPHA_13B = ModelSpec("alpha-13b", tools=True, thinking=True)
    BETA = ModelSpec("beta-1", vision=True)


class Plugin:
    """A plugin object contributing the given provider records."""

    def __init__(self, name: str, *records: TextProvider) -> None:
        self.__name__ = name
        self._records = list(records)

    @hookimpl
    def aimu_text_providers(self) -> list[TextProvider]:
        return self._records


CLOSED = TextProvider(name="closed", client=_CLIENT, models=ClosedModel, aliases=("shut",))
SERVER = TextProvider(
    name="server", client=_CLIENT, open_catalog=True, accepts_base_url=True, requires_base_url=True
)


def make_manager(*plugins: object) -> PluginManager:
    return PluginManager(
        [scripted_plugin, Plugin("test-providers", CLOSED, SERVER), *plugins],
        policy=Policy(autoload=False),
        builtin=False,
    )


@pytest.fixture
def pm() -> PluginManager:
    return make_manager()


def test_catalog_model(pm: PluginManager) -> None:
    resolved = resolve_model_string("  closed:alpha-7b ", manager=pm)
    assert resolved.model is ClosedModel.ALPHA_7B
    assert resolved.provider is CLOSED
    assert resolved.base_url is None
    assert resolved.model_string == "closed:alpha-7b"


def test_alias_selects_the_provider_and_prints_its_name(pm: PluginManager) -> None:
    resolved = resolve_model_string("shut:beta-1", manager=pm)
    assert resolved.provider is CLOSED and resolved.model is ClosedModel.BETA
    assert resolved.model_string == "closed:beta-1"


@pytest.mark.parametrize("text", ["", "   ", None, 42])
def test_empty_or_not_a_string(pm: PluginManager, text: object) -> None:
    with pytest.raises(ConfigurationError, match="empty; write provider:model_id"):
        resolve_model_string(text, manager=pm)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["alpha-7b", ":alpha-7b", "@http://x;tools"])
def test_missing_provider(pm: PluginManager, text: str) -> None:
    with pytest.raises(ConfigurationError, match="names no provider"):
        resolve_model_string(text, manager=pm)


def test_missing_model_id(pm: PluginManager) -> None:
    with pytest.raises(ConfigurationError, match="names no model id after 'closed'"):
        resolve_model_string("closed:", manager=pm)


def test_unknown_provider_lists_installed_ones(pm: PluginManager) -> None:
    with pytest.raises(UnknownProviderError) as info:
        resolve_model_string("clsoed:alpha-7b", manager=pm)
    message = str(info.value)
    assert "Unknown provider 'clsoed'" in message
    assert "Installed: closed, scripted, server, shut." in message
    assert "Did you mean 'closed'?" in message


@pytest.mark.parametrize(
    "prefix,dist",
    [
        ("openai", "aimu-openai"),
        ("lmstudio", "aimu-openai"),
        ("ollama", "aimu-ollama"),
        ("anthropic", "aimu-anthropic"),
        ("llamacpp", "aimu-llamacpp"),
        ("hf", "aimu-hf"),
    ],
)
def test_unknown_first_party_prefix_names_the_plugin_to_install(
    pm: PluginManager, prefix: str, dist: str
) -> None:
    with pytest.raises(UnknownProviderError, match=f"pip install {dist}$"):
        resolve_model_string(f"{prefix}:some-model", manager=pm)


def test_unknown_model_id_lists_close_matches(pm: PluginManager) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model_string("closed:alpha-7", manager=pm)
    message = str(info.value)
    assert "Unknown model 'alpha-7' for provider 'closed'" in message
    assert "Did you mean 'alpha-7b', 'alpha-13b'?" in message
    assert "closed:alpha-7;tools,vision" in message  # how to use a model outside the catalog


def test_unknown_model_id_without_close_matches(pm: PluginManager) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model_string("closed:zzzzzz", manager=pm)
    assert "Did you mean" not in str(info.value)
    assert isinstance(info.value, LookupError)


def test_base_url_on_a_provider_that_takes_none(pm: PluginManager) -> None:
    with pytest.raises(ConfigurationError, match="'closed' does not take a base URL"):
        resolve_model_string("closed:alpha-7b@http://localhost:1234/v1", manager=pm)


def test_provider_that_requires_a_base_url(pm: PluginManager) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_model_string("server:my-model", manager=pm)
    assert "write server:my-model@http://host:port/v1" in str(info.value)

    resolved = resolve_model_string("server:my-model@http://127.0.0.1:8080/v1", manager=pm)
    assert resolved.base_url == "http://127.0.0.1:8080/v1"
    assert isinstance(resolved.model, AdHocModel) and resolved.model.value == "my-model"
    assert resolved.model_string == "server:my-model@http://127.0.0.1:8080/v1"


@pytest.mark.parametrize(
    "text",
    [
        "server:my-model@http://127.0.0.1:8080/v1;tools",
        "server:my-model@http://127.0.0.1:8080/v1;tools,thinking,vision",
        "scripted:my-model;vision",
        "scripted:my-model",
    ],
)
def test_model_string_keeps_the_flags_and_resolves_to_the_same_model(
    pm: PluginManager, text: str
) -> None:
    resolved = resolve_model_string(text, manager=pm)
    assert resolved.model_string == text
    again = resolve_model_string(resolved.model_string, manager=pm)
    assert again == resolved


def test_base_url_needs_a_scheme(pm: PluginManager) -> None:
    with pytest.raises(ConfigurationError, match="must start with http:// or https://"):
        resolve_model_string("scripted:x@localhost:8080", manager=pm)


def test_unknown_flag(pm: PluginManager) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_model_string("scripted:my-model;tools,telepathy", manager=pm)
    assert "Unknown model flag(s) ['telepathy']" in str(info.value)
    assert "tools, thinking, vision" in str(info.value)


def test_flags_on_a_catalog_model(pm: PluginManager) -> None:
    with pytest.raises(ConfigurationError, match="capabilities are known; drop the ;flags"):
        resolve_model_string("closed:alpha-7b;vision", manager=pm)


def test_ad_hoc_model_with_flags_on_a_closed_catalog(pm: PluginManager) -> None:
    resolved = resolve_model_string("closed:gamma-3;tools, vision", manager=pm)
    model = resolved.model
    assert isinstance(model, AdHocModel)
    assert (model.value, model.name) == ("gamma-3", "gamma-3")
    assert (model.supports_tools, model.supports_thinking, model.supports_vision) == (
        True,
        False,
        True,
    )


def test_ids_with_colons_and_paths(pm: PluginManager) -> None:
    resolved = resolve_model_string("scripted:qwen3:8b", manager=pm)
    assert resolved.model.value == "qwen3:8b" and isinstance(resolved.model, AdHocModel)
    assert not resolved.model.supports_tools  # an open catalog without flags promises nothing

    resolved = resolve_model_string("scripted:qwen3:8b@http://127.0.0.1:11434;thinking", manager=pm)
    assert resolved.model.value == "qwen3:8b"
    assert resolved.base_url == "http://127.0.0.1:11434"
    assert resolved.model.supports_thinking

    resolved = resolve_model_string("scripted:/models/x.gguf;tools", manager=pm)
    assert resolved.model.value == "/models/x.gguf" and resolved.model.supports_tools


def test_open_catalog_still_prefers_its_catalog(pm: PluginManager) -> None:
    assert resolve_model_string("scripted:echo", manager=pm).model is ScriptedModel.ECHO


def test_conflicting_prefix_is_reported_before_parsing_the_rest() -> None:
    pm = make_manager(
        Plugin("copycat", TextProvider(name="closed", client=_CLIENT, open_catalog=True))
    )
    with pytest.raises(PluginConflictError, match="test-providers and copycat"):
        resolve_model_string("closed:alpha-7b", manager=pm)
    assert resolve_model_string("shut:alpha-7b", manager=pm).model is ClosedModel.ALPHA_7B


# -- models as enum members and specs -----------------------------------------------------


def test_resolve_catalog_members_and_specs(pm: PluginManager) -> None:
    assert resolve(ClosedModel.BETA, manager=pm).provider is CLOSED
    assert resolve(ModelSpec("alpha-13b"), manager=pm).model is ClosedModel.ALPHA_13B
    with pytest.raises(ConfigurationError, match="no catalog"):
        resolve(ModelSpec("not-anywhere"), manager=pm)

    class Orphan(Model):
        ONE = ModelSpec("one")

    with pytest.raises(ConfigurationError, match="No loaded provider has the catalog Orphan"):
        resolve(Orphan.ONE, manager=pm)


def test_a_resolved_string_builds_a_working_client(pm: PluginManager) -> None:
    client = ModelClient("scripted:qwen3:8b@http://127.0.0.1:9/v1", manager=pm)
    assert client.chat("hello") == "hello"
    assert client.client.base_url == "http://127.0.0.1:9/v1"
    assert client.model.value == "qwen3:8b"


# -- the default model ------------------------------------------------------------------------


def discovering(name: str, priority: int, found: Callable[[], list[str]]) -> Plugin:
    record = TextProvider(
        name=name,
        client=_CLIENT,
        open_catalog=True,
        discover=found,
        discover_priority=priority,
        aliases=(f"{name}-alias",),
    )
    return Plugin(name, record)


@pytest.fixture
def no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIMU_LANGUAGE_MODEL", raising=False)


def test_default_model_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, pm: PluginManager
) -> None:
    monkeypatch.setenv("AIMU_LANGUAGE_MODEL", "closed:alpha-13b")
    assert default_model_string(manager=pm) == "closed:alpha-13b"
    assert resolve(None, manager=pm).model is ClosedModel.ALPHA_13B

    monkeypatch.setenv("AIMU_LANGUAGE_MODEL", " server:m:1@http://127.0.0.1:5/v1;tools,vision ")
    resolved = resolve(None, manager=pm)
    assert resolved.model.value == "m:1" and resolved.base_url == "http://127.0.0.1:5/v1"
    assert resolved.model.supports_tools and resolved.model.supports_vision

    monkeypatch.setenv("AIMU_LANGUAGE_MODEL", "closed:nope")
    with pytest.raises(ModelNotFoundError):
        resolve(None, manager=pm)


def test_the_environment_wins_over_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    pm = make_manager(discovering("local", 1, lambda: ["found"]))
    monkeypatch.setenv("AIMU_LANGUAGE_MODEL", "scripted:echo")
    assert default_model_string(manager=pm) == "scripted:echo"


def test_discovery_order_and_failures(no_default: None) -> None:
    calls: list[str] = []

    def record(name: str, result: list[str] | Exception) -> Callable[[], list[str]]:
        def discover() -> list[str]:
            calls.append(name)
            if isinstance(result, Exception):
                raise result
            return result

        return discover

    pm = make_manager(
        discovering("late", 50, record("late", ["late-model", "other"])),
        discovering("broken", 1, record("broken", OSError("server down"))),
        discovering("empty", 5, record("empty", [])),
        discovering("later", 90, record("later", ["never-asked"])),
    )
    assert default_model_string(manager=pm) == "late:late-model"
    assert calls == ["broken", "empty", "late"]  # once each, aliases included, by priority

    client = ModelClient(manager=pm)
    assert client.resolved.model_string == "late:late-model"


def test_equal_priorities_are_tried_by_name(no_default: None) -> None:
    pm = make_manager(
        discovering("zeta", 10, lambda: ["z"]), discovering("alpha", 10, lambda: ["a"])
    )
    assert default_model_string(manager=pm) == "alpha:a"


def test_no_default_model_says_how_to_get_one(no_default: None) -> None:
    pm = make_manager(discovering("quiet", 1, list))
    with pytest.raises(ConfigurationError) as info:
        resolve(None, manager=pm)
    message = str(info.value)
    assert "No model was given and none was found locally" in message
    assert "AIMU_LANGUAGE_MODEL" in message
    assert "pip install 'aimu-llamacpp[default-model]'" in message


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://", "names no host"),
        ("https:///v1", "names no host"),
        ("http://:8080/v1", "names no host"),
        ("http://h:99999/v1", "port must be a number from 1 to 65535"),
        ("http://h:-1/v1", "port must be a number from 1 to 65535"),
        ("http://h:port/v1", "port must be a number from 1 to 65535"),
        ("http://h:0/v1", "has port 0"),
        ("http://[::1/v1", "malformed"),
    ],
)
def test_unusable_base_urls_are_rejected_at_resolve(pm: PluginManager, url: str, says: str) -> None:
    with pytest.raises(ConfigurationError, match="write it as http://host:port|port 0") as info:
        resolve_model_string(f"server:m@{url}", manager=pm)
    assert says in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "x" * 1_000_000,  # no provider
        "closed:" + "y" * 1_000_000,  # not in the catalog
        "server:" + "y" * 1_000_000,  # needs a base URL
        "z" * 1_000_000 + ":m",  # a provider name no plugin can have
        "scripted:m;" + "f" * 1_000_000,  # an unknown flag
        "scripted:m@http://" + "h" * 1_000_000 + ":99999",  # a bad port
        "closed:alpha-7b;" + ",".join(["tools"] * 100_000),  # flags on a catalog model
    ],
)
def test_error_messages_quote_long_input_cut_short(pm: PluginManager, text: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_model_string(text, manager=pm)
    assert len(str(info.value)) < 600


def test_a_prefix_no_plugin_can_declare_is_unknown(pm: PluginManager) -> None:
    with pytest.raises(UnknownProviderError, match="lower-case letters") as info:
        resolve_model_string("OpenAI:gpt-4o", manager=pm)
    assert "Installed: closed, scripted, server, shut" in str(info.value)
