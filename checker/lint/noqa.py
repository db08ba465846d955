"""`# noqa` comments: a bare one silences every rule on its line, `# noqa: TD101, TD105` only those."""
from __future__ import annotations

import re

NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


def silenced(text: str) -> dict[int, set[str] | None]:
    """Line number -> the codes silenced there (None: all of them)."""
    found = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if "noqa" not in line.lower():
            continue
        match = NOQA.search(line)
        if match:
            codes = match.group("codes")
            found[number] = None if codes is None else {c.upper() for c in re.split(r"[,\s]+", codes) if c}
    return found


def is_silenced(noqa: dict[int, set[str] | None], line: int, code: str) -> bool:
    if line not in noqa:
        return False
    codes = noqa[line]
    return codes is None or code in codes
