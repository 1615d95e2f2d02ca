"""Errors the case bank raises; each names what is wrong and what to do."""


class CaseBankError(RuntimeError):
    """Base class for case-bank failures."""


class BankInUseError(CaseBankError):
    """A local bank folder is open in another process that does not share it with this one
    (an embedded engine allows one process per folder; on one machine the holder serves the
    bank to the others unless MEMENTO_SHARE_BANK=0: `memory.engines.sharing`)."""

    def __init__(self, path: str, why: str = "") -> None:
        why = why or (
            "embedded Qdrant allows one process per folder, and this process or the one holding "
            "it does not share it (MEMENTO_SHARE_BANK=0, or an older Memento)"
        )
        super().__init__(
            f"the case bank at {path!r} is already open in another process; {why}. On one "
            "machine, leave MEMENTO_SHARE_BANK unset in both so that the holder serves it; past "
            "one machine, run a Qdrant server and set the store to its URL "
            "(e.g. MEMENTO_STORE=http://localhost:6333)."
        )


class EmbeddingSizeMismatchError(CaseBankError):
    """The bank was built with another embedder than the one in use now."""

    def __init__(self, collection: str, stored: int, given: int) -> None:
        super().__init__(
            f"collection {collection!r} holds {stored}-d vectors but the embedder gives {given}-d; "
            "use the embedder the bank was built with, or another store location or namespace"
        )


class CrossNamespaceError(CaseBankError):
    """A record names a case of another namespace than its own: refused, never stored."""
