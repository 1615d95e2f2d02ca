"""A file reader MCP server, confined to one root folder.

Tools: `list_files(path=".")` and `read_file(path, max_chars, start)` for text, CSV/TSV (shown
as rows), JSON (pretty-printed) and PDF (text per page; needs the `pdf` extra, i.e. pypdf).

The root comes from ``--root PATH`` or ``$MEMENTO_FILES_ROOT``; ``--max-chars`` or
``$MEMENTO_FILES_MAX_CHARS`` caps what one read returns (default 100000). Every path is taken
relative to the root and refused unless it stays inside it once resolved: absolute paths, ``~``,
``..`` that climbs out, symlinks that point out, and NUL bytes are all refused; nothing is
URL-decoded, so ``%2e%2e`` is just a (missing) file name. A hard link cannot be told from the
file it links to, and one inside the root may name a file outside it, so a file with more than
one link is refused (and left out of listings); the check is made on the open file that is then
read. A symlink swapped between the check and the open could still escape: do not point the
root at a folder an adversary can write to.
Run it alone with ``python -m tools.servers.files --root DIR``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mcp.server.fastmcp import FastMCP

DEFAULT_READ_CHARS = 20_000
MAX_READ_CHARS = 100_000
MAX_FILE_BYTES = 20 << 20
MAX_ENTRIES = 1_000


class FilesError(ValueError):
    """The path is refused, missing or unreadable; the message says which and why."""


@dataclass
class Entry:
    """One item of a folder listing; `size` is in bytes (None for folders)."""

    name: str
    type: str
    size: int | None


@dataclass
class Listing:
    """A folder's entries (folders first), its path relative to the root, and whether cut."""

    path: str
    entries: list[Entry]
    truncated: bool


class FilesRoot:
    """The folder the tools may read, and the rules that keep every path inside it."""

    def __init__(self, root: str | Path, max_chars: int = MAX_READ_CHARS) -> None:
        self.root = os.path.realpath(os.path.expanduser(root))
        if not os.path.isdir(self.root):
            raise FilesError(f"files root {str(root)!r} is not a folder")
        self.max_chars = max_chars

    def resolve(self, path: str) -> Path:
        """The real path of `path` under the root; FilesError when it would leave the root."""
        if "\x00" in path:
            raise FilesError("the path contains a NUL byte")
        if path.startswith("~"):
            raise FilesError(f"{path!r}: home-relative paths are refused; give a path in the root")
        if os.path.isabs(path):
            raise FilesError(f"{path!r}: absolute paths are refused; give a path in the root")
        real = os.path.realpath(os.path.join(self.root, path or "."))
        if os.path.commonpath([self.root, real]) != self.root:
            raise FilesError(f"{path!r} is outside the files root")
        return Path(real)

    def relative(self, real: Path) -> str:
        return os.path.relpath(real, self.root)

    def list_files(self, path: str = ".") -> Listing:
        """The folder's files and folders; links that lead out of the root are left out."""
        folder = self.resolve(path)
        try:
            children = sorted(folder.iterdir(), key=lambda p: p.name)
        except NotADirectoryError:
            raise FilesError(f"{path!r} is a file; use read_file to read it") from None
        except FileNotFoundError:
            raise FilesError(f"no folder {path!r} under the files root") from None
        except OSError as exc:
            raise FilesError(f"{path!r} cannot be listed: {exc.strerror or exc}") from exc
        entries = []
        for child in children:
            try:
                real = self.resolve(self.relative(folder / child.name))
                kind = "dir" if real.is_dir() else "file"
                info = real.stat()
            except (FilesError, OSError):
                continue  # a link out of the root, or a broken one
            if kind == "file" and info.st_nlink > 1:
                continue  # a hard link, which read_file refuses
            size = None if kind == "dir" else info.st_size
            entries.append(Entry(name=child.name, type=kind, size=size))
        entries.sort(key=lambda e: e.type != "dir")
        return Listing(
            path=self.relative(folder),
            entries=entries[:MAX_ENTRIES],
            truncated=len(entries) > MAX_ENTRIES,
        )

    def read_file(self, path: str, max_chars: int = DEFAULT_READ_CHARS, start: int = 0) -> str:
        """The file rendered as text, from character `start`, at most `max_chars` characters."""
        if max_chars < 1 or start < 0:
            raise FilesError("max_chars must be positive and start must not be negative")
        max_chars = min(max_chars, self.max_chars)
        real = self.resolve(path)
        try:
            if real.is_dir():
                raise FilesError(f"{path!r} is a folder; use list_files to see what it holds")
            if not real.is_file():
                raise FilesError(f"no file {path!r} under the files root")
            with _open_one_link(real, path) as file:
                text = render(file, real.name)
        except OSError as exc:
            raise FilesError(f"{path!r} cannot be read: {exc.strerror or exc}") from exc
        shown = text[start : start + max_chars]
        end = start + len(shown)
        if start == 0 and end == len(text):
            return shown
        more = f"read on with start={end}" if end < len(text) else "the end"
        return f"{shown}\n[characters {start}-{end} of {len(text)}; {more}]"


