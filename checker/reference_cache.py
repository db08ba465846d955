"""Reference accuracy per scenario budget: computed once by running the solution like a submission, then cached.

The cache key is the scenario, the solution's hash, the budget, the data, the device and the torch version.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from importlib import metadata
from typing import Callable

from reference.paths import torchdrill_home

CACHE_FILE = "reference_results.json"
_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


def cache_key(scenario, data_kind: str, device: str) -> str:
    parts = [scenario.id, hashlib.sha256(scenario.solution_path.read_bytes()).hexdigest(),
             list(scenario.budget.overrides), data_kind, device, metadata.version("torch")]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def reference_accuracy(scenario, data_kind: str, device: str, compute: Callable[[], float]) -> float:
    """The cached reference accuracy, computing and storing it on first use."""
    path = torchdrill_home() / CACHE_FILE
    key = cache_key(scenario, data_kind, device)
    with _locks_lock:
        key_lock = _locks.setdefault(key, threading.Lock())
    with key_lock:  # threads of one process (a grading pool) compute each reference once
        cache = _read(path)
        if key in cache:
            return float(cache[key]["accuracy"])
        accuracy = compute()
        _store(path, key, scenario, accuracy, data_kind, device)
    return accuracy


def _store(path, key: str, scenario, accuracy: float, data_kind: str, device: str) -> None:
    with _locks_lock:
        cache = _read(path)  # another thread or process may have written meanwhile
        cache[key] = {"scenario": scenario.id, "accuracy": accuracy, "data": data_kind, "device": device,
                      "computed": time.strftime("%Y-%m-%dT%H:%M:%S")}
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{time.monotonic_ns()}.partial")
        partial.write_text(json.dumps(cache, indent=1, sort_keys=True))
        partial.replace(path)


def _read(path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
