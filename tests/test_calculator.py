"""``calculator``: arithmetic without ``eval``, bounded in size; property-based against Python."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimu_core.errors import ToolArgumentError
from aimu_core.tools import Toolbox, get
from aimu_core.tools.calculator import MAX_BITS, MAX_LENGTH, calculate, evaluate


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 ** 10", 1024),
        ("-3 // 2", -2),
        ("7 % 3", 1),
        ("10 / 4", 2.5),
        ("+-+1", -1),
        ("sqrt(16) + abs(-2)", 6.0),
        ("max(1, 5, 3) - min(4, 2)", 3),
        ("round(2.567, 2)", 2.57),
        ("factorial(10)", 3628800),
        ("floor(pi) + ceil(e)", 6),
        ("2 ** 0.5", 2**0.5),
        ("1_000 * 3", 3000),
    ],
)
def test_arithmetic(expression: str, value: float) -> None:
    assert evaluate(expression) == pytest.approx(value)


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("__import__('os').system('true')", "only these functions"),
        ("(1).real", "Attribute is not allowed"),
        ("x + 1", "unknown name 'x'"),
        ("'a' * 3", "only numbers"),
        ("True + 1", "only numbers"),
        ("[1, 2]", "List is not allowed"),
        ("lambda: 1", "Lambda is not allowed"),
        ("sqrt(x=4)", "only these functions"),
        ("1 << 10", "BinOp is not allowed"),
        ("1 if 1 else 2", "IfExp is not allowed"),
        ("1 +", "not an arithmetic expression"),
        ("1 / 0", "divides by zero"),
        ("sqrt(-1)", "has no value"),
        ("(-8) ** 0.5", "not a real number"),
        ("1e308 * 10", "not a finite number"),
        ("factorial(5000)", "from 0 to 1000"),
        ("round(5, -2 ** 999)", "from -100 to 100"),
    ],
)
def test_refusals_name_the_problem(expression: str, problem: str) -> None:
    with pytest.raises(ToolArgumentError, match=problem.replace("(", r"\(")):
        evaluate(expression)


@pytest.mark.parametrize("expression", ["9 ** 9 ** 9", "2 ** 99999999", "(10 ** 3000) ** 3000"])
def test_huge_powers_are_refused_before_they_are_computed(expression: str) -> None:
    with pytest.raises(ToolArgumentError, match=f"over {MAX_BITS} bits"):
        evaluate(expression)


def test_products_of_large_numbers_stay_bounded() -> None:
    big = "2 ** 9000"
    with pytest.raises(ToolArgumentError, match="too large"):
        evaluate(" * ".join([big] * 3))


def test_long_and_deep_expressions_are_refused() -> None:
    with pytest.raises(ToolArgumentError, match=f"longer than {MAX_LENGTH}"):
        evaluate("1+" * MAX_LENGTH + "1")
    with pytest.raises(ToolArgumentError):
        evaluate("(" * 400 + "1" + ")" * 400)


def test_through_the_tool_loop_a_refusal_is_a_message_the_model_reads() -> None:
    box = Toolbox([get("calculator")])
    call = {"id": "c", "function": {"name": "calculate", "arguments": '{"expression": "2*21"}'}}
    assert box.call(call)["response"] == "42"
    call["function"]["arguments"] = '{"expression": "open(\'x\')"}'
    response = box.call(call)["response"]
    assert response.startswith("Error: only these functions") and "Call calculate again" in response
    assert calculate("2 ** 3") == "8"


_ops = st.sampled_from(["+", "-", "*", "//", "%"])
_leaf = st.integers(min_value=-1000, max_value=1000).map(lambda n: f"({n})")


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 4 or draw(st.booleans()):
        return draw(_leaf)
    return f"({draw(_expressions(depth + 1))} {draw(_ops)} {draw(_expressions(depth + 1))})"


@settings(max_examples=300, deadline=None)
@given(_expressions())
def test_agrees_with_python_on_integer_arithmetic(expression: str) -> None:
    try:
        expected = eval(expression, {"__builtins__": {}})  # the test's oracle only
    except ZeroDivisionError:
        with pytest.raises(ToolArgumentError, match="divides by zero"):
            evaluate(expression)
        return
    assert evaluate(expression) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_number_or_a_tool_argument_error(text: str) -> None:
    try:
        value = evaluate(text)
    except ToolArgumentError:
        return
    assert isinstance(value, (int, float)) and not isinstance(value, bool)
    assert not isinstance(value, float) or math.isfinite(value)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=-50, max_value=100_000),
)
def test_powers_are_exact_or_refused(base: int, exponent: int) -> None:
    expression = f"({base}) ** ({exponent})"
    try:
        value = evaluate(expression)
    except ToolArgumentError as exc:
        assert "too large" in str(exc) or "divides by zero" in str(exc)
        return
    if exponent >= 0:
        assert value == base**exponent
    else:
        assert value == pytest.approx(base**exponent)
