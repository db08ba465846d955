"""quiz run BANK"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from quizzes.cli import banks_dir_option, exits_cleanly, lang_option


@click.command("run")
@click.argument("bank_id", metavar="BANK")
@click.option("--answers", "answers_path", type=click.Path(path_type=Path),
              help="Grade the answers in this file instead of asking (see below).")
@click.option("--json", "as_json", is_flag=True, help="With --answers: print one JSON object with the results.")
@click.option("--restart", is_flag=True, help="Ask every question from the first, solved or not.")
@click.option("--allow-weak-isolation", "allow_weak", is_flag=True,
              help="With --answers: grade even where the OS boundary (bubblewrap) cannot run, behind the process "
                   "sandbox alone, which a determined student can get around.")
@lang_option
@banks_dir_option
@exits_cleanly
def command(bank_id, answers_path, as_json, restart, allow_weak, lang, banks_dir):
    """Answer the questions of BANK, checked by live torch.

    Interactively: type an answer at the prompt, or `hint`, `skip` or `quit`. A code answer ends with a line
    holding just `.`, or with two empty lines once the code is complete and defines what is asked; a blank line
    inside the code never ends it. `@file.py` reads an answer from a file. Each answer is followed by the
    explanation and what live torch printed; your progress is saved as you go. A run starts at the first question you have not solved and asks
    the unsolved ones; --restart asks them all, and `quiz review BANK` asks again only those you got wrong.
    An answer that is not in a form we can read (`torch.flaot32`, `(4, 8`) is not graded: you are asked again,
    with a guess at what you meant.

    Non-interactively: --answers FILE grades a TOML or JSON table that maps question ids to answers:

    \b
        from_list = "torch.tensor([[5, 3], [0, 9]])"      # code: source text
        cat_columns_shape = "(4, 8)"                      # predict: a value, shape, dtype, None,
        second_backward = "RuntimeError"                  #   True/False or an error name
        mul_returns = "a"                                 # choice: letters, "a, c" or ["a", "c"]
        loop_order = [3, 1, 2, 4]                         # order: step numbers

    A table named after the bank (`[tensors]`) also works, so one file can hold several banks. Missing answers
    count as wrong. --json prints {bank, score, max_score, percent, questions: [{id, correct, expected, ...}]}.
    Each answer runs behind the OS boundary (bubblewrap: no network, nothing of the host but what it needs,
    read-only, the checker's limits), and its value is judged in a process its code never ran in; without
    bubblewrap the grading is refused unless --allow-weak-isolation is given.

    Exit code: 0 when the quiz ran (whatever the score), 2 for an input problem (unknown bank, malformed
    answers file, a bank with a schema error, stdin closed without --answers, or no OS boundary to grade behind).
    """
    from reference.i18n import detect_lang

    from quizzes.messages import InputError
    from quizzes.schema import banks_dir as resolve
    from quizzes.schema import find

    lang = detect_lang(lang)
    bank = find(bank_id, resolve(banks_dir))
    if as_json and answers_path is None:
        raise InputError("json_needs_answers")
    if answers_path is not None:
        sys.exit(_grade_file(bank, answers_path, as_json, lang, allow_weak))
    sys.exit(interactive(bank, lang, "restart" if restart else "run"))


def _grade_file(bank, answers_path: Path, as_json: bool, lang: str, allow_weak: bool) -> int:
    from quizzes import grading
    from quizzes.answers_file import load_answers
    from quizzes.boundary import require_boundary
    from quizzes.engine import Engine
    from quizzes.session import grade_all

    answers = load_answers(answers_path, bank)  # before starting torch: a bad file fails fast
    require_boundary(allow_weak)
    engine = Engine(bank, None, lang)
    engine.worker = grading.shared(engine.readable_paths())
    result = grade_all(engine, bank, answers)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        from rich.console import Console

        from quizzes.render import result_table

        Console().print(result_table(result, lang))
    return 0


def interactive(bank, lang: str, mode: str) -> int:
    """Ask the questions that `mode` plans (run, restart or review) at the terminal."""
    from rich.console import Console

    from quizzes.engine import Engine
    from quizzes.session import run_interactive
    from quizzes.worker import shared

    worker = shared()
    worker.start()  # torch imports in the background while the student reads the first question
    return run_interactive(Engine(bank, worker, lang), bank, Console(), lang, mode)
