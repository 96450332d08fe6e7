"""The embedding conformance kit: one test class every embedding provider must pass.

Subclass :class:`EmbeddingConformance` in your plugin's tests and say how to
reach your provider::

    from aimu_core.testing.embedding_conformance import EmbeddingConformance

    class TestMyEmbeddings(EmbeddingConformance):
        model = "myprov:my-embedder"
        empty_string = "vector"          # what your provider makes of ""

        @pytest.fixture
        def client_options(self, fake_api):
            return {"base_url": fake_api.url, "api_key": "test"}

        scripted = True                  # a network API's fake provokes the faults:
        @pytest.fixture
        def script(self, fake_api):
            return fake_api.script

Two ways to run it:

* **live** (a real model, in process or on a real server): the default.
  Every test but the fault matrix runs.
* **over the wire** (a network API): set ``scripted = True`` and make the
  ``script`` fixture return a callable taking a list of
  :class:`~aimu_core.testing.Turn`; the fake answers the next embedding
  requests with them. A ``Turn`` without ``fail`` is answered with vectors
  the fake computes from each input text (the same text, the same vector, so
  batching can be compared with one-by-one); ``Turn(fail=...)`` is rendered as
  that fault in the provider's wire format, as for chat.

What every provider is held to: one vector of ``dimensions`` floats per text,
in order; ``[]`` for no texts; the same vectors whatever the batch size (to
:attr:`EmbeddingConformance.tolerance`: padding a batch moves the last digits
of some models, and llama.cpp computes a text a little differently beside others); bad input refused with ``ConfigurationError`` before any
call; the sync and async clients agreeing; two threads sharing one client
getting what each would get alone; each fault of :data:`FAULTS` raising its
:mod:`aimu_core.errors` type with the API key shown nowhere.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Callable, Collection
from typing import Any, ClassVar, Literal

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
)

from .conformance import (
    FAULT_API_KEY,
    FAULT_TIMEOUT,
    FAULTS,
    ProviderConformance,
    assert_fault_type,
    assert_key_hidden,
)
from .scripted import FAILURES, RETRY_AFTER, STATUS, Turn

__all__ = ["EMBEDDING_TEXTS", "EmbeddingConformance"]

#: Texts the kit embeds: different lengths, so a batch is padded.
EMBEDDING_TEXTS = (
    "The cat sat on the mat.",
    "A dog is running through the park with a red ball in its mouth.",
    "Quarterly revenue grew by twelve percent.",
    "Paris is the capital of France.",
    "short",
)

Script = Callable[[list[Turn]], None] | None

_SPECIFIC: tuple[type[AimuError], ...] = (
    AuthenticationError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderConnectionError,
    RateLimitError,
    RequestTimeoutError,
)


def _close(a: list[float], b: list[float], tolerance: float) -> bool:
    """*a* is *b* up to a relative difference ``|a - b| / |b|`` of *tolerance*."""
    scale = math.sqrt(sum(y * y for y in b)) or 1.0
    return len(a) == len(b) and math.dist(a, b) <= tolerance * scale


class EmbeddingConformance:
    """Subclass me; set ``model`` and override the fixtures your provider needs."""

    #: The model string under test (or override the ``model_string`` fixture).
    model: ClassVar[str] = ""
    #: What the provider makes of ``""``: ``"vector"`` (a vector like any other) or
    #: ``"error"`` (``ConfigurationError``). Say the same in your provider's docs.
    empty_string: ClassVar[Literal["vector", "error"]] = "vector"
    #: Largest relative difference (``|a - b| / |b|``) allowed between a text's vector in a
    #: batch and alone, or from the sync and the async client.
    tolerance: ClassVar[float] = 1e-4
    #: ``True`` when the ``script`` fixture drives a fake API: the fault matrix runs.
    scripted: ClassVar[bool] = False
    #: The faults of :data:`FAULTS` the provider's fake renders for embedding
    #: requests; ``None``: all of them. Only run when :attr:`scripted`.
    faults: ClassVar[Collection[str] | None] = None
    #: The client option taking an API key (the fault matrix passes :data:`FAULT_API_KEY`).
    api_key_option: ClassVar[str] = "api_key"
    #: The client option taking a timeout in seconds (the ``timeout`` fault sets it).
    timeout_option: ClassVar[str] = "timeout"
    #: The ``retry-after`` seconds the fake's ``rate_limit`` reply sends.
    retry_after: ClassVar[float | None] = RETRY_AFTER

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Live, no fault can be provoked: the matrix is not collected at all.
        cls.test_fault = EmbeddingConformance._test_fault if cls.scripted else None

    @pytest.fixture
    def client_options(self) -> dict[str, Any]:
        """Options for the provider's embedding client (``base_url``, ``api_key``, ...)."""
        return {}

    @pytest.fixture
    def script(self) -> Script:
        """A callable scripting the next embedding replies (when :attr:`scripted`)."""
        return None

    @pytest.fixture
    def model_string(self) -> str:
        """The model string under test; override it when only known at run time."""
        return self.model

    @pytest.fixture
    def make_client(self, model_string: str, client_options: dict[str, Any]) -> Callable[..., Any]:
        def make(**extra: Any) -> Any:
            return aimu_core.embedding_client(model_string, **{**client_options, **extra})

        return make

    @pytest.fixture
    def make_async_client(
        self, model_string: str, client_options: dict[str, Any]
    ) -> Callable[..., Any]:
        from aimu_core import aio

        def make(**extra: Any) -> Any:
            return aio.embedding_client(model_string, **{**client_options, **extra})

        return make

    # -- shapes ------------------------------------------------------------------------

    def test_one_vector_of_floats_per_text(self, make_client: Any) -> None:
        with make_client() as client:
            vectors = client.embed(list(EMBEDDING_TEXTS))
            assert isinstance(client.dimensions, int) and client.dimensions > 0
            assert len(vectors) == len(EMBEDDING_TEXTS)
            for vector in vectors:
                assert isinstance(vector, list) and len(vector) == client.dimensions
                assert all(type(x) is float and math.isfinite(x) for x in vector)
            assert vectors[0] != vectors[1], "two different texts got one vector"

    def test_dimensions_agree_with_the_vectors(self, make_client: Any) -> None:
        with make_client() as fresh:
            dimensions = fresh.dimensions
        with make_client() as client:
            assert len(client.embed(["one text"])[0]) == dimensions == client.dimensions

    def test_model_string_names_the_provider_and_model(
        self, make_client: Any, model_string: str
    ) -> None:
        with make_client() as client:
            prefix, _, rest = model_string.partition(":")
            assert client.model_string.startswith(f"{prefix}:")
            assert rest.split("@")[0] in client.model_string

    # -- batching ----------------------------------------------------------------------

    def test_batching_gives_the_vectors_of_one_by_one(self, make_client: Any) -> None:
        texts = list(EMBEDDING_TEXTS)
        with make_client() as client:
            alone = [client.embed([text])[0] for text in texts]
            for batch_size in (2, len(texts)):
                batched = client.embed(texts, batch_size=batch_size)
                assert len(batched) == len(texts)
                for index, (a, b) in enumerate(zip(batched, alone, strict=True)):
                    assert _close(a, b, self.tolerance), (
                        f"text {index} differs in batches of {batch_size} and alone"
                    )

    def test_a_client_batch_size_option_cuts_batches_the_same(self, make_client: Any) -> None:
        texts = list(EMBEDDING_TEXTS)
        with make_client() as whole, make_client(batch_size=1) as single:
            assert single.batch_size == 1
            for a, b in zip(whole.embed(texts), single.embed(texts), strict=True):
                assert _close(a, b, self.tolerance)

    # -- bad input ---------------------------------------------------------------------

    def test_no_texts_is_no_vectors(self, make_client: Any) -> None:
        with make_client() as client:
            assert client.embed([]) == []
            assert client.embed(iter(())) == []
            assert client.embed(t for t in ("a", "b")) == client.embed(["a", "b"])

    def test_empty_string_is_as_the_provider_documents(self, make_client: Any) -> None:
        with make_client() as client:
            if self.empty_string == "vector":
                (vector,) = client.embed([""])
                assert len(vector) == client.dimensions
            else:
                with pytest.raises(ConfigurationError):
                    client.embed(["a", ""])

    @pytest.mark.parametrize(
        ("texts", "batch_size", "says"),
        [
            ("one string", None, "one string"),
            (["fine", 3], None, "item 1 is a int"),
            ([None], None, "item 0 is a NoneType"),
            ([b"bytes"], None, "item 0 is a bytes"),
            (42, None, "got int"),
            (["fine"], 0, "batch_size"),
            (["fine"], True, "batch_size"),
        ],
    )
    def test_bad_input_is_a_configuration_error(
        self, make_client: Any, texts: Any, batch_size: Any, says: str
    ) -> None:
        with make_client() as client, pytest.raises(ConfigurationError, match=says):
            client.embed(texts, batch_size=batch_size)

    def test_a_bad_batch_size_option_is_refused(self, make_client: Any) -> None:
        with pytest.raises(ConfigurationError, match="batch_size"):
            make_client(batch_size=-1)

    # -- sync, async, threads ----------------------------------------------------------

    def test_sync_and_async_agree(self, make_client: Any, make_async_client: Any) -> None:
        texts = list(EMBEDDING_TEXTS[:3])
        with make_client() as client:
            expected = client.embed(texts)
            dimensions = client.dimensions

        async def run() -> tuple[list[list[float]], int, list[list[float]]]:
            async with make_async_client() as aclient:
                vectors = await aclient.embed(texts)
                empty = await aclient.embed([])
                return vectors, await aclient.dimensions(), empty

        vectors, async_dimensions, empty = asyncio.run(run())
        assert async_dimensions == dimensions and empty == []
        for a, b in zip(vectors, expected, strict=True):
            assert _close(a, b, self.tolerance)

    def test_async_bad_input_is_a_configuration_error(self, make_async_client: Any) -> None:
        async def run() -> None:
            async with make_async_client() as aclient:
                await aclient.embed("one string")

        with pytest.raises(ConfigurationError, match="one string"):
            asyncio.run(run())

    def test_two_threads_share_one_client(self, make_client: Any) -> None:
        texts = list(EMBEDDING_TEXTS)
        with make_client() as client:
            expected = [client.embed([text])[0] for text in texts]
            results: dict[int, list[list[float]]] = {}
            errors: list[BaseException] = []
            start = threading.Barrier(2)

            def work(n: int) -> None:
                try:
                    start.wait()
                    for _ in range(3):
                        results[n] = client.embed(texts if n else texts[::-1], batch_size=2)
                except BaseException as exc:  # reported below
                    errors.append(exc)

            threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert not errors, errors
            for n, order in ((1, expected), (0, expected[::-1])):
                for a, b in zip(results[n], order, strict=True):
                    assert _close(a, b, self.tolerance)

    # -- the fault matrix --------------------------------------------------------------

    # A loopback URL nothing listens on, and the client options pointing there.
    closed_url = ProviderConformance.closed_url
    unreachable = ProviderConformance.unreachable

    @pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
    @pytest.mark.parametrize("fault", FAULTS)
    def _test_fault(
        self,
        fault: str,
        asynchronous: bool,
        make_client: Any,
        make_async_client: Any,
        script: Script,
        unreachable: tuple[str, dict[str, Any]],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """One fault: its aimu error type (and status), the API key shown nowhere."""
        assert script is not None, f"{type(self).__name__}.scripted needs a script fixture"
        if self.faults is not None and fault not in self.faults:
            pytest.skip(f"{type(self).__name__}.faults leaves it out")
        caplog.set_level(logging.DEBUG)
        extra: dict[str, Any] = {}
        if self.api_key_option:
            extra[self.api_key_option] = FAULT_API_KEY
        if fault == "timeout":
            extra[self.timeout_option] = FAULT_TIMEOUT
        make = make_async_client if asynchronous else make_client
        if fault == "connection_refused":
            from aimu_core import aio

            model, options = unreachable
            factory = aio.embedding_client if asynchronous else aimu_core.embedding_client
            make = lambda **more: factory(model, **{**options, **more})  # noqa: E731
        else:
            script([Turn(fail=fault)])
        error = _provoke(make(**extra), asynchronous, fault)

        # An embedding reply is never streamed: a cut is a whole body cut half-way.
        cut = fault in ("connection_refused", "stream_cut")
        expected = ProviderConnectionError if cut else FAILURES[fault]
        assert_fault_type(error, expected, fault, _SPECIFIC)
        status = getattr(error, "status_code", None)
        if fault in STATUS and STATUS[fault] >= 500:
            assert status is not None and status >= 500, f"{fault}: {error}"
        elif fault in STATUS and fault != "context_length" and isinstance(error, ProviderError):
            assert status == STATUS[fault], f"{fault}: status {status}: {error}"
        if fault == "rate_limit":
            assert isinstance(error, RateLimitError)
            assert error.retry_after == self.retry_after, error
        if self.api_key_option:
            assert_key_hidden(error, caplog, fault)

    test_fault = _test_fault


def _provoke(client: Any, asynchronous: bool, fault: str) -> BaseException:
    """Embed with *client*, which must fail; return what it raised."""

    async def arun() -> None:
        async with client:
            await client.embed(["a text that fails"])

    try:
        if asynchronous:
            asyncio.run(arun())
        else:
            with client:
                client.embed(["a text that fails"])
    except Exception as exc:  # any type: the test reports a raw one by name
        return exc
    pytest.fail(f"{fault}: the call succeeded")
