"""The built-in ``generate_image`` tool: registered through ``aimu_tools``, bound to an image
model, called by an agent on the scripted text model end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import PIL.Image
import pytest

import aimu_core
import aimu_core.plugins
from aimu_core import tools
from aimu_core.agents import Agent
from aimu_core.errors import ConfigurationError
from aimu_core.plugins import get_manager
from aimu_core.testing import Turn, scripted_images


@pytest.fixture(autouse=True, scope="module")
def _scripted_images() -> Iterator[None]:
    aimu_core.plugins.register(scripted_images)
    yield
    aimu_core.plugins.unregister(scripted_images)


def test_core_registers_the_tool_through_the_hook():
    record = get_manager().tools["generate_image"]
    assert record.factory and record.tool == "aimu_core.images.tool:generate_image_tool"
    assert get_manager().owner("tools", "generate_image").name == "aimu-core"


def test_an_agent_generates_an_image_and_cites_its_path(tmp_path: Path):
    draw = tools.get("generate_image", model="scripted:sketch", output_dir=tmp_path)
    client = aimu_core.client(
        "scripted:scripted",
        script=[
            Turn(tool_calls=[("generate_image", {"prompt": "a lighthouse at dusk"})]),
            Turn("Done, see the file."),
        ],
    )
    agent = Agent(client, tools=[draw])
    assert agent.run("Draw a lighthouse") == "Done, see the file."
    tool_message = next(m for m in client.messages if m["role"] == "tool")
    path = Path(tool_message["content"])
    assert path.parent == tmp_path and path.suffix == ".png"
    with PIL.Image.open(path) as image:
        assert image.size == (32, 32)
    # The model's second request carried the path back to it.
    sent = client.requests[-1]["messages"]
    assert any(m["role"] == "tool" and m["content"] == str(path) for m in sent)


def test_by_name_with_the_default_image_model(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("AIMU_IMAGE_MODEL", "scripted:poster")
    monkeypatch.setenv("AIMU_IMAGE_DIR", str(tmp_path))
    client = aimu_core.client(
        "scripted:scripted",
        script=[Turn(tool_calls=[("generate_image", {"prompt": "a cat", "num_images": 2})]), "ok"],
    )
    Agent(client, tools=["generate_image"]).run("two cats")
    paths = next(m for m in client.messages if m["role"] == "tool")["content"].splitlines()
    assert len(paths) == 2 and all(Path(p).parent == tmp_path for p in paths)


def test_data_urls_and_bad_calls_reach_the_model_as_errors():
    draw = tools.get("generate_image", model="scripted:sketch", format="data_url")
    assert draw("a fox").startswith("data:image/png;base64,")
    client = aimu_core.client(
        "scripted:scripted",
        script=[
            Turn(tool_calls=[("generate_image", {"prompt": "x", "num_images": 9})]),
            Turn(tool_calls=[("generate_image", {"prompt": "fail:safety"})]),
            "gave up",
        ],
    )
    Agent(client, tools=[draw]).run("draw")
    errors = [m["content"] for m in client.messages if m["role"] == "tool"]
    assert "1 to 4" in errors[0] and "safety" in errors[1]


def test_binding_checks_the_model_and_the_format(monkeypatch):
    monkeypatch.delenv("AIMU_IMAGE_MODEL", raising=False)
    with pytest.raises(ConfigurationError, match="AIMU_IMAGE_MODEL"):
        tools.get("generate_image")
    with pytest.raises(ConfigurationError, match="'path' or 'data_url'"):
        tools.get("generate_image", model="scripted:sketch", format="pil")
