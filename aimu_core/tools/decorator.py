"""``@tool``: describe a Python function to a model, and call it with validated arguments."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar, overload

from ..errors import ToolArgumentError, ToolSignatureError

__all__ = ["tool", "tool_spec", "validate_arguments"]

F = TypeVar("F", bound=Callable[..., Any])

_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters)\s*:\s*$", re.IGNORECASE)
_ARG_LINE = re.compile(r"^\s*(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


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
        return fn

    return decorate(func) if func is not None else decorate


def tool_spec(func: Callable[..., Any]) -> dict[str, Any]:
    """The OpenAI-format spec of a function, decorating it with ``@tool`` if needed."""
    if not hasattr(func, "__tool_spec__"):
        tool(func)
    return func.__tool_spec__  # type: ignore[attr-defined, no-any-return]


def validate_arguments(func: Callable[..., Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """Validate and coerce a model's *arguments* for *func*; return the call's kwargs.

    Raises:
        ToolArgumentError: naming each bad or missing argument.
    """
    import pydantic

    tool_spec(func)
    model: type[pydantic.BaseModel] = func.__tool_arguments__  # type: ignore[attr-defined]
    if not isinstance(arguments, dict):
        raise ToolArgumentError(f"arguments must be a JSON object, got {arguments!r}")
    try:
        parsed = model.model_validate(arguments)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()
        )
        raise ToolArgumentError(f"bad arguments for tool {func.__name__}: {problems}") from None
    return {field: getattr(parsed, field) for field in model.model_fields}


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
        if param.name not in hints:
            raise ToolSignatureError(
                f"@tool needs a type annotation on parameter {param.name!r} of {fn.__qualname__}"
            )
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (hints[param.name], default)
    try:
        return pydantic.create_model(
            f"{fn.__name__}_arguments",
            __config__=pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=False),
            **fields,
        )
    except Exception as exc:
        raise ToolSignatureError(f"@tool cannot describe {fn.__qualname__}: {exc}") from None


def _parse_docstring(fn: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    doc = inspect.getdoc(fn) or ""
    summary = doc.split("\n\n", 1)[0].strip().replace("\n", " ")
    arg_docs: dict[str, str] = {}
    in_args = False
    for line in doc.splitlines():
        if _ARGS_HEADER.match(line):
            in_args = True
            continue
        if in_args:
            if line and not line[0].isspace():
                break  # the next section ("Returns:") starts at column 0
            match = _ARG_LINE.match(line)
            if match:
                arg_docs[match.group(1)] = match.group(2).strip()
    return summary, arg_docs
