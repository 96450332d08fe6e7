"""Text models: the client contract, the factory, model specs and streaming types."""

from .base import BaseModelClient
from .client import ModelClient
from .delta import Delta, ToolCallAccumulator, ToolCallDelta
from .generate_kwargs import PORTABLE_KWARGS
from .resolve import ResolvedModel, default_model_string, resolve_model_string
from .spec import CAPABILITIES, AdHocModel, Model, ModelSpec
from .stream import Phase, StreamChunk
from .thinking import ThinkSplitter

__all__ = [
    "CAPABILITIES",
    "PORTABLE_KWARGS",
    "AdHocModel",
    "BaseModelClient",
    "Delta",
    "Model",
    "ModelClient",
    "ModelSpec",
    "Phase",
    "ResolvedModel",
    "StreamChunk",
    "ThinkSplitter",
    "ToolCallAccumulator",
    "ToolCallDelta",
    "default_model_string",
    "resolve_model_string",
]
