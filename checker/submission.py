"""Reading a submission and finding its scenario: every input problem becomes an InputError (exit code 2)."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from checker import scenario as scenarios
from checker.verdict import InputError

MAX_SOURCE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Submission:
    path: Path
    source: bytes
    tree: ast.Module


def read_submission(path: Path) -> Submission:
    """The file's bytes and syntax tree, or an InputError that says what is wrong with it."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file; give the path of a Python script")
    source = path.read_bytes()
    if len(source) > MAX_SOURCE_BYTES:
        raise InputError(f"{path}: {len(source):,} bytes is too large for a training script (limit 1 MB)")
    if not source.strip():
        raise InputError(f"{path}: the file is empty; start again from the scenario's buggy script")
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start}); is this a Python file? Save it as UTF-8.") from None
    try:
        tree = ast.parse(text, filename=path.name)
    except SyntaxError as error:
        if path.suffix != ".py":
            raise InputError(f"{path}: this does not look like a Python file (it does not parse as Python)") from None
        raise InputError(f"{path}:{error.lineno}: syntax error: {error.msg}; fix it and run verify again") from None
    except ValueError as error:  # null bytes
        raise InputError(f"{path}: not a Python file ({error})") from None
    return Submission(path=path, source=source, tree=tree)


def scenario_for(path: Path, scenario_id: str | None):
    """--scenario if given, else the scenario whose id the file name starts with (zero_grad_v2.py -> zero_grad)."""
    if scenario_id:
        try:
            return scenarios.find(scenario_id)
        except scenarios.ScenarioError as error:
            raise InputError(str(error)) from None
    known = [p.stem for p in scenarios.discover()]
    matches = [k for k in known if path.stem == k or path.stem.startswith(k + "_") or path.stem.startswith(k + "-")]
    if not matches:
        raise InputError(f"{path.name}: cannot tell which scenario this is; pass --scenario ID "
                         f"(one of: {', '.join(known)})")
    return scenarios.find(max(matches, key=len))
