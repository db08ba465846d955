"""Runs already made, read back instead of made again. Where TORCHDRILL_RUN_STORE names a folder,
checker.sandbox.run_in_sandbox looks each run up there by its key before it starts a child, and keeps there each
run that ended normally. A test run sets it for the runs of tests that are not about the run itself, so that the
same run (the same script, told the same things, with the same budget) happens once per test run.

The key is everything a run's outcome depends on: the script's bytes and name, the probes, entry points, overrides,
device, the scenario's own probes, the budget, the limits, the data files, torch's version and the checker's own
child code. Only a run that ended normally is kept (the script ran to its end and the harness reported it, exit 0,
no timeout, no cap reached, an untampered report, output not flooded): anything else is made again, so a crash or
a timeout is never served from here.

The store is the parent's: no child sees it (verify's forbidden folders name it, and bubblewrap shows only a run's
own inputs). An entry that is not a regular file, is too large or does not read back as a run is ignored and
replaced. Unset, which is the default everywhere but in the tests, the store costs one dictionary lookup.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
import threading
import time
from dataclasses import asdict
from pathlib import Path

from checker import ledger
from checker.lending import run_from_json, run_to_json

STORE_ENV = "TORCHDRILL_RUN_STORE"
MAX_ENTRY_BYTES = 32 * 1024 * 1024
CHILD_CODE = Path(__file__).resolve().parent / "child"


def folder() -> Path | None:
    named = os.environ.get(STORE_ENV)
    return Path(named) if named else None


class _Memory:
    """The runs one command has made, while it remembers them (`remembering`): `checker selftest` runs the
    solution of the scenarios made from one script once, not once per scenario (checker.selftest)."""

    def __init__(self):
        self.depth, self.runs, self.locks, self.lock = 0, {}, {}, threading.Lock()
        self.thread = threading.local()  # .apart: a thread that serves other processes (checker.lending)


_memory = _Memory()


@contextlib.contextmanager
def remembering():
    """Within it, a run that ended normally is made once in this process: the same request again (from any
    thread) waits for it and gets it back. Outside, nothing is remembered."""
    with _memory.lock:
        _memory.depth += 1
    try:
        yield
    finally:
        with _memory.lock:
            _memory.depth -= 1
            if not _memory.depth:
                _memory.runs.clear()
                _memory.locks.clear()


def remembers() -> bool:
    return _memory.depth > 0 and not getattr(_memory.thread, "apart", False)


def apart_from_memory() -> None:
    """This thread serves runs for other processes (a lender's): it neither reads nor feeds this process's
    memory, nor waits on a run one of this process's threads is making."""
    _memory.thread.apart = True


def made_once(run_key: str, make):
    """`make()`'s run, made once while remembering: a thread asking for a run another is making waits for it
    and gets it back. Outside `remembering` (and without a key), just `make()`."""
    if not run_key or not remembers():
        return make()
    with _memory.lock:
        key_lock = _memory.locks.setdefault(run_key, threading.Lock())
    with key_lock:
        run = _memory.runs.get(run_key)
        if run is not None:
            ledger.record("shared", kind="run (made once by this command)")
            return run
        run = make()
        if ended_normally(run):
            _memory.runs[run_key] = run
        return run


def key(request) -> str:
    """The key of a checker.sandbox.RunRequest's run."""
    data = sorted((name, _file_identity(Path(source))) for name, source in request.data_files.items())
    told = [request.script_name, request.probes, request.entry_points, request.overrides, request.device,
            request.custom_probes, request.max_train_batches, asdict(request.limits), data, _torch_version(),
            _child_code(), request.argv]
    return ledger.run_key(request.script_source, *told)


def lookup(run_key: str):
    """The stored checker.sandbox.ChildRun of the run with this key, or None."""
    where = folder()
    if where is None or not run_key:
        return None
    entry = _read(where / f"{run_key}.json")
    if entry is None or entry.get("over") is not None:
        return None
    messages = entry.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return None
    try:
        run = run_from_json(entry)
    except TypeError:
        return None
    if not ended_normally(run):  # only such runs are kept: anything else was not written by keep()
        return None
    ledger.record("shared", kind="run")
    return run


def keep(run_key: str, run) -> None:
    """Store a run that ended normally under its key; never fails the caller."""
    where = folder()
    if where is None or not run_key or not ended_normally(run):
        return
    entry = run_to_json(run)
    try:
        where.mkdir(parents=True, exist_ok=True)
        target = where / f"{run_key}.json"
        partial = target.with_suffix(f".{os.getpid()}.{time.monotonic_ns()}.partial")
        partial.write_text(json.dumps(entry), encoding="utf-8")
        partial.replace(target)  # whole or not at all, whoever reads it meanwhile
    except (OSError, TypeError, ValueError):
        return


def ended_normally(run) -> bool:
    """The script ran to its end and reported it, and nothing stopped or doubted the run."""
    return (run.returncode == 0 and run.first("done") is not None and not run.timed_out and run.over is None
            and not run.tampered and not run.output_flooded)


def _read(path: Path) -> dict | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            entry = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return entry if isinstance(entry, dict) else None


def _file_identity(path: Path) -> str:
    """The file's content, whatever folder holds it (each test's home unpacks its own copy of the data)."""
    try:
        info = path.stat()
    except OSError:
        return f"unreadable: {path}"
    return _digest(str(path), info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return f"unreadable: {path}"
    return digest.hexdigest()


@functools.cache
def _torch_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return ""


@functools.cache
def _child_code() -> str:
    """What the child runs of ours: a change to the harness or a probe is another run."""
    digest = hashlib.sha256()
    for path in sorted(CHILD_CODE.rglob("*.py")):
        digest.update(path.relative_to(CHILD_CODE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
