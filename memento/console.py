"""The `memento` console script and `python -m memento`: process defaults, then the CLI.

What must be set before numpy loads is set here, first: the command line's own modules import
numpy (through `memory`) as they load.

One BLAS thread. numpy's OpenBLAS starts a thread per core and keeps them spinning after each
product. A retrieve's products are small (one query against at most 65k rows), and a server's
parallelism comes from serving several tasks at once: on 2 cores the spinning thread took the
core that writes and the event loop needed, and a live bank's retrieve p99 rose from 2.8x to
7.3x its p50 while cases arrived (`benchmarks/live_growth.py`; docs/case-bank.md).
The variables are read once, when numpy loads; a value the user set is kept. `langgraph.json`
sets the same for `langgraph dev`; an app embedding Memento sets them itself.
"""

from __future__ import annotations

import os

ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def one_blas_thread() -> None:
    """Default numpy's BLAS to one thread in this process (before numpy loads)."""
    for name, value in ONE_BLAS_THREAD.items():
        os.environ.setdefault(name, value)


def main() -> int:
    """Entry point of the console script; returns the process exit status."""
    one_blas_thread()
    from memento.cli import main as run_command_line

    return run_command_line()
