"""The holder's side of a shared bank: its engine, used directly by its own process and served
to the others on this machine over a loopback socket (`memory.engines.sharing`).

Only the engine's own operations are served, the `VectorStore` and `Collection` calls that
`BankStorage` makes, so a process using the bank through the holder runs the same bank logic
(dedup, visits, namespaces, redaction) as the holder itself. One thread per connection; every
call takes the store's lock as `BankStorage` would (writes, counts, reads by id and pages of a
scroll; searches too where the engine cannot search beside a write), and the holder's
`BankStorage` uses that same lock (`lock_of`), so the holder's writes and the served ones never
interleave (a write updates the engine, then its exact copy).
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from multiprocessing.connection import Connection, Listener, answer_challenge, deliver_challenge
from pathlib import Path
from typing import Any

from memory.engines.protocol import Collection, Engine, VectorStore
from memory.engines.sharing import HOST, HolderLock, announce, new_key, withdraw
from memory.errors import CaseBankError

_log = logging.getLogger(__name__)

PAGE = 512
"""Points a scroll sends per reply."""
MAX_OPEN_SCROLLS = 256
"""Scrolls left unfinished by their readers that are kept before the oldest is dropped."""
_SEARCHES = ("search", "nearest_per_group", "nearest_values_per_group")


class ServedStore:
    """An engine held by this process and served to the others (`VectorStore`)."""

    def __init__(self, inner: VectorStore, folder: Path, holder: HolderLock) -> None:
        self.inner = inner
        self.folder = folder
        self.engine: Engine = inner.engine
        self.concurrent_reads = inner.concurrent_reads
        self.lock = threading.RLock()
        self._holder: HolderLock | None = holder
        self._collections: dict[str, Collection] = {}
        self._scrolls: dict[int, Iterator[Any]] = {}
        self._scroll_ids = itertools.count(1)
        self._server: _Server | None = None

    # -- VectorStore -----------------------------------------------------------------------
    def stored_dim(self, name: str) -> int | None:
        with self.lock:
            return self.inner.stored_dim(name)

    def collection(
        self,
        name: str,
        *,
        dim: int,
        keyword_fields: Sequence[str],
        vector_index: bool,
        read_keys: Sequence[str] | None = None,
    ) -> Collection:
        """The collection, opened once for the holder and every process it serves."""
        with self.lock:
            if name not in self._collections:
                self._collections[name] = self.inner.collection(
                    name,
                    dim=dim,
                    keyword_fields=keyword_fields,
                    vector_index=vector_index,
                    read_keys=read_keys,
                )
            if self._server is None and self._holder is not None:
                # The engine opened, so this process holds it: say where it is served.
                self._server = _Server(self)
            return self._collections[name]

    def drop(self, name: str) -> None:
        with self.lock:
            self._collections.pop(name, None)
            self.inner.drop(name)

    def optimize(self) -> None:
        with self.lock:
            self.inner.optimize()

    def warm_up(self) -> int:
        return self.inner.warm_up()

    def wait_until_warm(self) -> None:
        self.inner.wait_until_warm()

    def defer_indexing(self, deferred: bool) -> None:
        with self.lock:
            self.inner.defer_indexing(deferred)

    def close(self) -> None:
        """Stop serving (each served process then finds the next holder, or becomes it), then
        close the engine and let go of the folder."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        with self.lock:
            withdraw(self.folder)
            self.inner.close()
            self._collections.clear()
            if self._holder is not None:
                self._holder.release()
                self._holder = None

    # -- the served operations -------------------------------------------------------------
    def handle(
        self, op: str, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Run one served call: a store's (name None) or a collection's."""
        if op == "hello":
            return {"engine": self.engine, "pid": os.getpid()}
        if name is None:
            if op not in ("stored_dim", "drop", "optimize", "wait_until_warm", "defer_indexing"):
                raise CaseBankError(f"not a served operation: {op!r}")
            return getattr(self, op)(*args, **kwargs)
        if op == "collection":
            self.collection(name, **kwargs)
            return None
        guard: AbstractContextManager[object] = self.lock
        if op in _SEARCHES and self.concurrent_reads:
            guard = nullcontext()
        with guard:
            if op == "scroll":
                return self._page(iter(self._open(name).scroll(*args, **kwargs)))
            if op == "next":
                (token,) = args
                points = self._scrolls.pop(token, None)
                if points is None:
                    raise CaseBankError(
                        "a read in pages was cut off: the process serving the bank changed "
                        "midway; run it again"
                    )
                return self._page(points)
            if op not in (*_SEARCHES, "upsert", "retrieve", "delete", "delete_where", "count"):
                raise CaseBankError(f"not a served operation: {op!r}")
            return getattr(self._open(name), op)(*args, **kwargs)

    def _open(self, name: str) -> Collection:
        try:
            return self._collections[name]
        except KeyError:
            raise CaseBankError(f"collection {name!r} is not open in the serving process") from None

    def _page(self, points: Iterator[Any]) -> tuple[list[Any], int | None]:
        page = list(itertools.islice(points, PAGE))
        if len(page) < PAGE:
            return page, None
        token = next(self._scroll_ids)
        self._scrolls[token] = points
        while len(self._scrolls) > MAX_OPEN_SCROLLS:
            self._scrolls.pop(next(iter(self._scrolls)))
        return page, token


def lock_of(store: VectorStore) -> threading.RLock | None:
    """The lock a served store's calls take, which its holder's bank must take too."""
    return store.lock if isinstance(store, ServedStore) else None


class _Server:
    """The loopback listener: a thread accepting connections, a thread for each."""

    def __init__(self, store: ServedStore) -> None:
        self.store = store
        self.key = new_key()
        self.listener = Listener((HOST, 0), family="AF_INET", backlog=64)
        self.connections: set[Connection] = set()
        self._guard = threading.Lock()
        self._stopped = False
        threading.Thread(target=self._accept, name="memento-bank-server", daemon=True).start()
        announce(store.folder, self.listener.address[1], self.key)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                conn = self.listener.accept()
            except OSError:
                return  # the listener closed
            with self._guard:
                if self._stopped:
                    conn.close()
                    return
                self.connections.add(conn)
            threading.Thread(
                target=self._serve, args=(conn,), name="memento-bank-client", daemon=True
            ).start()

    def _serve(self, conn: Connection) -> None:
        deferred = False
        try:
            # Both sides prove they hold the key before any request is unpickled.
            deliver_challenge(conn, self.key)
            answer_challenge(conn, self.key)
            while True:
                data = conn.recv_bytes()
                try:
                    op, name, args, kwargs = pickle.loads(data)
                    if op == "defer_indexing":
                        deferred = bool(args[0])
                    reply: tuple[Any, ...] = ("ok", self.store.handle(op, name, args, kwargs))
                except Exception as exc:  # sent back, raised in the caller's process
                    reply = ("error", type(exc).__module__, type(exc).__qualname__, str(exc))
                conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as exc:  # a client gone (EOFError, OSError), or refused
            _log.debug("bank client connection ended: %r", exc)
        finally:
            if deferred and not self._stopped:  # an import cut off must not leave it deferred
                _quietly(lambda: self.store.defer_indexing(False))
            with self._guard:
                self.connections.discard(conn)
            conn.close()

    def stop(self) -> None:
        """Stop accepting, and end every connection (a blocked read sees the end at once)."""
        with self._guard:
            self._stopped = True
            connections = list(self.connections)
        # A thread blocked in accept() does not wake when its socket closes: wake it first.
        _quietly(lambda: socket.create_connection(self.listener.address, timeout=1).close())
        self.listener.close()
        for conn in connections:
            _quietly(lambda c=conn: _shut(c))


def _shut(conn: Connection) -> None:
    with socket.socket(fileno=os.dup(conn.fileno())) as sock:
        sock.shutdown(socket.SHUT_RDWR)


def _quietly(call: Callable[[], object]) -> None:
    try:
        call()
    except Exception as exc:
        _log.debug("ignored while closing a shared bank: %s", exc)
