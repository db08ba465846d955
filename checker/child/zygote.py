"""A warm worker: a process that imports torch once, then forks one sandboxed child per run (a small fork server).

The checker starts it as `python -I -c <bootstrap> FD`, FD being its end of a Unix socket. For each request (a
sandbox, its inputs, environment, limits and the harness spec, with the child's stdout and report pipe passed as
file descriptors) it makes the run's folder afresh, linking to the inputs the checker wrote (read-only), and forks.
The child starts its own session, applies the resource limits, moves into the sandbox and runs the harness exactly
as a fresh `python -I` child would, minus the seconds of importing torch. The worker answers with the child's pid,
then with its exit status. The worker itself never runs torch code, so forking it is safe: there are no threads
and no thread pools to inherit.

Each student starts clean: after a run, everything the run left is gone before the next one starts (its processes,
and every file in the worker's writable folder and, behind the OS boundary, in /dev/shm), no link it left is ever
followed, and the worker is not dumpable, so no run can open its memory (/proc/PID/mem) to reach the next.
"""
from __future__ import annotations

import ctypes
import os
import random
import resource
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path

from checker.child.reaper import kill_all_but, kill_process_tree
from checker.child.wipe import empty_folder
from checker.child.wire import Channel, ConnectionGone, close_quietly

POLL_S = 0.05
PR_SET_DUMPABLE = 4
BACKSTOP_S = 30  # past the checker's own timeout, the worker kills a child itself (if the checker went away)


CHILDREN = {"harness": "checker.child.harness", "tracer": "checker.child.tracer"}  # what a worker's children run


def preload(child: str = "harness") -> None:
    """Everything a child would otherwise import at its start."""
    import torch  # noqa: F401
    import torch.nn.functional  # noqa: F401
    import torchvision  # noqa: F401
    import torchvision.datasets  # noqa: F401

    if child == "tracer":
        from checker.child import curves, guard, trace_probes, tracer  # noqa: F401
    else:
        from checker.child import custom, graphs, guard, harness, loop_probes, posthoc, probes  # noqa: F401


def become_child(request: dict, fds: list[int], child: str = "harness") -> None:
    """In the forked child: isolate, limit, then run the harness (or the tracer). Never returns."""
    try:
        os.setsid()  # its own session and process group, so the checker can kill the whole tree
        out_fd, report_fd = fds
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        close_quietly(devnull)
        close_quietly(out_fd)
        for which, value in request["limits"]:
            resource.setrlimit(which, (value, value))
        os.chdir(request["sandbox"])
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None  # computed from the worker's TMPDIR when torch was imported; use the sandbox's
        random.seed()  # as a fresh process would: not the state every child would otherwise inherit
        if request.get("threads"):
            import torch

            torch.set_num_threads(request["threads"])
        import importlib

        from checker.child import harness

        spec = {**request["spec"], "report_fd": report_fd}
        importlib.import_module(CHILDREN[child]).run(spec, harness.Reporter(report_fd, spec["nonce"]))
    except BaseException:  # noqa: B036 (a child must never fall back into the worker's loop)
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(0)


def wait_for(pid: int, channel: Channel, backstop_s: float) -> int:
    """The child's exit code (negative for a signal). Kills its tree when the checker asks, went away, or the
    backstop passed, so no child outlives its checker."""
    deadline = time.monotonic() + backstop_s
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline or _kill_asked(channel):
            kill_process_tree(pid)
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        time.sleep(POLL_S)


def _kill_asked(channel: Channel) -> bool:
    """Whether the checker asked to kill the running child, or went away."""
    if not channel.readable():
        return False
    try:
        message, fds = channel.receive(timeout=5)
    except (ConnectionGone, TimeoutError, OSError, ValueError):
        return True
    for fd in fds:
        close_quietly(fd)
    return "kill" in message


def serve(channel: Channel, contained: bool, child: str = "harness") -> None:
    """Fork one child per request. A harness run gets a folder made afresh in the worker's scratch folder, emptied
    afterwards; a trace runs in the worker's own sandbox (the user's folder as bubblewrap shows it), whose writable
    folders are emptied afterwards, and whose working folder loses whatever the run added to it."""
    while True:
        try:
            request, fds = channel.receive()
        except ConnectionGone:
            return
        if "kill" in request and not fds:
            continue  # a kill that crossed the child's end: nothing is running
        if len(fds) != 2:
            for fd in fds:
                close_quietly(fd)
            channel.send({"error": f"expected 2 file descriptors, got {len(fds)}"})
            continue
        sandbox = Path(request["sandbox"])
        try:
            if child == "harness":
                make_run_folder(sandbox, Path(request["inputs"]), request["links"], request["folders"])
        except OSError as error:
            for fd in fds:
                close_quietly(fd)
            channel.send({"error": f"the run's folder could not be made: {error}"})
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            channel.sock.close()
            become_child(request, fds, child)
        for fd in fds:
            close_quietly(fd)
        channel.send({"pid": pid})
        code = wait_for(pid, channel, request["timeout_s"] + BACKSTOP_S)
        if child == "harness":
            clean_up(sandbox.parent, contained)
        else:
            clean_up_trace(request["writable"], request["mirrors"], request["kept"], contained)
        channel.send({"exit": code})


def make_run_folder(sandbox: Path, inputs: Path, links: list[str], folders: list[str]) -> None:
    """The run's folder, made afresh: its own empty folders, and a link to each of its inputs (read-only)."""
    sandbox.mkdir()
    for name in folders:
        (sandbox / name).mkdir(exist_ok=True)
    for relative in links:
        (sandbox / relative).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(inputs / relative, sandbox / relative)


def clean_up(scratch: Path, contained: bool) -> None:
    """Everything the run left, before the next one: its processes, then every file it could write. Alone in our
    PID namespace (behind the OS boundary), every other process is the run's, even a daemon that left its session,
    and /dev/shm is the worker's own; behind the process sandbox alone, /dev/shm is the host's, never touched."""
    if contained:
        kill_all_but({1, os.getpid()})
        empty_folder(Path("/dev/shm"))
    empty_folder(scratch)


def clean_up_trace(writable: list[str], mirrors: list[str], kept: list[str], contained: bool) -> None:
    """Everything a trace left, before the next script of the folder runs: its processes, the files in its own
    folders, and whatever it added beside the user's entries (shown read-only, they stay) in the folders that
    mirror the user's."""
    if contained:
        kill_all_but({1, os.getpid()})
        empty_folder(Path("/dev/shm"))
    for folder in writable:
        empty_folder(Path(folder))
    for folder in mirrors:
        empty_folder(Path(folder), frozenset(kept))


def main(fd: int, contained: bool = False, child: str = "harness") -> None:
    channel = Channel(socket.socket(fileno=fd))
    try:
        preload(child)
    except BaseException as error:  # noqa: B036
        channel.send({"error": f"the worker could not import torch: {type(error).__name__}: {error}"})
        return
    if contained and os.getpid() > 3:
        channel.send({"error": "the worker expected a PID namespace of its own, and is not in one"})
        return
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        channel.send({"error": "the worker could not make itself non-dumpable"})
        return
    channel.send({"ready": True, "pid": os.getpid()})
    serve(channel, contained, child)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:3] == ["contained"], sys.argv[3] if len(sys.argv) > 3 else "harness")
