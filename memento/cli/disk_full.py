"""A failure whose cause is a full disk, told in one line whichever layer noticed it.

The bank refuses a write itself when its disk is nearly full (`memory.engines.edge_shards`);
everything else that writes (an export, a report, the checkpoints of `run --thread`) learns of
a full disk from the OS or from SQLite, deep in a chain of exceptions: the user needs the
cause, not the traceback.
"""

from __future__ import annotations

import errno
import sys


def disk_full(exc: BaseException) -> str | None:
    """One line for a failure whose cause is a full disk (the OS's ENOSPC, SQLite's "database
    or disk is full", e.g. the checkpoints of `run --thread`), or None for any other."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            where = f" to write {seen.filename}" if seen.filename else ""
            return f"no space left on the disk{where}: free some space and try again"
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 and isinstance(seen, sqlite3.OperationalError) and "disk is full" in str(seen):
            return (
                "a SQLite file (e.g. the checkpoints of --thread) cannot be written: its disk "
                "is full; free some space and try again"
            )
        seen = seen.__cause__ or seen.__context__
    return None
