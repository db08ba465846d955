"""quiz show BANK QUESTION"""
from __future__ import annotations

import click

from quizzes.cli import banks_dir_option, exits_cleanly, lang_option


@click.command("show")
@click.argument("bank_id", metavar="BANK")
@click.argument("question_id", metavar="QUESTION")
@click.option("--answer", "with_answer", is_flag=True,
              help="Also show the answer (computed by live torch for predict questions) and the explanation.")
@lang_option
@banks_dir_option
@exits_cleanly
def command(bank_id, question_id, with_answer, lang, banks_dir):
    """Show one question as `quiz run` asks it."""
    from reference.i18n import detect_lang
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel

    from quizzes import render
    from quizzes.messages import InputError, text
    from quizzes.schema import banks_dir as resolve
    from quizzes.schema import find

    lang = detect_lang(lang)
    bank = find(bank_id, resolve(banks_dir))
    question = bank.question(question_id)
    if question is None:
        raise InputError("unknown_question", bank=bank.id, question=question_id,
                         known=", ".join(q.id for q in bank.questions))
    console = Console()
    number = bank.questions.index(question) + 1
    console.print(render.question_panel(bank, question, number, lang))
    console.print(f"[cyan]{escape(text('ui', 'hint', lang, hint=question.hint.get(lang)))}[/]")
    if with_answer:
        from quizzes.engine import Engine
        from quizzes.worker import shared

        expected = Engine(bank, shared(), lang).expected(question)
        console.print(f"[bold]{escape(text('ui', 'expected', lang, expected=''))}[/]")
        console.print(render.code_block(expected))
        console.print(Panel(escape(question.explanation.get(lang)), border_style="green"))
