"""Everything a provider plugin needs, from one import place.

A text provider is its catalog (a :class:`Model` enum of :class:`ModelSpec`),
its hook (``aimu_text_providers`` returning :class:`TextProvider` records),
a client class implementing ``_chat`` (yielding :class:`Delta` pieces) and,
for a network API, an error table. ``docs/how-to/write-a-plugin.md`` walks
through one; the contract itself is documented on :class:`BaseModelClient`,
:class:`Delta` and :class:`TextProvider`.

Plugins import from here (and from :mod:`aimu_core.testing` in their tests)
rather than from the modules below, which may move. Names load on first use,
so a plugin module that imports ``hookimpl`` and ``TextProvider`` at discovery
time pulls in nothing else.

What is here, by purpose:

* the hook marker and plugin API: :data:`hookimpl`, :data:`PLUGIN_API_VERSION`,
  the records (:class:`TextProvider`, :class:`ImageProvider`, ...);
* the client contract: :class:`BaseModelClient`, :class:`AsyncBaseModelClient`,
  :class:`Delta`, :class:`ToolCallDelta`, :data:`PORTABLE_KWARGS`, :data:`FINISH_REASONS`;
* models: :class:`Model`, :class:`ModelSpec`, :class:`AdHocModel`;
* the image contract (``aimu_image_providers``): :class:`BaseImageClient`,
  :class:`AsyncBaseImageClient` (implement ``_generate``), :class:`ImageModel`,
  :class:`ImageSpec`, :class:`AdHocImageModel`, :data:`IMAGE_KWARGS`, :data:`OnStep`,
  :class:`StreamAbandoned`;
* embeddings: :class:`BaseEmbeddingClient`, :class:`AsyncBaseEmbeddingClient` (one
  ``_embed`` each), :class:`EmbeddingModel`, :class:`EmbeddingSpec` (a record's
  ``embedding_client=`` and ``embedding_models=``); :func:`embedding_client` to build one;
* memory backends (``aimu_memory_backends``): :class:`MemoryStore` (the contract),
  :class:`MemoryItem`, :class:`MemoryHit`, :func:`check_metadata`, :func:`metadata_per_text`;
* images in user messages: :data:`ImageInput`, :func:`image_part`, :func:`split_data_url`;
* calling an SDK: :func:`sdk_deltas`, :func:`async_sdk_deltas`, :class:`LoopLocal`,
  :func:`tool_arguments`;
* structured output (``schema=``): override ``_native_schema(schema: OutputSchema)``
  to return a :class:`NativeSchema` (request kwargs, or a forced output tool);
* raw text of in-process models: :func:`content_text`, :class:`ToolCallExtractor`, :func:`parse_call`,
  :func:`plain_transcript`, :data:`TRANSCRIPT_STOP`, :class:`Trim`;
* errors: the :mod:`aimu_core.errors` classes, :func:`redact`,
  :func:`translate_sdk_error`, :func:`url_secrets`, :func:`url_basic_auth` and :func:`mask_url` (a
  URL's ``user:password@`` as secrets, as a header for the SDK, and shown as ``***@``), :func:`quoted` (user input
  in a message, capped), and the HTTP mapping of :mod:`aimu_core.http_errors`
  (:class:`ErrorContext`, :func:`status_error`, :func:`transport_error`, ...).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_ERRORS = (
    "AimuError",
    "AuthenticationError",
    "ConfigurationError",
    "ContentBlockedError",
    "ContextLengthError",
    "MemoryStoreError",
    "MetadataError",
    "ModelNotFoundError",
    "PluginError",
    "PluginUnavailableError",
    "ProviderConnectionError",
    "ProviderError",
    "RateLimitError",
    "RequestTimeoutError",
    "StreamInterruptedError",
    "ToolArgumentError",
    "ToolError",
    "ToolServerError",
    "clipped",
    "mask_url",
    "quoted",
    "redact",
    "translate_sdk_error",
    "url_basic_auth",
    "url_secrets",
)
_HTTP_ERRORS = (
    "ErrorContext",
    "connection_error",
    "context_error",
    "invalid_response",
    "is_context_length",
    "retry_after",
    "status_error",
    "stream_error",
    "stream_interrupted",
    "timeout_error",
    "transport_error",
)

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "hookimpl": "aimu_core.hookspecs",
    "PLUGIN_API_VERSION": "aimu_core.plugins",
    "ImageProvider": "aimu_core.records",
    "MemoryBackend": "aimu_core.records",
    "RunnerRecord": "aimu_core.records",
    "TextProvider": "aimu_core.records",
    "ToolRecord": "aimu_core.records",
    "AdHocModel": "aimu_core.models.spec",
    "Model": "aimu_core.models.spec",
    "ModelSpec": "aimu_core.models.spec",
    "AsyncBaseEmbeddingClient": "aimu_core.embeddings.base",
    "BaseEmbeddingClient": "aimu_core.embeddings.base",
    "EmbeddingModel": "aimu_core.embeddings.spec",
    "EmbeddingSpec": "aimu_core.embeddings.spec",
    "embedding_client": "aimu_core.embeddings.client",
    "MemoryHit": "aimu_core.memory.base",
    "MemoryItem": "aimu_core.memory.base",
    "MemoryStore": "aimu_core.memory.base",
    "check_metadata": "aimu_core.memory.base",
    "metadata_per_text": "aimu_core.memory.base",
    "AsyncBaseModelClient": "aimu_core.models.base",
    "BaseModelClient": "aimu_core.models.base",
    "Delta": "aimu_core.models.delta",
    "FINISH_REASONS": "aimu_core.models.delta",
    "ToolCallDelta": "aimu_core.models.delta",
    "PORTABLE_KWARGS": "aimu_core.models.generate_kwargs",
    "AdHocImageModel": "aimu_core.images.spec",
    "ImageModel": "aimu_core.images.spec",
    "ImageSpec": "aimu_core.images.spec",
    "AsyncBaseImageClient": "aimu_core.images.base",
    "BaseImageClient": "aimu_core.images.base",
    "IMAGE_KWARGS": "aimu_core.images.base",
    "OnStep": "aimu_core.images.base",
    "StreamAbandoned": "aimu_core.images.base",
    "ImageInput": "aimu_core.models.images",
    "image_part": "aimu_core.models.images",
    "split_data_url": "aimu_core.models.images",
    "LoopLocal": "aimu_core.models.loop_local",
    "NativeSchema": "aimu_core.models.structured",
    "OutputSchema": "aimu_core.models.structured",
    "async_sdk_deltas": "aimu_core.sdk_calls",
    "sdk_deltas": "aimu_core.sdk_calls",
    "tool_arguments": "aimu_core.sdk_calls",
    "TRANSCRIPT_STOP": "aimu_core.models.text_replies",
    "ToolCallExtractor": "aimu_core.models.text_replies",
    "Trim": "aimu_core.models.text_replies",
    "content_text": "aimu_core.models.text_replies",
    "parse_call": "aimu_core.models.text_replies",
    "plain_transcript": "aimu_core.models.text_replies",
    **dict.fromkeys(_ERRORS, "aimu_core.errors"),
    **dict.fromkeys(_HTTP_ERRORS, "aimu_core.http_errors"),
}

__all__ = sorted(_LAZY)

# A lazy namespace, like the packages' __init__ modules: these imports are for type
# checkers only (at run time __getattr__ loads each name on first use).
# ruff: noqa: F401
if TYPE_CHECKING:
    from .embeddings.base import AsyncBaseEmbeddingClient, BaseEmbeddingClient
    from .embeddings.client import embedding_client
    from .embeddings.spec import EmbeddingModel, EmbeddingSpec
    from .errors import (
        AimuError,
        AuthenticationError,
        ConfigurationError,
        ContentBlockedError,
        ContextLengthError,
        MemoryStoreError,
        MetadataError,
        ModelNotFoundError,
        PluginError,
        PluginUnavailableError,
        ProviderConnectionError,
        ProviderError,
        RateLimitError,
        RequestTimeoutError,
        StreamInterruptedError,
        ToolArgumentError,
        ToolError,
        ToolServerError,
        clipped,
        mask_url,
        quoted,
        redact,
        translate_sdk_error,
        url_basic_auth,
        url_secrets,
    )
    from .hookspecs import hookimpl
    from .http_errors import (
        ErrorContext,
        connection_error,
        context_error,
        invalid_response,
        is_context_length,
        retry_after,
        status_error,
        stream_error,
        stream_interrupted,
        timeout_error,
        transport_error,
    )
    from .images.base import (
        IMAGE_KWARGS,
        AsyncBaseImageClient,
        BaseImageClient,
        OnStep,
        StreamAbandoned,
    )
    from .images.spec import AdHocImageModel, ImageModel, ImageSpec
    from .memory.base import MemoryHit, MemoryItem, MemoryStore, check_metadata, metadata_per_text
    from .models.base import AsyncBaseModelClient, BaseModelClient
    from .models.delta import FINISH_REASONS, Delta, ToolCallDelta
    from .models.generate_kwargs import PORTABLE_KWARGS
    from .models.images import ImageInput, image_part, split_data_url
    from .models.loop_local import LoopLocal
    from .models.spec import AdHocModel, Model, ModelSpec
    from .models.structured import NativeSchema, OutputSchema
    from .models.text_replies import (
        TRANSCRIPT_STOP,
        ToolCallExtractor,
        Trim,
        content_text,
        parse_call,
        plain_transcript,
    )
    from .plugins import PLUGIN_API_VERSION
    from .records import ImageProvider, MemoryBackend, RunnerRecord, TextProvider, ToolRecord
    from .sdk_calls import async_sdk_deltas, sdk_deltas, tool_arguments


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aimu_core.provider' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
