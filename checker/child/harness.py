"""The child process: run the student's script under probes and report over an inherited pipe.

The parent starts `python -I -m checker.child.harness` in the sandbox and writes a JSON spec to its stdin (so the
per-run nonce never sits in a file the script could read). Every report line starts with the nonce; anything
else the script prints goes to stdout/stderr, which the parent only shows, never believes.
"""
from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import inspect
import json
import os
import sys
import time
import traceback


class Reporter:
    """Writes framed JSON messages, each holding the run's nonce, to the report pipe (checker.child.wire)."""

    def __init__(self, fd: int, nonce: str):
        from checker.child.wire import report_frame

        self._fd, self._nonce, self._write, self._frame = fd, nonce, os.write, report_frame

    def send(self, kind: str, **fields) -> None:
        data = memoryview(self._frame({"nonce": self._nonce, "kind": kind, **fields}))
        try:
            while data:
                data = data[self._write(self._fd, data):]
        except OSError:
            pass  # the script closed our pipe; the parent will see no "done" and say so


def read_spec() -> dict:
    spec = json.loads(sys.stdin.buffer.read().decode())
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # the script gets an empty stdin, never the spec
    return spec


def trimmed_traceback(error: BaseException, student_file: str) -> tuple[str, int | None]:
    """The traceback's frames in the student's file only, and the last such line number."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == student_file]
    lines = [f'  File "{os.path.basename(f.filename)}", line {f.lineno}, in {f.name}\n    {f.line}' for f in frames]
    last = frames[-1].lineno if frames else None
    summary = "".join(traceback.format_exception_only(type(error), error)).strip()
    return "\n".join([*lines, summary])[-4000:], last


def load_student_module(path: str):
    loader = importlib.machinery.SourceFileLoader("student_script", path)  # whatever the file's name ends with
    spec = importlib.util.spec_from_loader("student_script", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["student_script"] = module
    spec.loader.exec_module(module)
    return module


def load_shaped_module(path: str, spec: dict, script_shape):
    """A script whose training is its own top-level code, compiled into functions the harness calls and wraps
    (checker.child.script_shape); nothing of it runs yet. Returns (the module, its entry points, the names each
    scope's loop binds)."""
    with open(path, "rb") as file:
        source = importlib.util.decode_source(file.read())
    shaped = script_shape.shape_script(source, path, {*spec["overrides"], "device", "data_root"})
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("student_script", loader=None))
    module.__file__ = path
    sys.modules["student_script"] = module
    exec(shaped.code, vars(module))  # noqa: S102 (the student's own script, in its sandbox, as `python script.py`)
    return module, {**spec["entry_points"], **shaped.names}, shaped.bound


def wrap_entry_points(module, names: dict, probes, bound: dict | None = None) -> None:
    """Replace train() and test() in the module's namespace so probes know which scope they are in. The probes
    keep each entry point's frame from its first model call; once it returns, that frame object still holds its
    final locals (as traceback frames do), so no tracing is needed while it runs. `bound`: for a top-level
    script's loops (checker.child.script_shape), the module-level names each binds, which are its locals."""

    def scoped(fn, scope):
        code = inspect.unwrap(fn).__code__

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            probes.enter(scope, code)
            result, finished = None, False
            try:
                result = fn(*args, **kwargs)
                finished = True
                return result
            finally:
                values = None
                if bound and scope in bound and finished:
                    values = {name: vars(module)[name] for name in bound[scope] if name in vars(module)}
                probes.leave(scope, result, finished, values)

        return wrapper

    for scope in ("train", "test"):
        name = names.get(scope)
        if name and callable(getattr(module, name, None)):
            setattr(module, name, scoped(getattr(module, name), scope))


def needs_runtime_probes(probes: list[str]) -> bool:
    from checker.child.probes import RUNTIME_PROBES

    return any(p in RUNTIME_PROBES for p in probes)


def missing_entry_points(module, names: dict) -> list[str]:
    return [name for key, name in names.items() if name and not hasattr(module, name)]


