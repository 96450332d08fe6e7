"""Tools models can call: ``@tool``, tools by name, and the dispatcher the tool loop uses.

``aimu_core.tools.get("calculator")`` returns a registered tool, ``select("files",
root=...)`` a group of them; names also go straight into ``client.tools``.
"""

from .context import ToolContext
from .decorator import tool, tool_spec, validate_arguments
from .lookup import available, get, select
from .toolbox import MCPToolSource, ToolApproval, Toolbox, ToolResult

__all__ = [
    "MCPToolSource",
    "ToolApproval",
    "ToolContext",
    "ToolResult",
    "Toolbox",
    "available",
    "get",
    "select",
    "tool",
    "tool_spec",
    "validate_arguments",
]
