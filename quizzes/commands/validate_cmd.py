"""quiz validate [BANK]"""
from __future__ import annotations

import json
import sys

import click

from quizzes.cli import banks_dir_option, exits_cleanly


@click.command("validate")
@click.argument("bank_ids", metavar="[BANK]...", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every bank and question.")
@click.option("--draws", type=click.IntRange(1, 1000), default=None,
              help="Hidden inputs drawn for every code, fill and order answer (default 30).")
@banks_dir_option
@exits_cleanly
def command(bank_ids, as_json, draws, banks_dir):
    """Instructors: check banks (all of them, or those named) against live torch.

    For every question: the bank file follows the schema; the canonical answer (and every `accept`) is accepted
    by running it, on the example shown and on each of --draws hidden inputs; every declared `wrong` answer is
    rejected, on the example or on every one of those hidden inputs, so that no draw lets it through; a code
    question has a wrong answer that only its hidden inputs catch (proof that they matter); a predict snippet's
    live value can be written as an answer; a choice question's evidence holds. Hidden inputs are drawn afresh on
    every run, so running it twice also tests them twice. Exit code: 0 all passed, 1 a check failed, 2 unknown
    bank.
    """
    from quizzes.messages import InputError
    from quizzes.schema import banks_dir as resolve
    from quizzes.schema import discover
    from quizzes.validate import DRAWS, validate
    from quizzes.worker import shared

    paths = discover(resolve(banks_dir))
    for bank_id in bank_ids:
        if bank_id not in paths:
            raise InputError("unknown_bank", bank=bank_id, known=", ".join(paths) or "(none)")
    chosen = [paths[bank_id] for bank_id in dict.fromkeys(bank_ids)] if bank_ids else list(paths.values())
    worker = shared()
    worker.start()
    with _progress(not as_json) as on_question:
        report = validate(chosen, worker, on_question, draws or DRAWS)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        from rich.console import Console

        from quizzes.render import print_validation

        print_validation(Console(), report)
    sys.exit(0 if report.passed else 1)


class _progress:
    """A rich spinner naming the question being checked, on a terminal only."""

    def __init__(self, wanted: bool):
        from rich.console import Console

        console = Console(stderr=True)
        self.status = console.status("starting torch…") if wanted and console.is_terminal else None

    def __enter__(self):
        if self.status is None:
            return None
        self.status.start()
        return lambda bank, question: self.status.update(f"validating {bank}/{question}")

    def __exit__(self, *exc):
        if self.status is not None:
            self.status.stop()
        return False
