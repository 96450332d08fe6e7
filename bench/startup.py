"""Cold-start benchmark: ``import aimu_core`` + plugin discovery + one model resolution.

Measured side by side in one run, interleaved, as the median wall time of fresh
interpreters:

- ``python -c pass`` of each interpreter (its own start-up cost);
- aimu-core in the running interpreter: ``import aimu_core``, discover every
  installed plugin and resolve ``openai-compat:m@http://127.0.0.1:9/v1`` (install
  every first-party plugin there first: that is the situation the goal is about);
- upstream ``aimu`` (``import aimu``) and simonw's ``llm``
  (``import llm; llm.get_models()``), each from the running interpreter when
  installed there, else from ``--aimu-python`` / ``--llm-python``, or from
  throwaway virtual environments that ``--make-venvs DIR`` creates with pip.

It prints each time, the time net of the interpreter's start-up, and the
ratios. The goals: aimu-core's net start-up at most 1/5 of upstream aimu's, and
import + discovery + resolve at most 60 ms wall (bytecode cached).

    python bench/startup.py --make-venvs /tmp/aimu-bench --runs 15
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Case", "main"]

CORE_CODE = (
    "import aimu_core, aimu_core.plugins; aimu_core.plugins.get_manager(); "
    "aimu_core.resolve_model_string('openai-compat:m@http://127.0.0.1:9/v1')"
)
CORE_IMPORT_CODE = "import aimu_core"
#: import + discovery + resolve, wall time, bytecode cached.
WALL_GOAL_MS = 60
AIMU_CODE = "import aimu"
LLM_CODE = "import llm; llm.get_models()"

#: What the throwaway venvs install: upstream aimu with the provider extras our
#: first-party plugins cover (not ``hf``: it pulls torch, which would only make
#: upstream slower), and llm with its default plugins.
PEER_PACKAGES = {
    "aimu": ["aimu[ollama,anthropic,openai-compat,llamacpp]"],
    "llm": ["llm"],
}


@dataclass
class Case:
    """One command to time; ``baseline`` is the label of its interpreter's ``pass`` case."""

    label: str
    python: str
    code: str
    baseline: str | None = None
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def _env() -> dict[str, str]:
    # The policy must not differ between runs: drop any AIMU_* the caller has set.
    # Bytecode may be written (warm-up runs write it): pip compiles it at install
    # time for the peers, so an editable aimu-core must not be timed compiling source.
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AIMU_") and k != "PYTHONDONTWRITEBYTECODE"
    }


def _run(case: Case, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [case.python, "-c", case.code], check=False, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{case.label} failed ({case.python} -c {case.code!r}):\n{done.stderr}")
    return elapsed


def _has(python: str, module: str) -> bool:
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return (
        subprocess.run(
            [python, "-c", code], check=False, env=_env(), capture_output=True
        ).returncode
        == 0
    )


def _make_venv(root: Path, name: str) -> str:
    """Create (or reuse) ``root/name`` with the peer package installed; return its python."""
    venv = root / name
    python = venv / "bin" / "python"
    if python.exists() and _has(str(python), name):
        return str(python)
    print(f"creating {venv} with {' '.join(PEER_PACKAGES[name])} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            *PEER_PACKAGES[name],
        ],
        check=True,
    )
    return str(python)


def _peer_python(name: str, given: str | None, venvs: Path | None) -> str | None:
    if given:
        return shutil.which(given) or given
    if _has(sys.executable, name):
        return sys.executable
    if venvs is not None:
        return _make_venv(venvs, name)
    return None


def _installed_plugins() -> list[str]:
    code = (
        "import json, aimu_core.plugins as p; "
        "print(json.dumps([f'{i.label} [{i.status}]' for i in p.get_manager().plugins]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, env=_env(), capture_output=True, text=True
    )
    return json.loads(done.stdout) if done.returncode == 0 else [f"(listing failed: {done.stderr})"]


