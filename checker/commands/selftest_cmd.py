"""checker selftest [ID...]"""
from __future__ import annotations

import json
import sys

import click

from checker.cli import exits_cleanly, lang_option


@click.command("selftest")
@click.argument("ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--timeout", type=float, help="Wall-clock limit per run in seconds (default: each scenario's budget).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Cases run at once, each in its own sandbox (default: the number of CPU cores, at most 8).")
@click.option("--fresh", is_flag=True, help="Start a new process per case instead of pre-started warm workers.")
@click.option("--quick", is_flag=True,
              help="Prove a case that must fail on the first batches of each epoch (the scenario's "
                   "budget.quick_batches, 20 by default) when one of its probes fails there; the accuracy is not "
                   "read then. Cases that must pass, or that fail only on accuracy or a crash, get the whole budget.")
@lang_option
@exits_cleanly
def command(ids, as_json, timeout, jobs, fresh, quick, lang):
    """Prove scenarios (all by default): the metadata is sound, the buggy script fails, the solution passes, and
    every declared variant gets its declared verdict. Exit code 0 when all hold, 1 otherwise.

    \b
    checker selftest                  every scenario in buggy_examples/ and $TORCHDRILL_SCENARIOS
    checker selftest zero_grad -j 1   one scenario, one case at a time
    checker selftest --quick          the same proof, faster: failing cases stop early once a probe fails
    """
    from rich.console import Console
    from rich.progress import Progress

    from checker.pool import default_jobs
    from checker.selftest import selftest
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("selftest", total=None)
        on_case = case_progress(bar, task)
        reports = selftest(list(ids), timeout, on_case, jobs=jobs or default_jobs(), warm=not fresh,
                           on_total=lambda total: bar.update(task, total=total), lang=lang, quick=quick)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in reports], ensure_ascii=False))
    else:
        print_reports(Console(), reports, lang)
    sys.exit(0 if all(r.ok for r in reports) else 1)


def case_progress(bar, task):
    """selftest's on_case for a rich progress bar: the case running now, and one step per case done."""
    def on_case(name, result):
        if result is None:
            bar.update(task, description=name)
        else:
            bar.advance(task)
    return on_case


def print_reports(console, reports, lang: str = "en") -> None:
    """Each scenario and its cases; a failing case shows why each of its checks failed (the verdict's own words),
    and a crash the end of its traceback, so that a variant failing for the wrong reason shows at once."""
    from rich.markup import escape

    from checker.messages import text

    for report in reports:
        mark = "[green]✓[/]" if report.ok else "[red]✗[/]"
        console.print(f"{mark} [bold]{report.id}[/]")
        for problem in report.problems:
            console.print(f"   [red]{text('selftest', 'metadata', lang)}[/] {escape(problem)}")
        for case in report.cases:
            ok = "[green]ok[/]" if case.ok else f"[red]{text('selftest', 'wrong', lang)}[/]"
            got = (text("selftest", "passed", lang) if case.passed else
                   text("selftest", "failed", lang, checks=", ".join(case.failed_checks)))
            extra = (text("selftest", "missing", lang, checks=", ".join(case.missing_failures))
                     if case.missing_failures else "")
            expected = text("selftest", f"expected_{case.expect}", lang)
            budget = f", {text('selftest', 'quick', lang)}" if case.budget == "quick" else ""
            console.print(f"   {ok} {escape(_case_name(case.name, lang))}: {expected}, {got}{extra} "
                          f"[dim]{case.duration_s:.1f} s{budget}[/]")
            for check, message in case.messages.items():
                console.print(f"      [dim]{escape(check)}:[/] {escape(message)}")
            if case.traceback:
                console.print("      " + escape(case.traceback.strip()).replace("\n", "\n      "), style="dim")
    total = sum(len(r.cases) for r in reports)
    wrong = sum(1 for r in reports for c in r.cases if not c.ok)
    console.print(text("selftest", "summary", lang, scenarios=len(reports), cases=total, wrong=wrong))


def _case_name(name: str, lang: str) -> str:
    """A case as a person reads it; the JSON keeps the English names (a variant's name is its author's)."""
    from checker.messages import text

    if name in ("buggy script", "solution"):
        return text("selftest", name.replace(" ", "_"), lang)
    return text("selftest", "variant", lang, name=name.removeprefix("variant: ")) if name.startswith("variant: ") \
        else name
