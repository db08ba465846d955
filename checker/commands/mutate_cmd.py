"""checker mutate SCRIPT --dir DIR"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from checker.cli import exits_cleanly, lang_option


@click.command("mutate")
@click.argument("script", type=click.Path(path_type=Path))
@click.option("--dir", "folder", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the scenarios (a folder for TORCHDRILL_SCENARIOS).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Selftest cases run at once (default: the number of CPU cores, at most 8).")
@click.option("--full", is_flag=True, help="Prove every failing case on the whole budget, not the quick one "
                                           "(see checker selftest --quick).")
@click.option("--class", "kinds", multiple=True, metavar="CLASS",
              help="Only this bug class (repeatable): zero_grad, reshape, eval_mode, no_grad, resume, scheduler, "
                   "softmax_loss, data_split, loss_item, stray_break, train_mode, grad_disabled, checkpoint.")
@click.option("--force", is_flag=True, help="Overwrite scenarios written by an earlier run.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@lang_option
@exits_cleanly
def command(script, folder, jobs, full, kinds, force, as_json, lang):
    """Turn your own correct training script into proven bug exercises: for each bug class of the catalogue that
    can be planted in it, write a scenario into DIR (the buggy script, SCRIPT itself as the solution, metadata
    with hints in English and Chinese, passing and failing variants), prove each with selftest, and keep only
    those that prove. Prints a table: each class, and where it was written, or why it was skipped.

    \b
    checker mutate my_train.py --dir my_course/
    checker mutate my_train.py --dir my_course/ --class zero_grad --class eval_mode
    TORCHDRILL_SCENARIOS=my_course checker selftest      # proves them again
    TORCHDRILL_SCENARIOS=my_course checker list

    SCRIPT (a .py file, or a notebook: its code cells in order) must define main(), which trains (returning the
    model, or not: the checker then scores the one its optimizer trained), a training function, an evaluation
    function that main() calls, and read MNIST with torchvision's datasets.MNIST (any folder; the checker supplies
    it offline). A script without main() may train in its own top-level code instead: its training loop and its
    evaluation loop (under torch.no_grad(), or over test data) then stand for those functions. mutate says what
    is missing before it writes anything. Exit code 0 when at least one scenario was written, 1 when none, 2 for
    bad input.
    """
    import json
    import time

    from rich.console import Console
    from rich.progress import Progress

    from checker.commands.selftest_cmd import case_progress
    from checker.messages import text
    from checker.mutate.engine import mutate
    from checker.pool import default_jobs
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    started = time.monotonic()
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("mutate", total=None)
        on_case = case_progress(bar, task)

        def on_total(total):
            bar.update(task, total=total)
            if not console.is_terminal:
                click.echo(text("mutate", "planting", lang, count=total), err=True)

        rows = mutate(script, folder, lang, force, jobs or default_jobs(), not full, on_case, on_total,
                      list(kinds) or None)
    written = [r for r in rows if r.status == "written"]
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in rows], ensure_ascii=False))
    else:
        print_table(Console(), rows, lang)
        click.echo(text("mutate", "summary", lang, written=len(written), total=len(rows), folder=folder,
                        seconds=time.monotonic() - started))
        if written:
            same_lang = " --lang zh" if lang == "zh" else ""
            click.echo(text("mutate", "next", lang,
                            command=f"TORCHDRILL_SCENARIOS={folder} checker selftest --quick{same_lang}"))
    sys.exit(0 if written else 1)


def print_table(console, rows, lang: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    from checker.messages import text

    table = Table(box=None, pad_edge=False)
    for heading in ("class", "result", "scenario"):  # a reason folds where it has no space (Chinese), never cut
        table.add_column(text("mutate", heading, lang), overflow="fold" if heading == "scenario" else "ellipsis")
    for row in rows:
        if row.status == "written":
            result = f"[green]{text('mutate', 'written', lang)}[/]"
            where = f"{row.scenario}.py:{row.line}"
        else:
            result = f"[yellow]{text('mutate', 'skipped', lang)}[/]"
            where = escape(row.reason)
        table.add_row(f"{row.number} {row.kind}", result, where)
    console.print(table)
