"""PromptTuner's hill climb and its four tuners, on the scripted provider."""

from __future__ import annotations

from pathlib import Path

import pytest

import aimu_core
from aimu_core.errors import ConfigurationError
from aimu_core.prompts import (
    ClassificationTuner,
    ExtractionTuner,
    JudgedTuner,
    LLMJudgeScorer,
    MultiClassTuner,
    PromptCatalog,
)
from aimu_core.testing import Turn

ROWS = [
    {"content": "GPUs train models", "label": True},
    {"content": "A cat sat", "label": False},
    {"content": "Transformers attend", "label": True},
]


def scripted(*turns: str | Turn) -> aimu_core.ModelClient:
    return aimu_core.client("scripted:scripted", script=list(turns))


def test_a_better_prompt_is_kept_and_tuning_stops_when_all_rows_pass(tmp_path: Path) -> None:
    client = scripted(
        "[YES]", "[NO]", "[NO]",  # 2/3 right
        "Sure. <prompt>Is it about ML? Answer [YES] or [NO]. {content}</prompt>",
        "[YES]", "[NO]", "[YES]",  # 3/3
    )  # fmt: skip
    catalog = PromptCatalog(tmp_path / "p.db")
    result = ClassificationTuner(client, seed=0).tune(
        ROWS, "About AI? {content}", catalog=catalog, prompt_name="is-ml"
    )
    assert result.prompt == "Is it about ML? Answer [YES] or [NO]. {content}"
    assert result.metrics == {"accuracy": 1.0, "precision": 1.0, "recall": 1.0, "unanswered": 0}
    assert [(i.number, round(i.score, 3), i.kept) for i in result.iterations] == [
        (1, 0.667, True),
        (2, 1.0, True),
    ]
    # The rows went through the template; the mutation request showed the failure.
    sent = [r["messages"][-1]["content"] for r in client.requests]
    assert sent[0] == "About AI? GPUs train models"
    assert "should be classified [YES]" in sent[3] and "Transformers attend" in sent[3]
    # Every iteration saved under the full model id, the best being the latest.
    history = catalog.history("is-ml", "scripted:scripted")
    assert [(p.version, p.metrics["iteration"], p.metrics["kept"]) for p in history] == [
        (1, 1, True),
        (2, 2, True),
    ]
    assert catalog.get("is-ml", client).prompt == result.prompt


def test_a_worse_prompt_is_reverted_and_the_limit_stops_the_climb(tmp_path: Path) -> None:
    client = scripted(
        "[YES]", "[NO]", "[NO]",  # 2/3
        "<prompt>Worse {content}",  # an unclosed tag runs to the end
        "[NO]", "[NO]", "[NO]",  # 1/3: reverted
        "<prompt>Still worse {content}</prompt>",
        "[NO]", "nonsense", "[NO]",  # 0/3: reverted, limit reached
    )  # fmt: skip
    catalog = PromptCatalog(tmp_path / "p.db")
    result = ClassificationTuner(client).tune(
        ROWS, "Start {content}", max_iterations=3, catalog=catalog, prompt_name="x"
    )
    assert result.prompt == "Start {content}"
    assert [i.prompt for i in result.iterations] == [
        "Start {content}",
        "Worse {content}",
        "Still worse {content}",
    ]
    assert [i.kept for i in result.iterations] == [True, False, False]
    assert result.iterations[2].metrics["unanswered"] == 1
    # The second mutation improves the best prompt, not the reverted one.
    assert "Start {content}" in client.requests[7]["messages"][-1]["content"]
    # Each iteration saved, then the best once more, so the latest version is the best.
    history = catalog.history("x", client)
    assert [p.prompt for p in history] == [
        "Start {content}", "Worse {content}", "Still worse {content}", "Start {content}",
    ]  # fmt: skip
    assert history[-1].metrics["best"] is True


def test_multi_class_reads_bracketed_or_bare_labels() -> None:
    rows = [
        {"content": "I love it", "label": "positive"},
        {"content": "I hate it", "label": "negative"},
        {"content": "It is a box", "label": "neutral"},
    ]
    client = scripted(
        "[positive]", "Negative.", "positive",
        "<prompt>Label the sentiment (positive, negative, neutral): {content}</prompt>",
        "[positive]", "negative", "[neutral]",
    )  # fmt: skip
    tuner = MultiClassTuner(client, ["positive", "negative", "neutral"])
    result = tuner.tune(rows, "Sentiment? {content}")
    first = result.iterations[0].metrics
    assert first["accuracy"] == pytest.approx(2 / 3)
    assert first["macro_f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert result.metrics["accuracy"] == 1.0 and result.metrics["macro_f1"] == 1.0
    assert "expected [neutral], got [positive]" in client.requests[3]["messages"][-1]["content"]


def test_extraction_compares_the_json_fields() -> None:
    rows = [
        {"content": "Ada Lovelace, 1815", "expected": {"name": "Ada Lovelace", "born": 1815}},
        {"content": "Alan Turing, 1912", "expected": {"name": "Alan Turing", "born": 1912}},
    ]
    client = scripted(
        '{"name": "Ada Lovelace", "born": 1815}', "Turing",
        '<prompt>Reply with JSON {"name": ..., "born": ...} for: {content}</prompt>',
        '{"name": "Ada Lovelace", "born": "1815"}', '```json\n{"name": "Alan Turing", "born": 1912}\n```',
    )  # fmt: skip
    result = ExtractionTuner(client, ["name", "born"]).tune(rows, "Extract: {content}")
    assert result.iterations[0].metrics == {
        "accuracy": 0.5, "field_name_accuracy": 0.5, "field_born_accuracy": 0.5,
    }  # fmt: skip
    assert result.metrics["accuracy"] == 1.0
    assert "got no JSON object" in client.requests[2]["messages"][-1]["content"]
    # The new prompt's JSON braces survive filling.
    assert client.requests[3]["messages"][-1]["content"].startswith('Reply with JSON {"name"')


def test_judged_tuning_maximizes_the_mean_score_and_counts_unscored_rows() -> None:
    judge = scripted("Rating: 3/10 too long", "no idea", "Rating: 9/10", "Rating: 8/10")
    client = scripted(
        "long answer", "other answer", "<prompt>Be brief: {content}</prompt>", "a", "b"
    )
    tuner = JudgedTuner(client, LLMJudgeScorer(judge, "brief"), pass_threshold=0.7)
    result = tuner.tune([{"content": "q1"}, {"content": "q2"}], "Answer: {content}")
    assert result.iterations[0].metrics == {
        "score": pytest.approx(0.15),
        "pass_rate": 0.0,
        "unscored": 1,
    }
    assert result.metrics == {"score": pytest.approx(0.85), "pass_rate": 1.0, "unscored": 0}
    mutation = client.requests[2]["messages"][-1]["content"]
    assert "Score: unrated" in mutation and "unparseable rating: no idea" in mutation


def test_bad_tuning_arguments() -> None:
    tuner = ClassificationTuner(scripted())
    with pytest.raises(ConfigurationError, match="both"):
        tuner.tune(ROWS, "p {content}", catalog=None, prompt_name="x")
    with pytest.raises(ConfigurationError, match="at least 1"):
        tuner.tune(ROWS, "p {content}", max_iterations=0)
    with pytest.raises(ConfigurationError, match="no rows"):
        tuner.tune([], "p {content}")
    with pytest.raises(ConfigurationError, match="classes"):
        MultiClassTuner(scripted(), [])
