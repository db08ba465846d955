"""`checker`: verify fixes of buggy training scripts. Commands live in checker/commands/, one module each,
found by listing that folder, so `checker --help` and `checker list` never import torch."""
from __future__ import annotations

from pathlib import Path

import click

from reference.cli_support import exits_cleanly as _exits_cleanly
from reference.cli_support import lang_option, lazy_group_class  # noqa: F401  (lang_option is used by commands)

LazyGroup = lazy_group_class(Path(__file__).parent / "commands", "checker.commands")


def _error_rules():
    from checker.scenario import ScenarioError
    from checker.verdict import InputError
    from reference.data import DataUnavailable

    return [((InputError, ScenarioError, DataUnavailable), 2, lambda error, kwargs: str(error))]


exits_cleanly = _exits_cleanly(_error_rules)


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
