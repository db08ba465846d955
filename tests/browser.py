"""Loading the HTML class report in headless Chromium, and reading back what the page shows."""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tools.screenshot_report import find_chromium, headless

# Chromium logs each console message (console.error, an uncaught exception, a blocked load or script) with
# --enable-logging=stderr as `...:INFO:CONSOLE:12] "Uncaught ReferenceError: ...", source: file:///... (12)`;
# older versions write CONSOLE(12)].
CONSOLE = re.compile(r":CONSOLE[:(]\d+\)?\]")


def require_chromium() -> str:
    """Skip when Chromium is absent, except in CI, where .ci/run installs it and its absence is a failure."""
    chromium = find_chromium()
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, but CI must install it (see .ci/run)")
        pytest.skip("chromium is not installed (apt-get install chromium): the report is not checked in a browser")
    return chromium


def load(path: Path, fragment: str = "") -> tuple[str, list[str]]:
    """The page's DOM after its script ran, and every console line it caused (errors, blocked loads, logs)."""
    with tempfile.TemporaryDirectory(prefix="torchdrill-chromium-") as profile:
        done = headless(["--dump-dom", "--enable-logging=stderr", "--v=0"], path.resolve().as_uri() + fragment,
                        Path(profile))
    assert done.returncode == 0 and "</html>" in done.stdout, done.stderr[-3000:]
    return done.stdout, [line for line in done.stderr.splitlines() if CONSOLE.search(line)]


def loaded_cleanly(path: Path, fragment: str = "") -> str:
    """The DOM of a page that loaded with nothing on the console and whose sorting script ran."""
    dom, console = load(path, fragment)
    assert console == [], "\n".join(console)
    assert facts(dom).sortable, "the table's script did not run"
    return dom


def dom_or_source(path: Path) -> str:
    """The DOM in Chromium where it is installed (required in CI); else the file as written, which holds the same
    counts (the script only sorts)."""
    if find_chromium() is None and not os.environ.get("CI"):
        return path.read_text(encoding="utf-8")
    require_chromium()
    return loaded_cleanly(path)


@dataclass
class Facts:
    """What the report shows: its header's values, the histogram's counts, each check's pass rate text, the
    students' rows in order (with each row's cell texts), the scripts on the page, whether sorting is on."""
    summary: dict[str, str] = field(default_factory=dict)
    bins: dict[str, int] = field(default_factory=dict)
    rates: dict[str, str] = field(default_factory=dict)
    failures: list[tuple[str, int]] = field(default_factory=list)
    students: list[str] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)
    scripts: int = 0
    sortable: bool = False
    title: str = ""


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.facts = Facts()
        self._check = self._summary_key = None
        self._into: tuple[str, list] | None = None  # (tag, the text pieces) being collected
        self._done = None  # where the collected text goes

    def handle_starttag(self, tag, attrs):
        attr = {k: v or "" for k, v in attrs}
        classes = attr.get("class", "").split()
        facts = self.facts
        if tag == "script":
            facts.scripts += 1
        elif tag == "table" and attr.get("id") == "students":
            facts.sortable = attr.get("data-sortable") == "yes"
        elif tag == "g" and "bin" in classes:
            facts.bins[attr["data-label"]] = int(attr["data-count"])
        elif tag == "tr" and "data-student" in attr:
            facts.students.append(attr["data-student"])
            facts.cells.append([])
        elif tag == "tr" and "data-check" in attr:
            self._check = attr["data-check"]
        elif tag == "div" and "data-key" in attr:
            self._summary_key = attr["data-key"]
        if self._into is None:
            if tag == "td" and "rate" in classes:
                self._collect(tag, lambda text: facts.rates.__setitem__(self._check, text))
            elif tag == "td" and "count" in classes:
                self._collect(tag, lambda text: facts.failures.append((self._check, int(text))))
            elif tag == "dd" and self._summary_key:
                self._collect(tag, lambda text: facts.summary.__setitem__(self._summary_key, text))
            elif tag == "td" and facts.cells and facts.students and "data-v" in attr:
                self._collect(tag, facts.cells[-1].append)
            elif tag == "title" and not facts.title:
                self._collect(tag, lambda text: setattr(facts, "title", text))

    def _collect(self, tag, done) -> None:
        self._into, self._done = (tag, []), done

    def handle_data(self, data):
        if self._into is not None:
            self._into[1].append(data)

    def handle_endtag(self, tag):
        if self._into is not None and tag == self._into[0]:
            self._done(" ".join("".join(self._into[1]).split()))
            self._into = None


def facts(dom: str) -> Facts:
    reader = _Reader()
    reader.feed(dom)
    return reader.facts
