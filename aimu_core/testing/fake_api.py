"""The base of a plugin's fake provider API: a loopback server that replays scripted replies.

:class:`FakeAPI` holds what every fake network API shares, so that a plugin's fake
(``aimu_<name>/testing.py``) is only its wire format: the
:class:`~aimu_core.testing.LoopbackServer`, its lifecycle (``url``, ``start``,
``stop``, ``with``), the queue of scripted replies filled by :meth:`FakeAPI.script`,
the log of the API requests received, and :meth:`FakeAPI.reset` between tests.
A subclass implements :meth:`FakeAPI.answer`, routes each API call through
:meth:`FakeAPI.next_reply` and renders the :class:`~aimu_core.testing.Turn` it
gets in its provider's format::

    class FakeMyProv(FakeAPI):
        def answer(self, request: Request) -> Response:
            body = request.json()
            reply = self.next_reply(request, echo=last_user_text(body.get("messages")))
            if isinstance(reply, Response):  # queued raw, or made by a queued handler
                return reply
            fault = self.common_fault(reply, stream=bool(body.get("stream")))
            if fault is not None:  # a fault every HTTP API shows the same way
                return fault
            if reply.fail in STATUS:  # a status fault, in MyProv's error body
                return Response.json({"error": reply.fail}, STATUS[reply.fail])
            return Response.json({"text": reply.text})

Faults (``Turn.fail``, :data:`~aimu_core.testing.FAILURES`) split in two. Those
that look the same whatever the API (a slow reply, an HTML page, a body that is
not JSON, a whole body cut half-way) are rendered here by :meth:`FakeAPI.common_fault`;
a streamed reply that is not JSON is framed by :meth:`FakeAPI.malformed_stream`
(SSE ``data:`` lines unless a subclass says otherwise). The status faults
(:data:`~aimu_core.testing.STATUS`) and a stream cut after some text need the
provider's own error body and events, so the subclass renders them.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Self

from .loopback import LoopbackServer, Request, Response
from .scripted import Turn

#: What a ``Turn(fail="html")`` answers: a proxy's or a web server's page, with status 200.
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Welcome</title></head>"
    b"<body><h1>It works!</h1><p>This is not the API you are looking for.</p></body></html>\n"
)

__all__ = ["HTML_PAGE", "FakeAPI", "Handler", "Scripted", "last_user_text", "presented_key"]

#: Builds the answer to one request: for faults and odd chunkings a ``Turn`` cannot say.
Handler = Callable[[Request], Response]
#: What :meth:`FakeAPI.script` queues; a string is short for ``Turn(text)``.
Scripted = Turn | Response | Handler


class FakeAPI:
    """A provider API on ``127.0.0.1`` answering from a queue of scripted replies.

    Subclasses implement :meth:`answer`. Safe to use from the server's threads:
    the queue and the log change under one lock.

    Attributes:
        server: the :class:`~aimu_core.testing.LoopbackServer`; its own ``requests``
            hold every request, API call or not.
        log: the requests :meth:`next_reply` answered, oldest first.
    """

    #: Seconds a ``Turn(fail="timeout")`` reply waits before answering: far longer than
    #: the client timeout the conformance kit sets (``FAULT_TIMEOUT``), so the client gives up.
    slow_reply_seconds: float = 5.0

    def __init__(self) -> None:
        self.log: list[Request] = []
        self._queue: deque[Scripted] = deque()
        # Subclasses may take it too, for state of their own that requests change.
        self._lock = threading.Lock()
        self.server = LoopbackServer(self.answer)

    def answer(self, request: Request) -> Response:
        """Answer *request* in the provider's wire format (called on a server thread)."""
        raise NotImplementedError(f"{type(self).__name__} must implement answer()")

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give the client (``http://127.0.0.1:<port>``)."""
        return self.server.url

    def start(self) -> Self:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting ---------------------------------------------------------------------

    def script(self, items: Iterable[Turn | str | Response | Handler]) -> None:
        """Answer the next API requests with these ``Turn``s, raw ``Response``s or handlers.

        With the queue empty the server echoes the last user text. This is the
        conformance kit's ``script``.
        """
        with self._lock:
            self._queue.extend(Turn(item) if isinstance(item, str) else item for item in items)

    def reset(self) -> None:
        """Forget queued replies and every recorded request.

        One server serves a whole test session or benchmark, so the logs
        (the server's own included) must not grow from one round to the next.
        """
        with self._lock:
            self._queue.clear()
            self.log.clear()
            self.server.requests.clear()

    @property
    def bodies(self) -> list[Any]:
        """The JSON bodies of the logged requests, oldest first."""
        return [request.json() for request in self.log]

    @property
    def headers(self) -> list[dict[str, str]]:
        """The headers (lower-case names) of the logged requests, oldest first."""
        return [request.headers for request in self.log]

    # -- faults ------------------------------------------------------------------------

    def common_fault(self, turn: Turn, *, stream: bool) -> Response | None:
        """The answer to a fault every HTTP API shows the same way, or ``None``.

        ``timeout``: a reply held back :attr:`slow_reply_seconds`. ``html``: an HTML
        page with status 200. ``malformed``: a 200 JSON body that does not parse, or
        when *stream*, :meth:`malformed_stream`. ``stream_cut`` of a request that does
        not stream: the JSON body breaks off half-way. ``None`` for the rest (a turn
        without a fault, a status fault, a streamed cut): the subclass renders those.
        """
        fail = turn.fail
        if fail == "timeout":
            return Response.json({}, delay=self.slow_reply_seconds)
        if fail == "html":
            return Response(200, {"Content-Type": "text/html; charset=utf-8"}, HTML_PAGE)
        if fail == "malformed":
            if stream:
                return self.malformed_stream()
            return Response(200, {"Content-Type": "application/json"}, b'{"id": "x", "oops": ]')
        if fail == "stream_cut" and not stream:
            return Response(
                200, {"Content-Type": "application/json"}, chunks=[b'{"id": "cut-'], cut=True
            )
        return None

    def malformed_stream(self) -> Response:
        """A streamed reply whose first event is not JSON (status 200).

        Framed as server-sent events (``data: ...``); a subclass whose API streams
        otherwise (NDJSON, named events) overrides this.
        """
        return Response(200, {"Content-Type": "text/event-stream"}, chunks=[b"data: {oops]\n\n"])

    def next_reply(self, request: Request, echo: str = "") -> Turn | Response:
        """Log *request* and take the next scripted reply for it.

        A queued handler is called here, so the result is a ``Response`` to send
        as it is, or a ``Turn`` to render: ``Turn(echo)`` when nothing is queued.
        """
        with self._lock:
            # Logged with the pop, under one lock, so the log's order is the queue's.
            self.log.append(request)
            item = self._queue.popleft() if self._queue else Turn(echo)
        if isinstance(item, Turn | Response):
            return item
        return item(request)


def last_user_text(messages: Any) -> str:
    """The text of the last user message that has any: a string content, or its
    ``{"type": "text"}`` parts joined by spaces; ``""`` when there is none.

    Lenient on purpose: it runs before a fake checks the request, and a malformed
    request must still get the fake's 400, not a crash.
    """
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if not isinstance(message, Mapping) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            texts = [
                str(part.get("text", ""))
                for part in content
                if isinstance(part, Mapping) and part.get("type") == "text"
            ]
            if texts:
                return " ".join(texts)
    return ""


def presented_key(request: Request) -> str:
    """The API key *request* carries (``Authorization: Bearer ...`` or ``x-api-key``), or ``""``.

    A fake's authentication fault quotes it back, as some real APIs do, so that
    the tests see that the client redacts it.
    """
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        return bearer[7:].strip()
    return request.headers.get("x-api-key", "")
