"""Fork, run one job in the fork, and watch it: a wall-clock timeout, an output cap, and a report of how it ended.
The fork reports through its own pipe with a length prefix, so a grandchild that keeps the pipe open cannot stall
the worker, and nothing the job prints can be taken for its report."""
from __future__ import annotations

import json
import os
import resource
import select
import signal
import struct
import sys
import time

OUTPUT_HEAD, OUTPUT_TAIL = 3000, 1500  # bytes of the job's output kept for the student
FLOOD_BYTES = 2 * 1024 * 1024  # more output than this is a flood: the job is stopped
MEMORY_BUDGET = 4 * 1024 ** 3  # address space a job may add to what the worker already maps
REPORT_MAX = 16 * 1024 * 1024


def supervise(job: dict, folder: str) -> dict:
    """Run `job` in a fork working in `folder`; return its status, capped output and report."""
    report_r, report_w = os.pipe()
    output_r, output_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(job, folder, report_w, output_w, (report_r, output_r))
    os.close(report_w)
    os.close(output_w)
    try:
        os.setpgid(pid, pid)  # also done in the fork: whichever runs first wins the race
    except OSError:
        pass
    try:
        return _watch(pid, report_r, output_r, float(job.get("timeout_s", 20)), started)
    finally:
        os.close(report_r)
        os.close(output_r)


def _child(job: dict, folder: str, report_w: int, output_w: int, parent_ends: tuple) -> None:
    """In the fork: isolate, run the job, send the report, and leave without running any cleanup of the worker."""
    try:
        os.setpgid(0, 0)
        _die_with_worker()
        for fd in parent_ends:
            os.close(fd)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(output_w, 1)
        os.dup2(output_w, 2)
        os.close(output_w)
        os.chdir(folder)
        _limit_resources(job.get("limits"))
        report = json.dumps(_run(job)).encode()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        _write_all(report_w, struct.pack("!Q", len(report)) + report)
    finally:
        os._exit(0)


def _die_with_worker() -> None:
    """Ask Linux to kill this fork if the worker dies (killed by the quiz while a job ran), so none is orphaned."""
    worker = os.getppid()
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 is PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: the worker's timeout still applies while it lives
    if os.getppid() != worker:  # the worker died before the request took effect
        os._exit(1)


def _run(job: dict) -> dict:
    """The job's report; an exception here is a bug of ours, reported as such rather than blamed on the student."""
    try:
        from quizzes.child.execute import run_job

        return run_job(job)
    except BaseException:
        import traceback

        return {"phase": "internal", "error": traceback.format_exc(limit=-3)}


def _limit_resources(given: list | None) -> None:
    """The job's own limits when it brings them (grading: the checker's, processes included), else a budget of
    memory on top of what the worker maps, a file size cap and no core dump."""
    mapped = _mapped_bytes()
    limits = given or [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, 256 * 1024 ** 2)]
    if mapped and not given:
        limits.append((resource.RLIMIT_AS, mapped + MEMORY_BUDGET))
    for which, value in limits:
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass  # not supported here; the timeout still applies


def _mapped_bytes() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


class _Output:
    """The job's output, capped: the head and the tail are kept, the middle is counted."""

    def __init__(self):
        self.head, self.tail, self.total = bytearray(), bytearray(), 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = OUTPUT_HEAD - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail = (self.tail + chunk)[-OUTPUT_TAIL:]

    def text(self) -> str:
        skipped = self.total - len(self.head) - len(self.tail)
        marker = f"\n[... {skipped:,} bytes of output left out ...]\n".encode() if skipped > 0 else b""
        return (bytes(self.head) + marker + bytes(self.tail)).decode("utf-8", errors="replace")


def _watch(pid: int, report_r: int, output_r: int, timeout_s: float, started: float) -> dict:
    report, output, status, exit_status = bytearray(), _Output(), "", None
    open_fds = [report_r, output_r]
    while not status:
        remaining = started + timeout_s - time.monotonic()
        if remaining <= 0:
            status = "timeout"
            break
        _read_ready(open_fds, report_r, report, output, min(remaining, 0.1))
        if output.total > FLOOD_BYTES:
            status = "flood"
        elif _complete(report) or len(report) > REPORT_MAX:
            status = "done"
        elif exit_status is None:
            exit_status = _reaped(pid)
        else:  # the fork has ended: whatever it reported is already in the pipe
            _read_ready(open_fds, report_r, report, output, 0)
            status = "done" if _complete(report) else "crashed"
    _drain(output_r, output)
    _kill_group(pid)
    if exit_status is None:
        exit_status = os.waitpid(pid, 0)[1]
    return _result(status, report, output, exit_status, time.monotonic() - started)


def _read_ready(open_fds: list, report_r: int, report: bytearray, output: "_Output", wait_s: float) -> None:
    if not open_fds:
        time.sleep(wait_s)
        return
    for fd in select.select(open_fds, [], [], wait_s)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            open_fds.remove(fd)
        elif fd == report_r:
            report += chunk
        else:
            output.add(chunk)


def _complete(report: bytearray) -> bool:
    return len(report) >= 8 and len(report) - 8 >= struct.unpack("!Q", report[:8])[0]


def _reaped(pid: int):
    done, exit_status = os.waitpid(pid, os.WNOHANG)
    return exit_status if done else None


def _drain(fd: int, output: _Output) -> None:
    """Whatever the job printed right before it ended, without waiting for grandchildren."""
    while select.select([fd], [], [], 0)[0] and output.total <= FLOOD_BYTES:
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        output.add(chunk)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # the fork and anything it started (DataLoader workers, subprocesses)
    except (ProcessLookupError, PermissionError):
        pass


def _result(status: str, report: bytearray, output: _Output, exit_status: int, seconds: float) -> dict:
    result = {"status": status, "output": output.text(), "seconds": round(seconds, 3)}
    if status == "done":
        try:
            result["report"] = json.loads(bytes(report[8:]))
        except (ValueError, RecursionError):  # a report the job forged, nested past what the parser takes
            result["status"] = "crashed"
    if result["status"] == "crashed":
        result["exit"] = _describe_exit(exit_status)
    return result


def _describe_exit(exit_status: int) -> str:
    if os.WIFSIGNALED(exit_status):
        number = os.WTERMSIG(exit_status)
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit code {os.WEXITSTATUS(exit_status)}"
