"""What the runners need to know of the model clients they drive.

Telling a client from anything else, checking that it is of the runner's
surface (sync or async) before a run fails half-way, and forking a client so
that each member of a workflow has a conversation of its own.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterable
from typing import Any

from ..errors import ConfigurationError
from ..models.conversation import ChatState

__all__ = ["check_client", "fork_client", "fork_clients", "is_client"]


def is_client(obj: object) -> bool:
    """A model client (or anything with the client's ``chat`` and ``messages``)."""
    return callable(getattr(obj, "chat", None)) and hasattr(obj, "messages")


def check_client(client: Any, asynchronous: bool, owner: str) -> None:
    """Fail early, and say what to do, when a client of the wrong surface is given."""
    if not is_client(client):
        raise ConfigurationError(
            f"{owner} needs a model client (aimu_core.client(...)), got {type(client).__name__}"
        )
    if inspect.iscoroutinefunction(client.chat) != asynchronous:
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


def fork_clients(client: Any, system_prompts: Iterable[str | None]) -> list[Any]:
    """One :func:`fork_client` of *client* per system prompt."""
    return [fork_client(client, prompt) for prompt in system_prompts]
