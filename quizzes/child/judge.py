"""Grading an answers file runs an answer and judges it in two processes. In the answer's fork, run_values() runs
the program on the visible setup and on each hidden trial and returns only the values, as data
(quizzes.child.values): that fork never holds the expected values. In a fresh fork of the worker, where no answer
ever ran, judge() rebuilds each trial's names from the same seed, computes the expected value and compares, so
nothing the answer did to its own process (a patched comparator, report or torch) reaches the verdict."""
from __future__ import annotations

from quizzes.child.compare import compare
from quizzes.child.describe import clip, safe_repr
from quizzes.child.execute import all_equal, describe_inputs, namespace_for, one_line, program_value
from quizzes.child.values import Budget, decode, encode


def run_values(job: dict) -> dict:
    """In the answer's fork: the program's value on each trial, the visible setup first, until one has none
    (`stopped`: why, as a check's reason and detail)."""
    budget, values = Budget(), []
    for seed in [None, *job.get("trials", [])]:
        namespace, failure = namespace_for(job, seed)
        if failure:
            return failure
        value, failure = program_value(job, namespace)
        if failure:
            return {"phase": "done", "values": values, "stopped": list(failure)}
        values.append(encode(value, budget))
    return {"phase": "done", "values": values, "stopped": None}


def judge(job: dict) -> dict:
    """In a clean fork: each trial's expected value against the answer's; the first failure decides, reported
    with the trial and its inputs as drawn. With `random` set, values that never change are not random."""
    check, values = job["check"], job["values"]
    kept = []
    for index, seed in enumerate([None, *job.get("trials", [])]):
        namespace, failure = namespace_for(job, seed)
        if failure:
            return failure
        inputs = describe_inputs(namespace)
        try:
            expected = eval(compile(check["expected"], "<expected>", "eval"), namespace)
        except BaseException as error:  # the bank's expression: its failure is the bank's
            return {"phase": "expected", "error": one_line(error, "<expected>")}
        value = decode(values[index]) if index < len(values) else None
        if index < len(values):
            report = _compared(check, value, expected, namespace)
        else:
            report = {"phase": "done", "passed": False, **_stopped(job.get("stopped"), check["target"])}
        if not report["passed"]:
            return {**report, "trial": index, "inputs": inputs} if index else report
        kept.append(value)
    shown = safe_repr(kept[0])
    if check.get("random") and len(kept) > 1 and all_equal(kept):
        return {"phase": "done", "passed": False, "reason": "not_random", "detail": {}, "trial": len(kept) - 1,
                "shown": shown}
    return {"phase": "done", "passed": True, "reason": "", "detail": {}, "shown": shown}


def _compared(check: dict, value, expected, namespace: dict) -> dict:
    try:
        failure = compare(check, value, expected, namespace)
    except Exception as error:  # not expected of rebuilt values, but a judge must answer
        failure = ("error", {"error": one_line(error, "")})
    reason, detail = failure if failure else ("", {})
    return {"phase": "done", "passed": failure is None, "reason": reason, "detail": detail,
            "shown": safe_repr(value)}


def _stopped(stopped, target: str) -> dict:
    """Why the answer gave no value for a trial, as it said; rebuilt here, so that nothing but text comes of it."""
    if isinstance(stopped, list) and stopped[:1] == ["undefined"]:
        return {"reason": "undefined", "detail": {"name": target}}
    if isinstance(stopped, list) and len(stopped) == 2 and stopped[0] == "error" and isinstance(stopped[1], dict):
        return {"reason": "error", "detail": {"error": clip(str(stopped[1].get("error", "")), 600)}}
    return {"reason": "crashed", "detail": {"exit": "no value came back for this trial"}}
