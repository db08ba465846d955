"""What `checker lint` reads: Python files, folders of them, and notebooks, each turned into one Python text.

A notebook's code cells are joined in order (a name defined in one cell is used in the next), and every line
remembers its cell and its line there, so a finding can point into the notebook as Jupyter numbers it.
"""
from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from checker.messages import Worded

SKIPPED_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "env", "__pycache__", "node_modules", ".ipynb_checkpoints",
                "build", "dist", "site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache"}
# Cell magics whose body is still Python; any other (%%bash, %%writefile, ...) makes the cell not Python.
AUTOMAGIC = re.compile(r"^\s*(cd|pwd|ls|ll|pip|conda|mkdir|cat|env|rm|cp|mv|less|man|alias|unalias|who|whos|"
                       r"history|reset|load_ext|matplotlib|time|timeit|run|ldir|pinfo)(\s+[^=(\[\s][^=]*)?\s*$")
HELP = re.compile(r"^[\w.]+\?{1,2}$")  # `obj?` and `obj??`: IPython's help
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "memit", "debug"}


class SourceError(Worded, ValueError):
    """A path that cannot be linted at all (missing): a usage error."""


@dataclass
class Source:
    path: str  # as the user will recognise it: relative to the current folder where possible
    text: str = ""
    cells: list[tuple[int, int]] = field(default_factory=list)  # line i+1 -> (cell's place in the notebook, line)
    problems: list[tuple[int, int, str]] = field(default_factory=list)  # (line, col, why) of what cannot be read

    def place(self, line: int) -> tuple[int | None, int]:
        """(cell, line) as the user sees it: (None, line) for a script."""
        if self.cells and 1 <= line <= len(self.cells):
            return self.cells[line - 1]
        return None, line


def collect(paths: list[str]) -> list[Path]:
    """The files under paths: files as given (any name), folders searched for *.py and *.ipynb."""
    found = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
                found += [Path(root) / f for f in sorted(files) if f.endswith((".py", ".ipynb"))]
        elif path.is_file():
            found.append(path)
        else:
            raise SourceError.keyed("no_such_path", path=str(raw))
    unique = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


def read(path: Path) -> Source:
    shown = _shown(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        return Source(shown, problems=[(1, 1, f"cannot read: {error.strerror or error}")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Source(shown, problems=[(1, 1, "not UTF-8 text")])
    if path.suffix == ".ipynb":
        return _notebook(shown, text)
    return Source(shown, text=text)


def _shown(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _notebook(shown: str, text: str) -> Source:
    try:
        notebook = json.loads(text)
        cells = notebook["cells"] if isinstance(notebook, dict) else notebook.get("worksheets")
    except (ValueError, KeyError, AttributeError):
        return Source(shown, problems=[(1, 1, "not a Jupyter notebook (no cells in its JSON)")])
    lines, places, problems = [], [], []
    for number, cell in enumerate(cells if isinstance(cells, list) else [], start=1):  # as the notebook shows them
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        body = "".join(source) if isinstance(source, list) else str(source)
        cell_lines, problem = _parsed(_python_lines(body.splitlines()))
        if problem is not None:  # this cell is left out, the others are still checked
            problems.append((len(lines) + problem[0], problem[1], problem[2]))
            cell_lines = ["# " + line for line in cell_lines]
        lines += cell_lines + [""]  # a blank line after each cell: it always ends the cell's last block
        places += [(number, index) for index in range(1, len(cell_lines) + 2)]
    return Source(shown, text="\n".join(lines) + "\n", cells=places, problems=problems)


def _parsed(lines: list[str]) -> tuple[list[str], tuple | None]:
    """The cell's lines, and (line, col, why) when they cannot be parsed, even with automagics (`cd dir`, `pip
    install x`: IPython commands written without their %) blanked out."""
    try:
        ast.parse("\n".join(lines))
        return lines, None
    except SyntaxError as error:
        first = (error.lineno or 1, error.offset or 1, error.msg)
    except (ValueError, RecursionError, MemoryError) as error:
        return lines, (1, 1, type(error).__name__)
    blanked = [line[: len(line) - len(line.lstrip())] + "pass" if AUTOMAGIC.match(line) else line for line in lines]
    try:
        ast.parse("\n".join(blanked))
        return blanked, None
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return lines, first


def _python_lines(lines: list[str]) -> list[str]:
    """The cell's lines with IPython syntax blanked out (line numbers kept): `%magic` and `!shell` become `pass`
    at their indentation; a cell under a non-Python cell magic becomes comments."""
    if lines and lines[0].startswith("%%"):
        magic = lines[0][2:].split(maxsplit=1)[0] if lines[0][2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return ["# " + line for line in lines]
        lines = ["pass"] + lines[1:]
    cleaned = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or HELP.match(stripped):
            cleaned.append(line[: len(line) - len(stripped)] + "pass")
        else:
            cleaned.append(line)
    return cleaned
