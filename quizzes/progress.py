"""Saved progress: for each bank, which questions were answered correctly, and the last score."""
from __future__ import annotations

import json
import time
from pathlib import Path

from reference.paths import state_dir

from quizzes.model import Bank, Outcome, RunResult


def progress_path() -> Path:
    return state_dir() / "quiz" / "progress.json"


def load() -> dict:
    try:
        data = json.loads(progress_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(data: dict) -> None:
    path = progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{time.monotonic_ns()}.partial")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)  # atomic: a quiz stopped halfway never leaves half a file


def _bank_entry(data: dict, bank_id: str) -> dict:
    return data.setdefault("banks", {}).setdefault(bank_id, {"questions": {}})


def record(bank_id: str, outcome: Outcome) -> None:
    """Remember one answer; a question once answered correctly stays solved."""
    data = load()
    questions = _bank_entry(data, bank_id).setdefault("questions", {})
    entry = questions.setdefault(outcome.question_id, {"solved": False})
    entry["solved"] = entry.get("solved", False) or outcome.correct
    entry["last"] = outcome.status
    entry["at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    _save(data)


def record_run(result: RunResult, finished: bool, carried: int | None = 0) -> None:
    """Remember a run's score. A run that answered nothing is not recorded, and the best run over the whole bank
    is kept beside the last: stopping early never overwrites a better score. `carried` is how many questions the
    run skipped because they were solved before (a resumed run): when the run finishes, those count toward its
    pass through the bank. None: the run was not a pass through the bank (a review)."""
    answered = [o for o in result.outcomes if o.status != "unasked"]
    if not any(o.status != "skipped" for o in answered):
        return
    data = load()
    entry = _bank_entry(data, result.bank)
    run = {"score": result.score, "asked": len(answered), "max_score": len(result.outcomes), "finished": finished,
           "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    entry["last_run"] = run
    best = entry.get("best_run")
    if carried is not None and (finished or not carried):
        whole = {**run, "score": run["score"] + carried, "max_score": run["max_score"] + carried,
                 "resumed": bool(carried)}
        if not isinstance(best, dict) or whole["score"] > best.get("score", -1):
            entry["best_run"] = whole
    _save(data)


def solved_ids(bank: Bank) -> set[str]:
    questions = load().get("banks", {}).get(bank.id, {}).get("questions", {})
    return {q.id for q in bank.questions if questions.get(q.id, {}).get("solved")}


def missed_ids(bank: Bank) -> set[str]:
    """Questions answered (or skipped) at least once and never answered correctly."""
    questions = load().get("banks", {}).get(bank.id, {}).get("questions", {})
    return {q.id for q in bank.questions if q.id in questions and not questions[q.id].get("solved")}


def summary(bank: Bank) -> dict:
    """How many of the bank's current questions are solved, and how many were answered at all."""
    entry = load().get("banks", {}).get(bank.id, {})
    questions = entry.get("questions", {})
    ids = {q.id for q in bank.questions}
    return {"solved": sum(1 for k, v in questions.items() if k in ids and v.get("solved")),
            "answered": sum(1 for k in questions if k in ids), "total": len(bank.questions),
            "last_run": entry.get("last_run"), "best_run": entry.get("best_run")}
