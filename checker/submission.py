"""Reading a submission and finding its scenario: every input problem becomes an InputError (exit code 2)."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from checker import scenario as scenarios
from checker.messages import text
from checker.verdict import InputError

MAX_SOURCE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Submission:
    path: Path
    source: bytes
    tree: ast.Module


def read_submission(path: Path, lang: str = "en") -> Submission:
    """The file's bytes and syntax tree, or an InputError that says what is wrong with it."""

    def problem(key: str, **values) -> InputError:
        return InputError(text("input", key, lang, path=path, **values))

    if not path.exists():
        raise problem("no_such_file")
    if not path.is_file():
        raise problem("not_a_file")
    source = path.read_bytes()
    if len(source) > MAX_SOURCE_BYTES:
        raise problem("too_large", size=f"{len(source):,}")
    if not source.strip():
        raise problem("empty")
    try:
        text_source = source.decode("utf-8-sig")  # a BOM is fine: Python runs such files, and some editors write it
    except UnicodeDecodeError as error:
        raise problem("not_utf8", byte=error.start) from None
    try:
        tree = ast.parse(text_source, filename=path.name)
    except SyntaxError as error:
        if path.suffix != ".py":
            raise problem("not_python") from None
        raise problem("syntax_error", line=error.lineno, detail=error.msg) from None
    except ValueError as error:  # null bytes
        raise problem("null_bytes", detail=error) from None
    except (RecursionError, MemoryError):  # Python's own parser gives up on it too: the script could never run
        raise problem("too_deep") from None
    return Submission(path=path, source=source, tree=tree)


def scenario_for(path: Path, scenario_id: str | None, lang: str = "en"):
    """--scenario if given, else the scenario whose id the file name starts with (zero_grad_v2.py -> zero_grad)."""
    if scenario_id:
        try:
            return scenarios.find(scenario_id, lang)
        except scenarios.ScenarioError as error:
            raise InputError(str(error)) from None
    known = [p.stem for p in scenarios.discover()]
    matches = [k for k in known if path.stem == k or path.stem.startswith(k + "_") or path.stem.startswith(k + "-")]
    if not matches:
        raise InputError(text("input", "unknown_scenario", lang, name=path.name, known=", ".join(known)))
    return scenarios.find(max(matches, key=len))
