"""Lending started quiz workers to other quiz processes, so that a test session imports torch once per worker kind,
not once per `python -m quizzes` it runs.

A process that sets TORCHDRILL_QUIZ_WORKERS to the socket of a WorkerLender sends it each job instead of starting
a worker of its own; the lender runs the job on its own worker of the same kind (the plain worker of self-study, or
the bounded worker that grades answers files, with the same readable folders) and sends the reply back. Every job
still runs in a fresh fork of that worker, behind the same boundary, exactly as in a worker of its own. What the
borrowing process no longer gets is a worker nobody used before: a test about a new worker, or about what one job
leaves to the next, keeps its own (tests/quizzes/conftest.py's `quiz(..., own_worker=True)`).

Only a test session starts a lender; no command does. The socket lives in a folder only its owner can enter.
"""
from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
from pathlib import Path

LEND_ENV = "TORCHDRILL_QUIZ_WORKERS"
MAX_REQUEST = 64 * 1024 * 1024  # a job holds a program and its trials' setups: far less than this
REQUEST_TIMEOUT_S = 60.0  # for a borrower to send its job, and to take the reply
CLOSE_TIMEOUT_S = 120.0  # for the job in flight when the lender closes


def read_line(connection: socket.socket, limit: int = MAX_REQUEST) -> bytes | None:
    """One newline-ended message, or None when the other side closed first or sent too much."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk or len(data) + len(chunk) > limit:
            return None
        data += chunk
    return data


class WorkerLender:
    """Serves jobs on a Unix socket with one worker per kind, one job at a time, all from one thread: a worker
    dies with the thread that started it (bubblewrap's --die-with-parent follows the thread), so that thread lives
    as long as the lender. Use as a context manager."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="torchdrill-quiz-lender-")  # mode 0700
        self.address = str(Path(self.folder) / "workers.sock")
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.address)
        self._server.listen(8)
        self._workers: dict[tuple, object] = {}
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="quiz worker lender", daemon=True)
        self._thread.start()

    def __enter__(self) -> "WorkerLender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _serve(self) -> None:
        try:
            while not self._closed:
                try:
                    connection, _ = self._server.accept()
                except OSError:
                    return  # closed
                self._answer(connection)
        finally:
            for worker in self._workers.values():
                worker.close()
            self._workers.clear()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.settimeout(REQUEST_TIMEOUT_S)
                line = read_line(connection)
                if line is None:
                    return
                request = json.loads(line)
                worker = self._worker(request["worker"])
                reply = worker.run(request["job"])
                answer = {"reply": reply, "torch": getattr(worker, "torch_version", "")}
                connection.sendall(json.dumps(answer).encode() + b"\n")
            except (OSError, ValueError, KeyError, TypeError) as error:
                try:
                    connection.sendall(json.dumps({"error": f"{type(error).__name__}: {error}"}).encode() + b"\n")
                except OSError:
                    pass

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

    def close(self) -> None:
        """Stop serving; the serving thread closes the workers once its job in flight is done."""
        self._closed = True
        try:
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread
        except OSError:
            pass
        self._server.close()
        self._thread.join(timeout=CLOSE_TIMEOUT_S)
        try:
            os.unlink(self.address)
        except OSError:
            pass
        os.rmdir(self.folder)


def borrowed_run(address: str, kind: dict, job: dict, timeout_s: float) -> tuple[dict, str] | None:
    """(the reply, torch's version) from the lender at `address`, or None when there is none to reach."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout_s)
            connection.connect(address)
            connection.sendall(json.dumps({"worker": kind, "job": job}).encode() + b"\n")
            line = read_line(connection)
    except OSError:
        return None
    try:
        answer = json.loads(line) if line is not None else None
    except ValueError:
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("reply"), dict):
        return None
    return answer["reply"], answer.get("torch", "")
