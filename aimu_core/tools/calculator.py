"""``calculator``: arithmetic for models, evaluated without ``eval``.

The expression is parsed with :mod:`ast` and walked over an allow-list of
nodes: numbers, ``+ - * / // % **``, unary signs, the constants ``pi``, ``e``,
``tau`` and a few :mod:`math` functions. Anything else (names, attributes,
calls of other functions, strings, comprehensions...) is refused before any
of it runs. Results are bounded, so no expression can take the process's
time or memory: integers stay under :data:`MAX_BITS` bits, ``factorial``'s
argument under 1000, and the expression under :data:`MAX_LENGTH` characters.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from ..errors import ToolArgumentError, quoted
from .decorator import tool

__all__ = ["MAX_BITS", "MAX_LENGTH", "calculate", "evaluate"]

#: The longest expression accepted, in characters.
MAX_LENGTH = 1000
#: The largest integer a step may produce, in bits (about 3000 decimal digits).
MAX_BITS = 10_000

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _factorial(n: Number) -> int:
    if isinstance(n, float):
        if not n.is_integer():
            raise ValueError("factorial() takes a whole number")
        n = int(n)
    if not 0 <= n <= 1000:
        raise ValueError("factorial() takes a whole number from 0 to 1000 here")
    return math.factorial(n)


def _round(value: Number, ndigits: Number | None = None) -> Number:
    if ndigits is None:
        return round(value)
    if not isinstance(ndigits, int) or abs(ndigits) > 100:
        raise ValueError("round() takes a whole number of digits from -100 to 100")
    return round(value, ndigits)


_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "floor": math.floor,
    "ceil": math.ceil,
    "factorial": _factorial,
}


def evaluate(expression: str) -> Number:
    """The value of an arithmetic *expression*.

    Raises:
        ToolArgumentError: the expression is not arithmetic this calculator
            accepts, or its value is undefined or too large; the message says which.
    """
    if not isinstance(expression, str):
        raise ToolArgumentError(f"the expression must be a string, got {type(expression).__name__}")
    if len(expression) > MAX_LENGTH:
        raise ToolArgumentError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ToolArgumentError(
            f"{quoted(expression)} is not an arithmetic expression; write e.g. '(2 + 3) * 4 ** 2'"
        ) from None
    try:
        return _eval(tree.body)
    except ToolArgumentError:
        raise
    except RecursionError:
        raise ToolArgumentError("the expression is nested too deeply") from None
    except ZeroDivisionError:
        raise ToolArgumentError(f"{quoted(expression)} divides by zero") from None
    except (ArithmeticError, ValueError, TypeError) as exc:  # math domain, overflow, arity
        raise ToolArgumentError(f"{quoted(expression)} has no value: {exc}") from None


def _eval(node: ast.AST) -> Number:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ToolArgumentError(f"only numbers are allowed, not {quoted(value)}")
        return _bounded(value)
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, complex):
            raise ToolArgumentError("the result is not a real number")
        return _bounded(result)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
    ):
        args = [_eval(arg) for arg in node.args]
        return _bounded(_FUNCTIONS[node.func.id](*args))
    raise ToolArgumentError(_refusal(node))


def _check_power(base: Number, exponent: Number) -> None:
    """Refuse a power whose integer result would pass :data:`MAX_BITS` before computing it."""
    if isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1:
        if exponent > MAX_BITS or exponent * (abs(base).bit_length() - 1) > MAX_BITS:
            raise ToolArgumentError(f"the result is too large (over {MAX_BITS} bits)")


def _bounded(value: Number) -> Number:
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise ToolArgumentError(f"the result is too large (over {MAX_BITS} bits)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ToolArgumentError("the result is not a finite number")
    return value


def _refusal(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        known = ", ".join(sorted(_CONSTANTS))
        return f"unknown name {quoted(node.id)}; the constants are {known}"
    if isinstance(node, ast.Call):
        known = ", ".join(sorted(_FUNCTIONS))
        return f"only these functions may be called, with positional arguments: {known}"
    return (
        f"{type(node).__name__} is not allowed; use numbers, + - * / // % **, parentheses, "
        "constants and math functions"
    )


@tool
def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression exactly and return its value.

    Args:
        expression: numbers with + - * / // % ** and parentheses; the constants pi, e,
            tau; the functions sqrt, exp, log, log10, log2, sin, cos, tan, asin, acos,
            atan, floor, ceil, abs, round, min, max, factorial. E.g. "sqrt(2) * (3 + 4) ** 2".
    """
    return str(evaluate(expression))
