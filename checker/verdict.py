"""The typed result of `checker verify`; the CLI renders it with rich or prints it as JSON."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from checker.messages import Worded


class InputError(Worded, ValueError):
    """A usage or input problem (exit code 2): the message says what is wrong and what to do."""


@dataclass(frozen=True)
class Check:
    id: str
    passed: bool
    message: str
    line: int | None = None
    why: str = ""


@dataclass(frozen=True)
class Accuracy:
    student: float | None
    reference: float | None
    tolerance: float


@dataclass(frozen=True)
class Verdict:
    scenario: str
    file: str
    passed: bool
    status: str  # fixed, not_fixed, crashed, timeout, or needs_review (the tamper lint: a person must look)
    checks: tuple[Check, ...]
    accuracy: Accuracy
    duration_s: float
    lang: str = "en"
    traceback: str = ""
    output: str = ""
    isolation: str = "process"  # the boundary the script ran behind: "bubblewrap" (the OS) or "process"
    curves: dict | None = None  # {"student", "reference", "signature"}: pictures only, never evidence for a check

    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["checks"] = [asdict(c) for c in self.checks]
        data["duration_s"] = round(self.duration_s, 3)
        return data
