"""checker init [DIR]"""
from __future__ import annotations

from pathlib import Path

import click

from checker.cli import exits_cleanly, lang_option, shown_path


@click.command("init")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite scripts you have changed with their buggy version as shipped.")
@lang_option
@exits_cleanly
def command(folder, force, lang):
    """Make your own exercise folder (default: ./torchdrill-exercises): every scenario's buggy script in
    FOLDER/buggy_examples/, and a README. Work there: `checker list`, `next`, `verify`, `reset` and `watch` then
    use your copies, never the files inside the installed package.

    Run again, it adds scenarios that are new and leaves every script you have changed as it is (--force
    overwrites them; `checker reset ID` restores one)."""
    from checker import exercises
    from checker.messages import text
    from checker.scenario import load_all
    from checker.verdict import InputError
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    folder = folder or Path(exercises.DEFAULT_FOLDER)
    if folder.exists() and not folder.is_dir():
        raise InputError(text("init", "not_a_folder", lang, path=folder))
    scenarios = load_all()
    try:
        done = exercises.init_folder(folder, scenarios, text("init", "readme", lang), force)
    except OSError as error:
        raise InputError(text("init", "cannot_write", lang, path=folder, detail=error.strerror or error)) from None
    shown = shown_path(folder)
    if done.written or done.replaced:
        click.echo(text("init", "wrote", lang, count=len(done.written) + len(done.replaced),
                        path=shown_path(folder / exercises.SCRIPTS)))
    if done.kept:
        click.echo(text("init", "kept", lang, ids=", ".join(done.kept)))
    if not done.written and not done.replaced and not done.kept:
        click.echo(text("init", "up_to_date", lang, path=shown, count=len(done.unchanged)))
    same_lang = " --lang zh" if lang == "zh" else ""
    click.echo(text("init", "next", lang, path=shown, flag=same_lang))