def run(spec: dict, reporter: Reporter) -> None:
    from checker.child import guard

    guard.install(spec["sandbox"], spec["forbidden"])
    started = time.perf_counter()
    import torch

    from checker.child import custom, posthoc, predict, script_shape
    from checker.child.curves import CurveRecorder
    from checker.child.patches import Patches
    from checker.child.probes import ProbeSet
    from checker.child.supplied_data import supply_mnist
    from checker.child.trained_model import TrainedModelWatch

    nn_module = torch.nn.Module  # taken before the script can replace it
    images = predict.load_images(spec["heldout_images"])  # before the script runs: no label comes with them
    runtime = needs_runtime_probes(spec["probes"])
    reporter.send("started", import_s=time.perf_counter() - started)
    student_file = spec["script"]
    probes = ProbeSet(student_file=student_file, enabled=frozenset(spec["probes"]),
                      max_train_batches=spec.get("max_train_batches"))
    names = spec["entry_points"]

    def crash(stage: str, error: BaseException) -> None:
        text, line = trimmed_traceback(error, student_file)
        reporter.send("findings", findings=[f.__dict__ for f in probes.findings.values()])
        reporter.send("crash", stage=stage, error=posthoc._one_line(error), traceback=text, line=line)

    forget_our_modules()  # from here on, nothing of ours is imported again: the script may have planted copies
    sys.argv = [student_file, *spec.get("argv", [])]  # as `python script.py ARGS` gives it (budget.argv)
    supplied = Patches()
    supply_mnist(spec["data_root"], supplied)  # MNIST wherever the script looks for it, never downloaded
    bound = None  # a top-level script's: the names each of its loops binds
    try:
        if names.get("shape") == "script":
            module, names, bound = load_shaped_module(student_file, spec, script_shape)
            spec = {**spec, "entry_points": names}
        else:
            module = load_student_module(student_file)
    except BaseException as error:  # SystemExit included: exiting before training is a result, not a pass
        return crash("import", error)
    # A top-level script defines its classes when it runs: only the functions made from it are there to check.
    missing = missing_entry_points(module, {key: names[key] for key in ("main", "train", "test") if key in names}
                                   if bound is not None else names)
    if missing:
        return reporter.send("missing_entry_points", names=missing)
    set_budget(spec, module, torch, script_shape.BUDGET if bound is not None else None)
    started_custom = start_custom_probes(spec, module, probes, custom)
    if runtime:  # with none asked for (the reference run), no hook at all
        wrap_entry_points(module, names, probes, bound)
        probes.install()
    quick = spec.get("max_train_batches") is not None  # the quick budget: the accuracy is not read (selftest)
    curves = CurveRecorder(None if quick else images, spec["device"])  # outermost: outside every scope
    curves.install(module, names.get("train"))
    trained = TrainedModelWatch(getattr(module, names["main"]), nn_module)
    trained.install()
    began = time.perf_counter()
    try:
        model = getattr(module, names["main"])()
        probes.after_main()
    except BaseException as error:
        return crash("main", error)
    finally:
        trained.remove()
        curves.remove()  # first: the patches come off in the reverse order they went on
        probes.remove()
        supplied.undo()
    train_s = time.perf_counter() - began
    if not isinstance(model, nn_module):  # main() returned no model: the one it trained, where there is one
        returned = type(model).__name__
        try:
            model = trained.model(module)
        except Exception as error:  # noqa: BLE001 (the script's own modules misbehaving: the run says so)
            return crash("main", error)
        if model is None:
            return reporter.send("no_model", returned=returned)
    reporter.send("predictions", **({"skipped": "the quick budget"} if quick else
                                    predictions(model, images, predict, posthoc._one_line)))
    findings = list(probes.findings.values())
    try:
        findings += run_posthoc(spec, module, model, posthoc)
        if started_custom is not None:
            loaded, context = started_custom
            context.model = model
            findings += custom.check_all(loaded, context, set(probes.findings))
    except BaseException as error:
        return crash("probe", error)
    reporter.send("findings", findings=[f.__dict__ for f in findings])
    reporter.send("done", train_s=train_s, model_calls=probes.model_calls, optimizer_steps=probes.optimizer_steps,
                  steps_outside_train=probes.steps_outside_train, train_calls=probes.train_calls,
                  eval_model_calls=probes.eval_model_calls, curves=curves.series())


OUR_PACKAGES = ("torchdrill", "checker", "reference", "quizzes", "buggy_examples")  # ours, installed or cloned


