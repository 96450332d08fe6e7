"""``ModelClient`` and ``AsyncModelClient``: the provider-agnostic factories for text clients.

``AsyncModelClient`` is what :mod:`aimu_core.aio` calls ``ModelClient``.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    ConfigurationError,
    PluginError,
    PluginUnavailableError,
    clipped,
    quoted,
)
from ..plugins import PluginManager, get_manager
from ..records import TextProvider, load_object
from .base import AsyncBaseModelClient, BaseModelClient
from .resolve import ResolvedModel, default_model_string, resolve_model_string
from .spec import AdHocModel, Model, ModelSpec

__all__ = ["AsyncModelClient", "ModelClient", "build_client", "load_client_class", "resolve"]

ModelLike = str | Model | ModelSpec | ResolvedModel | None


def resolve(model: ModelLike, *, manager: PluginManager | None = None) -> ResolvedModel:
    """Resolve a model string, catalog member, spec (or ``None`` for the default model)."""
    manager = manager or get_manager()
    if model is None:
        model = default_model_string(manager=manager)
    if isinstance(model, ResolvedModel):
        return model
    if isinstance(model, str):
        return resolve_model_string(model, manager=manager)
    if isinstance(model, Model):
        for record in manager.text_providers.values():
            if record.models is type(model):
                return ResolvedModel(record, model)
        raise ConfigurationError(
            f"No loaded provider has the catalog {type(model).__name__}; is its plugin installed "
            "and allowed? See `aimu plugins`."
        )
    if isinstance(model, ModelSpec):
        matches = {
            (record.name, member)
            for record in manager.text_providers.values()
            if record.models is not None and (member := record.models.by_id(model.id)) is not None
        }
        if len(matches) == 1:
            ((name, member),) = matches
            return ResolvedModel(manager.text_provider(name), member)
        where = (
            "several providers: " + ", ".join(sorted(n for n, _ in matches))
            if matches
            else "no catalog"
        )
        raise ConfigurationError(
            f"ModelSpec {quoted(model.id)} is in {where}; pass a model string "
            f"'provider:{clipped(model.id)}'"
        )
    if isinstance(model, AdHocModel):
        raise ConfigurationError("Pass an ad-hoc model as a string: 'provider:model_id;flags'")
    raise ConfigurationError(
        f"Cannot use {quoted(model)} as a model: pass a string, Model or ModelSpec"
    )


def build_client(resolved: ResolvedModel, *, asynchronous: bool = False, **options: Any) -> Any:
    """Import the provider's client class (sync or async) and build it.

    Raises:
        PluginUnavailableError: the client class cannot be imported.
        PluginError: it is not a ``BaseModelClient`` (``AsyncBaseModelClient`` for
            *asynchronous*) subclass implementing ``_chat``.
    """
    return _build(resolved, asynchronous, None, options)


def load_client_class(resolved: ResolvedModel) -> type:
    """The provider's sync client class for *resolved*, imported and checked (not built)."""
    record = resolved.provider
    return _load_client(record, str(record.client))


def _build(
    resolved: ResolvedModel,
    asynchronous: bool,
    manager: PluginManager | None,
    options: dict[str, Any],
) -> Any:
    record = resolved.provider
    path = record.async_client if asynchronous else record.client
    if path is None:
        from .threaded import ThreadedAsyncClient

        return ThreadedAsyncClient(_build(resolved, False, manager, options))
    cls = _load_client(record, path, asynchronous, manager)
    if resolved.base_url is not None:
        options["base_url"] = resolved.base_url
    return cls(resolved.model, **options)


