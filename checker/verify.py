"""`checker verify`: run a submission in the sandbox, compute the evidence in the parent, return a Verdict."""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from checker import curves, evaluate, rules, sandbox, tamper
from checker.messages import text
from checker.scenario import Scenario
from checker.submission import read_submission, scenario_for
from checker.untrusted import clean
from checker.verdict import Accuracy, InputError, Verdict
from reference import data as mnist

Status = Callable[[str], None]


class ReferenceFailed(InputError):
    """The scenario's own solution did not run, so there is nothing to compare against (exit code 2)."""


def verify(path: Path, scenario_id: str | None = None, lang: str = "en", device: str = "cpu",
           data_kind: str = "subset", data_root: str | None = None, timeout_s: float | None = None,
           on_status: Status | None = None, launcher=None, max_train_batches: int | None = None,
           probes: list[str] | None = None) -> Verdict:
    """Verify one submission. InputError for problems with the input; anything the script does is a verdict.
    `launcher` starts the sandboxed children: fresh processes by default, or a warm worker (checker.workers).
    `max_train_batches` (the selftest's quick budget) stops each training pass after that many batches: the
    probes' findings stand, the accuracy then means nothing (checker.selftest never reads it). `probes`: the run
    watches these, a superset of the scenario's (checker.selftest: one run for several scenarios); only the
    scenario's own are judged."""
    started = time.perf_counter()
    submission = read_submission(Path(path), lang)
    scenario = scenario_for(submission.path, scenario_id, lang)
    device = resolve_device(device)
    status = on_status or (lambda message: None)
    from checker import reference_cache

    own_runs: list = []  # the submission's run, when it was made as the reference run

    def run_submission():
        return run_script(scenario, submission.path.name, submission.source, list(probes or scenario.probes),
                          device, data_kind, data_root, timeout_s, launcher=launcher,
                          max_train_batches=max_train_batches)

    def compute_reference() -> tuple:
        status(text("ui", "reference_running", lang))
        if max_train_batches is None and submission.source == scenario.solution_path.read_bytes():
            own_runs.append(run_submission())  # the solution itself: its run is the reference run (see below)
            accuracy, curves_dict = result_of_solution_run(own_runs[0])
            if accuracy is not None:
                return accuracy, curves_dict
        return solution_result(scenario, device, data_kind, data_root, timeout_s, launcher)

    reference, reference_curves = reference_cache.reference_result(scenario, data_kind, device, compute_reference)
    status(text("ui", "running", lang))
    run = own_runs[0] if own_runs else run_submission()
    hits = rules.run(submission.tree, scenario.lints)
    verdict = assemble(scenario, submission.path, run, hits, reference, lang, data_kind, data_root,
                       time.perf_counter() - started, timeout_s,
                       tamper.tamper_hits(submission.tree, scenario.allowed_imports))
    return with_curves(verdict, run, reference_curves)


def solution_result(scenario: Scenario, device: str, data_kind: str, data_root: str | None,
                    timeout_s: float | None, launcher=None) -> tuple[float, dict | None]:
    """The scenario's solution, run exactly like a submission (without probes), evaluated by the parent: its
    accuracy, and its training curves (for the pictures)."""
    run = run_script(scenario, scenario.solution_path.name, scenario.solution_path.read_bytes(), [], device,
                     data_kind, data_root, timeout_s, launcher=launcher)
    accuracy, reference_curves = result_of_solution_run(run)
    if accuracy is None:  # never cache a failure as a figure
        why_not = measured_accuracy(run)[1] or run.tampered
        raise ReferenceFailed(f"the reference solution of {scenario.id!r} did not run: {why_not}\n{run.output[-2000:]}")
    return accuracy, reference_curves


def result_of_solution_run(run) -> tuple[float | None, dict | None]:
    """(accuracy, training curves as a dict) of a run of the solution, or (None, None) when it gave no accuracy.

    A submission that is the solution byte for byte is run once, with the scenario's probes, and that run is the
    reference run too (`checker selftest` verifies every solution so). The probes only watch: they change no
    number the training computes and draw no random number, so the run trains the very model a run without them
    trains (tests/checker/test_quick_budget.py runs both ways and compares)."""
    accuracy, _ = measured_accuracy(run)
    if accuracy is None or run.tampered:
        return None, None
    found = curves.from_report((run.first("done") or {}).get("curves"))
    return accuracy, found.to_dict() if found else None


