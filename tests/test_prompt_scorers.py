"""The scorers: exact, contains, regex, JSON fields, and an LLM judge that never guesses."""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

import aimu_core
from aimu_core.errors import ConfigurationError
from aimu_core.prompts import (
    ContainsScorer,
    ExactMatchScorer,
    JSONFieldScorer,
    LLMJudgeScorer,
    RegexScorer,
    Score,
)
from aimu_core.prompts.scorers import parse_json_object


def test_exact_match_normalizes_space_and_case() -> None:
    scorer = ExactMatchScorer()
    assert scorer.score("  Paris \n", {"expected": "paris"}) == Score(1.0, "exact match")
    assert scorer.score("Lyon", {"expected": "Paris"}).value == 0.0
    assert ExactMatchScorer(case_sensitive=True).score("paris", {"expected": "Paris"}).value == 0.0
    assert ExactMatchScorer(field="answer").score("4", {"answer": 4}).value == 1.0


def test_contains_gives_the_fraction_of_items_found() -> None:
    scorer = ContainsScorer()
    assert scorer.score("The capital is PARIS.", {"expected": "paris"}).value == 1.0
    half = scorer.score("red and blue", {"expected": ["red", "green"]})
    assert half.value == 0.5 and "'green'" in half.reason


def test_regex_from_the_scorer_or_the_row() -> None:
    assert RegexScorer(r"\d{4}-\d{2}").score("on 2024-05", {}).value == 1.0
    assert RegexScorer(r"^yes$").score("no", {}).value == 0.0
    assert RegexScorer().score("id: A17", {"expected": r"A\d+"}).value == 1.0
    with pytest.raises(ConfigurationError, match="invalid"):
        RegexScorer().score("x", {"expected": "("})


def test_json_fields_score_the_fraction_right() -> None:
    scorer = JSONFieldScorer()
    row = {"expected": {"name": "Ada", "year": 1843}}
    assert scorer.score('```json\n{"name": "Ada", "year": "1843"}\n```', row).value == 1.0
    partly = scorer.score('Here: {"name": "Ada", "year": 1900} done', row)
    assert partly.value == 0.5 and "year" in partly.reason
    assert scorer.score("no json here", row) == Score(0.0, "the output holds no JSON object")
    assert JSONFieldScorer(["name"]).score('{"name": "Ada"}', row).value == 1.0
    assert (
        scorer.score(
            '{"name": "Ada", "year": 1843}', {"expected": json.dumps(row["expected"])}
        ).value
        == 1.0
    )


def test_a_missing_column_names_the_columns_there_are() -> None:
    with pytest.raises(ConfigurationError, match="'expected'.*it has: content"):
        ExactMatchScorer().score("x", {"content": "c"})


_objects = st.dictionaries(
    st.text(min_size=1, max_size=8), st.one_of(st.integers(), st.text(max_size=8), st.booleans())
)


@given(_objects, st.text(alphabet="abc .\n", max_size=20), st.text(alphabet="xyz .\n", max_size=20))
def test_a_json_object_is_found_wherever_the_reply_puts_it(
    obj: dict, before: str, after: str
) -> None:
    assert parse_json_object(f"{before}{json.dumps(obj)}{after}") == obj
    assert parse_json_object(f"{before}```json\n{json.dumps(obj)}\n```{after}") == obj


@given(st.text(max_size=200))
def test_parse_json_object_never_raises(text: str) -> None:
    found = parse_json_object(text)
    assert found is None or isinstance(found, dict)


def judge(*replies: str) -> LLMJudgeScorer:
    client = aimu_core.client("scripted:scripted", script=list(replies))
    return LLMJudgeScorer(client, "Answers the question correctly.")


def test_the_judge_rating_becomes_the_score_and_its_reply_the_reason() -> None:
    scorer = judge("Rating: 8/10\nCorrect and concise.", "Rating: 1/10\nWrong city.")
    good = scorer.score("Paris", {"content": "Capital of France?", "reference": "Paris"})
    assert good.value == pytest.approx(0.8) and "concise" in good.reason
    assert scorer.score("Lyon", {"content": "Capital of France?"}).value == pytest.approx(0.1)
    sent = scorer.judge.requests[0]["messages"][-1]["content"]
    assert "Capital of France?" in sent and "Reference answer: Paris" in sent and "Paris" in sent


def test_an_unparseable_rating_is_unscored_not_a_made_up_half() -> None:
    score = judge("I cannot rate this.").score("x", {"content": "q"})
    assert score.value is None and not score.scored
    assert score.reason.startswith("unparseable rating: I cannot rate this.")


def test_a_judge_given_as_a_model_string_builds_a_client_per_thread() -> None:
    from concurrent.futures import ThreadPoolExecutor

    scorer = LLMJudgeScorer("scripted:echo", "anything", prompt="Rating: {output}/10")
    with ThreadPoolExecutor(4) as pool:
        scores = list(pool.map(lambda n: scorer.score(str(n), {}).value, range(1, 9)))
    assert scores == pytest.approx([n / 10 for n in range(1, 9)])


def test_a_judge_ships_as_its_model_string_never_as_a_client() -> None:
    shipped = pickle.loads(
        pickle.dumps(LLMJudgeScorer("scripted:echo", "c", prompt="Rating: 7/10"))
    )
    assert shipped.score("x", {}).value == pytest.approx(0.7)
    with pytest.raises(ConfigurationError, match="model string"):
        pickle.dumps(judge("Rating: 5/10"))
    with pytest.raises(ConfigurationError, match="api_key.*environment"):
        pickle.dumps(LLMJudgeScorer("scripted:echo", "c", options={"api_key": "sk-secret"}))


@given(
    st.dictionaries(
        st.text(alphabet="abcxyz_", min_size=1, max_size=6),
        st.text(alphabet="{}abc xyz_", max_size=12),
        min_size=1,
    )
)
def test_filling_a_row_inserts_each_value_once_and_as_it_is(row: dict) -> None:
    from aimu_core.prompts import fill_row

    template = " | ".join("{" + key + "}" for key in row) + ' {json: {"kept": 1}}'
    assert fill_row(template, row) == " | ".join(row.values()) + ' {json: {"kept": 1}}'
