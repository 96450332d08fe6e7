"""``@tool``: describe a Python function to a model, and call it with validated arguments."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar, overload

from ..errors import ToolArgumentError, ToolSignatureError, quoted
from .context import is_context_annotation

__all__ = ["tool", "tool_spec", "validate_arguments"]

F = TypeVar("F", bound=Callable[..., Any])

_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters)\s*:\s*$", re.IGNORECASE)
_ARG_LINE = re.compile(r"^\s*(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")
_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Returns|Yields|Raises|Examples?|Notes?)\s*:\s*$",
    re.IGNORECASE,
)


@overload
def tool(func: F, /) -> F: ...
@overload
def tool(*, name: str | None = None, description: str | None = None) -> Callable[[F], F]: ...


def tool(
    func: F | None = None, /, *, name: str | None = None, description: str | None = None
) -> F | Callable[[F], F]:
    """Make a function callable by models.

    The OpenAI-format spec is built from the signature (types via pydantic) and
    the docstring (first paragraph as the description, a Google-style
    ``Args:`` section for parameter descriptions) and attached as
    ``func.__tool_spec__``. The function itself is returned unchanged.

    Raises:
        ToolSignatureError: the signature has ``*args``/``**kwargs``, an
            unannotated parameter, or a type with no JSON schema.
    """

    def decorate(fn: F) -> F:
        model = _arguments_model(fn)
        summary, arg_docs = _parse_docstring(fn)
        try:
            schema = model.model_json_schema()
        except Exception as exc:  # pydantic's schema errors have no common public base
            raise ToolSignatureError(
                f"@tool cannot describe {fn.__qualname__}: {exc}. Use JSON-friendly types "
                "(str, int, float, bool, list, dict, Literal, Enum, pydantic models)."
            ) from None
        schema.pop("title", None)
        for prop_name, prop in schema.get("properties", {}).items():
            prop.pop("title", None)
            if prop_name in arg_docs:
                prop.setdefault("description", arg_docs[prop_name])
        fn.__tool_spec__ = {  # type: ignore[attr-defined]
            "type": "function",
            "function": {
                "name": name or fn.__name__,
                "description": description or summary,
                "parameters": schema,
            },
        }
        fn.__tool_arguments__ = model  # type: ignore[attr-defined]
        fn.__tool_context__ = _context_parameter(fn)  # type: ignore[attr-defined]
        return fn

    return decorate(func) if func is not None else decorate


def tool_spec(func: Callable[..., Any]) -> dict[str, Any]:
    """The OpenAI-format spec of a function, decorating it with ``@tool`` if needed."""
    if not hasattr(func, "__tool_spec__"):
        tool(func)
    return func.__tool_spec__  # type: ignore[attr-defined]


def validate_arguments(func: Callable[..., Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """Validate and coerce a model's *arguments* for *func*; return the call's kwargs.

    Raises:
        ToolArgumentError: naming each bad or missing argument.
    """
    import pydantic

    tool_spec(func)
    model: type[pydantic.BaseModel] = func.__tool_arguments__  # type: ignore[attr-defined]
    if not isinstance(arguments, dict):
        raise ToolArgumentError(f"arguments must be a JSON object, got {quoted(arguments)}")
    try:
        parsed = model.model_validate(arguments)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()
        )
        raise ToolArgumentError(f"bad arguments for tool {func.__name__}: {problems}") from None
    return {
        info.alias or field: getattr(parsed, field) for field, info in model.model_fields.items()
    }


def _arguments_model(fn: Callable[..., Any]) -> Any:
    import pydantic

    fields: dict[str, Any] = {}
    try:
        signature = inspect.signature(fn)
        hints = inspect.get_annotations(fn, eval_str=True)
    except (TypeError, ValueError, NameError) as exc:
        raise ToolSignatureError(f"@tool cannot read the signature of {fn!r}: {exc}") from None
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ToolSignatureError(
                f"@tool cannot describe *args/**kwargs ({fn.__qualname__}, parameter "
                f"{param.name!r}); name each argument"
            )
        if is_context_annotation(hints.get(param.name)):
            continue  # injected at call time (ToolContext), never shown to the model
        if param.name not in hints:
            raise ToolSignatureError(
                f"@tool needs a type annotation on parameter {param.name!r} of {fn.__qualname__}"
            )
        default = ... if param.default is param.empty else param.default
        # Fields get neutral names and the parameter name as alias, so parameters
        # pydantic reserves or hides ("model_config", "copy", "_x") still work.
        fields[f"p{len(fields)}"] = (hints[param.name], pydantic.Field(default, alias=param.name))
    try:
        return pydantic.create_model(
            f"{fn.__name__}_arguments",
            __config__=pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=False),
            **fields,
        )
    except Exception as exc:
        raise ToolSignatureError(f"@tool cannot describe {fn.__qualname__}: {exc}") from None


def _context_parameter(fn: Callable[..., Any]) -> str | None:
    """The name of *fn*'s ``ToolContext`` parameter, if it has one."""
    hints = inspect.get_annotations(fn, eval_str=True)
    params = (name for name, hint in hints.items() if name != "return")
    return next((name for name in params if is_context_annotation(hints[name])), None)


def _parse_docstring(fn: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    doc = inspect.getdoc(fn) or ""
    lines = doc.splitlines()
    summary: list[str] = []
    for line in lines:  # the first paragraph, ending early at a section header
        if not line.strip() or _SECTION.match(line):
            break
        summary.append(line.strip())
    arg_docs: dict[str, str] = {}
    in_args = False
    current: str | None = None
    indent = 0
    for line in lines:
        if _ARGS_HEADER.match(line):
            in_args = True
            continue
        if not in_args:
            continue
        if line and not line[0].isspace():
            break  # the next section ("Returns:") starts at column 0
        depth = len(line) - len(line.lstrip())
        match = _ARG_LINE.match(line)
        if match and (current is None or depth <= indent):
            current, indent = match.group(1), depth
            arg_docs[current] = match.group(2).strip()
        elif current is not None and line.strip() and depth > indent:
            arg_docs[current] += " " + line.strip()  # a wrapped description
    return " ".join(summary), arg_docs
