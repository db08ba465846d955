"""Running a bank: interactively (rich prompts, hint/skip/quit, an explanation after each answer) or from an
answers file. Progress is saved after every answer, so stopping anywhere loses nothing."""
from __future__ import annotations

import sys
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from quizzes import progress, render
from quizzes.engine import Engine
from quizzes.messages import text
from quizzes.model import Bank, Outcome, Question, RunResult

COMMANDS = {"hint": "hint", "skip": "skip", "quit": "quit", "exit": "quit", "提示": "hint", "跳过": "skip",
            "退出": "quit"}
EXIT_EOF, EXIT_INTERRUPTED = 2, 130


class StopQuiz(Exception):
    """The student asked to stop (quit), or stdin ended; `code` is the exit status."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def grade_all(engine: Engine, bank: Bank, answers: dict) -> RunResult:
    """Grade an answers file: a missing answer counts as skipped."""
    outcomes = tuple(engine.grade(q, answers.get(q.id)) for q in bank.questions)
    for outcome in outcomes:
        progress.record(bank.id, outcome)
    result = RunResult(bank=bank.id, outcomes=outcomes)
    progress.record_run(result, finished=True)
    return result


def run_interactive(engine: Engine, bank: Bank, console, lang: str) -> int:
    """Ask every question in turn; return the exit status."""
    outcomes: list[Outcome] = []
    code = 0
    try:
        for number, question in enumerate(bank.questions, 1):
            console.print(render.question_panel(bank, question, number, lang))
            outcome = _ask(engine, question, console, lang)
            outcomes.append(outcome)
            progress.record(bank.id, outcome)
    except StopQuiz as stop:
        (Console(stderr=True) if stop.code else console).print(f"[yellow]{escape(stop.message)}[/]")
        code = stop.code
    except KeyboardInterrupt:
        console.print(f"\n[yellow]{text('ui', 'interrupted', lang)}[/]")
        code = EXIT_INTERRUPTED
    finished = len(outcomes) == len(bank.questions)
    unanswered = [Outcome(q.id, False, "skipped") for q in bank.questions[len(outcomes):]]
    result = RunResult(bank=bank.id, outcomes=tuple(outcomes + unanswered))  # the score is out of the whole bank
    progress.record_run(result, finished=finished)
    console.print(f"[bold]{render.score_line(result, lang)}[/]")
    console.print(f"[dim]{text('ui', 'saved', lang, path=progress.progress_path())}[/]")
    return code


def _ask(engine: Engine, question: Question, console, lang: str) -> Outcome:
    """Read answers until one can be graded (a badly formatted one is asked again), then show the outcome."""
    while True:
        reply = read_reply(console, question, lang, engine.bank.id)
        if reply == ("hint",):
            console.print(f"[cyan]{escape(text('ui', 'hint', lang, hint=question.hint.get(lang)))}[/]")
            continue
        if reply == ("quit",):
            raise StopQuiz(0, text("ui", "quit", lang))
        answer = None if reply == ("skip",) else reply[1]
        with console.status(text("ui", "running", lang)) if console.is_terminal else nullcontext():
            outcome = engine.grade(question, answer)
            if question.kind == "choice" and outcome.status != "invalid":
                run = engine.evidence(question)
                outcome = _with_output(outcome, run.output)
        if outcome.status == "invalid":
            console.print(f"[yellow]{escape(outcome.message)}[/]")
            continue
        render.print_outcome(console, question, outcome, lang)
        return outcome


def read_reply(console, question: Question, lang: str, bank_id: str) -> tuple:
    """("answer", text), ("hint",), ("skip",) or ("quit",). Code is read until an empty line."""
    prompt = f"[bold cyan]{text('ui', 'prompt', lang)}>[/] "
    while True:
        first = _input(console, prompt, lang, bank_id)
        word = first.strip().lower()
        if word in COMMANDS:
            return (COMMANDS[word],)
        if word.startswith("@"):
            source = _read_file(first.strip()[1:], console, lang)
            if source is not None:
                return ("answer", source)
            continue
        if question.kind != "code":
            if first.strip():
                return ("answer", first.strip())
            console.print(f"[dim]{text('ui', 'empty', lang)}[/]")
            continue
        return ("answer", _read_block(console, first, lang, bank_id))


def _read_block(console, first: str, lang: str, bank_id: str) -> str:
    lines = [first]
    while lines[-1].strip() or len(lines) == 1 and not first.strip():
        try:
            lines.append(_input(console, f"[dim]{text('ui', 'more', lang)}[/] ", lang, bank_id))
        except StopQuiz:
            break  # stdin ended inside the block: grade what was typed; the next read will stop the quiz
    return "\n".join(lines).strip("\n")


def _read_file(name: str, console, lang: str) -> str | None:
    """An answer kept in a file (@answer.py); None, after saying why, if it cannot be read."""
    try:
        return Path(name).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        console.print(f"[yellow]{escape(text('ui', 'no_file', lang, path=name, problem=error))}[/]")
        return None


def _input(console, prompt: str, lang: str, bank_id: str) -> str:
    try:
        return console.input(prompt)
    except EOFError:
        if sys.stdin is not None and sys.stdin.isatty():
            raise StopQuiz(0, text("ui", "quit", lang)) from None  # Ctrl-D at a terminal: the student left
        raise StopQuiz(EXIT_EOF, text("ui", "eof", lang, bank=bank_id)) from None


def _with_output(outcome: Outcome, output: str) -> Outcome:
    return replace(outcome, output=output)
