"""A loopback server speaking Anthropic's Messages API, for offline tests and benchmarks.

:class:`FakeAnthropic` answers ``POST /v1/messages`` with scripted
:class:`aimu_core.testing.Turn` replies, as JSON or as the server-sent events
of a streamed reply (``message_start``, ``content_block_start``,
``content_block_delta`` with ``text_delta`` / ``thinking_delta`` /
``input_json_delta`` / ``signature_delta``, ``content_block_stop``,
``message_delta``, ``message_stop``). It also checks each request against the
rules the real API enforces (alternating roles, no empty text, every
``tool_use`` answered by a ``tool_result`` with its id, thinking budgets and
sampling limits, signed thinking in front of tool calls) and answers a broken
request with a 400 ``invalid_request_error``, as the API would. ``Turn.fail``
status faults get Anthropic's error bodies (a 401 quotes the key it was given);
the rest are :meth:`~aimu_core.testing.FakeAPI.common_fault`'s, with a malformed
stream framed as a named event::

    with FakeAnthropic() as api:
        api.script([Turn("Hello!")])
        client = aimu_core.client("anthropic:claude-sonnet-4-6", base_url=api.url, api_key="test")

Importing this module does not import the ``anthropic`` SDK.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aimu_core.testing import (
    RETRY_AFTER,
    FakeAPI,
    Request,
    Response,
    Turn,
    last_user_text,
    presented_key,
)

__all__ = ["FakeAnthropic", "error_response"]

_ERRORS = {
    "server_error": (500, "api_error", "Internal server error"),
    "unavailable": (503, "overloaded_error", "Overloaded"),
    "permission": (
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    "not_found": (404, "not_found_error", "model: the requested model was not found"),
    "rate_limit": (
        429,
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit",
    ),
    "authentication": (401, "authentication_error", "invalid x-api-key"),
    "context_length": (
        400,
        "invalid_request_error",
        "prompt is too long: 250000 tokens > 200000 maximum",
    ),
}


def error_response(
    status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """An Anthropic error reply: ``{"type": "error", "error": {"type": ..., "message": ...}}``."""
    return Response.json(
        {"type": "error", "error": {"type": kind, "message": message}}, status, headers
    )


class FakeAnthropic(FakeAPI):
    """A scripted Anthropic Messages API on 127.0.0.1.

    Attributes:
        requests: the JSON bodies of the ``/v1/messages`` requests received.
        headers: their headers, in the same order.
        chunk_size: characters per streamed text/thinking/JSON delta.
        retry_after: the ``retry-after`` header of scripted rate-limit replies.
    """

    def __init__(
        self, *, chunk_size: int = 4, retry_after: str = str(RETRY_AFTER), validate: bool = True
    ) -> None:
        super().__init__()
        self.chunk_size = chunk_size
        self.retry_after = retry_after
        self.validate = validate
        self._tool_ids = 0

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.bodies

    def reset(self) -> None:
        """Forget queued replies and recorded requests (to reuse one server across tests)."""
        super().reset()
        with self._lock:
            self._tool_ids = 0

    def answer(self, request: Request) -> Response:
        if request.method != "POST" or request.path.split("?")[0].rstrip("/") != "/v1/messages":
            return error_response(
                404, "not_found_error", f"Not found: {request.method} {request.path}"
            )
        body = request.json()
        turn = self.next_reply(request, echo=last_user_text(body.get("messages")))
        if isinstance(turn, Response):
            return turn
        problem = _check(body) if self.validate else None
        if problem:
            return error_response(400, "invalid_request_error", problem)
        fault = self.common_fault(turn, stream=bool(body.get("stream")))
        if fault is not None:
            return fault
        if turn.fail in _ERRORS:
            status, kind, message = _ERRORS[turn.fail]
            headers = {"retry-after": self.retry_after} if turn.fail == "rate_limit" else None
            key = presented_key(request)
            if turn.fail == "authentication" and key:
                message = f"{message}: {key}"
            return error_response(status, kind, message, headers)
        ids = self._next_tool_ids(len(turn.tool_calls))
        if body.get("stream"):
            return Response.sse(self.events(turn, body, ids), cut=turn.fail == "stream_cut")
        return Response.json(self.message(turn, body, ids))

    def malformed_stream(self) -> Response:
        """A ``message_start`` event whose data is not JSON."""
        return Response(
            200,
            {"Content-Type": "text/event-stream"},
            chunks=[b"event: message_start\ndata: {oops]\n\n"],
        )

    def _next_tool_ids(self, count: int) -> list[str]:
        with self._lock:
            start, self._tool_ids = self._tool_ids, self._tool_ids + count
        return [f"toolu_{n:04d}" for n in range(start, start + count)]

    # -- wire format ---------------------------------------------------------------------

    def message(self, turn: Turn, body: dict[str, Any], ids: list[str]) -> dict[str, Any]:
        """A whole non-streamed ``Message`` for *turn*."""
        content: list[dict[str, Any]] = []
        text = _text(turn)
        thinking = _thinking(turn, body)
        if thinking is not None:
            content.append(
                {"type": "thinking", "thinking": thinking, "signature": _signature(thinking)}
            )
        if text:
            content.append({"type": "text", "text": text})
        for tool_id, (name, args) in zip(ids, turn.tool_calls, strict=False):
            content.append({"type": "tool_use", "id": tool_id, "name": name, "input": args})
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", ""),
            "content": content,
            "stop_reason": "tool_use" if turn.tool_calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": _input_tokens(body), "output_tokens": _output_tokens(turn)},
        }

    def events(self, turn: Turn, body: dict[str, Any], ids: list[str]) -> list[tuple[str, Any]]:
        """The server-sent events of a streamed reply to *turn* (only up to the text for
        ``stream_cut``)."""
        events: list[tuple[str, Any]] = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_fake",
                        "type": "message",
                        "role": "assistant",
                        "model": body.get("model", ""),
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": _input_tokens(body), "output_tokens": 1},
                    },
                },
            )
        ]
        index = 0
        thinking = _thinking(turn, body)
        if thinking is not None:
            events.append(_start(index, {"type": "thinking", "thinking": "", "signature": ""}))
            events += [
                _delta(index, {"type": "thinking_delta", "thinking": p})
                for p in self._pieces(thinking)
            ]
            events.append(
                _delta(index, {"type": "signature_delta", "signature": _signature(thinking)})
            )
            events.append(_stop(index))
            index += 1
        text = _text(turn)
        if text:
            events.append(_start(index, {"type": "text", "text": ""}))
            events += [_delta(index, {"type": "text_delta", "text": p}) for p in self._pieces(text)]
            if turn.fail == "stream_cut":
                return events
            events.append(_stop(index))
            index += 1
        elif turn.fail == "stream_cut":
            return events
        for tool_id, (name, args) in zip(ids, turn.tool_calls, strict=False):
            events.append(
                _start(index, {"type": "tool_use", "id": tool_id, "name": name, "input": {}})
            )
            events += [
                _delta(index, {"type": "input_json_delta", "partial_json": p})
                for p in self._pieces(json.dumps(args))
            ]
            events.append(_stop(index))
            index += 1
        events.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {
                        "stop_reason": "tool_use" if turn.tool_calls else "end_turn",
                        "stop_sequence": None,
                    },
                    "usage": {"output_tokens": _output_tokens(turn)},
                },
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        return events

    def _pieces(self, text: str) -> list[str]:
        size = self.chunk_size
        return [text[i : i + size] for i in range(0, len(text), size)]


def _start(index: int, block: dict[str, Any]) -> tuple[str, Any]:
    return (
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": block},
    )


def _delta(index: int, delta: dict[str, Any]) -> tuple[str, Any]:
    return ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})


def _stop(index: int) -> tuple[str, Any]:
    return ("content_block_stop", {"type": "content_block_stop", "index": index})


def _text(turn: Turn) -> str:
    return (
        f"<think>{turn.thinking}</think>{turn.text}"
        if turn.think_tags and turn.thinking
        else turn.text
    )


def _thinking(turn: Turn, body: dict[str, Any]) -> str | None:
    """The thinking block's text: the scripted reasoning, or "" (a signed block whose
    display is omitted) when the request turned thinking on and the turn has none."""
    if turn.thinking and not turn.think_tags:
        return turn.thinking
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive"):
        return ""
    return None


def _signature(thinking: str) -> str:
    return "sig_" + hashlib.sha256(thinking.encode()).hexdigest()[:24]


def _input_tokens(body: dict[str, Any]) -> int:
    return len(json.dumps(body.get("messages", []))) // 4


def _output_tokens(turn: Turn) -> int:
    return max(1, (len(turn.text) + len(turn.thinking)) // 4)


def _check(body: dict[str, Any]) -> str | None:
    """What the real Messages API would reject in *body*, or ``None``."""
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or max_tokens < 1:
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    thinking = body.get("thinking")
    thinking_on = isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")
    if thinking_on and isinstance(thinking, dict):
        if thinking["type"] == "enabled":
            budget = thinking.get("budget_tokens")
            if not isinstance(budget, int) or budget < 1024:
                return "thinking.budget_tokens: must be >= 1024"
            if budget >= max_tokens:
                return "`max_tokens` must be greater than `thinking.budget_tokens`"
        if body.get("temperature", 1) != 1:
            return "`temperature` may only be set to 1 when thinking is enabled"
        if "top_k" in body:
            return "`top_k` must be unset when thinking is enabled"
        if "top_p" in body:
            return "`top_p` must be unset when thinking is enabled"
        if (body.get("tool_choice") or {}).get("type") in ("any", "tool"):
            return "Thinking may not be enabled when tool_choice forces tool use."
    if messages[0].get("role") != "user":
        return 'messages: first message must use the "user" role'
    pending: set[str] = set()
    for number, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            return f"messages.{number}.role: must be 'user' or 'assistant'"
        if number and messages[number - 1].get("role") == role:
            return 'messages: roles must alternate between "user" and "assistant"'
        content = message.get("content")
        blocks: list[dict[str, Any]] = (
            [{"type": "text", "text": content}] if isinstance(content, str) else content
        )
        if not blocks:
            return f"messages.{number}: all messages must have non-empty content"
        answered = {str(b.get("tool_use_id")) for b in blocks if b.get("type") == "tool_result"}
        if role == "user" and pending - answered:
            missing = sorted(pending - answered)
            return (
                f"messages.{number}: tool_use ids were found without tool_result blocks: {missing}"
            )
        if role == "user" and answered - pending:
            unexpected = sorted(answered - pending)
            return f"messages.{number}: unexpected tool_use_id in tool_result blocks: {unexpected}"
        pending = set()
        for block in blocks:
            kind = block.get("type")
            if kind == "text" and not block.get("text"):
                return f"messages.{number}: text content blocks must be non-empty"
            if kind == "image":
                source: dict[str, Any] = block.get("source") or {}
                if source.get("type") not in ("base64", "url"):
                    return f"messages.{number}: image source type must be base64 or url"
            if kind == "tool_use":
                if role != "assistant" or not block.get("id"):
                    return f"messages.{number}: tool_use blocks need an id and the assistant role"
                pending.add(block["id"])
            if kind in ("thinking", "redacted_thinking") and role != "assistant":
                return f"messages.{number}: thinking blocks belong to assistant turns"
            if kind == "thinking" and block.get("signature") != _signature(
                block.get("thinking", "")
            ):
                return f"messages.{number}: Invalid `signature` in `thinking` block"
        if (
            thinking_on
            and role == "assistant"
            and number == len(messages) - 2
            and pending
            and blocks[0].get("type") not in ("thinking", "redacted_thinking")
        ):
            return (
                "Expected `thinking` or `redacted_thinking`, but found `tool_use`. When "
                "`thinking` is enabled, a final `assistant` message must start with a "
                "thinking block"
            )
    if pending:
        return "messages: the last message has tool_use blocks without tool_result blocks"
    return None
