"""A shared bank seen from a process that does not hold it: the `VectorStore` calls sent to
the holder over loopback (`memory.engines.served`), and `open_shared`, which decides which of
the two this process is (`memory.engines.sharing`).

Calls travel pickled (after both sides proved they hold the key), each on a connection of a
small pool, so this process's threads search at once. When the holder goes (it closed the
bank, or exited), a call finds the next holder, or takes the folder itself and holds the bank
from then on, and is made again: every served call is a read or a write by id or filter, so
making it twice leaves the bank as making it once. Only a scroll cut off midway cannot resume
(its pages were the old holder's); it raises a `CaseBankError` that says so.
"""

from __future__ import annotations

import errno
import importlib
import pickle
import threading
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from memory.engines.protocol import (
    EVERYWHERE,
    Engine,
    GroupHit,
    GroupValues,
    ScoredPoint,
    StoredPoint,
    ValueOf,
    VectorStore,
    Where,
)
from memory.engines.served import ServedStore
from memory.engines.sharing import HolderLock, Serving, claim_or_find, connect
from memory.errors import CaseBankError

Opener = Callable[[], VectorStore]


def open_shared(folder: Path, open_engine: Opener) -> VectorStore:
    """The bank in `folder`: held and served by this process if no other holds it, else
    reached through the one that does."""
    try:
        found = claim_or_find(folder)
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
        return open_engine()  # a folder this process cannot write: the engine says what is wrong
    if isinstance(found, HolderLock):
        return _hold(folder, found, open_engine)
    return RemoteStore(folder, *found, open_engine=open_engine)


def _hold(folder: Path, lock: HolderLock, open_engine: Opener) -> ServedStore:
    try:
        return ServedStore(open_engine(), folder, lock)
    except BaseException:
        lock.release()
        raise


class RemoteStore:
    """A bank held by another process on this machine (`VectorStore`)."""

    concurrent_reads = True  # the holder runs each call under its own lock where needed

    def __init__(
        self, folder: Path, conn: Connection, serving: Serving, *, open_engine: Opener
    ) -> None:
        self.folder = folder
        self._open_engine = open_engine
        self._serving = serving
        self._idle: list[Connection] = [conn]
        self._guard = threading.Lock()  # the pool
        self._moving = threading.Lock()  # finding the next holder, one thread at a time
        self._generation = 0
        self._held: ServedStore | None = None  # set once this process took the bank over
        self._specs: dict[str, dict[str, Any]] = {}
        self.holder_pid = serving.pid
        self.engine: Engine = self.call("hello")["engine"]

    @property
    def held_elsewhere(self) -> bool:
        """Whether another process holds the bank (False once this one took it over)."""
        return self._held is None

    # -- VectorStore -----------------------------------------------------------------------
    def stored_dim(self, name: str) -> int | None:
        return self.call("stored_dim", None, name)  # type: ignore[no-any-return]

    def collection(
        self,
        name: str,
        *,
        dim: int,
        keyword_fields: Sequence[str],
        vector_index: bool,
        read_keys: Sequence[str] | None = None,
    ) -> RemoteCollection:
        spec = {
            "dim": dim,
            "keyword_fields": tuple(keyword_fields),
            "vector_index": vector_index,
            "read_keys": None if read_keys is None else tuple(read_keys),
        }
        self.call("collection", name, **spec)
        self._specs[name] = spec
        return RemoteCollection(self, name)

    def drop(self, name: str) -> None:
        self.call("drop", None, name)
        self._specs.pop(name, None)

    def optimize(self) -> None:
        self.call("optimize")

    def warm_up(self) -> int:
        return 0  # the holder warmed its files when it opened them

    def wait_until_warm(self) -> None:
        self.call("wait_until_warm")

    def defer_indexing(self, deferred: bool) -> None:
        self.call("defer_indexing", None, deferred)

    def close(self) -> None:
        with self._guard:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        if self._held is not None:
            self._held.close()

    # -- calls -----------------------------------------------------------------------------
    def call(self, op: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        """One served call, made again once after the holder went and another was found."""
        for attempt in range(2):
            if self._held is not None:
                return self._held.handle(op, name, args, kwargs)
            generation = self._generation
            try:
                conn = self._take()
                conn.send_bytes(pickle.dumps((op, name, args, kwargs), pickle.HIGHEST_PROTOCOL))
                reply = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError) as exc:
                if attempt:
                    raise CaseBankError(
                        f"the process serving the bank at {self.folder} (pid {self.holder_pid}) "
                        f"went away and the bank could not be reached again ({exc}); open it "
                        "again"
                    ) from exc
                self._find_holder(generation)
                continue
            with self._guard:
                self._idle.append(conn)
            if reply[0] == "ok":
                return reply[1]
            raise _rebuilt(*reply[1:])
        raise AssertionError("unreachable")

    def _take(self) -> Connection:
        with self._guard:
            if self._idle:
                return self._idle.pop()
        return connect(self._serving)

    def _find_holder(self, generation: int) -> None:
        """After a lost connection: connect to the holder now serving the bank, or hold it."""
        with self._moving:
            if generation != self._generation:
                return  # another thread found it already
            with self._guard:
                dead, self._idle = self._idle, []
            for conn in dead:
                conn.close()
            try:
                found = claim_or_find(self.folder)
            except CaseBankError as exc:
                raise CaseBankError(
                    f"the process serving the bank at {self.folder} (pid {self.holder_pid}) went "
                    f"away, and the bank could not be reached again: {exc}"
                ) from exc
            if isinstance(found, HolderLock):
                held = _hold(self.folder, found, self._open_engine)
                for name, spec in self._specs.items():
                    held.collection(name, **spec)
                self._held = held
            else:
                conn, self._serving = found
                self.holder_pid = self._serving.pid
                with self._guard:
                    self._idle.append(conn)
            self._generation += 1


