"""checker list"""
from __future__ import annotations

import json
import os

import click

from checker.cli import exits_cleanly, lang_option


def _relative(path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the scenarios as a JSON list.")
@lang_option
@exits_cleanly
def command(as_json, lang):
    """The scenarios, with their buggy script, solution, and your progress."""
    from checker import progress
    from checker.scenario import load_all
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    rows = [{"id": s.id, "title": s.title.get(lang), "buggy": _relative(s.buggy_path),
             "solution": _relative(s.solution_path), **progress.summary(s.id)} for s in load_all()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    from rich.console import Console

    from checker.render import scenario_table

    Console().print(scenario_table(rows, lang))
