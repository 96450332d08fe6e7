"""``aimu image`` and the image rows of ``aimu models``, run through the installed ``aimu``
entry point in a subprocess, with the scripted image provider installed as a distribution."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import PIL.Image
import pytest

from aimu_core import __version__
from aimu_core.testing import write_distribution

AIMU = Path(sys.executable).with_name("aimu")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, scripted_path: str) -> str:
    """The scripted text and image providers, installed for subprocesses."""
    folder = tmp_path_factory.mktemp("scripted-images-site")
    write_distribution(
        folder,
        "aimu-scripted-images",
        __version__,
        {"scripted-images": "aimu_core.testing.scripted_images"},
    )
    return os.pathsep.join([str(folder), scripted_path])


def aimu(
    site: str, *args: str, cwd: Path | None = None, stdin: str = "", **env: str
) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIMU_")}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [site, os.environ.get("PYTHONPATH")]))
    environ.update(env)
    return subprocess.run(
        [str(AIMU), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=60,
    )


def test_image_writes_the_file_it_is_asked_for(site: str, tmp_path: Path):
    out = tmp_path / "lighthouse.jpg"
    result = aimu(
        site,
        "image",
        "a lighthouse",
        "-m",
        "scripted:sketch",
        "-o",
        str(out),
        "--width",
        "40",
        "--height",
        "24",
        "--seed",
        "3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}\n" and result.stderr == ""  # no bar off a terminal
    with PIL.Image.open(out) as image:
        assert image.format == "JPEG" and image.size == (40, 24)
    assert [p.name for p in tmp_path.iterdir()] == ["lighthouse.jpg"]  # no temporary left


def test_several_images_are_numbered_and_the_default_model_is_used(site: str, tmp_path: Path):
    result = aimu(
        site,
        "image",
        "boats",
        "-n",
        "2",
        "-o",
        str(tmp_path / "boat.png"),
        AIMU_IMAGE_MODEL="scripted:poster",
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["boat-1.png", "boat-2.png"]


def test_without_output_files_land_in_the_current_folder(site: str, tmp_path: Path):
    result = aimu(site, "image", "a tree", "-m", "scripted:sketch", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (path,) = result.stdout.splitlines()
    assert Path(path).parent == tmp_path and Path(path).is_file()


def test_native_kwargs_and_options_go_where_they_belong(site: str, tmp_path: Path):
    result = aimu(
        site,
        "image",
        "x",
        "-m",
        "scripted:sketch",
        "--option",
        "strength",
        "0.4",
        "--option",
        "output_dir",
        json.dumps(str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).parent == tmp_path


def test_models_options_of_an_image_model_lists_what_option_accepts(site: str):
    # scripted: is a text prefix too, where "sketch" would be a model outside the
    # catalog; the image catalog's member wins
    result = aimu(site, "models", "--options", "scripted:sketch", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["kind"] == "image"
    assert set(listed["options"]) == {"output_dir", "default_generate_kwargs"}
    assert {"steps", "seed", "strength"} <= set(listed["generate_kwargs"])
    text = aimu(site, "models", "--options", "scripted:echo")
    assert text.stdout.startswith("scripted:echo (text model)\n")


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["x"], {}, "AIMU_IMAGE_MODEL"),
        (["x", "-m", "nope:x"], {}, "Unknown provider 'nope'"),
        (["x", "-m", "scripted:sketch", "-o", "out.xyz"], {}, "suffix must name an image format"),
        (["x", "-m", "scripted:sketch", "--steps", "99"], {}, "out of range"),
        (["fail:safety", "-m", "scripted:sketch"], {}, "safety"),
        (["x", "-m", "scripted:sketch", "--option", "bogus", "1"], {}, "no option 'bogus'"),
    ],
)
def test_errors_are_one_line_and_exit_1(site: str, tmp_path: Path, args, env, words):
    result = aimu(site, "image", *args, cwd=tmp_path, **env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert words in result.stderr


def test_an_unwritable_output_is_an_error_and_leaves_nothing(site: str, tmp_path: Path):
    result = aimu(
        site, "image", "x", "-m", "scripted:sketch", "-o", str(tmp_path / "missing" / "a.png")
    )
    assert result.returncode == 1 and "cannot write" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_terminal_gets_a_progress_bar(site: str, tmp_path: Path):
    primary, secondary = pty.openpty()
    # A real terminal has a size; tqdm draws nothing in zero columns.
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIMU_")}
    environ["PYTHONPATH"] = site
    done = subprocess.run(
        [
            str(AIMU),
            "image",
            "x",
            "-m",
            "scripted:sketch",
            "--steps",
            "5",
            "-o",
            str(tmp_path / "a.png"),
        ],
        stdout=subprocess.PIPE,
        stderr=secondary,
        env=environ,
        timeout=60,
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            data = os.read(primary, 4096)
        except OSError:
            break
        if not data:
            break
        shown += data
    os.close(primary)
    assert done.returncode == 0
    assert b"5/5" in shown and b"step" in shown


def test_models_lists_image_models_marked_as_such(site: str):
    rows = json.loads(aimu(site, "models", "--json").stdout)
    images = {r["model"]: r for r in rows if r["kind"] == "image"}
    assert images["scripted:sketch"]["image_to_image"] and images["scripted:sketch"]["seeded"]
    assert images["scripted:poster"]["sizes"] == ["32x32", "48x32"]
    assert "scripted:<id>" in images
    assert any(r["model"] == "scripted:scripted" and r["kind"] == "text" for r in rows)
    text = aimu(site, "models").stdout
    line = next(line for line in text.splitlines() if line.startswith("scripted:sketch "))
    assert "image, image-to-image, 1-50 steps, seeded" in line


def test_the_prompt_can_come_from_stdin(site: str, tmp_path: Path):
    out = tmp_path / "a.png"
    result = aimu(site, "image", "-", "-m", "scripted:sketch", "-o", str(out), stdin="a cat\n")
    assert result.returncode == 0, result.stderr
    assert out.is_file()
    empty = aimu(site, "image", "-", "-m", "scripted:sketch", stdin="  \n")
    assert empty.returncode == 1 and "empty" in empty.stderr
