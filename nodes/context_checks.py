"""Checks of a context's values: each failure is a `ContextError` naming the field.

A run's context comes from code, a config file, the CLI, Studio's panel or an API call, typed or
not; a wrong type or an out-of-range value must stop it before it starts, saying which field
and what it must be, never surface later as a confusing error deep in a node.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

from memory.adapters.store_namespaces import (
    LABEL_PATTERN,
    LABEL_RULE,
    NamespaceTemplateError,
    check_template,
)
from memory.bank.namespaces import NAMESPACE_RULE, is_valid_namespace

COUNTS = (
    "top_k",
    "num_candidates",
    "max_cycles",
    "visits_per_case",
    "max_result_chars",
    "max_task_chars",
    "max_tool_calls_per_step",
)
"""Fields that count things: at least 1."""
POSITIVE_NUMBERS = (
    "alpha",
    "tau",
    "lam",
    "llm_timeout_s",
    "tool_timeout_s",
    "tool_startup_timeout_s",
    "step_timeout_s",
)
"""Fields that must be above 0 (temperatures, widths, weights, timeouts)."""
NON_NEGATIVE = (
    "prior_visits",
    "half_life",
    "change_after",
    "plan_change_after",
    "optimism",
    "memories_shown",
)
"""Fields that may be 0 (off) but not below."""


class ContextError(ValueError):
    """A context value that cannot work: the message names the field and what it must be."""


def check_type(name: str, value: Any, hint: Any) -> None:
    """Refuse a value whose type is not the field's (bools are not numbers, floats not ints)."""
    options = get_args(hint) if get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if value is None and type(None) in options:
        return
    for option in options:
        if get_origin(option) is Literal:
            if value in get_args(option):
                return
            choices = ", ".join(map(str, get_args(option)))
            raise ContextError(f"context field {name!r} must be one of {choices}; got {value!r}")
        if option is float and isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ContextError(f"context field {name!r} must be a finite number, got {value}")
            return
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return
        if option is bool and isinstance(value, bool):
            return
        if option is str and isinstance(value, str):
            return
    wanted = " or ".join(_type_word(o) for o in options)
    raise ContextError(f"context field {name!r} must be {wanted}; got {value!r}")


def _type_word(option: Any) -> str:
    words = {float: "a number", int: "an integer", bool: "true or false", str: "a string"}
    return words.get(option, "null" if option is type(None) else str(option))


def check_range(
    name: str,
    value: float,
    *,
    low: float | None = None,
    high: float | None = None,
    above: float | None = None,
    below: float | None = None,
) -> None:
    if (
        (low is not None and value < low)
        or (high is not None and value > high)
        or (above is not None and value <= above)
        or (below is not None and value >= below)
    ):
        bounds = [
            f"at least {low}" if low is not None else "",
            f"> {above}" if above is not None else "",
            f"at most {high}" if high is not None else "",
            f"< {below}" if below is not None else "",
        ]
        wanted = " and ".join(b for b in bounds if b)
        raise ContextError(f"context field {name!r} must be {wanted}, got {value}")


def check_url(name: str, value: str | None) -> None:
    """Refuse an endpoint that is not an http(s) URL with a host (`file:///...`, a bare host,
    a mistyped scheme), which the OpenAI client would only answer with "Connection error."."""
    if value is None:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ContextError(
            f"context field {name!r} must be an http:// or https:// URL, such as "
            f"http://localhost:8000/v1; got {value!r}"
        )


def check_namespaces(namespace: str, template: str | None, user_id: str | None) -> None:
    """Refuse a namespace, a namespace template or a user id that cannot name a namespace."""
    if not is_valid_namespace(namespace):
        raise ContextError(f"context field 'namespace' must be {NAMESPACE_RULE}; got {namespace!r}")
    if template is not None:
        try:
            check_template(template)
        except NamespaceTemplateError as exc:
            raise ContextError(f"context field 'namespace_template': {exc}") from None
    if user_id is not None and not LABEL_PATTERN.fullmatch(user_id):
        raise ContextError(f"context field 'user_id' must be {LABEL_RULE}; got {user_id!r}")
