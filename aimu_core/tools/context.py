"""``ToolContext``: what a tool gets from the run besides the model's arguments.

A tool that declares a parameter annotated ``ToolContext`` (or
``ToolContext[MyDeps]``) gets one at each call: the ``deps`` the agent or
client was given (a database handle, a user id, an HTTP session...) and the
call's id and tool name. That parameter is never part of the tool's schema,
so the model neither sees it nor can forge it.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["ToolContext", "is_context_annotation"]

DepsT = TypeVar("DepsT")


@dataclass(frozen=True)
class ToolContext(Generic[DepsT]):
    """Injected into a tool's ``ToolContext`` parameter at each call.

    Attributes:
        deps: the ``deps=`` of the agent (or ``client.deps``); ``None`` when none was given.
        tool_name: the name the model called.
        call_id: the id of this tool call (unique within the conversation).
    """

    deps: DepsT
    tool_name: str = ""
    call_id: str = ""


def is_context_annotation(annotation: Any) -> bool:
    """``ToolContext`` or ``ToolContext[X]``: the parameter is injected, not described."""
    return annotation is ToolContext or typing.get_origin(annotation) is ToolContext
