"""The fields that differ between question kinds, read and cross-checked (answers against options and steps)."""
from __future__ import annotations

from quizzes.answers import AnswerError, parse_choice
from quizzes.model import BLANK, Text
from quizzes.schema_fields import Where, code, get, parse_check, text

KIND_KEYS = {
    "choice": {"options", "answer", "multiple", "code", "evidence"},
    "predict": {"code", "tolerance"},
    "code": {"answer", "accept", "check", "code"},
    "fill": {"code", "answer", "accept", "check"},
    "order": {"steps", "code", "answer", "accept", "check"},
}
REQUIRED = {"choice": ("options", "answer", "evidence"), "predict": ("code",), "code": ("answer", "check"),
            "fill": ("code", "answer", "check"), "order": ("steps", "code", "answer", "check")}
LETTERS = "abcdefgh"


def parse_kind(kind: str, raw: dict, where: Where) -> dict:
    """The kind-specific Question fields, as keyword arguments."""
    fields = {"wrong": _wrong(raw, where)}
    fields.update(_PARSERS[kind](raw, where))
    return fields


def _wrong(raw: dict, where: Where) -> tuple:
    wrong = get(raw, "wrong", list, where)
    if not wrong:
        raise where.fail("wrong", "list at least one known wrong answer; `quiz validate` proves it is rejected")
    return tuple(tuple(w) if isinstance(w, list) else w for w in wrong)


def _choice(raw: dict, where: Where) -> dict:
    options = get(raw, "options", list, where)
    if not 2 <= len(options) <= len(LETTERS):
        raise where.fail("options", f"give between 2 and {len(LETTERS)} options")
    texts = tuple(_option(o, i, where) for i, o in enumerate(options))
    answer = _letters(raw["answer"], len(texts), where, "answer")
    multiple = get(raw, "multiple", bool, where, False)
    if len(answer) > 1 and not multiple:
        raise where.fail("multiple", "the answer has several letters; set multiple = true so students are told")
    for i, wrong in enumerate(raw["wrong"]):
        _letters(wrong, len(texts), where, f"wrong[{i}]")
    return {"options": texts, "answer": answer, "multiple": multiple, "code": code(raw, "code", where, ""),
            "evidence": code(raw, "evidence", where)}  # the shown code runs before the evidence, so both must parse


def _option(raw, index: int, where: Where) -> Text:
    field = f"options[{index}]"
    if isinstance(raw, str):  # code, the same in both languages
        return Text(en=raw, zh=raw)
    if isinstance(raw, dict):
        return text({field: raw}, field, where)
    raise where.fail(field, "should be a string (code) or a table with en and zh")


def _letters(value, count: int, where: Where, field: str) -> tuple[str, ...]:
    """Option letters, written as a student would: "b", "a, c" or ["a", "c"]."""
    if not isinstance(value, (str, list)) or not value:
        raise where.fail(field, "should be a letter like \"b\" or letters like \"a, c\" or [\"a\", \"c\"]")
    try:
        return parse_choice(value, count)
    except AnswerError:
        raise where.fail(field, f"{value!r} is not made of option letters; the options are "
                                f"{', '.join(LETTERS[:count])}") from None


def _predict(raw: dict, where: Where) -> dict:
    import ast

    snippet = code(raw, "code", where)
    body = ast.parse(snippet).body
    if not body or not isinstance(body[-1], ast.Expr):
        raise where.fail("code", "a predict snippet must end with an expression: its value is the answer")
    return {"code": snippet, "tolerance": float(get(raw, "tolerance", (int, float), where, 1e-3)),
            "wrong": tuple(str(w) for w in raw["wrong"])}


def _code_kind(raw: dict, where: Where) -> dict:
    return {"answer": get(raw, "answer", str, where), "accept": _strings(raw, "accept", where),
            "wrong": _strings(raw, "wrong", where), "check": _check(raw, where),
            "code": get(raw, "code", str, where, "")}


def _fill(raw: dict, where: Where) -> dict:
    template = get(raw, "code", str, where)
    if template.count(BLANK) != 1:
        raise where.fail("code", f"a fill template needs exactly one blank written {BLANK}")
    return {**_code_kind(raw, where), "code": template}


def _order(raw: dict, where: Where) -> dict:
    steps = get(raw, "steps", list, where)
    if len(steps) < 2 or not all(isinstance(s, str) and s.strip() for s in steps):
        raise where.fail("steps", "give at least two steps, each a line of code")
    template = get(raw, "code", str, where)
    if sum(line.strip() == BLANK for line in template.splitlines()) != 1:
        raise where.fail("code", f"an order template needs one line that is just {BLANK}; the steps replace it")
    answers = {"answer": _permutation(raw["answer"], len(steps), where, "answer")}
    answers["accept"] = tuple(_permutation(a, len(steps), where, f"accept[{i}]")
                              for i, a in enumerate(get(raw, "accept", list, where, [])))
    answers["wrong"] = tuple(_permutation(w, len(steps), where, f"wrong[{i}]") for i, w in enumerate(raw["wrong"]))
    return {**answers, "steps": tuple(s.strip() for s in steps), "code": template, "check": _check(raw, where)}


def _permutation(value, count: int, where: Where, field: str) -> tuple[int, ...]:
    if not isinstance(value, list) or sorted(value) != list(range(1, count + 1)):
        raise where.fail(field, f"should list every step number 1..{count} once, like {list(range(1, count + 1))}")
    return tuple(value)


def _strings(raw: dict, key: str, where: Where) -> tuple[str, ...]:
    values = get(raw, key, list, where, [])
    if not all(isinstance(v, str) for v in values):
        raise where.fail(key, "should be a list of strings (source code)")
    return tuple(values)


def _check(raw: dict, where: Where):
    return parse_check(get(raw, "check", dict, where), where)


_PARSERS = {"choice": _choice, "predict": _predict, "code": _code_kind, "fill": _fill, "order": _order}
