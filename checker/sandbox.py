"""Run the harness in a child process: its own temporary folder, resource limits, a wall-clock timeout that
kills the whole process tree, capped output, and a report pipe whose lines must carry this run's nonce."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from checker.limits import Limits

OUTPUT_HEAD, OUTPUT_TAIL = 4_000, 12_000  # characters of the script's output kept for the verdict
REPORT_LINE_MAX = 1_000_000
CHECKER_PARENT = str(Path(__file__).resolve().parent.parent)  # so the child finds `checker` installed or not
HARNESS_BOOTSTRAP = (f"import sys; sys.path.insert(0, {CHECKER_PARENT!r}); import runpy; "
                     "runpy.run_module('checker.child.harness', run_name='__main__')")


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
    wall_s: float = 0.0
    weights_path: Path | None = None

    def cleanup(self) -> None:
        """Delete the kept weights file, once the parent has evaluated it."""
        if self.weights_path is not None:
            self.weights_path.unlink(missing_ok=True)

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
    forbidden: list[str]
    limits: Limits
    custom_probes: list[dict] = field(default_factory=list)  # {"id", "name", "source"} of the scenario's own probes


def run_in_sandbox(request: RunRequest, keep: Path | None = None, launcher=None) -> ChildRun:
    """Run the student's script under the harness and return what it reported. `keep` receives the weights.
    `launcher` starts the child: a fresh process by default, or a warm worker (checker.workers)."""
    sandbox = Path(tempfile.mkdtemp(prefix="torchdrill-"))
    try:
        spec = _prepare(sandbox, request)
        result = _spawn_and_wait(sandbox, spec, request.limits, launcher or FRESH_PROCESS)
        weights = sandbox / "out" / "weights.pt"
        if keep is not None and weights.is_file() and weights.stat().st_size <= request.limits.weights_bytes:
            shutil.copyfile(weights, keep)
            result.weights_path = keep
        return result
    finally:
        _remove(sandbox)


def _prepare(sandbox: Path, request: RunRequest) -> dict:
    for sub in ("out", "tmp", "cache", "home"):
        (sandbox / sub).mkdir()
    script = sandbox / request.script_name
    script.write_bytes(request.script_source)
    for relative, source in request.data_files.items():
        target = sandbox / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)  # a copy, never a link: the parent's data must stay out of reach
        target.chmod(0o444)
    for folder in {(sandbox / r).parent for r in request.data_files}:
        folder.chmod(0o555)
    return {
        "script": str(script), "sandbox": str(sandbox), "probes": request.probes,
        "entry_points": request.entry_points, "overrides": request.overrides, "device": request.device,
        "data_root": str(sandbox / request.data_root_relative), "weights_out": str(sandbox / "out" / "weights.pt"),
        "forbidden": request.forbidden, "custom_probes": request.custom_probes,
    }


def child_env(sandbox: Path) -> dict:
    """The child's whole environment: nothing of the checker's own but PATH and a few thread settings."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(sandbox), "TMPDIR": str(sandbox / "tmp"),
           "TORCHDRILL_HOME": str(sandbox / "home"), "XDG_CACHE_HOME": str(sandbox / "cache"),
           "TORCHDRILL_OFFLINE": "1", "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    for name in ("CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "SYSTEMROOT"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


class FreshProcess:
    """Starts each child as a new `python -I` process, which imports torch itself (the default launcher).
    `threads` caps torch's threads when several children share the cores (spinning thread pools that
    oversubscribe the cores make every run many times slower)."""

    def __init__(self, threads: int | None = None):
        self.threads = threads
        self.started: list[subprocess.Popen] = []  # kept for stop_all(); the finished ones are dropped at each start

    def stop_all(self) -> None:
        """Kill every child this launcher started that is still running (when its supervisor is abandoned)."""
        for child in self.started:
            if child.poll() is None:
                kill_process_tree(child.pid)

    def start(self, sandbox: Path, env: dict, spec: dict, limits: Limits, out_w: int, report_w: int):
        if self.threads:
            env = {**env, "OMP_NUM_THREADS": str(self.threads), "MKL_NUM_THREADS": str(self.threads)}
        child = subprocess.Popen(
            [sys.executable, "-I", "-c", HARNESS_BOOTSTRAP], cwd=sandbox, env=env, stdin=subprocess.PIPE,
            stdout=out_w, stderr=out_w, pass_fds=(report_w,), start_new_session=True,
        )
        limits.apply_to(child.pid)  # before the spec is written: the harness waits for it, so nothing runs unlimited
        self.started = [c for c in self.started if c.poll() is None] + [child]
        try:
            child.stdin.write(json.dumps({**spec, "report_fd": report_w}).encode())
            child.stdin.close()
        except BrokenPipeError:
            pass
        return child


FRESH_PROCESS = FreshProcess()


def _spawn_and_wait(sandbox: Path, spec: dict, limits: Limits, launcher) -> ChildRun:
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
        threading.Thread(target=_read_output, args=(output, child.pid, result, limits), daemon=True),
        threading.Thread(target=_read_reports, args=(report_read, nonce, result), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        child.wait(timeout=limits.timeout_s)
    except subprocess.TimeoutExpired:
        result.timed_out = not result.output_flooded
    finally:
        kill_process_tree(child.pid)
        result.returncode = child.wait()
        for reader in readers:
            reader.join(timeout=5)
    if getattr(child, "worker_lost", False):
        raise WorkerLost("the warm worker running this child died")
    result.wall_s = time.perf_counter() - started
    return result


def _read_output(stream, pid: int, result: ChildRun, limits: Limits) -> None:
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
                kill_process_tree(pid)
    skipped = result.output_bytes - len(head) - len(tail)
    marker = f"\n[... {skipped:,} bytes of output left out ...]\n".encode() if skipped else b""
    result.output = (bytes(head) + marker + bytes(tail)).decode("utf-8", errors="replace")


def _read_reports(fd: int, nonce: str, result: ChildRun) -> None:
    prefix = f"{nonce} ".encode()
    with os.fdopen(fd, "rb") as stream:
        for line in stream:
            if len(line) > REPORT_LINE_MAX or not line.startswith(prefix):
                continue  # not ours: whatever wrote it did not know the nonce
            try:
                message = json.loads(line[len(prefix):])
            except ValueError:
                continue
            if isinstance(message, dict):
                result.messages.append(message)


def kill_process_tree(pid: int) -> None:
    """SIGKILL the child's process group and every descendant, even those that left the group."""
    for _ in range(3):
        victims = _descendants(pid) | {pid}
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for victim in victims:
            try:
                os.kill(victim, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not _descendants(pid):
            return
        time.sleep(0.05)


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return set()
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _remove(sandbox: Path) -> None:
    for folder, dirs, _ in os.walk(sandbox):
        for name in dirs:
            try:
                os.chmod(os.path.join(folder, name), 0o755)
            except OSError:
                pass
    shutil.rmtree(sandbox, ignore_errors=True)
