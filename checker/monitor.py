"""Caps that hold for a whole run, not only for each of its processes: the processes and threads it runs at once,
and the memory they hold together. The kernel holds each process's own limits (checker.limits) and the disk (two
sized tmpfs, checker.isolation); these sums it cannot hold, so the parent, which the run cannot reach, watches
them from outside and stops the whole run when one goes over.

What counts as a process's memory is its proportional share of anonymous and shared-memory pages (Pss_Anon +
Pss_Shmem): the torch libraries every process maps count once, and pages a warm worker's fork still shares with
the worker count for their share only. Where that is unreadable, its resident anonymous and shared pages.
"""
from __future__ import annotations

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


def usage(root: int) -> Usage:
    """What the process `root` and all its descendants hold now."""
    tasks, kib = 0, 0
    for pid in {root, *descendants(root)}:
        status = _fields(Path(f"/proc/{pid}/status"))
        if not status:
            continue
        tasks += int(status.get("Threads", "1").split()[0])
        shared = _fields(Path(f"/proc/{pid}/smaps_rollup"))
        if "Pss_Anon" in shared:
            kib += _kib(shared, "Pss_Anon") + _kib(shared, "Pss_Shmem")
        else:
            kib += _kib(status, "RssAnon") + _kib(status, "RssShmem")
    return Usage(tasks, kib / KIB)


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
            now = usage(pid)
            self.peak = Usage(max(self.peak.tasks, now.tasks), max(self.peak.memory_mb, now.memory_mb))
            over = (Over("processes", self.processes, now.tasks) if now.tasks > self.processes else
                    Over("memory", self.memory_mb, round(now.memory_mb)) if now.memory_mb > self.memory_mb else None)
            if over is not None:
                self.over = over
                self.on_over(over)
                return
