"""The quiz worker: imports torch once, then runs each job in a fresh fork of itself, so a crash, an endless loop
or a flood of output ends that job only. Protocol: one JSON job per line on stdin, one JSON result per line on
stdout. The worker itself never runs tensor code: forking after OpenMP has started threads can hang the fork.

It is not dumpable, so no job can open its memory or its file descriptors through /proc (and forge its replies).
Started to grade an answers file (`graded`), it also leaves nothing of one job to the next: every process a job
left behind and every file it wrote are gone before the next job forks. Behind the OS boundary (`contained`), it is
alone in a PID namespace and owns /dev/shm, so those go too.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from quizzes.child.supervise import supervise

PRELOAD = ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data", "torchvision",
           "torchvision.models", "torchvision.datasets", "torchvision.transforms")
PR_SET_DUMPABLE = 4


def _send(stream, message: dict) -> None:
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def _not_ready(graded: bool, contained: bool) -> str:
    """Why the worker cannot take jobs, or ''."""
    if contained and os.getpid() > 3:
        return "the quiz worker expected a PID namespace of its own, and is not in one"
    try:
        undumpable = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        undumpable = False
    return "the quiz worker could not make itself non-dumpable" if graded and not undumpable else ""


def _clean_up(folder: str, scratch: str, graded: bool, contained: bool) -> None:
    """What a job left: its folder always; when grading, every other process and file it left too."""
    if not graded:
        shutil.rmtree(folder, ignore_errors=True)
        return
    from checker.child.reaper import kill_all_but
    from checker.child.wipe import empty_folder

    if contained:  # alone in our PID namespace: every other process but its first is a job's leftover
        kill_all_but({1, os.getpid()})
        empty_folder(Path("/dev/shm"))
    empty_folder(Path(scratch))  # never follows a link a job left


def main(graded: bool = False, contained: bool = False) -> None:
    started = time.perf_counter()
    for name in PRELOAD:
        __import__(name)
    out = sys.stdout.buffer
    torch = sys.modules["torch"]
    # Quiz tensors are tiny: one thread is fastest, above all on a busy machine, where every parallel region
    # waits for a second core. It also means no OpenMP thread pool exists when the worker forks.
    torch.set_num_threads(1)
    problem = _not_ready(graded, contained)
    if problem:
        _send(out, {"ready": False, "error": problem})
        return
    _send(out, {"ready": True, "torch": torch.__version__, "import_s": round(time.perf_counter() - started, 2)})
    scratch = tempfile.mkdtemp(prefix="jobs-", dir=os.getcwd())
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        job = json.loads(line)
        folder = tempfile.mkdtemp(dir=scratch)
        try:
            _send(out, supervise(job, folder))
        finally:
            _clean_up(folder, scratch, graded, contained)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C at the quiz prompt is the parent's to handle
    main("graded" in sys.argv[1:], "contained" in sys.argv[1:])
