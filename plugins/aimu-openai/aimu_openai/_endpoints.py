"""Where each provider's server listens by default, and cheap discovery of local servers.

Kept free of the openai SDK: the plugin module imports it to build its
records, and ``discover`` runs whenever aimu picks a default model.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "GEMINI_URL",
    "LLAMASERVER_URL",
    "LMSTUDIO_URL",
    "OPENAI_URL",
    "SGLANG_URL",
    "VLLM_URL",
    "discover_at",
    "discoverer",
]

OPENAI_URL = "https://api.openai.com/v1"
GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta/openai/"
LMSTUDIO_URL = "http://localhost:1234/v1"
VLLM_URL = "http://localhost:8000/v1"
LLAMASERVER_URL = "http://localhost:8080/v1"
SGLANG_URL = "http://localhost:30000/v1"

#: Seconds to wait for a local server's model list. Loopback answers (or
#: refuses) at once; anything slower is not a server we want as a default.
_PROBE_TIMEOUT = 0.5


def discover_at(base_url: str, *, timeout: float = _PROBE_TIMEOUT) -> list[str]:
    """Model ids the OpenAI-compatible server at *base_url* serves, or ``[]``.

    Never raises: a closed port, a server that is not OpenAI-compatible or a
    malformed answer all mean "nothing here". Ids that cannot be written in a
    model string (they contain ``@`` or ``;``) are skipped.
    """
    # Imported here, not at module level: this module is on the path of plugin
    # discovery, and urllib pulls in http.client, email and ssl (~15 ms).
    import json
    import urllib.error
    import urllib.request

    url = base_url.rstrip("/") + "/models"
    # No proxies: a proxy from the environment must not answer for localhost.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            payload = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return []
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        return []
    ids = [item.get("id") for item in data if isinstance(item, dict)]
    return [i for i in ids if isinstance(i, str) and i and "@" not in i and ";" not in i]


def discoverer(base_url: str) -> Callable[[], list[str]]:
    """A ``TextProvider.discover`` callable probing *base_url*."""

    def discover() -> list[str]:
        return discover_at(base_url)

    discover.__doc__ = f"Model ids served at {base_url} right now."
    return discover
