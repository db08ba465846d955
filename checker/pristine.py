"""A scenario's shipped buggy script, rebuilt from its solution and the `bug` its metadata declares (so `checker
reset` works where the script a student edits is the packaged file itself), and whether a file is the solution."""
from __future__ import annotations

import ast
from pathlib import Path

from checker.scenario import Scenario, ScenarioError, apply_replacements


def pristine_source(scenario: Scenario) -> bytes | None:
    """The buggy script as shipped, byte for byte: the solution with `bug` applied; None where none is declared."""
    if scenario.bug is None:
        return None
    solution = scenario.solution_path.read_bytes().decode("utf-8")  # bytes: no newline translation
    where = f"{scenario.metadata_path}: field 'bug'"
    return apply_replacements(solution, scenario.bug, where, scenario.solution_path.name).encode("utf-8")


def bug_problems(scenario: Scenario) -> list[str]:
    """Selftest's check: a declared `bug` gives the shipped buggy script exactly, so reset can never drift."""
    try:
        rebuilt = pristine_source(scenario)
    except ScenarioError as error:
        return [str(error)]
    if rebuilt is None or rebuilt == scenario.buggy_path.read_bytes():
        return []
    ours, shipped = rebuilt.splitlines(keepends=True), scenario.buggy_path.read_bytes().splitlines(keepends=True)
    line = next((i for i, (a, b) in enumerate(zip(ours, shipped), 1) if a != b), min(len(ours), len(shipped)) + 1)
    return [f"'bug' applied to the solution does not give {scenario.buggy_path.name} byte for byte (first "
            f"difference at line {line}): declare the replacements that turn solutions/{scenario.id}.py into it"]


def _normalised(source: bytes) -> str | None:
    """The code without its layout and comments, or None where it does not parse."""
    try:
        return ast.dump(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def is_solution_copy(path: Path, scenario: Scenario) -> bool:
    """Whether `path` is the scenario's solution, or the same code in other whitespace and comments."""
    try:
        if Path(path).resolve() == scenario.solution_path.resolve():
            return True
        mine, solution = Path(path).read_bytes(), scenario.solution_path.read_bytes()
    except OSError:
        return False
    normalised = _normalised(mine)
    return normalised is not None and normalised == _normalised(solution)
