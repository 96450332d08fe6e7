"""Registration, model strings, keys and base URLs from arguments or env vars, SDK options, discovery."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest
from aimu_openai import GeminiModel, OpenAIModel
from aimu_openai._endpoints import discover_at
from aimu_openai.client import (
    PLACEHOLDER_API_KEY,
    AsyncOpenAIClient,
    GeminiClient,
    OpenAIClient,
    OpenAICompatClient,
)
from aimu_openai.testing import OpenAIWireServer

import aimu_core
from aimu_core import aio
from aimu_core.errors import AuthenticationError, ConfigurationError
from aimu_core.models import AdHocModel, resolve_model_string
from aimu_core.plugins import get_manager
from aimu_core.testing import Request, Response, Turn

LOCAL = {
    "lmstudio": "http://localhost:1234/v1",
    "vllm": "http://localhost:8000/v1",
    "llamaserver": "http://localhost:8080/v1",
    "sglang": "http://localhost:30000/v1",
}


def auth(wire: OpenAIWireServer) -> str:
    return wire.requests[-1].headers["authorization"]


# -- registration and model strings ----------------------------------------------------------


def test_providers_are_registered_with_their_records() -> None:
    providers = get_manager().text_providers
    assert providers["openai"].models is OpenAIModel
    assert providers["openai"].needs == ("env:OPENAI_API_KEY",)
    assert providers["gemini"].models is GeminiModel
    assert (
        providers["gemini"].default_base_url
        == "https://generativelanguage.googleapis.com/v1beta/openai/"
    )
    for name, url in LOCAL.items():
        record = providers[name]
        assert record.open_catalog and record.accepts_base_url and not record.requires_base_url
        assert record.default_base_url == url
        assert record.async_client is not None and record.discover is not None
    compat = providers["openai-compat"]
    assert compat.open_catalog and compat.requires_base_url


def test_every_record_names_client_classes_bound_to_its_provider() -> None:
    from aimu_core.records import load_object

    for name in [*LOCAL, "openai", "gemini", "openai-compat"]:
        record = get_manager().text_providers[name]
        for path in (record.client, record.async_client):
            assert path is not None
            cls = load_object(path)
            assert cls.provider == name and cls.__name__ == path.rpartition(":")[2]


def test_importing_the_plugin_and_resolving_does_not_import_the_sdk() -> None:
    code = (
        "import sys, aimu_openai\n"
        "from aimu_core.models import resolve_model_string\n"
        "resolve_model_string('openai:gpt-4o'); resolve_model_string('vllm:x;tools')\n"
        "assert 'openai' not in sys.modules and 'httpx' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_catalog_capabilities() -> None:
    assert OpenAIModel.GPT_4O.supports_tools and OpenAIModel.GPT_4O.supports_vision
    assert not OpenAIModel.GPT_4O.supports_thinking
    assert OpenAIModel.O4_MINI.supports_thinking and OpenAIModel.O4_MINI.supports_vision
    assert not OpenAIModel.O3_MINI.supports_vision
    assert {m.value for m in OpenAIModel.THINKING_MODELS} >= {"o3", "o4-mini", "gpt-5"}
    assert {"gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano"} <= {m.value for m in OpenAIModel.TOOL_MODELS}
    assert GeminiModel.GEMINI_2_5_FLASH.supports_thinking
    assert not GeminiModel.GEMINI_2_0_FLASH.supports_thinking


def test_model_string_rules() -> None:
    with pytest.raises(ConfigurationError, match="needs a base URL"):
        resolve_model_string("openai-compat:m")
    with pytest.raises(ConfigurationError, match="does not take a base URL"):
        resolve_model_string("openai:gpt-4o@http://localhost:1/v1")
    adhoc = resolve_model_string("openai:gpt-99;tools,vision")
    assert isinstance(adhoc.model, AdHocModel) and adhoc.model.supports_vision
    local = resolve_model_string("vllm:Qwen/Qwen3-8B;tools,thinking")
    assert local.model.value == "Qwen/Qwen3-8B" and local.model.supports_thinking


@pytest.mark.parametrize(("prefix", "url"), LOCAL.items())
def test_local_servers_default_urls_and_no_key(
    prefix: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    client = aimu_core.client(f"{prefix}:some-model")
    assert client.base_url == url
    assert client.sdk_client.base_url == url + "/"
    assert client.sdk_client.api_key == PLACEHOLDER_API_KEY


# -- keys and URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "env"),
    [("openai:gpt-4o", "OPENAI_API_KEY"), ("gemini:gemini-2.5-flash", "GEMINI_API_KEY")],
)
@pytest.mark.parametrize("factory", [aimu_core.client, aio.client], ids=["sync", "async"])
def test_missing_key_fails_at_construction(model: str, env: str, factory: Any) -> None:
    with pytest.raises(AuthenticationError, match=env):
        factory(model)


def test_openai_key_and_base_url_from_env(
    wire: OpenAIWireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", wire.url)
    client = aimu_core.client("openai:gpt-4o-mini")
    assert client.base_url == wire.url
    client.chat("hi")
    assert auth(wire) == "Bearer sk-from-env"
    assert wire.last["model"] == "gpt-4o-mini"


def test_arguments_win_over_env(wire: OpenAIWireServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/never")
    client = aimu_core.client("openai:gpt-4o", api_key="sk-from-arg", base_url=wire.url)
    client.chat("hi")
    assert auth(wire) == "Bearer sk-from-arg"


@pytest.mark.parametrize("env", ["GEMINI_API_KEY", "GOOGLE_API_KEY"])
def test_gemini_key_from_env(
    wire: OpenAIWireServer, monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv(env, "gm-key")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-google")
    client = aimu_core.client("gemini:gemini-2.5-flash", base_url=wire.url)
    client.chat("hi")
    assert auth(wire) == "Bearer gm-key"


def test_gemini_default_url() -> None:
    client = GeminiClient("gemini-2.0-flash", api_key="gm-key")
    assert client.base_url == "https://generativelanguage.googleapis.com/v1beta/openai/"
    assert client.model is GeminiModel.GEMINI_2_0_FLASH


def test_local_server_keys(wire: OpenAIWireServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    aimu_core.client(f"lmstudio:m@{wire.url}").chat("hi")
    assert auth(wire) == f"Bearer {PLACEHOLDER_API_KEY}"
    monkeypatch.setenv("VLLM_API_KEY", "vllm-key")
    aimu_core.client(f"vllm:m@{wire.url}").chat("hi")
    assert auth(wire) == "Bearer vllm-key"
    aimu_core.client(f"openai-compat:m@{wire.url}", api_key="own-key").chat("hi")
    assert auth(wire) == "Bearer own-key"


def test_openai_org_header_only_goes_to_openai(
    wire: OpenAIWireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-123")
    aimu_core.client(f"lmstudio:m@{wire.url}").chat("hi")
    assert "openai-organization" not in wire.requests[-1].headers
    aimu_core.client("openai:gpt-4o", api_key="k", base_url=wire.url).chat("hi")
    assert wire.requests[-1].headers["openai-organization"] == "org-123"


def test_sdk_options_are_handed_over(wire: OpenAIWireServer) -> None:
    client = OpenAICompatClient(
        "m", base_url=wire.url, timeout=3.5, max_retries=4, default_headers={"X-Team": "blue"}
    )
    assert client.sdk_client.timeout == 3.5
    assert client.sdk_client.max_retries == 4
    client.chat("hi")
    assert wire.requests[-1].headers["x-team"] == "blue"


def test_direct_construction_takes_ids_and_needs_a_url() -> None:
    client = OpenAIClient("o3", api_key="k")
    assert client.model is OpenAIModel.O3 and client.base_url == "https://api.openai.com/v1"
    assert isinstance(OpenAIClient("gpt-new", api_key="k").model, AdHocModel)
    with pytest.raises(ConfigurationError, match="base URL"):
        OpenAICompatClient("m")


def test_async_client_uses_async_sdk(wire: OpenAIWireServer) -> None:
    wire.script([Turn("async ok")])

    async def run() -> str:
        client = AsyncOpenAIClient("gpt-4o", api_key="k", base_url=wire.url, max_retries=0)
        return await client.chat("hi")

    assert asyncio.run(run()) == "async ok"
    assert wire.requests[-1].headers["user-agent"].startswith("AsyncOpenAI/Python")


# -- discovery -------------------------------------------------------------------------------


def test_discover_lists_the_servers_models(wire: OpenAIWireServer) -> None:
    assert discover_at(wire.url) == ["scripted"]


def test_discover_finds_nothing_on_a_closed_port(closed_url: str) -> None:
    assert discover_at(closed_url) == []


def test_discover_skips_ids_a_model_string_cannot_hold(wire: OpenAIWireServer) -> None:
    from aimu_core.testing import LoopbackServer

    def handler(request: Request) -> Response:
        return Response.json(
            {"data": [{"id": "qwen3@q4_k_m"}, {"id": "good/model"}, {"id": ""}, "junk"]}
        )

    with LoopbackServer(handler) as server:
        assert discover_at(server.url + "/v1") == ["good/model"]
    with LoopbackServer(lambda r: Response(200, {}, b"<html>not an API</html>")) as server:
        assert discover_at(server.url + "/v1") == []
