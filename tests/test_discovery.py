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
    """``aimu plugins --json`` as a mapping of plugin name -> row.

    The fixture site holds plugins that fail, so the command may exit 1 (and say
    which failed on stderr); the JSON on stdout is complete either way.
    """
    result = run_python("-m", "aimu_core.cli", "plugins", "--json", env=env)
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    failed = [row for row in rows.values() if row["status"] == "failed"]
    assert result.returncode == (1 if failed else 0), result.stderr
    assert "Traceback" not in result.stderr
    return rows


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
    assert "time.now" in rows["aimu-core"]["contributes"]["tools"]
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

    noapi = rows["noapi"]
    assert noapi["status"] == "loaded" and noapi["contributes"] == {"text_providers": ["noapi"]}
    assert noapi["warnings"] == [
        "declares no AIMU_PLUGIN_API; add AIMU_PLUGIN_API = 1 to the plugin module "
        "(a later aimu-core may refuse plugins without it)"
    ]
    assert rows["good"]["warnings"] == [] and rows["scripted"]["warnings"] == []

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
    assert "scripted:scripted" in rows and small["conflict"] is None
    assert not any(model.startswith(("broken:", "raising:")) for model in rows)


def test_models_lists_conflicted_providers_marked(run_python: Runner) -> None:
    result = run_python("-m", "aimu_core.cli", "models", "--json")
    dup = [row for row in json.loads(result.stdout) if row["provider"] == "dup"]
    one, two = "dup-one (aimu-fx-dup-one 0.1.0)", "dup-two (aimu-fx-dup-two 0.1.0)"
    assert [(row["model"], row["plugin"]) for row in dup] == [("dup:<id>", one), ("dup:<id>", two)]
    claimants = dup[0]["conflict"]
    assert claimants in (f"{one} and {two}", f"{two} and {one}")  # in discovery order
    assert dup[1]["conflict"] == claimants
    text = run_python("-m", "aimu_core.cli", "models")
    assert text.returncode == 0, text.stderr
    lines = [line for line in text.stdout.splitlines() if line.startswith("dup:")]
    assert len(lines) == 2
    assert all(f"[conflicted: claimed by {claimants}; unusable" in line for line in lines)


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


def test_allow_list_by_distribution_and_entry_point(run_python: Runner, tmp_path: Path) -> None:
    marker, env = _marker_env(tmp_path, AIMU_PLUGINS="aimu-fx-good:good, Aimu_Scripted")
    out = probe(run_python, "good:good-small", "scripted:echo", "marker:x", "broken:x", env=env)
    assert out["modules"] == ["aimufx_good"]  # nothing else was imported
    assert out["models"]["good:good-small"]["ok"] == "ping"
    assert out["models"]["scripted:echo"]["ok"] == "ping"
    for blocked in ("marker:x", "broken:x"):
        error = out["models"][blocked]
        assert error["error"] == "PluginUnavailableError"
        assert "which is blocked: not in the allow-list (AIMU_PLUGINS)" in error["message"]
    assert not marker.exists()


def test_an_entry_point_name_alone_allows_nothing(run_python: Runner, tmp_path: Path) -> None:
    marker, env = _marker_env(tmp_path, AIMU_PLUGINS="good,marker")
    rows = plugins_json(run_python, env)
    for name in ("good", "marker"):
        assert rows[name]["status"] == "blocked"
        assert rows[name]["reason"] == (
            f"not in the allow-list (AIMU_PLUGINS); the allow-list (AIMU_PLUGINS) names "
            f"{name!r}, which is this plugin's entry point, not its distribution: to allow it, "
            f"write 'aimu-fx-{name}' or 'aimu-fx-{name}:{name}'"
        )
    assert not marker.exists()


def test_deny_list_blocks_without_importing(run_python: Runner, tmp_path: Path) -> None:
    marker, env = _marker_env(tmp_path, AIMU_DISABLE_PLUGINS="aimu-fx-marker,aimu_fx_broken")
    rows = plugins_json(run_python, env)
    assert rows["marker"]["status"] == "blocked"
    assert rows["marker"]["reason"] == "deny-list (AIMU_DISABLE_PLUGINS) names 'aimu-fx-marker'"
    assert rows["broken"]["status"] == "blocked"  # not failed: it was never imported
    assert rows["good"]["status"] == "loaded"
    assert not marker.exists()


