"""Grading an answers file, where the student may aim at the grader itself. Every job runs in the bounded worker
(quizzes.boundary), and the verdict on an answer never comes from the process its code ran in:

- equal, allclose, shape and dtype checks: the answer's fork runs the program on the visible setup and on each
  hidden trial and returns only the values (quizzes.child.values); it never holds the expected values. A fresh
  fork of the worker, where no answer ever ran, then rebuilds each trial from the same seed, computes the
  expected value and compares (quizzes.child.judge).
- predicate checks call the student's own class or function, so they run in the answer's fork; there, the program
  is first read by the checker's allowlist lint (checker.tamper), and an answer it flags is graded wrong, never run.
"""
from __future__ import annotations

import ast
import atexit

from checker.messages import text as checker_text
from checker.tamper import TamperHit, tamper_hits
from quizzes.boundary import BoundedWorker


class GradingWorker:
    """What the engine needs of a worker (start, run, close), for grading."""

    def __init__(self, worker: BoundedWorker):
        self.worker = worker

    def start(self) -> None:
        self.worker.start()

    def close(self) -> None:
        self.worker.close()

    def run(self, job: dict) -> dict:
        if job["mode"] != "check":
            return self.worker.run(job)  # a predict snippet: the bank's code alone
        if job["check"]["compare"] == "predicate":
            return flagged(job["program"], job.get("lang", "en")) or self.worker.run(job)
        return self._judged(job)

    def _judged(self, job: dict) -> dict:
        """Run the answer for its values, then judge them in a clean fork; the reply reads as one check's."""
        ran = self.worker.run({**job, "mode": "values", "check": {"target": job["check"]["target"]}})
        report = ran.get("report")
        if ran.get("status") != "done" or not isinstance(report, dict) or report.get("phase") != "done":
            return ran  # timeout, flood, crash, or the bank's setup failed: never a pass
        values, stopped = report.get("values"), report.get("stopped")
        if not isinstance(values, list) or len(values) > 1 + len(job["trials"]):
            return {"status": "crashed", "output": ran.get("output", ""), "exit": "its values came back malformed"}
        judge = {key: value for key, value in job.items() if key != "program"}
        judged = self.worker.run({**judge, "mode": "judge", "values": values, "stopped": stopped})
        return {**judged, "output": ran.get("output", ""),
                "seconds": ran.get("seconds", 0.0) + judged.get("seconds", 0.0)}


def flagged(program: str, lang: str) -> dict | None:
    """A wrong verdict for a program the allowlist lint flags (its first finding, by line), else None."""
    try:
        hits = tamper_hits(ast.parse(program))
    except (SyntaxError, ValueError):
        return None  # it fails to compile in the fork too, which says where
    except (RecursionError, MemoryError):
        hits = [TamperHit("unreadable", 1, "too deeply nested to inspect")]
    if not hits:
        return None
    first = hits[0]
    what = checker_text("tamper", first.code, lang, detail=first.detail)
    return {"status": "done", "output": "", "seconds": 0.0,
            "report": {"phase": "done", "passed": False, "reason": "needs_review",
                       "detail": {"line": first.line, "what": what}}}


_shared: GradingWorker | None = None


def shared(readable: tuple = ()) -> GradingWorker:
    """The process's grading worker (every answers file graded in this process reuses it), started afresh when
    a bank needs other folders than the running one reads."""
    global _shared
    if _shared is not None and _shared.worker.readable != tuple(readable):
        _shared.close()
        _shared = None
    if _shared is None:
        _shared = GradingWorker(BoundedWorker(tuple(readable)))
        atexit.register(_shared.close)
    return _shared
