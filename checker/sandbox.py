"""Run the harness in a child process: its own temporary folder, resource limits, a wall-clock timeout that
kills the whole process tree, capped output, and a report pipe whose lines must carry this run's nonce."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from checker import isolation, ledger, monitor, report_schema
from checker.child.reaper import kill_process_tree
from checker.child.wipe import remove_tree
from checker.child.wire import REPORT_KINDS, ReportTampered, read_report
from checker.limits import Limits
from reference import threads as torch_threads

OUTPUT_HEAD, OUTPUT_TAIL = 4_000, 12_000  # characters of the script's output kept for the verdict
CHECKER_PARENT = str(isolation.CHECKER_PARENT)  # so the child finds `checker` installed or not
HARNESS = "checker.child.harness"


def bootstrap(module: str) -> str:
    """The `python -I -c` program that runs a child module of ours, found where the checker is."""
    return (f"import sys; sys.path.insert(0, {CHECKER_PARENT!r}); import runpy; "
            f"runpy.run_module({module!r}, run_name='__main__')")


class WorkerLost(RuntimeError):
    """The warm worker died while it ran a child: the run tells nothing about the script; run it again."""


@dataclass
class ChildRun:
    """What came back from one child: the nonce-checked report messages and what the parent observed."""

    messages: list[dict] = field(default_factory=list)
    output: str = ""
    output_bytes: int = 0
    returncode: int | None = None
    timed_out: bool = False
    output_flooded: bool = False
    tampered: str = ""  # why the report cannot be trusted, when it cannot
    wall_s: float = 0.0
    over: "monitor.Over | None" = None  # a cap on the whole run that it went over (processes, memory)
    isolation: str = isolation.PROCESS  # the boundary the child ran behind: "bubblewrap" or "process"

    def first(self, kind: str) -> dict | None:
        return next((m for m in self.messages if m.get("kind") == kind), None)


@dataclass
class RunRequest:
    script_name: str
    script_source: bytes
    probes: list[str]
    entry_points: dict
    overrides: dict
    device: str
    data_files: dict[str, Path]  # relative path in the sandbox -> source file (read-only copies)
    data_root_relative: str  # the torchvision MNIST root, relative to the sandbox
    heldout_relative: str  # the held-out images (no labels), relative to the sandbox
    forbidden: list[str]
    limits: Limits
    custom_probes: list[dict] = field(default_factory=list)  # {"id", "name", "source"} of the scenario's own probes
    max_train_batches: int | None = None  # the selftest's quick budget: batches per training pass (None: all)
    argv: list[str] = field(default_factory=list)  # the script's sys.argv[1:] (the scenario's budget.argv)


FOLDERS = ("out", "tmp", "cache", "home", "script")  # the child's own, writable (script/ holds the script alone)


def run_in_sandbox(request: RunRequest, launcher=None) -> ChildRun:
    """Run the student's script under the harness and return what it reported. `launcher` starts the child: a
    fresh process by default, or a warm worker (checker.workers). Nothing the child writes comes back. With the
    default launcher, a run goes to the warm worker a test session lends (checker.lending), where there is one.
    Where a run store is named (checker.run_store), the same run made before is read back from it instead."""
    from checker import run_store

    key = run_store.key(request) if run_store.folder() or ledger.recording() or run_store.remembers() else ""
    return run_store.made_once(key, lambda: _stored_or_made(request, launcher, key))


def _stored_or_made(request: RunRequest, launcher, key: str) -> ChildRun:
    from checker import run_store

    stored = run_store.lookup(key)
    if stored is not None:
        return stored
    if launcher is None:
        from checker import lending

        borrowed = lending.borrowed_run(request)
        if borrowed is not None:
            run_store.keep(key, borrowed)
            return borrowed
    launcher = launcher or FRESH_PROCESS
    inputs = Path(tempfile.mkdtemp(prefix="torchdrill-", dir=getattr(launcher, "inputs_parent", None)))
    try:
        links = _write_inputs(inputs, request)
        sandbox = launcher.sandbox_for(inputs)
        spec = {**_spec(sandbox, request), "inputs": str(inputs), "links": links}
        run = _spawn_and_wait(sandbox, spec, request.limits, launcher, what=key[:16])
    finally:
        _remove(inputs)
    run_store.keep(key, run)
    return run


def _write_inputs(inputs: Path, request: RunRequest) -> list[str]:
    """What the child reads: the script and copies of the data, never a link to the parent's own files; their
    paths relative to the sandbox. A fresh child runs in this very folder, a warm worker's in a folder of its own
    that links to these."""
    for sub in FOLDERS:
        (inputs / sub).mkdir()
    script = f"script/{request.script_name}"  # a folder of its own: no script name collides with ours
    (inputs / script).write_bytes(request.script_source)
    for relative, source in request.data_files.items():
        target = inputs / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        target.chmod(0o444)
    for folder in {(inputs / r).parent for r in request.data_files}:
        folder.chmod(0o555)
    return [script, *request.data_files]


def _spec(sandbox: Path, request: RunRequest) -> dict:
    return {
        "script": str(sandbox / "script" / request.script_name), "sandbox": str(sandbox), "probes": request.probes,
        "entry_points": request.entry_points, "overrides": request.overrides, "argv": request.argv,
        "device": request.device,
        "data_root": str(sandbox / request.data_root_relative),
        "heldout_images": str(sandbox / request.heldout_relative),
        "forbidden": request.forbidden, "custom_probes": request.custom_probes, "limits": request.limits.settings(),
        "max_train_batches": request.max_train_batches,
    }


def child_env(sandbox: Path) -> dict:
    """The child's whole environment: nothing of the checker's own but PATH and the thread settings (torch's
    threads wait without spinning, so that runs sharing the cores do not starve each other)."""
    env = {**torch_threads.thread_env(None), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(sandbox),
           "TMPDIR": str(sandbox / "tmp"), "TORCHDRILL_HOME": str(sandbox / "home"), "XDG_CACHE_HOME": str(sandbox / "cache"),
           "TORCHDRILL_OFFLINE": "1", "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    for name in ("CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "SYSTEMROOT"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def wrapped(argv: list[str], sandbox: Path, mounts: dict, limits: Limits) -> list[str]:
    """`argv` behind bubblewrap in `sandbox`, showing what a spec's `mounts` name (see isolation.wrap)."""
    return isolation.wrap(argv, sandbox, writable_mb=limits.sandbox_mb,
                          read_only=[Path(p) for p in mounts["read_only"]],
                          writable=[Path(p) for p in mounts.get("writable", [])],
                          folders=[Path(p) for p in mounts["folders"]],
                          views=[(Path(source), Path(p)) for source, p in mounts.get("views", [])],
                          symlinks=[(target, Path(p)) for target, p in mounts.get("symlinks", [])])


