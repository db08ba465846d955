"""`quiz validate`: every bank's schema, every canonical answer accepted by live torch, every declared wrong answer
rejected, and every predict snippet's live value writable as an answer."""
from __future__ import annotations

import time
from pathlib import Path

from quizzes import answers
from quizzes.engine import Engine
from quizzes.model import BankReport, Question, QuestionReport, ValidationReport
from quizzes.schema import BankError, display_path, load


def validate(paths: list[Path], worker, on_question=None) -> ValidationReport:
    """Validate each bank file; `on_question(bank_id, question_id)` is called as each question starts."""
    started = time.perf_counter()
    reports = tuple(validate_bank(path, worker, on_question) for path in paths)
    return ValidationReport(banks=reports, seconds=time.perf_counter() - started)


def validate_bank(path: Path, worker, on_question=None) -> BankReport:
    """One bank file: a schema error ends it; otherwise every question is checked against live torch."""
    started = time.perf_counter()
    try:
        bank = load(path)
    except BankError as error:
        return BankReport(bank=path.stem, path=display_path(path), error=str(error))
    engine = Engine(bank, worker, "en")
    reports = []
    for question in bank.questions:
        if on_question:
            on_question(bank.id, question.id)
        reports.append(validate_question(engine, question))
    return BankReport(bank=bank.id, path=display_path(path), questions=tuple(reports),
                      seconds=time.perf_counter() - started)


def validate_question(engine: Engine, question: Question) -> QuestionReport:
    """Run the question's canonical, accepted and wrong answers (or its snippet, or its evidence) live."""
    checker = {"predict": _check_predict, "choice": _check_choice}.get(question.kind, _check_program)
    problems, checked = checker(engine, question)
    return QuestionReport(question_id=question.id, kind=question.kind, problems=tuple(problems), checked=checked,
                          expected=engine.expected(question))


def _check_predict(engine: Engine, question: Question) -> tuple[list[str], int]:
    run = engine.prediction(question)
    if run.status != "done":
        return [f"the snippet could not run ({run.status}: {run.problem or run.output[-300:]})"], 1
    expected = answers.format_expected(run.value)
    problems = []
    if not answers.accepts(run.value, expected, question.tolerance, question.exact_type):
        problems.append(f"the live value {run.shown!r} cannot be written as an answer; ask for its shape, "
                        "dtype or one element instead")
    for wrong in question.wrong:
        if answers.accepts(run.value, wrong, question.tolerance, question.exact_type):
            problems.append(f"declared wrong answer {wrong!r} is accepted: the live value is {expected}")
    return problems, 1


def _check_choice(engine: Engine, question: Question) -> tuple[list[str], int]:
    run = engine.evidence(question)
    problems = []
    if run.status != "done" or not run.passed:
        why = run.detail.get("error") or run.problem or run.status
        problems.append(f"the evidence does not hold in this torch: {why}")
    for wrong in question.wrong:
        if answers.parse_choice(wrong, len(question.options)) == question.answer:
            problems.append(f"declared wrong answer {wrong!r} is the answer")
    return problems, 1


def _check_program(engine: Engine, question: Question) -> tuple[list[str], int]:
    """Right answers pass every trial; wrong ones fail. A code question must prove that its hidden inputs matter:
    one of its wrong answers passes on the example shown and is caught only by a hidden trial."""
    problems = []
    for label, answer in [("canonical answer", question.answer)] + [("accepted answer", a) for a in question.accept]:
        outcome = engine.grade(question, _from_bank(answer))
        if not outcome.correct:
            problems.append(f"{label} {_show(answer)} is rejected: {outcome.message}")
    caught_by_hidden = False
    for wrong in question.wrong:
        outcome = engine.grade(question, _from_bank(wrong))
        if outcome.correct:
            problems.append(f"declared wrong answer {_show(wrong)} is accepted")
        elif outcome.status == "broken":
            problems.append(f"declared wrong answer {_show(wrong)} could not be judged: {outcome.message}")
        caught_by_hidden = caught_by_hidden or outcome.trial > 0
    if question.kind == "code" and not caught_by_hidden:
        problems.append("no declared wrong answer is caught by the hidden inputs: declare `inputs` (and `trials`) "
                        "and a wrong answer that is right on the example shown but wrong on other inputs, such "
                        "as a constant that matches the example")
    return problems, 1 + len(question.accept) + len(question.wrong)


def _from_bank(answer):
    return list(answer) if isinstance(answer, tuple) else answer


def _show(answer) -> str:
    text = " ".join(map(str, answer)) if isinstance(answer, tuple) else str(answer)
    return repr(text if len(text) <= 60 else text[:57] + "...")
