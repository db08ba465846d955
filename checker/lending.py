"""Lending started workers to other processes of the same test session, so that it imports torch once per worker,
not once per command it runs (issue: the whole proof in minutes).

A lender serves requests on a Unix socket in a folder only its owner can enter: one JSON line in, one JSON line
out, one request at a time per serving thread. Each serving thread owns its workers, since a worker dies with the
thread that started it (bubblewrap's --die-with-parent follows the thread, not the process). A process borrows by
setting an environment variable to the socket's path; when nobody answers there, it does the work itself, as it
would without a lender.

Two lenders use this: quizzes.lending (the quiz workers) and RunLender below (the checker's warm workers, one per
core, for every run a command makes with the default launcher or on its pool: `checker verify`, `selftest`,
`grade`, `mutate`). Only a test session starts one; no command does. A borrowed run
is isolated exactly as one of its own (each runs in a fresh fork of the worker, behind the same boundary, in a
sandbox folder emptied afterwards); what a borrower does not get is a worker no run has used before, so a test
about a fresh process, isolation or what one run leaves to the next never borrows.

A lender trusts its borrowers as it trusts itself (it copies the data files a request names into the run's inputs):
that is why its socket lives in a folder only its owner can enter, and why no command ever starts one.
"""
from __future__ import annotations

import base64
import json
import os
import socket
import tempfile
import threading
from dataclasses import asdict, fields
from pathlib import Path

RUNS_ENV = "TORCHDRILL_WARM_WORKERS"  # a RunLender's socket: `checker verify` borrows its warm worker
MAX_MESSAGE = 64 * 1024 * 1024
REQUEST_TIMEOUT_S = 60.0  # for a borrower to send its request
CLOSE_TIMEOUT_S = 300.0  # for the request in flight when the lender closes


def read_line(connection: socket.socket, limit: int = MAX_MESSAGE) -> bytes | None:
    """One newline-ended message, or None when the other side closed first or sent too much."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk or len(data) + len(chunk) > limit:
            return None
        data += chunk
    return data


class Lender:
    """The socket, the serving threads and their life; `answer(request) -> reply` and `close_workers()` say what is
    lent. Use as a context manager."""

    def __init__(self, threads: int = 1):
        self.folder = tempfile.mkdtemp(prefix="torchdrill-lender-")  # mode 0700
        self.address = str(Path(self.folder) / "lender.sock")
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.address)
        self._server.listen(8)
        self._closed = False
        self._threads = [threading.Thread(target=self._serve, name=f"{type(self).__name__}-{n}", daemon=True)
                         for n in range(threads)]
        for thread in self._threads:
            thread.start()

    def answer(self, request: dict) -> dict:
        """The reply, made in a serving thread with that thread's workers."""
        raise NotImplementedError

    def close_workers(self) -> None:
        """Close the workers of the serving thread that calls it (each thread's end calls it)."""
        raise NotImplementedError

    def __enter__(self):
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
                with connection:
                    self._reply(connection)
        finally:
            self.close_workers()

    def _reply(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(REQUEST_TIMEOUT_S)
            line = read_line(connection)
            if line is None:
                return
            reply = self.answer(json.loads(line))
        except Exception as error:  # noqa: BLE001 (a bad request gets an error reply; the borrower works alone)
            reply = {"error": f"{type(error).__name__}: {error}"}
        try:
            connection.settimeout(None)
            connection.sendall(json.dumps(reply).encode() + b"\n")
        except OSError:
            pass  # the borrower left

    def close(self) -> None:
        """Stop serving; each serving thread closes its workers once its request in flight is answered."""
        self._closed = True
        try:
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the serving threads' accept()
        except OSError:
            pass
        self._server.close()
        for thread in self._threads:
            thread.join(timeout=CLOSE_TIMEOUT_S)
        try:
            os.unlink(self.address)
        except OSError:
            pass
        os.rmdir(self.folder)


def ask(address: str, request: dict, timeout_s: float) -> dict | None:
    """The lender's reply at `address`, or None when there is none to reach or it could not answer."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout_s)
            connection.connect(address)
            connection.sendall(json.dumps(request).encode() + b"\n")
            line = read_line(connection)
        reply = json.loads(line) if line is not None else None
    except (OSError, ValueError):
        return None
    return reply if isinstance(reply, dict) and "error" not in reply else None


# -- the checker's warm workers ---------------------------------------------------------------------------------------
class RunLender(Lender):
    """Runs each borrowed sandbox run (checker.sandbox.RunRequest) on a warm worker, restarted when lost: one per
    serving thread, and a thread per core (as many as a command's pool runs at once), started on first use."""

    def __init__(self, threads: int | None = None):
        from reference.threads import available_cores

        self._local = threading.local()  # .worker: the serving thread's own
        super().__init__(threads or max(1, min(available_cores(), 8)))

    def answer(self, request: dict) -> dict:
        from checker import run_store
        from checker.sandbox import WorkerLost, run_in_sandbox
        from checker.workers import WarmWorker

        run_store.apart_from_memory()  # the serving thread: a borrower's run is its own, never this process's
        run_request = request_from_json(request["run"])
        for attempt in range(2):
            worker = getattr(self._local, "worker", None)
            if worker is None or not worker.alive():
                self.close_workers()
                self._local.worker = worker = WarmWorker()
            try:
                return {"run": run_to_json(run_in_sandbox(run_request, launcher=worker))}
            except WorkerLost:
                self.close_workers()
                if attempt:
                    raise

    def close_workers(self) -> None:
        worker = getattr(self._local, "worker", None)
        if worker is not None:
            worker.close()
            self._local.worker = None


def lent() -> bool:
    """Whether this process may borrow the warm workers a test session lends (a RunLender's socket is set)."""
    return bool(os.environ.get(RUNS_ENV))


def borrowed_run(request) -> object | None:
    """The ChildRun of `request` run on the warm worker lent at $TORCHDRILL_WARM_WORKERS, or None (no lender, or
    it could not run it: the caller runs it itself)."""
    address = os.environ.get(RUNS_ENV)
    if not address:
        return None
    reply = ask(address, {"run": request_to_json(request)}, request.limits.timeout_s + CLOSE_TIMEOUT_S)
    if not reply or not isinstance(reply.get("run"), dict):
        return None
    from checker import ledger

    ledger.record("shared", kind="torch import (a lent warm worker ran it)")
    return run_from_json(reply["run"])


def request_to_json(request) -> dict:
    raw = asdict(request)
    raw["script_source"] = base64.b64encode(request.script_source).decode()
    raw["data_files"] = {relative: str(path) for relative, path in request.data_files.items()}
    return raw


def request_from_json(raw: dict):
    from checker.limits import Limits
    from checker.sandbox import RunRequest

    return RunRequest(**{**raw, "script_source": base64.b64decode(raw["script_source"]),
                         "data_files": {relative: Path(path) for relative, path in raw["data_files"].items()},
                         "limits": Limits(**raw["limits"])})


def run_to_json(run) -> dict:
    return asdict(run)


def run_from_json(raw: dict):
    from checker.monitor import Over
    from checker.sandbox import ChildRun

    known = {f.name for f in fields(ChildRun)}
    over = raw.get("over")
    return ChildRun(**{**{k: v for k, v in raw.items() if k in known}, "over": Over(**over) if over else None})