class FreshChild(subprocess.Popen):
    """A fresh child process; kill_tree() ends it and everything it started."""

    def kill_tree(self) -> None:
        kill_process_tree(self.pid)

    def host_pid(self) -> int:
        """The run's first process on this host (bubblewrap, when the child runs behind it)."""
        return self.pid


class FreshProcess:
    """Starts each child as a new `python -I` process, which imports torch itself (the default launcher), behind
    the OS boundary where bubblewrap runs (checker.isolation), else behind the process sandbox alone.
    `threads` caps torch's threads when several children share the cores (threads that oversubscribe the cores
    make every run slower); without it, the child takes torch_threads.default_threads()."""

    def __init__(self, threads: int | None = None, boundary: str | None = None):
        self.threads = threads
        self._boundary = boundary  # forces one, for comparisons (bench/)
        self.started: list[subprocess.Popen] = []  # kept for stop_all(); the finished ones are dropped at each start

    @property
    def isolation(self) -> str:
        """Decided at the first run, not at import: finding out costs one `bwrap true`."""
        return self._boundary or isolation.mode()

    @staticmethod
    def sandbox_for(inputs: Path) -> Path:
        """A fresh child runs in the folder of its inputs: behind bubblewrap a fresh tmpfs there, with the inputs
        bound back read-only; behind the process sandbox alone, that folder itself."""
        return inputs

    def stop_all(self) -> None:
        """Kill every child this launcher started that is still running (when its supervisor is abandoned)."""
        for child in self.started:
            if child.poll() is None:
                kill_process_tree(child.pid)

    def start(self, sandbox: Path, env: dict, spec: dict, limits: Limits, out_w: int, report_w: int):
        threads = self.threads or torch_threads.default_threads()
        env = {**env, **torch_threads.thread_env(threads)}
        identity = isolation.run_identity()
        contained = self.isolation == isolation.BUBBLEWRAP
        argv = isolation.python_argv(bootstrap(spec.get("child_module", HARNESS)), identity if contained else None)
        if identity is not None and not contained:
            give_to(sandbox, identity)  # behind the process sandbox alone, the child writes in this very folder
        if contained:  # nothing of the parent's is writable: the child's only writable places are its own tmpfs
            mounts = spec.get("mounts") or {
                "read_only": [spec["script"], spec["data_root"], spec["heldout_images"]],
                "folders": [str(sandbox / d) for d in FOLDERS]}
            argv = wrapped(argv, sandbox, mounts, limits)
        drop = {} if contained or identity is None else isolation.popen_identity(identity)
        child = FreshChild(argv, cwd=sandbox, env=env, stdin=subprocess.PIPE, stdout=out_w, stderr=out_w,
                           pass_fds=(report_w,), start_new_session=True, **drop)
        ledger.record("torch_process", kind="fresh child")
        limits.apply_to(child.pid)  # before the spec is written: the harness waits for it, so nothing runs unlimited
        self.started = [c for c in self.started if c.poll() is None] + [child]
        try:
            child.stdin.write(json.dumps({**spec, "report_fd": report_w}).encode())
            child.stdin.close()
        except BrokenPipeError:
            pass
        return child