def test_deny_wins_over_allow(run_python: Runner, tmp_path: Path) -> None:
    marker, env = _marker_env(
        tmp_path, AIMU_PLUGINS="aimu-fx-good,aimu-fx-marker", AIMU_DISABLE_PLUGINS="aimu-fx-marker"
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
    env = _policy(
        tmp_path,
        'allow = ["aimu-fx-good", "aimu-fx-marker", "aimu_fx_versioned:versioned"]\n'
        'deny = ["aimu-fx-marker"]\n',
    )
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
    env = _policy(tmp_path, 'deny = ["aimu-fx-marker"]\n')
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


# -- lists name distributions: a name cannot be claimed by another distribution ---------------


def _curation_env(curation_site: Path, tmp_path: Path, **env: str) -> dict[str, str]:
    return {
        "PYTHONPATH": str(curation_site),
        "AIMUFX_MARKER": str(tmp_path / "imported"),
        **env,
    }


def _rows(run_python: Runner, env: dict[str, str]) -> list[dict[str, Any]]:
    result = run_python("-m", "aimu_core.cli", "plugins", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_an_entry_point_named_after_an_allowed_distribution_does_not_load(
    run_python: Runner, curation_site: Path, tmp_path: Path
) -> None:
    """evil-dist declares an ``aimu`` entry point named ``aimu-openai``."""
    env = _curation_env(curation_site, tmp_path, AIMU_PLUGINS="aimu-openai")
    (evil,) = [row for row in _rows(run_python, env) if row["distribution"] == "evil-dist"]
    assert evil["name"] == "aimu-openai" and evil["status"] == "blocked"
    assert evil["reason"].startswith("not in the allow-list (AIMU_PLUGINS)")
    assert "to allow it, write 'evil-dist' or 'evil-dist:aimu-openai'" in evil["reason"]

    # its provider (it claims the prefix openai) is not there, and its module never ran
    out = probe(run_python, "openai:gpt-4o", env=env)
    assert out["models"]["openai:gpt-4o"]["error"] in {
        "PluginUnavailableError",
        "UnknownProviderError",
    }
    assert "ok" not in out["models"]["openai:gpt-4o"]
    assert out["modules"] == []
    assert not (tmp_path / "imported").exists()

    # allowed by its own distribution name, it loads (so the fixture is a working plugin)
    env = _curation_env(curation_site, tmp_path, AIMU_PLUGINS="evil-dist")
    assert probe(run_python, "openai:x", env=env)["models"]["openai:x"]["ok"] == "ping"
    assert (tmp_path / "imported").exists()


def test_distributions_sharing_an_entry_point_name_are_told_apart(
    run_python: Runner, curation_site: Path, tmp_path: Path
) -> None:
    """aimu-fx-a and aimu-fx-b both declare an entry point named ``echo``."""

    def states(**policy: str) -> dict[str, tuple[str, str]]:
        rows = _rows(run_python, _curation_env(curation_site, tmp_path, **policy))
        return {r["distribution"]: (r["status"], r["reason"]) for r in rows if r["name"] == "echo"}

    assert states(AIMU_DISABLE_PLUGINS="aimu-fx-a:echo") == {
        "aimu-fx-a": ("blocked", "deny-list (AIMU_DISABLE_PLUGINS) names 'aimu-fx-a:echo'"),
        "aimu-fx-b": ("loaded", ""),
    }
    assert states(AIMU_DISABLE_PLUGINS="aimu-fx-b") == {
        "aimu-fx-a": ("loaded", ""),
        "aimu-fx-b": ("blocked", "deny-list (AIMU_DISABLE_PLUGINS) names 'aimu-fx-b'"),
    }
    allowed = states(AIMU_PLUGINS="aimu-fx-b:echo")
    assert allowed["aimu-fx-a"][0] == "blocked" and allowed["aimu-fx-b"] == ("loaded", "")

    # the entry-point name alone blocks neither, and each says why
    rows = _rows(run_python, _curation_env(curation_site, tmp_path, AIMU_DISABLE_PLUGINS="echo"))
    for row in (r for r in rows if r["name"] == "echo"):
        assert row["status"] == "loaded"
        dist = row["distribution"]
        assert row["warnings"] == [
            "the deny-list (AIMU_DISABLE_PLUGINS) names 'echo', which is this plugin's entry "
            f"point, not its distribution, so it does not block it: to block it, write "
            f"'{dist}' or '{dist}:echo'"
        ]
    out = probe(
        run_python,
        "fxa:x",
        "fxb:x",
        env=_curation_env(curation_site, tmp_path, AIMU_DISABLE_PLUGINS="aimu-fx-a:echo"),
    )
    assert out["models"]["fxa:x"]["error"] == "UnknownProviderError"
    assert out["models"]["fxb:x"]["ok"] == "ping"
    assert "aimufx_echo_a" not in out["modules"] and "aimufx_echo_b" in out["modules"]


#: Registers aimufx_coded in code, then prints the plugin rows and the answer of coded:x.
_REGISTER = r"""
import json, aimu_core, aimu_core.plugins, aimufx_coded
from aimu_core.errors import AimuError
aimu_core.plugins.register(aimufx_coded)
rows = {p.name: [p.status, p.reason] for p in aimu_core.plugins.get_manager().plugins}
try:
    answer = aimu_core.chat("hi", model="coded:x")
except AimuError as exc:
    answer = f"{type(exc).__name__}: {exc}"
print(json.dumps([rows.get("aimufx_coded"), answer]))
"""


def test_a_plugin_registered_in_code_obeys_the_deny_list_and_the_policy_file(
    run_python: Runner, curation_site: Path, tmp_path: Path
) -> None:
    def register(**policy: str) -> list[Any]:
        env = _curation_env(curation_site, tmp_path, **policy)
        return run_python("-c", _REGISTER, env=env).json()  # type: ignore[no-any-return]

    assert register() == [["loaded", ""], "hi"]
    assert register(AIMU_PLUGIN_AUTOLOAD="0") == [["loaded", ""], "hi"]

    row, answer = register(AIMU_DISABLE_PLUGINS="aimufx-coded")
    assert row == ["blocked", "deny-list (AIMU_DISABLE_PLUGINS) names 'aimufx-coded'"]
    assert answer.startswith("UnknownProviderError: Unknown provider 'coded'")
    assert "Not loaded: aimufx_coded (blocked)" in answer

    path = tmp_path / "policy.toml"
    path.write_text('deny = ["aimufx_coded"]\n', encoding="utf-8")
    row, answer = register(AIMU_PLUGIN_POLICY=str(path))
    assert row == ["blocked", f"deny-list (policy file {path}) names 'aimufx-coded'"]
    assert "Not loaded: aimufx_coded (blocked)" in answer

    path.write_text('allow = ["aimu-fx-a"]\nautoload = false\n', encoding="utf-8")
    row, _ = register(AIMU_PLUGIN_POLICY=str(path))
    assert row[0] == "blocked" and row[1].startswith(f"not in the allow-list (policy file {path})")
    assert "known as 'aimufx-coded'" in row[1]


def test_registering_a_module_whose_entry_point_is_blocked_keeps_it_blocked(
    run_python: Runner,
) -> None:
    code = (
        "import json, aimu_core.plugins, aimu_core.testing.scripted as scripted\n"
        "aimu_core.plugins.register(scripted)\n"
        "rows = [p.to_dict() for p in aimu_core.plugins.get_manager().plugins]\n"
        "print(json.dumps([(r['name'], r['status']) for r in rows if 'scripted' in r['name']]))\n"
    )
    env = {"AIMU_DISABLE_PLUGINS": "aimu-scripted"}
    assert run_python("-c", code, env=env).json() == [["scripted", "blocked"]]


# -- client classes are checked when a client is built ------------------------------------------


def test_a_broken_client_class_is_a_plugin_error_naming_the_distribution(
    run_python: Runner,
) -> None:
    code = (
        "import json, asyncio, aimu_core, aimu_core.aio\n"
        "out = {}\n"
        "for text in ['nochat:x', 'notclient:x', 'missingcls:x', 'nosdk:x', 'syncasasync:x']:\n"
        "    for label, make in (('sync', aimu_core.client), ('async', aimu_core.aio.client)):\n"
        "        try:\n"
        "            make(text); out[f'{label} {text}'] = 'built'\n"
        "        except Exception as exc:\n"
        "            out[f'{label} {text}'] = [type(exc).__name__, str(exc)]\n"
        "print(json.dumps(out))\n"
    )
    out = run_python("-c", code).json()
    plugin = "(plugin aimu-fx-badclient)"
    assert out["sync nochat:x"] == [
        "PluginError",
        f"Provider 'nochat' {plugin}: its client aimufx_badclient:NoChat does not implement "
        "_chat. The plugin is broken: upgrade it or report it to its authors.",
    ]
    assert out["async nochat:x"][0] == "PluginError"  # through the threaded async client
    for label in ("sync", "async"):
        error, message = out[f"{label} notclient:x"]
        assert error == "PluginError"
        assert "is the class NotAClient, not a subclass of aimu_core BaseModelClient" in message
    error, message = out["sync missingcls:x"]
    assert error == "PluginUnavailableError" and plugin in message and "AttributeError" in message
    assert message.endswith("pip install --force-reinstall aimu-fx-badclient")
    error, message = out["sync nosdk:x"]
    assert error == "PluginUnavailableError" and "ModuleNotFoundError" in message
    assert message.endswith("pip install --force-reinstall aimu-fx-badclient")
    assert out["sync syncasasync:x"] == "built"
    error, message = out["async syncasasync:x"]
    assert error == "PluginError" and "not a subclass of aimu_core AsyncBaseModelClient" in message


# -- aimu plugins: exit status, --check, autoload ---------------------------------------------


def test_plugins_exits_1_when_a_plugin_failed(run_python: Runner, scripted_path: str) -> None:
    result = run_python("-m", "aimu_core.cli", "plugins")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: plugins failed to load: ")
    assert "broken (aimu-fx-broken 0.1.0)" in line and "good" not in line
    assert "raising (aimu-fx-raising 0.1.0)" in result.stdout  # the listing is complete

    healthy = {"PYTHONPATH": scripted_path}
    result = run_python("-m", "aimu_core.cli", "plugins", env=healthy)
    assert result.returncode == 0 and result.stderr == ""
    assert run_python("-m", "aimu_core.cli", "plugins", "--check", env=healthy).returncode == 0

    # blocking the failing ones is the admin's fix: blocked is not failed
    blocked = {
        "AIMU_DISABLE_PLUGINS": "aimu-fx-broken,aimu-fx-raising,aimu-fx-malformed,aimu-fx-future"
    }
    result = run_python("-m", "aimu_core.cli", "plugins", env=blocked)
    assert result.returncode == 0, result.stderr
    # --check: warnings (conflicts, misspelled hooks, no AIMU_PLUGIN_API) count too
    result = run_python("-m", "aimu_core.cli", "plugins", "--check", "--json", env=blocked)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: plugins with warnings (--check): ")
    for name in ("typo", "noapi", "dup-one", "dup-two"):
        assert f"{name} (aimu-fx-{name}" in line
    json.loads(result.stdout)


def test_plugins_says_when_autoload_is_off(run_python: Runner, tmp_path: Path) -> None:
    result = run_python("-m", "aimu_core.cli", "plugins", env={"AIMU_PLUGIN_AUTOLOAD": "off"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "Plugin autoload is off (AIMU_PLUGIN_AUTOLOAD is false): installed plugins were not "
        "searched; only core and plugins registered in code load."
    )
    env = _policy(tmp_path, "autoload = false\n")
    result = run_python("-m", "aimu_core.cli", "plugins", "--json", env=env)
    assert [row["name"] for row in json.loads(result.stdout)] == ["aimu-core"]
    assert result.stderr.startswith("note: Plugin autoload is off (autoload = false in the policy")


def test_chat_with_autoload_off_says_so(run_python: Runner) -> None:
    result = run_python(
        "-m",
        "aimu_core.cli",
        "chat",
        "-m",
        "good:good-small",
        "hi",
        env={"AIMU_PLUGIN_AUTOLOAD": "0"},
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: Unknown provider 'good': plugin autoload is off (AIMU_PLUGIN_AUTOLOAD is false)"
    )
    assert "Installed: none" not in result.stderr and "Traceback" not in result.stderr
