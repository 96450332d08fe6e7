"""The process-level cache of loaded weights.

Loading a GGUF costs memory and time, and a ``llama_cpp.Llama`` is not thread
safe. So every client of the same file with the same load options shares one
:class:`LoadedModel`, whose generations all run on its own worker thread
(:mod:`._jobs`), each holding the model's ``lock`` for its whole run.
:func:`unload` frees a model; clients still holding it find it ``closed``
under the lock and load it again on their next call.

``llama_cpp`` is imported on the first load, never at import time.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from aimu_core.errors import ConfigurationError, ModelNotFoundError

from ._errors import translate_load_error
from ._jobs import ModelWorker
from ._progress import progress

__all__ = [
    "CacheInfo",
    "LoadOptions",
    "LoadedModel",
    "ModelInfo",
    "cache_info",
    "check_gguf_file",
    "get",
    "set_log_echo",
    "unload",
]

log = logging.getLogger("aimu_llamacpp.llama_cpp")

_GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class LoadOptions:
    """What a ``llama_cpp.Llama`` is built with besides the path; part of the cache key."""

    n_ctx: int = 4096
    n_threads: int | None = None
    n_gpu_layers: int = 0
    extra: tuple[tuple[str, Any], ...] = ()

    def llama_kwargs(self) -> dict[str, Any]:
        return {
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "n_gpu_layers": self.n_gpu_layers,
            **dict(self.extra),
        }


@dataclass(frozen=True)
class ModelInfo:
    """One loaded model, as :func:`cache_info` reports it."""

    path: str
    options: LoadOptions
    n_ctx: int
    generations: int


@dataclass(frozen=True)
class CacheInfo:
    """``loads``: weights read from disk; ``hits``: clients that reused loaded weights."""

    loads: int
    hits: int
    models: tuple[ModelInfo, ...]


@dataclass(eq=False)
class LoadedModel:
    """A loaded ``llama_cpp.Llama`` and what requests need to know about it.

    Requests run on ``worker``, the model's own thread; they hold ``lock``
    for any use of ``llm`` and check ``closed`` after acquiring it.
    """

    path: str
    options: LoadOptions
    llm: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    worker: ModelWorker = field(default_factory=lambda: ModelWorker("aimu-llamacpp-model"))
    closed: bool = False
    generations: int = 0
    #: per-model memo for derived objects (chat formatter, vocab pointer ...)
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def n_ctx(self) -> int:
        return int(self.llm.n_ctx())


_registry: dict[tuple[str, LoadOptions], LoadedModel] = {}
_registry_lock = threading.Lock()
_stats = {"loads": 0, "hits": 0}


def check_gguf_file(path: str) -> str:
    """Fail early and clearly on a missing or non-GGUF file; return its real path."""
    real = os.path.realpath(os.path.expanduser(path))
    if not os.path.exists(real):
        raise ModelNotFoundError(f"GGUF model file {path!r} does not exist")
    if not os.path.isfile(real):
        raise ConfigurationError(f"GGUF model path {path!r} is not a file")
    try:
        with open(real, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ConfigurationError(f"Cannot read GGUF model file {path!r}: {exc}") from exc
    if magic != _GGUF_MAGIC:
        raise ConfigurationError(
            f"{path!r} is not a GGUF model file (it does not start with the GGUF magic bytes); "
            "convert the model to GGUF or pick the .gguf file"
        )
    return real


def get(path: str, options: LoadOptions, *, label: str | None = None) -> LoadedModel:
    """The loaded model for *path* and *options*, loading it if no client has yet.

    Raises a ``ConfigurationError`` subclass naming the path when the file is
    missing or cannot be loaded; a failed load leaves nothing in the cache.
    """
    real = check_gguf_file(path)
    key = (real, options)
    with _registry_lock:
        model = _registry.get(key)
        if model is not None:
            _stats["hits"] += 1
            return model
        model = _load(real, options, label or os.path.basename(real))
        _registry[key] = model
        _stats["loads"] += 1
        return model


def _load(path: str, options: LoadOptions, label: str) -> LoadedModel:
    try:
        import llama_cpp
    except ImportError as exc:  # pragma: no cover - a dependency of this package
        raise ConfigurationError(
            f"llama-cpp-python is not importable ({exc}); reinstall aimu-llamacpp"
        ) from exc
    _install_log_callback(llama_cpp)
    with progress(f"loading {label}"):
        try:
            llm = llama_cpp.Llama(model_path=path, verbose=False, **options.llama_kwargs())
        except Exception as exc:
            raise translate_load_error(exc, path) from exc
    return LoadedModel(
        path=path, options=options, llm=llm, worker=ModelWorker(f"aimu-llamacpp:{label}")
    )


def unload(path: str | None = None) -> int:
    """Free the models loaded from *path* (a file path or ``"gemma-3-270m"``), or all of them."""
    if path is None:
        wanted = None
    else:
        wanted = _real_path_of(path)
    with _registry_lock:
        keys = [k for k in _registry if wanted is None or k[0] == wanted]
        models = [_registry.pop(k) for k in keys]
    for model in models:
        with model.lock:  # wait for a generation in progress
            model.closed = True
            llm, model.llm = model.llm, None
            model.memo.clear()
            if llm is not None:
                llm.close()
        model.worker.stop()
    return len(models)


def _real_path_of(path: str) -> str:
    from .models import DEFAULT_MODEL_ID

    if path == DEFAULT_MODEL_ID:
        from ._default_model import expected_path

        expected = expected_path()
        return os.path.realpath(expected) if expected else ""
    return os.path.realpath(os.path.expanduser(path))


def cache_info() -> CacheInfo:
    with _registry_lock:
        models = tuple(
            ModelInfo(path=m.path, options=m.options, n_ctx=m.n_ctx, generations=m.generations)
            for m in _registry.values()
        )
        return CacheInfo(loads=_stats["loads"], hits=_stats["hits"], models=models)


# -- llama.cpp's own logging -----------------------------------------------------------
#
# llama-cpp-python 0.3.x prints llama.cpp warnings to stderr even with
# verbose=False (its level table predates ggml's current enum). We route
# llama.cpp's log through the public ``llama_log_set`` into the
# ``aimu_llamacpp.llama_cpp`` logger instead: silent unless the application
# configures logging, or a client was created with ``verbose=True``.

_GGML_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_log_state: dict[str, Any] = {"callback": None, "echo": False, "last": logging.DEBUG}


def set_log_echo(echo: bool) -> None:
    """Also print llama.cpp's log to stderr (``verbose=True`` on a client)."""
    _log_state["echo"] = bool(echo) or _log_state["echo"]


def _install_log_callback(llama_cpp: Any) -> None:
    if _log_state["callback"] is not None:
        return

    @llama_cpp.llama_log_callback
    def on_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        try:
            lvl = _log_state["last"] if level == 5 else _GGML_LEVELS.get(level, logging.DEBUG)
            _log_state["last"] = lvl
            message = text.decode("utf-8", "replace") if text else ""
            if _log_state["echo"]:
                sys.stderr.write(message)
            if message.strip() and log.isEnabledFor(lvl):
                log.log(lvl, "%s", message.rstrip("\n"))
        except Exception:  # never let an exception cross into C
            pass

    _log_state["callback"] = on_log  # keep the ctypes thunk alive
    llama_cpp.llama_log_set(on_log, ctypes.c_void_p(0))


@atexit.register
def _free_at_exit() -> None:
    """Stop running generations, then free every model while the interpreter is intact."""
    from ._jobs import stop_all

    stop_all()
    try:
        unload()
    except Exception:  # pragma: no cover - best effort at shutdown
        pass
