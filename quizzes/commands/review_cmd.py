"""quiz review BANK"""
from __future__ import annotations

import sys

import click

from quizzes.cli import banks_dir_option, exits_cleanly, lang_option


@click.command("review")
@click.argument("bank_id", metavar="BANK")
@lang_option
@banks_dir_option
@exits_cleanly
def command(bank_id, lang, banks_dir):
    """Ask again only the questions of BANK that you answered but have not yet got right.

    Solved questions stay solved. When nothing is left to review, it says so and exits 0.
    """
    from reference.i18n import detect_lang

    from quizzes.commands.run_cmd import interactive
    from quizzes.schema import banks_dir as resolve
    from quizzes.schema import find

    lang = detect_lang(lang)
    sys.exit(interactive(find(bank_id, resolve(banks_dir)), lang, "review"))