def _open_one_link(real: Path, shown: str) -> BinaryIO:
    """`real` opened for reading, once the open file is known to be a regular file with one
    link: a hard link in the root may be another name of a file outside it, and nothing on
    the file says which name is the original, so any file with a second name is refused."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(real, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FilesError(f"no file {shown!r} under the files root")
        if info.st_nlink > 1:
            raise FilesError(
                f"{shown!r} has {info.st_nlink} hard links, and a hard link may lead out of the "
                "files root: files with more than one link are refused"
            )
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def render(file: BinaryIO, name: str) -> str:
    """An open file's content as text, by the extension of `name`: CSV/TSV as rows, JSON
    pretty, PDF per page."""
    size = os.fstat(file.fileno()).st_size
    suffix = Path(name).suffix.lower()
    if size > MAX_FILE_BYTES and suffix in (".csv", ".tsv", ".json", ".pdf"):
        raise FilesError(f"{name!r} is {size} bytes, over the {MAX_FILE_BYTES} bytes we parse")
    if suffix == ".pdf":
        return _render_pdf(file, name)
    raw = file.read(MAX_FILE_BYTES)
    if b"\x00" in raw[:8192]:
        raise FilesError(
            f"{name!r} is a binary file ({size} bytes); read_file shows text, CSV, JSON, PDF"
        )
    text = raw.decode("utf-8-sig", errors="replace")
    if suffix in (".csv", ".tsv"):
        return _render_csv(text, delimiter="\t" if suffix == ".tsv" else ",")
    if suffix == ".json":
        return _render_json(text)
    return text


def _render_csv(text: str, delimiter: str) -> str:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    width = max((len(row) for row in rows), default=0)
    lines = [" | ".join(cell.strip() for cell in row) for row in rows]
    return "\n".join([f"[{len(rows)} rows, {width} columns; cells separated by ' | ']", *lines])


def _render_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        return f"[not valid JSON ({where}); shown as text]\n{text}"


def _render_pdf(file: BinaryIO, name: str) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:
        raise FilesError("reading PDF needs pypdf (the pdf extra): pip install pypdf") from None
    try:
        reader = PdfReader(file)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError) as exc:
        raise FilesError(f"{name!r} is not a readable PDF: {exc}") from exc
    return "\n\n".join(f"[page {n} of {len(pages)}]\n{text}" for n, text in enumerate(pages, 1))


def build_server(files: FilesRoot) -> FastMCP:
    """The MCP server with `list_files` and `read_file` over `files`."""
    mcp = FastMCP("files", log_level="WARNING")

    @mcp.tool()
    def list_files(path: str = ".") -> Listing:
        """List the files and folders at a path relative to the files root ("." is the root)."""
        return files.list_files(path)

    @mcp.tool()
    def read_file(path: str, max_chars: int = DEFAULT_READ_CHARS, start: int = 0) -> str:
        """Read a file under the files root: text, CSV/TSV (as rows), JSON (pretty) or PDF.
        Long files come in parts: pass start to read on from where the last part ended."""
        return files.read_file(path, max_chars, start)

    return mcp


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Memento's file reader MCP server (stdio).")
    parser.add_argument(
        "--root",
        default=os.environ.get("MEMENTO_FILES_ROOT"),
        help="the folder the tools may read (env MEMENTO_FILES_ROOT)",
    )
    parser.add_argument(
        "--max-chars",
        type=int,
        default=os.environ.get("MEMENTO_FILES_MAX_CHARS", str(MAX_READ_CHARS)),
        help=f"most characters one read returns (env MEMENTO_FILES_MAX_CHARS; {MAX_READ_CHARS})",
    )
    args = parser.parse_args(argv)
    if not args.root:
        parser.error("no root: pass --root DIR or set MEMENTO_FILES_ROOT")
    try:
        files = FilesRoot(args.root, max_chars=args.max_chars)
    except FilesError as exc:
        parser.error(str(exc))
    build_server(files).run()


if __name__ == "__main__":
    main()
