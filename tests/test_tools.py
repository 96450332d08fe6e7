"""``@tool`` specs and argument validation, and the :class:`Toolbox` dispatcher."""

from __future__ import annotations

import asyncio
import enum
import json
import socket
import warnings
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pydantic
import pytest

from aimu_core.errors import ToolArgumentError, ToolSignatureError
from aimu_core.tools import Toolbox, tool, tool_spec, validate_arguments
from aimu_core.tools.builtin import current_time


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Place(pydantic.BaseModel):
    city: str
    country: str = "FR"


@tool
def get_weather(city: str, days: int = 1, unit: Unit = Unit.CELSIUS) -> str:
    """Get the weather forecast
    for a city.

    Args:
        city: the city name, e.g. "Paris".
        days (int): how many days to forecast,
            counting today.
        unit: the temperature unit.

    Returns:
        A short forecast.
    """
    return f"{city}: sunny for {days} day(s) in {unit.value}"


def parameters(fn: Callable[..., Any]) -> dict[str, Any]:
    return tool_spec(fn)["function"]["parameters"]  # type: ignore[no-any-return]


# -- the spec ---------------------------------------------------------------------------------


def test_spec_from_signature_and_google_docstring() -> None:
    spec = get_weather.__tool_spec__  # type: ignore[attr-defined]
    assert spec["type"] == "function"
    function = spec["function"]
    assert function["name"] == "get_weather"
    assert function["description"] == "Get the weather forecast for a city."
    params = function["parameters"]
    assert params["type"] == "object"
    assert params["required"] == ["city"]
    assert params["additionalProperties"] is False
    props = params["properties"]
    assert props["city"] == {"type": "string", "description": 'the city name, e.g. "Paris".'}
    assert props["days"] == {
        "type": "integer",
        "default": 1,
        "description": "how many days to forecast, counting today.",
    }
    assert props["unit"]["default"] == "celsius"
    assert "title" not in params and all("title" not in p for p in props.values())
    json.dumps(spec)  # plain JSON


def test_decoration_returns_the_function_unchanged() -> None:
    assert get_weather("Rome", days=2) == "Rome: sunny for 2 day(s) in celsius"
    assert get_weather.__name__ == "get_weather"


def test_name_and_description_overrides() -> None:
    @tool(name="lookup", description="Look something up.")
    def find(query: str) -> str:
        """Ignored."""
        return query

    function = tool_spec(find)["function"]
    assert (function["name"], function["description"]) == ("lookup", "Look something up.")


def test_tool_spec_decorates_a_plain_function_on_demand() -> None:
    def add(a: int, b: int = 2) -> int:
        """Add two numbers."""
        return a + b

    assert tool_spec(add)["function"]["description"] == "Add two numbers."
    assert hasattr(add, "__tool_spec__")


def test_summary_stops_at_a_section_without_a_blank_line() -> None:
    @tool
    def ping(host: str) -> str:
        """Ping a host.
        Args:
            host: where to.
        """
        return host

    function = tool_spec(ping)["function"]
    assert function["description"] == "Ping a host."
    assert function["parameters"]["properties"]["host"]["description"] == "where to."


def test_no_docstring_and_no_parameters() -> None:
    @tool
    def now() -> str:
        return "now"

    assert tool_spec(now)["function"]["description"] == ""
    assert parameters(now)["properties"] == {}
    assert validate_arguments(now, {}) == {}


def test_optional_literal_enum_and_model_arguments() -> None:
    @tool
    def book(
        place: Place,
        mode: Literal["train", "plane"] = "train",
        unit: Unit | None = None,
        tags: list[str] | None = None,
        seats: Annotated[int, pydantic.Field(ge=1, description="how many seats")] = 1,
    ) -> str:
        """Book a trip."""
        return "ok"

    props = parameters(book)["properties"]
    assert parameters(book)["required"] == ["place"]
    assert props["mode"] == {"default": "train", "enum": ["train", "plane"], "type": "string"}
    assert props["seats"] == {
        "default": 1,
        "description": "how many seats",
        "minimum": 1,
        "type": "integer",
    }
    assert {"type": "null"} in props["tags"]["anyOf"]
    defs = parameters(book)["$defs"]
    assert defs["Unit"]["enum"] == ["celsius", "fahrenheit"]
    assert set(defs["Place"]["properties"]) == {"city", "country"}

    kwargs = validate_arguments(
        book, {"place": {"city": "Lyon"}, "unit": "fahrenheit", "seats": "2"}
    )
    assert kwargs == {
        "place": Place(city="Lyon"),
        "mode": "train",
        "unit": Unit.FAHRENHEIT,
        "tags": None,
        "seats": 2,
    }
    with pytest.raises(ToolArgumentError, match="mode: Input should be 'train' or 'plane'"):
        validate_arguments(book, {"place": {"city": "Lyon"}, "mode": "car"})
    with pytest.raises(ToolArgumentError, match=r"place\.city: Field required"):
        validate_arguments(book, {"place": {}})


