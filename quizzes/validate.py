"""`quiz validate`: every bank's schema, every canonical answer accepted by live torch, every declared wrong answer
rejected, and every predict snippet's live value writable as an answer."""
from __future__ import annotations

import time
from pathlib import Path

from quizzes import answers
from quizzes.answers import AnswerError
from quizzes.engine import Engine
from quizzes.messages import text
from quizzes.model import BankReport, Question, QuestionReport, ValidationReport
from quizzes.schema import BankError, display_path, load


DRAWS = 30  # hidden trials per answer in `quiz validate`: the proof that no draw lets a wrong answer through


def validate(paths: list[Path], worker, on_question=None, draws: int = DRAWS) -> ValidationReport:
    """Validate each bank file; `on_question(bank_id, question_id)` is called as each question starts."""
    started = time.perf_counter()
    reports = tuple(validate_bank(path, worker, on_question, draws) for path in paths)
    return ValidationReport(banks=reports, seconds=time.perf_counter() - started)


def validate_bank(path: Path, worker, on_question=None, draws: int = DRAWS) -> BankReport:
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
        reports.append(validate_question(engine, question, draws))
    return BankReport(bank=bank.id, path=display_path(path), questions=tuple(reports),
                      seconds=time.perf_counter() - started)


def validate_question(engine: Engine, question: Question, draws: int = DRAWS) -> QuestionReport:
    """Run the question's canonical, accepted and wrong answers (or its snippet, or its evidence) live."""
    if question.kind in ("predict", "choice"):
        problems, checked = {"predict": _check_predict, "choice": _check_choice}[question.kind](engine, question)
    else:
        problems, checked = _check_program(engine, question, draws)
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


def _check_program(engine: Engine, question: Question, draws: int) -> tuple[list[str], int]:
    """Right answers pass on the example and on every one of `draws` hidden trials; a declared wrong answer fails
    on the example, or on every hidden trial, so that no draw of hidden inputs ever lets it through. A code
    question must prove that its hidden inputs matter: one of its wrong answers passes on the example shown and is
    caught only by the hidden trials."""
    problems = []
    for label, answer in [("canonical answer", question.answer)] + [("accepted answer", a) for a in question.accept]:
        problems += _right_everywhere(engine, question, label, answer, draws)
    caught_by_hidden = False
    for wrong in question.wrong:
        problem, caught = _wrong_everywhere(engine, question, wrong, draws)
        problems += problem
        caught_by_hidden = caught_by_hidden or caught
    if question.kind == "code" and not caught_by_hidden:
        problems.append("no declared wrong answer is caught by the hidden inputs: declare `inputs` (and `trials`) "
                        "and a wrong answer that is right on the example shown but wrong on other inputs, such "
                        "as a constant that matches the example")
    return problems, 1 + len(question.accept) + len(question.wrong)


def _right_everywhere(engine: Engine, question: Question, label: str, answer, draws: int) -> list[str]:
    run = _proof(engine, question, answer, draws)
    if isinstance(run, str):
        return [f"{label} {_show(answer)} is rejected: {run}"]
    for index, trial in enumerate(run.trials):
        if not trial["passed"]:
            where = f"hidden draw {index} of {len(run.trials) - 1} ({trial['inputs']})" if index else "the example"
            return [f"{label} {_show(answer)} is rejected on {where}: {_reason(trial)}"]
    if run.not_random:
        return [f"{label} {_show(answer)} is rejected: its value is the same on every draw (check.random)"]
    return []


def _wrong_everywhere(engine: Engine, question: Question, wrong, draws: int) -> tuple[list[str], bool]:
    """Problems with a declared wrong answer, and whether only the hidden trials reject it."""
    run = _proof(engine, question, wrong, draws)
    if isinstance(run, str):
        broken = run.startswith("broken")
        return ([f"declared wrong answer {_show(wrong)} could not be judged: {run}"] if broken else []), False
    example, hidden = run.trials[0], run.trials[1:]
    if not example["passed"]:
        return [], False
    if run.not_random:
        return [], True
    accepted = [trial for trial in hidden if trial["passed"]]
    if not hidden:
        return [f"declared wrong answer {_show(wrong)} is accepted"], False
    if accepted:
        return [f"declared wrong answer {_show(wrong)} is accepted on {len(accepted)} of {len(hidden)} hidden draws "
                f"(such as {accepted[0]['inputs'] or 'the same inputs as the example'}): draw hidden inputs on which "
                "it fails every time"], False
    return [], True


def _proof(engine: Engine, question: Question, answer, draws: int):
    """The answer's run on the example and `draws` hidden trials; a string saying why, when it did not finish."""
    try:
        run = engine.proof(question, _from_bank(answer), draws)
    except AnswerError as error:
        return f"invalid: {engine.format_problem(error)}"
    if run.status == "done":
        return run
    return f"{run.status}: {run.problem or run.output[-300:]}"


def _reason(trial: dict) -> str:
    return text("reason", trial["reason"], "en", **trial["detail"]) if trial["reason"] else "rejected"


def _from_bank(answer):
    return list(answer) if isinstance(answer, tuple) else answer


def _show(answer) -> str:
    text = " ".join(map(str, answer)) if isinstance(answer, tuple) else str(answer)
    return repr(text if len(text) <= 60 else text[:57] + "...")
