"""The answers file of `quiz run BANK --answers FILE`: a TOML or JSON table, question id -> answer."""
from __future__ import annotations

import json
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from quizzes.messages import InputError
from quizzes.model import Bank
from quizzes.schema import display_path


def load_answers(path: Path, bank: Bank) -> dict:
    """The answers for `bank`: the top-level table, or a table named after the bank (one file for several)."""
    table = _read(path)
    ids = [q.id for q in bank.questions]
    if isinstance(table.get(bank.id), dict) and not set(table) & set(ids):
        table = table[bank.id]
    unknown = [key for key in table if key not in ids]
    if unknown:
        raise _error(path, "unknown_question", name=repr(unknown[0]), bank=repr(bank.id), ids=", ".join(ids))
    return table


def _read(path: Path) -> dict:
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _error(path, "cannot_read", error=f"{type(error).__name__}: {error}") from None
    looks_json = path.suffix.lower() == ".json" or source.lstrip().startswith("{")
    try:
        table = json.loads(source) if looks_json else tomllib.loads(source)
    except ValueError as error:  # JSONDecodeError and TOMLDecodeError are both ValueErrors
        raise _error(path, "not_valid", kind="JSON" if looks_json else "TOML", error=str(error)) from None
    if not isinstance(table, dict):
        raise _error(path, "top_level", kind=type(table).__name__)
    return table


def _error(path: Path, problem: str, **values) -> InputError:
    """An answers-file error; the problem is a key of [answers_file], worded in the student's language."""
    return InputError("answers_file", path=display_path(path), problem=("answers_file", problem, values))
