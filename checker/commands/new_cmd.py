"""checker new ID"""
from __future__ import annotations

from pathlib import Path

import click

from checker.cli import exits_cleanly, lang_option


@click.command("new")
@click.argument("scenario_id")
@click.option("--from-solution", "from_solution", type=click.Path(path_type=Path),
              help="Start from this correct training script instead of the reference pipeline's.")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write it (default: the first folder of $TORCHDRILL_SCENARIOS, else ./buggy_examples "
                   "if it exists, else ./scenarios).")
@click.option("--force", is_flag=True, help="Overwrite files that exist already.")
@lang_option
@exits_cleanly
def command(scenario_id, from_solution, folder, force, lang):
    """Scaffold a new scenario: a buggy script to put one bug into, its solution, and metadata with every
    field commented. Then follow the steps it prints (the whole walk-through is docs/authoring.md).

    \b
    checker new no_step --dir my_course/
    checker new my_bug --from-solution my_train.py --dir my_course/
    """
    import os

    from checker.authoring import default_folder, scaffold
    from checker.messages import text
    from checker.scenario import SCENARIOS_ENV
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    folder = folder or default_folder()
    made = scaffold(scenario_id, folder, from_solution, force, lang)
    for path in (made.buggy, made.solution, made.metadata):
        click.echo(text("new", "wrote", lang, path=path))
    for script, function in made.missing:
        click.echo(text("new", "missing", lang, script=script, function=function), err=True)
    found = [Path(p).resolve() for p in os.environ.get(SCENARIOS_ENV, "").split(os.pathsep) if p]
    env = "" if folder.resolve() in found or folder.resolve() == Path("buggy_examples").resolve() \
        else f"{SCENARIOS_ENV}={folder} "
    same_lang = " --lang zh" if lang == "zh" else ""
    click.echo("\n" + text("new", "next", lang, buggy=made.buggy, solution=made.solution, metadata=made.metadata,
                            command=f"{env}checker selftest {scenario_id}{same_lang}"))
