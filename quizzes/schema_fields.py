"""Field readers for bank TOML: each failure names the file, the question and the field, and says how to fix it."""
from __future__ import annotations

import ast
from pathlib import Path

from quizzes.model import Check, Text

CHECK_KEYS = {"compare", "target", "expected", "predicate", "rtol", "atol", "random"}
COMPARES = ("equal", "allclose", "shape", "dtype", "predicate")


class BankError(ValueError):
    """A bank that cannot be used; the message names the file, the question and the field, and says what to do."""


def display_path(path: Path) -> str:
    """Relative to the working folder when the file is inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Where:
    """Builds error messages that name the file, the question and the field."""

    def __init__(self, path: Path, question: str = ""):
        self.path, self.question = path, question

    def fail(self, field: str, problem: str) -> BankError:
        where = display_path(self.path)
        if self.question:
            where += f": question {self.question!r}"
        return BankError(f"{where}: field {field!r}: {problem}")


def no_unknown(table: dict, allowed: set, where: Where, prefix: str, what: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise where.fail(prefix + unknown[0], f"unknown field for {what}; allowed here: {', '.join(sorted(allowed))}. "
                                              "Check the spelling, or remove it.")


def get(table: dict, key: str, kind, where: Where, default=None):
    if key not in table:
        if default is not None:
            return default
        raise where.fail(key, "is missing; add it")
    value = table[key]
    if kind is not object and (not isinstance(value, kind) or isinstance(value, bool) and kind in (int, (int, float))):
        expected = kind.__name__ if isinstance(kind, type) else "number"
        raise where.fail(key, f"should be a {expected}, not {type(value).__name__}")
    return value


def text(table: dict, key: str, where: Where) -> Text:
    value = get(table, key, dict, where)
    no_unknown(value, {"en", "zh"}, where, f"{key}.", "a text")
    for lang in ("en", "zh"):
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise where.fail(key, f"the {lang!r} text is missing or empty; every prompt, hint and explanation "
                                  "needs both en and zh")
    return Text(en=value["en"].strip(), zh=value["zh"].strip())


def code(table: dict, key: str, where: Where, default: str | None = None, mode: str = "exec") -> str:
    source = get(table, key, str, where, default)
    if mode == "eval":
        source = source.strip()  # an expression written on its own line in TOML
    try:
        ast.parse(source, mode=mode)
    except SyntaxError as error:
        raise where.fail(key, f"is not valid Python (line {error.lineno}: {error.msg})") from None
    return source


def parse_check(raw: dict, where: Where) -> Check:
    no_unknown(raw, CHECK_KEYS, where, "check.", "a check")
    compare = get(raw, "compare", str, where)
    if compare not in COMPARES:
        raise where.fail("check.compare", f"unknown comparator {compare!r}; choose one of {', '.join(COMPARES)}")
    needed = "predicate" if compare == "predicate" else "expected"
    for key in ("target", needed):
        if not str(raw.get(key, "")).strip():
            raise where.fail(f"check.{key}", f"is missing; a {compare!r} check needs it")
    for key in ("target", "expected", "predicate"):
        if key in raw:
            code(raw, key, PrefixedWhere(where, "check."), mode="eval")
    return Check(compare=compare, target=raw["target"].strip(), expected=raw.get("expected", "").strip(),
                 predicate=raw.get("predicate", "").strip(), rtol=float(raw.get("rtol", 1e-5)),
                 atol=float(raw.get("atol", 1e-8)), random=get(raw, "random", bool, where, False))


class PrefixedWhere(Where):
    def __init__(self, inner: Where, prefix: str):
        super().__init__(inner.path, inner.question)
        self.prefix = prefix

    def fail(self, field: str, problem: str) -> BankError:
        return super().fail(self.prefix + field, problem)
