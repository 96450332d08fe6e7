"""The async surface: the same names as the sync one, ``async def`` throughout.

``import aimu_core`` does not import this package; ``import aimu_core.aio`` does.
"""

from .agents import Agent, OrchestratorAgent, Runner, SkillAgent
from .base import AsyncBaseModelClient
from .client import ModelClient, chat, client
from .loop_local import LoopLocal
from .threaded import ThreadedAsyncClient
from .workflows import Chain, EvaluatorOptimizer, Parallel, PlanExecuteEvaluator, Router

__all__ = [
    "Agent",
    "AsyncBaseModelClient",
    "Chain",
    "EvaluatorOptimizer",
    "LoopLocal",
    "ModelClient",
    "OrchestratorAgent",
    "Parallel",
    "PlanExecuteEvaluator",
    "Router",
    "Runner",
    "SkillAgent",
    "ThreadedAsyncClient",
    "chat",
    "client",
]
