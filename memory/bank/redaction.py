"""Keeping secrets out of the bank, the state and the logs: keys are replaced by a marker.

A secret is the value (at least 8 characters) of an environment variable whose name says it is
one (API_KEY, TOKEN, SECRET, PASSWORD, ...), or of a variable the product sends as a key
whatever its name (`mark_secret_variable`, e.g. the context's `api_key_env`). A tool that
echoes the environment, or an endpoint or model that repeats a key, then leaves
"[redacted OPENAI_API_KEY]" in the text instead, for the key as written and in the forms it
takes in text (`memory.bank.secret_forms`: URL-encoded, JSON-escaped, base64 at any offset,
hex, masked in the middle as endpoints print it, any letter case), in dict keys as in values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from memory.bank.secret_forms import secret_forms

SECRET_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY)", re.I)
MIN_SECRET_CHARS = 8
_MARKED_VARIABLES: set[str] = set()


def mark_secret_variable(name: str) -> None:
    """Treat this environment variable's value as a secret whatever its name says."""
    _MARKED_VARIABLES.add(name)


def secrets_in(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Secret value -> the name of the variable holding it, longest values first.

    For the process's own environment the answer is kept until a variable (or the set of
    marked ones) changes: decoding and matching every variable cost ~0.1 ms, a fifth of a
    case write, and a write on another thread holds up a live bank's retrieves.
    """
    if environ is None:
        return dict(_process_secrets(_environment_snapshot()))
    return _find_secrets(environ)


def _environment_snapshot() -> tuple[Any, ...]:
    """What the process's secrets depend on, cheap to take and compare: the raw environment
    (bytes on POSIX, without decoding) and the marked names."""
    raw = getattr(os.environ, "_data", None)
    items = tuple(raw.items()) if isinstance(raw, dict) else tuple(os.environ.items())
    return items, frozenset(_MARKED_VARIABLES)


@lru_cache(maxsize=4)
def _process_secrets(snapshot: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
    items, _ = snapshot
    environ = {os.fsdecode(name): os.fsdecode(value) for name, value in items}
    return tuple(_find_secrets(environ).items())


def _find_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    found = {
        value: name
        for name, value in environ.items()
        if (SECRET_NAME.search(name) or name in _MARKED_VARIABLES)
        and len(value) >= MIN_SECRET_CHARS
    }
    return dict(sorted(found.items(), key=lambda item: -len(item[0])))


def redact_text(text: str, secrets: Mapping[str, str]) -> str:
    """The text with every form of every secret replaced by a marker naming its variable."""
    for value, name in secrets.items():
        text = secret_forms(value).sub(f"[redacted {name}]", text)
    return text


def redact(value: Any, secrets: Mapping[str, str] | None = None) -> Any:
    """A copy of a value with secrets redacted in every string: JSON-like values (str, list,
    tuple, dict: its keys too, e.g. a tool-call argument named after a key) and pydantic
    records; anything else is returned as it is. Two keys that redact alike keep the later's
    value."""
    secrets = secrets_in() if secrets is None else secrets
    if not secrets:
        return value
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, list | tuple):
        return type(value)(redact(item, secrets) for item in value)
    if isinstance(value, dict):
        return {redact(key, secrets): redact(item, secrets) for key, item in value.items()}
    if isinstance(value, BaseModel):
        return type(value).model_validate(redact(value.model_dump(), secrets))
    return value
