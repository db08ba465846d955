"""A checked value as plain data, to cross from the process that ran an answer to the one that judges it (never a
pickle: nothing in it can run code when it is read). A tensor is its dtype, shape and bytes; Python scalars,
strings, lists, tuples and dicts of these stay what they are; anything else is its type's name and a short repr.
decode() rebuilds what encode() writes, and turns anything malformed or over a cap into an Opaque value, which
no check accepts."""
from __future__ import annotations

import base64
import binascii
import sys

from quizzes.child.describe import clip, safe_repr

MAX_BYTES = 8 * 1024 * 1024  # tensor bytes one answer may return, over all its trials (base64 is a third more)
MAX_ITEMS = 100_000  # values inside lists, tuples and dicts, over all trials
MAX_DEPTH = 32
MAX_TEXT = 100_000  # characters of a string
DTYPES = ("float16", "bfloat16", "float32", "float64", "complex32", "complex64", "complex128", "uint8", "int8",
          "int16", "int32", "int64", "bool")


class Budget:
    """What one answer's values may add up to, shared by its trials."""

    def __init__(self):
        self.bytes, self.items = MAX_BYTES, MAX_ITEMS


class Opaque:
    """A value the judge cannot rebuild: it stands for the answer's value by its type's name and repr."""

    def __init__(self, shown: str):
        self.shown = shown

    def __repr__(self) -> str:
        return self.shown


def opaque(type_name: str, shown: str) -> Opaque:
    """An Opaque whose class bears the answer's type name, so that messages say `got a Foo`."""
    return type(clip(type_name, 80) or "object", (Opaque,), {})(clip(shown, 300))


def encode(value, budget: Budget, depth: int = 0) -> dict:
    """`value` as JSON data, within `budget`; run in the answer's own process."""
    torch = sys.modules["torch"]
    kind = type(value)
    budget.items -= 1
    if budget.items < 0 or depth > MAX_DEPTH:
        return _opaque(value, "too many nested values")
    if value is None:
        return {"kind": "none"}
    if kind in (bool, str) and not (kind is str and len(value) > MAX_TEXT):
        return {"kind": kind.__name__, "value": value}
    if kind in (int, float):
        try:
            return {"kind": kind.__name__, "value": repr(value)}  # nan and inf too; an int of any size
        except ValueError:  # an int past Python's digit limit
            return _opaque(value, "too long a number")
    if kind in (torch.Size, torch.dtype, torch.device):
        return {"kind": kind.__name__, "value": list(value) if kind is torch.Size else str(value)}
    if isinstance(value, torch.Tensor):
        return _tensor(value, budget)
    if kind in (list, tuple):
        return {"kind": kind.__name__, "items": [encode(item, budget, depth + 1) for item in value]}
    if kind is dict:
        return {"kind": "dict", "items": [[encode(k, budget, depth + 1), encode(v, budget, depth + 1)]
                                          for k, v in value.items()]}
    return _opaque(value)


def _tensor(value, budget: Budget) -> dict:
    torch = sys.modules["torch"]
    plain = value.detach().cpu()
    if plain.layout != torch.strided or str(plain.dtype).removeprefix("torch.") not in DTYPES:
        return _opaque(value, f"a {plain.dtype} tensor of layout {plain.layout}")
    plain = plain.resolve_conj().resolve_neg().contiguous()
    size = plain.numel() * plain.element_size()
    budget.bytes -= size
    if budget.bytes < 0:
        return {"kind": "opaque", "type": f"tensor of {size:,} bytes (more than a check takes)", "repr": ""}
    raw = plain.reshape(-1).view(torch.uint8).numpy().tobytes() if size else b""
    return {"kind": "tensor", "dtype": str(plain.dtype).removeprefix("torch."), "shape": list(plain.shape),
            "data": base64.b64encode(raw).decode("ascii")}


def _opaque(value, why: str = "") -> dict:
    return {"kind": "opaque", "type": type(value).__name__, "repr": why or safe_repr(value, 300)}


def decode(data):
    """The value `data` stands for; run in the judge, on data the answer's process may have forged."""
    try:
        return _decode(data, 0)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError, OverflowError,
            binascii.Error, RecursionError):
        return opaque("malformed value", "(a value that could not be read back)")


def _decode(data, depth: int):
    torch = sys.modules["torch"]
    kind = data["kind"]
    if depth > MAX_DEPTH:
        raise ValueError("too deep")
    if kind == "none":
        return None
    if kind in ("bool", "str"):
        value = data["value"]
        if type(value) is not {"bool": bool, "str": str}[kind]:
            raise TypeError(kind)
        return value
    if kind in ("int", "float"):
        text = data["value"]
        if type(text) is not str or len(text) > 5000:
            raise TypeError(kind)
        return int(text) if kind == "int" else float(text)
    if kind == "Size":
        return torch.Size([_index(n) for n in data["value"]])
    if kind == "dtype":
        return _dtype(data["value"].removeprefix("torch."))
    if kind == "device":
        return torch.device(str(data["value"]))
    if kind == "tensor":
        return _rebuild_tensor(data)
    if kind in ("list", "tuple"):
        items = [_decode(item, depth + 1) for item in data["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {_decode(k, depth + 1): _decode(v, depth + 1) for k, v in data["items"]}
    if kind == "opaque":
        return opaque(str(data["type"]), str(data.get("repr", "")))
    raise ValueError(f"unknown kind {kind!r}")


def _rebuild_tensor(data: dict):
    torch = sys.modules["torch"]
    dtype = _dtype(data["dtype"])
    shape = [_index(n) for n in data["shape"]]
    if len(shape) > 64:
        raise ValueError("too many dimensions")
    raw = base64.b64decode(data["data"], validate=True)
    if len(raw) > MAX_BYTES * 2:
        raise ValueError("too large")
    numel = 1
    for n in shape:
        numel *= n
    if numel * torch.empty((), dtype=dtype).element_size() != len(raw):
        raise ValueError("the bytes do not fill the shape")
    if not raw:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape)


def _dtype(name: str):
    if name not in DTYPES:
        raise ValueError(f"unknown dtype {name!r}")
    return getattr(sys.modules["torch"], name)


def _index(n) -> int:
    if type(n) is not int or not 0 <= n < 2 ** 40:
        raise ValueError("a size must be a natural number")
    return n
