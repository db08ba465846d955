"""checker reset ID"""
from __future__ import annotations

import sys

import click

from checker.cli import exits_cleanly, lang_option, shown_path


@click.command("reset")
@click.argument("scenario_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask first.")
@lang_option
@exits_cleanly
def command(scenario_id, yes, lang):
    """Restore a scenario's buggy script to its content as shipped, and forget the scenario's progress
    (solved, hints shown). Your changes to the script are lost, so it asks first; --yes skips the question."""
    from checker import exercises, progress
    from checker.messages import text
    from checker.pristine import pristine_source
    from checker.scenario import find
    from checker.verdict import InputError
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    scenario = find(scenario_id, lang)
    target = exercises.learner_script(scenario)  # your copy, in an exercise folder; else the clone's own script
    if target == scenario.buggy_path and exercises.needs_init(scenario):
        raise InputError(text("reset", "installed", lang, id=scenario.id, folder=exercises.DEFAULT_FOLDER))
    path = shown_path(target)
    pristine = pristine_source(scenario)
    if pristine is None:
        metadata = shown_path(scenario.metadata_path)
        raise InputError(text("reset", "no_pristine", lang, id=scenario.id, metadata=metadata))
    try:
        current = target.read_bytes()
    except OSError:
        current = None  # deleted: reset brings it back
    if current == pristine:
        progress.forget(scenario.id)
        click.echo(text("reset", "already", lang, path=path, id=scenario.id))
        return
    if not yes:
        if not sys.stdin or not sys.stdin.isatty():
            raise InputError(text("reset", "not_interactive", lang, id=scenario.id))
        if not click.confirm(text("reset", "confirm", lang, path=path, id=scenario.id), default=False):
            click.echo(text("reset", "kept", lang, path=path))
            sys.exit(1)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pristine)
    except OSError as error:
        raise InputError(text("reset", "cannot_write", lang, path=path, detail=error.strerror or error)) from None
    progress.forget(scenario.id)
    click.echo(text("reset", "done", lang, path=path, id=scenario.id))
