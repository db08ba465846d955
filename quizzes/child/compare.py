"""Comparators for code, fill and order questions. Each returns None when the value passes, else (reason, detail):
the parent turns the reason into a message in the student's language."""
from __future__ import annotations

import math
import sys

from quizzes.child.describe import clip, safe_repr


def compare(check: dict, value, expected, snapshot: dict):
    """Judge `value` by the check: equal, allclose, shape, dtype, or a predicate over the setup's names (and
    `expected`, when the check gives one: the value computed before the student's code ran)."""
    kind = check["compare"]
    if kind == "predicate":
        return _predicate(check["predicate"], value, dict(snapshot, expected=expected) if check.get("expected")
                          else snapshot)
    if kind == "shape":
        return _shape(value, expected)
    if kind == "dtype":
        return _dtype(value, expected)
    return match(value, expected, kind == "allclose", check.get("rtol", 1e-5), check.get("atol", 1e-8))


def match(value, expected, close: bool, rtol: float, atol: float):
    """Equal (or close) tensors, and lists, tuples and dicts of them, element by element."""
    torch = sys.modules["torch"]
    if isinstance(expected, torch.Tensor):
        return _tensors(value, expected, close, rtol, atol)
    if isinstance(expected, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(expected):
            return "not_equal", {"got": safe_repr(value, 200), "expected": safe_repr(expected, 200)}
        for got, want in zip(value, expected):
            failure = match(got, want, close, rtol, atol)
            if failure:
                return failure
        return None
    if isinstance(expected, dict):
        if not isinstance(value, dict) or set(value) != set(expected):
            return "not_equal", {"got": safe_repr(value, 200), "expected": safe_repr(expected, 200)}
        for key in expected:
            failure = match(value[key], expected[key], close, rtol, atol)
            if failure:
                return failure
        return None
    return _scalars(value, expected, close, rtol, atol)


def _scalars(value, expected, close: bool, rtol: float, atol: float):
    numbers = (int, float)
    if close and isinstance(expected, numbers) and isinstance(value, numbers) and not isinstance(value, bool):
        same = math.isclose(value, expected, rel_tol=rtol, abs_tol=atol)
    else:
        try:
            same = type(value) is type(expected) and bool(value == expected)
        except Exception:
            same = False
    return None if same else ("not_equal", {"got": safe_repr(value, 200), "expected": safe_repr(expected, 200)})


def _tensors(value, expected, close: bool, rtol: float, atol: float):
    torch = sys.modules["torch"]
    if not isinstance(value, torch.Tensor):
        return "not_tensor", {"got": type(value).__name__}
    if value.shape != expected.shape:
        return "shape", {"got": str(tuple(value.shape)), "expected": str(tuple(expected.shape))}
    got, want = value.detach().cpu(), expected.detach().cpu()
    if not close and got.dtype != want.dtype:
        return "dtype", {"got": str(got.dtype), "expected": str(want.dtype)}
    if close:
        same = torch.allclose(got.double(), want.double(), rtol=rtol, atol=atol, equal_nan=True)
    else:
        same = torch.equal(got, want)
    if same:
        return None
    gap = (got.double() - want.double()).abs().max().item() if got.numel() else 0.0
    return "values", {"gap": f"{gap:.4g}"}


def _shape(value, expected):
    shape = getattr(value, "shape", None)
    if shape is None:
        return "not_tensor", {"got": type(value).__name__}
    if tuple(shape) != tuple(expected):
        return "shape", {"got": str(tuple(shape)), "expected": str(tuple(expected))}
    return None


def _dtype(value, expected):
    torch = sys.modules["torch"]
    dtype = value if isinstance(value, torch.dtype) else getattr(value, "dtype", None)
    if dtype is None:
        return "not_tensor", {"got": type(value).__name__}
    if dtype != expected:
        return "dtype", {"got": str(dtype), "expected": str(expected)}
    return None


def _predicate(predicate: str, value, snapshot: dict):
    namespace = dict(snapshot, value=value)
    try:
        passed = eval(compile(predicate, "<check>", "eval"), namespace)
    except AssertionError as error:
        return "predicate", {"detail": str(error)}
    except BaseException as error:  # the predicate calls the student's code, which may raise anything
        return "error", {"error": f"{type(error).__name__}: {clip(str(error), 400)}"}
    return None if passed else ("predicate", {"detail": ""})
