"""Grading: an answer to a question becomes an Outcome, judged by live torch through the worker."""
from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from quizzes import answers
from quizzes.answers import AnswerError
from quizzes.live import LiveRun, make_job, program_for, read_reply
from quizzes.messages import InputError, text
from quizzes.model import Bank, Outcome, Question


class Engine:
    """Grades answers to one bank's questions; predictions are computed once per question and kept."""

    def __init__(self, bank: Bank, worker, lang: str = "en"):
        self.bank, self.worker, self.lang = bank, worker, lang
        self._predictions: dict[str, LiveRun] = {}
        self._context: dict | None = None

    def context(self) -> dict:
        """Names injected into every job: ROOT, the MNIST subset's torchvision root, for banks that need it."""
        if self._context is None:
            names = {}
            if "mnist" in self.bank.needs:
                names["ROOT"] = _mnist_root(self.bank.id)
            self._context = {"globals": names, "lang": self.lang}
        return self._context

    def readable_paths(self) -> tuple[Path, ...]:
        """Host folders the bank's jobs read (the MNIST subset's root), for a worker behind the OS boundary."""
        root = self.context()["globals"].get("ROOT")
        return (Path(root),) if root else ()

    def live(self, question: Question, mode: str, program: str) -> LiveRun:
        return read_reply(self.worker.run(make_job(self.bank, question, mode, program, self.context())))

    def prediction(self, question: Question) -> LiveRun:
        """The live value of a predict snippet (or the error it raises)."""
        if question.id not in self._predictions:
            self._predictions[question.id] = self.live(question, "predict", question.code)
        return self._predictions[question.id]

    def proof(self, question: Question, answer, draws: int) -> LiveRun:
        """`quiz validate`'s run of an answer: on the example, then on `draws` hidden trials, each one reported
        (the time limit grows with them: each trial has what a grading gives it)."""
        job = make_job(self.bank, question, "check", program_for(question, _program_answer(question, answer)),
                       self.context(), draws=draws)
        if job["trials"]:
            job["timeout_s"] *= (1 + len(job["trials"])) / (1 + question.trials)
        return read_reply(self.worker.run(job))

    def evidence(self, question: Question) -> LiveRun:
        """Run a choice question's shown code, then its evidence: code that shows the fact the answer rests on."""
        return self.live(question, "run", question.code.rstrip() + "\n" + question.evidence)

    def expected(self, question: Question) -> str:
        """The canonical answer, written so that it would be accepted."""
        if question.kind == "predict":
            run = self.prediction(question)
            return answers.format_expected(run.value) if run.status == "done" else ""
        if question.kind == "choice":
            return ", ".join(question.answer)
        if question.kind == "order":
            return " ".join(str(n) for n in question.answer)
        return question.answer

    def grade(self, question: Question, answer) -> Outcome:
        if answer is None or (isinstance(answer, str) and not answer.strip()):
            return self.outcome(question, False, "skipped", text("reason", "skipped", self.lang))
        try:
            outcome = _GRADERS[question.kind](self, question, answer)
        except AnswerError as error:
            return self.outcome(question, False, "invalid", self.format_problem(error))
        note = None if outcome.correct else misconception(question, answer)
        return replace(outcome, note=note.get(self.lang)) if note else outcome

    def format_problem(self, error: AnswerError) -> str:
        """Why an answer could not be graded, and, for a near miss, what the student probably meant."""
        detail = dict(error.detail)
        if "form_key" in detail:
            detail["form"] = text("format", detail.pop("form_key"), self.lang)
        return text("reason", error.key, self.lang, **detail)

    def outcome(self, question: Question, correct: bool, status: str, message: str = "",
                run: LiveRun | None = None) -> Outcome:
        """An Outcome that carries the canonical answer, and what live torch printed if it ran."""
        return Outcome(question_id=question.id, correct=correct, status=status, expected=self.expected(question),
                       message=message, output=run.output if run else "", shown=run.shown if run else "",
                       trial=run.trial if run and not correct else 0)

    def from_run(self, question: Question, run: LiveRun) -> Outcome:
        """Grade from a live check: passed or not, or why it could not finish (timeout, crash, flood)."""
        if run.status == "done":
            message = "" if run.passed else text("reason", run.reason, self.lang, **run.detail)
            if run.trial and not run.passed and run.reason != "not_random":  # right on the example only
                where = text("reason", "hidden_trial", self.lang, n=run.trial, total=question.trials,
                             inputs=run.inputs or "-")
                message = f"{where} {message}".strip()
            return self.outcome(question, run.passed, "correct" if run.passed else "wrong", message, run)
        values = {"seconds": f"{self.bank.timeout_for(question):g}", "exit": run.problem, "problem": run.problem}
        status = "error" if run.status == "flood" else run.status
        return self.outcome(question, False, status, text("reason", run.status, self.lang, **values), run)


