"""Reading students' answers: predictions in the forms people write them, choice letters and step orders."""
from __future__ import annotations

from pathlib import Path

import pytest

from quizzes.answers import (AnswerError, accepts, check_readable, format_expected, matches, parse_choice,
                             parse_order, parse_prediction, readings)
from quizzes.normalise import FORMS

SHAPE = {"kind": "shape", "value": [2, 4, 4]}
DTYPE = {"kind": "dtype", "value": "torch.float32"}
ERROR = {"kind": "error", "names": ["RuntimeError"], "message": "..."}
TENSOR = {"kind": "tensor", "shape": [2], "dtype": "torch.int64", "values": [1, 0]}


@pytest.mark.parametrize("expected, accepted, rejected", [
    (SHAPE, ["(2, 4, 4)", "torch.Size([2, 4, 4])", "[2,4,4]", "2, 4, 4", "Size([2, 4, 4])"], ["(4, 4, 2)", "(2, 4)"]),
    ({"kind": "shape", "value": [1000]}, ["(1000,)", "1000", "torch.Size([1000])"], ["(1, 1000)"]),
    (DTYPE, ["torch.float32", "float32", "torch.float", "`torch.float32`"], ["torch.float64", "int64"]),
    ({"kind": "none"}, ["None", "none", "null"], ["0", "False"]),
    ({"kind": "bool", "value": True}, ["True", "true", "yes", "是"], ["False", "1"]),
    ({"kind": "number", "value": 157, "integer": True}, ["157", "157.0"], ["156", "157.1"]),
    ({"kind": "number", "value": 0.48999999999999994, "integer": False}, ["0.49", "0.4900"], ["0.5"]),
    (ERROR, ["RuntimeError", "torch.RuntimeError", "runtimeerror"], ["None", "ValueError", "error"]),
    ({"kind": "object", "type": "DivBackward1", "repr": ""}, ["DivBackward1", "DivBackward"], ["MulBackward0"]),
    (TENSOR, ["tensor([1, 0])", "[1, 0]", "(1, 0)"], ["[0, 1]", "[[1], [0]]", "1"]),
    ({"kind": "device", "value": "cpu"}, ["cpu", "torch.device('cpu')", "device(type='cpu')"], ["cuda", "gpu"]),
    ({"kind": "sequence", "items": [{"kind": "bool", "value": True}, {"kind": "bool", "value": False}]},
     ["[True, False]", "(True, False)"], ["[True, True]"]),
])
def test_predictions_are_read_the_way_students_write_them(expected, accepted, rejected):
    for answer in accepted:
        assert matches(expected, parse_prediction(answer)), answer
    for answer in rejected:
        assert not matches(expected, parse_prediction(answer)), answer
    assert matches(expected, parse_prediction(format_expected(expected)))


def test_shapes_inside_sequences_round_trip():
    pair = {"kind": "sequence", "items": [{"kind": "shape", "value": [16, 1, 28, 28]}, {"kind": "shape", "value": [16]}]}
    assert format_expected(pair) == "[torch.Size([16, 1, 28, 28]), torch.Size([16])]"
    assert matches(pair, parse_prediction("((16, 1, 28, 28), (16,))"))


def test_choice_letters_and_step_orders():
    assert parse_choice("b", 4) == ("b",)
    assert parse_choice("C, a", 4) == parse_choice("ac", 4) == parse_choice(["a", "c"], 4) == ("a", "c")
    assert parse_order("3 1 2", 3) == parse_order("3,1,2", 3) == parse_order([3, 1, 2], 3) == (3, 1, 2)
    for bad in ("e", "", "a, z"):
        with pytest.raises(AnswerError):
            parse_choice(bad, 4)
    for bad in ("1 2", "1 1 2", "a b c", [1, 2, 4]):
        with pytest.raises(AnswerError):
            parse_order(bad, 3)


@pytest.mark.parametrize("form, kind, examples", FORMS, ids=[form[0] for form in FORMS])
def test_every_declared_form_reads_as_its_value(form, kind, examples):
    """The table in quizzes/normalise.py is the reference students are shown; each example must read as declared."""
    for written, reading in examples:
        assert reading in readings(written), (form, written, readings(written))


