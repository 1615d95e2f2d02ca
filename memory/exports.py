"""A package's public names, imported on first use (PEP 562).

`memento --help`, `memento cases list` and the local model server import a package's face to
reach one name; importing every module behind it (LangGraph, LangChain, Qdrant, numpy) would
make each of them wait seconds for nothing. A face lists where each name lives and this module
imports the home only when the name is first read.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """The `__getattr__` of a package whose public `name` lives in module `homes[name]`."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
