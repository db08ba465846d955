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
    from checker.scenario import ScenarioError, find
    from checker.verdict import InputError
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    try:
        scenario = find(scenario_id)
    except ScenarioError as error:
        raise InputError(str(error)) from None
    if reset:
        progress.reset_hints(scenario.id)
        click.echo(f"hints for {scenario.id} reset")
        return
    index = progress.next_hint_index(scenario.id, len(scenario.hints))
    label = f"提示 {index + 1}/{len(scenario.hints)}" if lang == "zh" else f"Hint {index + 1}/{len(scenario.hints)}"
    click.echo(f"{label}: {scenario.hints[index].get(lang)}")
    if index == len(scenario.hints) - 1:
        click.echo("（这是最后一条提示。）" if lang == "zh" else "(That is the last hint.)")
