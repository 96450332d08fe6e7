"""A loopback server speaking the Gemini API's image calls, for offline tests and benchmarks.

:class:`FakeGemini` answers, under any API version and resource prefix (the
Gemini API's ``v1beta/models/...``, Vertex AI's
``v1beta1/publishers/google/models/...`` or ``projects/.../locations/...``):

* ``POST .../models/<model>:generateContent``: a candidate whose content holds
  a text part and an ``inlineData`` part (base64 PNG), sized by the request's
  ``generationConfig.imageConfig.aspectRatio``; a request image part (a
  reference image) tints the picture, so tests can see it arrived;
* ``POST .../models/<model>:predict`` (Imagen): ``predictions`` of
  ``{"bytesBase64Encoded", "mimeType"}``, ``parameters.sampleCount`` of them.

Pictures are a function of the prompt, the seed and the index, so a seeded
request repeats exactly. A request without the ``x-goog-api-key`` header (or
Basic credentials) gets a 401. Faults: ``Turn.fail`` status faults get Google's
error body (``{"error": {"code", "message", "status", "details"}}``; a 429
carries ``RetryInfo.retryDelay``; a 401 quotes the key it was given, as a
careless server might), the rest are
:meth:`~aimu_core.testing.FakeAPI.common_fault`'s. :meth:`FakeGemini.fail_next`
also knows ``"safety"`` (a 400 citing the Responsible AI policy, as Imagen
answers), and :meth:`FakeGemini.blocked_prompt`, :meth:`FakeGemini.withheld`
and :meth:`FakeGemini.text_only` render the 200 replies that carry no image::

    with FakeGemini() as api:
        client = aimu_core.image_client(
            "gemini:gemini-2.5-flash-image", base_url=api.url, api_key="test")

Importing this module does not import the ``google-genai`` SDK.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from functools import lru_cache
from typing import Any

from aimu_core.testing import RETRY_AFTER, STATUS, FakeAPI, Request, Response, Turn

from .models import GEMINI_SIZES, IMAGEN_SIZES

__all__ = ["FakeGemini", "google_error"]

_CALL = re.compile(r"^/(?:[^?]*/)?models/(?P<model>[^/:?]+):(?P<method>[A-Za-z]+)(?:\?.*)?$")
#: Google's status name for each HTTP status.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_MESSAGES = {
    "authentication": "API key not valid. Please pass a valid API key. (got {key})",
    "permission": "The caller does not have permission",
    "not_found": "models/{model} is not found for API version v1beta",
    "rate_limit": "Resource has been exhausted (e.g. check quota).",
    "server_error": "An internal error has occurred. Please retry.",
    "unavailable": "The model is overloaded. Please try again later.",
    "context_length": "The input token count exceeds the maximum number of tokens allowed.",
}
SAFETY_MESSAGE = (
    "Image generation failed with the following error: The prompt could not be submitted. "
    "This prompt contains sensitive words that violate Google's Responsible AI practices. "
    "Try rephrasing the prompt."
)


def google_error(status: int, message: str, details: list[Any] | None = None) -> Response:
    """An error reply in Google's format."""
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": _STATUS_NAMES.get(status, "UNKNOWN"),
    }
    if details:
        error["details"] = details
    return Response.json({"error": error}, status)


