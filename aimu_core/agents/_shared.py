"""I/O-free pieces shared by the sync runners and their ``aimu_core.aio`` twins.

Nothing here talks to a model: names, telling runners from clients, giving a
worker its own copy of a client, tagging stream chunks, merging and restoring
``messages``, and the :class:`Step` a workflow's flow yields. Keeping this in
one place is what makes the two surfaces behave the same.
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError
from ..models.conversation import ChatState
from ..models.stream import Phase, StreamChunk

__all__ = [
    "RoundCounter",
    "Step",
    "StepOutput",
    "check_client",
    "check_name",
    "client_is_async",
    "done_content",
    "fill",
    "fork_client",
    "is_client",
    "merge_messages",
    "restore_client",
    "runner_flavour",
    "tool_name",
    "validate_saved",
]

_TOOL_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]+")


def check_name(name: object, kind: str = "runner") -> str:
    """A runner's name keys its conversation in ``messages``: a non-empty string."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"a {kind} name must be a non-empty string, got {name!r}")
    return name


def tool_name(name: str) -> str:
    """*name* made acceptable as a tool name (``[A-Za-z0-9_-]{1,64}`` for most APIs)."""
    cleaned = _TOOL_NAME_BAD.sub("_", name).strip("_") or "runner"
    return cleaned[:64]


# -- runners and clients ------------------------------------------------------------


def runner_flavour(obj: object) -> bool | None:
    """``False`` for a sync runner, ``True`` for an async one, ``None`` for anything else."""
    flavour = getattr(type(obj), "_asynchronous", None)
    if isinstance(flavour, bool) and callable(getattr(obj, "run", None)):
        return flavour
    return None


def is_client(obj: object) -> bool:
    """A model client (or anything with the client's ``chat`` and ``messages``)."""
    return callable(getattr(obj, "chat", None)) and hasattr(obj, "messages")


def client_is_async(client: Any) -> bool:
    return inspect.iscoroutinefunction(client.chat)


def check_client(client: Any, asynchronous: bool, owner: str) -> None:
    """Fail early, and say what to do, when a client of the wrong surface is given."""
    if not is_client(client):
        raise ConfigurationError(
            f"{owner} needs a model client (aimu_core.client(...)), got {type(client).__name__}"
        )
    if client_is_async(client) != asynchronous:
        if asynchronous:
            raise ConfigurationError(
                f"{owner} is async and needs an async client: use aimu_core.aio.client(...), "
                "not aimu_core.client(...)"
            )
        raise ConfigurationError(
            f"{owner} is sync and needs a sync client: use aimu_core.client(...), "
            "not aimu_core.aio.client(...)"
        )


def _provider_client(client: Any) -> ChatState:
    """The provider client behind a ``ModelClient`` factory wrapper (or the client itself)."""
    if isinstance(client, ChatState):
        return client
    inner = vars(client).get("client") if hasattr(client, "__dict__") else None
    if isinstance(inner, ChatState):
        return inner
    raise ConfigurationError(
        f"cannot copy {type(client).__name__}: from_client() needs a client built by "
        "aimu_core.client(...) or aimu_core.aio.client(...); build the steps yourself instead"
    )


def fork_client(client: Any, system_message: str | None = None) -> Any:
    """A new client on the same model and connection, with a conversation of its own.

    The copy shares what is expensive or stateless (the SDK client, a loaded
    model, the provider options) and nothing of the conversation: its own
    ``messages``, ``tools`` list and kwargs. This is how ``from_client()``
    gives each step or worker independent state, so no ``messages`` list is
    ever shared between threads or tasks.
    """
    source = _provider_client(client)
    twin = copy.copy(source)
    twin._init_state(
        source.model,
        system_message,
        source.tools,
        source.mcp_client,
        source.default_generate_kwargs,
    )
    return twin


# -- streaming ----------------------------------------------------------------------


