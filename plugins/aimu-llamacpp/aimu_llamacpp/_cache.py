"""The process-level cache of loaded weights, and the one thread each loaded model runs on.

Loading a GGUF costs memory and time, and a ``llama_cpp.Llama`` is not thread
safe. So every client of the same file with the same load options shares one
:class:`LoadedModel`, and all its jobs run one after the other on the model's
own thread. That serialises use of the model, and keeps llama.cpp's compute
threads (an OpenMP team per calling thread) warm between requests instead of
making a team for every request. :func:`unload` lets the jobs already queued
finish, then frees the model; clients that still hold it load it again on
their next call.

``llama_cpp`` is imported on the first load, never at import time.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aimu_core.provider import AimuError, ConfigurationError, ModelNotFoundError

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
# A library logs; the application decides what to show. Without this handler
# Python's last-resort handler would print llama.cpp's warnings. Set here, not
# in the plugin module: logging is not worth importing at discovery.
logging.getLogger("aimu_llamacpp").addHandler(logging.NullHandler())


def _check_int(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigurationError(f"{name}={value!r} must be an integer >= {minimum}")


@dataclass(frozen=True)
class LoadOptions:
    """What a ``llama_cpp.Llama`` is built with besides the path; part of the cache key."""

    n_ctx: int = 4096
    n_threads: int | None = None
    n_gpu_layers: int = 0
    extra: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(
        cls, n_ctx: int, n_threads: int | None, n_gpu_layers: int, extra: Mapping[str, Any]
    ) -> LoadOptions:
        """The client options checked; *extra* is ``llama_kwargs``."""
        _check_int("n_ctx", n_ctx, 0)
        if n_threads is not None:
            _check_int("n_threads", n_threads, 1)
        _check_int("n_gpu_layers", n_gpu_layers, -1)
        clash = sorted(set(extra) & {"model_path", "n_ctx", "n_threads", "n_gpu_layers", "verbose"})
        if clash:
            raise ConfigurationError(f"Pass {clash} as client options, not in llama_kwargs")
        try:
            options = cls(n_ctx, n_threads, n_gpu_layers, tuple(sorted(extra.items())))
            hash(options)
        except TypeError:
            raise ConfigurationError(
                "llama_kwargs values must be hashable (numbers, strings, tuples)"
            ) from None
        return options


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


class LoadedModel:
    """A loaded ``Llama`` (``llm``) and the thread that runs every job on it, in order."""

    def __init__(self, path: str, options: LoadOptions, llm: Any) -> None:
        self.path, self.options, self.llm = path, options, llm
        self.generations = 0
        self.closed = False
        #: objects made once per model (compiled chat templates)
        self.memo: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._inbox: queue.SimpleQueue[Callable[[LoadedModel], None] | None] = queue.SimpleQueue()
        name = f"aimu-llamacpp:{os.path.basename(path)}"
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    @property
    def n_ctx(self) -> int:
        return int(self.llm.n_ctx())

    def submit(self, job: Callable[[LoadedModel], None]) -> bool:
        """Queue *job* for this model's thread; ``False`` once the model is unloaded."""
        with self._lock:
            if not self.closed:
                self._inbox.put(job)
            return not self.closed

    def close(self) -> None:
        """Let the queued jobs finish, then free the weights."""
        with self._lock:
            self.closed = True
            self._inbox.put(None)
        self._thread.join()
        self.memo.clear()
        self.llm.close()

    def _serve(self) -> None:
        while (job := self._inbox.get()) is not None:
            self.generations += 1
            job(self)  # a job never raises: its consumer gets the outcome


_registry: dict[tuple[str, LoadOptions], LoadedModel] = {}
_registry_lock = threading.Lock()
_stats = {"loads": 0, "hits": 0}


