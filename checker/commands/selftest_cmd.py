"""checker selftest [ID...]"""
from __future__ import annotations

import json
import sys

import click

from checker.cli import exits_cleanly


def count_cases(ids) -> int:
    from checker.scenario import find, load_all

    scenarios = [find(i) for i in ids] if ids else load_all()
    return sum(2 + len(s.variants) for s in scenarios)


@click.command("selftest")
@click.argument("ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--timeout", type=float, help="Wall-clock limit per run in seconds (default: each scenario's budget).")
@exits_cleanly
def command(ids, as_json, timeout):
    """Prove scenarios (all by default): metadata sound, buggy script fails, solution passes, every variant
    gets its declared verdict. Exit code 0 when all hold, 1 otherwise."""
    from rich.console import Console
    from rich.progress import Progress

    from checker.selftest import selftest

    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("selftest", total=count_cases(ids))

        def on_case(name, result):
            if result is None:
                bar.update(task, description=name)
            else:
                bar.advance(task)

        reports = selftest(list(ids), timeout, on_case)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in reports], ensure_ascii=False))
    else:
        print_reports(Console(), reports)
    sys.exit(0 if all(r.ok for r in reports) else 1)


def print_reports(console, reports) -> None:
    from rich.markup import escape

    for report in reports:
        mark = "[green]✓[/]" if report.ok else "[red]✗[/]"
        console.print(f"{mark} [bold]{report.id}[/]")
        for problem in report.problems:
            console.print(f"   [red]metadata:[/] {escape(problem)}")
        for case in report.cases:
            ok = "[green]ok[/]" if case.ok else "[red]WRONG[/]"
            got = "passed" if case.passed else f"failed ({', '.join(case.failed_checks)})"
            extra = f"; expected to fail: {', '.join(case.missing_failures)}" if case.missing_failures else ""
            console.print(f"   {ok} {escape(case.name)}: expected {case.expect}, {got}{extra} "
                          f"[dim]{case.duration_s:.1f} s[/]")
    total = sum(len(r.cases) for r in reports)
    wrong = sum(1 for r in reports for c in r.cases if not c.ok)
    console.print(f"{len(reports)} scenarios, {total} cases, {wrong} wrong")
