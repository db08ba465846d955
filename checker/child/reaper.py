"""Killing a process tree: every descendant, even those that started a session of their own (stdlib only, so
that a warm worker inside the OS boundary can use it too)."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def kill_process_tree(pid: int) -> None:
    """SIGKILL the child's process group and every descendant, even those that left the group."""
    for _ in range(3):
        victims = descendants(pid) | {pid}
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        _kill_each(victims)
        if not descendants(pid):
            return
        time.sleep(0.05)


def _kill_each(pids) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def descendants(root: int) -> set[int]:
    """Every process below `root` (its children, theirs, ...), from /proc."""
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


def kill_all_but(keep: set[int]) -> None:
    """SIGKILL every process this process can see except `keep`: inside a PID namespace of our own (a warm
    worker under bubblewrap) these are all leftovers of the last run, such as a daemon that left its session."""
    for _ in range(20):
        strays = {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()} - keep
        if not strays:
            return
        _kill_each(strays)
        _reap_children()
        time.sleep(0.01)


def _reap_children() -> None:
    """Collect exited children (orphans are re-parented to the namespace's first process, not to us)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
