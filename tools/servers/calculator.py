"""A safe calculator MCP server: expressions are parsed with `ast`, never `eval`.

Exact rational arithmetic where the input is exact (``1/3 + 1/6`` is ``1/2``), floats only for
irrational results (roots). Run it alone with ``python -m tools.servers.calculator``.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from fractions import Fraction

from mcp.server.fastmcp import FastMCP

Number = Fraction | float

MAX_EXPONENT = 10_000
MAX_EXPRESSION_CHARS = 2_000

_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


class CalculatorError(ValueError):
    """The expression is not one the calculator accepts; the message says why."""


def _sqrt(x: Number) -> Number:
    if x < 0:
        raise CalculatorError("square root of a negative number")
    if isinstance(x, Fraction):
        num, den = math.isqrt(x.numerator), math.isqrt(x.denominator)
        if num * num == x.numerator and den * den == x.denominator:
            return Fraction(num, den)
    return math.sqrt(x)


def _round(x: Number, digits: Number = 0) -> Number:
    """Half away from zero, as people round (Python's `round` sends 2.5 to 2)."""
    scale = Fraction(10) ** int(digits)
    scaled = abs(Fraction(x)) * scale
    return (1 if x >= 0 else -1) * Fraction(math.floor(scaled + Fraction(1, 2))) / scale


_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "sqrt": _sqrt,
    "abs": abs,
    "round": _round,
    "floor": lambda x: Fraction(math.floor(x)),
    "ceil": lambda x: Fraction(math.ceil(x)),
    "min": min,
    "max": max,
    "percent": lambda part, whole: Fraction(part) / Fraction(whole) * 100,
}

_PERCENT_OF = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*of\b", re.IGNORECASE)
_GROUPED = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w,])")
_CALL_OPEN = re.compile(r"[A-Za-z_]\w*\s*\($")
_SYMBOLS = {"^": "**", "×": "*", "÷": "/", "−": "-"}
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%(?!\s*[\d(.])")


def _strip_thousands(expression: str) -> str:
    """`1,234,567` -> `1234567`, except inside a call, where commas separate arguments."""
    calls: list[bool] = []  # for each open parenthesis: does it open a function call?
    in_call_at = []
    for i, char in enumerate(expression):
        in_call_at.append(any(calls))
        if char == "(":
            calls.append(bool(_CALL_OPEN.search(expression[: i + 1])))
        elif char == ")" and calls:
            calls.pop()
    return _GROUPED.sub(
        lambda m: m.group().replace(",", "") if not in_call_at[m.start()] else m.group(),
        expression,
    )


def _rewrite_percentages(expression: str) -> str:
    """`15% of 80` -> `(15/100)*80`; a lone `20%` -> `(20/100)`; `7 % 3` stays modulo."""
    expression = _PERCENT_OF.sub(r"(\1/100)*", expression)
    return _PERCENT.sub(r"(\1/100)", expression)


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(exponent, Fraction) and exponent.denominator == 1:
        if abs(exponent) > MAX_EXPONENT:
            raise CalculatorError(f"exponent {exponent} is larger than {MAX_EXPONENT}")
        if base == 0 and exponent < 0:
            raise CalculatorError("zero cannot be raised to a negative power")
        return base ** int(exponent)
    result = float(base) ** float(exponent)
    if isinstance(result, complex):
        raise CalculatorError("the result is not a real number")
    return result


def _evaluate(node: ast.AST) -> Number:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if not math.isfinite(node.value):
            raise CalculatorError(f"the number {node.value} is out of range")
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        if type(node.op) in _BINARY:
            if isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod) and right == 0:
                raise CalculatorError("division by zero")
            return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        function = _FUNCTIONS.get(node.func.id)
        if function is None:
            raise CalculatorError(
                f"unknown function {node.func.id!r}; known: {', '.join(sorted(_FUNCTIONS))}"
            )
        return function(*(_evaluate(arg) for arg in node.args))
    raise CalculatorError(f"unsupported syntax: {ast.dump(node)[:80]}")


def format_number(value: Number) -> str:
    """Integers as integers, exact fractions as `p/q (≈ decimal)`, floats to 12 digits."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        decimal = float(value)
        if Fraction(str(decimal)) == value:
            return str(decimal)
        return f"{value.numerator}/{value.denominator} (≈ {decimal:.12g})"
    return f"{value:.12g}"


def calculate_expression(expression: str) -> str:
    """Evaluate an arithmetic expression and format the result; raises CalculatorError."""
    if not expression.strip():
        raise CalculatorError("the expression is empty")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(f"the expression is longer than {MAX_EXPRESSION_CHARS} characters")
    cleaned = expression
    for symbol, python in _SYMBOLS.items():
        cleaned = cleaned.replace(symbol, python)
    cleaned = _strip_thousands(cleaned)
    cleaned = _rewrite_percentages(cleaned)
    try:
        tree = ast.parse(cleaned, mode="eval")
    except SyntaxError as exc:
        raise CalculatorError(f"cannot parse {expression!r}: {exc.msg}") from exc
    try:
        return format_number(_evaluate(tree))
    except (OverflowError, ZeroDivisionError) as exc:
        raise CalculatorError(str(exc)) from exc
    except TypeError as exc:
        raise CalculatorError(f"wrong arguments: {exc}") from exc


mcp = FastMCP("calculator", log_level="WARNING")  # INFO logs every request to stderr


@mcp.tool()
def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression exactly, e.g. "(3 + 4) * 2", "2**10", "sqrt(2)",
    "15% of 80", "round(7/3, 2)". Supports + - * / // % ** and sqrt, abs, round, floor, ceil,
    min, max, percent(part, whole)."""
    return calculate_expression(expression)


if __name__ == "__main__":
    mcp.run()
