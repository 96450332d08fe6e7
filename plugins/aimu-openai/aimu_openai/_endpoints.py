"""The providers of this plugin as data: one :class:`Endpoint` record each, and local-server discovery.

Every provider here speaks OpenAI's Chat Completions API (local servers also the
raw Completions API, for ``generate()``); they differ only in
where the server listens, where its key comes from and which kwargs it
understands. :data:`ENDPOINTS` therefore drives both the plugin's hook records
(``aimu_openai/__init__.py``) and its one pair of client classes
(``aimu_openai/client.py``): a new OpenAI-compatible server is one row.

Kept free of the openai SDK: the plugin module imports it to build its
records, and ``discover`` runs whenever aimu picks a default model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aimu_core.provider import Model

from .models import GeminiModel, OpenAIModel

__all__ = ["ENDPOINTS", "Endpoint", "discover_at"]

# -- generation kwargs: portable name -> the server's name ---------------------------------

_STANDARD_KWARGS: Mapping[str, str] = {
    name: name
    for name in "temperature top_p max_tokens stop seed presence_penalty frequency_penalty".split()
}
#: llama.cpp's server and LM Studio also take top_k and repeat_penalty.
_LLAMACPP_KWARGS = {**_STANDARD_KWARGS, "top_k": "top_k", "repeat_penalty": "repeat_penalty"}
#: vLLM and SGLang call the repeat penalty repetition_penalty.
_VLLM_KWARGS = {**_STANDARD_KWARGS, "top_k": "top_k", "repeat_penalty": "repetition_penalty"}
#: OpenAI deprecated max_tokens for max_completion_tokens (reasoning models reject max_tokens).
_OPENAI_KWARGS = {**_STANDARD_KWARGS, "max_tokens": "max_completion_tokens"}
#: OpenAI's reasoning models (o-series, GPT-5) reject sampling settings and stop sequences.
_OPENAI_REASONING_KWARGS = {"max_tokens": "max_completion_tokens", "seed": "seed"}

_COMMON_NATIVE = frozenset(
    "reasoning_effort response_format logit_bias logprobs top_logprobs parallel_tool_calls"
    " tool_choice user extra_body extra_headers extra_query".split()
)
_LOCAL_NATIVE = _COMMON_NATIVE | {"min_p", "chat_template_kwargs"}
_OPENAI_NATIVE = _COMMON_NATIVE | set(
    "max_completion_tokens metadata prediction prompt_cache_key safety_identifier service_tier"
    " store verbosity".split()
)


@dataclass(frozen=True)
class Endpoint:
    """One provider: an OpenAI-compatible server and what is particular about it.

    Attributes:
        name: the model-string prefix (``"vllm"``).
        classes: the stem of its client classes' names in :mod:`aimu_openai.client`
            (``"VLLM"``: ``VLLMClient`` and ``AsyncVLLMClient``).
        description: one line for ``aimu plugins`` and ``aimu models``.
        base_url: where the server listens by default; ``None``: the user must say.
        base_url_env: env var holding the base URL, read when no ``base_url=`` is given.
        key_envs: env vars holding the API key, first set wins.
        requires_key: without a key the client refuses to start (hosted APIs);
            otherwise a placeholder is sent, as the SDK insists on one.
        kwargs: portable generation kwarg -> the server's name for it.
        thinking_kwargs: the vocabulary of models flagged ``thinking``, where it differs.
        native: provider-specific kwargs passed through unchanged.
        catalog: a hosted API's model catalog; ``None`` for a server that serves
            whatever it loaded (any id, with ``;flags``, and ``@url`` accepted).
        sends_openai_org: whether the SDK may add ``OPENAI_ORG_ID`` /
            ``OPENAI_PROJECT_ID`` from the environment as headers (OpenAI's business only).
        discover: whether aimu asks the default URL for its models when picking a default.
        completions: whether ``generate()`` uses the raw Completions endpoint
            (``/v1/completions``), so base models continue the prompt as it is; the
            hosted APIs answer ``generate()`` through Chat Completions instead.
    """

    name: str
    classes: str
    description: str
    base_url: str | None = None
    base_url_env: str | None = None
    key_envs: tuple[str, ...] = ()
    requires_key: bool = False
    kwargs: Mapping[str, str] = field(default_factory=lambda: _STANDARD_KWARGS)
    thinking_kwargs: Mapping[str, str] | None = None
    native: frozenset[str] = _LOCAL_NATIVE
    catalog: type[Model] | None = None
    sends_openai_org: bool = False
    discover: bool = False
    completions: bool = True


def _local(
    name: str, classes: str, what: str, port: int, kwargs: Mapping[str, str], key_env: str = ""
) -> Endpoint:
    """A server on this machine, at *port* unless told otherwise; it serves what it loaded."""
    url = f"http://localhost:{port}/v1"
    return Endpoint(
        name,
        classes,
        f"Models served by {what} (default {url})",
        base_url=url,
        key_envs=(key_env,) if key_env else (),
        kwargs=kwargs,
        discover=True,
    )


#: Every provider of this plugin, by model-string prefix.
ENDPOINTS: Mapping[str, Endpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        Endpoint(
            "openai",
            "OpenAI",
            "OpenAI's Chat Completions API (GPT-4o, GPT-4.1, o-series, GPT-5)",
            base_url="https://api.openai.com/v1",
            base_url_env="OPENAI_BASE_URL",
            key_envs=("OPENAI_API_KEY",),
            requires_key=True,
            kwargs=_OPENAI_KWARGS,
            thinking_kwargs=_OPENAI_REASONING_KWARGS,
            native=_OPENAI_NATIVE,
            catalog=OpenAIModel,
            sends_openai_org=True,
            completions=False,
        ),
        Endpoint(
            "gemini",
            "Gemini",
            "Google Gemini through its OpenAI-compatible endpoint",
            base_url="https://generativelanguage.googleapis.com/v1beta/openai/",
            key_envs=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            requires_key=True,
            native=_COMMON_NATIVE,
            catalog=GeminiModel,
            completions=False,
        ),
        _local("lmstudio", "LMStudio", "LM Studio's local server", 1234, _LLAMACPP_KWARGS),
        _local("vllm", "VLLM", "a vLLM server", 8000, _VLLM_KWARGS, "VLLM_API_KEY"),
        _local(
            "llamaserver",
            "LlamaServer",
            "llama.cpp's llama-server",
            8080,
            _LLAMACPP_KWARGS,
            "LLAMA_API_KEY",
        ),
        _local("sglang", "SGLang", "an SGLang server", 30000, _VLLM_KWARGS),
        Endpoint(
            "openai-compat",
            "OpenAICompat",
            "Any OpenAI-compatible server: openai-compat:<model>@http://host:port/v1",
        ),
    )
}

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
