"""Reference accuracy per scenario budget, and the solution's training curves: computed once by running the solution
like a submission, then cached. An entry from before curves were kept is computed again, once.

The cache key is what the reference run depends on: the solution's bytes, the entry points it is called through, the
budget, the data, the device and the torch version; not the scenario's id, so that scenarios made from one script
(`checker mutate` writes one per bug class, each with the script as its solution) share its reference. The
cache is $TORCHDRILL_HOME/reference_results.json, or the file TORCHDRILL_REFERENCE_CACHE names: one store that
processes with homes of their own share (the nodes of a grading cluster, the tests of one test run).
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Callable

from checker import ledger
from reference.paths import torchdrill_home

CACHE_FILE = "reference_results.json"
CACHE_ENV = "TORCHDRILL_REFERENCE_CACHE"
MEASURE = "heldout-predictions"  # how accuracy is measured: an entry measured otherwise is computed again
MAX_CACHE_BYTES = 4 * 1024 * 1024
_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


def cache_key(scenario, data_kind: str, device: str) -> str:
    parts = [hashlib.sha256(scenario.solution_path.read_bytes()).hexdigest(), sorted(scenario.entry_points.items()),
             list(scenario.budget.overrides), list(scenario.budget.argv), data_kind, device, metadata.version("torch"),
             MEASURE]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def cache_path() -> Path:
    override = os.environ.get(CACHE_ENV)
    return Path(override).expanduser() if override else torchdrill_home() / CACHE_FILE


def reference_result(scenario, data_kind: str, device: str, compute: Callable[[], tuple]) -> tuple:
    """(accuracy, curves as a dict or None): cached, or computed by `compute()` and stored on first use."""
    path = cache_path()
    key = cache_key(scenario, data_kind, device)
    with _locks_lock:
        key_lock = _locks.setdefault(key, threading.Lock())
    with key_lock:  # threads of one process (a grading pool) compute each reference once
        cache = _read(path)
        if key in cache and "curves" in cache[key]:
            ledger.record("shared", kind="reference", scenario=scenario.id)
            return float(cache[key]["accuracy"]), cache[key]["curves"]
        accuracy, curves = compute()
        _store(path, key, scenario, accuracy, curves, data_kind, device)
    return accuracy, curves


def _store(path, key: str, scenario, accuracy: float, curves, data_kind: str, device: str) -> None:
    with _locks_lock:
        cache = _read(path)  # another thread or process may have written meanwhile
        cache[key] = {"scenario": scenario.id, "accuracy": accuracy, "curves": curves, "data": data_kind,
                      "device": device, "computed": time.strftime("%Y-%m-%dT%H:%M:%S")}
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{time.monotonic_ns()}.partial")
        partial.write_text(json.dumps(cache, indent=1, sort_keys=True))
        partial.replace(path)


def _read(path) -> dict:
    """The cache's valid entries. Anything odd (not a regular file, too large, not JSON, an accuracy outside
    [0, 1]) is dropped and recomputed: the cache is evidence, so it is never trusted blindly."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))  # a FIFO never blocks us
    except OSError:
        return {}
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CACHE_BYTES:
            return {}
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = json.loads(handle.read(MAX_CACHE_BYTES))
    except (OSError, ValueError):
        return {}
    finally:
        os.close(fd)
    if not isinstance(data, dict):
        return {}
    return {key: entry for key, entry in data.items() if _valid_entry(entry)}


def _valid_entry(entry) -> bool:
    accuracy = entry.get("accuracy") if isinstance(entry, dict) else None
    return isinstance(accuracy, (int, float)) and not isinstance(accuracy, bool) and 0.0 <= accuracy <= 1.0
