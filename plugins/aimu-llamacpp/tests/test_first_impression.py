"""The embedded model's first impression, through the ``aimu`` entry point in a subprocess:
the demo's story reads like a passage (no repeated lines, ended by the model, not cut by the
token limit), and ``aimu chat`` says on stderr when a reply was cut by the token limit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aimu_llamacpp.models import GEMMA_DEFAULTS, LlamaCppModel

CUT_NOTE = "cut by the token limit"


def _aimu(*args: str) -> subprocess.CompletedProcess[str]:
    found = shutil.which("aimu") or str(Path(sys.executable).with_name("aimu"))
    env = {**os.environ, "AIMU_LANGUAGE_MODEL": "llamacpp:gemma-3-270m"}
    return subprocess.run(
        [found, *args], capture_output=True, text=True, timeout=300, env=env, check=False
    )


def test_the_embedded_model_has_story_defaults() -> None:
    kwargs = LlamaCppModel.GEMMA_3_270M.spec.generation_kwargs
    assert dict(kwargs) == GEMMA_DEFAULTS
    assert kwargs["repeat_penalty"] > 1 and kwargs["stop"] == ["\n\n"]


@pytest.mark.parametrize("seed", ["1", "2"])
def test_the_demo_story_reads_like_a_passage(seed: str) -> None:
    done = _aimu("complete", "Once upon a time", "-o", "seed", seed)
    assert done.returncode == 0, done.stderr
    story = done.stdout.strip()
    assert len(story.split()) >= 5, story
    lines = [line for line in story.splitlines() if line.strip()]
    assert len(lines) == len(set(lines)), story  # no line repeated
    assert CUT_NOTE not in done.stderr  # the model ended the passage itself


def test_chat_says_on_stderr_when_the_token_limit_cut_the_reply() -> None:
    done = _aimu("chat", "Once upon a time", "--max-tokens", "3", "-o", "seed", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and CUT_NOTE not in done.stdout
    assert f"(the reply was {CUT_NOTE}; raise it with --max-tokens)" in done.stderr
