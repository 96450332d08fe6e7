"""Image model strings (``provider:model_id[@base_url]``) and the default image model.

The same grammar as text model strings (:mod:`aimu_core.models.resolve`),
resolved against the image providers: the ``aimu_image_providers`` hook's
prefixes are a namespace of their own, so ``hf`` may name a text provider and
an image provider at once. Image model strings take no ``;flags``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import ConfigurationError, mask_url, quoted
from ..models.resolve import _parse, _unknown_model
from ..plugins import PluginManager, get_manager
from ..records import ImageProvider
from .spec import AdHocImageModel, ImageModel

__all__ = ["ResolvedImageModel", "default_image_model_string", "resolve_image_model_string"]

_EXAMPLE = "e.g. 'hf:stabilityai/sd-turbo' or 'gemini:gemini-2.5-flash-image'"


@dataclass(frozen=True)
class ResolvedImageModel:
    """An image model string resolved against the loaded image providers.

    ``base_url`` is the URL as given; ``repr()`` and :attr:`model_string` mask its userinfo.
    """

    provider: ImageProvider
    model: ImageModel | AdHocImageModel
    base_url: str | None = field(default=None, repr=False)

    @property
    def model_string(self) -> str:
        text = f"{self.provider.name}:{self.model.value}"
        return f"{text}@{mask_url(self.base_url)}" if self.base_url else text

    def __repr__(self) -> str:
        url = mask_url(self.base_url) if self.base_url is not None else None
        return f"ResolvedImageModel(provider={self.provider!r}, model={self.model!r}, base_url={url!r})"


def resolve_image_model_string(
    text: str, *, manager: PluginManager | None = None
) -> ResolvedImageModel:
    """Resolve ``provider:model_id[@base_url]`` to an image provider and model.

    The text parser's rules (:func:`aimu_core.models.resolve_model_string`), in the
    image namespace; image model strings take no ``;flags``.

    Raises:
        ConfigurationError: empty string, no provider, ``;flags``, or ``@url`` where not allowed.
        UnknownProviderError: no loaded plugin has the image prefix (lists installed ones).
        PluginUnavailableError / PluginConflictError: as for text model strings.
        ModelNotFoundError: the id is not in the catalog (lists close matches).
    """
    # The two errors whose fix is an example: give image ones (the rest are the parser's).
    if not isinstance(text, str) or not text.strip():
        raise ConfigurationError(
            f"The image model string is empty; write provider:model_id, {_EXAMPLE}"
        )
    if ":" not in text.partition("@")[0]:
        raise ConfigurationError(
            f"Image model string {quoted(text.strip())} names no provider; write "
            f"provider:model_id, {_EXAMPLE}"
        )
    shown, prefix, provider, model_id, base_url, flags = _parse(text, manager, "image_providers")
    if flags:
        raise ConfigurationError(
            f"Image model string {quoted(shown)}: image models take no ;flags, remove them"
        )
    record: ImageProvider = provider  # type: ignore[assignment]  # the image namespace's
    catalog = record.models
    member = catalog.by_id(model_id) if catalog is not None else None  # type: ignore[attr-defined]
    if member is not None:
        return ResolvedImageModel(record, member, base_url or None)
    if record.open_catalog:
        return ResolvedImageModel(record, AdHocImageModel.for_id(model_id), base_url or None)
    known = [m.value for m in catalog] if catalog else []
    raise _unknown_model(model_id, known, prefix, flags_hint=False)


def default_image_model_string(*, manager: PluginManager | None = None) -> str:
    """The image model to use when none is given: ``AIMU_IMAGE_MODEL``.

    There is no discovery: generating an image is slow or billed, so aimu never
    picks a model by itself. Without the variable the error lists the installed
    image providers and their catalogs.
    """
    env = os.environ.get("AIMU_IMAGE_MODEL", "").strip()
    if env:
        return env
    manager = manager or get_manager()
    examples = []
    for name, record in sorted(manager.image_providers.items()):
        if name != record.name:
            continue
        first = next(iter(record.models), None) if record.models else None
        examples.append(f"{name}:{first.value}" if first is not None else f"{name}:<model>")
    if examples:
        listed = f"Installed image providers: {', '.join(examples)}."
    else:
        listed = (
            "No image provider is installed: pip install 'aimu-hf[images]' (local diffusers) "
            "or aimu-gemini (Google's API)."
        )
    raise ConfigurationError(
        f"No image model was given. Pass model='provider:model_id' ({_EXAMPLE}) or set "
        f"AIMU_IMAGE_MODEL. {listed}"
    )
