"""Errors the case bank raises; each names what is wrong and what to do."""


class CaseBankError(RuntimeError):
    """Base class for case-bank failures."""


class BankInUseError(CaseBankError):
    """A local bank folder is open in another process (qdrant local mode allows one)."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"the case bank at {path!r} is already open in another process; embedded Qdrant "
            "allows one process per folder. Run a Qdrant server and set the store to its URL "
            "(e.g. MEMENTO_STORE=http://localhost:6333) to share a bank between processes."
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
