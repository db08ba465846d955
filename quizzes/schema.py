"""Banks: TOML files in the banks folder, parsed into frozen dataclasses. Unknown keys are rejected with a message
that names the file, the question and the field, and says how to fix it. Banks are found by scanning, never imported.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pyproject pulls in tomli there
    import tomli as tomllib

from quizzes import schema_kinds
from quizzes.messages import InputError
from quizzes.model import KINDS, Bank, Question
from quizzes.schema_fields import BankError, Where, code, display_path, get, no_unknown, text

__all__ = ["BankError", "banks_dir", "discover", "find", "load", "parse", "display_path"]

BANKS_ENV = "TORCHDRILL_QUIZ_BANKS"
BANK_KEYS = {"id", "title", "summary", "position", "setup", "needs", "timeout_s", "questions"}
COMMON_KEYS = {"id", "kind", "prompt", "hint", "explanation", "setup", "timeout_s", "wrong"}
NEEDS = ("mnist",)
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def default_banks_dir() -> Path:
    return Path(__file__).parent / "banks"


def banks_dir(override: str | os.PathLike | None = None) -> Path:
    """The folder to scan: --banks-dir, else TORCHDRILL_QUIZ_BANKS, else the banks shipped with torchdrill."""
    chosen = override or os.environ.get(BANKS_ENV)
    if not chosen:
        return default_banks_dir()
    folder = Path(chosen).expanduser()
    if not folder.is_dir():
        raise BankError(f"the banks folder {folder} does not exist (from --banks-dir or {BANKS_ENV}); "
                        "point it at a folder of *.toml banks")
    return folder


def discover(folder: Path) -> dict[str, Path]:
    """Bank id (the file name without .toml) -> path, for every bank file in `folder`."""
    return {path.stem: path for path in sorted(folder.glob("*.toml"))}


def find(bank_id: str, folder: Path) -> Bank:
    paths = discover(folder)
    if bank_id not in paths:
        raise InputError("unknown_bank", bank=bank_id, known=", ".join(paths) or "(none)")
    return load(paths[bank_id])


def load(path: Path) -> Bank:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BankError(f"{display_path(path)}: cannot read it ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise BankError(f"{display_path(path)}: not valid TOML: {error}. Fix the syntax, then run "
                        "`quiz validate`.") from None
    return parse(raw, path)


def parse(raw: dict, path: Path) -> Bank:
    where = Where(path)
    no_unknown(raw, BANK_KEYS, where, "", "a bank")
    bank_id = get(raw, "id", str, where)
    if bank_id != path.stem:
        raise where.fail("id", f"is {bank_id!r} but the file is {path.name}; make them the same")
    needs = tuple(get(raw, "needs", list, where, []))
    for need in needs:
        if need not in NEEDS:
            raise where.fail("needs", f"unknown need {need!r}; known: {', '.join(NEEDS)}")
    raw_questions = get(raw, "questions", list, where)
    if not raw_questions:
        raise where.fail("questions", "the bank has no questions; add [[questions]] tables")
    questions = tuple(_question(q, path, i) for i, q in enumerate(raw_questions))
    _unique_ids(questions, path)
    return Bank(id=bank_id, title=text(raw, "title", where), summary=text(raw, "summary", where),
                setup=code(raw, "setup", where, ""), needs=needs,
                timeout_s=float(get(raw, "timeout_s", (int, float), where, 20)), questions=questions, path=path,
                position=int(get(raw, "position", int, where, 100)))


def _unique_ids(questions: tuple[Question, ...], path: Path) -> None:
    seen = set()
    for question in questions:
        if question.id in seen:
            raise Where(path, question.id).fail("id", "two questions have this id; ids must be unique")
        seen.add(question.id)


def _question(raw: dict, path: Path, index: int) -> Question:
    if not isinstance(raw, dict):
        raise Where(path).fail(f"questions[{index}]", "should be a table: write [[questions]] above its fields")
    label = raw.get("id") if isinstance(raw.get("id"), str) else f"questions[{index}]"
    where = Where(path, label)
    question_id = get(raw, "id", str, where)
    if not ID_PATTERN.match(question_id):
        raise where.fail("id", "use lowercase letters, digits and underscores, starting with a letter")
    kind = get(raw, "kind", str, where)
    if kind not in KINDS:
        raise where.fail("kind", f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    no_unknown(raw, COMMON_KEYS | schema_kinds.KIND_KEYS[kind], where, "", f"a {kind} question")
    for key in schema_kinds.REQUIRED[kind]:
        get(raw, key, object, where)
    return Question(id=question_id, kind=kind, prompt=text(raw, "prompt", where), hint=text(raw, "hint", where),
                    explanation=text(raw, "explanation", where), setup=code(raw, "setup", where, ""),
                    timeout_s=float(get(raw, "timeout_s", (int, float), where, 0)),
                    **schema_kinds.parse_kind(kind, raw, where))
