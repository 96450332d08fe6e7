"""`import aimu_core` and `aimu models` load no image backend, even with image plugins installed.

Run in an environment holding torch, diffusers or google-genai (the aimu-hf and
aimu-gemini envs) this is the real check; elsewhere it still pins that the
image surface itself (records, specs, the CLI's image rows) imports nothing heavy.
"""

from __future__ import annotations

import os

from aimu_core import __version__
from aimu_core.testing import modules_after, write_distribution

HEAVY = ("torch", "diffusers", "transformers", "google.genai", "PIL", "tqdm")


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith("google.genai"))


def test_import_aimu_core_and_the_image_names_load_no_backend():
    loaded = modules_after(
        "import aimu_core\naimu_core.ImageModel, aimu_core.ImageSpec, aimu_core.generate_image",
        prefix="",
    )
    assert not _heavy(loaded)


def test_aimu_models_lists_image_models_without_loading_a_backend(tmp_path, scripted_path):
    write_distribution(
        tmp_path,
        "aimu-scripted-images",
        __version__,
        {"scripted-images": "aimu_core.testing.scripted_images"},
    )
    path = os.pathsep.join(
        filter(None, [str(tmp_path), scripted_path, os.environ.get("PYTHONPATH")])
    )
    code = (
        "import contextlib, io\nfrom aimu_core.cli import main\n"
        "out = io.StringIO()\nwith contextlib.redirect_stdout(out):\n"
        "    assert main(['models', '--json']) == 0\n"
        'assert \'"kind": "image"\' in out.getvalue(), out.getvalue()\n'
    )
    loaded = modules_after(code, prefix="", env={"PYTHONPATH": path})
    assert not _heavy(loaded)
