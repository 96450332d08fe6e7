"""Structured output: ``schema=`` on ``chat()``, ``generate()`` and ``Agent.run()``.

The caller names what the answer must be, as a pydantic model (or any type
pydantic validates, ``list[int]``...) or as a JSON schema ``dict``; the call
returns the validated object (a model instance, or for a ``dict`` schema the
parsed JSON), also kept as ``client.last_structured`` and in the stream's
``done`` chunk (``content["structured"]``).

How the model is held to the schema is the provider's choice, through one hook,
``_native_schema(schema)`` on the client, returning a :class:`NativeSchema`:
request kwargs in the provider's own names (OpenAI ``response_format``,
Ollama ``format``, a llama.cpp ``grammar``), or an output tool the model is
forced to call (Anthropic), whose arguments are the answer. A provider with
no native way returns ``None`` and the schema is stated in the prompt instead
(prompt-and-parse). Either way the reply is parsed and validated here; an
invalid one gets one repair request, naming the problems, and a second
failure raises :class:`~aimu_core.errors.StructuredOutputError` carrying the
raw text (the conversation is then as it was before the call).

Everything here is I/O-free: the client bases drive it (see
``ToolLoop.repair`` and ``_generate_turn``), and a workflow's ``run(schema=...)``
(see :func:`aimu_core.agents.workflow.held_to`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError, StructuredOutputError, clipped

__all__ = ["NativeSchema", "OutputSchema", "StructuredTurn"]

_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)
_TOOL_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]+")
#: The property an output tool wraps a non-object schema in (tool arguments are objects).
_WRAP = "value"


@dataclass(frozen=True)
class NativeSchema:
    """How a provider enforces a schema itself (the return of ``_native_schema``).

    Attributes:
        kwargs: request kwargs in the provider's names, merged into every
            request of the call (``{"response_format": {...}}``).
        as_tool: offer :meth:`OutputSchema.tool_spec` as a tool; the model's
            call of it is the answer (forced through ``kwargs``, e.g. a ``tool_choice``).
    """

    kwargs: dict[str, Any] = field(default_factory=dict)
    as_tool: bool = False


class OutputSchema:
    """What ``schema=`` asked for: its JSON schema, its name, and its validator."""

    def __init__(self, schema: Any) -> None:
        self.source = schema
        if isinstance(schema, dict):
            if not schema:
                raise ConfigurationError("schema= must not be an empty dict")
            self.json_schema = schema
            self._adapter: Any = None
            title = schema.get("title")
        else:
            import pydantic

            try:
                self._adapter = pydantic.TypeAdapter(schema)
                self.json_schema = self._adapter.json_schema()
            except (pydantic.PydanticUserError, pydantic.PydanticSchemaGenerationError, TypeError):
                raise ConfigurationError(
                    f"schema={schema!r} is neither a JSON schema dict nor a type pydantic can "
                    "validate (a BaseModel subclass, a dataclass, list[int] ...)"
                ) from None
            title = getattr(schema, "__name__", None) or self.json_schema.get("title")
        self.name = (_TOOL_NAME_BAD.sub("_", str(title or "output")).strip("_") or "output")[:64]

    @property
    def is_object(self) -> bool:
        return self.json_schema.get("type") == "object" or "properties" in self.json_schema

    # -- what the model is told ------------------------------------------------------

    def instructions(self) -> str:
        """The prompt-and-parse request: the schema stated, JSON only."""
        return (
            "Answer with only a JSON value that matches this JSON schema, with no other "
            f"text:\n{json.dumps(self.json_schema)}"
        )

    def repair_message(self, problems: str) -> str:
        """The one follow-up request sent after an invalid reply."""
        return (
            f"That reply does not match the required JSON schema: {problems}. Answer again "
            f"with only the corrected JSON.\n{json.dumps(self.json_schema)}"
        )

    def tool_spec(self) -> dict[str, Any]:
        """The output tool: an OpenAI-format spec whose arguments are the answer."""
        parameters = (
            self.json_schema
            if self.is_object
            else {"type": "object", "properties": {_WRAP: self.json_schema}, "required": [_WRAP]}
        )
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": "Give the final answer in this form. Call this exactly once.",
                "parameters": parameters,
            },
        }

    def tool_answer(self, arguments: Any) -> str:
        """The output tool's *arguments* as the answer's JSON text."""
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except ValueError:
                return arguments  # parse() says what is wrong with it
        if not self.is_object and isinstance(arguments, dict) and _WRAP in arguments:
            arguments = arguments[_WRAP]
        return json.dumps(arguments)

    # -- reading the answer ----------------------------------------------------------

    def parse(self, text: str) -> Any:
        """The validated object in *text*; :class:`ValueError` naming the problems if none."""
        data = _json_in(text)
        if self._adapter is not None:
            import pydantic

            try:
                return self._adapter.validate_python(data)
            except pydantic.ValidationError as exc:
                raise ValueError(
                    "; ".join(
                        f"{'.'.join(map(str, e['loc'])) or 'the value'}: {e['msg']}"
                        for e in exc.errors()
                    )
                ) from None
        _validate_json(data, self.json_schema)
        return data


class StructuredTurn:
    """One call's structured output: what each request adds, and the check of the answer."""

    def __init__(self, schema: OutputSchema, native: NativeSchema | None) -> None:
        self.schema = schema
        self.native = native
        self.value: Any = None
        self.repaired = False

    @classmethod
    def start(cls, client: Any, schema: OutputSchema, *, tools: bool) -> StructuredTurn:
        """Ask the provider (``client._native_schema``); an output tool needs *tools*."""
        native = client._native_schema(schema)
        if native is not None and native.as_tool and not tools:
            native = None
        return cls(schema, native)

    def user_text(self, text: str) -> str:
        """The user turn: prompt-and-parse states the schema in it."""
        return text if self.native is not None else f"{text}\n\n{self.schema.instructions()}"

    def request_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**kwargs, **self.native.kwargs} if self.native is not None else kwargs

    def specs(self, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The tools offered: the output tool is always among them when it is the way."""
        if self.native is not None and self.native.as_tool:
            return [*specs, self.schema.tool_spec()]
        return specs

    def take(self, message: dict[str, Any]) -> None:
        """Turn a call of the output tool into the assistant message's answer text."""
        if self.native is None or not self.native.as_tool:
            return
        for call in message.get("tool_calls", ()):
            if call["function"]["name"] == self.schema.name:
                message["content"] = self.schema.tool_answer(call["function"].get("arguments"))
                del message["tool_calls"]  # the answer ends the turn; other calls are moot
                return

    def check(self, text: str) -> str | None:
        """``None`` when *text* is valid (kept in :attr:`value`); otherwise the problems,
        the first time; the second time :class:`StructuredOutputError`."""
        try:
            self.value = self.schema.parse(text)
            return None
        except ValueError as exc:
            problems = str(exc)
        if self.repaired:
            raise StructuredOutputError(
                f"The model's reply does not match schema {self.schema.name!r}, even after a "
                f"repair request: {clipped(problems, 300)}. The raw reply is in the error's "
                "`raw`; a larger model, a native provider, or a simpler schema may help.",
                raw=text,
                problems=problems,
            )
        self.repaired = True
        return problems


def _json_in(text: str) -> Any:
    """The JSON value in a reply: the whole text, a fenced block, or the outermost braces."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        return json.loads(stripped)
    except (ValueError, RecursionError):
        pass
    for opening, closing in ("{}", "[]"):
        start, end = stripped.find(opening), stripped.rfind(closing)
        if 0 <= start < end:
            try:
                return json.loads(stripped[start : end + 1])
            except (ValueError, RecursionError):
                continue
    if not stripped:
        raise ValueError("the reply is empty, not JSON")
    raise ValueError(f"the reply is not JSON: {clipped(stripped, 80)!r}")


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _validate_json(data: Any, schema: dict[str, Any]) -> None:
    """Check *data* against a ``dict`` schema: with ``jsonschema`` when it is installed,
    else the common keywords (type, properties, required, additionalProperties, items, enum)."""
    try:
        import jsonschema
    except ImportError:
        problems: list[str] = []
        _check(data, schema, "", problems)
        if problems:
            raise ValueError("; ".join(problems[:10])) from None
        return
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
    if errors:
        raise ValueError(
            "; ".join(
                f"{'.'.join(map(str, e.absolute_path)) or 'the value'}: {e.message}"
                for e in errors[:10]
            )
        )


def _check(data: Any, schema: dict[str, Any], path: str, problems: list[str]) -> None:
    where = path or "the value"
    kinds = schema.get("type")
    if kinds is not None:
        names = kinds if isinstance(kinds, list) else [kinds]
        allowed = tuple(t for name in names for t in _JSON_TYPES.get(name, (object,)))
        is_bool = isinstance(data, bool)
        if not isinstance(data, allowed) or (is_bool and "boolean" not in names):
            problems.append(f"{where}: expected {' or '.join(names)}, got {type(data).__name__}")
            return
    if "enum" in schema and data not in schema["enum"]:
        problems.append(f"{where}: must be one of {schema['enum']}")
    if isinstance(data, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in data:
                problems.append(f"{path + '.' if path else ''}{name}: missing")
        for name, value in data.items():
            sub = f"{path}.{name}" if path else name
            if name in properties:
                _check(value, properties[name], sub, problems)
            elif schema.get("additionalProperties") is False:
                problems.append(f"{sub}: not allowed")
    if isinstance(data, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(data):
            _check(item, schema["items"], f"{path}.{index}" if path else str(index), problems)