def misconception(question: Question, answer):
    """The note on the misconception behind a declared wrong answer, when `answer` is that answer (as code: the
    same program, whatever its spacing and comments; as a prediction: the same value, however it is written,
    `11,181,642` as well as `11181642`); else None."""
    keys = _answer_keys(question, answer)
    for wrong, note in zip(question.wrong, question.notes):
        if note is not None and any(key in keys for key in _answer_keys(question, wrong)):
            return note
    return None


def _answer_keys(question: Question, answer) -> list:
    """The forms of an answer in which two ways of writing the same answer are equal; none if it does not parse."""
    try:
        if question.kind == "choice":
            return [answers.parse_choice(list(answer) if isinstance(answer, tuple) else answer, len(question.options))]
        if question.kind == "order":
            return [answers.parse_order(list(answer) if isinstance(answer, tuple) else answer, len(question.steps))]
        if question.kind == "predict":
            return answers.readings(_as_text(answer))
        return [ast.dump(ast.parse(str(answer).strip()))]
    except (AnswerError, SyntaxError, ValueError):
        return []


def _mnist_root(bank_id: str) -> str:
    """The torchvision root of the embedded MNIST subset (reference.data imports no torch; it unpacks once)."""
    try:
        from reference.data import mnist_root

        return str(mnist_root("subset"))
    except Exception as error:  # missing module or data: the bank cannot run, and the user should know why
        raise InputError("needs_mnist", bank=bank_id, problem=f"{type(error).__name__}: {error}") from None


def _grade_choice(engine: Engine, question: Question, answer) -> Outcome:
    correct = answers.parse_choice(answer, len(question.options)) == question.answer
    return engine.outcome(question, correct, "correct" if correct else "wrong")


def _grade_predict(engine: Engine, question: Question, answer) -> Outcome:
    run = engine.prediction(question)
    if run.status != "done":
        return engine.from_run(question, run)
    written = _as_text(answer)
    correct = answers.accepts(run.value, written, question.tolerance, question.exact_type)
    if not correct:
        answers.check_readable(run.value, written)  # a near miss is asked again, not marked wrong
    return engine.outcome(question, correct, "correct" if correct else "wrong", run=run)


def _grade_program(engine: Engine, question: Question, answer) -> Outcome:
    program = program_for(question, _program_answer(question, answer))
    return engine.from_run(question, engine.live(question, "check", program))


def _program_answer(question: Question, answer):
    """The source of a code or fill answer, or an order question's step numbers; AnswerError if it is neither."""
    if question.kind == "order":
        return answers.parse_order(list(answer) if isinstance(answer, tuple) else answer, len(question.steps))
    if not isinstance(answer, str):
        raise AnswerError("not_text")
    return answer


def _as_text(answer) -> str:
    if isinstance(answer, str):
        return answer
    if isinstance(answer, bool) or answer is None:
        return str(answer)
    return repr(answer)  # numbers and lists from a JSON or TOML answers file


_GRADERS = {"choice": _grade_choice, "predict": _grade_predict, "code": _grade_program, "fill": _grade_program,
            "order": _grade_program}
