"""``discover()``: the models a running local Ollama has, for picking the default model.

Called by aimu-core when no model is given. It asks the server's
``GET /api/tags`` with a short timeout and answers ``[]`` at once when nothing
listens; it never looks beyond this machine, and it imports neither the SDK
nor an HTTP client library until it runs.
"""

from __future__ import annotations

from typing import Any

from ._host import is_loopback, resolve_host
from .models import OllamaModel

__all__ = ["TIMEOUT", "discover", "rank_models"]

#: Seconds to wait for a local server; a live one answers in milliseconds.
TIMEOUT = 0.3

#: Model families known to call tools, for models outside the catalog.
_TOOL_FAMILIES = frozenset(
    {
        "llama3.1", "llama3.2", "llama3.3", "llama4", "qwen2.5", "qwen2.5-coder", "qwen3",
        "qwen3-coder", "mistral", "mistral-nemo", "mistral-small", "mistral-large", "command-r",
        "command-r-plus", "hermes3", "granite3.1-dense", "granite3.3", "gpt-oss", "smollm2",
        "phi4-mini", "devstral", "magistral", "cogito", "firefunction-v2",
    }
)  # fmt: skip


def discover() -> list[str]:
    """Model tags of the local Ollama server, best default first ([] when none runs)."""
    host = resolve_host()
    if not is_loopback(host):
        return []
    import http.client
    import json
    import urllib.parse

    split = urllib.parse.urlsplit(host)
    connection_class = (
        http.client.HTTPSConnection if split.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(split.hostname or "127.0.0.1", split.port, timeout=TIMEOUT)
    try:
        connection.request("GET", (split.path.rstrip("/") or "") + "/api/tags")
        response = connection.getresponse()
        if response.status != 200:
            return []
        data = json.loads(response.read())
    except (OSError, ValueError):
        return []
    finally:
        connection.close()
    models = data.get("models") if isinstance(data, dict) else None
    return rank_models(models if isinstance(models, list) else [])


def rank_models(models: list[Any]) -> list[str]:
    """Chat models from an ``/api/tags`` listing: tool-capable first, embedding models left out.

    ``:latest`` is dropped from tags so catalog models resolve to their catalog entry.
    """
    catalog = {m.value: m for m in OllamaModel}
    ranked: list[tuple[int, int, str]] = []
    for position, entry in enumerate(models):
        if not isinstance(entry, dict):
            continue
        name = entry.get("name") or entry.get("model")
        if not isinstance(name, str) or not name:
            continue
        details = entry.get("details")
        family = str(details.get("family", "")) if isinstance(details, dict) else ""
        if "embed" in name or family in ("bert", "nomic-bert"):
            continue  # embedding models cannot chat
        if name.endswith(":latest"):
            name = name[: -len(":latest")]
        member = catalog.get(name)
        if member is not None and member.supports_tools:
            rank = 0
        elif member is None and name.split(":")[0].split("/")[-1] in _TOOL_FAMILIES:
            rank = 1
        else:
            rank = 2
        ranked.append((rank, position, name))
    return [name for _, _, name in sorted(ranked)]
