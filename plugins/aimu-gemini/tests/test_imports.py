"""Discovery, `aimu models` and the fake import no SDK; building a client imports google-genai."""

from __future__ import annotations

from aimu_core.testing import modules_after

HEAVY = ("google.genai", "PIL", "torch", "diffusers")


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_import_and_discovery_import_no_sdk():
    loaded = modules_after(
        "import aimu_core, aimu_gemini\nfrom aimu_core.plugins import get_manager\n"
        "assert 'gemini' in get_manager().image_providers",
        prefix="",
    )
    assert not _heavy(loaded)


def test_aimu_models_lists_gemini_image_models_without_the_sdk():
    code = (
        "import contextlib, io\nfrom aimu_core.cli import main\n"
        "out = io.StringIO()\nwith contextlib.redirect_stdout(out):\n"
        "    assert main(['models']) == 0\n"
        "assert 'gemini:imagen-4.0-generate-001' in out.getvalue(), out.getvalue()\n"
        "assert 'gemini:gemini-2.5-flash-image' in out.getvalue()\n"
    )
    assert not _heavy(modules_after(code, prefix=""))


def test_the_fake_imports_no_sdk():
    assert not [
        m
        for m in modules_after("import aimu_gemini.testing", prefix="")
        if m.startswith("google.genai")
    ]


def test_a_client_loads_the_sdk():
    loaded = modules_after(
        "import aimu_core\n"
        "aimu_core.image_client('gemini:gemini-2.5-flash-image', api_key='k-0123456789')",
        prefix="google",
    )
    assert "google.genai" in loaded
