"""aimu's call overhead against each provider's raw SDK, on a loopback server with no added latency.

For every installed provider plugin, one loopback server answers in that
provider's wire format, and the same conversation (a system message, a few
prior turns, a new user message) goes through ``aimu_core`` and through the
raw SDK, alternating aimu/raw and raw/aimu call by call so drift hits both
alike. Two cases: a non-streamed call, and a streamed reply of ~300 chunks.
Both sides do what a user would: the raw side reads the answer text (and
joins the streamed pieces); aimu keeps history, which is rolled back to the
same conversation before each call.

Goal: aimu adds <= 3% to a non-streamed call and <= 5% to a streamed one. For
streamed calls it also prints the microseconds aimu adds per chunk. Timings on
a shared machine drift by several percent from run to run, so it also prints
a figure that does not: the Python function calls aimu adds to each call (and
to each chunk), counted with cProfile.

    python bench/overhead.py [--rounds 300] [--stream-rounds 60] [--provider openai]

Each provider is a ``bench_<name>(args) -> list[Result]`` function registered
in ``BENCHES`` with the plugin module it needs; main runs those installed.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import pstats
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: The shared conversation: every provider sends the same turns.
SYSTEM = "You are a concise assistant."
HISTORY = [
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "Paris."},
    {"role": "user", "content": "And of Italy?"},
    {"role": "assistant", "content": "Rome."},
]
QUESTION = "Name three rivers in Europe, briefly."
ANSWER = "The Danube, the Rhine and the Seine."
#: Pieces of the streamed reply.
STREAM_CHUNKS = 300


#: The largest acceptable aimu/raw ratios.
GOAL_PLAIN = 1.03
GOAL_STREAM = 1.05


@dataclass
class Timing:
    seconds: float  # median wall time per call
    calls: int  # Python function calls per call, counted by cProfile (no noise)


@dataclass
class Result:
    provider: str
    case: str
    raw: Timing
    aimu: Timing
    goal: float  # the largest acceptable ratio
    chunks: int = 0  # chunks per call, for streamed cases

    @property
    def ratio(self) -> float:
        return self.aimu.seconds / self.raw.seconds

    @property
    def per_chunk_us(self) -> str:
        """Microseconds aimu adds per chunk ("" for a non-streamed case)."""
        if not self.chunks:
            return ""
        return f"{(self.aimu.seconds - self.raw.seconds) / self.chunks * 1e6:+.2f}"

    @property
    def added_calls(self) -> str:
        """Function calls aimu adds per call, and per chunk for a streamed case."""
        added = self.aimu.calls - self.raw.calls
        return f"{added:+d}" + (f" ({added / self.chunks:+.1f}/chunk)" if self.chunks else "")


def results(provider: str, plain: dict[str, Timing], stream: dict[str, Timing]) -> list[Result]:
    """The two results of one provider, from :func:`alternate`'s measurements."""
    return [
        Result(provider, "non-streamed", plain["raw"], plain["aimu"], GOAL_PLAIN),
        Result(
            provider,
            f"streamed ({STREAM_CHUNKS} chunks)",
            stream["raw"],
            stream["aimu"],
            GOAL_STREAM,
            STREAM_CHUNKS,
        ),
    ]


