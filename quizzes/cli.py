"""`quiz`: bilingual quizzes whose every answer is checked by live torch. Commands live in quizzes/commands/, one
module each, found by listing that folder, so `quiz --help` and `quiz list` never import torch."""
from __future__ import annotations

from pathlib import Path

import click

from reference.cli_support import exits_cleanly as _exits_cleanly
from reference.cli_support import lang_option, lazy_group_class  # noqa: F401  (lang_option is used by commands)
from reference.threads import quiet_this_process

quiet_this_process()  # before any command imports torch

LazyGroup = lazy_group_class(Path(__file__).parent / "commands", "quizzes.commands")


def _error_rules():
    from quizzes.messages import InputError
    from quizzes.schema import BankError
    from quizzes.worker import WorkerError
    from reference.i18n import detect_lang

    return [
        ((InputError,), 2, lambda error, kwargs: error.message(detect_lang(kwargs.get("lang")))),
        ((BankError,), 2, lambda error, kwargs: str(error)),
        ((WorkerError,), 1, lambda error, kwargs: str(error)),
    ]


exits_cleanly = _exits_cleanly(_error_rules)


banks_dir_option = click.option("--banks-dir", type=click.Path(path_type=Path), default=None,
                                help="Folder of bank files to use instead of the built-in banks "
                                     "(also: env TORCHDRILL_QUIZ_BANKS).")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Quizzes on PyTorch training, checked by live torch.

    \b
    quiz list                             the banks, their sizes and your progress
    quiz run tensors                      answer a bank: resumes at the first unsolved question
    quiz run tensors --restart            ask every question again
    quiz review tensors                   ask again only what you got wrong
    quiz run tensors --answers a.toml --json   grade an answers file
    quiz show autograd second_backward    one question
    quiz validate                         instructors: prove every answer with live torch
    """