class FakeGemini(FakeAPI):
    """The Gemini API's image calls on ``127.0.0.1`` (see the module docstring).

    Attributes:
        requests: the JSON bodies of the API calls answered, with ``_model``,
            ``_method`` and ``_path`` added.
    """

    def answer(self, request: Request) -> Response:
        match = _CALL.match(request.path)
        if request.method != "POST" or match is None:
            return google_error(404, f"Method not found: {request.method} {request.path}")
        try:
            body = request.json()
        except ValueError:
            return google_error(400, "Invalid JSON payload received.")
        if not isinstance(body, dict):
            return google_error(400, "Invalid JSON payload received.")
        model, method = match["model"], match["method"]
        reply = self.next_reply(request, echo=_prompt(body, method))
        if isinstance(reply, Response):
            return reply
        fault = self.common_fault(reply, stream=False)
        if fault is not None:
            return fault
        key = _key(request)
        if reply.fail in STATUS or not key:
            kind = reply.fail if reply.fail in STATUS else "authentication"
            return _status_fault(kind or "authentication", model, key)
        if reply.fail == "stream_cut":  # nothing streams here: a cut body
            return Response(200, {"Content-Type": "application/json"}, chunks=[b'{"cand'], cut=True)
        if method == "generateContent":
            return Response.json(self._content(body, model, reply))
        if method == "predict":
            return Response.json(self._predict(body))
        return google_error(404, f"Method {method} is not served by this fake")

    # -- scripting -------------------------------------------------------------------------

    def fail_next(self, kind: str) -> None:
        """The next request fails as *kind* says: a ``Turn.fail`` kind, or ``"safety"``."""
        if kind == "safety":
            self.script([google_error(400, SAFETY_MESSAGE)])
        else:
            self.script([Turn(fail=kind)])

    def blocked_prompt(self, reason: str = "SAFETY") -> None:
        """The next ``generateContent`` answers 200 with ``promptFeedback.blockReason``."""
        self.script(
            [Response.json({"promptFeedback": {"blockReason": reason}, "modelVersion": "fake"})]
        )

    def withheld(self, finish_reason: str = "IMAGE_SAFETY") -> None:
        """The next ``generateContent`` answers 200 with a candidate that finished for
        *finish_reason* and holds no image."""
        candidate = {"content": {"role": "model", "parts": []}, "finishReason": finish_reason}
        self.script([Response.json({"candidates": [candidate]})])

    def text_only(self, text: str) -> None:
        """The next ``generateContent`` answers with text and no image."""
        candidate = {
            "content": {"role": "model", "parts": [{"text": text}]},
            "finishReason": "STOP",
        }
        self.script([Response.json({"candidates": [candidate]})])

    def filtered(self, reason: str = "Filtered by the safety filter (code 58061214).") -> None:
        """The next ``predict`` answers with every prediction filtered (``raiFilteredReason``)."""
        self.script([Response.json({"predictions": [{"raiFilteredReason": reason}]})])

    @property
    def requests(self) -> list[dict[str, Any]]:
        out = []
        for request in self.log:
            match = _CALL.match(request.path)
            body = request.json()
            if match and isinstance(body, dict):
                body = {**body, "_model": match["model"], "_method": match["method"]}
                body["_path"] = request.path
            out.append(body)
        return out

    # -- replies ---------------------------------------------------------------------------

    def _content(self, body: dict[str, Any], model: str, turn: Turn) -> dict[str, Any]:
        config = body.get("generationConfig") or {}
        ratio = (config.get("imageConfig") or {}).get("aspectRatio", "1:1")
        size = GEMINI_SIZES.get(ratio, GEMINI_SIZES["1:1"])
        tint = _reference_tint(body)
        png = _picture(turn.text, config.get("seed"), 0, size, tint)
        parts = [
            {"text": f"Here is {turn.text[:40]}"},
            {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}},
        ]
        return {
            "candidates": [
                {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 1290},
            "modelVersion": model,
        }

    def _predict(self, body: dict[str, Any]) -> dict[str, Any]:
        parameters = body.get("parameters") or {}
        prompt = _prompt(body, "predict")
        size = IMAGEN_SIZES.get(parameters.get("aspectRatio", "1:1"), IMAGEN_SIZES["1:1"])
        count = int(parameters.get("sampleCount", 1))
        seed = parameters.get("seed")
        return {
            "predictions": [
                {
                    "bytesBase64Encoded": base64.b64encode(
                        _picture(prompt, seed, i, size, None)
                    ).decode(),
                    "mimeType": "image/png",
                }
                for i in range(count)
            ]
        }


def _status_fault(kind: str, model: str, key: str) -> Response:
    status = STATUS[kind]
    message = _MESSAGES[kind].format(key=key or "no key", model=model)
    details: list[Any] = []
    if kind == "rate_limit":
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{RETRY_AFTER}s"}
        )
    return google_error(status, message, details)


def _key(request: Request) -> str:
    return request.headers.get("x-goog-api-key", "") or (
        "basic" if request.headers.get("authorization", "").startswith("Basic ") else ""
    )


def _prompt(body: dict[str, Any], method: str) -> str:
    """The prompt text of a request (lenient: a malformed request still gets an answer)."""
    if method == "predict":
        instances = body.get("instances") or [{}]
        first = instances[0] if isinstance(instances, list) and instances else {}
        return str(first.get("prompt", "")) if isinstance(first, dict) else ""
    texts = []
    for content in body.get("contents") or []:
        for part in content.get("parts", []) if isinstance(content, dict) else []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return " ".join(texts)


def _b64(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not: the API accepts both (the SDK sends
    URL-safe)."""
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _reference_tint(body: dict[str, Any]) -> tuple[int, int, int] | None:
    """The mean colour of the first request image, if any: the reply is tinted with it."""
    for content in body.get("contents") or []:
        for part in content.get("parts", []) if isinstance(content, dict) else []:
            inline = part.get("inlineData") if isinstance(part, dict) else None
            if isinstance(inline, dict) and inline.get("data"):
                import PIL.Image
                import PIL.ImageStat

                with PIL.Image.open(io.BytesIO(_b64(inline["data"]))) as image:
                    mean = PIL.ImageStat.Stat(image.convert("RGB")).mean
                return (int(mean[0]), int(mean[1]), int(mean[2]))
    return None


def _picture(
    prompt: str,
    seed: int | None,
    index: int,
    size: tuple[int, int],
    tint: tuple[int, int, int] | None,
) -> bytes:
    """A PNG: a colour field from the prompt and seed (random without a seed), tinted."""
    import os

    salt = str(seed) if seed is not None else os.urandom(8).hex()
    return _drawn(f"{prompt}|{salt}|{index}", size, tint)


@lru_cache(maxsize=64)
def _drawn(key: str, size: tuple[int, int], tint: tuple[int, int, int] | None) -> bytes:
    import PIL.Image

    r, g, b = hashlib.sha256(key.encode()).digest()[:3]
    if tint is not None:
        r, g, b = ((r + tint[0]) // 2, (g + tint[1]) // 2, (b + tint[2]) // 2)
    image = PIL.Image.new("RGB", size, (r, g, b))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
