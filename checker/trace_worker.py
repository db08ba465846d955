"""A warm worker for `checker trace` over several scripts of one folder: one process behind the folder's own
sandbox (bubblewrap, with the mounts a fresh trace child gets) imports torch once and forks the tracer for each
script, instead of one new `python -I` per script importing torch and torchvision again.

Each script still starts clean: after each run the worker kills every process the run left (it is alone in its
PID namespace), empties /dev/shm and the sandbox's own folders, and deletes whatever the run added beside the
user's entries, which are shown read-only and so cannot have changed. Behind the process sandbox alone there is no
boundary to keep a worker in, and each script gets a fresh child, as `checker trace` on one script always does.
"""
from __future__ import annotations

from pathlib import Path

from checker import isolation
from checker.sandbox import wrapped
from checker.workers import ZYGOTE_BOOTSTRAP, ForkedChild, fork_child, start_zygote, stop_zygote
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

        def argv(fd: int) -> list[str]:
            command = [*isolation.python_argv(ZYGOTE_BOOTSTRAP, identity), str(fd), "contained", "tracer"]
            return wrapped(command, prepared.sandbox, mounts, limits)

        self._process, self._channel = start_zygote(argv, prepared.sandbox, "trace worker")

    def start(self, sandbox: Path, env: dict, spec: dict, limits, out_w: int, report_w: int) -> ForkedChild:
        env = {**env, **torch_threads.thread_env(self.threads or torch_threads.default_threads())}
        keep = {str(p) for view in self.views for p in (view, *view.parents)}
        keep |= {str(self.sandbox / name) for name in OWN_FOLDERS}  # emptied, never removed
        request = {"sandbox": str(sandbox), "env": env, "spec": spec, "limits": limits.settings(),
                   "timeout_s": limits.timeout_s, "threads": self.threads,
                   "writable": [str(self.sandbox / name) for name in OWN_FOLDERS], "mirrors": self.mirrors,
                   "kept": sorted(keep)}
        return fork_child(self._process, self._channel, request, out_w, report_w, "trace worker")

    def alive(self) -> bool:
        return self._process.poll() is None

    def close(self) -> None:
        stop_zygote(self._process, self._channel)
