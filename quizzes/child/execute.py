"""Run one job inside the fork: build the namespace from the setup, then predict, check or just run the program.
Setup and expected values come from the bank and are trusted; the program may be the student's. Grading an
answers file splits a value check in two, the answer's values and their judgement (quizzes.child.judge)."""
from __future__ import annotations

import ast
import builtins
import random
import sys
import traceback
import types

from quizzes.child.compare import compare
from quizzes.child.describe import clip, describe, describe_error, safe_repr

UNSET = object()


def run_job(job: dict) -> dict:
    """The report of one job: how far it got (phase) and what the check, the prediction or the run found."""
    if job["mode"] == "check":
        return _check_every_trial(job) if job.get("every_trial") else _check_trials(job)
    if job["mode"] in ("values", "judge"):  # grading: the answer's values, then a clean process judges them
        from quizzes.child import judge

        return judge.run_values(job) if job["mode"] == "values" else judge.judge(job)
    namespace, failure = namespace_for(job)
    if failure:
        return failure
    if job["mode"] == "predict":
        return _predict(job["program"], namespace)
    failure = run_source(job["program"], job["program_name"], namespace)
    return {"phase": "done", "passed": failure is None, "reason": "error" if failure else "",
            "detail": {"error": failure} if failure else {}}


def namespace_for(job: dict, seed: int | None = None) -> tuple[dict, dict | None]:
    """The names the program runs with: the bank's and the question's setup, then the question's `example` (the
    visible trial) or, for a hidden trial, its `inputs` with torch and `rng` seeded by the trial's seed. A failure
    here is the bank's. The names live in a module registered as __quiz__, so that what a program defines can be
    pickled (torch.save of a model) as it can in a script."""
    lang = job.get("lang", "en")
    module = types.ModuleType("__quiz__")
    sys.modules["__quiz__"] = module
    namespace = module.__dict__
    namespace.update({"__builtins__": builtins, **job.get("globals", {}),
                      "say": lambda en, zh: zh if lang == "zh" else en})  # bank helpers word their asserts in both
    for name, source in job["setup"]:
        failure = run_source(source, name, namespace)
        if failure:
            return namespace, {"phase": "setup", "error": f"{name}: {failure}"}
    if seed is None and job.get("example", "").strip():
        failure = run_source(job["example"], "<example>", namespace)
        if failure:
            return namespace, {"phase": "setup", "error": f"<example>: {failure}"}
    if seed is not None:
        sys.modules["torch"].manual_seed(seed)
        namespace["rng"] = random.Random(seed)
        before = set(namespace)
        failure = run_source(job.get("inputs", ""), "<hidden inputs>", namespace)
        if failure:
            return namespace, {"phase": "setup", "error": f"<hidden inputs>: {failure}"}
        namespace["__hidden__"] = sorted(set(namespace) - before | _rebound(job.get("inputs", "")))
    return namespace, None


def _rebound(source: str) -> set:
    """The names an `inputs` snippet assigns (it usually rebinds the setup's own names)."""
    names = set()
    for node in ast.walk(ast.parse(source or "pass")):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _check_trials(job: dict) -> dict:
    """Check the program on the question's visible setup, then on each hidden trial; the first failure decides.
    With `random` set, the values of all trials must not all be equal: a fixed value is not random."""
    seeds = [None] + list(job.get("trials", []))
    values, shown = [], None
    for index, seed in enumerate(seeds):
        namespace, failure = namespace_for(job, seed)
        if failure:
            return failure
        inputs = describe_inputs(namespace)  # as drawn, before the program can change them
        report = _check(job, namespace)
        if report["phase"] != "done" or not report["passed"]:
            if index and report["phase"] == "done":
                report["trial"] = index
                report["inputs"] = inputs
            return report
        values.append(report.pop("_value", None))
        shown = shown or report  # the student sees the value from the visible setup
    if job["check"].get("random") and len(values) > 1 and all_equal(values):
        return {"phase": "done", "passed": False, "reason": "not_random", "detail": {}, "trial": len(values) - 1,
                "shown": shown.get("shown", "")}
    return shown


def _check_every_trial(job: dict) -> dict:
    """`quiz validate`'s proof: the program checked on the visible setup, then on every hidden trial (all of them,
    whatever each finds), each trial's verdict reported. An answer that fails on the visible setup fails in every
    grading whatever is drawn, so its hidden trials are not run. `not_random`: a `random` check saw one value."""
    trials, values = [], []
    for index, seed in enumerate([None] + list(job.get("trials", []))):
        namespace, failure = namespace_for(job, seed)
        if failure:
            return failure
        inputs = describe_inputs(namespace)
        report = _check(job, namespace)
        if report["phase"] != "done":
            return report
        if report["passed"]:
            values.append(report.pop("_value", None))
        trials.append({"passed": report["passed"], "reason": report["reason"], "detail": report["detail"],
                       "inputs": inputs})
        if not index and not report["passed"]:
            break
    not_random = bool(job["check"].get("random")) and len(values) > 1 and all_equal(values)
    return {"phase": "done", "passed": all(t["passed"] for t in trials) and not not_random, "reason": "",
            "detail": {}, "trials": trials, "not_random": not_random}


