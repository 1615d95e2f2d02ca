"""The file reader: every path that leaves the root is refused; what is inside reads well."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tools.servers.files import FilesError, FilesRoot

SECRET = "TOP-SECRET"


@pytest.fixture
def files(tmp_path: Path) -> FilesRoot:
    """A root with text, CSV, JSON and links in and out; a secret and a look-alike beside it."""
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "root2").mkdir()
    (tmp_path / "root2" / "x.txt").write_text(SECRET)
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "notes.txt").write_text("hello notes\n")
    (root / "sub" / "inner.txt").write_text("inner\n")
    (root / "data.csv").write_text('name,age,city\nAlice,30,"Paris, France"\nBob,25,Rome\n')
    (root / "cfg.json").write_text('{"b": [1, 2], "a": "é"}')
    (root / "link_in").symlink_to("notes.txt")
    (root / "link_out").symlink_to("../secret.txt")
    (root / "link_dir_out").symlink_to(tmp_path)
    (root / "link_abs").symlink_to("/etc/passwd")
    (root / "sub" / "link_up").symlink_to("../..")
    (root / "link_broken").symlink_to("missing.txt")
    return FilesRoot(root)


ESCAPES = [
    "../secret.txt",
    "../../../../../../etc/passwd",
    "sub/../../secret.txt",
    "./../secret.txt",
    "notes.txt/../../secret.txt",
    "sub/./../../secret.txt",
    "../root2/x.txt",  # a sibling whose name starts with the root's
    "sub/../../root2/x.txt",
    "/etc/passwd",
    "//etc/passwd",
    "/proc/self/root/etc/passwd",
    "~/.bashrc",
    "~root/.bashrc",
    "~",
    "notes.txt\x00.png",
    "\x00",
    "link_out",
    "link_dir_out/secret.txt",
    "link_dir_out/root2/x.txt",
    "link_abs",
    "sub/link_up/secret.txt",
    "sub/link_up",
    "%2e%2e/secret.txt",
    "..%2fsecret.txt",
    "%2e%2e%2fsecret.txt",
    "..%252fsecret.txt",
    "..\\secret.txt",
    "..\\..\\secret.txt",
    "....//secret.txt",
    "..;/secret.txt",
    "\u2025/secret.txt",  # two-dot leader
    "\uff0e\uff0e/secret.txt",  # fullwidth full stops
    "file:///etc/passwd",
    "a" * 5000,
]


@pytest.mark.parametrize("path", ESCAPES)
def test_paths_out_of_the_root_are_refused(files: FilesRoot, path: str) -> None:
    for attempt in (files.read_file, files.list_files):
        with pytest.raises(FilesError) as refused:
            attempt(path)
        assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../secret.txt", "outside the files root"),
        ("link_out", "outside the files root"),
        ("/etc/passwd", "absolute paths are refused"),
        ("~/.bashrc", "home-relative paths are refused"),
        ("notes.txt\x00.png", "NUL byte"),
        ("%2e%2e/secret.txt", "no file"),  # never URL-decoded: just a missing name
    ],
)
def test_refusals_say_why(files: FilesRoot, path: str, message: str) -> None:
    with pytest.raises(FilesError, match=message):
        files.read_file(path)


def test_the_listing_shows_what_is_inside_and_hides_links_out(files: FilesRoot) -> None:
    listing = files.list_files()
    names = [(e.name, e.type) for e in listing.entries]
    assert names == [
        ("sub", "dir"),
        ("cfg.json", "file"),
        ("data.csv", "file"),
        ("link_in", "file"),
        ("notes.txt", "file"),
    ]
    assert listing.path == "." and not listing.truncated
    assert [e.name for e in files.list_files("sub").entries] == ["inner.txt"]
    assert files.list_files("").path == "."


@pytest.mark.parametrize("path", ["notes.txt", "./notes.txt", "sub/../notes.txt", "link_in"])
def test_paths_that_stay_inside_are_read(files: FilesRoot, path: str) -> None:
    assert files.read_file(path) == "hello notes\n"


def test_csv_is_shown_as_rows(files: FilesRoot) -> None:
    assert files.read_file("data.csv").splitlines() == [
        "[3 rows, 3 columns; cells separated by ' | ']",
        "name | age | city",
        "Alice | 30 | Paris, France",
        "Bob | 25 | Rome",
    ]


def test_json_is_pretty_and_broken_json_is_shown_as_text(files: FilesRoot) -> None:
    expected = json.dumps({"b": [1, 2], "a": "é"}, indent=2, ensure_ascii=False)
    assert files.read_file("cfg.json") == expected
    (Path(files.root) / "bad.json").write_text('{"a": 1,}')
    shown = files.read_file("bad.json")
    assert shown.startswith("[not valid JSON (") and "line 1, column 9" in shown
    assert shown.endswith('{"a": 1,}')


def test_long_files_come_in_parts(files: FilesRoot) -> None:
    (Path(files.root) / "long.txt").write_text("0123456789" * 10)
    first = files.read_file("long.txt", max_chars=30)
    assert first == "0123456789" * 3 + "\n[characters 0-30 of 100; read on with start=30]"
    last = files.read_file("long.txt", max_chars=80, start=30)
    assert last.endswith("[characters 30-100 of 100; the end]")


def test_folders_missing_files_and_binaries_are_explained(files: FilesRoot) -> None:
    with pytest.raises(FilesError, match="is a folder; use list_files"):
        files.read_file("sub")
    with pytest.raises(FilesError, match="no file 'nope.txt'"):
        files.read_file("nope.txt")
    with pytest.raises(FilesError, match="no file 'link_broken'"):
        files.read_file("link_broken")
    with pytest.raises(FilesError, match="is a file; use read_file"):
        files.list_files("notes.txt")
    (Path(files.root) / "blob.bin").write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(FilesError, match="binary file"):
        files.read_file("blob.bin")


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF that shows `text` in Helvetica, with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_pdf_text_is_read_page_by_page(files: FilesRoot) -> None:
    pytest.importorskip("pypdf")
    (Path(files.root) / "doc.pdf").write_bytes(_minimal_pdf("Hello from a PDF"))
    assert files.read_file("doc.pdf") == "[page 1 of 1]\nHello from a PDF"


def test_pdf_without_pypdf_names_the_extra(
    files: FilesRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)  # makes `import pypdf` fail
    (Path(files.root) / "doc.pdf").write_bytes(_minimal_pdf("x"))
    with pytest.raises(FilesError, match=r"needs pypdf.*pip install pypdf"):
        files.read_file("doc.pdf")


def test_a_root_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FilesError, match="is not a folder"):
        FilesRoot(tmp_path / "missing")


def test_a_hard_link_to_a_file_outside_the_root_is_refused_and_not_listed(
    files: FilesRoot, tmp_path: Path
) -> None:
    """A hard link is another name of the same file: one inside the root may name a file
    outside it, which its path alone cannot show, so a file with a second link is refused."""
    os.link(tmp_path / "secret.txt", Path(files.root) / "hard.txt")
    with pytest.raises(FilesError, match="2 hard links") as refused:
        files.read_file("hard.txt")
    assert SECRET not in str(refused.value)
    assert "hard.txt" not in [e.name for e in files.list_files().entries]
    (Path(files.root) / "hard.txt").unlink()  # the outside file has one link again
    assert files.read_file("notes.txt") == "hello notes\n"
