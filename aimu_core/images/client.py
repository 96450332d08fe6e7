"""``ImageClient`` and ``AsyncImageClient``: the provider-agnostic factories for image clients.

``AsyncImageClient`` is what :mod:`aimu_core.aio` calls ``ImageClient``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError, PluginError, PluginUnavailableError, clipped, quoted
from ..plugins import PluginManager, get_manager
from ..records import ImageProvider, load_object
from .base import AsyncBaseImageClient, BaseImageClient, ThreadedAsyncImageClient
from .resolve import ResolvedImageModel, default_image_model_string, resolve_image_model_string
from .spec import AdHocImageModel, ImageModel, ImageSpec

__all__ = [
    "AsyncImageClient",
    "ImageClient",
    "async_generate_image",
    "async_image_client",
    "load_client_class",
    "resolve_image_model",
]

ImageModelLike = str | ImageModel | ImageSpec | ResolvedImageModel | None


def resolve_image_model(
    model: ImageModelLike, *, manager: PluginManager | None = None
) -> ResolvedImageModel:
    """Resolve an image model string, catalog member, spec (or ``None``: the default)."""
    manager = manager or get_manager()
    if model is None:
        model = default_image_model_string(manager=manager)
    if isinstance(model, ResolvedImageModel):
        return model
    if isinstance(model, str):
        return resolve_image_model_string(model, manager=manager)
    if isinstance(model, ImageModel):
        for record in manager.image_providers.values():
            if record.models is type(model):
                return ResolvedImageModel(record, model)
        raise ConfigurationError(
            f"No loaded image provider has the catalog {type(model).__name__}; is its plugin "
            "installed and allowed? See `aimu plugins`."
        )
    if isinstance(model, ImageSpec):
        matches = {
            (name, member)
            for name, record in manager.image_providers.items()
            if name == record.name
            and record.models is not None
            and (member := record.models.by_id(model.id)) is not None  # type: ignore[attr-defined]
        }
        if len(matches) == 1:
            ((name, member),) = matches
            return ResolvedImageModel(manager.image_provider(name), member)
        where = (
            "several image providers: " + ", ".join(sorted(n for n, _ in matches))
            if matches
            else "no image catalog"
        )
        raise ConfigurationError(
            f"ImageSpec {quoted(model.id)} is in {where}; pass a model string "
            f"'provider:{clipped(model.id)}'"
        )
    if isinstance(model, AdHocImageModel):
        raise ConfigurationError("Pass an ad-hoc image model as a string: 'provider:model_id'")
    raise ConfigurationError(
        f"Cannot use {quoted(model)} as an image model: pass a string, ImageModel or ImageSpec"
    )


def _build(resolved: ResolvedImageModel, asynchronous: bool, options: dict[str, Any]) -> Any:
    record = resolved.provider
    path = record.async_client if asynchronous else record.client
    if path is None:
        return ThreadedAsyncImageClient(_build(resolved, False, options))
    cls = _load_client(record, path, asynchronous)
    if resolved.base_url is not None:
        options["base_url"] = resolved.base_url
    _check_options(record, cls, options)
    return cls(resolved.model, **options)


def _check_options(record: ImageProvider, cls: type, options: dict[str, Any]) -> None:
    """Refuse an option no ``__init__`` on *cls*'s way to the base takes, naming those that are."""
    accepted = _accepted_options(cls)
    unknown = [key for key in options if key not in accepted]
    if unknown:
        raise ConfigurationError(
            f"Image provider {record.name!r} takes no option {quoted(unknown[0])}; its options "
            f"are: {', '.join(accepted) or 'none'}"
        )


def option_names(resolved: ResolvedImageModel) -> tuple[set[str], list[str]]:
    """The generation kwargs and the constructor options of *resolved*'s client class
    (what ``aimu models --options`` lists)."""
    cls = load_client_class(resolved)
    return set(cls.SUPPORTED_KWARGS) | set(cls.NATIVE_KWARGS), _accepted_options(cls)


def _accepted_options(cls: type) -> list[str]:
    """The keyword parameters of every ``__init__`` on *cls*'s way to the base."""
    import inspect

    accepted: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        accepted += [
            p.name
            for p in params
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
            and p.name not in ("self", "model")
            and p.name not in accepted
        ]
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return accepted


def load_client_class(resolved: ResolvedImageModel) -> type[BaseImageClient]:
    """The provider's sync client class for *resolved*, imported and checked (not built):
    what ``aimu image`` reads ``NATIVE_KWARGS`` from."""
    return _load_client(resolved.provider, resolved.provider.client, False)