class RoundCounter:
    """Tags a client's chat stream with an agent's name and the tool round of each chunk.

    The base client's tool loop emits, per round, the model turn's chunks and
    then one ``tool_calling`` chunk per call it ran; the next round's first
    chunk is therefore the first chunk after a ``tool_calling`` one. Rounds
    count from 0; a ``tool_calling`` chunk carries the round that requested it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.round = 0
        self._after_tools = False

    def tag(self, chunk: StreamChunk) -> StreamChunk:
        if chunk.phase is Phase.TOOL_CALLING:
            self._after_tools = True
        elif self._after_tools:
            self.round += 1
            self._after_tools = False
        return chunk._replace(agent=self.name, iteration=self.round)


@dataclass
class Step:
    """One member run a workflow's flow asks for: ``runner.run(task, images=images)``.

    ``iteration`` is the workflow's own counter (step, round, worker index),
    set on every chunk that run streams.
    """

    runner: Any
    task: str
    images: list[Any] | None
    iteration: int


class StepOutput:
    """Collects one member's streamed run: the text it produced and its ``done`` content."""

    def __init__(self) -> None:
        self._text: list[str] = []
        self.done: dict[str, Any] | None = None

    def feed(self, chunk: StreamChunk, runner: Any, iteration: int) -> StreamChunk | None:
        """The chunk to pass on (re-tagged), or ``None`` for a member's ``done`` chunk."""
        if chunk.phase is Phase.DONE:
            self.done = chunk.content if isinstance(chunk.content, dict) else None
            return None
        if chunk.phase is Phase.GENERATING and isinstance(chunk.content, str):
            self._text.append(chunk.content)
        return chunk._replace(
            agent=chunk.agent or getattr(runner, "name", None), iteration=iteration
        )

    @property
    def text(self) -> str:
        if self.done is not None and isinstance(self.done.get("text"), str):
            return str(self.done["text"])
        return "".join(self._text)


def done_content(final: str, dones: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    """The content of a workflow's one ``done`` chunk: the member turn that gave *final*, if any."""
    for done in reversed(list(dones)):
        if done is not None and done.get("text") == final:
            return {**done, "text": final}
    return {"text": final, "thinking": "", "usage": None, "finish_reason": "stop"}


# -- messages: merge, save, restore ----------------------------------------------------


def merge_messages(
    owner: str, own: Iterable[tuple[str, Any]], members: Iterable[Any]
) -> dict[str, list[dict[str, Any]]]:
    """``{name: messages}`` over a runner's own clients and its members' ``messages``.

    The lists are the live conversations (copy them to save: ``json.dumps``).
    Two different conversations under one name would make ``restore`` ambiguous,
    so that is an error; the same runner used twice is fine.
    """
    merged: dict[str, list[dict[str, Any]]] = {}

    def put(key: str, conversation: list[dict[str, Any]]) -> None:
        if key in merged and merged[key] is not conversation:
            raise ConfigurationError(
                f"two runners inside {owner!r} are named {key!r}; give each a distinct name= "
                "(messages are saved and restored by name)"
            )
        merged[key] = conversation

    for key, client in own:
        put(key, client.messages)
    for member in members:
        for key, conversation in member.messages.items():
            put(key, conversation)
    return merged


def validate_saved(
    owner: str, saved: object, known: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """Check a saved ``messages`` dict against the names a runner has; return it as a dict."""
    if not isinstance(saved, Mapping):
        raise ConfigurationError(
            f"restore() takes the dict-by-name format of {owner!r}.messages, "
            f"got {type(saved).__name__}"
        )
    names = list(known)
    unknown = sorted(set(saved) - set(names))
    if unknown:
        raise ConfigurationError(
            f"restore() got conversations for {unknown}, which {owner!r} does not have; "
            f"its runners are {sorted(names)}"
        )
    for key, conversation in saved.items():
        if not isinstance(conversation, list) or not all(
            isinstance(m, Mapping) and isinstance(m.get("role"), str) for m in conversation
        ):
            raise ConfigurationError(
                f"restore(): the conversation {key!r} must be a list of OpenAI-format messages "
                "(dicts with a 'role')"
            )
    return dict(saved)


def restore_client(client: Any, conversation: list[dict[str, Any]]) -> None:
    """Put a saved conversation back into *client*, in place.

    The system message is configuration, not conversation: a saved leading
    system entry is dropped and the client's current system message kept (so
    a runner whose prompt changed in code uses the new prompt, and it is never
    duplicated).
    """
    messages = [copy.deepcopy(dict(m)) for m in conversation]
    while messages and messages[0].get("role") == "system":
        messages.pop(0)
    system = client.system_message
    client.messages[:] = messages
    client.system_message = system


def fill(template: str, **values: str) -> str:
    """``{name}`` placeholders replaced by *values*; other braces (JSON, code) are left alone."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template