def _cases(args: argparse.Namespace) -> list[Case]:
    venvs = Path(args.make_venvs) if args.make_venvs else None
    if venvs is not None:
        venvs.mkdir(parents=True, exist_ok=True)
    interpreters = {sys.executable: "python -c pass"}
    cases = [
        Case("aimu_core: import", sys.executable, CORE_IMPORT_CODE, sys.executable),
        Case("aimu_core: import + discovery + resolve", sys.executable, CORE_CODE, sys.executable),
    ]
    for name, code, given in (
        ("aimu", AIMU_CODE, args.aimu_python),
        ("llm", LLM_CODE, args.llm_python),
    ):
        python = _peer_python(name, given, venvs)
        if python is None:
            print(
                f"{name} is not installed here; pass --{name}-python or --make-venvs DIR",
                file=sys.stderr,
            )
            continue
        interpreters.setdefault(python, f"python -c pass ({python})")
        cases.append(Case(f"{name}: {code}", python, code, python))
    baselines = [Case(label, python, "pass") for python, label in interpreters.items()]
    for case in cases:
        case.baseline = next(b.label for b in baselines if b.python == case.python)
    return baselines + cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (median)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs per case first")
    parser.add_argument("--aimu-python", help="interpreter that has upstream aimu installed")
    parser.add_argument("--llm-python", help="interpreter that has llm installed")
    parser.add_argument(
        "--make-venvs",
        metavar="DIR",
        help="create (or reuse) venvs for aimu and llm under DIR when needed",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    cases = _cases(args)
    env = _env()
    for _ in range(args.warmup):  # fill the OS file cache and write .pyc files
        for case in cases:
            _run(case, env)
    for _ in range(args.runs):  # interleaved, so drift hits every case alike
        for case in cases:
            case.times.append(_run(case, env))

    by_label = {case.label: case for case in cases}
    net = {
        c.label: max(c.median - by_label[c.baseline].median, 0.0) if c.baseline else c.median
        for c in cases
    }
    core = "aimu_core: import + discovery + resolve"
    rows = [
        {
            "case": c.label,
            "python": c.python,
            "median_s": round(c.median, 4),
            "net_s": round(net[c.label], 4) if c.baseline else None,
            "min_s": round(min(c.times), 4),
            "max_s": round(max(c.times), 4),
        }
        for c in cases
    ]
    ratios = {
        f"{core} / {label}": {
            "wall": round(by_label[core].median / by_label[label].median, 3),
            "net": round(net[core] / net[label], 3) if net[label] else None,
        }
        for label in by_label
        if label.startswith(("aimu:", "llm:"))
    }
    if args.json:
        print(
            json.dumps(
                {
                    "runs": args.runs,
                    "plugins": _installed_plugins(),
                    "results": rows,
                    "ratios": ratios,
                },
                indent=2,
            )
        )
        return 0

    print(
        f"Cold start, median of {args.runs} interleaved runs (net = minus the interpreter's "
        "`python -c pass`)"
    )
    print("aimu_core plugins discovered:", ", ".join(_installed_plugins()))
    width = max(len(r["case"]) for r in rows)
    for r in rows:
        extra = f"  net {r['net_s'] * 1000:7.1f} ms" if r["net_s"] is not None else ""
        print(
            f"  {r['case']:<{width}}  {r['median_s'] * 1000:7.1f} ms{extra}"
            f"  (min {r['min_s'] * 1000:.1f}, max {r['max_s'] * 1000:.1f})"
        )
    for label, ratio in ratios.items():
        net_text = f"{ratio['net']:.3f}" if ratio["net"] is not None else "n/a"
        print(f"  ratio {label}: wall {ratio['wall']:.3f}, net {net_text}")
    upstream = next((r for label, r in ratios.items() if "/ aimu:" in label), None)
    if upstream is not None and upstream["net"] is not None:
        verdict = "meets" if upstream["net"] <= 0.2 else "misses"
        print(f"  goal (net <= 1/5 of upstream aimu's): {verdict} ({upstream['net']:.3f})")
    wall_ms = by_label[core].median * 1000
    verdict = "meets" if wall_ms <= WALL_GOAL_MS else "misses"
    print(f"  goal ({core} <= {WALL_GOAL_MS} ms wall): {verdict} ({wall_ms:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
