"""Where the Ollama server is: ``base_url=``, ``OLLAMA_HOST`` or the default port.

Parsed the way the ``ollama`` SDK parses ``OLLAMA_HOST`` (``host``,
``host:port``, ``:port``, a full URL), without importing the SDK, so model
discovery stays cheap.
"""

from __future__ import annotations

import os
import urllib.parse

__all__ = ["DEFAULT_HOST", "is_loopback", "resolve_host"]

DEFAULT_HOST = "http://127.0.0.1:11434"


def resolve_host(base_url: str | None = None) -> str:
    """The server URL: *base_url*, else ``OLLAMA_HOST``, else ``http://127.0.0.1:11434``."""
    raw = (base_url or os.environ.get("OLLAMA_HOST") or "").strip()
    if not raw:
        return DEFAULT_HOST
    scheme, sep, rest = raw.partition("://")
    port = 11434
    if not sep:
        scheme, rest = "http", raw
    elif scheme == "http":
        port = 80
    elif scheme == "https":
        port = 443
    split = urllib.parse.urlsplit(f"{scheme}://{rest}")
    host = split.hostname or "127.0.0.1"
    if host == "0.0.0.0":  # a server bound to every interface is reached on loopback
        host = "127.0.0.1"
    port = split.port or port
    if ":" in host:
        host = f"[{host}]"
    path = split.path.strip("/")
    return f"{scheme}://{host}:{port}" + (f"/{path}" if path else "")


def is_loopback(url: str) -> bool:
    """Whether *url* points at this machine (the only place discovery may look)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        import ipaddress  # here: discovery runs at start-up, this only when probing

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
