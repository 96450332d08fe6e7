"""One local Ray cluster (2 worker processes) and one loopback OpenAI server for the session.

The server runs in a thread of this (the driver) process; Ray's workers are
other processes on this machine and reach it on 127.0.0.1. Every reply waits
a little, so that a run is still going when a test kills a worker.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from aimu_openai.testing import OpenAIWireServer

from aimu_core.testing import Request, Response

#: The key the workers read from their environment (inherited from the driver at ray.init).
SECRET = "sk-ray-worker-secret-4417"


class SlowServer(OpenAIWireServer):
    """Echoes each prompt after ``delay`` seconds; ``on_request`` sees every request."""

    delay = 0.01
    on_request = None

    def answer(self, request: Request) -> Response:
        time.sleep(self.delay)
        if self.on_request is not None:
            self.on_request(request)
        return super().answer(request)


@pytest.fixture(scope="session")
def server() -> Iterator[SlowServer]:
    with SlowServer() as fake:
        yield fake


@pytest.fixture(scope="session")
def ray_executor() -> Iterator[object]:
    os.environ["VLLM_API_KEY"] = SECRET  # before ray.init: the workers inherit it
    from aimu_ray import RayExecutor

    executor = RayExecutor(num_cpus=2)
    yield executor
    executor.shutdown()


@pytest.fixture
def fake(server: SlowServer) -> Iterator[SlowServer]:
    server.reset()
    server.on_request = None
    yield server
    server.on_request = None
