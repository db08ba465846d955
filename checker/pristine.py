"""A scenario's shipped buggy script, rebuilt from its solution and the `bug` its metadata declares (so `checker
reset` works where the script a student edits is the packaged file itself), and whether a file is the solution."""
from __future__ import annotations

from pathlib import Path

from checker.messages import text
from checker.scenario import Scenario, ScenarioError, apply_replacements


def pristine_source(scenario: Scenario) -> bytes | None:
    """The buggy script as shipped, byte for byte: the solution with `bug` applied; None where none is declared."""
    if scenario.bug is None:
        return None
    solution = scenario.solution_path.read_bytes().decode("utf-8")  # bytes: no newline translation
    where = f"{scenario.metadata_path}: field 'bug'"
    return apply_replacements(solution, scenario.bug, where, scenario.solution_path.name).encode("utf-8")


def bug_problems(scenario: Scenario, lang: str = "en") -> list[str]:
    """Selftest's check: a declared `bug` gives the shipped buggy script exactly, so reset can never drift."""
    try:
        rebuilt = pristine_source(scenario)
    except ScenarioError as error:
        return [error.worded(lang)]
    if rebuilt is None or rebuilt == scenario.buggy_path.read_bytes():
        return []
    ours, shipped = rebuilt.splitlines(keepends=True), scenario.buggy_path.read_bytes().splitlines(keepends=True)
    line = next((i for i, (a, b) in enumerate(zip(ours, shipped), 1) if a != b), min(len(ours), len(shipped)) + 1)
    return [text("selftest", "bug_drifts", lang, script=scenario.buggy_path.name, line=line, id=scenario.id)]


def is_shipped_solution(path: Path, scenario: Scenario) -> bool:
    """Whether `path` is the scenario's solution file itself (in the clone, the installed package, or an
    instructor's solutions/ folder). A learner's own file that holds the same code is the learner's fix: most bugs
    are one line, so the right fix usually is the solution, byte for byte."""
    try:
        return Path(path).resolve() == scenario.solution_path.resolve()
    except OSError:
        return False
