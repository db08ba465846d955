"""A warm worker for `checker trace` over several scripts of one folder: one process behind the folder's own
sandbox (bubblewrap, with the mounts a fresh trace child gets) imports torch once and forks the tracer for each
script, instead of one new `python -I` per script importing torch and torchvision again.

Each script still starts clean: after each run the worker kills every process the run left (it is alone in its
PID namespace), empties /dev/shm and the sandbox's own folders, and deletes whatever the run added beside the
user's entries, which are shown read-only and so cannot have changed. Behind the process sandbox alone there is no
boundary to keep a worker in, and each script gets a fresh child, as `checker trace` on one script always does.
"""
from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from checker import isolation, ledger
from checker.child.reaper import kill_process_tree
from checker.child.wire import Channel, ConnectionGone
from checker.sandbox import WorkerLost, child_env
from checker.workers import START_TIMEOUT_S, ZYGOTE_BOOTSTRAP, ForkedChild, WorkerError
from reference import threads as torch_threads

OWN_FOLDERS = ("out", "tmp", "cache", "home")  # the sandbox's writable folders (checker.trace.prepare)


class TraceWorker:
    """The launcher (checker.sandbox's interface) for the traces of one prepared folder. One run at a time."""

    isolation = isolation.BUBBLEWRAP

    def __init__(self, prepared, limits, threads: int | None = None):
        self.threads = threads
        self.sandbox = prepared.sandbox
        mounts = prepared.spec["mounts"]
        self.views = [Path(p) for _, p in [*mounts.get("views", []), *mounts.get("symlinks", [])]]
        self.mirrors = [str(prepared.sandbox), str(prepared.sandbox / "fs"), str(prepared.work)]
        identity = isolation.run_identity()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        argv = [*isolation.python_argv(ZYGOTE_BOOTSTRAP, identity), str(theirs.fileno()), "contained", "tracer"]
        argv = isolation.wrap(argv, prepared.sandbox, writable_mb=limits.sandbox_mb,
                              read_only=[Path(p) for p in mounts["read_only"]],
                              writable=[Path(p) for p in mounts.get("writable", [])],
                              folders=[Path(p) for p in mounts["folders"]],
                              views=[(Path(source), Path(p)) for source, p in mounts.get("views", [])],
                              symlinks=[(target, Path(p)) for target, p in mounts.get("symlinks", [])])
        try:
            self._process = subprocess.Popen(
                argv, cwd=prepared.sandbox, env=child_env(prepared.sandbox), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
                start_new_session=True)
        finally:
            theirs.close()
        self._channel = Channel(ours)
        ledger.record("torch_process", kind="trace worker")
        try:
            ready, _ = self._channel.receive(timeout=START_TIMEOUT_S)
        except (TimeoutError, ConnectionGone) as error:
            self.close()
            raise WorkerError(f"the trace worker did not start: {error}") from None
        if "error" in ready:
            self.close()
            raise WorkerError(ready["error"])

    def start(self, sandbox: Path, env: dict, spec: dict, limits, out_w: int, report_w: int) -> ForkedChild:
        env = {**env, **torch_threads.thread_env(self.threads or torch_threads.available_cores())}
        keep = {str(p) for view in self.views for p in (view, *view.parents)}
        keep |= {str(self.sandbox / name) for name in OWN_FOLDERS}  # emptied, never removed
        request = {"sandbox": str(sandbox), "env": env, "spec": spec, "limits": limits.settings(),
                   "timeout_s": limits.timeout_s, "threads": self.threads,
                   "writable": [str(self.sandbox / name) for name in OWN_FOLDERS], "mirrors": self.mirrors,
                   "kept": sorted(keep)}
        try:
            self._channel.send(request, [out_w, report_w])
            reply, _ = self._channel.receive(timeout=60)
        except (OSError, TimeoutError, ConnectionGone) as error:
            raise WorkerLost(f"the trace worker stopped answering: {error}") from None
        if "pid" not in reply:
            raise WorkerLost(f"the trace worker refused the run: {reply.get('error', reply)}")
        return ForkedChild(self._channel, int(reply["pid"]), self._process.pid)

    def alive(self) -> bool:
        return self._process.poll() is None

    def close(self) -> None:
        self._channel.close()
        kill_process_tree(self._process.pid)
        self._process.wait()
