"""Turn a live value (or the exception a snippet raised) into a JSON descriptor the parent can grade against."""
from __future__ import annotations

import sys

MAX_LISTED = 64  # tensors up to this many elements are described value by value
REPR_LIMIT = 2000


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " ..."


def safe_repr(value, limit: int = REPR_LIMIT) -> str:
    try:
        text = repr(value)
    except Exception as error:  # a student's class may have a broken __repr__
        text = f"<{type(value).__name__} (repr failed: {type(error).__name__})>"
    return clip(text, limit)


def describe_error(error: BaseException) -> dict:
    names = [k.__name__ for k in type(error).__mro__ if k not in (BaseException, Exception, object)]
    return {"kind": "error", "names": names, "message": clip(str(error), 400)}


def describe(value) -> dict:
    torch = sys.modules["torch"]
    if value is None:
        return {"kind": "none"}
    if isinstance(value, bool):
        return {"kind": "bool", "value": value}
    if isinstance(value, (int, float)):
        return {"kind": "number", "value": value, "integer": isinstance(value, int)}
    if isinstance(value, str):
        return {"kind": "str", "value": value}
    if isinstance(value, torch.Size):  # before tuple: a Size is a tuple
        return {"kind": "shape", "value": list(value)}
    if isinstance(value, torch.dtype):
        return {"kind": "dtype", "value": str(value)}
    if isinstance(value, torch.device):
        return {"kind": "device", "value": str(value)}
    if isinstance(value, torch.Tensor):
        return _tensor(value)
    if isinstance(value, (tuple, list)) and len(value) <= 16:
        return {"kind": "sequence", "items": [describe(item) for item in value]}
    return {"kind": "object", "type": type(value).__name__, "repr": safe_repr(value, 300)}


def _tensor(value) -> dict:
    plain = value.detach().cpu()
    values = plain.tolist() if plain.numel() <= MAX_LISTED and not plain.is_complex() else None
    return {"kind": "tensor", "shape": list(plain.shape), "dtype": str(plain.dtype), "values": values}
