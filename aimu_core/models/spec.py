"""Model definitions: :class:`ModelSpec`, the :class:`Model` enum base and :class:`AdHocModel`.

A provider plugin lists the models it knows as a ``Model`` subclass::

    class AnthropicModel(Model):
        CLAUDE_SONNET_4_6 = ModelSpec("claude-sonnet-4-6", tools=True, thinking=True, vision=True)

Each member's ``.value`` is the provider's model id, ``.spec`` the full spec.
A model the catalog does not list (a local GGUF file, a model on a user's own
server) is an :class:`AdHocModel`, built from the ``;flags`` of a model string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..catalog import Catalog, _CatalogMeta

__all__ = ["AdHocModel", "CAPABILITIES", "Model", "ModelSpec"]

#: The capability flags a model string may carry after ``;``.
CAPABILITIES = ("tools", "thinking", "vision")


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """A model id, its capabilities, and generation kwargs the model card recommends.

    Equality and hashing use ``id`` only, so a spec carrying a kwargs dict can
    still be an enum value and a dict key.
    """

    id: str
    tools: bool = False
    thinking: bool = False
    vision: bool = False
    generation_kwargs: Any = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("ModelSpec.id must be a non-empty string")
        # Read-only, so a shared spec cannot be changed through one client.
        object.__setattr__(
            self, "generation_kwargs", MappingProxyType(dict(self.generation_kwargs))
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelSpec) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


class _ModelMeta(_CatalogMeta):
    """Adds the class-level ``TOOL_MODELS``/``THINKING_MODELS``/``VISION_MODELS`` lists."""

    @property
    def TOOL_MODELS(cls) -> list[Model]:
        return [m for m in _members(cls) if m.spec.tools]

    @property
    def THINKING_MODELS(cls) -> list[Model]:
        return [m for m in _members(cls) if m.spec.thinking]

    @property
    def VISION_MODELS(cls) -> list[Model]:
        return [m for m in _members(cls) if m.spec.vision]


def _members(catalog: type) -> list[Model]:
    return list(catalog)  # type: ignore[call-overload]


class Model(Catalog, metaclass=_ModelMeta):
    """Base of every provider's model catalog, declared with :class:`ModelSpec` values.

    A member is declared as ``NAME = ModelSpec("model-id", ...)``, but its
    ``.value`` is the model id string (``"model-id"``), what a client sends to
    its API; ``.spec`` is the :class:`ModelSpec`, and ``supports_tools``,
    ``supports_thinking`` and ``supports_vision`` read its capabilities.
    """

    @classmethod
    def _spec_type(cls) -> type[Any]:
        return ModelSpec

    @property
    def spec(self) -> ModelSpec:
        return self._spec  # type: ignore[attr-defined]

    @property
    def supports_tools(self) -> bool:
        return self.spec.tools

    @property
    def supports_thinking(self) -> bool:
        return self.spec.thinking

    @property
    def supports_vision(self) -> bool:
        return self.spec.vision


@dataclass(frozen=True)
class AdHocModel:
    """A model outside any catalog, with the capabilities its model string declared.

    It quacks like a :class:`Model` member (``value``, ``name``, ``spec``,
    ``supports_*``) so clients need not tell the two apart.
    """

    spec: ModelSpec

    @property
    def value(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.id

    @property
    def supports_tools(self) -> bool:
        return self.spec.tools

    @property
    def supports_thinking(self) -> bool:
        return self.spec.thinking

    @property
    def supports_vision(self) -> bool:
        return self.spec.vision


def capability_hint(model: Model | AdHocModel, capability: str) -> str:
    """How to get *capability* (``tools``, ``thinking``, ``vision``) for *model*'s provider.

    A model outside any catalog takes its capabilities from the ``;flags`` of its
    model string; a catalog member's are fixed, so the hint names the catalog's
    models that have it instead.
    """
    if isinstance(model, AdHocModel):
        return f"add ;{capability} to the model string if the model can do it"
    catalog = type(model)
    able = [m.value for m in _members(catalog) if getattr(m.spec, capability)]
    if not able:
        return f"no model of this provider's catalog has {capability}; use another provider"
    shown = ", ".join(able[:6]) + (", ..." if len(able) > 6 else "")
    return f"use a model of this catalog with {capability}: {shown} (see `aimu models`)"
