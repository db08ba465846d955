"""Warm workers: pre-started processes that have imported torch once and fork one sandboxed child per run.

A run through a warm worker is isolated exactly like a fresh `python -I` child (a new session and process group,
the same resource limits, its own sandbox folder and environment, the same capped output, nonce-checked report
pipe and wall-clock timeout), but it costs its training time, not another few seconds of importing torch.
The worker's side is checker/child/zygote.py. Linux and macOS only; elsewhere use the fresh-process launcher.
"""
from __future__ import annotations

import socket
import subprocess
import tempfile
import threading
from pathlib import Path

from checker import isolation, ledger
from checker.child.reaper import descendants, kill_process_tree
from checker.child.wire import Channel, ConnectionGone
from checker.limits import Limits
from checker.child.wipe import remove_tree
from checker.sandbox import CHECKER_PARENT, FOLDERS, WorkerLost, child_env, give_to
from reference import threads as torch_threads

ZYGOTE_BOOTSTRAP = (f"import sys; sys.path.insert(0, {CHECKER_PARENT!r}); from checker.child.zygote import main; "
                    "main(int(sys.argv[1]), sys.argv[2] == 'contained', *sys.argv[3:4])")
START_TIMEOUT_S = 300


class WorkerError(RuntimeError):
    """A warm worker could not be started or stopped answering."""


class ForkedChild:
    """A child forked by a warm worker: what the sandbox's supervisor needs of a Popen (pid and wait)."""

    def __init__(self, channel: Channel, pid: int, worker_pid: int):
        self.pid, self._channel = pid, channel  # under bubblewrap, a pid in the worker's own PID namespace
        self._worker_pid, self._host_pid = worker_pid, None
        self.returncode: int | None = None
        self.worker_lost = False
        self._kill_lock = threading.Lock()

    def kill_tree(self) -> None:
        """Ask the worker to kill this child's tree (only the worker can see it inside its namespace)."""
        with self._kill_lock:
            if self.returncode is None and not self.worker_lost:
                try:
                    self._channel.send({"kill": self.pid})
                except OSError:
                    self.worker_lost = True

    def host_pid(self) -> int | None:
        """This child's pid on this host: the worker's descendant whose innermost pid is ours (None until seen)."""
        if self._host_pid is None:
            self._host_pid = next((pid for pid in descendants(self._worker_pid) if _innermost_pid(pid) == self.pid),
                                  None)
        return self._host_pid

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is not None or self.worker_lost:
            return self.returncode if self.returncode is not None else -9
        try:
            message, _ = self._channel.receive(timeout)
        except TimeoutError:
            raise subprocess.TimeoutExpired("warm worker child", timeout) from None
        except (ConnectionGone, OSError, ValueError):
            self.worker_lost = True
            return -9
        self.returncode = int(message.get("exit", -9))
        return self.returncode


