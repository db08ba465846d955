"""What the `checker` and `quiz` command-line tools share: commands found by listing a folder (so `--help` never
imports torch), and one place that turns errors into a message and an exit code instead of a traceback."""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Callable

import click


def lazy_group_class(commands_dir: Path, package: str) -> type[click.Group]:
    """A click.Group whose commands are the `*_cmd.py` modules of `commands_dir`, imported only when used
    (grade_one_cmd.py is the command `grade-one`)."""

    class LazyGroup(click.Group):
        def list_commands(self, ctx):
            return sorted(p.stem.removesuffix("_cmd").replace("_", "-") for p in commands_dir.glob("*_cmd.py"))

        def get_command(self, ctx, name):
            if name not in self.list_commands(ctx):
                return None
            module = name.replace("-", "_")
            return __import__(f"{package}.{module}_cmd", fromlist=["command"]).command

    return LazyGroup


# Each entry: (exception classes, exit code, how to word the message given the error and the command's kwargs).
ErrorRule = tuple[tuple[type, ...], int, Callable[[BaseException, dict], str]]


def exits_cleanly(rules: Callable[[], list[ErrorRule]]):
    """Decorate a command: known errors print one line and exit with their code; a bug of ours says so plainly.
    `rules` is called only when an error happens, so its imports cost nothing on the happy path."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except KeyboardInterrupt:
                click.echo("已中断" if _chinese(kwargs) else "interrupted", err=True)
                sys.exit(130)
            except (click.exceptions.Exit, click.ClickException, SystemExit):
                raise
            except BrokenPipeError:  # `checker list | head`: the reader left; nothing more to say
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(141)
            except Exception as error:
                for kinds, code, wording in rules():
                    if isinstance(error, kinds):
                        click.echo(f"{'错误：' if _chinese(kwargs) else 'error: '}{wording(error, kwargs)}", err=True)
                        sys.exit(code)
                click.echo(f"internal error in torchdrill: {type(error).__name__}: {error}\n"
                           "Please report it with the command you ran.", err=True)
                sys.exit(2)

        return wrapper

    return decorate


def _chinese(kwargs: dict) -> bool:
    """Whether the command speaks Chinese: its --lang, else TORCHDRILL_LANG or the locale."""
    from reference.i18n import detect_lang

    return detect_lang(kwargs.get("lang")) == "zh"


lang_option = click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                           help="Language: en or zh (default: TORCHDRILL_LANG, else the locale).")
