"""Caps that hold for a whole run, not only for each of its processes: the processes and threads it runs at once,
and the memory they hold together. The kernel holds each process's own limits (checker.limits) and the disk (two
sized tmpfs, checker.isolation); these sums it cannot hold, so the parent, which the run cannot reach, watches
them from outside and stops the whole run when one goes over.

What counts as a process's memory is its proportional share of anonymous and shared-memory pages (Pss_Anon +
Pss_Shmem): the torch libraries every process maps count once, and pages a warm worker's fork still shares with
the worker count for their share only. Where that is unreadable, its resident anonymous and shared pages.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from checker.child.reaper import descendants

INTERVAL_S = 0.2
KIB = 1024


@dataclass(frozen=True)
class Over:
    """A cap the run went over: "processes" or "memory", the cap, and what was seen (tasks, or MB)."""

    what: str
    cap: int
    seen: int


@dataclass(frozen=True)
class Usage:
    tasks: int
    memory_mb: float


def usage(root: int, memory_cap_mb: float | None = None) -> Usage:
    """What the process `root` and all its descendants hold now. With `memory_cap_mb`, the proportional shares
    (smaps_rollup, which walks every page table of a process and costs milliseconds) are read only when the
    resident pages, which they never exceed, add up to more than the cap: below it, the resident sum is returned."""
    tasks, resident, statuses = 0, 0, []
    for pid in run_tree(root):
        status = _fields(Path(f"/proc/{pid}/status"))
        if not status:
            continue
        statuses.append((pid, status))
        tasks += int(status.get("Threads", "1").split()[0])
        resident += _kib(status, "RssAnon") + _kib(status, "RssShmem")
    if memory_cap_mb is not None and resident / KIB <= memory_cap_mb:
        return Usage(tasks, resident / KIB)
    kib = 0
    for pid, status in statuses:
        shared = _fields(Path(f"/proc/{pid}/smaps_rollup"))
        if "Pss_Anon" in shared:
            kib += _kib(shared, "Pss_Anon") + _kib(shared, "Pss_Shmem")
        else:
            kib += _kib(status, "RssAnon") + _kib(status, "RssShmem")
    return Usage(tasks, kib / KIB)


def run_tree(root: int) -> set[int]:
    """`root` and every process below it, from each task's /proc children list (no scan of every process on the
    machine); where the kernel has no such list, from a scan of /proc."""
    if not _CHILDREN_LISTS:
        return {root, *descendants(root)}
    found, stack = {root}, [root]
    while stack:
        pid = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as listing:
                    children = [int(child) for child in listing.read().split()]
            except (OSError, ValueError):
                continue
            for child in children:
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


_CHILDREN_LISTS = Path(f"/proc/self/task/{os.getpid()}/children").exists()


def _fields(path: Path) -> dict[str, str]:
    try:
        text = path.read_text()
    except (OSError, ValueError):
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _kib(fields: dict[str, str], name: str) -> int:
    try:
        return int(fields.get(name, "0 kB").split()[0])
    except (ValueError, IndexError):
        return 0


class RunMonitor:
    """Watches one run from a thread of its own until stop(). `root()` gives the run's first process's pid on
    this host (None while it is not known yet); `on_over` stops the run."""

    def __init__(self, root: Callable[[], int | None], processes: int, memory_mb: int,
                 on_over: Callable[[Over], None]):
        self.root, self.processes, self.memory_mb, self.on_over = root, processes, memory_mb, on_over
        self.over: Over | None = None
        self.peak = Usage(0, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> "RunMonitor":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            pid = self.root()
            if pid is None:
                continue
            now = usage(pid, self.memory_mb)
            self.peak = Usage(max(self.peak.tasks, now.tasks), max(self.peak.memory_mb, now.memory_mb))
            over = (Over("processes", self.processes, now.tasks) if now.tasks > self.processes else
                    Over("memory", self.memory_mb, round(now.memory_mb)) if now.memory_mb > self.memory_mb else None)
            if over is not None:
                self.over = over
                self.on_over(over)
                return
