"""`checker`: verify fixes of buggy training scripts. Commands live in checker/commands/, one module each,
found by listing that folder, so `checker --help` and `checker list` never import torch."""
from __future__ import annotations

from pathlib import Path

import click

from reference.cli_support import exits_cleanly as _exits_cleanly
from reference.cli_support import lang_option, lazy_group_class  # noqa: F401  (lang_option is used by commands)
from reference.threads import quiet_this_process

quiet_this_process()  # before any command imports torch

LazyGroup = lazy_group_class(Path(__file__).parent / "commands", "checker.commands")


def _error_rules():
    from checker.scenario import ScenarioError
    from checker.untrusted import clean
    from checker.verdict import InputError
    from reference.data import DataUnavailable

    # An input error can quote a script's output (a reference that failed) or a file's name: shown clean.
    return [((InputError, ScenarioError, DataUnavailable), 2, lambda error, kwargs: clean(_worded(error, kwargs)))]


def _worded(error: BaseException, kwargs: dict) -> str:
    """The error's message in the command's language, where it has one in both."""
    from checker.messages import Worded
    from reference.i18n import detect_lang

    return error.worded(detect_lang(kwargs.get("lang"))) if isinstance(error, Worded) else str(error)


exits_cleanly = _exits_cleanly(_error_rules)


def shown_path(path) -> str:
    """A path as the user would type it: relative to the current folder where it can be."""
    import os

    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Check your fix of a buggy PyTorch training script.

    \b
    checker init                              your own copies of the exercises (installed with pip: start here)
    checker list                              the scenarios and your progress
    checker next                              the first scenario you have not solved, and how to start
    checker verify buggy_examples/resume.py   is the bug gone, and is accuracy back?
    checker hint resume                       one more hint each time
    checker watch buggy_examples/resume.py    verify again on every save
    checker reset resume                      restore the buggy script as shipped (asks first)
    \b
    For instructors:
    checker selftest                          prove every scenario and variant
    checker new ID --dir my_course            scaffold a scenario (see docs/authoring.md)
    checker mutate my_train.py --dir my_course   your own script, turned into proven scenarios
    checker export gradescope ID --out DIR    a Gradescope autograder (or prairielearn: a question)
    checker grade DIR --scenario ID           grade a class: JSON, CSV, Gradescope, HTML report
    """


def run() -> None:
    """The `checker` command: main(), then leave without tearing the interpreter down. Once torch is imported,
    teardown costs a few tenths of a second, and every file has been written and closed by then."""
    import os
    import signal
    import sys

    def stop(signum, frame):
        raise KeyboardInterrupt  # a SIGTERM (a CI job cancelled) cleans up like Ctrl-C: no child left running

    signal.signal(signal.SIGTERM, stop)
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if not isinstance(exit_.code, (int, type(None))):
            print(exit_.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
