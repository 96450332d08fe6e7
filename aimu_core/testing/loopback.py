"""A loopback HTTP server for testing a provider's real SDK offline.

The server listens on ``127.0.0.1`` (a free port), records every request and
answers with whatever the test's ``handler`` returns: a JSON body, a streamed
body (SSE or NDJSON, one chunk at a time), an error status, a connection cut
mid-stream, or nothing for a while (``Response.delay``). It speaks HTTP/1.1
only, which every SDK uses on loopback::

    def handler(request: Request) -> Response:
        return Response.json({"id": "x", ...})

    with LoopbackServer(handler) as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="test")
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LoopbackServer", "Request", "Response"]


@dataclass
class Request:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    """What to answer. ``chunks`` streams the body piece by piece (no Content-Length)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: Iterable[bytes] | None = None
    #: Close the connection after the chunks, without the terminating chunk.
    cut: bool = False
    #: Seconds to wait before answering (a server too slow for the client's timeout);
    #: the wait ends early when the server stops.
    delay: float = 0.0

    @classmethod
    def json(
        cls,
        data: Any,
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        delay: float = 0.0,
    ) -> Response:
        return cls(
            status,
            {"Content-Type": "application/json", **(headers or {})},
            json.dumps(data).encode(),
            delay=delay,
        )

    @classmethod
    def sse(
        cls, events: Iterable[dict[str, Any] | str | tuple[str, Any]], *, cut: bool = False
    ) -> Response:
        """Server-sent events: dicts become ``data: {json}``, ``(event, data)`` pairs get an ``event:`` line."""

        def encode(event: Any) -> bytes:
            if isinstance(event, tuple):
                name, data = event
                return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
            data = event if isinstance(event, str) else json.dumps(event)
            return f"data: {data}\n\n".encode()

        return cls(
            200, {"Content-Type": "text/event-stream"}, chunks=[encode(e) for e in events], cut=cut
        )

    @classmethod
    def ndjson(cls, objects: Iterable[Any], *, cut: bool = False) -> Response:
        return cls(
            200,
            {"Content-Type": "application/x-ndjson"},
            chunks=[json.dumps(o).encode() + b"\n" for o in objects],
            cut=cut,
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 resets connections when a test or benchmark
    # opens many at once (16 parallel workers, say).
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client leaving mid-response (timeout and cut-stream tests) is expected.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 answering with ``handler(request)``."""

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self._stopping = threading.Event()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # TCP_NODELAY: headers and body go out as separate writes; with Nagle's
            # algorithm and the client's delayed ACK each answer waits ~40 ms.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                server.requests.append(request)
                try:
                    response = server.handler(request)
                except Exception as exc:  # a broken test handler is a 500 the SDK will report
                    response = Response.json({"error": {"message": f"handler failed: {exc}"}}, 500)
                if response.delay and server._stopping.wait(response.delay):
                    self.close_connection = True
                    return
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                if response.chunks is None:
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for chunk in response.chunks:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                if response.cut:
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_DELETE = do_PUT = _serve

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        # A short poll interval: stop() waits up to one interval.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
