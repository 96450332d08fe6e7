"""``Benchmark``: one prompt over a data set, on several models, every row kept.

Each row is one task (:class:`RowTask`): fill the prompt from the row, make one
call on a fresh conversation, time it, read its token usage, score the output.
Tasks run on a ``concurrent.futures.Executor`` (a thread pool by default; any
other, e.g. aimu-ray's, works the same). A task never raises for a failed call:
the row is recorded with its error and the run goes on; a task the executor
itself loses (a worker process gone) is recorded the same way.

Models are given as live clients or as model strings (``(model string,
options)`` for options): a string is a :class:`~aimu_core.agents.recipe.ClientRecipe`,
which is what an executor shipping work to other processes needs (a live client
cannot be pickled; each worker thread or process builds its own client).
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..agents.recipe import ClientRecipe, as_recipe, worker_client
from ..errors import ConfigurationError
from ..prompts.data import load_rows
from ..prompts.scorers import Scorer
from ..prompts.templates import fill_row

__all__ = ["Benchmark", "BenchmarkResults", "ClientSummary", "RowResult", "RowTask"]

#: Threads of the default executor.
DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class RowResult:
    """One row's call on one client: what went in, what came out, how it scored."""

    client: str
    index: int
    input: str
    output: str | None
    score: float | None
    passed: bool
    reason: str
    latency_s: float
    usage: dict[str, int] | None
    error: str | None = None
    row: dict[str, Any] = field(default_factory=dict)

    def outcome(self) -> tuple[Any, ...]:
        """What the row produced, without the timing: equal across executors for one model."""
        return (self.client, self.index, self.input, self.output, self.score, self.passed,
                self.reason, self.usage, self.error)  # fmt: skip


@dataclass(frozen=True)
class ClientSummary:
    """One client's figures. ``score`` is the mean over scored rows (``None`` if none);
    ``pass_rate`` counts failed and unscored rows as not passed."""

    client: str
    model: str
    rows: int
    score: float | None
    pass_rate: float
    errors: int
    unscored: int
    mean_latency_s: float
    prompt_tokens: int
    completion_tokens: int


@dataclass
class RowTask:
    """One row on one client, as a callable an executor runs (picklable with a recipe)."""

    client_name: str
    client: Any  # a ClientRecipe, or a live client (threads only)
    index: int
    row: dict[str, Any]
    prompt: str
    scorer: Scorer
    pass_threshold: float
    generate_kwargs: dict[str, Any] | None = None

    def __getstate__(self) -> dict[str, Any]:
        if not isinstance(self.client, ClientRecipe):
            raise ConfigurationError(
                f"the client {self.client_name!r} is a live client, which cannot be sent to "
                "another process; give the Benchmark a model string (or a (model string, "
                "options) pair) to run it on this executor"
            )
        return dict(vars(self))

    def __call__(self) -> RowResult:
        text = output = None
        usage = None
        start = time.perf_counter()
        try:
            text = fill_row(self.prompt, self.row)
            client = worker_client(self.client)
            start = time.perf_counter()
            output = str(client.chat(text, generate_kwargs=self.generate_kwargs, use_tools=False))
            latency = time.perf_counter() - start
            usage = dict(client.last_usage) if client.last_usage else None
            score = self.scorer.score(output, self.row)
        except Exception as exc:  # the row failed; the run goes on
            return self.failed(exc, text or "", output, time.perf_counter() - start, usage)
        passed = score.value is not None and score.value >= self.pass_threshold
        return RowResult(
            self.client_name, self.index, text, output, score.value, passed, score.reason,
            latency, usage, None, self.row,
        )  # fmt: skip

    def failed(
        self,
        exc: BaseException,
        text: str = "",
        output: str | None = None,
        latency: float = 0.0,
        usage: dict[str, int] | None = None,
    ) -> RowResult:
        """The row as failed by *exc* (raised by the call, the scorer, or the executor)."""
        return RowResult(
            self.client_name, self.index, text or self.prompt, output, None, False, "",
            latency, usage, f"{type(exc).__name__}: {exc}", self.row,
        )  # fmt: skip


