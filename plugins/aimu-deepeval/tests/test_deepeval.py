"""Real DeepEval metrics judged by aimu clients; DeepEval metrics scoring a Benchmark."""

from __future__ import annotations

import asyncio
import pickle

import pytest
from aimu_deepeval import DeepEvalModel, DeepEvalScorer
from deepeval.metrics import AnswerRelevancyMetric, GEval
from deepeval.test_case import LLMTestCase, SingleTurnParams

import aimu_core
from aimu_core import aio
from aimu_core.errors import ConfigurationError
from aimu_core.evals import Benchmark
from aimu_core.prompts import JudgedTuner
from conftest import DeepEvalJudge

CASE = LLMTestCase(input="What is the capital of France?", actual_output="Paris. Cats purr.")


def geval(model: DeepEvalModel, **kwargs: object) -> GEval:
    return GEval(
        name="Correctness",
        criteria="The answer is correct and brief.",
        evaluation_params=[SingleTurnParams.INPUT, SingleTurnParams.ACTUAL_OUTPUT],
        model=model,
        **kwargs,
    )


@pytest.mark.parametrize("async_mode", [False, True])
def test_answer_relevancy_with_an_aimu_judge(judge: DeepEvalJudge, async_mode: bool) -> None:
    model = DeepEvalModel(aimu_core.client(judge.model))
    metric = AnswerRelevancyMetric(model=model, async_mode=async_mode)
    if async_mode:  # a_generate: the sync client on a worker thread
        asyncio.run(metric.a_measure(CASE, _show_indicator=False))
    else:
        metric.measure(CASE, _show_indicator=False)
    assert metric.score == 0.5
    assert metric.reason == "One of two statements is off topic."
    assert sum(judge.hits.values()) == 3
    assert model.get_model_name() == "aimu openai-compat:judge"


def test_geval_with_an_async_aimu_judge_measured_both_ways(judge: DeepEvalJudge) -> None:
    metric = geval(DeepEvalModel(aio.client(judge.model)), async_mode=False)
    metric.measure(CASE, _show_indicator=False)  # sync measure on an async client
    assert metric.score == pytest.approx(0.8) and metric.reason == "Accurate and brief."
    again = geval(DeepEvalModel(aio.client(judge.model)))
    asyncio.run(again.a_measure(CASE, _show_indicator=False))
    assert again.score == pytest.approx(0.8)


def test_a_judge_reply_that_is_no_json_reaches_deepeval_as_text(judge: DeepEvalJudge) -> None:
    judge.broken = True
    model = DeepEvalModel(aimu_core.client(judge.model))
    assert model.generate("You are an evaluator ...") == "I would rather not say."
    with pytest.raises(ValueError):
        AnswerRelevancyMetric(model=model, async_mode=False).measure(CASE, _show_indicator=False)


def test_deepeval_metrics_score_a_benchmark(judge: DeepEvalJudge) -> None:
    model = DeepEvalModel(judge.model)  # a model string: one judge client per thread
    scorer = DeepEvalScorer([AnswerRelevancyMetric(model=model, async_mode=False), geval(model)])
    rows = [{"content": f"Question {n}?", "expected": "Paris"} for n in range(6)]
    results = Benchmark("{content}", rows, scorer, pass_threshold=0.6).run(
        {"echo": "scripted:echo"}, max_workers=3, progress=False
    )
    assert [r.score for r in results.rows] == [pytest.approx(0.65)] * 6
    assert results.rows[0].reason == (
        "Answer Relevancy: One of two statements is off topic.; Correctness: Accurate and brief."
    )
    assert results.summary["echo"].pass_rate == 1.0
    frame = results.to_pandas()
    assert list(frame["score"]) == [pytest.approx(0.65)] * 6 and len(frame) == 6


def test_a_failing_metric_leaves_the_row_unscored(judge: DeepEvalJudge) -> None:
    judge.broken = True
    scorer = DeepEvalScorer(
        [AnswerRelevancyMetric(model=DeepEvalModel(judge.model), async_mode=False)]
    )
    results = Benchmark("{content}", [{"content": "q"}], scorer).run(
        {"echo": "scripted:echo"}, progress=False
    )
    row = results.rows[0]
    assert (
        row.score is None and row.error is None and row.reason.startswith("Answer Relevancy failed")
    )
    assert results.summary["echo"].unscored == 1


def test_a_dataframe_as_data_and_a_judged_tuner(judge: DeepEvalJudge) -> None:
    import pandas

    frame = pandas.DataFrame([{"content": "Capital of France?"}, {"content": "Capital of Italy?"}])
    scorer = DeepEvalScorer([geval(DeepEvalModel(judge.model), async_mode=False)])
    results = Benchmark("{content}", frame, scorer).run({"e": "scripted:echo"}, progress=False)
    assert [r.input for r in results.rows] == ["Capital of France?", "Capital of Italy?"]
    tuner = JudgedTuner(aimu_core.client("scripted:echo"), scorer)
    assert tuner.tune(frame, "{content}").metrics == {
        "score": pytest.approx(0.8),
        "pass_rate": 1.0,
        "unscored": 0,
    }


def test_a_judge_ships_as_a_model_string_only(judge: DeepEvalJudge) -> None:
    shipped = pickle.loads(pickle.dumps(DeepEvalModel(judge.model)))
    assert shipped.generate("generate a list of statements") == (
        '{"statements": ["Paris is the capital.", "Cats purr."]}'
    )
    with pytest.raises(ConfigurationError, match="model string"):
        pickle.dumps(DeepEvalModel(aimu_core.client(judge.model)))
    with pytest.raises(ConfigurationError, match="metric"):
        DeepEvalScorer([])
