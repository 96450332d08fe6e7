"""Plugin discovery and isolation through real entry points, in fresh interpreters.

The fixture plugins (see ``tests/plugin_fixtures/README.md``) sit on the
subprocess's ``PYTHONPATH`` as unpacked distributions, so discovery reads their
entry points from real metadata. Each check runs ``aimu plugins --json`` or the
API in its own interpreter: import-time effects are what is being tested.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The ``run_python`` fixture of conftest.py.
Runner = Callable[..., Any]

#: Prints, as JSON: which fixture/plugin/SDK modules are imported, and for each
#: model string in argv the chat answer or the error (type, message).
_PROBE = r"""
import json, sys
import aimu_core
from aimu_core.models import resolve_model_string

out = {"models": {}}
for text in sys.argv[1:]:
    try:
        resolved = resolve_model_string(text)
        client = aimu_core.client(text)
        out["models"][text] = {"ok": client.chat("ping"), "model": resolved.model_string}
    except Exception as exc:
        out["models"][text] = {"error": type(exc).__name__, "message": str(exc)}
out["modules"] = sorted(m for m in sys.modules if m.startswith("aimufx_"))
print(json.dumps(out))
"""

#: The SDKs no plugin module may import before a client of its provider is built.
_SDKS = (
    "openai",
    "anthropic",
    "ollama",
    "llama_cpp",
    "torch",
    "transformers",
    "diffusers",
    "google.genai",
    "fastmcp",
    "chromadb",
    "deepeval",
    "httpx",
    "requests",
    "numpy",
)


def plugins_json(
    run_python: Runner, env: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """``aimu plugins --json`` as a mapping of plugin name -> row."""
    result = run_python("-m", "aimu_core.cli", "plugins", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def probe(run_python: Runner, *models: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    return run_python("-c", _PROBE, *models, env=env).json()  # type: ignore[no-any-return]


# -- import cost and laziness ------------------------------------------------------------


def test_import_aimu_core_imports_no_plugin_and_no_sdk(run_python: Runner, tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    code = (
        "import sys, json; import aimu_core; "
        "aimu_core.tool; aimu_core.Model; aimu_core.StreamChunk; "  # lazy names resolve cheaply
        "print(json.dumps(sorted(sys.modules)))"
    )
    modules = set(run_python("-c", code, env={"AIMUFX_MARKER": str(marker)}).json())
    plugin_modules = {
        m for m in modules if m.startswith(("aimufx_", "aimu_")) and not m.startswith("aimu_core")
    }
    assert plugin_modules == set()
    assert "aimu_core.testing._plugin" not in modules
    assert not {m for m in modules if m.split(".")[0] in _SDKS}
    assert not marker.exists()


def test_import_aimu_core_is_light(run_python: Runner) -> None:
    """``import aimu_core`` alone loads neither pluggy nor pydantic: they load with the registry."""
    code = "import sys, json; import aimu_core; print(json.dumps(sorted(sys.modules)))"
    roots = {m.split(".")[0] for m in run_python("-c", code).json()}
    assert not roots & {"pluggy", "pydantic", "pydantic_core", "importlib_metadata"}


def test_discovery_waits_for_the_first_model_resolution(run_python: Runner, tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    code = (
        "import sys, json, os, aimu_core\n"
        "before = [m for m in sys.modules if m.startswith('aimufx_')]\n"
        "marker_before = os.path.exists(os.environ['AIMUFX_MARKER'])\n"
        "aimu_core.resolve_model_string('good:good-small')\n"
        "after = sorted(m for m in sys.modules if m.startswith('aimufx_'))\n"
        f"sdks = sorted(m for m in sys.modules if m.split('.')[0] in {_SDKS!r})\n"
        "print(json.dumps([before, marker_before, after, sdks]))\n"
    )
    before, marker_before, after, sdks = run_python(
        "-c", code, env={"AIMUFX_MARKER": str(marker)}
    ).json()
    assert before == [] and marker_before is False
    assert "aimufx_good" in after and "aimufx_marker" in after
    assert marker.exists()
    # Plugin modules are cheap: discovering every installed plugin imported no SDK.
    assert sdks == []


# -- aimu plugins ----------------------------------------------------------------------------


def test_plugins_lists_every_plugin_with_status_and_cause(run_python: Runner) -> None:
    rows = plugins_json(run_python)

    good = rows["good"]
    assert good["status"] == "loaded" and good["reason"] == ""
    assert good["distribution"] == "aimu-fx-good" and good["version"] == "0.1.0"
    assert good["entry_point"] == "aimufx_good"
    assert good["hooks"] == ["aimu_text_providers"]
    assert good["contributes"] == {"text_providers": ["good"]}
    assert good["warnings"] == []

    assert rows["aimu-core"]["status"] == "loaded"
    assert "current_time" in rows["aimu-core"]["contributes"]["tools"]
    assert rows["scripted"]["status"] == "loaded"
    assert rows["marker"]["status"] == "loaded"
    assert rows["versioned"]["status"] == "loaded" and rows["versioned"]["version"] == "2.0"

    broken = rows["broken"]
    assert broken["status"] == "failed"
    assert "import failed" in broken["reason"]
    assert "ModuleNotFoundError" in broken["reason"]
    assert "aimufx_sdk_that_is_not_installed" in broken["reason"]

    raising = rows["raising"]
    assert raising["status"] == "failed"
    assert "aimu_text_providers" in raising["reason"]
    assert "RuntimeError: fixture: the hook broke" in raising["reason"]

    malformed = rows["malformed"]
    assert malformed["status"] == "failed"
    assert "returned dict, expected a list" in malformed["reason"]

    future = rows["future"]
    assert future["status"] == "failed"
    assert "plugin API 99" in future["reason"] and "speaks 1" in future["reason"]

    typo = rows["typo"]
    assert typo["status"] == "loaded" and typo["hooks"] == []
    assert any("aimu_text_provider" in w and "typo" in w for w in typo["warnings"])

    for name, other in (("dup-one", "dup-two"), ("dup-two", "dup-one")):
        assert rows[name]["status"] == "loaded"
        assert any("'dup'" in w and other in w for w in rows[name]["warnings"]), rows[name]

    for row in rows.values():
        assert set(row) == {
            "name",
            "distribution",
            "version",
            "entry_point",
            "status",
            "reason",
            "hooks",
            "contributes",
            "warnings",
            "import_seconds",
        }
        assert row["status"] in {"loaded", "blocked", "failed"}


def test_models_lists_the_loaded_catalogs(run_python: Runner) -> None:
    result = run_python("-m", "aimu_core.cli", "models", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["model"]: row for row in json.loads(result.stdout)}
    small = rows["good:good-small"]
    assert small["provider"] == "good" and small["plugin"] == "good (aimu-fx-good 0.1.0)"
    assert small["tools"] is True and small["vision"] is False
    assert rows["good:good-large"]["thinking"] is True
    assert "scripted:scripted" in rows
    assert not any(model.startswith(("broken:", "raising:", "dup:")) for model in rows)


# -- isolation: the others still work -------------------------------------------------------


def test_failed_plugins_are_isolated_and_named_at_use(run_python: Runner) -> None:
    out = probe(
        run_python,
        "good:good-small",
        "good:any-local-model",
        "scripted:scripted",
        "broken:x",
        "raising:x",
        "malformed:x",
        "future:x",
        "dup:x",
    )["models"]

    assert out["good:good-small"] == {"ok": "ping", "model": "good:good-small"}
    assert out["good:any-local-model"]["ok"] == "ping"
    assert out["scripted:scripted"]["ok"] == "ping"

    for prefix, cause in (
        ("broken", "ModuleNotFoundError"),
        ("raising", "RuntimeError: fixture: the hook broke"),
        ("malformed", "returned dict"),
        ("future", "plugin API 99"),
    ):
        error = out[f"{prefix}:x"]
        assert error["error"] == "PluginUnavailableError", error
        assert f"plugin {prefix} (aimu-fx-{prefix} 0.1.0)" in error["message"]
        assert "which is failed" in error["message"]
        assert cause in error["message"]

    conflict = out["dup:x"]
    assert conflict["error"] == "PluginConflictError"
    assert "aimu-fx-dup-one" in conflict["message"] and "aimu-fx-dup-two" in conflict["message"]
    assert "AIMU_DISABLE_PLUGINS" in conflict["message"]


def test_unknown_provider_lists_installed_and_unloaded_plugins(run_python: Runner) -> None:
    error = probe(run_python, "nosuch:model")["models"]["nosuch:model"]
    assert error["error"] == "UnknownProviderError"
    installed = error["message"].split("Installed: ", 1)[1].split(".", 1)[0]
    assert {"good", "scripted", "marker", "versioned"} <= set(installed.split(", "))
    assert "raising (aimu-fx-raising 0.1.0) (failed)" in error["message"]


def test_blocking_one_of_a_duplicate_pair_resolves_the_conflict(run_python: Runner) -> None:
    out = probe(run_python, "dup:x", env={"AIMU_DISABLE_PLUGINS": "aimu-fx-dup-two"})
    assert out["models"]["dup:x"]["ok"] == "ping"
    assert "aimufx_dup_two" not in out["modules"]


# -- policy through the environment ---------------------------------------------------------


def _marker_env(tmp_path: Path, **env: str) -> tuple[Path, dict[str, str]]:
    marker = tmp_path / "imported"
    return marker, {"AIMUFX_MARKER": str(marker), **env}


def test_allow_list_by_distribution_name(run_python: Runner, tmp_path: Path) -> None:
    marker, env = _marker_env(tmp_path, AIMU_PLUGINS="aimu-fx-good")
    rows = plugins_json(run_python, env)
    assert rows["good"]["status"] == "loaded"
    for name in ("broken", "raising", "marker", "scripted", "dup-one", "versioned"):
        assert rows[name]["status"] == "blocked", rows[name]
        assert "not in the allow-list (AIMU_PLUGINS)" in rows[name]["reason"]
    assert rows["aimu-core"]["status"] == "loaded"  # core's built-in plugin is not an entry point
    assert not marker.exists()


def test_allow_list_by_entry_point_name(run_python: Runner, tmp_path: Path) -> None:
    marker, env = _marker_env(tmp_path, AIMU_PLUGINS="good, Scripted")
    out = probe(run_python, "good:good-small", "scripted:echo", "marker:x", "broken:x", env=env)
    assert out["modules"] == ["aimufx_good"]  # nothing else was imported
    assert out["models"]["good:good-small"]["ok"] == "ping"
    assert out["models"]["scripted:echo"]["ok"] == "ping"
    for blocked in ("marker:x", "broken:x"):
        error = out["models"][blocked]
        assert error["error"] == "PluginUnavailableError"
        assert "which is blocked: blocked by policy: not in the allow-list" in error["message"]
    assert not marker.exists()


def test_deny_list_blocks_without_importing(run_python: Runner, tmp_path: Path) -> None:
    marker, env = _marker_env(tmp_path, AIMU_DISABLE_PLUGINS="marker,aimu_fx_broken")
    rows = plugins_json(run_python, env)
    assert rows["marker"]["status"] == "blocked"
    assert "deny-list (AIMU_DISABLE_PLUGINS) names 'marker'" in rows["marker"]["reason"]
    assert rows["broken"]["status"] == "blocked"  # not failed: it was never imported
    assert rows["good"]["status"] == "loaded"
    assert not marker.exists()


def test_deny_wins_over_allow(run_python: Runner, tmp_path: Path) -> None:
    marker, env = _marker_env(
        tmp_path, AIMU_PLUGINS="good,marker", AIMU_DISABLE_PLUGINS="aimu-fx-marker"
    )
    out = probe(run_python, "good:good-small", "marker:x", env=env)
    assert out["models"]["good:good-small"]["ok"] == "ping"
    assert out["models"]["marker:x"]["error"] == "PluginUnavailableError"
    assert "deny-list" in out["models"]["marker:x"]["message"]
    assert out["modules"] == ["aimufx_good"]
    assert not marker.exists()


def test_autoload_off_loads_no_entry_point_but_register_works(
    run_python: Runner, tmp_path: Path
) -> None:
    marker, env = _marker_env(tmp_path, AIMU_PLUGIN_AUTOLOAD="0")
    rows = plugins_json(run_python, env)
    assert set(rows) == {"aimu-core"}

    code = (
        "import json, sys, aimu_core, aimu_core.plugins\n"
        "from aimu_core.errors import AimuError\n"
        "import aimu_core.testing.scripted as scripted\n"
        "aimu_core.plugins.register(scripted)\n"
        "answer = aimu_core.chat('hi', model='scripted:scripted')\n"
        "try:\n"
        "    aimu_core.resolve_model_string('good:good-small'); err = None\n"
        "except AimuError as exc:\n"
        "    err = type(exc).__name__\n"
        "names = [p.name for p in aimu_core.plugins.get_manager().plugins]\n"
        "print(json.dumps([answer, err, names, [m for m in sys.modules if m.startswith('aimufx_')]]))\n"
    )
    answer, error, names, modules = run_python("-c", code, env=env).json()
    assert answer == "hi"
    assert error == "UnknownProviderError"
    assert names == ["aimu-core", "aimu_core.testing.scripted"]
    assert modules == []
    assert not marker.exists()


def test_register_of_a_discovered_plugin_is_a_no_op(run_python: Runner) -> None:
    code = (
        "import json, aimu_core.plugins, aimu_core.testing.scripted as scripted\n"
        "aimu_core.plugins.register(scripted)\n"
        "rows = [p.to_dict() for p in aimu_core.plugins.get_manager().plugins]\n"
        "print(json.dumps([(r['name'], r['status']) for r in rows if 'scripted' in r['name']]))\n"
    )
    assert run_python("-c", code).json() == [["scripted", "loaded"]]


# -- policy file ----------------------------------------------------------------------------


def _policy(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return {"AIMU_PLUGIN_POLICY": str(path), "AIMUFX_MARKER": str(tmp_path / "imported")}


def test_policy_file_allow_and_deny(run_python: Runner, tmp_path: Path) -> None:
    env = _policy(tmp_path, 'allow = ["aimu-fx-good", "marker", "versioned"]\ndeny = ["marker"]\n')
    rows = plugins_json(run_python, env)
    assert rows["good"]["status"] == "loaded"
    assert rows["versioned"]["status"] == "loaded"
    assert rows["marker"]["status"] == "blocked"
    assert "deny-list (policy file" in rows["marker"]["reason"]
    assert rows["scripted"]["status"] == "blocked"
    assert "not in the allow-list (policy file" in rows["scripted"]["reason"]
    assert not (tmp_path / "imported").exists()


def test_policy_file_deny_is_named_even_beside_an_env_deny(
    run_python: Runner, tmp_path: Path
) -> None:
    env = _policy(tmp_path, 'deny = ["marker"]\n')
    env["AIMU_DISABLE_PLUGINS"] = "aimu-fx-typo"
    rows = plugins_json(run_python, env)
    assert rows["marker"]["status"] == "blocked" and rows["typo"]["status"] == "blocked"
    assert "policy file" in rows["marker"]["reason"]
    assert "AIMU_DISABLE_PLUGINS" in rows["typo"]["reason"]


def test_policy_file_autoload_false_and_the_env_override(
    run_python: Runner, tmp_path: Path
) -> None:
    env = _policy(tmp_path, "autoload = false\n")
    assert set(plugins_json(run_python, env)) == {"aimu-core"}
    env["AIMU_PLUGIN_AUTOLOAD"] = "1"
    assert plugins_json(run_python, env)["good"]["status"] == "loaded"


def test_policy_file_version_ranges(run_python: Runner, tmp_path: Path) -> None:
    env = _policy(tmp_path, '[versions]\naimu-fx-versioned = "<2"\naimu-fx-good = ">=0.1,<0.2"\n')
    out = probe(run_python, "versioned:x", "good:good-small", env=env)
    error = out["models"]["versioned:x"]
    assert error["error"] == "PluginUnavailableError"
    assert "version 2.0 is outside the policy's range '<2'" in error["message"]
    assert out["models"]["good:good-small"]["ok"] == "ping"
    assert "aimufx_versioned" not in out["modules"]

    env = _policy(tmp_path, '[versions]\naimu_fx_Versioned = ">=2,<3"\n')
    assert probe(run_python, "versioned:x", env=env)["models"]["versioned:x"]["ok"] == "ping"


def test_a_bad_policy_file_is_a_clear_configuration_error(
    run_python: Runner, tmp_path: Path
) -> None:
    env = _policy(tmp_path, "allow = aimu-fx-good\n")  # not TOML: a bare word
    out = probe(run_python, "good:good-small", env=env)["models"]["good:good-small"]
    assert out["error"] == "ConfigurationError"
    assert "not valid TOML" in out["message"] and "policy.toml" in out["message"]

    result = run_python("-m", "aimu_core.cli", "plugins", "--json", env=env)
    assert result.returncode != 0
    assert "not valid TOML" in result.stderr
