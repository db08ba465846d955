"""`checker`: verify fixes of buggy training scripts. Commands live in checker/commands/, one module each,
found by listing that folder, so `checker --help` and `checker list` never import torch."""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

COMMANDS_DIR = Path(__file__).parent / "commands"


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(p.stem.replace("_cmd", "") for p in COMMANDS_DIR.glob("*_cmd.py"))

    def get_command(self, ctx, name):
        if name not in self.list_commands(ctx):
            return None
        module = __import__(f"checker.commands.{name}_cmd", fromlist=["command"])
        return module.command


def exits_cleanly(function):
    """Input problems print one message and exit 2; an unexpected error still never shows a raw traceback."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        from checker.scenario import ScenarioError
        from checker.verdict import InputError
        from reference.data import DataUnavailable

        try:
            return function(*args, **kwargs)
        except (InputError, ScenarioError, DataUnavailable) as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as error:  # a bug of ours: say so plainly
            click.echo(f"internal error in torchdrill: {type(error).__name__}: {error}\n"
                       "Please report it with the command you ran.", err=True)
            sys.exit(2)

    return wrapper


lang_option = click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                           help="Language of the feedback: en or zh (default: from the locale, TORCHDRILL_LANG or LANG).")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Check your fix of a buggy PyTorch training script.

    \b
    checker list                          the scenarios and your progress
    checker verify buggy_examples/resume.py   is the bug gone, and is accuracy back?
    checker hint resume                   one more hint each time
    checker watch buggy_examples/resume.py    verify again on every save
    checker selftest                      instructors: prove every scenario and variant
    """
