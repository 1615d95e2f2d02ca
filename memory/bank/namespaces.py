"""What a namespace may be: a tenant's or agent's name, never a path.

Namespaces reach the product from Studio and API run contexts, the CLI and Python callers, so
every entry point checks them with this one rule: 1-128 letters, digits and `_ . @ : -`, not
starting with a dot (so `..`, `/` and hidden names are impossible).
"""

from __future__ import annotations

import re

from memory.errors import CaseBankError

NAMESPACE_PATTERN = re.compile(r"[A-Za-z0-9_@:-][A-Za-z0-9_.@:-]{0,127}")
NAMESPACE_RULE = "1-128 letters, digits and _ . @ : - (not starting with a dot)"


def is_valid_namespace(namespace: object) -> bool:
    """Whether `namespace` is a string that follows the rule."""
    return isinstance(namespace, str) and NAMESPACE_PATTERN.fullmatch(namespace) is not None


def check_namespace(namespace: str) -> None:
    """Refuse a namespace that breaks the rule, naming it."""
    if not is_valid_namespace(namespace):
        raise CaseBankError(f"namespace {namespace!r} is not allowed: use {NAMESPACE_RULE}")
