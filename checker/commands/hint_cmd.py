"""checker hint ID"""
from __future__ import annotations

import click

from checker.cli import exits_cleanly, lang_option


@click.command("hint")
@click.argument("scenario_id")
@lang_option
@click.option("--reset", is_flag=True, help="Forget the hints shown so far for this scenario.")
@exits_cleanly
def command(scenario_id, lang, reset):
    """Show one more hint for a scenario, from gentle to explicit (remembered between calls)."""
    from checker import progress
    from checker.messages import text
    from checker.scenario import ScenarioError, find
    from checker.verdict import InputError
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    try:
        scenario = find(scenario_id, lang)
    except ScenarioError as error:
        raise InputError(str(error)) from None
    if reset:
        progress.reset_hints(scenario.id)
        click.echo(text("hint", "reset", lang, id=scenario.id))
        return
    index = progress.next_hint_index(scenario.id, len(scenario.hints))
    label = text("hint", "label", lang, n=index + 1, total=len(scenario.hints))
    click.echo(f"{label}: {scenario.hints[index].get(lang)}")
    if index == len(scenario.hints) - 1:
        click.echo(text("hint", "last", lang))
