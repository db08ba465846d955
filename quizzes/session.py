"""Running a bank: interactively (rich prompts, hint/skip/quit, an explanation after each answer) or from an
answers file. Progress is saved after every answer, so stopping anywhere loses nothing."""
from __future__ import annotations

import sys
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from quizzes import entry, progress, render
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


def plan(bank: Bank, mode: str) -> tuple[list[Question], str]:
    """The questions to ask and a message key saying why: `run` resumes at the first unsolved question and asks
    the unsolved ones from there; `restart` asks them all; `review` asks again only those answered wrong."""
    if mode == "restart":
        return list(bank.questions), ""
    if mode == "review":
        missed = progress.missed_ids(bank)
        return [q for q in bank.questions if q.id in missed], "review" if missed else "nothing_to_review"
    solved = progress.solved_ids(bank)
    pending = [q for q in bank.questions if q.id not in solved]
    if not pending:
        return [], "all_solved"
    return pending, "resume" if solved else ""


def run_interactive(engine: Engine, bank: Bank, console, lang: str, mode: str = "run") -> int:
    """Ask the planned questions in turn (see `plan`); return the exit status."""
    questions, notice = plan(bank, mode)
    if notice:
        _print_notice(console, bank, questions, notice, lang)
    if not questions:
        return 0
    outcomes: list[Outcome] = []
    code = 0
    try:
        for question in questions:
            console.print(render.question_panel(bank, question, bank.questions.index(question) + 1, lang))
            outcome = _ask(engine, question, console, lang)
            outcomes.append(outcome)
            progress.record(bank.id, outcome)
    except StopQuiz as stop:
        (Console(stderr=True) if stop.code else console).print(f"[yellow]{escape(stop.message)}[/]")
        code = stop.code
    except KeyboardInterrupt:
        console.print(f"\n[yellow]{text('ui', 'interrupted', lang)}[/]")
        code = EXIT_INTERRUPTED
    finished = len(outcomes) == len(questions)
    unasked = [Outcome(q.id, False, "unasked") for q in questions[len(outcomes):]]
    # A run (resumed or not) that reaches the end has been through the whole bank: what it skipped was solved.
    carried = len(bank.questions) - len(questions) if mode in ("run", "restart") else None
    progress.record_run(RunResult(bank=bank.id, outcomes=tuple(outcomes + unasked)), finished=finished,
                        carried=carried)
    _print_summary(console, bank, outcomes, lang)
    return code


def _print_notice(console, bank: Bank, questions: list[Question], notice: str, lang: str) -> None:
    """Where this run starts, and why: resuming, reviewing, or nothing left to ask."""
    first = questions[0] if questions else None
    values = {"bank": bank.id, "total": len(bank.questions), "count": len(questions),
              "solved": len(progress.solved_ids(bank)), "id": first.id if first else "",
              "n": bank.questions.index(first) + 1 if first else 0}
    console.print(f"[cyan]{escape(text('ui', notice, lang, **values))}[/]")
    if notice == "all_solved":
        console.print(f"[cyan]{escape(what_next(bank, lang))}[/]")


def what_next(bank: Bank, lang: str) -> str:
    """Once `bank` is solved: the next bank (in `quiz list`'s order) with questions left, else the scripts."""
    from quizzes.schema import BankError, discover, load

    later = []
    for path in discover(bank.path.parent).values():
        try:
            other = load(path)
        except BankError:
            continue
        if other.id != bank.id and len(progress.solved_ids(other)) < len(other.questions):
            later.append(other)
    later.sort(key=lambda other: (other.position, other.id))
    after = [other for other in later if (other.position, other.id) > (bank.position, bank.id)]
    following = (after or later)[:1]
    flag = " --lang zh" if lang == "zh" else ""
    if following:
        return text("ui", "next_bank", lang, bank=following[0].id, title=following[0].title.get(lang), flag=flag)
    return text("ui", "every_bank_solved", lang, flag=flag)


def _print_summary(console, bank: Bank, outcomes: list[Outcome], lang: str) -> None:
    """This run's score (out of what was asked), the bank's progress, and where it is saved."""
    if outcomes:
        result = RunResult(bank=bank.id, outcomes=tuple(outcomes))
        console.print(f"[bold]{render.score_line(result, lang)}[/]")
    else:
        console.print(f"[bold]{escape(text('ui', 'nothing_answered', lang))}[/]")
    solved = len(progress.solved_ids(bank))
    console.print(escape(text("ui", "bank_progress", lang, bank=bank.id, solved=solved, total=len(bank.questions))))
    if solved == len(bank.questions):
        console.print(f"[cyan]{escape(what_next(bank, lang))}[/]")
    console.print(f"[dim]{text('ui', 'saved', lang, path=progress.progress_path())}[/]")


def _ask(engine: Engine, question: Question, console, lang: str) -> Outcome:
    """Read answers until one can be graded (a badly formatted one is asked again), then show the outcome."""
    while True:
        reply = read_reply(console, question, lang, engine.bank)
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


def read_reply(console, question: Question, lang: str, bank: Bank) -> tuple:
    """("answer", text), ("hint",), ("skip",) or ("quit",). Code is read until the student ends it (see entry)."""
    prompt = f"[bold cyan]{text('ui', 'prompt', lang)}>[/] "
    while True:
        first = _input(console, prompt, lang, bank.id)
        word = first.strip().lower()
        if word in COMMANDS:
            return (COMMANDS[word],)
        if word.startswith("@"):
            source = _read_file(first.strip()[1:], console, lang)
            if source is not None:
                return ("answer", source)
            continue
        if not first.strip() or (question.kind == "code" and entry.is_terminator(first)):
            console.print(f"[dim]{text('ui', 'empty', lang)}[/]")
            continue
        if question.kind != "code":
            return ("answer", first.strip())
        return ("answer", _read_block(console, first, question, lang, bank))


def _read_block(console, first: str, question: Question, lang: str, bank: Bank) -> str:
    """Lines of code until a line holding just `.`, or two empty lines once the code is complete and defines what
    the question asks for; the first time two empty lines do not end it, the student is told why."""
    setup = "\n".join((bank.setup, question.setup, question.example))
    needed = entry.names_needed(question.check.target, setup) if question.check else set()
    lines, told = [first], False
    while True:
        try:
            line = _input(console, f"[dim]{text('ui', 'more', lang)}[/] ", lang, bank.id)
        except StopQuiz:
            break  # stdin ended inside the block: grade what was typed; the next read will stop the quiz
        if entry.is_terminator(line):
            break
        lines.append(line)
        if entry.two_empty_lines(lines):
            why = entry.waiting_for(lines, needed, question.check.target.isidentifier())
            if not why:
                break
            if not told:
                console.print(f"[dim]{escape(text('ui', 'still_' + why, lang, names=', '.join(sorted(needed))))}[/]")
                told = True
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
