"""Writing grades for course platforms: one JSON list, a CSV table, and Gradescope's results.json per student.

Gradescope's format (https://gradescope-autograders.readthedocs.io/en/latest/specs/): a top-level `score`,
`execution_time`, `output`, `visibility` and `stdout_visibility`, and `tests`, each with `name`, `number`,
`score`, `max_score`, `status`, `output`, `tags` and `visibility`.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from checker.grading.grade import Grade
from checker.grading.names import file_names

# A text cell starting with one of these is a formula to a spreadsheet: a student folder named
# `=HYPERLINK(...)` would run in the instructor's Excel. Prefixed with a quote (OWASP's advice), it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SUMMARY_COLUMNS = ["student", "status", "score", "max_score", "accuracy", "reference_accuracy", "duration_s",
                   "submission", "message"]


def write_json(grades: list[Grade], path: Path) -> None:
    _write(path, json.dumps([g.to_dict() for g in grades], ensure_ascii=False, indent=1) + "\n")


def write_csv(grades: list[Grade], path: Path) -> None:
    """One row per student: the summary columns, then the points of each check."""
    check_ids = list(dict.fromkeys(c.id for g in grades for c in g.checks))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(csv_row(SUMMARY_COLUMNS + [f"points:{c}" for c in check_ids]))
        for grade in grades:
            points = {c.id: c.points for c in grade.checks}
            summary = [grade.student, grade.status, grade.score, grade.max_score, _percent(grade.accuracy),
                       _percent(grade.reference_accuracy), round(grade.duration_s, 2), grade.submission,
                       grade.message or first_failure(grade)]
            writer.writerow(csv_row(summary + [points.get(c, "") for c in check_ids]))


def csv_row(cells: list) -> list:
    """Text cells on one line (a grade's text prints but for the newlines of its messages), those that a
    spreadsheet would read as a formula quoted; numbers (-0.5 too) stay numbers."""
    cells = [c.replace("\n", " ") if isinstance(c, str) else c for c in cells]
    return ["'" + c if isinstance(c, str) and c.startswith(FORMULA_STARTS) else c for c in cells]


def gradescope_results(grade: Grade, visibility: str = "visible") -> dict:
    """One submission's results.json."""
    tests = []
    for number, check in enumerate(grade.checks, start=1):
        where = f" (line {check.line})" if check.line else ""
        tests.append({"name": check.id, "number": str(number), "score": check.points, "max_score": check.max_points,
                      "status": "passed" if check.passed else "failed", "output": check.message + where,
                      "tags": ["torchdrill", grade.scenario], "visibility": visibility})
    return {"score": grade.score, "execution_time": round(grade.duration_s), "output": summary_line(grade),
            "visibility": visibility, "stdout_visibility": "hidden", "tests": tests}


def write_gradescope(grades: list[Grade], target: Path, visibility: str = "visible") -> list[Path]:
    """A results.json for one grade at `target` (a .json path), or one per student under the folder `target`, in
    a folder of its own (names.file_names): no student's results overwrite another's."""
    if target.suffix == ".json":
        if len(grades) != 1:
            raise ValueError("a single results.json holds one submission; give a folder for several")
        _write(target, json.dumps(gradescope_results(grades[0], visibility), ensure_ascii=False, indent=1) + "\n")
        return [target]
    written = []
    for grade, name in zip(grades, file_names([g.student for g in grades])):
        path = target / name / "results.json"
        _write(path, json.dumps(gradescope_results(grade, visibility), ensure_ascii=False, indent=1) + "\n")
        written.append(path)
    return written


def summary_line(grade: Grade) -> str:
    accuracy = f", accuracy {_percent(grade.accuracy)}% (reference {_percent(grade.reference_accuracy)}%)" \
        if grade.accuracy is not None else ""
    return f"{grade.scenario}: {grade.status}, {grade.score:g}/{grade.max_score:g} points{accuracy}"


def first_failure(grade: Grade) -> str:
    return next((c.message for c in grade.checks if not c.passed), "")


def _percent(value: float | None) -> float | str:
    return "" if value is None else round(100 * value, 2)


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(content, encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)  # a write that failed leaves nothing half-written behind
