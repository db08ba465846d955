"""Running many verifications at once: `jobs` threads, each with its own warm worker (or fresh processes).

Used by `checker grade` and `checker selftest`. Each run is still isolated exactly as `checker verify` isolates
it; the pool only saves the import of torch per run and keeps the cores busy. Under a test session that lends its
warm workers (checker.lending), the threads borrow those instead of starting their own.
"""
from __future__ import annotations

import queue
import threading
from typing import Callable, Iterable, TypeVar

from checker import lending
from checker.sandbox import FreshProcess, WorkerLost
from checker.workers import WarmWorker, WorkerError, threads_per_worker
from reference import threads as torch_threads

DEFAULT_JOBS_CAP = 8  # each job holds a warm worker (about 0.5 GB) and a training child (about 0.3 GB more)
Task = TypeVar("Task")
Result = TypeVar("Result")


class _Launchers:
    """One thread's launcher: a warm worker, restarted when it dies; fresh processes if none can start."""

    def __init__(self, warm: bool, threads: int):
        self.warm, self.threads = warm, threads
        self.worker: WarmWorker | None = None
        self.fresh = FreshProcess(threads)
        self.aborted = False

    def get(self):
        """The launcher for this thread's next run. None (the default launcher) where a test session lends its warm
        workers (checker.lending): each run borrows one, which imported torch once for the whole session."""
        if self.aborted:
            raise KeyboardInterrupt("the pool was stopped")
        if not self.warm:
            return self.fresh
        if lending.lent():
            return None
        if self.worker is None or not self.worker.alive():
            self.close()
            try:
                self.worker = WarmWorker(self.threads)
            except (WorkerError, OSError):
                self.warm = False  # e.g. no fork on this platform: every run still works, only slower
                return self.fresh
        return self.worker

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()  # its worker sees the socket close and kills the child it is running
            self.worker = None
        self.fresh.stop_all()

    def abort(self) -> None:
        """From another thread: stop this thread's work now, and start nothing new."""
        self.aborted = True
        self.close()


def default_jobs() -> int:
    """One job per available core, at most DEFAULT_JOBS_CAP (pass --jobs for more)."""
    return max(1, min(torch_threads.available_cores(), DEFAULT_JOBS_CAP))


def run_all(tasks: Iterable[Task], work: Callable[[Task, object], Result], jobs: int = 2, warm: bool = True,
            on_done: Callable[[Task, Result], None] | None = None,
            on_lost: Callable[[Task, WorkerLost], Result] | None = None) -> list[Result]:
    """`work(task, launcher)` for every task, `jobs` at a time; the results in the order of the tasks.
    A run whose warm worker died is run once more on a new worker; if that one dies too, `on_lost` gives the
    task's result (without it, the pool stops). `work` must not raise for a task's own problems (make them
    part of its result); anything it does raise stops the pool and is raised here."""
    tasks = list(tasks)
    results: list = [None] * len(tasks)
    pending: queue.Queue = queue.Queue()
    for index, task in enumerate(tasks):
        pending.put((index, task))
    errors: list[BaseException] = []
    lock = threading.Lock()
    live: list[_Launchers] = []

    def serve() -> None:
        launchers = _Launchers(warm, threads_per_worker(jobs))
        live.append(launchers)
        try:
            while not errors:
                try:
                    index, task = pending.get_nowait()
                except queue.Empty:
                    return
                results[index] = _with_retry(work, task, launchers, on_lost)
                if on_done:
                    with lock:
                        on_done(task, results[index])
        except BaseException as error:  # noqa: B036 (re-raised in the calling thread)
            errors.append(error)
        finally:
            launchers.close()

    threads = [threading.Thread(target=serve, daemon=True) for _ in range(max(1, min(jobs, len(tasks))))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:  # Ctrl-C: take no new task, and leave no child running behind us
        errors.append(KeyboardInterrupt())
        for launchers in list(live):
            launchers.abort()
        raise
    if errors:
        raise errors[0]
    return results


def _with_retry(work, task, launchers: _Launchers, on_lost):
    for attempt in (1, 2):
        try:
            return work(task, launchers.get())
        except WorkerLost as error:
            launchers.close()
            if attempt == 2:
                if on_lost is None:
                    raise
                return on_lost(task, error)
