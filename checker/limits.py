"""Resource limits for the child: address space, CPU time, file size, no core dumps, output, and the caps on the
whole run (its processes and threads, its memory, everything it writes)."""
from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 180.0  # wall clock; the whole process tree is killed after it
    memory_mb: int = 6144  # address space (importing torch alone maps about 3.6 GB)
    file_mb: int = 256  # largest file the script may write
    output_bytes: int = 32 * MIB  # more output than this is a flood: the child is stopped
    sandbox_mb: int = 1024  # everything the script writes, under the OS boundary: its folder and /dev/shm together
    processes: int = 256  # processes and threads together (torch's threads and DataLoader workers count)
    run_memory_mb: int = 4096  # memory held by all the run's processes together (checker.monitor)

    def settings(self) -> list[tuple[int, int]]:
        """(resource, value) pairs, each set as both the soft and the hard limit."""
        return [
            (resource.RLIMIT_AS, self.memory_mb * MIB),
            (resource.RLIMIT_CPU, int(self.timeout_s * 4) + 10),  # CPU seconds over all threads
            (resource.RLIMIT_FSIZE, self.file_mb * MIB),
            (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_NPROC, self.processes + _tasks_already_counted(self.processes)),
        ]

    def apply_to(self, pid: int) -> None:
        """Set the limits on a running process (Linux prlimit); elsewhere the timeout still applies."""
        for which, value in self.settings():
            try:
                resource.prlimit(pid, which, (value, value))
            except (AttributeError, OSError, ValueError):
                pass  # no prlimit here, or the process already ended


def _tasks_already_counted(processes: int) -> int:
    """RLIMIT_NPROC counts every task of the child's host uid. As root, each run has a uid of its own
    (checker.isolation.run_identity), so nothing else counts. As an ordinary user, the user's other processes
    and threads count too, now and while the run goes on: the limit is set that far above them, with room for
    the user's other work to grow (a backstop against a fork bomb; the run monitor holds the exact cap)."""
    if os.geteuid() == 0 or not Path("/proc/self/status").exists():
        return 0
    uid, tasks = str(os.getuid()), 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [uid]:
            tasks += int(fields.get("Threads", "1"))
    return tasks + max(1024, 4 * processes)
