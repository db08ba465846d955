"""Reading a prediction as written: the text becomes a tagged value (a number, a list, a tensor, a dtype, a device, a
name...). Pure Python (no torch). quizzes/normalise.py declares the forms people write beyond Python."""
from __future__ import annotations

import ast
import math
import operator

from quizzes import normalise

DTYPES = {"float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
          "float16": "float16", "half": "float16", "bfloat16": "bfloat16", "int64": "int64", "long": "int64",
          "int32": "int32", "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8",
          "bool": "bool", "complex64": "complex64", "cfloat": "complex64", "complex128": "complex128",
          "cdouble": "complex128"}
MADE_TENSORS = {"ones": 1.0, "zeros": 0.0, "full": None, "arange": None}  # and the value they are filled with
MAX_MADE = 4096  # elements: a prediction never builds a large list
ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}


class Reading(tuple):
    """A tagged reading inside a list: `[True, False, MulBackward0]` holds a name, and is still a list to grade."""


def parse_prediction(text: str) -> tuple:
    """A tagged reading of a prediction: ("none",), ("bool", b), ("number", x), ("list", [...]), ("tensor", values)
    when it is written as a tensor, ("dtype", name), ("device", name), ("name", dotted), ("str", s) or ("text", s)
    when it is none of those. Beyond Python, the forms declared in quizzes/normalise.py are read too (`CPU`, `4x8`,
    `[true, false]`, `RuntimeError: ...`, `无`, `5130 个`, `torch.ones(3)`)."""
    text = normalise.clean(text)
    for reading in (normalise.word(text), _device(normalise.device_name(text)), _error(normalise.error_name(text)),
                    _shape(normalise.product_shape(text))):
        if reading:
            return reading
    try:
        return _node(ast.parse(normalise.literal_words(text), mode="eval").body)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return ("text", text)


def readings(text: str) -> list[tuple]:
    """Every fair reading of an answer: `32,998` is the pair (32, 998) to Python, and 32998 to a person."""
    found = [parse_prediction(text)]
    grouped = normalise.thousands(normalise.clean(text))
    if grouped is not None:
        found.append(("number", grouped))
    return found


def _device(name: str | None) -> tuple | None:
    return ("device", name) if name else None


def _error(name: str | None) -> tuple | None:
    return ("name", name) if name else None


def _shape(dims: list | None) -> tuple | None:
    return ("list", dims) if dims else None


def tagged(plain) -> tuple:
    """The reading of a plain value (a literal, or an item of a list)."""
    if isinstance(plain, Reading):
        return tuple(plain)
    if plain is None:
        return ("none",)
    if isinstance(plain, bool):
        return ("bool", plain)
    if isinstance(plain, str):
        return ("str", plain)
    return ("list", plain) if isinstance(plain, list) else ("number", plain)


def _node(node) -> tuple:
    if isinstance(node, (ast.Constant, ast.UnaryOp, ast.BinOp, ast.Tuple, ast.List)):
        return tagged(_plain(node))
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
    if name == "Size" and len(node.args) == 1:
        value = _plain(node.args[0])
        return ("list", value) if isinstance(value, list) else ("number", value)
    if name in ("tensor", "Tensor") and len(node.args) == 1:
        return ("tensor", _plain(node.args[0]))
    if name in MADE_TENSORS:
        return ("tensor", _made_tensor(name, [_plain(arg) for arg in node.args]))
    raise ValueError(name)


def _made_tensor(name: str, args: list):
    """The values of torch.ones(2, 3), zeros, full((2,), 7) or arange(4), for at most MAX_MADE elements."""
    if name == "arange":
        if not 1 <= len(args) <= 3 or not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            raise ValueError("arange of ints only")
        values = list(range(*args))
        if len(values) > MAX_MADE:
            raise ValueError("too large")
        return values
    fill = MADE_TENSORS[name]
    if name == "full":
        if len(args) != 2 or not isinstance(args[1], (int, float)) or isinstance(args[1], bool):
            raise ValueError("full needs a size and a number")
        args, fill = args[0], args[1]
    dims = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims) or \
            math.prod(dims) > MAX_MADE:
        raise ValueError("not a small size")
    values = fill
    for size in reversed(dims):
        values = [values] * size if not isinstance(values, list) else [list(values) for _ in range(size)]
    return values


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
        return value if tag in ("list", "number", "tensor") else Reading((tag, value))
    if isinstance(node, (ast.Name, ast.Attribute)):  # MulBackward0, torch.float32: still a list, to be graded
        return Reading(_node(node))
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
