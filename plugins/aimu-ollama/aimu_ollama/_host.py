"""Where the Ollama server is: ``base_url=``, ``OLLAMA_HOST`` or the default port.

Parsed the way the ``ollama`` SDK parses ``OLLAMA_HOST`` (``host``,
``host:port``, ``:port``, a full URL), without importing the SDK, so model
discovery stays cheap; for the same reason each function imports
``urllib.parse`` itself (it costs milliseconds at every start-up otherwise).
"""

from __future__ import annotations

import os

from aimu_core.provider import ConfigurationError, quoted

__all__ = ["DEFAULT_HOST", "credentials", "is_loopback", "resolve_host"]

DEFAULT_HOST = "http://127.0.0.1:11434"


def resolve_host(base_url: str | None = None) -> str:
    """The server URL: *base_url*, else ``OLLAMA_HOST``, else ``http://127.0.0.1:11434``.

    A ``user:password@`` is not part of it (see :func:`credentials`).

    Raises:
        ConfigurationError: a port that is not a number from 1 to 65535, or a malformed host.
    """
    import urllib.parse

    raw = _raw(base_url)
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
    try:
        split = urllib.parse.urlsplit(f"{scheme}://{rest}")
        given = split.port  # ValueError when out of range or not a number
    except ValueError:
        split = None  # raised below, outside the except: no ValueError as its context
    if split is None or given == 0 or scheme not in ("http", "https"):
        where = "base_url=" if base_url else "OLLAMA_HOST"
        raise ConfigurationError(
            f"Ollama's address {quoted(raw)} (from {where}) is not a usable URL: write host, "
            "host:port or http(s)://host:port, with a port from 1 to 65535"
        )
    host = split.hostname or "127.0.0.1"
    if host == "0.0.0.0":  # a server bound to every interface is reached on loopback
        host = "127.0.0.1"
    port = given or port
    if ":" in host:
        host = f"[{host}]"
    path = split.path.strip("/")
    return f"{scheme}://{host}:{port}" + (f"/{path}" if path else "")


def credentials(base_url: str | None = None) -> tuple[str, str] | None:
    """The ``(user, password)`` of the URL :func:`resolve_host` reads, percent-decoded;
    ``None`` when it has none. Sent as HTTP basic auth (the SDK drops a URL's userinfo)."""
    import urllib.parse

    raw = _raw(base_url)
    netloc = urllib.parse.urlsplit(raw if "://" in raw else f"http://{raw}").netloc
    userinfo, at, _ = netloc.rpartition("@")
    if not at:
        return None
    user, _, password = userinfo.partition(":")
    return urllib.parse.unquote(user), urllib.parse.unquote(password)


def _raw(base_url: str | None) -> str:
    return (base_url or os.environ.get("OLLAMA_HOST") or "").strip()


def is_loopback(url: str) -> bool:
    """Whether *url* points at this machine (the only place discovery may look)."""
    import urllib.parse

    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        import ipaddress  # here: discovery runs at start-up, this only when probing

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
