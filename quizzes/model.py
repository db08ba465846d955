"""The typed shapes of quiz content and results: banks, questions, outcomes. No I/O, no torch."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("choice", "predict", "code", "fill", "order")
BLANK = "____"  # the blank in a `fill` template, and the line that an `order` question's steps replace


@dataclass(frozen=True)
class Text:
    """One text in English and Simplified Chinese."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Check:
    """How a code/fill/order program is judged: evaluate `target` after it ran, then compare."""

    compare: str  # equal | allclose | shape | dtype | predicate | runs
    target: str = ""
    expected: str = ""  # an expression, evaluated before the student's code runs
    predicate: str = ""  # an expression over `value` and the setup's names; true (or no AssertionError) passes
    rtol: float = 1e-5
    atol: float = 1e-8
    random: bool = False  # the value must change with the hidden trials' seeds: a fixed value is not random


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    prompt: Text
    hint: Text
    explanation: Text
    setup: str = ""
    code: str = ""  # choice: shown; predict: the snippet run; fill: the template; order: the template
    options: tuple[Text, ...] = ()
    multiple: bool = False
    steps: tuple[str, ...] = ()
    answer: tuple | str | None = None  # choice: letters; order: step numbers; code/fill: source; predict: None
    accept: tuple = ()  # other answers that must be accepted (checked by `quiz validate`)
    wrong: tuple = ()  # known wrong answers that must be rejected (checked by `quiz validate`)
    notes: tuple = ()  # per wrong answer: the misconception behind it (a Text), or None
    check: Check | None = None
    evidence: str = ""  # choice: code that shows, in live torch, the fact the answer rests on
    tolerance: float = 1e-3  # predict: relative tolerance for numbers
    exact_type: bool = False  # predict: the answer must say the value's type (tensor([1, 0]), not [1, 0])
    example: str = ""  # code/fill/order: the example's inputs, run after the setup in the visible trial only
    inputs: str = ""  # code/fill/order: hidden inputs, run after the setup in each hidden trial (seeded `rng`)
    trials: int = 0  # code/fill/order: how many hidden trials follow the visible setup
    timeout_s: float = 0.0  # 0: the bank's


@dataclass(frozen=True)
class Bank:
    id: str
    title: Text
    summary: Text
    setup: str
    needs: tuple[str, ...]
    timeout_s: float
    questions: tuple[Question, ...]
    path: Path
    position: int = 100

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def timeout_for(self, question: Question) -> float:
        return question.timeout_s or self.timeout_s


@dataclass(frozen=True)
class Outcome:
    """The grading of one answer."""

    question_id: str
    correct: bool
    status: str  # correct | wrong | skipped | invalid | error | timeout | crashed | broken
    expected: str = ""  # the canonical answer, in a form that would be accepted
    message: str = ""  # why it is wrong, in the student's language where it is ours
    output: str = ""  # what live torch printed
    shown: str = ""  # the repr of the value that was checked
    note: str = ""  # the misconception behind a declared wrong answer, when the student gave one
    trial: int = 0  # the hidden trial that failed (0: the visible setup)

    def to_dict(self) -> dict:
        data = {"id": self.question_id, "correct": self.correct, "status": self.status}
        if not self.correct:
            data["expected"] = self.expected
            if self.message:
                data["message"] = self.message
            if self.note:
                data["note"] = self.note
            if self.trial:
                data["hidden_trial"] = self.trial
        return data


@dataclass(frozen=True)
class RunResult:
    bank: str
    outcomes: tuple[Outcome, ...]

    @property
    def score(self) -> int:
        return sum(o.correct for o in self.outcomes)

    @property
    def percent(self) -> float:
        return round(100.0 * self.score / len(self.outcomes), 1) if self.outcomes else 0.0

    def to_dict(self) -> dict:
        return {"bank": self.bank, "score": self.score, "max_score": len(self.outcomes), "percent": self.percent,
                "questions": [o.to_dict() for o in self.outcomes]}


@dataclass(frozen=True)
class QuestionReport:
    """`quiz validate` on one question: what was checked and what failed."""

    question_id: str
    kind: str
    problems: tuple[str, ...] = ()
    checked: int = 0  # answers run against live torch
    expected: str = ""

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class BankReport:
    bank: str
    path: str
    error: str = ""  # a schema error: nothing else could be checked
    questions: tuple[QuestionReport, ...] = ()
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.error and all(q.passed for q in self.questions)

    def to_dict(self) -> dict:
        return {"bank": self.bank, "path": self.path, "passed": self.passed, "error": self.error,
                "seconds": round(self.seconds, 2),
                "questions": [{"id": q.question_id, "kind": q.kind, "passed": q.passed,
                               "checked": q.checked, "expected": q.expected, "problems": list(q.problems)}
                              for q in self.questions]}


@dataclass(frozen=True)
class ValidationReport:
    banks: tuple[BankReport, ...] = field(default_factory=tuple)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.banks) and all(b.passed for b in self.banks)

    def to_dict(self) -> dict:
        return {"passed": self.passed, "seconds": round(self.seconds, 2),
                "questions": sum(len(b.questions) for b in self.banks), "banks": [b.to_dict() for b in self.banks]}
