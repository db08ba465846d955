"""Finding the submissions in a folder: one file or one folder per student."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from checker.verdict import InputError

LEADS_OUTSIDE = "symlink leads outside the submission; only the student's own files are graded"


@dataclass(frozen=True)
class Entry:
    """One student's submission: the script to verify, or why none could be picked."""

    student: str
    path: Path
    problem: str = ""


def find_entries(root: Path, scenario_id: str) -> list[Entry]:
    """Every submission under `root` (a folder of submissions), or `root` itself when it is one file."""
    if not root.exists():
        raise InputError(f"{root}: no such file or folder")
    if root.is_file():
        return [entry_for(root, root.stem, scenario_id)]
    children = sorted(c for c in root.iterdir() if not c.name.startswith((".", "__")))
    if not children:
        raise InputError(f"{root}: no submissions in this folder (expected one file or one folder per student)")
    stems = [c.stem if c.is_file() else c.name for c in children]
    unique = len(set(stems)) == len(stems)
    return [entry_for(child, stem if unique else child.name, scenario_id) for child, stem in zip(children, stems)]


def entry_for(child: Path, student: str, scenario_id: str) -> Entry:
    """One submission: a file is the script itself; in a folder, ID.py, else its only Python file.
    A symlink never leads out of a submission: followed, it would grade whatever file it names (another
    student's, the solution) as this student's work."""
    if child.is_symlink():
        return Entry(student, child, f"{child.name}: {LEADS_OUTSIDE}")
    if not child.is_dir():
        return Entry(student, child)
    scripts = sorted((p for p in child.rglob("*.py") if not any(part.startswith((".", "__")) for part in
                                                                 p.relative_to(child).parts)),
                     key=lambda p: (len(p.parts), str(p)))
    named = [p for p in scripts if p.stem == scenario_id]
    chosen = named[0] if named else scripts[0] if len(scripts) == 1 else None
    if chosen is not None:
        link = _link_leading_outside(child, chosen)
        if link is not None:
            return Entry(student, child, f"{link.relative_to(child.parent)}: {LEADS_OUTSIDE}")
        return Entry(student, chosen)
    if not scripts:
        return Entry(student, child, f"no Python file in {child.name}/ (expected {scenario_id}.py)")
    return Entry(student, child, f"{len(scripts)} Python files in {child.name}/ and none is named {scenario_id}.py")


def _link_leading_outside(folder: Path, script: Path) -> Path | None:
    """The first symlink from `folder` down to `script` whose target lies outside `folder`, or None."""
    top = os.path.realpath(folder)  # realpath, not resolve(): a symlink loop must not raise
    current = folder
    for part in script.relative_to(folder).parts:
        current = current / part
        if current.is_symlink() and os.path.commonpath([top, os.path.realpath(current)]) != top:
            return current
    return None
