"""A run ledger, for measuring where a test run or a grading session spends its time: when TORCHDRILL_RUN_LEDGER
names a file, every process that imports torch on our behalf, every script run and every result served from a
store instead of a run appends one JSON line to it. Unset (the default), recording costs one dictionary lookup.

Events: `torch_process` (a fresh child, a warm worker or a quiz worker started: each imports torch), `run` (a
script ran in the sandbox: verify, reference, selftest, grade, trace; its `key` says which run it was, so that
repeats of the same run can be counted), `shared` (a result came from a store, such
as the reference cache, and no run happened). bench/bench_tests.py reads the file."""
from __future__ import annotations

import hashlib
import json
import os
import time

LEDGER_ENV = "TORCHDRILL_RUN_LEDGER"


def record(event: str, **fields) -> None:
    """Append one line; never fails the caller (a ledger that cannot be written is simply not written)."""
    path = os.environ.get(LEDGER_ENV)
    if not path:
        return
    line = json.dumps({"event": event, "at": round(time.time(), 3), "pid": os.getpid(),
                       "test": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0], **fields},
                      default=str) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return
    try:
        os.write(fd, line.encode())  # one write with O_APPEND: lines from parallel processes never interleave
    except OSError:
        pass
    finally:
        os.close(fd)


def recording() -> bool:
    return bool(os.environ.get(LEDGER_ENV))


def run_key(source: bytes, *told) -> str:
    """Which run a run was: two runs of the same source, told the same things (probes, budget, arguments), have
    the same key (checker.run_store keeps runs under it; the ledger records its first 16 digits)."""
    return hashlib.sha256(source + json.dumps(told, sort_keys=True, default=str).encode()).hexdigest()
