"""A loopback server that speaks OpenAI's Chat Completions wire protocol, for the real SDK.

It replays scripted :class:`aimu_core.testing.Turn` objects (JSON, or SSE with
``data: [DONE]`` when the request streams) and any raw
:class:`~aimu_core.testing.Response` a test queues (faults, odd chunkings).
``Turn.fail`` status faults get OpenAI's error bodies (a 401 quotes the key it
was given, as OpenAI does); the rest are :meth:`~aimu_core.testing.FakeAPI.common_fault`'s.
Every request is recorded, so tests assert on what the SDK actually sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from aimu_core.testing import (
    FAKE_DIMENSIONS,
    RETRY_AFTER,
    FakeAPI,
    Handler,
    Request,
    Response,
    Turn,
    fake_vector,
    last_user_text,
    presented_key,
)

__all__ = [
    "OpenAIWireServer",
    "chunk",
    "completion",
    "error",
    "sse",
    "text_completion_response",
    "turn_response",
]

_FAULTS: dict[str, tuple[int, dict[str, str], dict[str, Any]]] = {
    "server_error": (500, {}, {"message": "scripted server error", "type": "server_error"}),
    "unavailable": (
        503,
        {},
        {
            "message": "The engine is currently overloaded, please try again later",
            "type": "server_error",
        },
    ),
    "permission": (
        403,
        {},
        {
            "message": "Project does not have access to this model",
            "type": "invalid_request_error",
            "code": "model_not_available",
        },
    ),
    "not_found": (
        404,
        {},
        {
            "message": "The model does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "code": "model_not_found",
        },
    ),
    "rate_limit": (
        429,
        {"retry-after": str(RETRY_AFTER)},
        {
            "message": "Rate limit reached, slow down",
            "type": "requests",
            "code": "rate_limit_exceeded",
        },
    ),
    "authentication": (
        401,
        {},
        {
            "message": "Incorrect API key provided",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        },
    ),
    "context_length": (
        400,
        {},
        {
            "message": "This model's maximum context length is 2048 tokens. However, you requested 9000 tokens.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        },
    ),
}


def error(
    status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """An OpenAI-style error answer."""
    body: dict[str, Any] = {"message": message, "type": "invalid_request_error", "code": code}
    return Response.json({"error": body}, status, headers)


def completion(
    content: str | None,
    *,
    reasoning: str | None = None,
    reasoning_field: str = "reasoning_content",
    tool_calls: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
    usage: dict[str, int] | None = None,
    finish_reason: str | None = None,
    model: str = "scripted",
) -> Response:
    """A non-streamed ``chat.completion``."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning:
        message[reasoning_field] = reasoning
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": n, "arguments": json.dumps(a)},
            }
            for i, (n, a) in enumerate(tool_calls)
        ]
    return Response.json(
        {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": finish_reason or ("tool_calls" if tool_calls else "stop"),
                }
            ],
            "usage": usage or {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
    )


def chunk(
    delta: dict[str, Any] | None = None,
    finish_reason: str | None = None,
    *,
    usage: dict[str, int] | None = None,
    model: str = "scripted",
) -> dict[str, Any]:
    """One ``chat.completion.chunk``; ``delta=None`` with ``usage`` is the final usage chunk."""
    choices = (
        []
        if delta is None and usage
        else [{"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish_reason}]
    )
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": model,
        "choices": choices,
        "usage": usage,
    }


def sse(chunks: Iterable[dict[str, Any]], *, done: bool = True, cut: bool = False) -> Response:
    """Stream *chunks* as server-sent events, ending with ``data: [DONE]`` unless cut."""
    events: list[dict[str, Any] | str] = list(chunks)
    if done and not cut:
        events.append("[DONE]")
    return Response.sse(events, cut=cut)


def _pieces(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def turn_response(
    turn: Turn,
    body: dict[str, Any],
    *,
    reasoning_field: str = "reasoning_content",
    model: str = "scripted",
    api_key: str = "",
) -> Response:
    """How OpenAI (or a compatible server) would answer *body* with *turn* (its status
    faults and stream cuts; :meth:`~aimu_core.testing.FakeAPI.common_fault` the rest).
    *api_key* is the key the request carried: a 401 quotes it."""
    if turn.fail and turn.fail != "stream_cut":
        status, headers, err = _FAULTS[turn.fail]
        if turn.fail == "authentication" and api_key:
            err = {**err, "message": f"{err['message']}: {api_key}"}
        return Response.json({"error": err}, status, headers)
    content = f"<think>{turn.thinking}</think>{turn.text}" if turn.think_tags else turn.text
    reasoning = "" if turn.think_tags else turn.thinking
    words = sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))
    usage = {
        "prompt_tokens": words,
        "completion_tokens": len(content.split()),
        "total_tokens": words + len(content.split()),
    }
    if not body.get("stream"):
        if turn.fail == "stream_cut":  # a body cut off half-way
            return Response(
                200, {"Content-Type": "application/json"}, chunks=[b'{"id": "chatcmpl-'], cut=True
            )
        return completion(
            content or (None if turn.tool_calls else ""),
            reasoning=reasoning or None,
            reasoning_field=reasoning_field,
            tool_calls=turn.tool_calls,
            usage=usage,
            model=model,
        )
    chunks = [chunk({"role": "assistant", "content": ""}, model=model)]
    chunks += [chunk({reasoning_field: piece}, model=model) for piece in _pieces(reasoning)]
    chunks += [chunk({"content": piece}, model=model) for piece in _pieces(content)]
    if turn.fail == "stream_cut":
        return sse(chunks, cut=True)
    for index, (name, args) in enumerate(turn.tool_calls):
        arguments = json.dumps(args)
        half = len(arguments) // 2
        chunks.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": f"call_{index}",
                            "type": "function",
                            "function": {"name": name, "arguments": ""},
                        }
                    ]
                },
                model=model,
            )
        )
        for part in (arguments[:half], arguments[half:]):
            chunks.append(
                chunk(
                    {"tool_calls": [{"index": index, "function": {"arguments": part}}]}, model=model
                )
            )
    chunks.append(chunk({}, "tool_calls" if turn.tool_calls else "stop", model=model))
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append(chunk(usage=usage, model=model))
    return sse(chunks)


