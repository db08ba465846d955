"""rich rendering of verdicts and lists. The only module of the checker that prints.

Text a submission controls (its messages, traceback, output, source lines, names) is cleaned of escape sequences
and shown literally: escaped from rich markup, never read for :emoji: codes, so it cannot pose as our verdict."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from checker.messages import status_label, text
from checker.untrusted import clean
from checker.verdict import Verdict


def source_line(path: str, line: int | None) -> str:
    if not line:
        return ""
    try:
        return clean(Path(path).read_text(encoding="utf-8-sig").splitlines()[line - 1].strip())
    except (OSError, IndexError, UnicodeDecodeError):
        return ""


def _shown(untrusted: str) -> str:
    """Untrusted text placed into our markup: clean, and literal."""
    return escape(clean(untrusted))


def print_verdict(console: Console, verdict: Verdict, explanation: str = "", note: str = "", plot: bool = True) -> None:
    """The verdict, check by check, then the training curves (unless `plot` is off); `note` is one more line of
    ours at the end (a solution that passed, ...)."""
    lang = verdict.lang

    def say(markup) -> None:
        console.print(markup, emoji=False)  # `:white_check_mark:` in a student's message stays text

    if verdict.passed:
        head = f"[bold green]✓ {text('ui', 'fixed', lang)}[/]"
    elif verdict.status == "needs_review":
        head = f"[bold yellow]? {text('ui', 'needs_review', lang)}[/]"
    else:
        head = f"[bold red]✗ {text('ui', 'not_fixed', lang)}[/]"
    say(f"{head}  [bold]{verdict.scenario}[/]  {_shown(verdict.file)}  [dim]{verdict.duration_s:.1f} s[/]")
    for check in verdict.checks:
        mark = "[green]✓[/]" if check.passed else "[red]✗[/]"
        where = f" [cyan]{_shown(verdict.file)}:{check.line}[/]" if check.line else ""
        say(f" {mark} [bold]{check.id}[/]{where}  {_shown(check.message)}")
        code = source_line(verdict.file, check.line) if not check.passed else ""
        if code:
            say(f"     [dim]{check.line} |[/] {escape(code)}")
        if not check.passed and check.why:
            say(f"     [yellow]{_shown(check.why)}[/]")
    if verdict.traceback:
        say(Panel(Text(clean(verdict.traceback)), title=text("ui", "traceback", lang), border_style="red"))
    elif not verdict.passed and verdict.output.strip() and verdict.status in ("crashed", "timeout"):
        tail = "\n".join(clean(verdict.output).strip().splitlines()[-15:])
        say(Panel(Text(tail), title=text("ui", "output", lang), border_style="dim"))
    if plot and verdict.curves:
        print_curves(console, verdict.curves, lang)
    if verdict.passed and explanation:
        say(Panel(escape(explanation), border_style="green"))
    elif not verdict.passed:
        say(f"[dim]{escape(text('ui', 'hint_more', lang, id=verdict.scenario))}[/]")
    if note:
        say(f"[yellow]{escape(note)}[/]")


def print_curves(console: Console, curves: dict, lang: str) -> None:
    """The compact loss chart (student against reference), the accuracy per epoch, and the bug signature."""
    from checker.plot_text import chart_lines

    for line in chart_lines(curves, lang, fit=console.width):  # a narrow terminal: fewer columns, never wrapped
        console.print(Text(line, style="dim"), emoji=False)
    if curves.get("signature"):
        console.print(Text(f"→ {curves['signature']}", style="yellow"), emoji=False)


def print_source(console: Console, code: str) -> None:
    console.print(Syntax(code, "python", line_numbers=False))


def scenario_table(rows: list[dict], lang: str) -> Table:
    """One row per scenario: its buggy script, your progress, and its solution once you have solved it."""
    table = Table(show_lines=False)
    for column in ("id", "title", "buggy", "progress", "solution"):
        table.add_column(text("list", column, lang), overflow="fold")  # paths are copied: never cut them short
    for row in rows:
        progress = [f"[green]{text('list', 'solved', lang)}[/]"] if row["solved"] else []
        if row["hints_shown"]:
            progress.append(text("list", "hints", lang, count=row["hints_shown"]))
        solution = escape(row["solution"]) if "solution" in row else f"[dim]{text('list', 'solution_hidden', lang)}[/]"
        table.add_row(row["id"], escape(row["title"]), escape(row["buggy"]),
                      ", ".join(progress) or text("list", "not_started", lang), solution)
    return table


def grades_table(grades, lang: str = "en") -> Table:
    """One row per student: score, status, accuracy and the first failing check."""
    table = Table(show_lines=False)
    for column in ("student", "score", "status", "accuracy", "problem"):
        table.add_column(text("grades", column, lang), overflow="fold")
    for grade in grades:
        colour = "green" if grade.passed else "yellow" if grade.status in ("not_fixed", "crashed", "timeout") else "red"
        accuracy = f"{100 * grade.accuracy:.1f}%" if grade.accuracy is not None else "-"
        problem = grade.message or next((f"{c.id}: {c.message}" for c in grade.checks if not c.passed), "")
        table.add_row(Text(clean(grade.student)), f"{grade.score:g}/{grade.max_score:g}",
                      f"[{colour}]{status_label(grade.status, lang)}[/]", accuracy, Text(clean(problem)[:160]))
    return table
