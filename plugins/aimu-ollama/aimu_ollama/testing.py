"""A loopback server speaking Ollama's HTTP API, for offline tests and benchmarks.

:class:`FakeOllama` answers ``POST /api/chat`` and ``POST /api/generate`` with
scripted :class:`aimu_core.testing.Turn` replies, as one JSON object or as an
NDJSON stream the way Ollama sends it (thinking in its own field when the
request asked to ``think``, an empty part before each tool call, one tool call
per part, a final ``done`` part with token counts), and ``GET /api/tags`` with
the models it was given; ``POST /api/embed`` with vectors computed from each input
(:func:`~aimu_core.testing.fake_vector`). It checks requests as a strict Ollama would (known
``options`` only, base64 images, tool-call arguments as objects, capabilities
of the listed models) and answers a bad one with a 400. ``Turn.fail`` status
faults get Ollama's ``{"error": ...}`` bodies; the rest are
:meth:`~aimu_core.testing.FakeAPI.common_fault`'s, with a malformed stream as an
NDJSON line::

    with FakeOllama() as server:
        server.script([Turn("Hello!")])
        client = aimu_core.client("ollama:qwen3:8b", base_url=server.url)

Importing this module does not import the ``ollama`` SDK.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from typing import Any

from aimu_core.testing import (
    FAKE_DIMENSIONS,
    RETRY_AFTER,
    FakeAPI,
    Request,
    Response,
    Turn,
    fake_vector,
    last_user_text,
    presented_key,
)

__all__ = ["FakeOllama", "KNOWN_OPTIONS"]

#: Option names Ollama's runner understands (a strict fake rejects others).
KNOWN_OPTIONS = frozenset(
    {
        "num_ctx", "num_predict", "num_keep", "num_batch", "num_gpu", "main_gpu", "num_thread",
        "seed", "top_k", "top_p", "min_p", "typical_p", "tfs_z", "repeat_last_n", "temperature",
        "repeat_penalty", "presence_penalty", "frequency_penalty", "mirostat", "mirostat_tau",
        "mirostat_eta", "penalize_newline", "stop", "numa", "low_vram", "use_mmap", "use_mlock",
    }
)  # fmt: skip

_ERRORS = {
    "server_error": (500, "llama runner process has terminated: exit status 2"),
    "unavailable": (503, "server busy, please try again.  maximum pending requests exceeded"),
    "permission": (403, "forbidden"),
    "not_found": (404, "model not found, try pulling it first"),
    "rate_limit": (429, "too many requests"),
    "authentication": (401, "unauthorized"),
    "context_length": (400, "the input length exceeds the context length (4096 tokens)"),
}
_CREATED = "2025-01-01T00:00:00Z"


class FakeOllama(FakeAPI):
    """A scripted Ollama server on 127.0.0.1 (chat, generate, embed, tags).

    Args:
        models: ``{tag: capabilities}`` served by ``/api/tags``; when given, other
            tags get a 404 and requests needing a missing capability
            (``"tools"``, ``"thinking"``, ``"vision"``) get Ollama's 400.
            ``None`` accepts any model.
        chunk_size: characters per streamed part.

    Attributes:
        requests: ``(path, body)`` of every chat/generate request received.
        bodies: their bodies; ``headers``: their headers.
    """

    #: The length of the vectors ``POST /api/embed`` answers with.
    embedding_dimensions: int = FAKE_DIMENSIONS

    def __init__(
        self, models: Mapping[str, Iterable[str]] | None = None, *, chunk_size: int = 4
    ) -> None:
        super().__init__()
        self.models = _capabilities(models)
        self.chunk_size = chunk_size
        self.retry_after = str(RETRY_AFTER)

    @property
    def requests(self) -> list[tuple[str, dict[str, Any]]]:
        return [(_route(request), request.json()) for request in self.log]

    def reset(self, models: Mapping[str, Iterable[str]] | None = None) -> None:
        """Forget queued replies and recorded requests; serve *models* from now on."""
        super().reset()
        self.models = _capabilities(models)

    def answer(self, request: Request) -> Response:
        path = _route(request)
        if request.method == "GET" and path == "/api/tags":
            return Response.json({"models": [_tag(name) for name in self.models or {}]})
        if request.method == "GET" and path == "/api/version":
            return Response.json({"version": "0.12.0"})
        if request.method == "POST" and path == "/api/embed":
            return self._embed(request)
        if request.method != "POST" or path not in ("/api/chat", "/api/generate"):
            return Response.json({"error": f"404 page not found: {request.path}"}, 404)
        body = request.json()
        chat = path == "/api/chat"
        echo = last_user_text(body.get("messages")) if chat else str(body.get("prompt") or "")
        turn = self.next_reply(request, echo=echo)
        if isinstance(turn, Response):
            return turn
        problem = self._check(path, body)
        if problem:
            status, message = problem
            return Response.json({"error": message}, status)
        fault = self.common_fault(turn, stream=body.get("stream", True))
        if fault is not None:
            return fault
        if turn.fail in _ERRORS:
            return self._status_fault(turn, request)
        parts = self.parts(turn, body, chat=chat)
        if body.get("stream", True):
            if turn.fail == "stream_cut":
                return Response.ndjson([p for p in parts if not p["done"]], cut=True)
            return Response.ndjson(parts)
        return Response.json(_merge(parts, chat=chat))

    def _status_fault(self, turn: Turn, request: Request) -> Response:
        """Ollama's answer to a status fault (a 401 quotes the key it was given)."""
        status, message = _ERRORS[turn.fail or ""]
        headers = {"retry-after": self.retry_after} if turn.fail == "rate_limit" else None
        key = presented_key(request)
        if turn.fail == "authentication" and key:
            message = f"{message}: {key}"
        return Response.json({"error": message}, status, headers)

    def _embed(self, request: Request) -> Response:
        """``POST /api/embed``: a vector per input computed from its text
        (:func:`~aimu_core.testing.fake_vector`, ``dimensions`` long when asked), or the
        scripted fault."""
        body = request.json() or {}
        turn = self.next_reply(request)
        if isinstance(turn, Response):
            return turn
        fault = self.common_fault(turn, stream=False)
        if fault is not None:
            return fault
        if turn.fail in _ERRORS:
            return self._status_fault(turn, request)
        model = body.get("model")
        if not model:
            return Response.json({"error": "model is required"}, 400)
        if self.models is not None and model not in self.models:
            return Response.json({"error": f"model '{model}' not found"}, 404)
        inputs = body.get("input")
        inputs = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(inputs, list) or not all(isinstance(t, str) for t in inputs):
            return Response.json({"error": "invalid input type"}, 400)
        size = body.get("dimensions") or self.embedding_dimensions
        return Response.json(
            {
                "model": model,
                "embeddings": [fake_vector(text, size) for text in inputs],
                "total_duration": 1000,
                "load_duration": 10,
                "prompt_eval_count": sum(len(text.split()) for text in inputs),
            }
        )

    def malformed_stream(self) -> Response:
        """An NDJSON stream whose first line is not JSON."""
        return Response(200, {"Content-Type": "application/x-ndjson"}, chunks=[b"{oops]\n"])

    def parts(self, turn: Turn, body: dict[str, Any], *, chat: bool = True) -> list[dict[str, Any]]:
        """The streamed parts of a reply to *turn*, Ollama-style."""
        model = body.get("model", "")
        think = bool(body.get("think")) and not turn.think_tags
        thinking, text = turn.thinking, turn.text
        if thinking and not think:
            text, thinking = (
                f"<think>{thinking}</think>{text}",
                "",
            )  # as a model without `think` writes it
        parts = [self._part(model, chat, thinking=p) for p in self._pieces(thinking)]
        parts += [self._part(model, chat, text=p) for p in self._pieces(text)]
        for name, arguments in turn.tool_calls:
            parts.append(self._part(model, chat))  # Ollama's empty part before a tool call
            part = self._part(model, chat)
            part["message"]["tool_calls"] = [{"function": {"name": name, "arguments": arguments}}]
            parts.append(part)
        final = self._part(model, chat)
        final.update(
            done=True,
            done_reason="stop",
            total_duration=1000,
            prompt_eval_count=len(json.dumps(body.get("messages", body.get("prompt", "")))) // 4,
            eval_count=max(1, (len(turn.text) + len(turn.thinking)) // 4),
        )
        parts.append(final)
        return parts

    def _part(
        self, model: str, chat: bool, *, text: str = "", thinking: str = ""
    ) -> dict[str, Any]:
        part: dict[str, Any] = {"model": model, "created_at": _CREATED, "done": False}
        if chat:
            part["message"] = {"role": "assistant", "content": text}
            if thinking:
                part["message"]["thinking"] = thinking
        else:
            part["response"] = text
            if thinking:
                part["thinking"] = thinking
        return part

    def _pieces(self, text: str) -> list[str]:
        size = self.chunk_size
        return [text[i : i + size] for i in range(0, len(text), size)]

    # -- strictness --------------------------------------------------------------------

    def _check(self, path: str, body: dict[str, Any]) -> tuple[int, str] | None:
        model = body.get("model")
        if not model:
            return 400, "model is required"
        options = body.get("options") or {}
        unknown = sorted(set(options) - KNOWN_OPTIONS)
        if unknown:
            return 400, f"invalid option provided: {unknown[0]}"
        think = body.get("think")
        if (
            think is not None
            and not isinstance(think, bool)
            and think not in ("low", "medium", "high")
        ):
            return 400, f"invalid think value: {think!r}"
        images = list(body.get("images") or [])
        for number, message in enumerate(body.get("messages") or []):
            if message.get("role") not in ("system", "user", "assistant", "tool"):
                return 400, f"messages.{number}: invalid role {message.get('role')!r}"
            if not isinstance(message.get("content", ""), str):
                return 400, f"messages.{number}: content must be a string"
            for call in message.get("tool_calls") or []:
                if not isinstance(call.get("function", {}).get("arguments"), dict):
                    return (
                        400,
                        "json: cannot unmarshal string into Go struct field .arguments "
                        "of type api.ToolCallFunctionArguments",
                    )
            images += message.get("images") or []
        for image in images:
            try:
                base64.b64decode(image, validate=True)
            except (binascii.Error, TypeError, ValueError):
                return 400, "illegal base64 data in image"
        if self.models is None:
            return None
        name = model if ":" in model else f"{model}:latest"
        capabilities = self.models.get(model, self.models.get(name))
        if capabilities is None:
            return 404, f"model '{model}' not found"
        if think and "thinking" not in capabilities:
            return 400, f'"{model}" does not support thinking'
        if body.get("tools") and "tools" not in capabilities:
            return 400, f"registry.ollama.ai/library/{name} does not support tools"
        if images and "vision" not in capabilities:
            return 400, f"{model} does not support images"
        return None


def _tag(name: str) -> dict[str, Any]:
    family = "nomic-bert" if "embed" in name else name.split(":")[0]
    return {
        "name": name,
        "model": name,
        "modified_at": _CREATED,
        "size": 1,
        "digest": "0" * 64,
        "details": {
            "format": "gguf",
            "family": family,
            "parameter_size": "1B",
            "quantization_level": "Q4_K_M",
        },
    }


def _merge(parts: list[dict[str, Any]], *, chat: bool) -> dict[str, Any]:
    """A non-streamed reply: every part folded into the final one."""
    final = dict(parts[-1])
    if chat:
        message: dict[str, Any] = {"role": "assistant", "content": ""}
        thinking = "".join(p["message"].get("thinking", "") for p in parts)
        message["content"] = "".join(p["message"]["content"] for p in parts)
        if thinking:
            message["thinking"] = thinking
        calls = [c for p in parts for c in p["message"].get("tool_calls", [])]
        if calls:
            message["tool_calls"] = calls
        final["message"] = message
    else:
        final["response"] = "".join(p.get("response", "") for p in parts)
        thinking = "".join(p.get("thinking", "") for p in parts)
        if thinking:
            final["thinking"] = thinking
    return final


def _route(request: Request) -> str:
    return request.path.split("?")[0].rstrip("/")


def _capabilities(models: Mapping[str, Iterable[str]] | None) -> dict[str, frozenset[str]] | None:
    return {k: frozenset(v) for k, v in models.items()} if models is not None else None