def forget_our_modules(packages: tuple[str, ...] = ("checker",)) -> None:
    """Drop our own modules from sys.modules before the script runs. The probes at work keep their classes and
    functions; a name the script resolves from a string ('checker.child.probes:ProbeSet', through pkgutil or
    importlib) imports a fresh copy, never one of the objects that judge it. (Such code goes to review anyway:
    checker/allowlist.toml.) The tracer forgets every package of ours: a user's own reference.py or checker.py
    beside their script is then the one it imports, as under `python train.py`."""
    for name in [n for n in sys.modules if n.split(".", 1)[0] in packages]:
        del sys.modules[name]


def predictions(model, images, predict, one_line) -> dict:
    """The trained model's digit for every held-out image (the parent scores them), or why it gave none."""
    try:
        return {"digits": predict.digits(model, images)}
    except Exception as error:  # noqa: BLE001 (a model that cannot classify the images has no accuracy: say why)
        return {"error": one_line(error)}


def set_budget(spec: dict, module, torch, budget_name: str | None = None) -> None:
    """The scenario's overrides, the device and the data root, set on the script's module-level names; for a
    top-level script, also as the dictionary `budget_name` its own assignments of them read (script_shape)."""
    if budget_name:
        setattr(module, budget_name, {**spec["overrides"], "device": torch.device(spec["device"]),
                                      "data_root": spec["data_root"]})
    for name, value in spec["overrides"].items():
        setattr(module, name, value)
    if hasattr(module, "device"):
        module.device = torch.device(spec["device"])
    if hasattr(module, "data_root"):
        module.data_root = spec["data_root"]  # the sandbox's read-only copy of the data asked for (subset or full)


def start_custom_probes(spec: dict, module, probes, custom):
    """Load the scenario's own probes and run their start(); their findings join the built-in probes'.
    Returns (probes, their context) for check_all() after training, or None when the scenario has none."""
    if not spec.get("custom_probes"):
        return None
    import torch

    loaded = []
    for probe_spec in spec["custom_probes"]:
        try:
            loaded += custom.load_probes([probe_spec])
        except Exception as error:  # noqa: BLE001 (a broken probe file is reported as that probe's finding)
            probes.findings[probe_spec["id"]] = custom.error_finding(probe_spec["id"], error)
    context = custom.context_for(spec, module, torch.device(spec["device"]))
    for finding in custom.start_all(loaded, context):
        probes.findings.setdefault(finding.probe, finding)
    return loaded, context


def run_posthoc(spec: dict, module, model, posthoc) -> list:
    import torch

    device = torch.device(spec["device"])
    findings = []
    if "batch_independent" in spec["probes"]:
        findings.append(posthoc.batch_independence(model, spec["data_root"], device))
    if "resume_equivalent" in spec["probes"]:
        folder = os.path.join(spec["sandbox"], "resume_probe")
        try:
            findings.append(posthoc.resume_equivalence(module, spec["entry_points"], spec["data_root"], folder, device))
        except Exception as error:  # the script's own save or resume code failing is the finding
            _, line = trimmed_traceback(error, spec["script"])
            findings.append(posthoc.Finding("resume_equivalent", "resume_code_failed", line, posthoc._one_line(error)))
    return [f for f in findings if f is not None]


def apply_limits(settings: list) -> None:
    """The run's resource limits, set by the child itself before any of the script runs (under bubblewrap the
    parent cannot reach the process to set them)."""
    import resource

    for which, value in settings:
        try:
            resource.setrlimit(which, (value, value))
        except (OSError, ValueError):
            pass  # a limit above what this process may set: the parent's own limit already holds it lower


def child_main(run_function) -> None:
    """The life of a fresh child (the harness's, the tracer's): its own session, the spec, the limits, the run."""
    if os.getpgrp() != os.getpid():
        os.setsid()  # its own session and group, as a warm worker's child has: signals stay inside the run
    os.environ.pop("PWD", None)  # set by bubblewrap's --chdir; the environment is the parent's choice alone
    spec = read_spec()
    apply_limits(spec.get("limits", []))
    reporter = Reporter(spec["report_fd"], spec["nonce"])
    try:
        run_function(spec, reporter)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(0)  # skip interpreter teardown: the script may have left threads or handlers behind


def main() -> None:
    child_main(run)


if __name__ == "__main__":
    main()