def with_curves(verdict: Verdict, run, reference_curves: dict | None) -> Verdict:
    """The verdict with the student's and the reference's training curves, and the bug signature the student's
    curve shows, if any. A run that tampered with its report keeps no curves."""
    done = {} if run.tampered else (run.first("done") or {})
    student = curves.from_report(done.get("curves"))
    reference = curves.from_dict(reference_curves)
    if student is None and reference is None:
        return verdict
    found = curves.signature(student, reference)
    signature = text("curve", found[0], verdict.lang, **found[1]) if found else ""
    return replace(verdict, curves={"student": student.to_dict() if student else None,
                                    "reference": reference.to_dict() if reference else None,
                                    "signature": signature})


def resolve_device(device: str) -> str:
    if device not in ("cpu", "cuda", "auto"):
        raise InputError.keyed("unknown_device", device=repr(device))
    if device == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        raise InputError.keyed("no_cuda")
    return "cpu"


def run_script(scenario: Scenario, name: str, source: bytes, probes: list[str], device: str, data_kind: str,
               data_root: str | None, timeout_s: float | None, launcher=None,
               max_train_batches: int | None = None) -> sandbox.ChildRun:
    """Run one script of this scenario in a fresh sandbox, with its data and the held-out images (no labels)."""
    root = mnist.mnist_root(data_kind, data_root)
    # The child's TORCHDRILL_HOME is sandbox/home, so its own mnist_root() finds the subset where it expects it.
    relative_root = "data/mnist" if data_kind == "full" else f"home/mnist/{root.name}"
    files = {f"{relative_root}/MNIST/raw/{n}": root / "MNIST" / "raw" / n for n in mnist.RAW_FILES}
    heldout = f"eval/{evaluate.IMAGES}"
    request = sandbox.RunRequest(
        script_name=name, script_source=source, probes=probes, entry_points=scenario.entry_points,
        overrides=dict(scenario.budget.overrides), device=device,
        data_files={**files, heldout: evaluate.images_file()}, data_root_relative=relative_root,
        heldout_relative=heldout, forbidden=[str(p) for p in forbidden_folders(scenario)],
        limits=scenario.budget.limits(timeout_s),
        custom_probes=[{"id": c.id, "name": c.path.name, "source": c.path.read_text(encoding="utf-8")}
                       for c in scenario.custom_probes if c.id in probes],
        max_train_batches=max_train_batches, argv=list(scenario.budget.argv),
    )
    return sandbox.run_in_sandbox(request, launcher=launcher)


def forbidden_folders(scenario: Scenario) -> list[Path]:
    from checker.reference_cache import cache_path
    from checker import run_store
    from checker.scenario import scenario_dirs, solutions_dir

    stored_runs = run_store.folder()
    return [solutions_dir(), scenario.metadata_path.parent, scenario.solution_path.parent, *scenario_dirs(),
            mnist.torchdrill_home(), mnist.heldout_dir(), cache_path(), *([stored_runs] if stored_runs else [])]


def measured_accuracy(run, lang: str = "en") -> tuple[float | None, str | None]:
    """(accuracy, None) from the predictions the child sent for the held-out images, or (None, why not)."""
    if run.first("done") is None:
        return None, text("fail", "not_checked", lang)
    sent = run.first("predictions") or {}
    if isinstance(sent.get("skipped"), str):  # the quick budget: none made
        return None, text("fail", "not_at_quick_budget", lang)
    if isinstance(sent.get("error"), str):
        return None, text("fail", "model_failed_on_heldout", lang, detail=clean(sent["error"])[:300])
    if evaluate.problem(sent.get("digits")):
        return None, text("fail", "no_predictions", lang)
    return evaluate.score(sent["digits"]), None


def assemble(scenario: Scenario, path: Path, run, hits, reference: float, lang: str, data_kind: str,
             data_root: str | None, duration: float, timeout_s: float | None, tampering=()) -> Verdict:
    """The verdict. Code that reaches into the checker's process (`tampering`, from checker.tamper) makes it
    "needs_review" whatever the run showed: nothing such a run reports can be trusted without a person."""
    from checker.findings import accuracy_check, probe_checks, run_check, tamper_check

    runs, traceback = run_check(run, scenario, lang, timeout_s)
    student, why_not = measured_accuracy(run, lang)
    checks = [runs, *probe_checks(run, scenario, hits, lang),
              accuracy_check(student, reference, scenario.budget.tolerance, why_not, lang)]
    if tampering:
        checks.insert(0, tamper_check(tampering, lang))
    passed = all(c.passed for c in checks)
    status = ("fixed" if passed else "needs_review" if tampering else "timeout" if run.timed_out
              else "crashed" if not runs.passed else "not_fixed")
    return Verdict(scenario=scenario.id, file=str(path), passed=passed, status=status, checks=tuple(checks),
                   accuracy=Accuracy(student, reference, scenario.budget.tolerance), duration_s=duration, lang=lang,
                   traceback=traceback, output=clean(run.output), isolation=run.isolation)
