"""The async surface: the same names as the sync one, ``async def`` throughout.

``import aimu_core`` does not import this package; ``import aimu_core.aio`` does.
"""

from .base import AsyncBaseModelClient
from .client import ModelClient, chat, client
from .threaded import ThreadedAsyncClient

__all__ = ["AsyncBaseModelClient", "ModelClient", "ThreadedAsyncClient", "chat", "client"]
