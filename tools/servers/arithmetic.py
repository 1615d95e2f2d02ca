"""Arithmetic for the calculator server: parsed with `ast`, never `eval`, every step bounded.

Exact rational arithmetic where the input is exact (``1/3 + 1/6`` is ``1/2``), floats only for
irrational results (roots). Every operation's cost is bounded before it runs: a number may have
at most `MAX_BITS` bits in its numerator and in its denominator (about 4,200 decimal digits,
under Python's int-to-text limit), a power is refused when its result would be larger,
`round` takes at most `MAX_ROUND_DIGITS` digits, and the nesting depth is capped. So no
expression of `MAX_EXPRESSION_CHARS` characters runs for more than milliseconds.

Standard library only, and no imports from this package: `python -I -S arithmetic.py` serves
evaluations as JSON lines on stdin/stdout (see `serve`), which is how the calculator server
runs each one in a worker process it can kill (`worker_pool.py`).
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re
import sys
from collections.abc import Callable
from fractions import Fraction

Number = Fraction | float

MAX_EXPONENT = 10_000
MAX_EXPRESSION_CHARS = 2_000
MAX_BITS = 14_000
MAX_ROUND_DIGITS = 1_000
MAX_DEPTH = 200

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


def _bits(value: Number) -> int:
    """The larger of the numerator's and the denominator's bit length (0 for a float)."""
    if isinstance(value, Fraction):
        return max(value.numerator.bit_length(), value.denominator.bit_length())
    return 0


def _log2(value: Number) -> float:
    """About how many bits a power of `value` needs per unit of exponent (0 for ±1 and 0)."""
    if not isinstance(value, Fraction) or value == 0:
        return 0.0
    return max(math.log2(abs(value.numerator)), math.log2(value.denominator))


def _bounded(value: Number) -> Number:
    """`value`, or CalculatorError when it is too large to work with cheaply (or not finite)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculatorError("the result is outside the range of floating-point numbers")
    if _bits(value) > MAX_BITS:
        raise CalculatorError(
            f"a number in the calculation has more than {MAX_BITS} bits (about "
            f"{int(MAX_BITS * math.log10(2))} digits); the calculator works below that"
        )
    return value


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
    if int(digits) != digits or abs(digits) > MAX_ROUND_DIGITS:
        raise CalculatorError(
            f"round takes a whole number of digits between -{MAX_ROUND_DIGITS} and "
            f"{MAX_ROUND_DIGITS}, got {format_number(digits)}"
        )
    scale = Fraction(10) ** int(digits)
    scaled = _bounded(abs(Fraction(x)) * scale)
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
_SYMBOLS = {"^": "**", "×": "*", "÷": "/", "−": "-"}
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%(?!\s*[\d(.])")


def _opens_call(expression: str, paren: int) -> bool:
    """Whether the `(` at index `paren` follows a name (``f (``), in time linear in the name."""
    end = paren
    while end > 0 and expression[end - 1].isspace():
        end -= 1
    start = end
    while start > 0 and (expression[start - 1].isalnum() or expression[start - 1] == "_"):
        start -= 1
    return start < end and (expression[start].isalpha() or expression[start] == "_")


def _strip_thousands(expression: str) -> str:
    """`1,234,567` -> `1234567`, except inside a call, where commas separate arguments."""
    calls: list[bool] = []  # for each open parenthesis: does it open a function call?
    open_calls = 0
    in_call_at = []
    for i, char in enumerate(expression):
        in_call_at.append(open_calls > 0)
        if char == "(":
            calls.append(_opens_call(expression, i))
            open_calls += calls[-1]
        elif char == ")" and calls:
            open_calls -= calls.pop()
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
        if _log2(base) * abs(exponent) > MAX_BITS:
            raise CalculatorError(
                f"the result of the power would have more than {MAX_BITS} bits (about "
                f"{int(MAX_BITS * math.log10(2))} digits)"
            )
        return base ** int(exponent)
    result = float(base) ** float(exponent)
    if isinstance(result, complex):
        raise CalculatorError("the result is not a real number")
    return result


def _evaluate(node: ast.AST, depth: int = 0) -> Number:
    if depth > MAX_DEPTH:
        raise CalculatorError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    return _bounded(_evaluate_node(node, depth + 1))


def _evaluate_node(node: ast.AST, depth: int) -> Number:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, depth)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise CalculatorError(f"the number {node.value} is out of range")
        return Fraction(node.value) if type(node.value) is int else Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand, depth)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        return _evaluate_chain(node, depth)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        function = _FUNCTIONS.get(node.func.id)
        if function is None:
            raise CalculatorError(
                f"unknown function {node.func.id!r}; known: {', '.join(sorted(_FUNCTIONS))}"
            )
        return function(*(_evaluate(arg, depth) for arg in node.args))
    raise CalculatorError(f"unsupported syntax: {ast.dump(node)[:80]}")


