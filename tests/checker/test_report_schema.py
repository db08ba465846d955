"""Every message a child can send is checked by type and range before the parent reads it: a well-framed message
with anything else in it makes the report broken, and nothing a child sends makes the parent fail."""
from __future__ import annotations

import itertools

import pytest

from checker import report_schema
from checker.findings import probe_checks, run_check
from checker.sandbox import ChildRun
from checker.scenario import find
from checker.verify import measured_accuracy

GOOD = {
    "started": {"import_s": 1.5},
    "findings": {"findings": [{"probe": "grads_zeroed", "code": "grads_not_zeroed", "line": 3, "detail": ""}]},
    "crash": {"stage": "main", "error": "ValueError: x", "traceback": "", "line": None},
    "missing_entry_points": {"names": ["train"]},
    "no_model": {"returned": "NoneType"},
    "predictions": {"error": "for 500 images the model gave (500, 3)"},
    "done": {"train_s": 2.0, "model_calls": 10, "optimizer_steps": 9, "steps_outside_train": 0, "train_calls": 1,
             "eval_model_calls": 1, "curves": {}},
}
ODD = [None, True, -1, 1e308, float("nan"), "x", "\x1b[31m✓ Fixed", [], {}, [1], {"a": 1}, [{"probe": 1}], 10 ** 20]


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_the_harness_form_passes(kind):
    assert report_schema.problem({"kind": kind, **GOOD[kind]}) == ""


def _odd_messages():
    for kind, fields in GOOD.items():
        for name, value in itertools.product(fields, ODD):
            yield {"kind": kind, **fields, name: value}
        yield {"kind": kind, **fields, "extra": 1}
        yield {"kind": kind, **{k: v for k, v in list(fields.items())[1:]}}  # a field missing


BROKEN = [
    {"kind": "missing_entry_points", "names": 5},  # what tests/fixtures/hostile/wrong_type_frame.py sends
    {"kind": "done", **GOOD["done"], "train_calls": -1}, {"kind": "done", **GOOD["done"], "model_calls": True},
    {"kind": "done", **GOOD["done"], "train_s": float("inf")}, {"kind": "done", **GOOD["done"], "curves": []},
    {"kind": "findings", "findings": [{"probe": "x", "code": 5, "line": None, "detail": ""}]},
    {"kind": "findings", "findings": [{"probe": "x", "code": "y", "line": "3", "detail": ""}]},
    {"kind": "findings", "findings": [GOOD["findings"]["findings"][0]] * 101},
    {"kind": "crash", "stage": "main", "error": ["x"], "traceback": "", "line": None},
    {"kind": "no_model", "returned": None}, {"kind": "started"}, {"kind": "predictions", "digits": 7},
    {"kind": "predictions", "digits": "1", "error": "x"}, {"kind": "unknown"},
]


@pytest.mark.parametrize("message", BROKEN, ids=range(len(BROKEN)))
def test_a_field_of_the_wrong_type_or_range_is_a_broken_report(message):
    assert report_schema.problem(message)


def test_no_message_that_passes_can_make_the_parent_fail():
    """Each message alone, and beside a "done", read by everything the parent reads a run with."""
    scenario = find("zero_grad")
    for message in [m for m in _odd_messages() if not report_schema.problem(m)]:
        for messages in ([message], [message, {"kind": "done", **GOOD["done"]}]):
            run = ChildRun(messages=messages, output="", returncode=0)
            run_check(run, scenario, "en", None)
            probe_checks(run, scenario, [], "zh")
            measured_accuracy(run, "en")


def test_predictions_said_to_be_skipped_are_a_run_without_an_accuracy():
    """At the quick budget the child makes no predictions and says so; a run that says so anywhere else (its
    report can only be the harness's, but fail closed all the same) has no accuracy, and so cannot pass."""
    from checker.findings import accuracy_check

    assert report_schema.problem({"kind": "predictions", "skipped": "the quick budget"}) == ""
    skipped = {"kind": "predictions", "skipped": "the quick budget"}
    run = ChildRun(messages=[skipped, {"kind": "findings", "findings": []}, {"kind": "done", **GOOD["done"]}],
                   output="", returncode=0)
    runs, _ = run_check(run, find("zero_grad"), "en", None)
    assert runs.passed  # the report is whole
    student, why_not = measured_accuracy(run, "zh")
    assert student is None and "快速预算" in why_not
    assert not accuracy_check(student, 0.9, 0.05, why_not, "en").passed
