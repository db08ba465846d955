"""What each message of the harness's report holds, field by field, type by type and range by range. The child is
the student's process: a message that is framed right but holds anything else (a missing or unknown field, a number
where a list belongs, a negative count) was not written by the harness, so the report is broken, never an error of
ours. The curves inside "done" are checked for their own shape by checker.curves (and dropped, not broken)."""
from __future__ import annotations

import math


def _text(value) -> bool:
    return isinstance(value, str)


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10 ** 12


def _line(value) -> bool:
    return value is None or _count(value)


def _seconds(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _names(value) -> bool:
    return isinstance(value, list) and len(value) <= 100 and all(_text(v) for v in value)


def _finding(value) -> bool:
    return (isinstance(value, dict) and set(value) == {"probe", "code", "line", "detail"} and _text(value["probe"])
            and _text(value["code"]) and _line(value["line"]) and _text(value["detail"]))


def _findings(value) -> bool:
    return isinstance(value, list) and len(value) <= 100 and all(_finding(v) for v in value)


FIELDS = {
    "started": {"import_s": _seconds},
    "findings": {"findings": _findings},
    "crash": {"stage": _text, "error": _text, "traceback": _text, "line": _line},
    "missing_entry_points": {"names": _names},
    "no_model": {"returned": _text},
    "done": {"train_s": _seconds, "model_calls": _count, "optimizer_steps": _count, "steps_outside_train": _count,
             "train_calls": _count, "eval_model_calls": _count, "curves": lambda value: isinstance(value, dict)},
}
# digits are checked for count and range by evaluate; "skipped": none made (the quick budget, where the accuracy is
# not read; a run that says so otherwise has no accuracy, and fails its check)
ONE_OF = {"predictions": ({"digits": _text}, {"error": _text}, {"skipped": _text})}


def problem(message: dict) -> str:
    """Why `message` (a harness report message, its nonce taken off) is not in the harness's form, or ''."""
    kind = message.get("kind")
    fields = {key: value for key, value in message.items() if key != "kind"}
    shapes = ONE_OF.get(kind) or ((FIELDS[kind],) if kind in FIELDS else ())
    for shape in shapes:
        if set(fields) == set(shape) and all(valid(fields[name]) for name, valid in shape.items()):
            return ""
    return f"a {str(kind)[:40]!r} message whose fields are not the harness's"
