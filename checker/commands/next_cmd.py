"""checker next"""
from __future__ import annotations

import shlex

import click

from checker.cli import exits_cleanly, lang_option


@click.command("next")
@lang_option
@exits_cleanly
def command(lang):
    """The first scenario you have not solved, in `checker list`'s order (beginner bugs first), and the commands to
    work on it; once every one is solved, what to do next."""
    from checker import exercises
    from checker.commands.list_cmd import catalogue
    from rich.cells import cell_len

    from checker.messages import text
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    rows = catalogue(lang)
    solved = sum(row["solved"] for row in rows)
    row = next((row for row in rows if not row["solved"]), None)
    if row is None:
        click.echo(text("next", "all_solved", lang, total=len(rows)))
        return
    script = shlex.quote(row["buggy"])
    click.echo(text("next", "scenario", lang, id=row["id"], title=row["title"], solved=solved, total=len(rows)))
    same_lang = " --lang zh" if lang == "zh" else ""  # the commands it suggests answer in the language it speaks
    if row["needs_init"]:  # installed with pip: the scripts live in the package, which is nobody's to edit
        click.echo(text("next", "init_first", lang, folder=exercises.DEFAULT_FOLDER, flag=same_lang))
        script = f"{exercises.SCRIPTS}/{row['id']}.py"
    steps = [(text("next", step, lang), command_line) for step, command_line in (
        ("run", f"python {script}"), ("verify", f"checker verify {script}{same_lang}"),
        ("hint", f"checker hint {row['id']}{same_lang}"))]
    width = max(cell_len(label) for label, _ in steps)  # a Chinese character is two columns wide
    for label, command_line in steps:
        click.echo(f"  {label}{' ' * (width - cell_len(label))}  {command_line}")
