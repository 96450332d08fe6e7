"""Tools models can call: the ``@tool`` decorator and the dispatcher the tool loop uses."""

from .decorator import tool, tool_spec, validate_arguments
from .toolbox import MCPToolSource, Toolbox, ToolResult

__all__ = ["MCPToolSource", "ToolResult", "Toolbox", "tool", "tool_spec", "validate_arguments"]
