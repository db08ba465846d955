"""A grade: a verdict turned into points, check by check, with the scenario's weights (partial credit)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from checker.messages import text
from checker.scenario import Scenario
from checker.untrusted import shown
from checker.verdict import Verdict

INVALID, ERROR = "invalid", "error"  # statuses beside verify's: the input was unusable; the grader itself failed
NEEDS_REVIEW = "needs_review"  # verify's status for a script that reaches into the checker's process


@dataclass(frozen=True)
class GradedCheck:
    id: str
    passed: bool
    points: float
    max_points: float
    message: str
    line: int | None = None

    def __post_init__(self):  # printable, like everything a Grade says
        object.__setattr__(self, "message", shown(self.message))


@dataclass(frozen=True)
class Grade:
    student: str
    submission: str
    scenario: str
    status: str  # fixed, not_fixed, crashed, timeout, needs_review, invalid or error
    passed: bool
    score: float
    max_score: float
    checks: tuple[GradedCheck, ...]
    accuracy: float | None
    reference_accuracy: float | None
    duration_s: float
    message: str = ""  # for invalid and error: what was wrong
    # The student's training curves, where the run reported them: {"loss": [[step, value], ...],
    # "accuracy": [[epoch, value], ...]}, a value None where it was NaN or infinite.
    curves: dict | None = None

    def __post_init__(self):
        # Everything a grade says prints: a control character, a bidirectional mark or a byte that is not UTF-8
        # (from a file name, a path, a message) would rewrite the instructor's terminal, disguise a row, or stop
        # the JSON, the CSV and the report from being written at all. Escaped, it is seen and nothing is lost.
        for name, keep in (("student", ""), ("submission", ""), ("message", "\n")):
            object.__setattr__(self, name, shown(getattr(self, name), keep))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["checks"] = [asdict(c) for c in self.checks]
        data["duration_s"] = round(self.duration_s, 3)
        if self.curves is None:
            del data["curves"]
        return data


def from_verdict(verdict: Verdict, scenario: Scenario, student: str, submission: str, lang: str) -> Grade:
    """Points for each check the scenario defines; a check the run never reached earns nothing. A run that needs
    review (the tamper lint) earns nothing until a person has looked at it."""
    if verdict.status == NEEDS_REVIEW:
        tamper = next(c for c in verdict.checks if c.id == "tamper")
        grade = without_run(scenario, student, submission, NEEDS_REVIEW, f"{tamper.message} (line {tamper.line})",
                            verdict.duration_s)
        return replace(grade, accuracy=verdict.accuracy.student, reference_accuracy=verdict.accuracy.reference)
    reached = {c.id: c for c in verdict.checks}
    checks = []
    for check_id in scenario.check_ids():
        weight = scenario.grading.weight(check_id)
        check = reached.get(check_id)
        if check is None:
            checks.append(GradedCheck(check_id, False, 0.0, weight, text("fail", "not_checked", lang)))
        else:
            checks.append(GradedCheck(check_id, check.passed, weight if check.passed else 0.0, weight,
                                      check.message, check.line))
    return Grade(student=student, submission=submission, scenario=scenario.id, status=verdict.status,
                 passed=verdict.passed, score=sum(c.points for c in checks), max_score=sum(c.max_points for c in checks),
                 checks=tuple(checks), accuracy=verdict.accuracy.student, reference_accuracy=verdict.accuracy.reference,
                 duration_s=verdict.duration_s, curves=(verdict.curves or {}).get("student"))


def without_run(scenario: Scenario, student: str, submission: str, status: str, message: str,
                duration_s: float = 0.0) -> Grade:
    """Zero points: the submission could not be run (status invalid) or grading it failed (status error)."""
    checks = tuple(GradedCheck(c, False, 0.0, scenario.grading.weight(c), message) for c in scenario.check_ids())
    return Grade(student=student, submission=submission, scenario=scenario.id, status=status, passed=False,
                 score=0.0, max_score=sum(c.max_points for c in checks), checks=checks, accuracy=None,
                 reference_accuracy=None, duration_s=duration_s, message=message)