class WarmWorker:
    """One pre-started worker. Not thread-safe: one run at a time (a pool gives each thread its own)."""

    def __init__(self, threads: int | None = None, boundary: str | None = None):
        self.threads = threads
        self.isolation = boundary or isolation.mode()  # `boundary` forces one, for comparisons (bench/)
        self.identity = isolation.run_identity()  # the worker's own uid when the checker runs as root
        self._home = Path(tempfile.mkdtemp(prefix="torchdrill-worker-"))
        self.inputs_parent = self._home / "inputs"  # each run's inputs, written by us, read-only to the worker
        self._scratch = self._home / "scratch"  # the worker's writable folder: its runs' sandboxes, one at a time
        self.inputs_parent.mkdir(mode=0o755)
        self._scratch.mkdir()
        self._home.chmod(0o711)  # entered by the worker's own uid and by bubblewrap run by root, never listed
        if self.identity is not None:
            give_to(self._scratch, self.identity)
        contained = self.isolation == isolation.BUBBLEWRAP

        def argv(fd: int) -> list[str]:
            command = [*isolation.python_argv(ZYGOTE_BOOTSTRAP, self.identity if contained else None), str(fd),
                       "contained" if contained else "-"]
            if not contained:
                return command
            # one boundary per worker: its own PID namespace and a sized tmpfs, emptied after each run
            return isolation.wrap(command, self._scratch, writable_mb=Limits().sandbox_mb,
                                  read_only=[self.inputs_parent])

        drop = isolation.popen_identity(self.identity) if not contained and self.identity is not None else {}
        try:
            self._process, self._channel = start_zygote(argv, self._scratch, "warm worker", **drop)
        except WorkerError:
            remove_tree(self._home)
            raise

    def sandbox_for(self, inputs: Path) -> Path:
        """Where a run's child runs: a folder the worker makes afresh in its own writable folder for each run
        (linking to `inputs`) and empties afterwards."""
        if self.identity is not None:
            give_to(inputs, self.identity)  # readable by the worker's uid; bound read-only under bubblewrap
        return self._scratch / "run"

    def start(self, sandbox: Path, env: dict, spec: dict, limits: Limits, out_w: int, report_w: int) -> ForkedChild:
        """Fork a child for one run (the launcher interface of checker.sandbox)."""
        env = {**env, **torch_threads.thread_env(self.threads or torch_threads.default_threads())}
        request = {"sandbox": str(sandbox), "inputs": spec["inputs"], "links": spec["links"],
                   "folders": list(FOLDERS), "env": env, "spec": spec, "limits": limits.settings(),
                   "timeout_s": limits.timeout_s, "threads": self.threads}
        return fork_child(self._process, self._channel, request, out_w, report_w, "warm worker")

    def alive(self) -> bool:
        return self._process.poll() is None

    def close(self) -> None:
        stop_zygote(self._process, self._channel)
        remove_tree(self._home)  # behind the process sandbox alone, the scratch folder holds what runs left

    def __enter__(self) -> "WarmWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start_zygote(argv_for, cwd: Path, what: str, **popen) -> tuple[subprocess.Popen, Channel]:
    """Start a zygote (checker/child/zygote.py; `argv_for(fd)` is its command line, given its end of the socket)
    in `cwd`, and wait until it has imported torch. WorkerError when it does not start."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        process = subprocess.Popen(argv_for(theirs.fileno()), cwd=cwd, env=child_env(cwd), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
                                   start_new_session=True, **popen)
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    channel = Channel(ours)
    ledger.record("torch_process", kind=what)
    try:
        ready, _ = channel.receive(timeout=START_TIMEOUT_S)
    except (TimeoutError, ConnectionGone) as error:
        stop_zygote(process, channel)
        raise WorkerError(f"the {what} did not start: {error}") from None
    if "error" in ready:
        stop_zygote(process, channel)
        raise WorkerError(ready["error"])
    return process, channel


def fork_child(process: subprocess.Popen, channel: Channel, request: dict, out_w: int, report_w: int,
               what: str) -> ForkedChild:
    """Ask the zygote to fork a child for `request`, handing it the child's output and report pipes."""
    try:
        channel.send(request, [out_w, report_w])
        reply, _ = channel.receive(timeout=60)
    except (OSError, TimeoutError, ConnectionGone) as error:
        raise WorkerLost(f"the {what} stopped answering: {error}") from None
    if "pid" not in reply:
        raise WorkerLost(f"the {what} refused the run: {reply.get('error', reply)}")
    return ForkedChild(channel, int(reply["pid"]), process.pid)


def stop_zygote(process: subprocess.Popen, channel: Channel) -> None:
    channel.close()  # the zygote sees the end of its socket and leaves; make sure of it
    kill_process_tree(process.pid)
    process.wait()


def _innermost_pid(pid: int) -> int | None:
    """A process's pid in its own PID namespace (the last of /proc/PID/status's NSpid)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def threads_per_worker(workers: int) -> int:
    """Torch threads for each of `workers` children running at once, so together they fill the cores once."""
    return torch_threads.threads_per_job(workers)