def check_gguf_file(path: str) -> str:
    """Fail early and clearly on a missing or non-GGUF file; return its real path."""
    real = os.path.realpath(os.path.expanduser(path))
    if not os.path.exists(real):
        raise ModelNotFoundError(f"GGUF model file {path!r} does not exist")
    try:
        with open(real, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:  # a directory, no permission
        raise ConfigurationError(f"Cannot read GGUF model file {path!r}: {exc}") from exc
    if magic != b"GGUF":
        raise ConfigurationError(
            f"{path!r} is not a GGUF model file (it does not start with the GGUF magic bytes); "
            "convert the model to GGUF or pick the .gguf file"
        )
    return real


def get(path: str, options: LoadOptions, *, label: str) -> LoadedModel:
    """The loaded model for *path* and *options*, loading it if no client has yet.

    Raises a ``ConfigurationError`` subclass naming the path when the file is
    missing or cannot be loaded; a failed load leaves nothing in the cache.
    """
    real = check_gguf_file(path)
    key = (real, options)
    with _registry_lock:
        if key in _registry:
            _stats["hits"] += 1
            return _registry[key]
        with progress(f"loading {label}"):
            try:
                llm = _llama_class()(
                    model_path=real,
                    n_ctx=options.n_ctx,
                    n_threads=options.n_threads,
                    n_gpu_layers=options.n_gpu_layers,
                    verbose=False,
                    **dict(options.extra),
                )
            except Exception as exc:
                raise _load_error(exc, path) from exc
        model = _registry[key] = LoadedModel(real, options, llm)
        _stats["loads"] += 1
        return model


def _load_error(exc: Exception, path: str) -> AimuError:
    if isinstance(exc, AimuError):
        return exc
    if isinstance(exc, TypeError):  # an unknown llama_kwargs name reaches Llama(**kwargs)
        return ConfigurationError(f"Invalid llama.cpp load option for {path!r}: {exc}")
    return ConfigurationError(
        f"Cannot load {path!r} as a GGUF model ({type(exc).__name__}: {exc}). The file may be "
        "corrupt, truncated, or from a newer llama.cpp than this llama-cpp-python supports; "
        "check the file, or upgrade llama-cpp-python."
    )


@functools.cache
def _llama_class() -> type[Any]:
    """``llama_cpp.Llama``, counting the tokens each request evaluates and generates.

    ``create_completion`` reports no usage for a stream; every completion, a
    chat handler's too, runs ``generate`` with the whole prompt, so counting
    there makes usage exact, streamed or not. An end-of-generation token ends
    a reply and is not part of it.
    """
    import llama_cpp

    _route_log(llama_cpp)
    is_eog = llama_cpp.llama_vocab_is_eog

    class CountingLlama(llama_cpp.Llama):
        #: prompt and completion tokens; each request starts it afresh with ``[0, 0]``
        counts = [0, 0]

        def generate(self, tokens: Sequence[int], *args: Any, **kwargs: Any) -> Iterator[int]:
            counts = self.counts
            counts[0] += len(tokens)
            vocab = llama_cpp.llama_model_get_vocab(self.model)
            for token in super().generate(tokens, *args, **kwargs):
                counts[1] += not is_eog(vocab, token)
                yield token

        def usage(self) -> dict[str, int]:
            prompt, completion = self.counts
            return {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }

    return CountingLlama


def unload(path: str | None = None) -> int:
    """Free the models loaded from *path* (a file path or ``"gemma-3-270m"``), or all of them."""
    wanted = None if path is None else _real_path_of(path)
    with _registry_lock:
        models = [_registry.pop(k) for k in list(_registry) if wanted in (None, k[0])]
    for model in models:
        model.close()
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


@atexit.register
def _free_at_exit() -> None:
    """Cancel every generation, then free every model while the interpreter is intact."""
    from ._jobs import cancel_all

    cancel_all()
    try:
        unload()
    except Exception:  # pragma: no cover - best effort at shutdown
        pass


# llama-cpp-python 0.3.x prints llama.cpp's warnings to stderr even with
# verbose=False (its level table predates ggml's current enum). The log goes
# through the public ``llama_log_set`` into the ``aimu_llamacpp.llama_cpp``
# logger instead: silent unless the application configures logging, or a
# client was created with ``verbose=True``.

_GGML_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_log_state: dict[str, Any] = {"echo": False, "last": logging.DEBUG}


def set_log_echo(echo: bool) -> None:
    """Also print llama.cpp's log to stderr (``verbose=True`` on a client)."""
    _log_state["echo"] = bool(echo) or _log_state["echo"]


def _route_log(llama_cpp: Any) -> None:
    @llama_cpp.llama_log_callback
    def on_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        try:  # never let an exception cross into C
            # level 5 continues the previous message
            lvl = _log_state["last"] if level == 5 else _GGML_LEVELS.get(level, logging.DEBUG)
            _log_state["last"] = lvl
            message = text.decode("utf-8", "replace") if text else ""
            if _log_state["echo"]:
                sys.stderr.write(message)
            if message.strip() and log.isEnabledFor(lvl):
                log.log(lvl, "%s", message.rstrip("\n"))
        except Exception:
            pass

    _log_state["callback"] = on_log  # keep the ctypes thunk alive
    llama_cpp.llama_log_set(on_log, ctypes.c_void_p(0))
