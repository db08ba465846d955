"""What crosses from an answer's process to the judge: values as data, read back exactly, and anything forged or
over a cap read back as a value no check accepts, never an error. And the lint that stands before a predicate."""
from __future__ import annotations

import json
import math

import pytest
import torch

from quizzes.child.compare import compare, match
from quizzes.child.values import MAX_BYTES, Budget, Opaque, decode, encode
from quizzes.grading import flagged
from quizzes.messages import text


def across(value, budget: Budget | None = None):
    """`value` as the judge reads it: encoded, sent as JSON, decoded."""
    return decode(json.loads(json.dumps(encode(value, budget or Budget()))))


def tensors():
    base = torch.randn(3, 4, dtype=torch.float64)
    yield base.t()  # not contiguous
    yield base[:, 1]  # a view into a larger storage
    yield torch.tensor(2.5)  # 0-d
    yield torch.empty(0, 5, dtype=torch.int64)
    yield torch.tensor([[True, False]])
    yield torch.randn(2, 2, dtype=torch.complex64).conj()
    yield (torch.randn(5) * 100).to(torch.bfloat16)
    yield torch.randint(-100, 100, (2, 3, 4), dtype=torch.int8)
    yield torch.nn.Parameter(torch.randn(3))  # what the student may return: a parameter with a grad_fn-free view
    yield torch.randn(4, requires_grad=True) * 2


@pytest.mark.parametrize("value", list(tensors()), ids=lambda t: f"{t.dtype}{tuple(t.shape)}")
def test_a_tensor_comes_back_with_its_dtype_shape_and_every_value(value):
    back = across(value)
    assert type(back) is torch.Tensor and back.dtype == value.dtype and back.shape == value.shape
    assert match(back, value.detach(), False, 0, 0) is None


def test_python_values_come_back_as_the_same_types():
    value = {"a": [1, 2.5, True, None, "x"], (1, "k"): (torch.Size([2, 3]), torch.float16, torch.device("cpu")),
             "big": 10 ** 80, "text": "中文"}
    back = across(value)
    assert back == value and type(back[(1, "k")]) is tuple and type(back["a"][2]) is bool
    assert type(across(3)) is int and type(across(3.0)) is float  # `equal` tells 3 from 3.0
    assert math.isnan(across(float("nan"))) and across(float("-inf")) == float("-inf")


def test_anything_else_is_opaque_and_no_check_accepts_it():
    class Sneaky:
        def __eq__(self, other):
            return True  # the answer's own idea of equality never reaches the judge

    back = across(Sneaky())
    assert isinstance(back, Opaque) and type(back).__name__ == "Sneaky"
    assert match(back, torch.ones(2), False, 0, 0)[0] == "not_tensor"
    assert match(back, 3, False, 0, 0)[0] == "not_equal"
    assert compare({"compare": "shape"}, back, (2,), {})[0] == "not_tensor"


def test_values_over_the_cap_come_back_opaque():
    budget = Budget()
    small = across(torch.zeros(10), budget)
    big = across(torch.zeros(MAX_BYTES // 4 + 1), budget)  # float32: one element past the cap
    assert type(small) is torch.Tensor and isinstance(big, Opaque)
    assert match(big, torch.zeros(MAX_BYTES // 4 + 1), False, 0, 0)[0] == "not_tensor"


FORGED = [
    {"kind": "tensor", "dtype": "float32", "shape": [4], "data": "AAAA"},  # 3 bytes for 16
    {"kind": "tensor", "dtype": "float32", "shape": [-1], "data": ""},
    {"kind": "tensor", "dtype": "object", "shape": [1], "data": "AAAAAA=="},
    {"kind": "tensor", "dtype": "float32", "shape": [1], "data": "not base64!"},
    {"kind": "tensor", "dtype": "float32", "shape": [2 ** 62], "data": ""},
    {"kind": "int", "value": "9" * 10_000},
    {"kind": "bool", "value": "yes"},
    {"kind": "dict", "items": [[{"kind": "list", "items": []}, {"kind": "none"}]]},  # an unhashable key
    {"kind": "pickle", "value": "gASV"},
    {"kind": "list", "items": None},
    "not even a dict",
]


@pytest.mark.parametrize("data", FORGED + [json.loads('{"kind": "list", "items": [' * 200 + "]}" * 200)])
def test_forged_data_reads_as_a_malformed_value_never_an_error(data):
    back = decode(data)
    assert isinstance(back, Opaque)
    assert match(back, torch.zeros(1), True, 1e-5, 1e-8) is not None


def test_the_lint_grades_a_predicate_answer_that_reaches_into_the_grader_wrong_in_both_languages():
    program = "import torch\nimport gc\nNet = gc.get_objects\n"
    english, chinese = flagged(program, "en"), flagged(program, "zh")
    assert english["report"]["passed"] is False and english["report"]["detail"]["line"] == 2
    assert "gc" in english["report"]["detail"]["what"] and "gc" in chinese["report"]["detail"]["what"]
    words = [text("reason", "needs_review", lang, **reply["report"]["detail"])
             for lang, reply in (("en", english), ("zh", chinese))]
    assert words[0].startswith("Needs review: line 2") and words[1].startswith("需要人工审核：第 2 行")
    assert flagged("class Net(torch.nn.Module):\n    pass\n", "en") is None
    assert flagged("def broken(:\n", "en") is None  # a syntax error is the fork's to report, with its line
