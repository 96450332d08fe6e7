"""``Catalog``: the Enum base of every model catalog (text, image and embedding models).

A provider declares the models it knows as members whose values are specs::

    class AnthropicModel(Model):  # Model is a Catalog of ModelSpec values
        CLAUDE_SONNET_4_6 = ModelSpec("claude-sonnet-4-6", tools=True)

A member's ``.value`` is its spec's ``id`` (what the provider's API is sent),
``.spec`` the spec itself; :meth:`Catalog.by_id` finds a member by id.
"""

from __future__ import annotations

from enum import Enum, EnumMeta
from typing import Any, Self

__all__ = ["Catalog"]


class _CatalogMeta(EnumMeta):
    """Refuses a catalog in which two members share an id."""

    def __new__(mcls, name, bases, namespace, **kwargs):
        cls = super().__new__(mcls, name, bases, namespace, **kwargs)
        # Enum would silently make the second member an alias of the first.
        aliases = [n for n, member in cls.__members__.items() if member.name != n]
        if aliases:
            raise ValueError(f"{name}: members {aliases} repeat the id of another member")
        return cls


class Catalog(Enum, metaclass=_CatalogMeta):
    """Members declared with spec values of the type :meth:`_spec_type` names."""

    @classmethod
    def _spec_type(cls) -> type[Any]:
        raise NotImplementedError  # each catalog base names its spec class

    def __new__(cls, spec: Any) -> Self:
        expected = cls._spec_type()
        if not isinstance(spec, expected):
            raise TypeError(
                f"{cls.__name__} members must be {expected.__name__} values, got {spec!r}"
            )
        member = object.__new__(cls)
        member._value_ = spec.id
        member._spec = spec  # type: ignore[attr-defined]
        return member

    @classmethod
    def by_id(cls, model_id: str) -> Self | None:
        """The member whose provider id is *model_id*, or ``None``."""
        member = cls._value2member_map_.get(model_id)
        return member if isinstance(member, cls) else None