def describe_inputs(namespace: dict) -> str:
    """The hidden inputs of a failed trial, as a student can read them: a tensor by its shape and dtype."""
    torch = sys.modules["torch"]
    parts = []
    for name in namespace.get("__hidden__", []):
        if name.startswith("_") or name == "rng" or name not in namespace:
            continue
        value = namespace[name]
        if isinstance(value, torch.Tensor):
            parts.append(f"{name}: shape {tuple(value.shape)}, {value.dtype}")
        elif isinstance(value, float):
            parts.append(f"{name} = {value:.6g}")  # 0.0003, not 0.00030000000000000003
        elif isinstance(value, (int, bool, str)):
            parts.append(f"{name} = {safe_repr(value, 60)}")
        elif isinstance(value, sys.modules["torch.nn"].Module):
            parts.append(f"{name}: {_describe_module(value)}")
        else:
            parts.append(f"{name}: {type(value).__name__}")
    return "; ".join(parts)


def _describe_module(module) -> str:
    """A network as a student can read it in a hidden trial's description: its layers by name, and its last one
    (the head) in full; a single layer as its repr."""
    children = list(module.named_children())
    if not children:
        return safe_repr(module, 80)
    layers = ", ".join(name for name, _ in children[:8]) + (", ..." if len(children) > 8 else "")
    last_name, last = children[-1]
    shown = f"{type(module).__name__}({layers})"
    return shown if list(last.children()) else f"{shown}, {last_name} = {safe_repr(last, 80)}"


def all_equal(values: list) -> bool:
    torch = sys.modules["torch"]
    first = values[0]
    for value in values[1:]:
        try:
            if isinstance(first, torch.Tensor) and isinstance(value, torch.Tensor):
                if first.shape != value.shape or not torch.equal(first.cpu(), value.cpu()):
                    return False
            elif not bool(first == value):
                return False
        except Exception:
            return False
    return True


def run_source(source: str, filename: str, namespace: dict) -> str | None:
    """Exec `source`; None if it ran, else the error as one line naming the line number."""
    try:
        exec(compile(source, filename, "exec"), namespace)
    except SyntaxError as error:
        return f"SyntaxError: {error.msg} (line {error.lineno})"
    except BaseException as error:  # SystemExit and KeyboardInterrupt from the code too: it is the code's fault
        return one_line(error, filename)
    return None


def one_line(error: BaseException, filename: str) -> str:
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == filename]
    where = f" (line {lines[-1]})" if lines else ""
    return f"{type(error).__name__}: {clip(str(error), 400)}{where}"


def _predict(snippet: str, namespace: dict) -> dict:
    tree = ast.parse(snippet)
    last = ast.Expression(tree.body.pop().value)
    try:
        exec(compile(tree, "<snippet>", "exec"), namespace)
        value = eval(compile(last, "<snippet>", "eval"), namespace)
    except BaseException as error:
        return {"phase": "done", "value": describe_error(error), "shown": one_line(error, "<snippet>")}
    return {"phase": "done", "value": describe(value), "shown": safe_repr(value)}


def _check(job: dict, namespace: dict) -> dict:
    check = job["check"]
    expected = None
    if check.get("expected"):
        try:
            expected = eval(compile(check["expected"], "<expected>", "eval"), namespace)
        except BaseException as error:
            return {"phase": "expected", "error": one_line(error, "<expected>")}
    snapshot = dict(namespace)  # predicates see the setup's names, not what the student's code rebound
    value, failure = program_value(job, namespace)
    if failure:
        return {"phase": "done", "passed": False, "reason": failure[0], "detail": failure[1]}
    try:
        failure = compare(check, value, expected, snapshot)  # the boundary: the program has run, now judge it
    except BaseException as error:  # the student's value misbehaved under comparison (a property that raises...)
        failure = ("error", {"error": one_line(error, "")})
    reason, detail = failure if failure else ("", {})
    report = {"phase": "done", "passed": failure is None, "reason": reason, "detail": detail,
              "shown": safe_repr(value)}
    if failure is None and job["check"].get("random"):
        report["_value"] = _kept(value)
    return report


def _kept(value):
    """A copy of a checked value, to compare across trials (a tensor the next trial cannot change)."""
    torch = sys.modules["torch"]
    return value.detach().clone() if isinstance(value, torch.Tensor) else value


def program_value(job: dict, namespace: dict):
    """Run the program and return (the value to check, None), or (UNSET, (reason, detail)) when there is none."""
    value, failure = run_program(job, namespace)
    if failure:
        return UNSET, ("error", {"error": failure})
    if value is UNSET:
        target = job["check"]["target"]
        try:
            value = eval(compile(target, "<target>", "eval"), namespace)
        except NameError:
            return UNSET, ("undefined", {"name": target})
        except BaseException as error:
            return UNSET, ("error", {"error": one_line(error, "")})
    return value, None


def run_program(job: dict, namespace: dict):
    """Run the program; a lone expression (when the target is a name) is the value and is bound to that name."""
    source, name = job["program"], job["program_name"]
    if job.get("expression_target") and job["check"]["target"].isidentifier():
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            return UNSET, f"SyntaxError: {error.msg} (line {error.lineno})"
        if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
            try:
                value = eval(compile(ast.Expression(tree.body[0].value), name, "eval"), namespace)
            except BaseException as error:
                return UNSET, one_line(error, name)
            namespace[job["check"]["target"]] = value
            return value, None
    return UNSET, run_source(source, name, namespace)
