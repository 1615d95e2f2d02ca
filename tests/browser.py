"""A page loaded in a real headless Chromium, and the loaded DOM read back as elements.

Chromium (Debian's package; `make test` installs it) loads the file with `--dump-dom` and logs the
page's console to stderr: every script error, `console.error`, and every fetch or script that
the page's Content Security Policy refused shows there as a `CONSOLE` line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser")
LOAD_TIMEOUT_S = 120
_CONSOLE = re.compile(r":CONSOLE(?::\d+)?\]\s*(.*)")


def chromium() -> str:
    """The browser's path; skips the test where none is installed, unless CI requires one
    (`MEMENTO_REQUIRE_BROWSER=1`, set by `.ci/run`), where that is a failure."""
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    reason = (
        "no chromium: `make test` installs Debian's `chromium` as root with apt-get; without "
        "root or apt, install it yourself to run the browser checks"
    )
    if os.environ.get("MEMENTO_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class PageLoad:
    dom: str
    console: list[str]
    seconds: float


def load(page: Path, profile: Path) -> PageLoad:
    """Load `page` headless; the DOM after loading and the console lines it logged."""
    command = [
        chromium(),
        "--headless",
        "--disable-gpu",
        "--no-sandbox",  # root in CI containers; the page runs no script anyway
        "--no-first-run",
        f"--user-data-dir={profile}",  # its own profile: runs beside other browsers
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=LOAD_TIMEOUT_S)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    console = [m.group(1) for line in done.stderr.splitlines() if (m := _CONSOLE.search(line))]
    return PageLoad(done.stdout, console, seconds)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def find_all(self, tag: str, css: str | None = None) -> list[Element]:
        """Descendants with that tag (and that class), in document order."""
        found = []
        for child in self.children:
            if child.tag == tag and (css is None or css in child.attrs.get("class", "").split()):
                found.append(child)
            found += child.find_all(tag, css)
        return found


VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source", "wbr", "area", "base"}


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data


def parse(html: str) -> Element:
    """The document as a tree of elements, each with all the text inside it."""
    tree = _Tree()
    tree.feed(html)
    tree.close()
    return tree.root
