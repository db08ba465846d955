"""Resource limits for the child: address space, CPU time, file size, no core dumps, output and weights caps."""
from __future__ import annotations

import resource
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 180.0  # wall clock; the whole process tree is killed after it
    memory_mb: int = 6144  # address space (importing torch alone maps about 3.6 GB)
    file_mb: int = 256  # largest file the script may write
    output_bytes: int = 32 * MIB  # more output than this is a flood: the child is stopped
    weights_bytes: int = 64 * MIB
    sandbox_mb: int = 1024  # everything the script writes in its folder, under the OS boundary (a tmpfs)

    def settings(self) -> list[tuple[int, int]]:
        """(resource, value) pairs, each set as both the soft and the hard limit."""
        return [
            (resource.RLIMIT_AS, self.memory_mb * MIB),
            (resource.RLIMIT_CPU, int(self.timeout_s * 4) + 10),  # CPU seconds over all threads
            (resource.RLIMIT_FSIZE, self.file_mb * MIB),
            (resource.RLIMIT_CORE, 0),
        ]

    def apply_to(self, pid: int) -> None:
        """Set the limits on a running process (Linux prlimit); elsewhere the timeout still applies."""
        for which, value in self.settings():
            try:
                resource.prlimit(pid, which, (value, value))
            except (AttributeError, OSError, ValueError):
                pass  # no prlimit here, or the process already ended
