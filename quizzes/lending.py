"""Lending started quiz workers to other quiz processes of a test session (checker.lending says how lending works
and when a test must not borrow).

A process that sets TORCHDRILL_QUIZ_WORKERS to a WorkerLender's socket sends it each job instead of starting a
worker of its own; the lender runs the job on its own worker of the same kind (the plain worker of self-study, or
the bounded worker that grades answers files, with the same readable folders) and sends the reply back. Every job
still runs in a fresh fork of that worker, behind the same boundary.
"""
from __future__ import annotations

from pathlib import Path

from checker.lending import Lender, ask

LEND_ENV = "TORCHDRILL_QUIZ_WORKERS"


class WorkerLender(Lender):
    """One worker per kind, started on its first job."""

    def __init__(self):
        self._workers: dict[tuple, object] = {}
        super().__init__()

    def answer(self, request: dict) -> dict:
        worker = self._worker(request["worker"])
        return {"reply": worker.run(request["job"]), "torch": worker.torch_version}

    def _worker(self, kind: dict):
        from quizzes.boundary import BoundedWorker
        from quizzes.worker import Worker

        key = (kind["kind"], tuple(kind.get("readable", ())))
        if key not in self._workers:
            if kind["kind"] == "bounded":
                self._workers[key] = BoundedWorker(tuple(Path(p) for p in key[1]))
            elif kind["kind"] == "plain":
                self._workers[key] = Worker()
            else:
                raise ValueError(f"no such worker kind: {kind['kind']!r}")
        return self._workers[key]

    def close_workers(self) -> None:
        for worker in self._workers.values():
            worker.close()
        self._workers.clear()


def borrowed_run(address: str, kind: dict, job: dict, timeout_s: float) -> tuple[dict, str] | None:
    """(the reply, torch's version) from the lender at `address`, or None when there is none to reach."""
    answer = ask(address, {"worker": kind, "job": job}, timeout_s)
    if answer is None or not isinstance(answer.get("reply"), dict):
        return None
    return answer["reply"], str(answer.get("torch", ""))
