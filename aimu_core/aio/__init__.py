"""The async surface: the same names as the sync one, ``async def`` throughout.

``import aimu_core`` does not import this package; ``import aimu_core.aio``
does, and it is cheap: every name loads on first use, so a plugin that only
needs :class:`AsyncBaseModelClient` never imports a runner.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

# public name -> "module:attribute" that defines it
_LAZY = {
    "Agent": "aimu_core.agents.agent:AsyncAgent",
    "AsyncBaseEmbeddingClient": "aimu_core.embeddings.base:AsyncBaseEmbeddingClient",
    "AsyncBaseImageClient": "aimu_core.images.base:AsyncBaseImageClient",
    "AsyncBaseModelClient": "aimu_core.models.base:AsyncBaseModelClient",
    "Chain": "aimu_core.agents.chain:AsyncChain",
    "EvaluatorOptimizer": "aimu_core.agents.evaluator_optimizer:AsyncEvaluatorOptimizer",
    "FallbackClient": "aimu_core.models.fallback:AsyncFallbackClient",
    "ImageClient": "aimu_core.images.client:AsyncImageClient",
    "LoopLocal": "aimu_core.models.loop_local:LoopLocal",
    "ModelClient": "aimu_core.models.client:AsyncModelClient",
    "OrchestratorAgent": "aimu_core.agents.orchestrator:AsyncOrchestratorAgent",
    "Parallel": "aimu_core.agents.parallel:AsyncParallel",
    "PlanExecuteEvaluator": "aimu_core.agents.plan_execute_evaluator:AsyncPlanExecuteEvaluator",
    "Router": "aimu_core.agents.router:AsyncRouter",
    "embed": "aimu_core.embeddings.client:async_embed",
    "embedding_client": "aimu_core.embeddings.client:async_embedding_client",
    "Runner": "aimu_core.agents.runner:AsyncRunner",
    "SkillAgent": "aimu_core.agents.skill_agent:AsyncSkillAgent",
    "ThreadedAsyncClient": "aimu_core.models.threaded:ThreadedAsyncClient",
    "generate_image": "aimu_core.images.client:async_generate_image",
    "image_client": "aimu_core.images.client:async_image_client",
}

__all__ = sorted([*_LAZY, "chat", "client"])

if TYPE_CHECKING:
    from ..embeddings.client import async_embed as embed
    from ..embeddings.client import async_embedding_client as embedding_client
    from ..images.client import AsyncImageClient as ImageClient
    from ..images.client import async_generate_image as generate_image
    from ..images.client import async_image_client as image_client
    from ..models.client import AsyncModelClient as ModelClient
    from ..models.stream import Phase, StreamChunk


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'aimu_core.aio' has no attribute {name!r}")
    module, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def client(model: Any = None, *, system: str | None = None, **options: Any) -> ModelClient:
    """An async client for *model* (the default model when omitted)."""
    from ..models.client import AsyncModelClient

    if system is not None:
        options["system_message"] = system
    return AsyncModelClient(model, **options)


async def chat(
    message: str,
    *,
    model: Any = None,
    system: str | None = None,
    generate_kwargs: Mapping[str, Any] | None = None,
    stream: bool = False,
    images: Iterable[Any] | None = None,
    include: Iterable[str | Phase] | str | None = None,
    **options: Any,
) -> str | AsyncIterator[StreamChunk]:
    """One-shot async chat on a fresh client, without tools."""
    return await client(model, system=system, **options).chat(
        message,
        generate_kwargs=generate_kwargs,
        use_tools=False,
        stream=stream,
        images=images,
        include=include,
    )
