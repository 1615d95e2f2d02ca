"""Keeping secrets out of the bank and the logs: API keys and tokens are replaced by a marker.

A secret is the value of an environment variable whose name says it is one (API_KEY, TOKEN,
SECRET, PASSWORD, ...), at least 8 characters long. A tool that echoes the environment, or a
model that repeats a key it saw, then leaves "[redacted OPENAI_API_KEY]" in the case instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

SECRET_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY)", re.I)
MIN_SECRET_CHARS = 8


def secrets_in(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Secret value -> the name of the variable holding it, longest values first."""
    environ = os.environ if environ is None else environ
    found = {
        value: name
        for name, value in environ.items()
        if SECRET_NAME.search(name) and len(value) >= MIN_SECRET_CHARS
    }
    return dict(sorted(found.items(), key=lambda item: -len(item[0])))


def redact_text(text: str, secrets: Mapping[str, str]) -> str:
    """The text with every secret value replaced by a marker naming its variable."""
    for value, name in secrets.items():
        if value in text:
            text = text.replace(value, f"[redacted {name}]")
    return text


def redact(value: Any, secrets: Mapping[str, str] | None = None) -> Any:
    """A copy of a JSON-like value (str, list, dict) with secrets redacted in every string."""
    secrets = secrets_in() if secrets is None else secrets
    if not secrets:
        return value
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: redact(item, secrets) for key, item in value.items()}
    return value
