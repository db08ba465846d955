"""Line edits on a script, as the exact-text replacements a scenario declares (`bug`, a variant's `replace`):
each `old` occurs exactly once in the text it is applied to, so the edit means one place and nothing else."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LineEdit:
    """Lines `first`..`last` (1-based, inclusive) replaced by `new` (whole lines, each ending in a newline).
    `last = first - 1` inserts `new` before line `first`."""
    first: int
    last: int
    new: str


def delete(first: int, last: int | None = None) -> LineEdit:
    return LineEdit(first, first if last is None else last, "")


def insert_before(line: int, text: str) -> LineEdit:
    return LineEdit(line, line - 1, text)


def insert_after(line: int, text: str) -> LineEdit:
    return LineEdit(line + 1, line, text)


def replacements(source: str, edits: list[LineEdit]) -> list[tuple[str, str]]:
    """The [old, new] pairs that make `edits` on `source`, applied in order. Edits are applied bottom-up, so
    that each one's line numbers still hold; each `old` is widened by its neighbouring lines until it occurs
    exactly once in the text at that point."""
    pairs = []
    text = source
    for edit in sorted(edits, key=lambda e: (e.first, e.last), reverse=True):
        lines = text.splitlines(keepends=True)
        first, last = edit.first - 1, edit.last  # lines[first:last] is replaced
        before, after = first, last
        while True:
            old = "".join(lines[before:after])
            new = "".join(lines[before:first]) + edit.new + "".join(lines[last:after])
            if old and text.count(old) == 1:
                break
            if before > 0:
                before -= 1
            elif after < len(lines):
                after += 1
            else:
                raise ValueError("an edit that cannot be told apart from the rest of the script")
        pairs.append((old, new))
        text = text.replace(old, new, 1)
    return pairs


def apply(source: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        if source.count(old) != 1:
            raise ValueError(f"{old!r} does not occur exactly once")
        source = source.replace(old, new, 1)
    return source


def indent_of(line_text: str) -> str:
    return line_text[: len(line_text) - len(line_text.lstrip())]


def reindented(block: str, remove: int = 0, add: str = "") -> str:
    """Every line of `block` with `remove` leading characters of indentation taken off and `add` put on."""
    out = []
    for line in block.splitlines(keepends=True):
        if line.strip():
            out.append(add + line[min(remove, len(indent_of(line))):])
        else:
            out.append(line)
    return "".join(out)
