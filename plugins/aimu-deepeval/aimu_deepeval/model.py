"""``DeepEvalModel``: an aimu client as DeepEval's judge model.

DeepEval's metrics ask their judge for JSON shaped by a pydantic schema
(``generate(prompt, schema=...)``). The judge here writes text through the aimu
client; the JSON object in it is validated against the schema, and when it does
not fit, the raw text is returned so that DeepEval reports the bad reply in its
own words.

Each judge call is one question on a fresh conversation (a copy of the client
sharing its connection), never ``generate()``, which on local servers is a raw
completion without the chat template. The client may be sync or async
(``a_generate`` runs a sync client on a worker thread; ``generate`` runs an
async client on an event loop of its own), or a
model string: each thread then builds a client of its own from it, which is
what metrics measured from several threads at once need, and what can be sent
to other processes (the string, never a client or a secret).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

from deepeval.models import DeepEvalBaseLLM

from aimu_core.agents.recipe import ClientRecipe, worker_client
from aimu_core.prompts import model_id
from aimu_core.prompts.scorers import parse_json_object

__all__ = ["DeepEvalModel"]


class DeepEvalModel(DeepEvalBaseLLM):
    """Any aimu client (or model string) as the ``model=`` of a DeepEval metric.

    *generate_kwargs* go to every judge call (e.g. ``{"temperature": 0}``).
    """

    def __init__(
        self,
        client: Any,
        *,
        options: dict[str, Any] | None = None,
        generate_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.recipe = ClientRecipe(client, options or {}) if isinstance(client, str) else None
        self.generate_kwargs = dict(generate_kwargs or {})
        super().__init__(model=model_id(client))

    def load_model(self, *args: Any, **kwargs: Any) -> Any:
        return self.client

    def get_model_name(self, *args: Any, **kwargs: Any) -> str:
        return f"aimu {model_id(self.client)}"

    def __getstate__(self) -> dict[str, Any]:
        if self.recipe is None:
            from aimu_core.errors import ConfigurationError

            raise ConfigurationError(
                "a DeepEvalModel holding a client cannot be sent to another process; give it a "
                "model string (DeepEvalModel('provider:model'))"
            )
        state = dict(vars(self))
        state["model"] = self.client
        return state

    def _judge(self) -> Any:
        """A client with a fresh conversation: this thread's for a model string, else a copy."""
        return worker_client(self.recipe or self.client)

    def generate(self, prompt: Any, schema: Any = None, **_: Any) -> Any:
        judge = self._judge()
        if inspect.iscoroutinefunction(judge.chat):
            text = _run_coroutine(self._ask_async(judge, prompt))
        else:
            text = judge.chat(str(prompt), generate_kwargs=self._kwargs(), use_tools=False)
        return _fit(str(text), schema)

    async def a_generate(self, prompt: Any, schema: Any = None, **_: Any) -> Any:
        judge = self._judge()
        if inspect.iscoroutinefunction(judge.chat):
            text = await self._ask_async(judge, prompt)
        else:
            text = await asyncio.to_thread(
                judge.chat, str(prompt), generate_kwargs=self._kwargs(), use_tools=False
            )
        return _fit(str(text), schema)

    async def _ask_async(self, judge: Any, prompt: Any) -> str:
        return str(await judge.chat(str(prompt), generate_kwargs=self._kwargs(), use_tools=False))

    def _kwargs(self) -> dict[str, Any] | None:
        return self.generate_kwargs or None


def _fit(text: str, schema: Any) -> Any:
    """*text* as an instance of *schema* when its JSON object fits it, else *text* itself."""
    if schema is None:
        return text
    data = parse_json_object(text)
    if data is None:
        return text
    import pydantic

    try:
        return schema.model_validate(data)
    except pydantic.ValidationError:
        return text


def _run_coroutine(coroutine: Any) -> Any:
    """Run *coroutine* to its end from sync code, even inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="aimu-deepeval-judge")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]
