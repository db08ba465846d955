"""The quiz worker: imports torch once, then runs each job in a fresh fork of itself, so a crash, an endless loop
or a flood of output ends that job only. Protocol: one JSON job per line on stdin, one JSON result per line on
stdout. The worker itself never runs tensor code: forking after OpenMP has started threads can hang the fork."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time

from quizzes.child.supervise import supervise

PRELOAD = ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data", "torchvision",
           "torchvision.models", "torchvision.datasets", "torchvision.transforms")


def _send(stream, message: dict) -> None:
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def main() -> None:
    started = time.perf_counter()
    for name in PRELOAD:
        __import__(name)
    out = sys.stdout.buffer
    torch = sys.modules["torch"]
    # Quiz tensors are tiny: one thread is fastest, above all on a busy machine, where every parallel region
    # waits for a second core. It also means no OpenMP thread pool exists when the worker forks.
    torch.set_num_threads(1)
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
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C at the quiz prompt is the parent's to handle
    main()