def text_completion_response(
    turn: Turn, body: dict[str, Any], *, model: str = "scripted", api_key: str = ""
) -> Response:
    """How a server answers ``POST /v1/completions`` (raw text completion) with *turn*:
    a ``text_completion`` object, or its chunks as server-sent events."""
    if turn.fail and turn.fail != "stream_cut":
        return turn_response(turn, body, model=model, api_key=api_key)
    prompt_tokens = len(str(body.get("prompt") or "").split())
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(turn.text.split()),
        "total_tokens": prompt_tokens + len(turn.text.split()),
    }

    def piece(text: str, finish: str | None, **extra: Any) -> dict[str, Any]:
        return {
            "id": "cmpl-scripted",
            "object": "text_completion",
            "created": 1,
            "model": model,
            "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}],
            **extra,
        }

    if not body.get("stream"):
        if turn.fail == "stream_cut":
            return Response(
                200, {"Content-Type": "application/json"}, chunks=[b'{"id": "cmpl-'], cut=True
            )
        return Response.json(piece(turn.text, "stop", usage=usage))
    chunks = [piece(text, None) for text in _pieces(turn.text)]
    if turn.fail == "stream_cut":
        return sse(chunks, cut=True)
    chunks.append(piece("", "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**piece("", None), "choices": [], "usage": usage})
    return sse(chunks)


class OpenAIWireServer(FakeAPI):
    """Chat Completions (and raw Completions, ``/v1/completions``) on loopback: queue turns
    or raw responses, then read what was sent.

    ``url`` is the API root (``http://127.0.0.1:<port>/v1``). With nothing
    queued the server echoes the last user message.
    """

    #: The length of the vectors ``POST /v1/embeddings`` answers with.
    embedding_dimensions: int = FAKE_DIMENSIONS

    def __init__(
        self, *, model: str = "scripted", reasoning_field: str = "reasoning_content"
    ) -> None:
        super().__init__()
        self.model = model
        self.reasoning_field = reasoning_field

    @property
    def url(self) -> str:
        return self.server.url + "/v1"

    @property
    def requests(self) -> list[Request]:
        """API requests received (every one but ``GET /models``), oldest first."""
        return list(self.log)

    @property
    def last(self) -> dict[str, Any]:
        return self.bodies[-1]

    def reset(self, *, reasoning_field: str = "reasoning_content") -> None:
        """Forget queued answers and recorded requests (one server serves many tests)."""
        super().reset()
        self.reasoning_field = reasoning_field

    def reply(self, *items: Response | Handler) -> None:
        """Answer the next requests with these raw responses (or handlers)."""
        self.script(items)

    def answer(self, request: Request) -> Response:
        if request.method == "GET" and request.path.endswith("/models"):
            return Response.json(
                {"object": "list", "data": [{"id": self.model, "object": "model"}]}
            )
        body = request.json() or {}
        if request.path.endswith("/embeddings"):
            return self._embeddings(self.next_reply(request), body, presented_key(request))
        if request.path.endswith("/v1/completions"):  # raw text completion (base models)
            reply = self.next_reply(request, echo=str(body.get("prompt") or ""))
            if isinstance(reply, Response):
                return reply
            stream = bool(body.get("stream"))
            return self.common_fault(reply, stream=stream) or text_completion_response(
                reply, body, model=self.model, api_key=presented_key(request)
            )
        reply = self.next_reply(request, echo=last_user_text(body.get("messages")))
        if isinstance(reply, Response):
            return reply
        fault = self.common_fault(reply, stream=bool(body.get("stream")))
        if fault is not None:
            return fault
        return turn_response(
            reply,
            body,
            reasoning_field=self.reasoning_field,
            model=self.model,
            api_key=presented_key(request),
        )

    def _embeddings(self, reply: Turn | Response, body: dict[str, Any], api_key: str) -> Response:
        """``POST /v1/embeddings``: a vector per input computed from its text
        (:func:`~aimu_core.testing.fake_vector`), or the scripted fault as for chat."""
        if isinstance(reply, Response):
            return reply
        if reply.fail:
            fault = self.common_fault(reply, stream=False)
            return fault or turn_response(reply, body, api_key=api_key)
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if (
            not isinstance(inputs, list)
            or not inputs
            or not all(isinstance(t, str) for t in inputs)
        ):
            return error(400, "'input' must be a string or a non-empty array of strings")
        if "" in inputs:  # as OpenAI answers
            return error(400, "'$.input' is invalid: empty strings cannot be embedded")
        dimensions = body.get("dimensions") or self.embedding_dimensions
        words = sum(len(text.split()) for text in inputs)
        return Response.json(
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": fake_vector(text, dimensions)}
                    for i, text in enumerate(inputs)
                ],
                "model": body.get("model", ""),
                "usage": {"prompt_tokens": words, "total_tokens": words},
            }
        )