def _load_client(record: ImageProvider, path: str, asynchronous: bool) -> type:
    """Import the client class *path* of *record* and check it keeps the image contract."""
    dist = _distribution(record)
    try:
        cls = load_object(path)
    except (ImportError, AttributeError) as exc:
        raise PluginUnavailableError(
            f"Image provider {record.name!r} (plugin {dist}) cannot load its client {path}: "
            f"{type(exc).__name__}: {exc}. Reinstall the plugin with its dependencies: "
            f"pip install --force-reinstall {dist}"
        ) from exc
    except Exception as exc:
        raise PluginUnavailableError(
            f"Image provider {record.name!r} (plugin {dist}) cannot load its client {path}: "
            f"importing it raised {type(exc).__name__}: {exc}"
        ) from exc
    base = AsyncBaseImageClient if asynchronous else BaseImageClient
    problem = None
    if not (isinstance(cls, type) and issubclass(cls, base)):
        what = f"the class {cls.__name__}" if isinstance(cls, type) else f"a {type(cls).__name__}"
        problem = f"is {what}, not a subclass of aimu_core.images.{base.__name__}"
    elif getattr(cls, "__abstractmethods__", None):
        problem = f"does not implement {', '.join(sorted(cls.__abstractmethods__))}"
    if problem:
        kind = "async client" if asynchronous else "client"
        raise PluginError(
            f"Image provider {record.name!r} (plugin {dist}): its {kind} {path} {problem}. "
            "The plugin is broken: upgrade it or report it to its authors."
        )
    return cls


def _distribution(record: ImageProvider) -> str:
    """The distribution that contributed *record*, for messages (else its module's name)."""
    try:
        info = get_manager().owner("image_providers", record.name)
        if info is not None and info.distribution:
            return info.distribution
    except Exception:  # only wording an error
        pass
    return record.client.partition(":")[0].split(".")[0].replace("_", "-")


class _ImageFacade:
    """What both factories share: every attribute is the provider client's."""

    client: Any
    resolved: ResolvedImageModel
    _asynchronous = False
    _label = "ImageClient"

    def __init__(
        self, model: ImageModelLike = None, *, manager: PluginManager | None = None, **options: Any
    ) -> None:
        resolved = resolve_image_model(model, manager=manager)
        object.__setattr__(self, "client", _build(resolved, self._asynchronous, options))
        object.__setattr__(self, "resolved", resolved)

    @property
    def model_string(self) -> str:
        """``provider:model_id[@url]``, the URL's userinfo masked."""
        return self.resolved.model_string

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.client, name, value)

    def __repr__(self) -> str:
        return f"{self._label}({self.resolved.model_string!r})"


class ImageClient(_ImageFacade):
    """An image client for any image model, dispatched to the provider that serves it.

    ``ImageClient("hf:stabilityai/sd-turbo")``, ``ImageClient(GeminiImageModel.FLASH_IMAGE)``,
    ``ImageClient(spec)`` or ``ImageClient()`` for ``AIMU_IMAGE_MODEL``. Provider
    options (``api_key``, ``device``, ``output_dir`` ...) go to the provider's
    client; ``.client`` is that client.
    """

    client: BaseImageClient

    def generate(self, prompt: str, **kwargs: Any) -> Any:
        """See :meth:`aimu_core.images.BaseImageClient.generate`."""
        return self.client.generate(prompt, **kwargs)


class AsyncImageClient(_ImageFacade):
    """Async twin of :class:`ImageClient` (``aimu_core.aio.ImageClient``)."""

    client: AsyncBaseImageClient
    _asynchronous = True
    _label = "aio.ImageClient"

    async def generate(self, prompt: str, **kwargs: Any) -> Any:
        """See :meth:`aimu_core.images.BaseImageClient.generate`."""
        return await self.client.generate(prompt, **kwargs)


def async_image_client(model: Any = None, **options: Any) -> AsyncImageClient:
    """Async twin of :func:`aimu_core.image_client` (``aimu_core.aio.image_client``)."""
    return AsyncImageClient(model, **options)


async def async_generate_image(
    prompt: str,
    *,
    model: Any = None,
    num_images: int = 1,
    format: str = "pil",
    reference_image: Any = None,
    generate_kwargs: Mapping[str, Any] | None = None,
    stream: bool = False,
    **options: Any,
) -> Any:
    """Async twin of :func:`aimu_core.generate_image` (``aimu_core.aio.generate_image``)."""
    result = await async_image_client(model, **options).generate(
        prompt,
        num_images=num_images,
        format=format,
        reference_image=reference_image,
        generate_kwargs=generate_kwargs,
        stream=stream,
    )
    return result if stream or num_images > 1 else result[0]
