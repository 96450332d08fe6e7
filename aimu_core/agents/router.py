"""``Router`` and ``AsyncRouter``: classify a task, then dispatch it to one handler.

:class:`RouterCore` holds the classifier, the handlers and the flow; the two
classes drive it (see :mod:`aimu_core.agents.workflow`). The classifier's
prompt and the route matching are in :mod:`aimu_core.agents.prompts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError, RoutingError
from ._clients import fork_client
from .prompts import CLASSIFY_PROMPT, fill, match_route, normalize_route, route_list
from .runner import check_name
from .workflow import AsyncWorkflow, Flow, Step, Workflow, WorkflowCore

__all__ = ["AsyncRouter", "Router", "RouterCore"]


class RouterCore(WorkflowCore):
    """Classify the task with one runner, then hand it to the handler the answer names.

    The classifier's reply is trimmed and lower-cased (wrapping quotes and a
    final period dropped) and must equal a handler key. No match: the
    ``fallback`` handles it, or :class:`~aimu_core.errors.RoutingError`.
    Images go to the handler, not the classifier.
    """

    def __init__(
        self,
        classifier: Any,
        handlers: Mapping[str, Any],
        *,
        fallback: Any = None,
        prompt: str | None = CLASSIFY_PROMPT,
        name: str = "router",
        description: str = "",
    ) -> None:
        self.name = check_name(name)
        self.description = description
        if not isinstance(handlers, Mapping) or not handlers:
            raise ConfigurationError(f"Router {name!r} needs a non-empty dict of handlers")
        normalized: dict[str, str] = {}
        for key in handlers:
            if not isinstance(key, str) or not normalize_route(key):
                raise ConfigurationError(
                    f"Router {name!r}: handler keys must be non-empty strings, got {key!r}"
                )
            norm = normalize_route(key)
            if norm in normalized:
                raise ConfigurationError(
                    f"Router {name!r}: handler keys {normalized[norm]!r} and {key!r} are the same "
                    "once lower-cased"
                )
            normalized[norm] = key
        self.classifier = self._member(classifier, f"{name}.classifier", "classifier")
        self.handlers = {
            key: self._member(h, f"{name}.{normalize_route(key)}", f"handler {key!r}")
            for key, h in handlers.items()
        }
        self.fallback = (
            None if fallback is None else self._member(fallback, f"{name}.fallback", "fallback")
        )
        self.prompt = prompt
        #: The handler key of the last run (``None``: the fallback handled it).
        self.last_route: str | None = None
        self.messages  # noqa: B018

    @classmethod
    def from_client(
        cls,
        client: Any,
        routes: Mapping[str, str | None],
        *,
        fallback: str | None = None,
        classifier_prompt: str | None = None,
        name: str = "router",
        description: str = "",
    ) -> Any:
        """A router whose classifier and handlers are copies of *client*.

        *routes* maps each key to its handler's system prompt; *fallback* is
        the fallback handler's system prompt (no fallback when ``None``).
        """
        if not isinstance(routes, Mapping) or not routes:
            raise ConfigurationError("Router.from_client needs a non-empty dict of routes")
        return cls(
            fork_client(client, classifier_prompt),
            {key: fork_client(client, prompt) for key, prompt in routes.items()},
            fallback=None if fallback is None else fork_client(client, fallback),
            name=name,
            description=description,
        )

    def _members(self) -> list[Any]:
        members = [self.classifier, *self.handlers.values()]
        return members + ([self.fallback] if self.fallback is not None else [])

    def _question(self, task: str) -> str:
        if self.prompt is None:
            return task
        routes = {key: getattr(h, "description", "") for key, h in self.handlers.items()}
        return fill(self.prompt, task=task, routes=route_list(routes))

    def _flow(self, task: str, images: list[Any] | None) -> Flow:
        answer = yield Step(self.classifier, self._question(task), None, 0)
        route = match_route(answer, self.handlers)
        self.last_route = route
        if route is not None:
            handler = self.handlers[route]
        elif self.fallback is not None:
            handler = self.fallback
        else:
            raise RoutingError(
                f"Router {self.name!r}: the classifier answered {answer.strip()[:200]!r}, which "
                f"names none of the routes {sorted(self.handlers)}; add a fallback= handler or "
                "make the classifier answer with a route name"
            )
        return (yield Step(handler, task, images, 1))


class Router(RouterCore, Workflow):
    """Classify, then dispatch to one handler.

    ``Router(classifier, {"billing": handler, ...}, fallback=None)`` or
    ``Router.from_client(client, {"billing": system_prompt, ...})``. The
    classifier's answer (trimmed, lower-cased) must name a handler key;
    otherwise the fallback runs, or :class:`~aimu_core.errors.RoutingError`
    is raised. ``last_route`` says which route the last run took. Streamed
    chunks: the classifier's with ``iteration`` 0, the handler's with 1.
    """


class AsyncRouter(RouterCore, AsyncWorkflow):
    """Async twin of :class:`Router` (``aimu_core.aio.Router``)."""