def alternate(
    calls: dict[str, Callable[[], Any]], rounds: int, warmup: int = 10
) -> dict[str, Timing]:
    """Median seconds per call of each callable, run in alternating order round by round,
    and the function calls each makes."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(warmup):
        for call in calls.values():
            call()
    items = list(calls.items())
    gc.collect()
    for round_ in range(rounds):
        for name, call in items if round_ % 2 == 0 else reversed(items):
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {
        name: Timing(statistics.median(samples[name]), count_calls(call))
        for name, call in calls.items()
    }


def count_calls(call: Callable[[], Any], times: int = 5) -> int:
    """Python function calls one *call* makes (the median of *times* counts)."""
    counts = []
    for _ in range(times):
        profile = cProfile.Profile()
        profile.runcall(call)
        counts.append(pstats.Stats(profile).total_calls)
    return int(statistics.median(counts))


def pieces(text: str, count: int) -> list[str]:
    """*text* repeated and cut into *count* pieces (the chunks of a streamed reply)."""
    words = (text + " ") * (count // len(text.split()) + 1)
    return [w + " " for w in words.split()[:count]]


def aimu_caller(client: Any, *, stream: bool) -> Callable[[], str]:
    """One aimu chat call on the shared conversation; history is rolled back first."""
    base = len(client.messages)

    def call() -> str:
        del client.messages[base:]
        if not stream:
            return client.chat(QUESTION)
        return "".join(
            c.content for c in client.chat(QUESTION, stream=True) if c.phase == "generating"
        )

    return call


# -- providers -------------------------------------------------------------------------------


def bench_openai(args: argparse.Namespace) -> list[Result]:
    """``openai-compat:`` (the base of every OpenAI-compatible provider) against ``openai.OpenAI``."""
    import openai

    import aimu_core
    from aimu_core.testing import LoopbackServer, Request, Response

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "bench",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    usage = {
        "prompt_tokens": 40,
        "completion_tokens": STREAM_CHUNKS,
        "total_tokens": 40 + STREAM_CHUNKS,
    }
    completion = Response.json(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1,
            "model": "bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": ANSWER},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49},
        }
    )
    events: list[Any] = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": p}) for p in pieces(ANSWER, STREAM_CHUNKS)]
    events += [chunk({}, "stop"), {**chunk({}), "choices": [], "usage": usage}, "[DONE]"]
    streamed = Response.sse(events)

    def handler(request: Request) -> Response:
        return streamed if b'"stream":true' in request.body.replace(b" ", b"") else completion

    with LoopbackServer(handler) as server:
        url = server.url + "/v1"
        raw = openai.OpenAI(api_key="bench", base_url=url)
        messages = [
            {"role": "system", "content": SYSTEM},
            *HISTORY,
            {"role": "user", "content": QUESTION},
        ]

        def raw_call() -> str:
            reply = raw.chat.completions.create(model="bench", messages=messages)
            return reply.choices[0].message.content or ""

        def raw_stream() -> str:
            text = []
            for item in raw.chat.completions.create(
                model="bench",
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            ):
                if item.choices and item.choices[0].delta.content:
                    text.append(item.choices[0].delta.content)
            return "".join(text)

        client = aimu_core.client(f"openai-compat:bench@{url}", api_key="bench", system=SYSTEM)
        client.messages.extend(HISTORY)
        aimu_call = aimu_caller(client, stream=False)
        aimu_stream = aimu_caller(client, stream=True)
        assert aimu_call() == raw_call() == ANSWER
        assert aimu_stream() == raw_stream()

        plain = alternate({"raw": raw_call, "aimu": aimu_call}, args.rounds)
        stream = alternate({"raw": raw_stream, "aimu": aimu_stream}, args.stream_rounds)
    return results("openai", plain, stream)


def bench_anthropic(args: argparse.Namespace) -> list[Result]:
    """``anthropic:`` against ``anthropic.Anthropic().messages.create`` (Messages API, SSE)."""
    import anthropic

    import aimu_core
    from aimu_core.testing import LoopbackServer, Request, Response

    model = "claude-haiku-4-5"  # no thinking: both sides send the same request

    def start(index: int, block: dict[str, Any]) -> tuple[str, Any]:
        return (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block},
        )

    def text_delta(text: str) -> tuple[str, Any]:
        delta = {"type": "text_delta", "text": text}
        return ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})

    usage = {"input_tokens": 40, "output_tokens": 1}
    message = {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    whole = Response.json(
        {
            **message,
            "content": [{"type": "text", "text": ANSWER}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 40, "output_tokens": 9},
        }
    )
    events: list[Any] = [("message_start", {"type": "message_start", "message": message})]
    events.append(start(0, {"type": "text", "text": ""}))
    events += [text_delta(p) for p in pieces(ANSWER, STREAM_CHUNKS)]
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": STREAM_CHUNKS},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    streamed = Response.sse(events)

    def handler(request: Request) -> Response:
        return streamed if b'"stream":true' in request.body.replace(b" ", b"") else whole

    with LoopbackServer(handler) as server:
        raw = anthropic.Anthropic(api_key="bench", base_url=server.url, max_retries=0)
        messages = [
            {"role": m["role"], "content": [{"type": "text", "text": m["content"]}]}
            for m in [*HISTORY, {"role": "user", "content": QUESTION}]
        ]

        def raw_call() -> str:
            reply = raw.messages.create(
                model=model, max_tokens=4096, system=SYSTEM, messages=messages
            )
            return "".join(b.text for b in reply.content if b.type == "text")

        def raw_stream() -> str:
            text = []
            for event in raw.messages.create(
                model=model, max_tokens=4096, system=SYSTEM, messages=messages, stream=True
            ):
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    text.append(event.delta.text)
            return "".join(text)

        client = aimu_core.client(
            f"anthropic:{model}", api_key="bench", base_url=server.url, max_retries=0, system=SYSTEM
        )
        client.messages.extend(HISTORY)
        aimu_call = aimu_caller(client, stream=False)
        aimu_stream = aimu_caller(client, stream=True)
        assert aimu_call() == raw_call() == ANSWER
        assert aimu_stream() == raw_stream()
        assert server.requests[-1].body == server.requests[-2].body  # the very same request

        plain = alternate({"raw": raw_call, "aimu": aimu_call}, args.rounds)
        stream = alternate({"raw": raw_stream, "aimu": aimu_stream}, args.stream_rounds)
    return results("anthropic", plain, stream)


def bench_ollama(args: argparse.Namespace) -> list[Result]:
    """``ollama:`` against ``ollama.Client().chat`` (``/api/chat``, NDJSON)."""
    import ollama

    import aimu_core
    from aimu_core.testing import LoopbackServer, Request, Response

    model = "llama3.2"  # no thinking: both sides send the same request

    def part(text: str, done: bool = False) -> dict[str, Any]:
        part = {
            "model": model,
            "created_at": "2025-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": text},
            "done": done,
        }
        if done:
            part.update(done_reason="stop", prompt_eval_count=40, eval_count=STREAM_CHUNKS)
        return part

    whole = Response.json(part(ANSWER, done=True))
    streamed = Response.ndjson(
        [*(part(p) for p in pieces(ANSWER, STREAM_CHUNKS)), part("", done=True)]
    )

    def handler(request: Request) -> Response:
        return whole if b'"stream":false' in request.body.replace(b" ", b"") else streamed

    with LoopbackServer(handler) as server:
        raw = ollama.Client(host=server.url)
        messages = [
            {"role": "system", "content": SYSTEM},
            *HISTORY,
            {"role": "user", "content": QUESTION},
        ]

        def raw_call() -> str:
            return raw.chat(model=model, messages=messages).message.content or ""

        def raw_stream() -> str:
            return "".join(
                p.message.content or ""
                for p in raw.chat(model=model, messages=messages, stream=True)
            )

        client = aimu_core.client(f"ollama:{model}", base_url=server.url, system=SYSTEM)
        client.messages.extend(HISTORY)
        aimu_call = aimu_caller(client, stream=False)
        aimu_stream = aimu_caller(client, stream=True)
        assert aimu_call() == raw_call() == ANSWER
        assert aimu_stream() == raw_stream()
        assert server.requests[-1].body == server.requests[-2].body  # the very same request

        plain = alternate({"raw": raw_call, "aimu": aimu_call}, args.rounds)
        stream = alternate({"raw": raw_stream, "aimu": aimu_stream}, args.stream_rounds)
    return results("ollama", plain, stream)


#: provider name -> (plugin module it needs, bench function)
BENCHES: dict[str, tuple[str, Callable[[argparse.Namespace], list[Result]]]] = {
    "openai": ("aimu_openai", bench_openai),
    "anthropic": ("aimu_anthropic", bench_anthropic),
    "ollama": ("aimu_ollama", bench_ollama),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="non-streamed calls per side")
    parser.add_argument("--stream-rounds", type=int, default=60, help="streamed calls per side")
    parser.add_argument("--provider", action="append", help="only these providers (repeatable)")
    args = parser.parse_args()

    measured: list[Result] = []
    for name, (module, bench) in BENCHES.items():
        if args.provider and name not in args.provider:
            continue
        if importlib.util.find_spec(module) is None:
            print(f"{name}: skipped ({module} is not installed)")
            continue
        measured.extend(bench(args))

    header = f"{'provider':<10} {'case':<26} {'raw ms':>9} {'aimu ms':>9} {'ratio':>7}"
    print(f"{header} {'us/chunk':>9}  {'goal':<14}  calls aimu adds")
    for r in measured:
        verdict = "ok" if r.ratio <= r.goal else "OVER"
        print(
            f"{r.provider:<10} {r.case:<26} {r.raw.seconds * 1e3:9.3f} {r.aimu.seconds * 1e3:9.3f} "
            f"{r.ratio:7.3f} {r.per_chunk_us:>9}  <= {r.goal:.2f} {verdict:<4}  {r.added_calls}"
        )


if __name__ == "__main__":
    main()
