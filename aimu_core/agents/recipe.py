"""``ClientRecipe``: a client described by its model string and options, built where it runs.

Executors that run work in other processes or on other machines (aimu-ray's)
cannot ship a live client: it holds an SDK client, locks and secrets. They ship
a recipe instead and each worker builds its own client from it, reading its
secrets (``OPENAI_API_KEY`` ...) from its own environment. So a recipe refuses
to be pickled with anything that looks like a secret in it: an option named like
a key, token or password, or a ``user:password@`` in the model string's URL.
In one process a recipe may hold anything: nothing is pickled.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError

__all__ = ["ClientRecipe", "RecipeClient", "as_recipe", "ask", "worker_client"]

_SECRET_OPTION = re.compile(r"key|token|secret|password|auth|header|credential", re.IGNORECASE)
_USERINFO = re.compile(r"@[a-z][a-z0-9+.-]*://[^/@;]*@", re.IGNORECASE)

# One client per thread and recipe: building a client per row would cost more than the call.
_local = threading.local()


@dataclass(frozen=True)
class ClientRecipe:
    """How to build a client: ``aimu_core.client(model, **options)``.

    ``options`` are provider options without secrets (``timeout``,
    ``base_url`` ...): secrets come from the environment where the client is built.
    """

    model: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ConfigurationError(
                f"a client recipe needs a model string 'provider:model_id', got {self.model!r}"
            )
        object.__setattr__(self, "options", dict(self.options))

    def build(self, *, asynchronous: bool = False) -> Any:
        """A new client (``aimu_core.aio.client`` when *asynchronous*)."""
        if asynchronous:
            from .. import aio

            return aio.client(self.model, **self.options)
        import aimu_core

        return aimu_core.client(self.model, **self.options)

    def thread_client(self) -> Any:
        """This thread's client for the recipe, built on first use and kept.

        Used by one thread at a time, so callers may ``reset()`` it freely.
        """
        cache: dict[tuple[str, str], Any] | None = getattr(_local, "clients", None)
        if cache is None:
            cache = _local.clients = {}
        key = (self.model, repr(sorted(self.options.items())))
        client = cache.get(key)
        if client is None:
            client = cache[key] = self.build()
        return client

    def _check_shippable(self) -> None:
        secrets = sorted(k for k in self.options if _SECRET_OPTION.search(str(k)))
        if secrets:
            raise ConfigurationError(
                f"the client options {', '.join(secrets)} of {self.model!r} look like secrets, "
                "which are never sent to other processes; set them in the workers' environment "
                "(e.g. OPENAI_API_KEY) and leave them out of the options"
            )
        if _USERINFO.search(self.model):
            raise ConfigurationError(
                "the model string's URL holds a user:password, which is never sent to other "
                "processes; give the workers the credentials in their environment instead"
            )

    def __reduce__(self) -> tuple[Any, ...]:
        self._check_shippable()
        return (ClientRecipe, (self.model, dict(self.options)))

    def __repr__(self) -> str:
        shown = re.sub(r"(://)[^/@;]*@", r"\1***@", self.model)  # never a password in a repr
        return f"ClientRecipe({shown!r}, options={sorted(self.options)})"


def worker_client(model: ClientRecipe | Any) -> Any:
    """A client for one piece of work on this thread, with a fresh conversation.

    A recipe gives this thread's client for it, reset; a live client gives a
    copy of it sharing its connection (``fork_client``), keeping its system
    message, so threads never share one conversation.
    """
    if isinstance(model, ClientRecipe):
        client = model.thread_client()
        client.reset()
        return client
    from ._clients import fork_client

    return fork_client(model, getattr(model, "system_message", None))


def ask(
    model: ClientRecipe | Any, text: str, generate_kwargs: Mapping[str, Any] | None = None
) -> str:
    """One question on a fresh conversation (:func:`worker_client`): the answer, no tools.

    What judges and tuners use rather than ``generate()``, which on local servers is a
    raw completion without the model's chat template.
    """
    client = worker_client(model)
    return str(
        client.chat(text, generate_kwargs=dict(generate_kwargs or {}) or None, use_tools=False)
    )


def as_recipe(model: Any) -> ClientRecipe | None:
    """*model* as a recipe: a model string, ``(model string, options)``, or a recipe;
    ``None`` for anything else (a live client)."""
    if isinstance(model, ClientRecipe):
        return model
    if isinstance(model, str):
        return ClientRecipe(model)
    if (
        isinstance(model, tuple)
        and len(model) == 2
        and isinstance(model[0], str)
        and isinstance(model[1], Mapping)
    ):
        return ClientRecipe(model[0], model[1])
    return None


class RecipeClient:
    """A model client that is sent to other processes as its recipe, never as itself.

    ``RecipeClient("provider:model", timeout=30)`` builds the client here (so a
    bad model string fails now) and behaves as it: runners take it like any
    client. Pickled (by an executor such as aimu-ray's), it becomes its
    :class:`ClientRecipe` and its settings (system message, tools, default
    generation kwargs); the receiving process builds a client of its own, with
    secrets from its own environment. The conversation is not shipped.
    """

    def __init__(self, model: str | ClientRecipe, **options: Any) -> None:
        recipe = model if isinstance(model, ClientRecipe) else ClientRecipe(model, options)
        built = recipe.build()
        object.__setattr__(self, "recipe", recipe)
        # The provider client itself, as the ModelClient factory keeps it (fork_client reads it).
        object.__setattr__(self, "client", getattr(built, "client", built))

    def __getattr__(self, name: str) -> Any:
        return getattr(vars(self)["client"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(vars(self)["client"], name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        client = vars(self)["client"]
        if client.mcp_client is not None:
            raise ConfigurationError(
                "a client with an mcp_client cannot be sent to another process; connect the "
                "MCP server where the work runs"
            )
        settings = {
            "system_message": client.system_message,
            "tools": list(client.tools),
            "default_generate_kwargs": dict(client.default_generate_kwargs),
            "max_tool_rounds": client.max_tool_rounds,
        }
        return (_rebuild, (self.recipe, settings))

    def __repr__(self) -> str:
        return f"RecipeClient({self.recipe!r})"


def _rebuild(recipe: ClientRecipe, settings: Mapping[str, Any]) -> RecipeClient:
    client = RecipeClient(recipe)
    for name, value in settings.items():
        setattr(client, name, value)
    return client