@pytest.mark.parametrize("written, meant, form", [
    ("torch.flaot32", "torch.float32", "dtype"), ("(4, 8", "(4, 8)", "shape"), ("4 by 8", "(4, 8)", "shape"),
    ("runtime error", "RuntimeError", "error"), ("Nnoe", "None", "word"), ("tru", "True", "word"),
    ("tensor([1, 2", "tensor([1, 2])", "brackets"),
])
def test_a_near_miss_is_not_graded_but_gets_a_guess(written, meant, form):
    with pytest.raises(AnswerError) as raised:
        check_readable(SHAPE, written)
    assert raised.value.key == "did_you_mean" and raised.value.detail == {"answer": meant, "form_key": form}


def test_text_that_reads_as_nothing_is_asked_again_and_real_answers_are_graded():
    with pytest.raises(AnswerError) as raised:
        check_readable(SHAPE, "no idea really")
    assert raised.value.key == "unreadable"
    for answer in ("(4, 8)", "gpu", "torch.float64", "3", "ValueError"):
        check_readable(SHAPE, answer)  # readable: graded right or wrong, never asked again
    check_readable({"kind": "str", "value": "x"}, "any text at all")


def test_readings_that_would_be_unfair_or_dangerous_are_not_taken():
    assert readings("9**9**9") == [("text", "9**9**9")]  # bounded arithmetic: no stall
    assert not accepts({"kind": "shape", "value": [4, 8]}, "4*8")  # 32, not a shape
    assert not accepts({"kind": "number", "value": 48, "integer": True}, "4,8")  # a pair, not forty-eight
    assert accepts({"kind": "shape", "value": [4, 8]}, "4,8")
    assert not accepts({"kind": "object", "type": "DivBackward1"}, "MulBackward0")
    assert accepts({"kind": "object", "type": "DivBackward1"}, "DivBackward0")


def test_the_docs_show_every_declared_form_in_both_languages():
    docs = Path(__file__).resolve().parents[2] / "docs"
    for name in ("quizzes.md", "quizzes.zh-CN.md"):
        page = (docs / name).read_text(encoding="utf-8")
        missing = [written for _, _, examples in FORMS for written, _ in examples if f"`{written}`" not in page]
        assert not missing, (name, missing)


SEQUENCE = {"kind": "sequence", "items": [{"kind": "bool", "value": True}, {"kind": "bool", "value": False},
                                          {"kind": "none"}]}


def test_a_list_holding_a_name_is_graded_and_a_misspelt_word_in_it_is_asked_again():
    check_readable(SEQUENCE, "[True, False, MulBackward0]")  # readable: graded (wrong), not "cannot be read"
    assert not accepts(SEQUENCE, "[True, False, MulBackward0]")
    with pytest.raises(AnswerError) as raised:
        check_readable(SEQUENCE, "[True, Flase, None]")
    assert raised.value.detail == {"answer": "[True, False, None]", "form_key": "word"}


def test_when_the_type_matters_a_list_is_not_a_tensor():
    labels = {"kind": "tensor", "shape": [2], "dtype": "torch.int64", "values": [1, 0]}
    assert accepts(labels, "[1, 0]") and not accepts(labels, "[1, 0]", exact_type=True)
    for written in ("tensor([1, 0])", "torch.tensor([1, 0])", "tensor([1., 0.])"):
        assert accepts(labels, written, exact_type=True), written
    assert not accepts(SEQUENCE, "tensor([1, 0, 0])", exact_type=True)
    assert accepts(labels, format_expected(labels), exact_type=True)


def test_units_object_reprs_and_made_tensors_are_read_only_where_they_are_unambiguous():
    assert readings("3 or 4") == [("text", "3 or 4")]  # two numbers: not a count with a unit
    assert readings("1e-3") == [("number", 0.001)] and readings("2 不会")[0][0] == "text"
    assert readings("torch.ones(100000)") == [("text", "torch.ones(100000)")]  # too large to build as a list
    assert not accepts({"kind": "object", "type": "DivBackward1"}, "<MulBackward0 object at 0x7f00>")
    assert accepts({"kind": "number", "value": 11181642, "integer": True}, "11,181,642 个参数")