def _evaluate_chain(node: ast.BinOp, depth: int) -> Number:
    """`a + b - c * d ...` parses as a left-leaning chain: walk it in a loop, so a long sum is
    not refused as deep nesting (only the right operands count towards the depth)."""
    chain: list[ast.BinOp] = []
    left: ast.AST = node
    while isinstance(left, ast.BinOp):
        chain.append(left)
        left = left.left
    value = _evaluate(left, depth)
    for step in reversed(chain):
        value = _bounded(_binary(step.op, value, _evaluate(step.right, depth)))
    return value


def _binary(op: ast.operator, left: Number, right: Number) -> Number:
    if isinstance(op, ast.Pow):
        return _power(left, right)
    if type(op) not in _BINARY:
        raise CalculatorError(f"unsupported syntax: the operator {type(op).__name__}")
    if isinstance(op, ast.Div | ast.FloorDiv | ast.Mod) and right == 0:
        raise CalculatorError("division by zero")
    return _BINARY[type(op)](left, right)


def format_number(value: Number) -> str:
    """Integers as integers, exact fractions as `p/q (≈ decimal)`, floats to 12 digits."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        try:
            decimal = float(value)
        except OverflowError:
            return f"{value.numerator}/{value.denominator}"
        if Fraction(str(decimal)) == value:
            return str(decimal)
        return f"{value.numerator}/{value.denominator} (≈ {decimal:.12g})"
    return f"{value:.12g}"


def _parse(expression: str) -> ast.Expression:
    cleaned = expression
    for symbol, python in _SYMBOLS.items():
        cleaned = cleaned.replace(symbol, python)
    cleaned = _strip_thousands(cleaned)
    cleaned = _rewrite_percentages(cleaned)
    try:
        return ast.parse(cleaned, mode="eval")
    except SyntaxError as exc:
        raise CalculatorError(f"cannot parse {expression!r}: {exc.msg}") from exc
    except (RecursionError, MemoryError) as exc:
        raise CalculatorError("the expression is too deeply nested to parse") from exc


def calculate_expression(expression: str) -> str:
    """Evaluate an arithmetic expression and format the result; raises CalculatorError."""
    if not expression.strip():
        raise CalculatorError("the expression is empty")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(f"the expression is longer than {MAX_EXPRESSION_CHARS} characters")
    tree = _parse(expression)
    try:
        return format_number(_evaluate(tree))
    except (OverflowError, ZeroDivisionError) as exc:
        raise CalculatorError(str(exc)) from exc
    except TypeError as exc:
        raise CalculatorError(f"wrong arguments: {exc}") from exc


def serve() -> None:
    """Answer ``{"expression": ...}`` lines with ``{"result": ...}`` or ``{"error": ...}``."""
    for line in sys.stdin:
        try:
            answer = {"result": calculate_expression(json.loads(line)["expression"])}
        except CalculatorError as exc:
            answer = {"error": str(exc)}
        except Exception as exc:  # a bug must not kill the worker: report it as the answer
            answer = {"error": f"internal error: {type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    serve()
