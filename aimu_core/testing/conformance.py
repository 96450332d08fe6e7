"""The provider conformance kit: one test class every text provider must pass.

Subclass :class:`ProviderConformance` in your plugin's tests and say how to
reach your provider::

    from aimu_core.testing.conformance import ProviderConformance

    class TestMyProvider(ProviderConformance):
        model = "myprov:my-model"

        @pytest.fixture
        def client_options(self, fake_api):    # whatever your provider needs
            return {"base_url": fake_api.server.url, "api_key": "test"}

        @pytest.fixture
        def script(self, fake_api):            # optional, see below
            return fake_api.script

Three ways to run it:

* **scripted over the wire** (network APIs): the ``script`` fixture returns a
  callable taking a list of :class:`~aimu_core.testing.Turn`; a fake server
  (an :class:`~aimu_core.testing.LoopbackServer` with your handler) answers
  the next requests with those turns in your provider's wire format
  (``Turn.fail`` as the matching HTTP error or a cut stream).
* **scripted in-process** (a deterministic in-process provider): set
  :attr:`ProviderConformance.script_option` to the name of the client option
  through which your client takes a :class:`~aimu_core.testing.Script`; the
  kit passes one to every client it builds and scripts it, and the client
  plays it (``script.play(messages, tools, generate_kwargs, stream)`` yields
  the next turn's deltas) instead of computing its own answer.
* **live** (a real model, or an in-process provider's own logic): neither.
  Tests check the contract's shape rather than exact text; the failure test
  overflows the context window instead of scripting an error.

Scripted either way, every test checks exact text, thinking, tool calls and
error translation, and a capability-gated test (thinking, vision, tools) is
skipped only when the model does not declare the capability. Live, the two
tool tests and the stream-cut test are skipped as well: a live model's tool
use is not deterministic, and only a script can cut a stream. The async
client is held to the same contract. ``docs/how-to/test-a-plugin.md`` shows
each way.

The **fault matrix** (:meth:`ProviderConformance.test_fault`) provokes every
fault of :data:`FAULTS` sync and async, streamed and not, and checks that each
raises its :mod:`aimu_core.errors` type, leaves ``messages`` as it was, and shows
the API key (:data:`FAULT_API_KEY`) in no message, traceback or log record. Over
the wire it runs the faults in :attr:`ProviderConformance.faults` (default: all;
a fault left out is skipped, naming the attribute); in-process, the faults a
``Script`` can raise (not :data:`~aimu_core.testing.HTTP_ONLY`, nor a refused
connection); live, none: only a script provokes a fault.
:meth:`ProviderConformance.fault_matrix` says, for each fault, why it does not run.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import logging
import socket
import traceback
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

import aimu_core
from aimu_core.errors import (
    AimuError,
    AuthenticationError,
    ConfigurationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    StreamInterruptedError,
)
from aimu_core.models import Phase, StreamChunk
from aimu_core.tools import tool

from . import scripted
from .scripted import FAILURES, HTTP_ONLY, RETRY_AFTER, STATUS, Turn

__all__ = [
    "FAULTS",
    "FAULT_API_KEY",
    "FAULT_TIMEOUT",
    "TINY_PNG",
    "ProviderConformance",
    "assert_fault_type",
    "assert_key_hidden",
]

#: A 1x1 PNG for vision tests.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

Script = Callable[[list[Turn]], None] | None

#: The fault matrix: every ``Turn.fail`` kind, plus a refused connection (a closed
#: loopback port, which no fake can script).
FAULTS: tuple[str, ...] = (*FAILURES, "connection_refused")
#: The API key the fault matrix gives a network client; it must never show.
FAULT_API_KEY = "sk-aimu-fault-matrix-7f3a9c2e51d04b68"
#: The client timeout (seconds) of the ``timeout`` fault; the fake answers far later.
FAULT_TIMEOUT = 0.25
#: Aimu error types that each mean one thing: a fault must not raise one that is not its own.
_SPECIFIC: tuple[type[AimuError], ...] = (
    AuthenticationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderConnectionError,
    RateLimitError,
    RequestTimeoutError,
    StreamInterruptedError,
)


def assert_fault_type(
    error: BaseException,
    expected: type[AimuError],
    label: str,
    specific: tuple[type[AimuError], ...] = _SPECIFIC,
) -> None:
    """*error*, raised by fault *label*, is an aimu error of the *expected* type and of no
    other *specific* type (a rate limit must not also claim to be an authentication error)."""
    assert isinstance(error, AimuError), (
        f"{label} raised {type(error).__name__}, not an aimu_core.errors type: {error}"
    )
    wrong = [t.__name__ for t in specific if isinstance(error, t) and not issubclass(expected, t)]
    assert isinstance(error, expected) and not wrong, (
        f"{label} raised {type(error).__name__}, expected {expected.__name__}: {error}"
    )


_UNSCRIPTED_TOOLS = (
    "a live model's tool use is not deterministic: script the provider (the script fixture, "
    "or script_option for an in-process provider)"
)


@tool
def secret_number(name: str) -> int:
    """Look up the secret number stored under a name.

    Args:
        name: the name to look up.
    """
    return {"alpha": 42}.get(name, 0)


def _assert_openai_format(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        assert message["role"] in {"system", "user", "assistant", "tool"}, message
        content = message.get("content")
        assert isinstance(content, (str, list)), message
        if isinstance(content, list):
            for part in content:
                assert part["type"] in {"text", "image_url"}, part


class ProviderConformance:
    """Subclass me; set ``model`` and override the fixtures your provider needs."""

    #: The model string under test (or override the ``model_string`` fixture).
    model: ClassVar[str] = ""
    #: Generation kwargs for every call; keep replies short on live models.
    generate_kwargs: ClassVar[dict[str, Any]] = {"max_tokens": 16}
    #: For a deterministic in-process provider: the client option (e.g. ``"script"``)
    #: that takes a :class:`~aimu_core.testing.Script`. When set, every client the
    #: kit builds gets this test's ``in_process_script`` under that name, the
    #: default ``script`` fixture scripts it, and every test runs scripted (tool
    #: round trip and stream cut included). Empty: the provider is scripted over
    #: the wire through the ``script`` fixture, or runs live.
    script_option: ClassVar[str] = ""
    #: The faults of :data:`FAULTS` this provider's fake can render; the fault matrix
    #: skips the others, naming this attribute. ``None``: every one over the wire; in
    #: process, those a ``Script`` raises (see :meth:`fault_matrix`).
    faults: ClassVar[Collection[str] | None] = None
    #: The client option taking an API key: the fault matrix passes :data:`FAULT_API_KEY`
    #: through it to a network client. Empty: the client takes no key.
    api_key_option: ClassVar[str] = "api_key"
    #: The client option taking a timeout in seconds (the ``timeout`` fault sets it).
    timeout_option: ClassVar[str] = "timeout"
    #: The seconds the fake's ``rate_limit`` reply asks to wait (its ``retry-after``);
    #: ``RateLimitError.retry_after`` must say the same.
    retry_after: ClassVar[float | None] = RETRY_AFTER

    @pytest.fixture
    def client_options(self) -> dict[str, Any]:
        """Options for the provider's client (``base_url``, ``api_key``, ...)."""
        return {}

    @pytest.fixture
    def in_process_script(self) -> scripted.Script:
        """The turns this test scripts, handed to clients under :attr:`script_option`."""
        return scripted.Script([])

    @pytest.fixture
    def script(self, in_process_script: scripted.Script) -> Script:
        """Return a callable that scripts the next model turns, or ``None`` for a live model.

        The default scripts :attr:`script_option`'s ``Script`` when that is set."""
        if not self.script_option:
            return None
        return lambda turns: in_process_script.add(*turns)

    @pytest.fixture
    def model_string(self) -> str:
        """The model string under test; override it when it is only known at run time
        (a server's random port, a file path)."""
        return self.model

    def _options(self, client_options: dict[str, Any], script: scripted.Script) -> dict[str, Any]:
        """``client_options``, plus the in-process script under :attr:`script_option`."""
        if not self.script_option:
            return client_options
        return {self.script_option: script, **client_options}

    @pytest.fixture
    def make_client(
        self,
        model_string: str,
        client_options: dict[str, Any],
        in_process_script: scripted.Script,
    ) -> Callable[..., Any]:
        options = self._options(client_options, in_process_script)

        def make(**extra: Any) -> Any:
            return aimu_core.client(model_string, **{**options, **extra})

        return make

    @pytest.fixture
    def make_async_client(
        self,
        model_string: str,
        client_options: dict[str, Any],
        in_process_script: scripted.Script,
    ) -> Callable[..., Any]:
        from aimu_core import aio

        options = self._options(client_options, in_process_script)

        def make(**extra: Any) -> Any:
            return aio.client(model_string, **{**options, **extra})

        return make

    # -- helpers ---------------------------------------------------------------------

    def _chat(self, client: Any, text: str, **kwargs: Any) -> Any:
        return client.chat(text, generate_kwargs=self.generate_kwargs, **kwargs)

    # -- plain chat and generate -------------------------------------------------------

    def test_chat_returns_text_and_grows_history(self, make_client: Any, script: Script) -> None:
        if script:
            script([Turn("Hello from the model.")])
        client = make_client(system_message="You are terse.")
        answer = self._chat(client, "Say hello.")
        assert isinstance(answer, str)
        if script:
            assert answer == "Hello from the model."
        assert [m["role"] for m in client.messages] == ["system", "user", "assistant"]
        assert client.messages[0]["content"] == "You are terse."
        assert client.messages[1]["content"] == "Say hello."
        assert client.messages[2]["content"] == answer
        _assert_openai_format(client.messages)

    def test_generate_is_stateless(self, make_client: Any, script: Script) -> None:
        if script:
            script([Turn("a completion")])
        client = make_client()
        text = client.generate("Once upon a time", generate_kwargs=self.generate_kwargs)
        assert isinstance(text, str)
        if script:
            assert text == "a completion"
        assert client.messages == []

    def test_stream_yields_stream_chunks(self, make_client: Any, script: Script) -> None:
        if script:
            script([Turn("one two three four five")])
        client = make_client()
        chunks = list(self._chat(client, "Count to five.", stream=True))
        assert chunks and all(isinstance(c, StreamChunk) for c in chunks)
        assert all(isinstance(c.phase, Phase) for c in chunks)
        assert chunks[-1].phase is Phase.DONE
        assert [c for c in chunks if c.phase is Phase.DONE] == chunks[-1:]
        streamed = "".join(c.content for c in chunks if c.phase is Phase.GENERATING)
        assert streamed == chunks[-1].content["text"] == client.messages[-1]["content"]
        if script:
            assert streamed == "one two three four five"
            assert len([c for c in chunks if c.phase is Phase.GENERATING]) > 1

    def test_include_filters_phases(self, make_client: Any, script: Script) -> None:
        if script:
            script([Turn("filtered text")])
        client = make_client()
        chunks = list(self._chat(client, "Hi", stream=True, include=["generating"]))
        assert {c.phase for c in chunks} <= {Phase.GENERATING}
        with pytest.raises(ConfigurationError, match="unknown phase"):
            self._chat(client, "Hi", stream=True, include=["bogus"])
        assert len(client.messages) == 2  # the rejected call added nothing

    def test_bad_generate_kwarg_is_rejected(self, make_client: Any) -> None:
        client = make_client()
        with pytest.raises(ConfigurationError, match="not_a_kwarg"):
            client.chat("Hi", generate_kwargs={"not_a_kwarg": 1})
        assert client.messages == []

    # -- history integrity ---------------------------------------------------------------

    def test_failed_call_leaves_history_unchanged(self, make_client: Any, script: Script) -> None:
        if script:
            script([Turn("first answer"), Turn(fail="server_error")])
        client = make_client(system_message="sys")
        self._chat(client, "first")
        before = [dict(m) for m in client.messages]
        if script:
            with pytest.raises(ProviderError):
                self._chat(client, "second")
        else:
            with pytest.raises((ContextLengthError, ProviderError)):
                self._chat(client, "word " * 200_000)
        assert client.messages == before

    def test_stream_cut_leaves_history_unchanged(self, make_client: Any, script: Script) -> None:
        if not script:
            pytest.skip(
                "only a script can cut a stream: script the provider (the script fixture, "
                "or script_option for an in-process provider)"
            )
        script([Turn("partial text that never", fail="stream_cut")])
        client = make_client()
        with pytest.raises(AimuError):
            list(self._chat(client, "go", stream=True))
        assert client.messages == []

    def test_reset_and_system_message(self, make_client: Any, script: Script) -> None:
        if script:
            script([Turn("a"), Turn("b")])
        client = make_client(system_message="first system")
        self._chat(client, "hello")
        client.system_message = "second system"
        assert client.messages[0] == {"role": "system", "content": "second system"}
        client.reset()
        assert client.messages == [{"role": "system", "content": "second system"}]
        client.reset(system_message="third")
        assert client.messages == [{"role": "system", "content": "third"}]
        client.reset(system_message=None)
        assert client.messages == [] and client.system_message is None
        self._chat(client, "again")
        assert [m["role"] for m in client.messages] == ["user", "assistant"]

    # -- capabilities ------------------------------------------------------------------

    def test_thinking(self, make_client: Any, script: Script) -> None:
        client = make_client()
        if not client.model.supports_thinking:
            pytest.skip(f"{client.model.value} is not a thinking model")
        if script:
            script([Turn("The answer is 4.", thinking="2 plus 2 is 4")])
        chunks = list(self._chat(client, "What is 2+2?", stream=True))
        thinking = "".join(c.content for c in chunks if c.phase is Phase.THINKING)
        answer = client.messages[-1]["content"]
        assert client.last_thinking == thinking
        assert "<think>" not in answer and "</think>" not in answer
        if script:
            assert thinking == "2 plus 2 is 4"
            assert answer == "The answer is 4."
            assert client.messages[-1]["thinking"] == "2 plus 2 is 4"
            # reasoning is kept for the user but never sent back to the model
            script([Turn("ok")])
            self._chat(client, "next")
            assert client.messages[1]["thinking"] == "2 plus 2 is 4"

    def test_images(self, make_client: Any, script: Script) -> None:
        client = make_client()
        if not client.model.supports_vision:
            with pytest.raises(ConfigurationError, match="images"):
                client.chat("What is this?", images=[TINY_PNG])
            assert client.messages == []
            return
        if script:
            script([Turn("A single pixel.")])
        answer = self._chat(client, "What is this?", images=[TINY_PNG])
        assert isinstance(answer, str)
        parts = client.messages[0]["content"]
        assert parts[0] == {"type": "text", "text": "What is this?"}
        assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")

    def test_tool_round_trip(self, make_client: Any, script: Script) -> None:
        client = make_client()
        if not client.model.supports_tools:
            pytest.skip(f"{client.model.value} does not support tools")
        if not script:
            pytest.skip(_UNSCRIPTED_TOOLS)
        script([Turn(tool_calls=[("secret_number", {"name": "alpha"})]), Turn("It is 42.")])
        client.tools = [secret_number]
        chunks = list(self._chat(client, "What is alpha's secret number?", stream=True))
        calls = [c.content for c in chunks if c.phase is Phase.TOOL_CALLING]
        assert calls == [
            {"name": "secret_number", "arguments": {"name": "alpha"}, "response": "42"}
        ]
        roles = [m["role"] for m in client.messages]
        assert roles == ["user", "assistant", "tool", "assistant"]
        call = client.messages[1]["tool_calls"][0]
        assert call["function"]["name"] == "secret_number"
        assert client.messages[2]["tool_call_id"] == call["id"]
        assert client.messages[2]["content"] == "42"
        assert client.messages[3]["content"] == "It is 42."
        _assert_openai_format(client.messages)

    def test_tool_calls_kept_but_not_run_without_use_tools(
        self, make_client: Any, script: Script
    ) -> None:
        client = make_client()
        if not client.model.supports_tools:
            pytest.skip(f"{client.model.value} does not support tools")
        if not script:
            pytest.skip(_UNSCRIPTED_TOOLS)
        script([Turn(tool_calls=[("secret_number", {"name": "alpha"})])])
        client.tools = [secret_number]
        self._chat(client, "alpha?", use_tools=False)
        assert [m["role"] for m in client.messages] == ["user", "assistant"]
        assert client.messages[1]["tool_calls"][0]["function"]["name"] == "secret_number"

    # -- async parity -----------------------------------------------------------------

    def test_async_parity(self, make_async_client: Any, script: Script) -> None:
        async def run() -> None:
            if script:
                script([Turn("async answer"), Turn("streamed async answer")])
            client = make_async_client(system_message="sys")
            answer = await client.chat("Hi", generate_kwargs=self.generate_kwargs)
            assert isinstance(answer, str)
            if script:
                assert answer == "async answer"
            stream = await client.chat("More", generate_kwargs=self.generate_kwargs, stream=True)
            chunks = [c async for c in stream]
            assert chunks[-1].phase is Phase.DONE
            text = "".join(c.content for c in chunks if c.phase is Phase.GENERATING)
            assert text == client.messages[-1]["content"]
            if script:
                assert text == "streamed async answer"
            assert [m["role"] for m in client.messages] == [
                "system",
                "user",
                "assistant",
                "user",
                "assistant",
            ]

        asyncio.run(run())

    def test_async_client_across_event_loops_leaves_nothing_behind(
        self, make_async_client: Any, script: Script, caplog: pytest.LogCaptureFixture
    ) -> None:
        # One async client used from several asyncio.run calls: each loop's SDK
        # connections must end with that loop, with no "Task exception was never
        # retrieved ... Event loop is closed" and no unclosed-socket warning.
        if script:
            script([Turn("one"), Turn("two"), Turn("three")])
        client = make_async_client()
        for word in ("a", "b", "c"):
            asyncio.run(client.chat(word, generate_kwargs=self.generate_kwargs))
        gc.collect()
        assert [m["role"] for m in client.messages] == ["user", "assistant"] * 3
        if script:
            assert [m["content"] for m in client.messages[1::2]] == ["one", "two", "three"]
        loop_errors = [r for r in caplog.records if r.name == "asyncio" and r.levelno >= 40]
        assert not loop_errors, [r.getMessage() for r in loop_errors]

    # -- the fault matrix ------------------------------------------------------------------

    @classmethod
    def fault_matrix(cls) -> dict[str, str | None]:
        """Each fault of :data:`FAULTS` -> ``None`` when this class runs it, else why not.

        Over the wire (the class scripts its fake through its own ``script`` fixture)
        it runs :attr:`faults`. In process (:attr:`script_option`) nothing goes over
        HTTP, so a refused connection and :data:`~aimu_core.testing.HTTP_ONLY` cannot
        happen. Live (neither) no fault can be provoked.
        """
        declared = FAULTS if cls.faults is None else tuple(cls.faults)
        unknown = sorted(set(declared) - set(FAULTS))
        if unknown:
            raise ValueError(f"{cls.__name__}.faults names unknown faults {unknown}: see FAULTS")
        if cls.script_option:
            http = HTTP_ONLY | {"connection_refused"}
            no_http = "in-process: no HTTP exchange, so nothing to time out, refuse or garble"
        elif cls._scripts_over_the_wire():
            http, no_http = frozenset(), ""
        else:
            return {fault: "live: only a script can provoke a fault" for fault in FAULTS}
        return {
            fault: no_http
            if fault in http
            else None
            if fault in declared
            else f"{cls.__name__}.faults leaves it out: the provider's fake cannot render it"
            for fault in FAULTS
        }

    @classmethod
    def _scripts_over_the_wire(cls) -> bool:
        """Whether a subclass gave its own ``script`` fixture (a fake's queue)."""
        owner = next(klass for klass in cls.__mro__ if "script" in vars(klass))
        return owner is not ProviderConformance

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Faults that cannot happen in process or live are not collected at all
        # (a skip would be noise in every in-process and live run); over the wire,
        # a fault the fake leaves out is collected as a skip that says so.
        runs = any(reason is None for reason in cls.fault_matrix().values())
        shown = runs or (cls._scripts_over_the_wire() and not cls.script_option)
        cls.test_fault = ProviderConformance._test_fault if shown else None  # type: ignore[assignment]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Parametrize :meth:`test_fault`: sync and async, streamed and not, per fault."""
        if "fault_case" not in metafunc.fixturenames:
            return
        wire = self._scripts_over_the_wire() and not self.script_option
        cases = []
        for fault, reason in self.fault_matrix().items():
            if reason is not None and not wire:
                continue
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            for asynchronous in (False, True):
                for stream in (False, True):
                    case = _FaultCase(fault, asynchronous, stream)
                    cases.append(pytest.param(case, id=case.id, marks=marks))
        metafunc.parametrize("fault_case", cases)

    @pytest.fixture
    def closed_url(self) -> str:
        """A loopback URL nobody listens on (a port bound, then closed)."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    @pytest.fixture
    def unreachable(
        self, model_string: str, client_options: dict[str, Any], closed_url: str
    ) -> tuple[str, dict[str, Any]]:
        """The model string and client options of a client pointed at ``closed_url``.

        The model string's ``@url`` is replaced when it has one, else ``base_url=``
        is set; override this when your client is told where to connect otherwise."""
        main, semicolon, flags = model_string.partition(";")
        ident, at, _ = main.partition("@")
        if at:
            return f"{ident}@{closed_url}{semicolon}{flags}", dict(client_options)
        return model_string, {**client_options, "base_url": closed_url}

    def _test_fault(
        self,
        fault_case: _FaultCase,
        make_client: Callable[..., Any],
        make_async_client: Callable[..., Any],
        in_process_script: scripted.Script,
        script: Script,
        unreachable: tuple[str, dict[str, Any]],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """One fault, sync or async, streamed or not: its aimu error, history kept, no key shown."""
        caplog.set_level(logging.DEBUG)
        fault, stream = fault_case.fault, fault_case.stream
        extra: dict[str, Any] = {}
        key = self.api_key_option and not self.script_option
        if key:
            extra[self.api_key_option] = FAULT_API_KEY
        if fault == "timeout":
            extra[self.timeout_option] = FAULT_TIMEOUT
        make: Callable[..., Any] = make_async_client if fault_case.asynchronous else make_client
        if fault == "connection_refused":
            from aimu_core import aio

            model, options = unreachable
            factory = aio.client if fault_case.asynchronous else aimu_core.client
            make = lambda **more: factory(model, **{**options, **more})  # noqa: E731
        # A good turn first, so the check is that rollback removes only the failed one;
        # not where the client cannot answer at all (a refused port, a tiny timeout).
        warm = fault not in ("connection_refused", "timeout")
        assert script is not None
        turns = [Turn("first answer")] if warm else []
        if fault != "connection_refused":
            turns.append(Turn("partial answer that never", fail=fault))
        script(turns)
        error = self._provoke(make(system_message="sys", **extra), warm, stream, fault_case)

        expected = _expected(fault, stream)
        assert_fault_type(error, expected, fault_case.id)
        status = getattr(error, "status_code", None)
        if fault not in STATUS:  # not an HTTP error status (a 500 from a broken fake is not it)
            assert status is None or status < 400, f"{fault_case.id}: status {status}: {error}"
        elif STATUS[fault] >= 500:
            assert status is not None and status >= 500, f"{fault_case.id}: {error}"
        elif fault != "context_length" and isinstance(error, ProviderError):
            assert status == STATUS[fault], f"{fault_case.id}: status {status}: {error}"
        if fault == "rate_limit":
            assert isinstance(error, RateLimitError)
            assert error.retry_after == self.retry_after, error
        if key:
            assert_key_hidden(error, caplog, fault_case.id)

    def _provoke(self, client: Any, warm: bool, stream: bool, case: _FaultCase) -> BaseException:
        """Make one good call when *warm*, then the failing one; return what it raised,
        after checking that ``messages`` is what it was before the failing call."""
        kwargs = {"generate_kwargs": self.generate_kwargs}

        def failing() -> BaseException:
            before = [dict(m) for m in client.messages]
            try:
                if stream:
                    list(client.chat("second", stream=True, **kwargs))
                else:
                    client.chat("second", **kwargs)
            except Exception as exc:  # any type: the test reports a raw one by name
                caught: BaseException = exc
            else:
                pytest.fail(f"{case.id}: the call succeeded")
            assert client.messages == before, f"{case.id} changed the history"
            return caught

        async def afailing() -> BaseException:
            before = [dict(m) for m in client.messages]
            try:
                if stream:
                    [c async for c in await client.chat("second", stream=True, **kwargs)]
                else:
                    await client.chat("second", **kwargs)
            except Exception as exc:
                caught: BaseException = exc
            else:
                pytest.fail(f"{case.id}: the call succeeded")
            assert client.messages == before, f"{case.id} changed the history"
            return caught

        if not case.asynchronous:
            if warm:
                client.chat("first", **kwargs)
            return failing()

        async def run() -> BaseException:
            if warm:
                await client.chat("first", **kwargs)
            return await afailing()

        return asyncio.run(run())

    test_fault = _test_fault


def assert_key_hidden(error: BaseException, caplog: pytest.LogCaptureFixture, label: str) -> None:
    """:data:`FAULT_API_KEY` shows in neither *error* (message, repr, traceback) nor the log."""
    shown = {
        "str": str(error),
        "repr": repr(error),
        "traceback": "".join(traceback.format_exception(error)),
        "logging": caplog.text + "\n".join(r.getMessage() for r in caplog.records),
    }
    leaks = [where for where, text in shown.items() if FAULT_API_KEY in text]
    assert not leaks, f"{label}: the API key shows in {leaks}"


@dataclass(frozen=True)
class _FaultCase:
    fault: str
    asynchronous: bool
    stream: bool

    @property
    def id(self) -> str:
        mode = "async" if self.asynchronous else "sync"
        return f"{mode}-{'stream' if self.stream else 'plain'}-{self.fault}"


def _expected(fault: str, stream: bool) -> type[AimuError]:
    """The aimu error a fault must raise."""
    if fault == "connection_refused" or (fault == "stream_cut" and not stream):
        return ProviderConnectionError  # a whole body cut half-way is a broken connection
    return FAILURES[fault]
