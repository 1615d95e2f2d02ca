"""Keeping secrets out of the bank, the state and the logs: keys are replaced by a marker.

A secret is the value (at least 8 characters) of an environment variable whose name says it is
one (API_KEY, TOKEN, SECRET, PASSWORD, ...), or of a variable the product sends as a key
whatever its name (`mark_secret_variable`, e.g. the context's `api_key_env`). A tool that
echoes the environment, or an endpoint or model that repeats a key, then leaves
"[redacted OPENAI_API_KEY]" in the text instead, for the key as written and in the forms it
takes in text: URL-encoded, JSON-escaped, base64, and masked in the middle ("sk-pro****cdef",
as OpenAI's own error messages show a key).
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

SECRET_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY)", re.I)
MIN_SECRET_CHARS = 8
_MARKED_VARIABLES: set[str] = set()


def mark_secret_variable(name: str) -> None:
    """Treat this environment variable's value as a secret whatever its name says."""
    _MARKED_VARIABLES.add(name)


def secrets_in(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Secret value -> the name of the variable holding it, longest values first."""
    environ = os.environ if environ is None else environ
    found = {
        value: name
        for name, value in environ.items()
        if (SECRET_NAME.search(name) or name in _MARKED_VARIABLES)
        and len(value) >= MIN_SECRET_CHARS
    }
    return dict(sorted(found.items(), key=lambda item: -len(item[0])))


@lru_cache(maxsize=64)
def _forms(value: str) -> re.Pattern[str]:
    """One pattern for every form of a secret in text."""
    encoded = value.encode()
    forms = {
        value,
        quote(value, safe=""),
        json.dumps(value)[1:-1],
        base64.b64encode(encoded).decode().rstrip("="),
        base64.urlsafe_b64encode(encoded).decode().rstrip("="),
    }
    literal = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    masked = re.escape(value[:3]) + r"[\w-]{0,6}[*•.…x]{3,}[\w-]{0,4}" + re.escape(value[-4:])
    return re.compile(f"{literal}|{masked}")


def redact_text(text: str, secrets: Mapping[str, str]) -> str:
    """The text with every form of every secret replaced by a marker naming its variable."""
    for value, name in secrets.items():
        text = _forms(value).sub(f"[redacted {name}]", text)
    return text


def redact(value: Any, secrets: Mapping[str, str] | None = None) -> Any:
    """A copy of a value with secrets redacted in every string: JSON-like values (str, list,
    tuple, dict) and pydantic records; anything else is returned as it is."""
    secrets = secrets_in() if secrets is None else secrets
    if not secrets:
        return value
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, list | tuple):
        return type(value)(redact(item, secrets) for item in value)
    if isinstance(value, dict):
        return {key: redact(item, secrets) for key, item in value.items()}
    if isinstance(value, BaseModel):
        return type(value).model_validate(redact(value.model_dump(), secrets))
    return value
