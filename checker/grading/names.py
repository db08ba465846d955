"""The names a grade is written under: the student's name that every output shows, and the folder of their
Gradescope results. Both are unique and stable (the same submissions give the same names, in any order), and
neither holds a character that does not print, whatever bytes the submission's file name holds."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict

from checker.untrusted import shown

SUFFIX_DIGITS = 8  # hex digits of the SHA-256 that tell apart two folder names that came out the same
MAX_BASE_BYTES = 120  # a folder name stays far below the 255 bytes a file system allows, its suffix included
FALLBACK = "student"  # the folder of a name with no letter or digit in it


def shown_name(raw: str) -> str:
    """A file or folder name (or a path) as every output shows it: each backslash doubled, then each character that
    does not print as an escape (checker.untrusted.shown). Printable names without a backslash stay as they are,
    and two different names never show alike: `bel<BEL>` is `bel\\x07`, a folder really named `bel\\x07` is
    `bel\\\\x07`."""
    return shown(raw.replace("\\", "\\\\"), keep="")


def file_names(students: list[str]) -> list[str]:
    """A folder name for each student: letters, digits, `.`, `-` and `_` only (every other run of characters
    becomes `_`), never two alike, even on a disk that ignores case. Where two names come out the same, each one
    that had to change gets `~` and SUFFIX_DIGITS hex digits of the SHA-256 of the student's name (UTF-8); the one
    that came through unchanged, if only one did, keeps it. "~" is never part of a cleaned name, so a suffixed
    name cannot be chosen by a student."""
    bases = [_file_base(s) for s in students]
    names = list(bases)
    for members in _clashes(bases):
        unchanged = [i for i in members if bases[i] == students[i]]
        for i in members:
            if unchanged != [i]:
                names[i] = f"{bases[i]}~{_digest(students[i])[:SUFFIX_DIGITS]}"
    for members in _clashes(names):  # alike in their first hex digits: the whole digest, which no one can match
        for i in members:
            names[i] = f"{bases[i]}~{_digest(students[i])}"
    for members in _clashes(names):  # only the same student twice is left: numbered in order
        for number, i in enumerate(members[1:], start=2):
            names[i] = f"{names[i]}~{number}"
    return names


def _file_base(student: str) -> str:
    base = re.sub(r"[^\w.-]+", "_", student).strip("._")
    base = base.encode()[:MAX_BASE_BYTES].decode(errors="ignore").rstrip("._")
    return base or FALLBACK


def _clashes(names: list[str]) -> list[list[int]]:
    """The indexes of the names that a case-insensitive disk (and one that normalises Unicode) would take for one."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, name in enumerate(names):
        groups[unicodedata.normalize("NFKC", name).casefold()].append(index)
    return [members for members in groups.values() if len(members) > 1]


def _digest(student: str) -> str:
    return hashlib.sha256(student.encode("utf-8", errors="surrogateescape")).hexdigest()