def test_parameter_names_pydantic_reserves_still_work() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "shadows an attribute of BaseModel" noise

        @tool
        def configure(model_config: str, copy: bool = False, schema: str = "s", _x: int = 0) -> str:
            """Configure."""
            return model_config

    assert set(parameters(configure)["properties"]) == {"model_config", "copy", "schema", "_x"}
    assert validate_arguments(configure, {"model_config": "m", "copy": True, "_x": "3"}) == {
        "model_config": "m",
        "copy": True,
        "schema": "s",
        "_x": 3,
    }


@pytest.mark.parametrize(
    "source,message",
    [
        ("def f(*args: int) -> str: ...", "*args/**kwargs"),
        ("def f(**kwargs: int) -> str: ...", "*args/**kwargs"),
        ("def f(x) -> str: ...", "needs a type annotation on parameter 'x'"),
        ("def f(x: int, y=2) -> str: ...", "needs a type annotation on parameter 'y'"),
        ("def f(x: socket.socket) -> str: ...", "cannot describe f"),
        ("def f(x: Callable[[int], int]) -> str: ...", "JSON-friendly types"),
        ("def f(x: 'NoSuchType') -> str: ...", "cannot read the signature"),
        ("def f(x: int = 1, *, y: 'list[int]') -> str: ...", None),
    ],
)
def test_unschemable_signatures_fail_at_decoration(source: str, message: str | None) -> None:
    namespace: dict[str, Any] = {"socket": socket, "Callable": Callable}
    exec(compile(source, "<tool>", "exec", dont_inherit=True), namespace)
    if message is None:  # keyword-only and string annotations are fine
        assert parameters(tool(namespace["f"]))["required"] == ["y"]
        return
    with pytest.raises(ToolSignatureError) as info:
        tool(namespace["f"])
    assert message in str(info.value)
    assert isinstance(info.value, TypeError)


# -- argument validation ------------------------------------------------------------------------


def test_arguments_are_coerced_and_defaults_filled() -> None:
    assert validate_arguments(get_weather, {"city": "Oslo", "days": "3"}) == {
        "city": "Oslo",
        "days": 3,
        "unit": Unit.CELSIUS,
    }


def test_argument_errors_name_every_problem() -> None:
    with pytest.raises(ToolArgumentError) as info:
        validate_arguments(get_weather, {"days": "three", "color": "red"})
    message = str(info.value)
    assert message.startswith("bad arguments for tool get_weather: ")
    assert "city: Field required" in message
    assert "days: Input should be a valid integer" in message
    assert "color: Extra inputs are not permitted" in message
    assert isinstance(info.value, ValueError)


def test_arguments_must_be_an_object() -> None:
    with pytest.raises(ToolArgumentError, match=r"must be a JSON object, got \['Oslo'\]"):
        validate_arguments(get_weather, ["Oslo"])  # type: ignore[arg-type]


# -- Toolbox ---------------------------------------------------------------------------------------


