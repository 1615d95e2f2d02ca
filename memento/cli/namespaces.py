"""The namespace a command's runs read and write, checked before anything starts.

`memento run` and `memento eval` fill a `namespace_template` from the context alone: a command
line has no per-run `config["configurable"]`. A template naming a value the context does not
hold would otherwise fail the first node, after the model and the MCP servers were started,
with a traceback; here it is one line saying what to set.
"""

from __future__ import annotations

from graphs.settings import ConfigError
from nodes.context import MementoContext


def check_run_namespace(ctx: MementoContext, command: str) -> None:
    """Raise ConfigError when `ctx`'s namespace template cannot be filled from `ctx` alone."""
    from memory.adapters.store_namespaces import NamespaceTemplateError
    from nodes.run_namespace import run_context

    try:
        run_context(ctx, {})
    except NamespaceTemplateError as exc:
        name = exc.missing
        if name is None:
            raise ConfigError(str(exc)) from None
        if name in MementoContext.field_names():
            fix = f'set "{name}" in the config file\'s "context"'
        else:
            fix = "only a run's config['configurable'] can (the Python API, LangGraph Server)"
        raise ConfigError(
            f"namespace_template {ctx.namespace_template!r} needs {name!r}, which memento "
            f"{command} takes from the context only: {fix}"
        ) from None
