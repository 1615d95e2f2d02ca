"""Errors from tool configuration and MCP sessions; each names the server or field at fault."""


class ToolConfigError(ValueError):
    """The MCP configuration is malformed or names a server that does not exist."""


class ToolServerError(RuntimeError):
    """An MCP server could not be started or stopped answering."""


class ToolServerCrashedError(ToolServerError):
    """An MCP server died during a call and again after its one restart: the task fails."""


class ToolSessionLoopError(ToolServerError):
    """An MCP session was used from another event loop than the one that opened it (a sync
    `graph.invoke` runs its nodes on a loop of their own): the task fails."""