def _load_client(
    record: TextProvider,
    path: str,
    asynchronous: bool = False,
    manager: PluginManager | None = None,
) -> type:
    """Import the client class *path* of *record* and check it keeps the client contract."""
    try:
        cls = load_object(path)
    except (ImportError, AttributeError) as exc:
        dist = _distribution(record, path, manager)
        raise PluginUnavailableError(
            f"Provider {record.name!r} (plugin {dist}) cannot load its client {path}: "
            f"{type(exc).__name__}: {exc}. Reinstall the plugin with its dependencies: "
            f"pip install --force-reinstall {dist}"
        ) from exc
    except Exception as exc:  # the client module itself is broken
        raise PluginUnavailableError(
            f"Provider {record.name!r} (plugin {_distribution(record, path, manager)}) cannot "
            f"load its client {path}: importing it raised {type(exc).__name__}: {exc}"
        ) from exc
    base = AsyncBaseModelClient if asynchronous else BaseModelClient
    problem = None
    if not (isinstance(cls, type) and issubclass(cls, base)):
        what = f"the class {cls.__name__}" if isinstance(cls, type) else f"a {type(cls).__name__}"
        problem = f"is {what}, not a subclass of aimu_core {base.__name__}"
    elif getattr(cls, "__abstractmethods__", None):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        problem = f"does not implement {missing}"
    if problem:
        kind = "async client" if asynchronous else "client"
        raise PluginError(
            f"Provider {record.name!r} (plugin {_distribution(record, path, manager)}): its "
            f"{kind} {path} {problem}. The plugin is broken: upgrade it or report it to its "
            "authors."
        )
    return cls


def _distribution(record: TextProvider, path: str, manager: PluginManager | None) -> str:
    """The distribution of the plugin that contributed *record*, for messages.

    The plugin's own row when it came from an entry point; else the installed
    distribution holding the client's top-level module; else that module's name.
    """
    try:
        manager = manager or get_manager()
        info = manager.owner("text_providers", record.name)
        if (
            info is not None
            and info.distribution
            and manager.text_providers.get(record.name) is record
        ):
            return info.distribution
    except Exception:  # only wording an error: never raise another one instead
        pass
    top = path.partition(":")[0].split(".")[0]
    try:
        import importlib_metadata

        found = importlib_metadata.packages_distributions().get(top)
    except Exception:
        found = None
    return found[0] if found else top.replace("_", "-")


class _ProviderFacade:
    """What both factories share: every attribute is the provider client's."""

    client: Any
    resolved: ResolvedModel

    def __init__(
        self,
        model: ModelLike = None,
        *,
        system_message: str | None = None,
        manager: PluginManager | None = None,
        **options: Any,
    ) -> None:
        resolved = resolve(model, manager=manager)
        client = _build(
            resolved, self._asynchronous, manager, {"system_message": system_message, **options}
        )
        object.__setattr__(self, "client", client)
        object.__setattr__(self, "resolved", resolved)

    _asynchronous = False

    def reset(self, *args: Any, **kwargs: Any) -> None:
        self.client.reset(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.client, name, value)

    def __repr__(self) -> str:
        return (
            f"{self._label}({self.resolved.model_string!r}, messages={len(self.client.messages)})"
        )

    _label = "ModelClient"


class ModelClient(_ProviderFacade):
    """A client for any model, dispatched to the provider that serves it.

    ``ModelClient("openai:gpt-4o")``, ``ModelClient(OllamaModel.QWEN3_8B)``,
    ``ModelClient(spec)`` or ``ModelClient()`` for the default model. Provider
    options (``base_url``, ``api_key``, ``timeout``, ``model_path`` ...) are
    passed to the provider's client. Every attribute and method is the
    provider client's; ``.client`` is the provider client itself.
    """

    client: BaseModelClient

    def chat(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.chat(*args, **kwargs)

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.generate(*args, **kwargs)


class AsyncModelClient(_ProviderFacade):
    """Async twin of :class:`ModelClient` (``aimu_core.aio.ModelClient``): builds the
    provider's async client; ``await client.chat(...)``."""

    client: AsyncBaseModelClient
    _asynchronous = True
    _label = "aio.ModelClient"

    async def chat(self, *args: Any, **kwargs: Any) -> Any:
        return await self.client.chat(*args, **kwargs)

    async def generate(self, *args: Any, **kwargs: Any) -> Any:
        return await self.client.generate(*args, **kwargs)