class FakeMCP:
    """A tool source at our own ``MCPToolSource`` boundary: specs plus a call log."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.listed = 0

    def get_tools(self) -> list[dict[str, Any]]:
        self.listed += 1
        return [
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": f"remote {name}",
                    "parameters": {"type": "object", "properties": {}},
                },
            }
            for name in ("get_weather", "search")
        ]

    def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        self.calls.append((name, arguments))
        return {"results": [arguments.get("q")]}


def call(name: str, arguments: str | dict[str, Any] | None) -> dict[str, Any]:
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}


@tool
def explode(reason: str) -> str:
    """Always fails."""
    raise RuntimeError(f"exploded: {reason}")


def test_python_tools_win_a_name_collision() -> None:
    remote = FakeMCP()
    box = Toolbox([get_weather], remote)
    names = [s["function"]["name"] for s in box.specs()]
    assert names == ["get_weather", "search"]
    assert box.specs()[0]["function"]["description"] == "Get the weather forecast for a city."

    result = box.call(call("get_weather", '{"city": "Paris"}'))
    assert result == {
        "name": "get_weather",
        "arguments": {"city": "Paris"},
        "response": "Paris: sunny for 1 day(s) in celsius",
    }
    assert remote.calls == []

    result = box.call(call("search", {"q": "aimu"}))
    assert result["response"] == '{"results": ["aimu"]}'
    assert remote.calls == [("search", {"q": "aimu"})]
    assert remote.listed == 1  # listed once per toolbox


def test_unknown_tool_names_the_available_ones() -> None:
    result = Toolbox([get_weather], FakeMCP()).call(call("get_wether", "{}"))
    assert result["response"] == (
        "Error: there is no tool named 'get_wether'. Available: get_weather, search."
    )


def test_invalid_json_arguments() -> None:
    result = Toolbox([get_weather]).call(call("get_weather", '{"city": '))
    assert result["response"].startswith("Error: the arguments are not valid JSON (")
    assert result["response"].endswith("Call get_weather again.")
    assert result["arguments"] == '{"city": '


def test_bad_arguments_ask_the_model_to_retry() -> None:
    result = Toolbox([get_weather]).call(call("get_weather", '{"days": 2}'))
    assert result["response"] == (
        "Error: bad arguments for tool get_weather: city: Field required. "
        "Call get_weather again with corrected arguments."
    )


def test_a_raising_tool_becomes_error_text() -> None:
    result = Toolbox([explode]).call(call("explode", '{"reason": "test"}'))
    assert result["response"] == "Error: tool explode raised RuntimeError: exploded: test"


def test_empty_arguments_and_non_text_results() -> None:
    @tool
    def numbers() -> list[int]:
        """Some numbers."""
        return [1, 2]

    assert Toolbox([numbers]).call(call("numbers", ""))["response"] == "[1, 2]"
    assert Toolbox([numbers]).call(call("numbers", None))["response"] == "[1, 2]"


def test_toolbox_truthiness() -> None:
    assert not Toolbox()
    assert Toolbox([get_weather])
    assert Toolbox(mcp_client=FakeMCP())
    assert Toolbox().specs() == []


def test_async_dispatch() -> None:
    @tool
    async def slow_add(a: int, b: int) -> int:
        """Add, asynchronously."""
        await asyncio.sleep(0)
        return a + b

    box = Toolbox([slow_add, get_weather, explode], FakeMCP())

    async def run() -> list[str]:
        results = await asyncio.gather(
            box.acall(call("slow_add", '{"a": 1, "b": "2"}')),
            box.acall(call("get_weather", '{"city": "Nice"}')),
            box.acall(call("search", '{"q": "x"}')),
            box.acall(call("explode", '{"reason": "async"}')),
            box.acall(call("slow_add", '{"a": "x"}')),
        )
        return [r["response"] for r in results]

    responses = asyncio.run(run())
    assert responses[:4] == [
        "3",
        "Nice: sunny for 1 day(s) in celsius",
        '{"results": ["x"]}',
        "Error: tool explode raised RuntimeError: exploded: async",
    ]
    assert responses[4].startswith("Error: bad arguments for tool slow_add: a: Input should be")
    # the sync path runs a coroutine tool to completion too
    assert box.call(call("slow_add", '{"a": 2, "b": 2}'))["response"] == "4"


def test_builtin_current_time_tool() -> None:
    box = Toolbox([current_time])
    assert box.call(call("current_time", '{"timezone": "UTC"}'))["response"].endswith("+00:00")
    error = box.call(call("current_time", '{"timezone": "Mars/Olympus"}'))["response"]
    assert error == (
        "Error: unknown time zone 'Mars/Olympus'; use an IANA name like 'Europe/Paris'. "
        "Call current_time again with corrected arguments."
    )
