"""Reading what a student answered: a predicted value, shape, dtype, None, True/False or error name; choice letters;
an order of steps. Pure Python (no torch), so predictions are parsed and compared in the quiz's own process."""
from __future__ import annotations

import ast
import math
import operator
import re

from quizzes import normalise

DTYPES = {"float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
          "float16": "float16", "half": "float16", "bfloat16": "bfloat16", "int64": "int64", "long": "int64",
          "int32": "int32", "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8",
          "bool": "bool", "complex64": "complex64", "cfloat": "complex64", "complex128": "complex128",
          "cdouble": "complex128"}
SEPARATORS = re.compile(r"[\s,;/，、；>-]+")
ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}


class AnswerError(ValueError):
    """An answer in the wrong format; `key` names a message in messages.toml, `detail` fills it in."""

    def __init__(self, key: str, **detail):
        super().__init__(key)
        self.key, self.detail = key, detail


def parse_prediction(text: str) -> tuple:
    """A tagged reading of a prediction: ("none",), ("bool", b), ("number", x), ("list", [...]), ("dtype", name),
    ("device", name), ("name", dotted), ("str", s) or ("text", s) when it is none of those. Beyond Python, the
    forms declared in quizzes/normalise.py are read too (`CPU`, `4x8`, `[true, false]`, `RuntimeError: ...`, `无`)."""
    text = normalise.clean(text)
    for reading in (normalise.word(text), _device(normalise.device_name(text)), _error(normalise.error_name(text)),
                    _shape(normalise.product_shape(text))):
        if reading:
            return reading
    try:
        return _node(ast.parse(normalise.json_literals(text), mode="eval").body)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return ("text", text)


def readings(text: str) -> list[tuple]:
    """Every fair reading of an answer: `32,998` is the pair (32, 998) to Python, and 32998 to a person."""
    found = [parse_prediction(text)]
    grouped = normalise.thousands(normalise.clean(text))
    if grouped is not None:
        found.append(("number", grouped))
    return found


def accepts(expected: dict, text: str, tolerance: float = 1e-3) -> bool:
    """Whether some fair reading of the answer is the live value described by `expected`."""
    return any(matches(expected, reading, tolerance) for reading in readings(text))


def check_readable(expected: dict, text: str) -> None:
    """Raise AnswerError when a wrong answer is not an answer at all: a near miss of a format (`torch.flaot32`,
    `(4, 8`) or text that reads as nothing. The student is then asked again instead of being marked wrong."""
    if expected["kind"] in ("str", "object"):
        return  # any text may be the name asked for
    parsed = parse_prediction(text)
    if parsed[0] not in ("text", "name"):
        return
    guess = normalise.suggestion(parsed[1])
    if guess:
        raise AnswerError("did_you_mean", answer=guess[0], form_key=guess[1])
    if parsed[0] == "text":
        raise AnswerError("unreadable")


def _device(name: str | None) -> tuple | None:
    return ("device", name) if name else None


def _error(name: str | None) -> tuple | None:
    return ("name", name) if name else None


def _shape(dims: list | None) -> tuple | None:
    return ("list", dims) if dims else None


def _node(node) -> tuple:
    if isinstance(node, (ast.Constant, ast.UnaryOp, ast.BinOp, ast.Tuple, ast.List)):
        value = _plain(node)
        if value is None:
            return ("none",)
        if isinstance(value, bool):
            return ("bool", value)
        if isinstance(value, str):
            return ("str", value)
        return ("list", value) if isinstance(value, list) else ("number", value)
    if isinstance(node, ast.Call):
        return _call(node)
    dotted = _dotted(node)
    last = dotted.rsplit(".", 1)[-1]
    if last in DTYPES and dotted in (last, f"torch.{last}"):
        return ("dtype", "torch." + DTYPES[last])
    if normalise.device_name(last):
        return ("device", normalise.device_name(last))
    return ("name", dotted)


def _call(node: ast.Call) -> tuple:
    name = _dotted(node.func).rsplit(".", 1)[-1]
    if name == "device" and len(node.args) + len(node.keywords) == 1:
        written = str(_plain(node.args[0] if node.args else node.keywords[0].value))
        return ("device", normalise.device_name(written) or written)
    if name == "Size" and not node.args:
        return ("list", [])
    if name in ("Size", "tensor", "Tensor") and len(node.args) == 1:
        value = _plain(node.args[0])
        return ("list", value) if isinstance(value, list) else ("number", value)
    raise ValueError(name)


def _plain(node):
    """A literal made of numbers, booleans, None, strings and (nested) lists or tuples."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _plain(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        return _arithmetic(node)
    if isinstance(node, (ast.Tuple, ast.List)):
        return [_plain(item) for item in node.elts]
    if isinstance(node, ast.Name) and node.id in ("nan", "inf"):
        return float(node.id)
    if isinstance(node, ast.Call):  # torch.Size([...]) or tensor([...]) inside a list or tuple
        tag, value = _call(node)
        if tag in ("list", "number"):
            return value
    raise ValueError("not a literal")


def _arithmetic(node: ast.BinOp):
    """`0.7**2`, `2/3`: arithmetic on number literals, bounded so that `9**9**9` cannot stall the quiz."""
    left, right = _plain(node.left), _plain(node.right)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
        raise ValueError("not arithmetic on numbers")
    if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
        raise ValueError("too large a power")
    try:
        return ARITHMETIC[type(node.op)](left, right)
    except (ZeroDivisionError, OverflowError):
        raise ValueError("no value") from None


def _dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    raise ValueError("not a name")


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


def matches(expected: dict, parsed: tuple, tolerance: float = 1e-3) -> bool:
    """Whether a parsed prediction is the live value described by `expected`."""
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
            all(matches(e, _as_parsed(p), tolerance) for e, p in zip(items, parsed[1]))
    if kind == "error":
        return tag == "name" and parsed[1].rsplit(".", 1)[-1].lower() in [n.lower() for n in expected["names"]]
    if kind == "object":  # DivBackward0 or DivBackward1: which overload ran is trivia, the operation is not
        name = expected["type"].lower().rstrip("0123456789")
        return tag in ("name", "text") and parsed[1].lower().rstrip("0123456789") == name
    return False


def _as_parsed(plain) -> tuple:
    if plain is None:
        return ("none",)
    if isinstance(plain, bool):
        return ("bool", plain)
    if isinstance(plain, str):
        return ("str", plain)
    return ("list", plain) if isinstance(plain, list) else ("number", plain)


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
