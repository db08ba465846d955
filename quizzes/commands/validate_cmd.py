"""quiz validate [BANK]"""
from __future__ import annotations

import json
import sys

import click

from quizzes.cli import banks_dir_option, exits_cleanly


@click.command("validate")
@click.argument("bank_id", metavar="[BANK]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every bank and question.")
@banks_dir_option
@exits_cleanly
def command(bank_id, as_json, banks_dir):
    """Instructors: check banks against live torch.

    For every question: the bank file follows the schema; the canonical answer (and every `accept`) is accepted
    by running it; every declared `wrong` answer is rejected; a predict snippet's live value can be written as an
    answer; a choice question's evidence holds. Exit code: 0 all passed, 1 a check failed, 2 unknown bank.
    """
    from quizzes.messages import InputError
    from quizzes.schema import banks_dir as resolve
    from quizzes.schema import discover
    from quizzes.validate import validate
    from quizzes.worker import shared

    paths = discover(resolve(banks_dir))
    if bank_id is not None and bank_id not in paths:
        raise InputError("unknown_bank", bank=bank_id, known=", ".join(paths) or "(none)")
    chosen = [paths[bank_id]] if bank_id else list(paths.values())
    worker = shared()
    worker.start()
    with _progress(not as_json) as on_question:
        report = validate(chosen, worker, on_question)
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