class RemoteCollection:
    """One collection of a bank held by another process (`Collection`)."""

    def __init__(self, store: RemoteStore, name: str) -> None:
        self.store = store
        self.name = name

    def upsert(self, points: Sequence[tuple[StoredPoint, Sequence[float]]]) -> None:
        self.store.call("upsert", self.name, list(points))

    def retrieve(
        self,
        ids: Sequence[str],
        *,
        with_vectors: bool = False,
        payload_keys: Sequence[str] | None = None,
    ) -> list[StoredPoint]:
        keys = None if payload_keys is None else list(payload_keys)
        return self.store.call(  # type: ignore[no-any-return]
            "retrieve", self.name, list(ids), with_vectors=with_vectors, payload_keys=keys
        )

    def search(self, vector: Sequence[float], *, where: Where, limit: int) -> list[ScoredPoint]:
        return self.store.call("search", self.name, vector, where=where, limit=limit)  # type: ignore[no-any-return]

    def nearest_per_group(
        self,
        vector: Sequence[float],
        *,
        key: str,
        groups: Sequence[str],
        per_group: int,
        payload_keys: Sequence[str],
        where: Where = EVERYWHERE,
    ) -> list[GroupHit]:
        found = self.store.call(
            "nearest_per_group", self.name, vector, key=key, groups=list(groups),
            per_group=per_group, payload_keys=list(payload_keys), where=where,
        )  # fmt: skip
        return [GroupHit(*hit) for hit in found]

    def nearest_values_per_group(
        self,
        vector: Sequence[float],
        *,
        key: str,
        groups: Sequence[str],
        per_group: int,
        where: Where,
        value_of: ValueOf,
    ) -> GroupValues | None:
        """Served where `value_of` is a module's function (sent by name, as pickle does);
        None for any other (a lambda): the caller reads `nearest_per_group` instead."""
        try:
            pickle.dumps(value_of)
        except (pickle.PicklingError, AttributeError, TypeError):
            return None
        found = self.store.call(
            "nearest_values_per_group", self.name, vector, key=key, groups=list(groups),
            per_group=per_group, where=where, value_of=value_of,
        )  # fmt: skip
        return None if found is None else GroupValues(*found)

    def delete(self, ids: Sequence[str]) -> None:
        self.store.call("delete", self.name, list(ids))

    def delete_where(self, where: Where) -> None:
        self.store.call("delete_where", self.name, where)

    def count(self, where: Where) -> int:
        return self.store.call("count", self.name, where)  # type: ignore[no-any-return]

    def scroll(self, where: Where, *, with_vectors: bool = False) -> Iterator[StoredPoint]:
        page, token = self.store.call("scroll", self.name, where, with_vectors=with_vectors)
        yield from page
        while token is not None:
            page, token = self.store.call("next", self.name, token)
            yield from page


def _rebuilt(module: str, qualname: str, message: str) -> BaseException:
    """The holder's exception, raised here as the same type where it is one of ours or a
    builtin (its message as sent), else as a CaseBankError naming it."""
    kind: Any = None
    if module == "builtins" or module.split(".")[0] == "memory":
        try:
            kind = importlib.import_module(module)
            for part in qualname.split("."):
                kind = getattr(kind, part)
        except (ImportError, AttributeError):
            kind = None
    if isinstance(kind, type) and issubclass(kind, Exception):
        error = kind.__new__(kind)
        error.args = (message,)
        return error
    return CaseBankError(f"{qualname} in the process serving the bank: {message}")
