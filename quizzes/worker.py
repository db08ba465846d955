"""The parent's handle on the quiz worker: one long-lived child process that imports torch once and runs every
job in a fork of itself. If the worker itself dies or stops answering, the job is reported lost and the next job
starts a fresh worker."""
from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from checker import ledger
from checker.child.wipe import remove_tree
from quizzes.lending import LEND_ENV, borrowed_run

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)  # so the worker finds `quizzes`, installed or not
BOOTSTRAP = (f"import sys; sys.path.insert(0, {PACKAGE_PARENT!r}); import runpy; "
             "runpy.run_module('quizzes.child.worker', run_name='__main__')")
STARTUP_TIMEOUT_S = 180.0  # importing torch and torchvision takes about 6 s on a laptop; far more means trouble
GRACE_S = 15.0  # beyond a job's own timeout, for forking and reporting


class WorkerError(RuntimeError):
    """The worker could not start (the message has the end of what it printed)."""


class Worker:
    """Starts the worker on first use, sends it jobs one at a time, and restarts it if it is lost. Where a test
    session lends its started workers (quizzes.lending), the jobs go to the lent worker of the same kind."""

    def __init__(self):
        self._lender = os.environ.get(LEND_ENV, "")  # cleared when it cannot be reached: a worker of our own then
        self._process: subprocess.Popen | None = None
        self._ready = False
        self._buffer = b""
        self._folder = ""
        self._stderr = None
        self.torch_version = ""

    def start(self) -> None:
        """Start importing torch in the background; returns at once."""
        if self._lender or (self._process is not None and self._process.poll() is None):
            return
        self._folder = tempfile.mkdtemp(prefix="torchdrill-quiz-")
        self._stderr = tempfile.TemporaryFile()
        argv, options = self._launch(Path(self._folder))
        self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                         start_new_session=True, **options)
        ledger.record("torch_process", kind="quiz worker")
        self._ready, self._buffer = False, b""

    def _launch(self, folder: Path) -> tuple[list[str], dict]:
        """The worker's command line and Popen options: a plain `python -I` working in `folder`."""
        env = {**os.environ, "MPLBACKEND": "Agg", "TORCH_HOME": str(folder / "torch")}
        return [sys.executable, "-I", "-c", BOOTSTRAP], {"cwd": folder, "env": env}

    def lent_kind(self) -> dict:
        """Which of a lender's workers runs this worker's jobs."""
        return {"kind": "plain"}

    def run(self, job: dict) -> dict:
        """Run one job; the result's status is done, timeout, flood or crashed."""
        if self._lender:
            wait = float(job.get("timeout_s", 20)) + GRACE_S + STARTUP_TIMEOUT_S
            borrowed = borrowed_run(self._lender, self.lent_kind(), job, wait)
            if borrowed is not None:
                if not self.torch_version:  # once per process: the worker it did not have to start
                    ledger.record("shared", kind="quiz worker")
                reply, self.torch_version = borrowed
                return reply
            self._lender = ""
        self.start()
        if not self._ready:
            self._await_ready()
        try:
            self._process.stdin.write(json.dumps(job).encode() + b"\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._lost("the quiz worker stopped")
        reply = self._read_message(time.monotonic() + float(job.get("timeout_s", 20)) + GRACE_S)
        if reply is None:
            return self._lost("the quiz worker stopped answering and was restarted")
        return reply

    def close(self) -> None:
        """Stop the worker; a job's fork in flight dies with it (it asked the kernel for that)."""
        if self._process is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout, self._stderr):
                stream.close()
            self._process, self._stderr = None, None
        if self._folder:
            remove_tree(Path(self._folder))  # what jobs wrote there, never following a link they left
            self._folder = ""

    def _await_ready(self) -> None:
        message = self._read_message(time.monotonic() + STARTUP_TIMEOUT_S) or {}
        if not message.get("ready"):
            tail = message.get("error") or self._stderr_tail()
            self.close()
            raise WorkerError(f"the quiz worker (which imports torch) did not start. Its last output:\n{tail}")
        self._ready, self.torch_version = True, message.get("torch", "")

    def _lost(self, why: str) -> dict:
        self.close()  # the next job starts a fresh worker
        return {"status": "crashed", "output": "", "exit": why}

    def _read_message(self, deadline: float) -> dict | None:
        """The worker's next JSON message; a line that is not one (something printed at import) is skipped."""
        while (line := self._read_line(deadline)) is not None:
            try:
                message = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(message, dict):
                return message
        return None

    def _read_line(self, deadline: float) -> bytes | None:
        """The next line from the worker, or None if it ended or the deadline passed."""
        stream = self._process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
                    return None
                chunk = os.read(stream, 65536)
            except (OSError, ValueError):  # the pipe was closed under us
                return None
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", errors="replace")[-2000:]


_shared: Worker | None = None


def shared() -> Worker:
    """The process's one worker: every command in this process (and every test using CliRunner) reuses it."""
    global _shared
    if _shared is None:
        _shared = Worker()
        atexit.register(_shared.close)
    return _shared
