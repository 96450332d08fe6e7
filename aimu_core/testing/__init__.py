"""Test kit: the scripted provider, a loopback HTTP server and the provider conformance kit.

The scripted provider is for tests only: nothing installs it. Register
:mod:`aimu_core.testing.scripted` as a plugin in-process, or give a subprocess
:func:`scripted_site` on its ``PYTHONPATH``. Names load on first use. The conformance kits live in
:mod:`aimu_core.testing.conformance`, :mod:`aimu_core.testing.image_conformance` and
:mod:`aimu_core.testing.embedding_conformance` (they import pytest, on first use of their
names here); fake embedding APIs answer with :func:`fake_vector`. The scripted image provider is
:mod:`aimu_core.testing.scripted_images`. A plugin's fake network API
subclasses :class:`FakeAPI` (:mod:`aimu_core.testing.fake_api`). See
``docs/how-to/test-a-plugin.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "FAILURES": "scripted",
    "HTTP_ONLY": "scripted",
    "RETRY_AFTER": "scripted",
    "STATUS": "scripted",
    "Script": "scripted",
    "ScriptedAsyncClient": "scripted",
    "ScriptedClient": "scripted",
    "ScriptedModel": "scripted",
    "RUNNER_PACKAGES": "imports",
    "modules_after": "imports",
    "scripted_site": "distributions",
    "write_distribution": "distributions",
    "Turn": "scripted",
    "LoopbackServer": "loopback",
    "Request": "loopback",
    "Response": "loopback",
    "FAKE_DIMENSIONS": "fake_embeddings",
    "fake_vector": "fake_embeddings",
    "FakeAPI": "fake_api",
    "EmbeddingConformance": "embedding_conformance",
    "IMAGE_FAULTS": "image_conformance",
    "ImageProviderConformance": "image_conformance",
    "IMAGE_FAILURES": "scripted_images",
    "ScriptedAsyncImageClient": "scripted_images",
    "ScriptedImageClient": "scripted_images",
    "ScriptedImageModel": "scripted_images",
    "Handler": "fake_api",
    "Scripted": "fake_api",
    "last_user_text": "fake_api",
    "presented_key": "fake_api",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:
    from .distributions import scripted_site, write_distribution
    from .embedding_conformance import EmbeddingConformance
    from .fake_api import FakeAPI, Handler, Scripted, last_user_text, presented_key
    from .fake_embeddings import FAKE_DIMENSIONS, fake_vector
    from .image_conformance import IMAGE_FAULTS, ImageProviderConformance
    from .imports import RUNNER_PACKAGES, modules_after
    from .loopback import LoopbackServer, Request, Response
    from .scripted import (
        FAILURES,
        HTTP_ONLY,
        RETRY_AFTER,
        STATUS,
        Script,
        ScriptedAsyncClient,
        ScriptedClient,
        ScriptedModel,
        Turn,
    )
    from .scripted_images import (
        IMAGE_FAILURES,
        ScriptedAsyncImageClient,
        ScriptedImageClient,
        ScriptedImageModel,
    )


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'aimu_core.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
