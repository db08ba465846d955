"""quiz list"""
from __future__ import annotations

import json
import sys

import click

from quizzes.cli import banks_dir_option, exits_cleanly, lang_option


def bank_rows(folder, lang: str) -> tuple[list[dict], list[str]]:
    """One row per bank file; a bank with a schema error becomes an error row and a message."""
    from quizzes import progress
    from quizzes.schema import BankError, discover, load

    rows, errors = [], []
    for bank_id, path in discover(folder).items():
        try:
            bank = load(path)
        except BankError as error:
            rows.append({"id": bank_id, "error": str(error)})
            errors.append(str(error))
            continue
        kinds = sorted({q.kind for q in bank.questions})
        rows.append({"id": bank.id, "title": bank.title.get(lang), "questions": len(bank.questions),
                     "kinds": ", ".join(kinds), "position": bank.position, **progress.summary(bank)})
    rows.sort(key=lambda row: (row.get("position", 1000), row["id"]))
    return rows, errors


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the banks as a JSON list.")
@lang_option
@banks_dir_option
@exits_cleanly
def command(as_json, lang, banks_dir):
    """The banks, with their number of questions and your progress."""
    from reference.i18n import detect_lang

    from quizzes.schema import banks_dir as resolve

    lang = detect_lang(lang)
    rows, errors = bank_rows(resolve(banks_dir), lang)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
    else:
        from rich.console import Console

        from quizzes.render import bank_table

        Console().print(bank_table(rows, lang))
    for error in errors:
        click.echo(f"error: {error}", err=True)
    sys.exit(2 if errors else 0)
