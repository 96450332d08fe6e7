"""A judge on loopback: an OpenAI-compatible server answering DeepEval's prompts with JSON.

DeepEval's metrics send fixed prompt templates; the server reads which one a
request holds and answers with the JSON that template asks for, so the real
metrics run end to end through the real openai SDK and an aimu client,
whatever order (or concurrency) they send their prompts in.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aimu_openai.testing import completion

import aimu_core.plugins
import aimu_core.testing.scripted
from aimu_core.testing import LoopbackServer, Request, Response, last_user_text

os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "YES")
aimu_core.plugins.register(aimu_core.testing.scripted)

#: (what the prompt holds, what the judge answers): the first match wins.
ROUTES: list[tuple[str, Any]] = [
    ("You are an evaluator", {"score": 8, "reason": "Accurate and brief."}),
    ("evaluation steps based on the criteria", {"steps": ["Check the facts.", "Check brevity."]}),
    ("determine whether each statement is relevant", None),  # see _verdicts
    ("CONCISE reason for the score", {"reason": "One of two statements is off topic."}),
    ("generate a list of statements", {"statements": ["Paris is the capital.", "Cats purr."]}),
]


class DeepEvalJudge:
    """The judge server; ``hits`` counts the prompts it saw by route, ``broken`` breaks replies."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.broken = False
        self.server = LoopbackServer(self.answer)

    def answer(self, request: Request) -> Response:
        response = self._answer(request)
        # Every connection ends with its answer: the judge clients built on the
        # benchmark's threads keep no pooled socket that a garbage collection
        # (DeepEval's errors hold reference cycles) would find still open.
        response.headers["Connection"] = "close"
        return response

    def _answer(self, request: Request) -> Response:
        prompt = last_user_text((request.json() or {}).get("messages"))
        for marker, reply in ROUTES:
            if marker in prompt:
                self.hits[marker] += 1
                if self.broken:
                    return completion("I would rather not say.")
                return completion(json.dumps(_verdicts() if reply is None else reply))
        return completion(f"unexpected prompt: {prompt[:80]}")

    @property
    def model(self) -> str:
        return f"openai-compat:judge@{self.server.url}/v1"


def _verdicts() -> dict[str, Any]:
    return {"verdicts": [{"verdict": "yes"}, {"verdict": "no", "reason": "Cats are off topic."}]}


@pytest.fixture(scope="session")
def _judge() -> Iterator[DeepEvalJudge]:
    judge = DeepEvalJudge()
    judge.server.start()
    yield judge
    judge.server.stop()


@pytest.fixture
def judge(_judge: DeepEvalJudge, monkeypatch: pytest.MonkeyPatch) -> DeepEvalJudge:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    _judge.hits.clear()
    _judge.broken = False
    return _judge