class Benchmark:
    """Run *prompt* over *data* on several models and score every output with *scorer*.

    *prompt* is a template whose ``{column}`` placeholders are filled from each
    row (without any, the row's ``content`` follows the prompt). *data* is a list
    of dicts, a CSV/JSONL path or a DataFrame. A row passes when its score is at
    least *pass_threshold*.
    """

    def __init__(
        self,
        prompt: str,
        data: Any,
        scorer: Scorer,
        pass_threshold: float = 0.7,
    ) -> None:
        if not isinstance(prompt, str) or not prompt.strip():
            raise ConfigurationError("a Benchmark needs a non-empty prompt")
        if not isinstance(scorer, Scorer):
            raise ConfigurationError(
                f"the scorer must be an aimu_core.prompts.Scorer, got {type(scorer).__name__}"
            )
        if not 0.0 <= pass_threshold <= 1.0:
            raise ConfigurationError(f"pass_threshold must be in [0, 1], got {pass_threshold!r}")
        self.prompt = prompt
        self.rows = load_rows(data)
        self.scorer = scorer
        self.pass_threshold = pass_threshold

    def tasks(
        self, clients: Mapping[str, Any], generate_kwargs: Mapping[str, Any] | None = None
    ) -> list[RowTask]:
        """The run's tasks: every row on every client, client by client."""
        if not isinstance(clients, Mapping) or not clients:
            raise ConfigurationError(
                'Benchmark.run needs a dict of clients: {"name": client or "provider:model"}'
            )
        kwargs = dict(generate_kwargs) if generate_kwargs else None
        return [
            RowTask(
                str(name),
                as_recipe(client) or client,
                index,
                row,
                self.prompt,
                self.scorer,
                self.pass_threshold,
                kwargs,
            )  # fmt: skip
            for name, client in clients.items()
            for index, row in enumerate(self.rows)
        ]

    def run(
        self,
        clients: Mapping[str, Any],
        *,
        executor: Executor | None = None,
        max_workers: int = DEFAULT_WORKERS,
        progress: bool | None = None,
        generate_kwargs: Mapping[str, Any] | None = None,
    ) -> BenchmarkResults:
        """Every row on every client; returns :class:`BenchmarkResults`.

        *executor* runs the rows (a ``ThreadPoolExecutor(max_workers)`` when
        ``None``, shut down afterwards; one you pass is left running).
        *progress* shows a tqdm bar (default: when stderr is a terminal and
        tqdm is installed).
        """
        tasks = self.tasks(clients, generate_kwargs)
        own = executor is None
        pool: Executor = ThreadPoolExecutor(max_workers) if executor is None else executor
        bar = _progress_bar(len(tasks), progress)
        results: dict[tuple[str, int], RowResult] = {}
        try:
            futures: dict[Future[RowResult], RowTask] = {pool.submit(t): t for t in tasks}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the executor lost the task
                    result = task.failed(exc)
                results[(task.client_name, task.index)] = result
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
            if own:
                pool.shutdown(wait=True, cancel_futures=True)
        rows = [results[(t.client_name, t.index)] for t in tasks]
        models = {str(name): _model_name(client) for name, client in clients.items()}
        return BenchmarkResults(self.prompt, self.pass_threshold, rows, models)


def _model_name(client: Any) -> str:
    from ..prompts.catalog import model_id

    recipe = as_recipe(client)
    return model_id(recipe.model if recipe else client)


def _progress_bar(total: int, progress: bool | None) -> Any:
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if progress:
            raise ConfigurationError(
                "progress=True needs tqdm: pip install 'aimu-core[evals]'"
            ) from None
        return None
    return tqdm(total=total, desc="benchmark", unit="row")


class BenchmarkResults:
    """Every row's result (``rows``) and each client's figures (``summary``)."""

    def __init__(
        self,
        prompt: str,
        pass_threshold: float,
        rows: Iterable[RowResult],
        models: Mapping[str, str],
    ) -> None:
        self.prompt = prompt
        self.pass_threshold = pass_threshold
        self.rows = list(rows)
        self.models = dict(models)
        self.summary = {name: self._summarize(name) for name in self.models}

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{s.client}: score={_fmt(s.score)} pass_rate={s.pass_rate:.2f}"
            for s in self.summary.values()
        )
        return f"BenchmarkResults({parts})"

    def _summarize(self, name: str) -> ClientSummary:
        rows = [r for r in self.rows if r.client == name]
        scores = [r.score for r in rows if r.score is not None]
        answered = [r for r in rows if r.error is None]
        return ClientSummary(
            client=name,
            model=self.models[name],
            rows=len(rows),
            score=sum(scores) / len(scores) if scores else None,
            pass_rate=sum(r.passed for r in rows) / len(rows) if rows else 0.0,
            errors=sum(r.error is not None for r in rows),
            unscored=sum(r.error is None and r.score is None for r in rows),
            mean_latency_s=sum(r.latency_s for r in answered) / len(answered) if answered else 0.0,
            prompt_tokens=sum((r.usage or {}).get("prompt_tokens", 0) for r in rows),
            completion_tokens=sum((r.usage or {}).get("completion_tokens", 0) for r in rows),
        )

    # -- export ------------------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """One flat dict per row: the columns of ``to_csv`` and ``to_pandas``."""
        out = []
        for r in self.rows:
            usage = r.usage or {}
            out.append(
                {
                    "client": r.client,
                    "model": self.models.get(r.client, ""),
                    "index": r.index,
                    "input": r.input,
                    "output": r.output,
                    "score": r.score,
                    "passed": r.passed,
                    "reason": r.reason,
                    "latency_s": r.latency_s,
                    "prompt_tokens": usage.get("prompt_tokens"),
                    "completion_tokens": usage.get("completion_tokens"),
                    "error": r.error,
                    "row": json.dumps(r.row, default=str, sort_keys=True),
                }
            )
        return out

    def to_csv(self, path: str | Path | None = None) -> str:
        """Every row as CSV; written to *path* when given. Returns the text."""
        buffer = io.StringIO()
        records = self.records()
        writer = csv.DictWriter(buffer, fieldnames=list(records[0]) if records else ["client"])
        writer.writeheader()
        writer.writerows(records)
        text = buffer.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8", newline="")
        return text

    def to_json(self, path: str | Path | None = None) -> str:
        """The summary and every row as JSON; written to *path* when given. Returns the text."""
        payload = {
            "prompt": self.prompt,
            "pass_threshold": self.pass_threshold,
            "summary": [asdict(s) for s in self.summary.values()],
            "rows": [asdict(r) for r in self.rows],
        }
        text = json.dumps(payload, indent=2, default=str)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_pandas(self) -> Any:
        """Every row as a pandas DataFrame (needs pandas)."""
        try:
            import pandas
        except ImportError:
            raise ConfigurationError("to_pandas needs pandas: pip install pandas") from None
        return pandas.DataFrame(self.records())

    def to_catalog(self, catalog: Any, name: str) -> list[Any]:
        """Save the prompt under *name* for each client's model, its figures as metrics."""
        saved = []
        for s in self.summary.values():
            metrics = {k: v for k, v in asdict(s).items() if k not in ("client", "model")}
            saved.append(catalog.save(name, s.model, self.prompt, metrics))
        return saved


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