FRESH_PROCESS = FreshProcess()


def _spawn_and_wait(sandbox: Path, spec: dict, limits: Limits, launcher, kinds=REPORT_KINDS,
                    repeatable=frozenset(), what: str = "") -> ChildRun:
    """Run one child and collect what it reports; `what` is the run's key in the ledger (the first
    16 digits of checker.run_store.key, or of ledger.run_key for a trace)."""
    out_read, out_write = os.pipe()
    report_read, report_write = os.pipe()
    nonce = secrets.token_hex(16)
    started = time.perf_counter()
    try:
        child = launcher.start(sandbox, child_env(sandbox), {**spec, "nonce": nonce}, limits, out_write,
                               report_write)
    except BaseException:
        os.close(out_read)
        os.close(report_read)
        raise
    finally:
        os.close(out_write)  # the child holds its own copies; ours would keep the readers from seeing the end
        os.close(report_write)
    result = ChildRun()
    output = os.fdopen(out_read, "rb")
    readers = [
        threading.Thread(target=_read_output, args=(output, child, result, limits), daemon=True),
        threading.Thread(target=_read_reports, args=(report_read, nonce, result, child, kinds, repeatable),
                         daemon=True),
    ]
    for reader in readers:
        reader.start()
    watch = monitor.RunMonitor(child.host_pid, limits.processes, limits.run_memory_mb,
                               on_over=lambda over: child.kill_tree()).start()
    try:
        child.wait(timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        result.timed_out = not result.output_flooded
    finally:
        watch.stop()
        child.kill_tree()
        result.returncode = child.wait()
        for reader in readers:
            reader.join(timeout=5)
    result.over = watch.over
    result.timed_out = result.timed_out and result.over is None
    if getattr(child, "worker_lost", False):
        raise WorkerLost("the warm worker running this child died")
    result.wall_s = time.perf_counter() - started
    result.isolation = launcher.isolation
    ledger.record("run", child=spec.get("child_module", HARNESS).rsplit(".", 1)[-1], launcher=type(launcher).__name__,
                  seconds=round(result.wall_s, 3), key=what)
    return result


def _read_output(stream, child, result: ChildRun, limits: Limits) -> None:
    """Keep the head and the tail of the child's output; stop the child once it has printed too much."""
    head, tail = bytearray(), bytearray()
    with stream:
        while chunk := stream.read1(65536):
            result.output_bytes += len(chunk)
            room = OUTPUT_HEAD - len(head)
            if room > 0:
                head += chunk[:room]
                chunk = chunk[room:]
            tail = (tail + chunk)[-OUTPUT_TAIL:]
            if result.output_bytes > limits.output_bytes and not result.output_flooded:
                result.output_flooded = True
                child.kill_tree()
    skipped = result.output_bytes - len(head) - len(tail)
    marker = f"\n[... {skipped:,} bytes of output left out ...]\n".encode() if skipped else b""
    result.output = (bytes(head) + marker + bytes(tail)).decode("utf-8", errors="replace")


def _read_reports(fd: int, nonce: str, result: ChildRun, child, kinds=REPORT_KINDS, repeatable=frozenset()) -> None:
    """The harness's messages, in bounded frames; at the first forged or broken one the run is marked tampered
    and stopped, since nothing it reports can be believed after that."""
    with os.fdopen(fd, "rb") as stream:
        try:
            for message in read_report(stream, nonce, kinds, repeatable):
                if kinds is REPORT_KINDS and (wrong := report_schema.problem(message)):
                    raise ReportTampered(wrong)
                result.messages.append(message)
        except ReportTampered as error:
            result.tampered = str(error)
            child.kill_tree()


def give_to(folder: Path, identity: tuple[int, int]) -> None:
    """Hand the parent's fresh sandbox folder (and everything in it) to the run's own uid. Called only on folders
    this process just made, before the child starts: nothing in them can be a link of the child's."""
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, *identity, follow_symlinks=False)


def _remove(sandbox: Path) -> None:
    """Delete a sandbox folder the child could write in, never following a link in it (checker.child.wipe)."""
    remove_tree(sandbox)
