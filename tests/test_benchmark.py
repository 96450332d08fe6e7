"""Benchmark: every row's output, score, latency and usage, failures recorded, any executor."""

from __future__ import annotations

import json
import multiprocessing
import pickle
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import aimu_core
from aimu_core.errors import ConfigurationError
from aimu_core.evals import Benchmark, RowTask
from aimu_core.prompts import ExactMatchScorer, LLMJudgeScorer, PromptCatalog
from aimu_core.testing import Turn

ROWS = [
    {"content": w, "expected": f"Say {w}" if i % 2 == 0 else "nope"} for i, w in enumerate("abcdef")
]


def bench(rows: Any = ROWS, **kwargs: Any) -> Benchmark:
    return Benchmark("Say {content}", rows, ExactMatchScorer(), **kwargs)


def test_every_row_is_kept_with_its_output_score_latency_and_usage() -> None:
    results = bench().run({"echo": "scripted:echo"}, progress=False)
    assert [r.output for r in results.rows] == [f"Say {w}" for w in "abcdef"]
    assert [r.score for r in results.rows] == [1.0, 0.0] * 3
    assert all(
        r.latency_s > 0 and r.usage and r.usage["completion_tokens"] == 5 for r in results.rows
    )
    summary = results.summary["echo"]
    assert (summary.model, summary.rows, summary.score, summary.pass_rate) == (
        "scripted:echo",
        6,
        0.5,
        0.5,
    )
    assert summary.completion_tokens == 30 and summary.errors == summary.unscored == 0


def test_a_failed_call_is_recorded_and_the_run_goes_on() -> None:
    client = aimu_core.client(
        "scripted:scripted", script=["Say a", Turn(fail="server_error"), "Say c"]
    )
    results = bench(ROWS[:3]).run({"live": client}, max_workers=1, progress=False)
    failed = results.rows[1]
    assert failed.error == "ProviderError: scripted server_error" and failed.output is None
    assert failed.input == "Say b" and not failed.passed and failed.score is None
    assert [r.output for r in results.rows] == ["Say a", None, "Say c"]
    summary = results.summary["live"]
    assert (summary.errors, summary.pass_rate, summary.score) == (1, pytest.approx(2 / 3), 1.0)
    assert client.messages == []  # each row ran on a copy with a conversation of its own


def test_unscored_rows_are_counted_not_averaged_in() -> None:
    judge = aimu_core.client("scripted:scripted", script=["Rating: 9/10", "hmm", "Rating: 5/10"])
    benchmark = Benchmark("{content}", ROWS[:3], LLMJudgeScorer(judge, "good"))
    summary = benchmark.run({"e": "scripted:echo"}, max_workers=1, progress=False).summary["e"]
    assert (summary.unscored, summary.score, summary.pass_rate) == (
        1,
        pytest.approx(0.7),
        pytest.approx(1 / 3),
    )


def test_data_from_csv_jsonl_and_a_prompt_without_placeholders(tmp_path: Path) -> None:
    csv_path = tmp_path / "rows.csv"
    csv_path.write_text('content,expected\nx,"Hi\n\nx"\ny,nope\n', encoding="utf-8")
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text(
        '{"content": "x", "expected": "Hi\\n\\nx"}\n\n{"content": "y", "expected": "no"}\n'
    )
    for source in (csv_path, str(jsonl)):
        results = Benchmark("Hi", source, ExactMatchScorer()).run(
            {"e": "scripted:echo"}, progress=False
        )
        assert [r.input for r in results.rows] == ["Hi\n\nx", "Hi\n\ny"]
        assert results.summary["e"].pass_rate == 0.5
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"content": 1}\nnot json\n')
    with pytest.raises(ConfigurationError, match="line 2"):
        Benchmark("Hi", bad, ExactMatchScorer())
    with pytest.raises(ConfigurationError, match=r"\.csv, \.jsonl"):
        Benchmark("Hi", tmp_path / "rows.txt", ExactMatchScorer()) if (
            tmp_path / "rows.txt"
        ).write_text("x") else None
    with pytest.raises(ConfigurationError, match="row 1"):
        Benchmark("Hi", ["text"], ExactMatchScorer())
    with pytest.raises(ConfigurationError, match="dict of clients"):
        bench().run({})


