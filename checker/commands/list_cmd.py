"""checker list"""
from __future__ import annotations

import json

import click

from checker.cli import exits_cleanly, lang_option, shown_path


def catalogue(lang: str) -> list[dict]:
    """Each scenario in catalogue order with your progress; its solution's path only once you have solved it."""
    from checker import exercises, progress
    from checker.scenario import load_all

    rows, root = [], exercises.find_root()
    for scenario in load_all():
        done = progress.summary(scenario.id)
        shown = {"solution": shown_path(scenario.solution_path)} if done["solved"] else {}
        rows.append({"id": scenario.id, "title": scenario.title.get(lang),
                     "buggy": shown_path(exercises.learner_script(scenario, root)),
                     "needs_init": root is None and exercises.needs_init(scenario), **shown, **done})
    return rows


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the scenarios as a JSON list.")
@lang_option
@exits_cleanly
def command(as_json, lang):
    """The scenarios, with their buggy script and your progress; a solution is shown once you have solved it."""
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    rows = catalogue(lang)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    from rich.console import Console

    from checker.messages import text
    from checker.render import scenario_table

    console = Console()
    console.print(scenario_table(rows, lang))
    console.print(text("list", "summary", lang, solved=sum(row["solved"] for row in rows), total=len(rows)),
                  emoji=False, markup=False)
