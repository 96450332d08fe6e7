"""The declarative records plugin hooks return.

A record says *what* a plugin contributes and *where* to find the code, as a
``"module:attribute"`` import path. The path is imported only when the thing is
used, so listing plugins, resolving a model string or printing ``aimu models``
never imports a provider SDK.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # records must not import the models package (it imports the plugins)
    from .embeddings.spec import EmbeddingModel
    from .models.spec import Model

__all__ = [
    "ImageProvider",
    "MemoryBackend",
    "RunnerRecord",
    "TextProvider",
    "ToolRecord",
    "load_object",
]

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def load_object(path: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute."""
    module_name, _, attr = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _check_name(kind: str, name: object) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"{kind} name {name!r} is invalid: use lower-case letters, digits, '-' or '_'"
        )


def _check_path(field: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not _IMPORT_PATH.match(value):
        raise ValueError(f"{field}={value!r} must be an import path like 'package.module:Class'")


@dataclass(frozen=True)
class TextProvider:
    """A text-model provider, returned by ``aimu_text_providers``.

    A record names a chat client, an embedding client, or both; each is
    registered under the record's prefixes in its own namespace (``aimu models``
    marks which is which), with the same conflict, policy and isolation rules.

    Attributes:
        name: the model-string prefix (``"openai"`` in ``"openai:gpt-4o"``).
        client: import path of the sync client class, a ``BaseModelClient``
            subclass built as ``cls(model, base_url=..., **options)``; ``None``
            for a record that only offers embeddings.
        async_client: import path of the async twin, an
            ``aimu_core.aio.AsyncBaseModelClient`` subclass, or ``None``.
        models: the catalog, a :class:`~aimu_core.models.Model` subclass.
        aliases: other prefixes that select this provider.
        open_catalog: any model id is accepted (a local server's or file's),
            with capabilities taken from the model string's ``;flags``.
        open_model_id: how such an id looks, for ``aimu models``: ``<id>``, or
            e.g. ``/path/to/model.gguf`` for a provider that takes files.
        accepts_base_url: ``@base_url`` may follow the model id.
        requires_base_url: ``@base_url`` must follow the model id.
        default_base_url: where the provider's server usually listens.
        needs: what using it requires, e.g. ``("env:OPENAI_API_KEY",)``; shown
            by ``aimu models`` and in errors.
        discover: a cheap callable returning model ids available *locally right
            now* (never the network beyond loopback); used to pick a default
            model. Called in ascending ``discover_priority`` order.
        description: one line for ``aimu plugins`` and ``aimu models``.
        embedding_client: import path of the sync embedding client, an
            ``aimu_core.embeddings.BaseEmbeddingClient`` subclass built as
            ``cls(spec, base_url=..., **options)`` with an ``EmbeddingSpec``.
        async_embedding_client: its async twin (``AsyncBaseEmbeddingClient``);
            ``None`` runs the sync one on a worker thread.
        embedding_models: the embedding catalog, an ``EmbeddingModel`` subclass
            (``open_catalog`` applies to it too).
        embedding_discover: like ``discover``, for embedding models: picks the
            default embedding model without network.
    """

    name: str
    client: str | None = None
    async_client: str | None = None
    models: type[Model] | None = None
    aliases: tuple[str, ...] = ()
    open_catalog: bool = False
    open_model_id: str = "<id>"
    accepts_base_url: bool = False
    requires_base_url: bool = False
    default_base_url: str | None = None
    needs: tuple[str, ...] = ()
    discover: Callable[[], list[str]] | None = None
    discover_priority: int = 100
    description: str = ""
    embedding_client: str | None = None
    async_embedding_client: str | None = None
    embedding_models: type[EmbeddingModel] | None = None
    embedding_discover: Callable[[], list[str]] | None = None

    def __post_init__(self) -> None:
        _check_name("provider", self.name)
        for alias in self.aliases:
            _check_name("provider alias", alias)
        if self.client is None and self.embedding_client is None:
            raise ValueError("a provider needs a client, an embedding_client, or both")
        _check_path("client", self.client, optional=True)
        _check_path("async_client", self.async_client, optional=True)
        _check_path("embedding_client", self.embedding_client, optional=True)
        _check_path("async_embedding_client", self.async_embedding_client, optional=True)
        from .models.spec import Model

        if self.models is not None and not (
            isinstance(self.models, type) and issubclass(self.models, Model)
        ):
            raise ValueError(f"models={self.models!r} must be a subclass of aimu_core.models.Model")
        if self.client is not None and self.models is None and not self.open_catalog:
            raise ValueError("a provider needs a models catalog, or open_catalog=True")
        if self.embedding_client is not None:
            from .embeddings.spec import EmbeddingModel

            if self.embedding_models is not None and not (
                isinstance(self.embedding_models, type)
                and issubclass(self.embedding_models, EmbeddingModel)
            ):
                raise ValueError(
                    f"embedding_models={self.embedding_models!r} must be a subclass of "
                    "aimu_core.embeddings.EmbeddingModel"
                )
            if self.embedding_models is None and not self.open_catalog:
                raise ValueError(
                    "an embedding provider needs an embedding_models catalog, or open_catalog=True"
                )
        for field_name in ("discover", "embedding_discover"):
            value = getattr(self, field_name)
            if value is not None and not callable(value):
                raise ValueError(f"{field_name} must be a callable returning a list of model ids")
        if self.requires_base_url and not self.accepts_base_url:
            raise ValueError("requires_base_url=True needs accepts_base_url=True")

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class ImageProvider:
    """An image-generation provider, returned by ``aimu_image_providers``.

    Same shape as :class:`TextProvider`: ``client`` names a
    ``aimu_core.images.BaseImageClient`` subclass (``async_client`` an
    ``AsyncBaseImageClient`` one; without it the sync client runs on a worker
    thread), ``models`` the catalog, an ``aimu_core.images.ImageModel``
    subclass, and ``open_catalog`` accepts any model id (a local pipeline
    directory) as an ``AdHocImageModel``.
    """

    name: str
    client: str
    async_client: str | None = None
    models: type[Enum] | None = None
    aliases: tuple[str, ...] = ()
    open_catalog: bool = False
    accepts_base_url: bool = False
    requires_base_url: bool = False
    needs: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        _check_name("image provider", self.name)
        if self.requires_base_url and not self.accepts_base_url:
            raise ValueError("requires_base_url=True needs accepts_base_url=True")
        for alias in self.aliases:
            _check_name("image provider alias", alias)
        _check_path("client", self.client)
        _check_path("async_client", self.async_client, optional=True)
        from .images.spec import ImageModel

        if self.models is not None and not (
            isinstance(self.models, type) and issubclass(self.models, ImageModel)
        ):
            raise ValueError(
                f"models={self.models!r} must be a subclass of aimu_core.images.ImageModel"
            )
        if self.models is None and not self.open_catalog:
            raise ValueError("an image provider needs a models catalog, or open_catalog=True")

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class RunnerRecord:
    """A runner (agent or workflow class), returned by ``aimu_runners``.

    ``runner`` is the import path of a ``Runner`` subclass; ``async_runner``
    that of its ``aimu_core.aio`` twin, if any.
    """

    name: str
    runner: str
    async_runner: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        _check_name("runner", self.name)
        _check_path("runner", self.runner)
        _check_path("async_runner", self.async_runner, optional=True)


#: A tool's name: a word, or ``group.word`` (``time.now``); the group selects all its tools.
_TOOL_NAME = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)?$")


