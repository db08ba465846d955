"""Torch's CPU thread pools, set so that several torch processes can share the cores.

By default torch's OpenMP threads spin while they wait for work. Alone on a machine that costs nothing, but two
torch processes on the same cores starve each other: on a 2-core machine each ran about 9 times slower. With
OMP_WAIT_POLICY=PASSIVE the waiting threads sleep instead, and a process alone loses about 3%. The setting is
read when torch's OpenMP runtime loads, so it must be in the environment before `import torch`.

TORCHDRILL_SPIN=1 leaves the wait policy at torch's default (spinning), for comparison in bench/.
"""
from __future__ import annotations

import os

SPIN_ENV = "TORCHDRILL_SPIN"
WAIT_POLICY = "OMP_WAIT_POLICY"


def spinning_allowed() -> bool:
    return os.environ.get(SPIN_ENV, "") not in ("", "0")


def available_cores() -> int:
    """The cores this process may run on (a container or `taskset` can give fewer than the machine has)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """Torch threads for a process that is not told how many: OMP_NUM_THREADS where the user (or a test run that
    starts one torch process per core) set it, else every core this process may use."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return available_cores()


def threads_per_job(jobs: int) -> int:
    """Torch threads for each of `jobs` processes running at once, so that together they fill the cores once."""
    return max(1, available_cores() // max(1, jobs))


def thread_env(threads: int | None) -> dict[str, str]:
    """The environment variables that make a new torch process wait quietly and use `threads` threads
    (None: as many as torch likes). The user's own OMP_WAIT_POLICY wins over ours."""
    env = {} if spinning_allowed() else {WAIT_POLICY: os.environ.get(WAIT_POLICY, "PASSIVE")}
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def quiet_this_process() -> None:
    """Make this process's own torch wait quietly, if torch is not loaded yet (call it before importing torch)."""
    if not spinning_allowed():
        os.environ.setdefault(WAIT_POLICY, "PASSIVE")
