"""Finding the submissions in a folder: one file or one folder per student."""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from checker.grading.names import shown_name
from checker.verdict import InputError

LEADS_OUTSIDE = "symlink leads outside the submission; only the student's own files are graded"
MAX_DEPTH = 16  # folder levels searched for the script below a student's folder: a deeper tree is not read
MAX_LISTED = 20_000  # entries read in one student's folder: a folder holding a whole file system is not read


@dataclass(frozen=True)
class Entry:
    """One student's submission: the script to verify, or why none could be picked."""

    student: str
    path: Path
    problem: str = ""


def find_entries(root: Path, scenario_id: str) -> list[Entry]:
    """Every submission under `root` (a folder of submissions), or `root` itself when it is one file. Each gets
    an entry, with its problem where it cannot be graded; nothing in a student's folder stops the others."""
    if not root.exists():
        raise InputError.keyed("no_such_path", path=str(root))
    if root.is_file():
        return [entry_for(root, shown_name(root.stem), scenario_id)]
    try:
        children = sorted(c for c in root.iterdir() if not c.name.startswith((".", "__")))
    except OSError as error:
        raise InputError.keyed("cannot_list", path=str(root), why=error.strerror or str(error)) from None
    if not children:
        raise InputError.keyed("no_submissions", path=str(root))
    return [entry_for(child, name, scenario_id) for child, name in zip(children, _student_names(children))]


def _student_names(children: list[Path]) -> list[str]:
    """Each submission's student: the file's stem or the folder's name, shown by shown_name. Where two come out
    the same (ada.py beside ada/), each of those that is a stem takes its whole file name instead, until none do:
    a folder never holds two alike, and shown_name never shows two names alike."""
    picked = [c.stem if c.is_file() else c.name for c in children]
    while True:
        counts = Counter(picked)
        stems = [i for i, name in enumerate(picked) if counts[name] > 1 and name != children[i].name]
        if not stems:
            return [shown_name(name) for name in picked]
        for i in stems:
            picked[i] = children[i].name


def entry_for(child: Path, student: str, scenario_id: str) -> Entry:
    """One submission: a file is the script itself; in a folder, ID.py, else its only Python file. Never raises:
    a submission that cannot be read is one entry with the reason."""
    try:
        return _entry_for(child, student, scenario_id)
    except (OSError, RecursionError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        return Entry(student, child, f"cannot read {shown_name(child.name)}: {reason}")


def _entry_for(child: Path, student: str, scenario_id: str) -> Entry:
    """A symlink never leads out of a submission: followed, it would grade whatever file it names (another
    student's, the solution) as this student's work."""
    name = shown_name(child.name)
    if child.is_symlink():
        return Entry(student, child, f"{name}: {LEADS_OUTSIDE}")
    if not child.is_dir():
        return Entry(student, child)
    scripts, complete = python_files(child, scenario_id)
    named = [p for p in scripts if p.stem == scenario_id]
    chosen = named[0] if named else scripts[0] if len(scripts) == 1 and complete else None
    if chosen is not None:
        link = _link_leading_outside(child, chosen)
        if link is not None:
            return Entry(student, child, f"{shown_name(str(link.relative_to(child.parent)))}: {LEADS_OUTSIDE}")
        return Entry(student, chosen)
    if not complete:
        return Entry(student, child, f"{name}/ holds more than {MAX_LISTED:,} files and none of those read is "
                                     f"{scenario_id}.py: put it at the top of the folder")
    if not scripts:
        return Entry(student, child, f"no Python file in {name}/ (expected {scenario_id}.py; folders more than "
                                     f"{MAX_DEPTH} levels down are not searched)")
    return Entry(student, child, f"{len(scripts)} Python files in {name}/ and none is named {scenario_id}.py")


def python_files(folder: Path, scenario_id: str) -> tuple[list[Path], bool]:
    """The .py files under `folder`, shallowest first, then by path (hidden and __dunder__ names skipped, linked
    folders never entered), read one level at a time without recursion; and whether the search settled the choice.
    It stops below the first level that holds ID.py (nothing deeper would be chosen), MAX_DEPTH levels down, or
    unsettled after MAX_LISTED entries."""
    found: list[Path] = []
    level, listed = [folder], 0
    for _ in range(MAX_DEPTH + 1):
        deeper, here = [], []
        for current in level:
            try:
                with os.scandir(current) as entries:
                    items = [e for e in entries if not e.name.startswith((".", "__"))]
            except OSError:
                if current == folder:
                    raise
                continue  # an unreadable folder inside the submission holds nothing to grade
            listed += len(items)
            if listed > MAX_LISTED:
                return found, False
            deeper += [Path(e.path) for e in items if e.is_dir(follow_symlinks=False)]
            here += [Path(e.path) for e in items if e.name.endswith(".py") and not e.is_dir(follow_symlinks=False)]
        found += sorted(here, key=str)
        level = sorted(deeper, key=str)
        if not level or any(p.stem == scenario_id for p in here):
            break
    return found, True


def _link_leading_outside(folder: Path, script: Path) -> Path | None:
    """The first symlink from `folder` down to `script` whose target lies outside `folder`, or None."""
    top = os.path.realpath(folder)  # realpath, not resolve(): a symlink loop must not raise
    current = folder
    for part in script.relative_to(folder).parts:
        current = current / part
        if current.is_symlink() and os.path.commonpath([top, os.path.realpath(current)]) != top:
            return current
    return None
