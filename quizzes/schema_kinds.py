"""The fields that differ between question kinds, read and cross-checked (answers against options and steps)."""
from __future__ import annotations

from quizzes.answers import AnswerError, parse_choice
from quizzes.model import BLANK, Text
from quizzes.schema_fields import Where, code, get, no_unknown, parse_check, text

KIND_KEYS = {
    "choice": {"options", "answer", "multiple", "code", "evidence"},
    "predict": {"code", "tolerance", "exact_type"},
    "code": {"answer", "accept", "check", "code", "example", "inputs", "trials"},
    "fill": {"code", "answer", "accept", "check", "example", "inputs", "trials"},
    "order": {"steps", "code", "answer", "accept", "check", "example", "inputs", "trials"},
}
MAX_TRIALS = 10
REQUIRED = {"choice": ("options", "answer", "evidence"), "predict": ("code",), "code": ("answer", "check"),
            "fill": ("code", "answer", "check"), "order": ("steps", "code", "answer", "check")}
LETTERS = "abcdefgh"


def parse_kind(kind: str, raw: dict, where: Where) -> dict:
    """The kind-specific Question fields, as keyword arguments."""
    answers, notes = _wrong(raw, where)
    raw = {**raw, "wrong": answers}
    fields = {"wrong": tuple(tuple(w) if isinstance(w, list) else w for w in answers), "notes": notes}
    fields.update(_PARSERS[kind](raw, where))
    return fields


def _wrong(raw: dict, where: Where) -> tuple[list, tuple]:
    """The declared wrong answers, each written as the answer itself or as a table with the misconception behind
    it: { answer = "b = a @ a", note.en = "...", note.zh = "..." }. Returns the answers and their notes."""
    wrong = get(raw, "wrong", list, where)
    if not wrong:
        raise where.fail("wrong", "list at least one known wrong answer; `quiz validate` proves it is rejected")
    answers, notes = [], []
    for index, item in enumerate(wrong):
        field = f"wrong[{index}]"
        if isinstance(item, dict):
            no_unknown(item, {"answer", "note"}, where, f"{field}.", "a wrong answer")
            if "answer" not in item:
                raise where.fail(f"{field}.answer", "is missing; write the wrong answer itself there")
            answers.append(item["answer"])
            notes.append(text({field: item["note"]}, field, where) if "note" in item else None)
        else:
            answers.append(item)
            notes.append(None)
    return answers, tuple(notes)


def _hidden_inputs(raw: dict, where: Where) -> dict:
    """`example`: code run after the setup for the example shown only (what hidden trials replace, such as a
    resnet18 that is costly to build); `inputs`: code run after the setup in each hidden trial, with torch and
    `rng` seeded by the trial's secret seed; `trials`: how many hidden trials (3 when inputs are given)."""
    example = code(raw, "example", where, "")
    inputs = code(raw, "inputs", where, "")
    trials = get(raw, "trials", int, where, 3 if inputs.strip() else 0)
    if not 0 <= trials <= MAX_TRIALS:
        raise where.fail("trials", f"should be between 0 and {MAX_TRIALS}")
    if example.strip() and not inputs.strip():
        raise where.fail("example", "is for names that hidden `inputs` rebind; without inputs, put it in `setup`")
    return {"example": example, "inputs": inputs, "trials": trials}


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
            "exact_type": get(raw, "exact_type", bool, where, False), "wrong": tuple(str(w) for w in raw["wrong"])}


def _code_kind(raw: dict, where: Where) -> dict:
    hidden = _hidden_inputs(raw, where)
    return {"answer": get(raw, "answer", str, where), "accept": _strings(raw, "accept", where),
            "wrong": _strings(raw, "wrong", where), "check": _check(raw, where, hidden["trials"]),
            "code": get(raw, "code", str, where, ""), **hidden}


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
    hidden = _hidden_inputs(raw, where)
    return {**answers, "steps": tuple(s.strip() for s in steps), "code": template,
            "check": _check(raw, where, hidden["trials"]), **hidden}


def _permutation(value, count: int, where: Where, field: str) -> tuple[int, ...]:
    if not isinstance(value, list) or sorted(value) != list(range(1, count + 1)):
        raise where.fail(field, f"should list every step number 1..{count} once, like {list(range(1, count + 1))}")
    return tuple(value)


def _strings(raw: dict, key: str, where: Where) -> tuple[str, ...]:
    values = get(raw, key, list, where, [])
    if not all(isinstance(v, str) for v in values):
        raise where.fail(key, "should be a list of strings (source code)")
    return tuple(values)


def _check(raw: dict, where: Where, trials: int):
    check = parse_check(get(raw, "check", dict, where), where)
    if check.random and not trials:
        raise where.fail("check.random", "needs hidden trials (trials = 1 or more): randomness shows only as "
                                         "values that change from one seed to the next")
    return check


_PARSERS = {"choice": _choice, "predict": _predict, "code": _code_kind, "fill": _fill, "order": _order}
