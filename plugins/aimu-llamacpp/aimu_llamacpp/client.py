"""``LlamaCppClient`` and ``AsyncLlamaCppClient``: GGUF models in this process.

Both are thin: conversation state comes from aimu-core's client bases, and
everything llama.cpp-specific lives in one :class:`~aimu_llamacpp._engine.Engine`
per client, whose loaded model comes from the process cache shared by all
clients (see :func:`aimu_llamacpp.cache_info`).

Client options (``aimu_core.client("llamacpp:...", **options)``):

``model_path``
    a .gguf file to use instead of the one the model string names.
``n_ctx``
    context window in tokens (default 4096; 0 = the model's training context).
``n_threads``
    CPU threads (default: llama-cpp-python's, half the cores).
``n_gpu_layers``
    layers to offload to a GPU build of llama.cpp (default 0; -1 = all).
``chat_template``
    a Jinja chat template to use instead of the GGUF's own.
``chat_template_kwargs``
    extra variables for the template (e.g. ``{"enable_thinking": False}``).
``chat_format`` / ``chat_handler``
    a llama-cpp-python chat format name or handler object instead of the
    template; ``"chatml-function-calling"`` and the functionary formats
    return tool calls, a ``Llava15ChatHandler`` takes images.
``llama_kwargs``
    any other ``llama_cpp.Llama`` argument (``flash_attn``, ``n_batch``, ...).
``verbose``
    also print llama.cpp's own log to stderr, from then on for the whole
    process (off by default; the log always goes to the
    ``aimu_llamacpp.llama_cpp`` logger).

Clients with the same file and the same ``n_ctx``/``n_threads``/
``n_gpu_layers``/``llama_kwargs`` share one loaded model.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

from aimu_core.aio import AsyncBaseModelClient
from aimu_core.errors import ConfigurationError
from aimu_core.models import AdHocModel, BaseModelClient, Delta, Model
from aimu_core.models.images import ImageInput

from ._engine import DEFAULT_N_CTX, GENERATE_KWARGS, NATIVE_KWARGS, Engine
from ._jobs import run_async, run_sync
from .models import LlamaCppModel

__all__ = ["AsyncLlamaCppClient", "LlamaCppClient"]


def _no_images(images: list[ImageInput] | None) -> None:
    if images:
        raise ConfigurationError(
            "generate() on a llama.cpp model is raw text completion: use chat() for images"
        )


class LlamaCppClient(BaseModelClient):
    """A chat client for a GGUF model run in this process by llama.cpp.

    ``chat()`` formats the conversation with the model's chat template (or
    the plain-transcript fallback); ``generate()`` is raw completion of the
    prompt, no template, which is what base models are good at. The weights
    load when the client is created (or come from the process cache).
    """

    provider = "llamacpp"
    GENERATE_KWARGS = GENERATE_KWARGS
    NATIVE_KWARGS = NATIVE_KWARGS

    def __init__(
        self,
        model: Model | AdHocModel = LlamaCppModel.GEMMA_3_270M,
        *,
        model_path: str | os.PathLike[str] | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        chat_format: str | None = None,
        chat_handler: Any = None,
        chat_template: str | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
        llama_kwargs: Mapping[str, Any] | None = None,
        verbose: bool = False,
        system_message: str | None = None,
        tools: Iterable[Any] = (),
        mcp_client: Any = None,
        default_generate_kwargs: Mapping[str, Any] | None = None,
        **unknown: Any,
    ) -> None:
        super().__init__(
            model,
            system_message=system_message,
            tools=tools,
            mcp_client=mcp_client,
            default_generate_kwargs=default_generate_kwargs,
        )
        self.engine = Engine(
            model,
            model_path=model_path,
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_gpu_layers=n_gpu_layers,
            chat_format=chat_format,
            chat_handler=chat_handler,
            chat_template=chat_template,
            chat_template_kwargs=chat_template_kwargs,
            llama_kwargs=llama_kwargs,
            verbose=verbose,
            eager=True,
            unknown=unknown,
        )

    @property
    def model_path(self) -> str:
        """The GGUF file this client runs."""
        return self.engine.path()

    @property
    def n_ctx(self) -> int:
        """The loaded context window, in tokens."""
        return self.engine.loaded().n_ctx

    def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        work = self.engine.chat_work(messages, tools, generate_kwargs, stream=stream)
        return run_sync(self.engine.submit, work, stream=stream)

    def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> Iterator[Delta]:
        _no_images(images)
        work = self.engine.generate_work(prompt, generate_kwargs)
        return run_sync(self.engine.submit, work, stream=stream)


class AsyncLlamaCppClient(AsyncBaseModelClient):
    """The async twin of :class:`LlamaCppClient`.

    Generation runs on a worker thread and reaches the event loop through a
    queue, so the loop is never blocked, not even while another request holds
    the model. The weights come from the same process cache as the sync
    client's (never loaded twice); they are loaded, and the embedded model
    assembled, on the first request, off the event loop.
    """

    provider = "llamacpp"
    GENERATE_KWARGS = GENERATE_KWARGS
    NATIVE_KWARGS = NATIVE_KWARGS

    def __init__(
        self,
        model: Model | AdHocModel = LlamaCppModel.GEMMA_3_270M,
        *,
        model_path: str | os.PathLike[str] | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        chat_format: str | None = None,
        chat_handler: Any = None,
        chat_template: str | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
        llama_kwargs: Mapping[str, Any] | None = None,
        verbose: bool = False,
        system_message: str | None = None,
        tools: Iterable[Any] = (),
        mcp_client: Any = None,
        default_generate_kwargs: Mapping[str, Any] | None = None,
        **unknown: Any,
    ) -> None:
        super().__init__(
            model,
            system_message=system_message,
            tools=tools,
            mcp_client=mcp_client,
            default_generate_kwargs=default_generate_kwargs,
        )
        self.engine = Engine(
            model,
            model_path=model_path,
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_gpu_layers=n_gpu_layers,
            chat_format=chat_format,
            chat_handler=chat_handler,
            chat_template=chat_template,
            chat_template_kwargs=chat_template_kwargs,
            llama_kwargs=llama_kwargs,
            verbose=verbose,
            eager=False,
            unknown=unknown,
        )

    async def _chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]],
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        work = self.engine.chat_work(messages, tools, generate_kwargs, stream=stream)
        await self.engine.aload()
        async for delta in run_async(self.engine.submit, work, stream=stream):
            yield delta

    async def _generate(
        self,
        prompt: str,
        *,
        images: list[ImageInput] | None,
        generate_kwargs: dict[str, Any],
        stream: bool,
    ) -> AsyncIterator[Delta]:
        _no_images(images)
        work = self.engine.generate_work(prompt, generate_kwargs)
        await self.engine.aload()
        async for delta in run_async(self.engine.submit, work, stream=stream):
            yield delta