def test_exports(tmp_path: Path) -> None:
    results = bench().run({"echo": "scripted:echo", "other": ("scripted:echo", {})}, progress=False)
    text = results.to_json(tmp_path / "r.json")
    payload = json.loads((tmp_path / "r.json").read_text())
    assert payload == json.loads(text)
    assert [s["client"] for s in payload["summary"]] == ["echo", "other"]
    assert len(payload["rows"]) == 12 and payload["rows"][0]["row"] == ROWS[0]
    csv_text = results.to_csv(tmp_path / "r.csv")
    assert csv_text.splitlines()[0].startswith("client,model,index,input,output,score,passed")
    assert len(csv_text.splitlines()) == 13
    catalog = PromptCatalog(tmp_path / "p.db")
    saved = results.to_catalog(catalog, "say")
    assert [p.version for p in saved] == [1, 2]  # both clients are the same model
    assert catalog.get("say", "scripted:echo").metrics["pass_rate"] == 0.5
    with pytest.raises(ConfigurationError, match="pip install pandas"):
        results.to_pandas()


def test_a_progress_bar_counts_the_rows(capsys: pytest.CaptureFixture[str]) -> None:
    bench().run({"echo": "scripted:echo"}, progress=True)
    err = capsys.readouterr().err
    assert "benchmark" in err and "6/6" in err


class _LosingExecutor(Executor):
    """Runs tasks inline, but 'loses' row 2 as a dead worker would."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        if getattr(fn, "index", None) == 2:
            future.set_exception(RuntimeError("worker died"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def test_a_task_the_executor_loses_is_reported_once() -> None:
    results = bench().run({"e": "scripted:echo"}, executor=_LosingExecutor(), progress=False)
    assert [r.index for r in results.rows] == list(range(6))
    assert results.rows[2].error == "RuntimeError: worker died"
    assert results.summary["e"].errors == 1


def _register_scripted() -> None:
    import aimu_core.plugins
    import aimu_core.testing.scripted

    aimu_core.plugins.register(aimu_core.testing.scripted)


def test_worker_processes_give_the_results_threads_give() -> None:
    benchmark = Benchmark(
        "Say {content}", ROWS, LLMJudgeScorer("scripted:echo", "c", prompt="Rating: 6/10")
    )
    models = {"a": "scripted:echo", "b": ("scripted:scripted", {"base_url": "http://127.0.0.1:9"})}
    threaded = benchmark.run(models, executor=ThreadPoolExecutor(3), progress=False)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=spawn, initializer=_register_scripted) as pool:
        shipped = benchmark.run(models, executor=pool, progress=False)
    assert [r.outcome() for r in shipped.rows] == [r.outcome() for r in threaded.rows]
    assert shipped.summary["b"].score == pytest.approx(0.6)


def test_a_live_client_or_a_secret_is_never_shipped() -> None:
    live = bench().tasks({"live": aimu_core.client("scripted:echo")})[0]
    with pytest.raises(ConfigurationError, match="model string"):
        pickle.dumps(live)
    keyed = bench().tasks({"k": ("scripted:echo", {"api_key": "sk-do-not-ship"})})[0]
    with pytest.raises(ConfigurationError, match="api_key.*environment"):
        pickle.dumps(keyed)
    url = bench().tasks({"u": "scripted:echo@http://user:hunter2@127.0.0.1:9"})[0]
    with pytest.raises(ConfigurationError, match="user:password") as caught:
        pickle.dumps(url)
    assert "hunter2" not in str(caught.value) and "hunter2" not in repr(url.client)
    plain: RowTask = pickle.loads(pickle.dumps(bench().tasks({"p": "scripted:echo"})[0]))
    assert plain().output == "Say a"
