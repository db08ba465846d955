"""Turning what the child reported, the lints and the measured accuracy into the verdict's checks."""
from __future__ import annotations

import json

from checker import evaluate
from checker.rules import LINT_FOR_PROBE
from checker.messages import text
from checker.untrusted import said
from checker.verdict import Check

# Probes that watch train() or test(): when the run never trained (or never evaluated), they saw nothing, and a
# script that skips the work must not collect their points.
TRAINING_PROBES = {"grads_zeroed", "params_owned", "train_mode", "grad_enabled_train", "train_graph_released",
                   "full_epochs", "train_split", "train_shuffled", "loss_on_logits", "scheduler_per_epoch"}
EVALUATION_PROBES = {"eval_mode", "no_grad_eval", "no_graph_kept"}


def run_check(run, scenario, lang: str, timeout_s: float | None) -> tuple[Check, str]:
    """Whether the script ran to the end, and the trimmed traceback when it did not. Everything the child says
    is the script's text (its exception, its class names): cleaned of control characters before it is shown."""
    crash = run.first("crash")
    tampered = run.tampered or ("the findings never arrived" if run.first("done") and not run.first("findings") else
                                "") or predictions_broken(run)
    if tampered:  # fail closed: a broken or forged report proves nothing, least of all "no findings"
        return Check("runs", False, text("run", "report_tampered", lang, detail=tampered)), ""
    limits = scenario.budget.limits(timeout_s)
    if run.over is not None:
        cap = run.over.cap
        return Check("runs", False, text("run", "processes" if run.over.what == "processes" else "run_memory", lang,
                                         detail=cap)), ""
    if run.timed_out:
        limit = int(timeout_s or scenario.budget.timeout_s)
        return Check("runs", False, text("run", "timeout", lang, detail=limit)), ""
    if run.output_flooded:
        return Check("runs", False, text("run", "output_flood", lang, detail=32)), ""
    if crash:
        error, line = said(crash.get("error", "")), _line(crash.get("line"))
        if crash.get("stage") == "import" and error.startswith("SystemExit"):
            return Check("runs", False, text("run", "exited_on_import", lang, detail=error), line), ""
        cap = at_cap(error, limits, lang)
        message = text("run", "crashed_at_cap", lang, detail=error, cap=cap) if cap else text(
            "run", "crashed", lang, detail=error)
        return Check("runs", False, message, line), said(crash.get("traceback", ""))
    missing = run.first("missing_entry_points")
    if missing:
        names = ", ".join(map(said, missing["names"]))
        return Check("runs", False, text("run", "missing_entry_points", lang, detail=names)), ""
    no_model = run.first("no_model")
    if no_model:
        return Check("runs", False, text("run", "no_model", lang, detail=said(no_model["returned"]))), ""
    if run.first("done") is None:
        return Check("runs", False, text("run", "exited_early", lang, detail=run.returncode)), ""
    return Check("runs", True, text("ok", "runs", lang)), ""


def predictions_broken(run) -> str:
    """Why the run's predictions for the held-out images break the harness's form, or '' (none are due before the
    run has a model; an "error" is the model's own failure, not a broken report)."""
    sent = run.first("predictions")
    if sent is None:
        return "the predictions never arrived" if run.first("done") else ""
    if (isinstance(sent.get("error"), str) or isinstance(sent.get("skipped"), str)) and "digits" not in sent:
        return ""
    return evaluate.problem(sent.get("digits"))


def at_cap(error: str, limits, lang: str) -> str:
    """What a crash says of a cap the kernel held (the run's processes, its disk), in words, or ''."""
    if "can't start new thread" in error or "[Errno 11] Resource temporarily unavailable" in error:
        return text("run", "processes_refused", lang, detail=limits.processes)
    if "[Errno 28]" in error or "No space left on device" in error:
        return text("run", "disk_full", lang, detail=limits.sandbox_mb)
    return ""


