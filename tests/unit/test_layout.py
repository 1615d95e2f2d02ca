"""The house keeps its shape: imports flow one way, no circles, no module over 300 lines.

Read from the source (every `import`, type-only and function-local ones included), so a new
module that imports its host, a node that reaches into another node, or `memory` reaching up
into the graph fails here, not in a reviewer's head. See DESIGN.md, "Layout".
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("memento", "graphs", "nodes", "memory", "tools", "evals", "benchmarks")
MAX_LINES = 300

# What each top-level package may import from the others: `memento` -> `graphs` -> `nodes` ->
# `memory`, `tools`; `evals` and `benchmarks` drive the product from outside.
ALLOWED = {
    "memento": {"graphs", "nodes", "memory", "tools", "evals"},
    "graphs": {"nodes", "memory", "tools"},
    "nodes": {"memory", "tools"},
    "memory": set(),
    "tools": set(),
    "evals": {"memento", "graphs", "nodes", "memory", "tools"},
    "benchmarks": {"memento", "graphs", "nodes", "memory", "tools", "evals"},
}
# Rooms of `memory`: a room imports only rooms of a lower rank (and itself).
MEMORY_RANK = {
    "errors": 0,
    "exports": 0,
    "embeddings": 0,
    "engines": 1,
    "bank": 2,
    "policy": 3,
    "care": 4,
    "adapters": 4,
}
NODES = ("retrieve", "plan", "execute", "judge", "write_case", "update_q")


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _home(name: str) -> str | None:
    """The project module an imported name lives in (None: not ours)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


@cache
def imports() -> dict[str, set[str]]:
    """Each project module's imports of other project modules."""
    arrows: dict[str, set[str]] = {}
    for module, path in modules().items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                names = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            targets |= {home for name in names if (home := _home(name)) not in (None, module)}
        arrows[module] = targets
    return arrows


def _circles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    arrows, index, low, stack, on_stack, found = imports(), {}, {}, [], set(), []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in arrows[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while not group or group[-1] != module:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for module in arrows:
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_its_way_back_to_itself() -> None:
    assert _circles() == []


def test_imports_flow_one_way_between_packages() -> None:
    wrong = [
        f"{module} -> {target}"
        for module, targets in imports().items()
        for target in targets
        if (top := module.split(".")[0]) != (other := target.split(".")[0])
        and other not in ALLOWED[top]
    ]
    assert wrong == []


def test_memory_rooms_import_only_rooms_below_them() -> None:
    def room(module: str) -> str | None:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else None  # None: the package's face

    wrong = []
    for module, targets in imports().items():
        if not module.startswith("memory.") or module.endswith("__init__"):
            continue
        if modules()[module].name == "__init__.py":
            continue  # a room's face names its own modules
        for target in targets:
            if not target.startswith("memory"):
                continue
            mine, theirs = room(module), room(target)
            if theirs is None or (mine != theirs and MEMORY_RANK[theirs] >= MEMORY_RANK[str(mine)]):
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_nodes_know_nothing_of_each_other() -> None:
    node_modules = {f"nodes.{name}" for name in NODES}
    wrong = [
        f"{module} -> {target}"
        for module in node_modules
        for target in imports()[module]
        if target in node_modules
    ]
    assert wrong == []


def test_no_module_over_300_lines() -> None:
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def _public_names(face: Path) -> set[str]:
    """The names a package's face exports (its `__all__`, read from the source)."""
    for node in ast.parse(face.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
    return set()


def test_no_public_name_is_also_a_module_of_its_package() -> None:
    """`from memory.care import explain` must give the function whatever was imported before:
    importing a submodule `explain` binds the package's attribute to the module, so a lazy
    export of the same name would be shadowed."""
    clashes = [
        f"{package}.{name}"
        for package, path in modules().items()
        if path.name == "__init__.py"
        for name in _public_names(path)
        if (path.parent / f"{name}.py").exists() or (path.parent / name / "__init__.py").exists()
    ]
    assert clashes == []
