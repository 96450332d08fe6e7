"""Image model definitions: :class:`ImageSpec`, the :class:`ImageModel` enum base and
:class:`AdHocImageModel`.

A provider plugin lists the image models it knows as an ``ImageModel`` subclass::

    class MyImageModel(ImageModel):
        TURBO = ImageSpec("my-turbo", image_to_image=True, steps=(1, 50), seeded=True,
                          generation_kwargs={"steps": 4})

Each member's ``.value`` is the provider's model id, ``.spec`` the full spec. A
model outside the catalog (a local pipeline directory) is an
:class:`AdHocImageModel`, for providers whose record sets ``open_catalog``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..catalog import Catalog

__all__ = ["AdHocImageModel", "ImageModel", "ImageSpec"]


@dataclass(frozen=True, eq=False)
class ImageSpec:
    """An image model id, what it can do, and the generation kwargs its card recommends.

    Attributes:
        id: the provider's model id.
        image_to_image: takes a ``reference_image`` (image-to-image or editing).
        sizes: the ``(width, height)`` pairs it accepts; empty when any size goes
            (the provider may still refuse one).
        steps: the ``(fewest, most)`` denoising steps it accepts; ``None`` when it
            has no step count to set (most cloud models): ``steps=`` then warns once
            and is ignored.
        seeded: the same ``seed`` (and prompt and kwargs) gives the same image.
        generation_kwargs: defaults in the portable vocabulary (``steps``,
            ``guidance`` ...); the call's ``generate_kwargs`` win.

    Equality and hashing use ``id`` only, like :class:`~aimu_core.models.ModelSpec`.
    """

    id: str
    image_to_image: bool = False
    sizes: tuple[tuple[int, int], ...] = ()
    steps: tuple[int, int] | None = None
    seeded: bool = False
    generation_kwargs: Any = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("ImageSpec.id must be a non-empty string")
        sizes = tuple(tuple(size) for size in self.sizes)
        if not all(len(s) == 2 and all(_positive_int(n) for n in s) for s in sizes):
            raise ValueError(f"ImageSpec.sizes must be (width, height) pairs, got {self.sizes!r}")
        object.__setattr__(self, "sizes", sizes)
        if self.steps is not None:
            low, high = self.steps
            if not (_positive_int(low) and _positive_int(high) and low <= high):
                raise ValueError(f"ImageSpec.steps must be (fewest, most), got {self.steps!r}")
        object.__setattr__(
            self, "generation_kwargs", MappingProxyType(dict(self.generation_kwargs))
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ImageSpec) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class ImageModel(Catalog):
    """Base of every provider's image catalog, declared with :class:`ImageSpec` values.

    A member's ``.value`` is the model id, ``.spec`` the :class:`ImageSpec`.
    """

    @classmethod
    def _spec_type(cls) -> type[Any]:
        return ImageSpec

    @property
    def spec(self) -> ImageSpec:
        return self._spec  # type: ignore[attr-defined]

    @property
    def supports_image_to_image(self) -> bool:
        return self.spec.image_to_image


@dataclass(frozen=True)
class AdHocImageModel:
    """An image model outside any catalog (``hf:/models/my-pipeline``).

    It quacks like an :class:`ImageModel` member. Its spec claims what the
    provider may allow (reference images, any size, 1 to 1000 steps); a client
    that learns the truth when it loads the model replaces ``client.spec``.
    """

    spec: ImageSpec

    @classmethod
    def for_id(cls, model_id: str) -> AdHocImageModel:
        return cls(ImageSpec(model_id, image_to_image=True, steps=(1, 1000)))

    @property
    def value(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.id

    @property
    def supports_image_to_image(self) -> bool:
        return self.spec.image_to_image