@dataclass(frozen=True)
class ToolRecord:
    """A ready-made tool, returned by ``aimu_tools``.

    Attributes:
        name: what users look it up by: ``"calculator"``, or ``"group.tool"``
            (``"files.read"``); the group name (``"files"``) selects every tool in it.
        tool: import path of an ``@aimu_core.tool`` function, or with ``factory``
            of a callable taking keyword options (``root=`` ...) and returning one.
        factory: the tool must be bound to something first (a folder, a store):
            ``aimu_core.tools.get(name, **options)`` calls the factory with the options.
        description: one line for ``aimu tools``.
    """

    name: str
    tool: str
    description: str = ""
    factory: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _TOOL_NAME.match(self.name):
            raise ValueError(
                f"tool name {self.name!r} is invalid: use lower-case letters, digits, '-' or "
                "'_', optionally after a group and a dot ('files.read')"
            )
        _check_path("tool", self.tool)

    @property
    def group(self) -> str | None:
        """The part before the dot (``"files"`` of ``"files.read"``), or ``None``."""
        group, dot, _ = self.name.partition(".")
        return group if dot else None


@dataclass(frozen=True)
class MemoryBackend:
    """A memory store backend, returned by ``aimu_memory_backends``."""

    name: str
    backend: str
    needs: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        _check_name("memory backend", self.name)
        _check_path("backend", self.backend)
