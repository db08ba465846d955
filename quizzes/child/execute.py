"""Run one job inside the fork: build the namespace from the setup, then predict, check or just run the program.
Setup and expected values come from the bank and are trusted; the program may be the student's."""
from __future__ import annotations

import ast
import builtins
import traceback

from quizzes.child.compare import compare
from quizzes.child.describe import clip, describe, describe_error, safe_repr

_UNSET = object()


def run_job(job: dict) -> dict:
    """The report of one job: how far it got (phase) and what the check, the prediction or the run found."""
    lang = job.get("lang", "en")
    namespace = {"__name__": "__quiz__", "__builtins__": builtins, **job.get("globals", {}),
                 "say": lambda en, zh: zh if lang == "zh" else en}  # bank helpers word their asserts in both
    for name, source in job["setup"]:
        failure = run_source(source, name, namespace)
        if failure:
            return {"phase": "setup", "error": f"{name}: {failure}"}
    if job["mode"] == "predict":
        return _predict(job["program"], namespace)
    if job["mode"] == "run":
        failure = run_source(job["program"], job["program_name"], namespace)
        return {"phase": "done", "passed": failure is None, "reason": "error" if failure else "",
                "detail": {"error": failure} if failure else {}}
    return _check(job, namespace)


def run_source(source: str, filename: str, namespace: dict) -> str | None:
    """Exec `source`; None if it ran, else the error as one line naming the line number."""
    try:
        exec(compile(source, filename, "exec"), namespace)
    except SyntaxError as error:
        return f"SyntaxError: {error.msg} (line {error.lineno})"
    except BaseException as error:  # SystemExit and KeyboardInterrupt from the code too: it is the code's fault
        return _one_line(error, filename)
    return None


def _one_line(error: BaseException, filename: str) -> str:
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
        return {"phase": "done", "value": describe_error(error), "shown": _one_line(error, "<snippet>")}
    return {"phase": "done", "value": describe(value), "shown": safe_repr(value)}


def _check(job: dict, namespace: dict) -> dict:
    check = job["check"]
    expected = None
    if check.get("expected"):
        try:
            expected = eval(compile(check["expected"], "<expected>", "eval"), namespace)
        except BaseException as error:
            return {"phase": "expected", "error": _one_line(error, "<expected>")}
    snapshot = dict(namespace)  # predicates see the setup's names, not what the student's code rebound
    value, failure = _run_program(job, namespace)
    if failure:
        return {"phase": "done", "passed": False, "reason": "error", "detail": {"error": failure}}
    if value is _UNSET:
        try:
            value = eval(compile(check["target"], "<target>", "eval"), namespace)
        except NameError:
            return {"phase": "done", "passed": False, "reason": "undefined", "detail": {"name": check["target"]}}
        except BaseException as error:
            return {"phase": "done", "passed": False, "reason": "error", "detail": {"error": _one_line(error, "")}}
    try:
        failure = compare(check, value, expected, snapshot)
    except BaseException as error:  # the student's value misbehaved under comparison (a property that raises...)
        failure = ("error", {"error": _one_line(error, "")})
    reason, detail = failure if failure else ("", {})
    return {"phase": "done", "passed": failure is None, "reason": reason, "detail": detail, "shown": safe_repr(value)}


def _run_program(job: dict, namespace: dict):
    """Run the program; a lone expression (when the target is a name) is the value and is bound to that name."""
    source, name = job["program"], job["program_name"]
    if job.get("expression_target") and job["check"]["target"].isidentifier():
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            return _UNSET, f"SyntaxError: {error.msg} (line {error.lineno})"
        if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
            try:
                value = eval(compile(ast.Expression(tree.body[0].value), name, "eval"), namespace)
            except BaseException as error:
                return _UNSET, _one_line(error, name)
            namespace[job["check"]["target"]] = value
            return value, None
    return _UNSET, run_source(source, name, namespace)
