"""rich rendering for `quiz`: questions, outcomes, scores, bank lists and validation reports. The engine never
prints; this module and the commands do."""
from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text as RichText

from quizzes.messages import text
from quizzes.model import Bank, Outcome, Question, RunResult, ValidationReport

LETTERS = "abcdefgh"


def code_block(source: str) -> Syntax:
    """Python source, syntax-highlighted in the terminal's own colours."""
    return Syntax(source.strip("\n"), "python", theme="ansi_dark", background_color="default", word_wrap=True)


def question_panel(bank: Bank, question: Question, number: int, lang: str) -> Panel:
    """The question as it is asked: prompt, code, options or steps, and how to answer."""
    parts = [RichText(question.prompt.get(lang))]
    if question.code.strip():
        parts.append(code_block(question.code))
    if question.kind == "choice":
        parts.extend(RichText(f"  {LETTERS[i]}) {option.get(lang)}") for i, option in enumerate(question.options))
    if question.kind == "order":
        parts.extend(RichText(f"  {i}. {step}") for i, step in enumerate(question.steps, 1))
    parts.append(RichText(f"{how_to_answer(question, lang)} {text('ui', 'commands', lang)}", style="dim"))
    kind = text("ui", f"kind_{question.kind}", lang)
    title = text("ui", "header", lang, bank=bank.title.get(lang), n=number, total=len(bank.questions), kind=kind)
    return Panel(Group(*parts), title=escape(title), title_align="left", subtitle=escape(question.id),
                 subtitle_align="right", border_style="cyan")


def how_to_answer(question: Question, lang: str) -> str:
    """One line on the form of the answer this kind of question wants."""
    if question.kind == "choice":
        return text("ui", "how_choice_many" if question.multiple else "how_choice_one", lang)
    if question.kind == "order":
        example = " ".join(str(i) for i in range(len(question.steps), 0, -1))
        return text("ui", "how_order", lang, example=example)
    return text("ui", f"how_{question.kind}", lang)


def print_outcome(console: Console, question: Question, outcome: Outcome, lang: str) -> None:
    if outcome.correct:
        console.print(f"[bold green]{escape(text('ui', 'correct', lang))}[/]")
    elif outcome.status == "skipped":
        console.print(f"[yellow]{escape(text('ui', 'skipped', lang))}[/]")
    else:
        console.print(f"[bold red]{escape(text('ui', 'wrong', lang))}[/]  {escape(outcome.message)}")
    if outcome.note:
        console.print(f"[magenta]{escape(text('ui', 'note', lang, note=outcome.note))}[/]")
    if not outcome.correct and outcome.expected:
        expected = text("ui", "expected", lang, expected="")
        console.print(f"[bold]{escape(expected)}[/]")
        console.print(code_block(outcome.expected) if "\n" in outcome.expected.strip() else
                      f"  [green]{escape(outcome.expected)}[/]")
    print_live(console, outcome.output, outcome.shown, lang)
    console.print(Panel(escape(question.explanation.get(lang)), title=escape(text("ui", "why", lang)),
                        title_align="left", border_style="green" if outcome.correct else "yellow"))


def print_live(console: Console, output: str, shown: str, lang: str) -> None:
    lines = [output.rstrip()] if output.strip() else []
    if shown:
        lines.append(text("ui", "value", lang, value=shown))
    if lines:
        console.print(Panel(escape("\n".join(lines)), title=escape(text("ui", "live_output", lang)),
                            title_align="left", border_style="dim"))


def score_line(result: RunResult, lang: str) -> str:
    return text("ui", "score", lang, score=result.score, max=len(result.outcomes), percent=result.percent)


def result_table(result: RunResult, lang: str) -> Table:
    table = Table(title=escape(score_line(result, lang)), title_justify="left")
    for column in ("question", "", "expected"):
        table.add_column(text("ui", f"column_{column}", lang) if column else "")
    for outcome in result.outcomes:
        mark = "[green]✓[/]" if outcome.correct else "[red]✗[/]"
        expected = "" if outcome.correct else escape(outcome.expected.strip().splitlines()[0] if outcome.expected
                                                     else "")
        table.add_row(outcome.question_id, mark, expected)
    return table


def progress_bar(done: int, total: int, width: int = 12) -> RichText:
    """A bar of block characters: readable in colour, without colour, and in a log."""
    filled = round(width * done / total) if total else 0
    return RichText.assemble(("█" * filled, "green"), ("░" * (width - filled), "dim"))


def bank_table(rows: list[dict], lang: str) -> Table:
    """The banks with a progress bar each: questions solved so far, and the best run over a whole bank."""
    table = Table()
    for column in ("bank", "title", "progress", "", "best"):  # a Chinese title has no space to wrap at: it folds
        table.add_column(text("ui", f"column_{column or 'solved'}", lang), no_wrap=column != "title",
                         overflow="fold" if column == "title" else "ellipsis")
    for row in rows:
        if row.get("error"):
            table.add_row(row["id"], f"[red]{escape(text('ui', 'schema_error', lang))}[/]", "", "", "")
            continue
        bar = progress_bar(row["solved"], row["questions"])
        done = text("ui", "progress", lang, correct=row["solved"], total=row["questions"])
        best = row.get("best_run") or {}
        table.add_row(row["id"], escape(row["title"]), bar, escape(done),
                      f"{best['score']}/{best['max_score']}" if best else "-")
    return table


def print_validation(console: Console, report: ValidationReport) -> None:
    for bank in report.banks:
        if bank.error:
            console.print(f"[bold red]✗ {escape(bank.bank)}[/]  {escape(bank.error)}")
            continue
        failed = [q for q in bank.questions if not q.passed]
        mark = "[bold green]✓[/]" if not failed else "[bold red]✗[/]"
        checked = sum(q.checked for q in bank.questions)
        console.print(f"{mark} [bold]{escape(bank.bank)}[/]  {len(bank.questions)} questions, {checked} answers "
                      f"run against live torch  [dim]{bank.seconds:.1f} s[/]")
        for question in failed:
            for problem in question.problems:
                console.print(f"   [red]✗[/] {escape(question.question_id)}: {escape(problem)}")
    total = sum(len(b.questions) for b in report.banks)
    verdict = "[bold green]all passed[/]" if report.passed else "[bold red]FAILED[/]"
    console.print(f"{verdict}: {len(report.banks)} banks, {total} questions in {report.seconds:.1f} s")
