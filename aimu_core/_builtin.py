"""Core's built-in plugin: core's own runners and tools, registered like anyone else's."""

from __future__ import annotations

from .hookspecs import hookimpl
from .records import ToolRecord

AIMU_PLUGIN_API = 1


@hookimpl
def aimu_tools() -> list[ToolRecord]:
    return [
        ToolRecord(
            name="current_time",
            tool="aimu_core.tools.builtin:current_time",
            description="The current date and time in a time zone",
        )
    ]
