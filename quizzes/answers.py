"""Reading what a student answered: a predicted value, shape, dtype, None, True/False or error name; choice letters;
an order of steps. Pure Python (no torch), so predictions are parsed and compared in the quiz's own process."""
from __future__ import annotations

import math
import re

from quizzes import normalise
from quizzes.reading import DTYPES, Reading, parse_prediction, readings, tagged  # noqa: F401  (DTYPES: API)

SEPARATORS = re.compile(r"[\s,;/，、；>-]+")


class AnswerError(ValueError):
    """An answer in the wrong format; `key` names a message in messages.toml, `detail` fills it in."""

    def __init__(self, key: str, **detail):
        super().__init__(key)
        self.key, self.detail = key, detail


def accepts(expected: dict, text: str, tolerance: float = 1e-3, exact_type: bool = False) -> bool:
    """Whether some fair reading of the answer is the live value described by `expected`."""
    return any(matches(expected, reading, tolerance, exact_type) for reading in readings(text))


def check_readable(expected: dict, text: str) -> None:
    """Raise AnswerError when a wrong answer is not an answer at all: a near miss of a format (`torch.flaot32`,
    `(4, 8`) or text that reads as nothing. The student is then asked again instead of being marked wrong."""
    if expected["kind"] in ("str", "object"):
        return  # any text may be the name asked for
    parsed = parse_prediction(text)
    if parsed[0] == "list":
        _check_items(parsed[1], text)
    if parsed[0] not in ("text", "name"):
        return
    guess = normalise.suggestion(parsed[1])
    if guess:
        raise AnswerError("did_you_mean", answer=guess[0], form_key=guess[1])
    if parsed[0] == "text":
        raise AnswerError("unreadable")


def _check_items(items: list, text: str) -> None:
    """A list is graded even when an item is a name (`[True, False, MulBackward0]`), unless that name is a near
    miss of a word, a dtype or a device (`[True, Flase, None]`): then the student is asked again, with the guess."""
    for item in items:
        if isinstance(item, list):
            _check_items(item, text)
        elif isinstance(item, Reading) and item[0] == "name":
            guess = normalise.suggestion(item[1])
            if guess and guess[1] in ("word", "dtype", "device"):
                fixed = re.sub(rf"(?<![\w.]){re.escape(item[1])}(?![\w.])", guess[0], normalise.clean(text))
                raise AnswerError("did_you_mean", answer=fixed, form_key=guess[1])


def parse_choice(answer, count: int) -> tuple[str, ...]:
    """Letters like "b", "a, c", "ac" or ["a", "c"] -> ("a", "c")."""
    allowed = "abcdefgh"[:count]
    if isinstance(answer, list):
        items = [str(item) for item in answer]
    else:
        items = [item for item in SEPARATORS.split(str(answer).strip().lower()) if item]
        if len(items) == 1 and len(items[0]) > 1 and all(c in allowed for c in items[0]):
            items = list(items[0])
    letters = sorted({item.strip().lower().rstrip(").") for item in items})
    if not letters or any(letter not in allowed for letter in letters):
        raise AnswerError("choice_format", letters=", ".join(allowed))
    return tuple(letters)


def parse_order(answer, count: int) -> tuple[int, ...]:
    """Step numbers like "3 1 2", "3,1,2" or [3, 1, 2], each of 1..count exactly once."""
    items = answer if isinstance(answer, list) else [i for i in SEPARATORS.split(str(answer).strip()) if i]
    try:
        order = tuple(int(item) for item in items)
    except (TypeError, ValueError):
        order = ()
    if sorted(order) != list(range(1, count + 1)):
        raise AnswerError("order_format", count=count, example=" ".join(str(i) for i in range(count, 0, -1)))
    return order


def matches(expected: dict, parsed: tuple, tolerance: float = 1e-3, exact_type: bool = False) -> bool:
    """Whether a parsed prediction is the live value described by `expected`. With `exact_type`, the answer must
    also say what the value is: a tensor written as tensor([1, 0]), not as the list [1, 0]."""
    if exact_type and expected["kind"] in ("tensor", "sequence") and \
            parsed[0] != ("tensor" if expected["kind"] == "tensor" else "list"):
        return False
    parsed = _untyped(parsed)
    kind, tag = expected["kind"], parsed[0]
    if kind == "device":
        return tag == "device" and normalise.device_name(parsed[1]) == normalise.device_name(expected["value"])
    if kind in ("none", "bool", "dtype"):
        return parsed == ((kind,) if kind == "none" else (kind, expected["value"]))
    if kind == "number":  # a count is exact; a measured float is compared with the question's tolerance
        return tag == "number" and _close(parsed[1], expected["value"], 0.0 if expected.get("integer") else tolerance)
    if kind == "str":
        return tag in ("str", "name", "text", "device") and str(parsed[1]).strip("'\"") == expected["value"]
    if kind == "shape":
        shape = expected["value"]
        return (tag == "list" and parsed[1] == shape) or (tag == "number" and [parsed[1]] == shape)
    if kind == "tensor":
        return expected["values"] is not None and tag in ("list", "number", "bool") and \
            _nested_close(parsed[1], expected["values"], tolerance)
    if kind == "sequence":
        items = expected["items"]
        return tag == "list" and len(parsed[1]) == len(items) and \
            all(matches(e, tagged(p), tolerance) for e, p in zip(items, parsed[1]))
    if kind == "error":
        return tag == "name" and parsed[1].rsplit(".", 1)[-1].lower() in [n.lower() for n in expected["names"]]
    if kind == "object":  # DivBackward0 or DivBackward1: which overload ran is trivia, the operation is not
        name = expected["type"].lower().rstrip("0123456789")
        return tag in ("name", "text") and parsed[1].lower().rstrip("0123456789") == name
    return False


def _untyped(parsed: tuple) -> tuple:
    """A tensor's reading as its values, which is how a prediction is read unless its type matters."""
    return tagged(parsed[1]) if parsed[0] == "tensor" else parsed


def _close(got, want, tolerance: float) -> bool:
    if isinstance(got, bool) or not isinstance(got, (int, float)) or not isinstance(want, (int, float)):
        return False
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    return got == want if tolerance == 0 else math.isclose(got, want, rel_tol=tolerance, abs_tol=1e-6)


def _nested_close(got, want, tolerance: float) -> bool:
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and \
            all(_nested_close(g, w, tolerance) for g, w in zip(got, want))
    if isinstance(want, bool):
        return got == want and not isinstance(got, list)
    return _close(got, want, tolerance)


def format_expected(expected: dict, nested: bool = False) -> str:
    """The canonical way to write the described value as an answer (it must parse back and match)."""
    kind = expected["kind"]
    if kind == "str" and nested:
        return repr(expected["value"])
    if kind in ("none",):
        return "None"
    if kind == "number" and isinstance(expected["value"], float):
        return f"{expected['value']:.6g}"  # 0.49, not 0.48999999999999994
    if kind in ("bool", "number"):
        return repr(expected["value"])
    if kind in ("str", "dtype", "device"):
        return expected["value"]
    if kind == "shape":
        return f"torch.Size({expected['value']})"
    if kind == "tensor":
        values = expected["values"]
        return f"tensor({values!r})" if values is not None else f"<a tensor of shape {tuple(expected['shape'])}>"
    if kind == "sequence":
        items = [format_expected(item, nested=True) for item in expected["items"]]
        return "[" + ", ".join(items) + "]"
    if kind == "error":
        return expected["names"][0]
    return expected.get("type", "?")