def probe_checks(run, scenario, hits, lang: str) -> list[Check]:
    """One check per probe the scenario names; a lint hit supplies the line when the probe has none."""
    reported = {}
    for message in run.messages:
        if message.get("kind") == "findings" and isinstance(message.get("findings"), list):
            for finding in message["findings"]:
                if isinstance(finding, dict) and isinstance(finding.get("probe"), str):
                    reported.setdefault(finding["probe"], {"code": "", **finding})
    lint_lines = {LINT_FOR_PROBE[h.rule]: h.line for h in reversed(hits) if h.rule in LINT_FOR_PROBE}
    done = run.first("done")
    finished = done is not None
    unjudged = _unjudged_training(done, scenario, lang) if finished else ""
    checks = []
    for probe in scenario.probes:
        finding = reported.get(probe)
        custom = scenario.custom_probe(probe)
        if finding:
            # A lint's line names the cause (where the optimizer was built); the probe's, where it showed.
            line = lint_lines.get(probe) or _line(finding.get("line")) or _related_lint_line(probe, lint_lines)
            detail = said(finding.get("detail", ""))
            if custom is not None and finding["code"] == "custom":
                message = _filled(custom.fail.get(lang), _in_language(detail, lang))
            else:
                message = text("fail", said(finding["code"]), lang, detail=detail)
            why = custom.why.get(lang) if custom is not None else text("why", probe, lang)
            checks.append(Check(probe, False, message, line, why))
        elif finished and _unobserved(probe, done):
            checks.append(Check(probe, False, text("fail", _unobserved(probe, done), lang), None, text("why", probe, lang)))
        elif finished and unjudged and probe in TRAINING_PROBES:
            checks.append(Check(probe, False, unjudged, None, text("why", "training_watched", lang)))
        elif finished:
            checks.append(Check(probe, True, custom.ok.get(lang) if custom is not None else text("ok", probe, lang)))
        # A probe the run never reached is left out: the failed "runs" check already says why.
    return checks


def _unjudged_training(done: dict, scenario, lang: str) -> str:
    """Why the training probes' silence proves nothing, or "": positive evidence, checked against the budget, that
    every optimizer step was watched and that train() ran once per epoch of the budget."""
    outside = _count(done.get("steps_outside_train"))
    if outside:
        return text("fail", "steps_outside_train", lang, detail=outside)
    epochs, calls = scenario.budget.epochs(), _count(done.get("train_calls"))
    if _count(done.get("optimizer_steps")) and calls < epochs:
        return text("fail", "too_few_epochs", lang, detail=f"{calls}/{epochs}")
    return ""


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _line(value) -> int | None:
    """A line number the child reported, or None when it is not one."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _unobserved(probe: str, done: dict) -> str:
    """The message key when the probe had nothing to watch: no optimizer step in train(), no model call in test()."""
    if probe in TRAINING_PROBES and not done.get("optimizer_steps"):
        return "not_observed_training"
    if probe in EVALUATION_PROBES and not done.get("eval_model_calls"):
        return "not_observed_evaluation"
    return ""


def _in_language(detail: str, lang: str) -> str:
    """A custom probe's detail: its `lang` text where the probe gave one in en and zh (checker.child.custom)."""
    if detail.startswith('{"en"'):
        try:
            worded = json.loads(detail)
        except ValueError:
            return detail
        if isinstance(worded, dict) and isinstance(worded.get(lang, worded.get("en")), str):
            return worded.get(lang, worded["en"])
    return detail


def _filled(template: str, detail: str) -> str:
    try:
        return template.format(detail=detail)
    except (KeyError, IndexError, ValueError):
        return f"{template} ({detail})"


def _related_lint_line(probe: str, lint_lines: dict) -> int | None:
    # The wrong-network lint also explains a resume that does not continue exactly.
    return lint_lines.get("params_owned") if probe == "resume_equivalent" else None


def accuracy_check(student, reference, tolerance, why_not, lang) -> Check:
    if student is None:
        return Check("accuracy", False, text("fail", "accuracy_unavailable", lang, detail=said(why_not)))
    values = dict(student=f"{100 * student:.2f}%", reference=f"{100 * reference:.2f}%",
                  tolerance=f"{100 * tolerance:.1f} {'个百分点' if lang == 'zh' else 'points'}",
                  images=f"{len(evaluate.labels()):,}")
    if student + tolerance >= reference:
        return Check("accuracy", True, text("ok", "accuracy", lang, **values))
    return Check("accuracy", False, text("fail", "accuracy", lang, **values))


def tamper_check(hits, lang: str) -> Check:
    """One failing check for the tamper lint's hits (checker.tamper): the first one's line and message."""
    first = hits[0]
    more = f" (+{len(hits) - 1})" if len(hits) > 1 else ""
    message = f"{text('tamper', 'needs_review', lang)} {text('tamper', first.code, lang, detail=first.detail)}{more}"
    return Check("tamper", False, message, first.line, text("tamper", "why", lang))
