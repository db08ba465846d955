"""Warm workers: a child forked from a pre-started worker is isolated exactly like a fresh `python -I` child,
and a worker that dies costs one submission a retry, never the batch."""
from __future__ import annotations

import json
import os
import shutil
import textwrap

import pytest

from checker.scenario import find
from checker.verify import run_script, verify
from checker.workers import WarmWorker
from tests.conftest import REPO, run_python
from tests.unprivileged import needs_bubblewrap, run_checker_unprivileged, unprivileged_home

REPORT_ISOLATION = textwrap.dedent('''
    import json, os, resource, sys, tempfile
    from reference.models import Net

    def train(*args):
        pass

    def test(*args):
        pass

    def main():
        facts = {"own_group": os.getpgrp() == os.getpid(), "isolated": sys.flags.isolated,
                 "cwd_is_home": os.getcwd() == os.environ["HOME"], "tmp_inside": tempfile.gettempdir().startswith(os.getcwd()),
                 "address_space": resource.getrlimit(resource.RLIMIT_AS)[0], "core": resource.getrlimit(resource.RLIMIT_CORE)[0],
                 "env": sorted(os.environ), "stdin": sys.stdin.read()}
        print("FACTS " + json.dumps(facts))
        return Net()
''')


def facts_of(run, prefix: str = "FACTS ") -> dict:
    line = next((line for line in run.output.splitlines() if line.startswith(prefix)), None)
    assert line is not None, run.output[-3000:]
    return json.loads(line[len(prefix):])


def test_a_warm_child_is_isolated_like_a_fresh_one():
    scenario = find("zero_grad")
    fresh = run_script(scenario, "zero_grad.py", REPORT_ISOLATION.encode(), [], "cpu", "subset", None, 120)
    with WarmWorker(threads=1) as worker:
        warm = run_script(scenario, "zero_grad.py", REPORT_ISOLATION.encode(), [], "cpu", "subset", None, 120,
                          launcher=worker)
    assert facts_of(warm) == facts_of(fresh)
    facts = facts_of(warm)
    assert facts["own_group"] and facts["isolated"] and facts["cwd_is_home"] and facts["tmp_inside"]
    assert facts["address_space"] == scenario.budget.memory_mb * 1024 * 1024 and facts["core"] == 0
    assert facts["stdin"] == "" and "TORCHDRILL_HOME" in facts["env"]


def test_warm_and_fresh_runs_give_the_same_verdicts(tmp_path):
    with WarmWorker(threads=1) as worker:
        for name, source in (("zero_grad.py", find("zero_grad").buggy_path), ("stray_break.py", find("stray_break").solution_path)):
            shutil.copy(source, tmp_path / name)
            fresh = verify(tmp_path / name)
            warm = verify(tmp_path / name, launcher=worker)
            assert [(c.id, c.passed) for c in warm.checks] == [(c.id, c.passed) for c in fresh.checks]
            assert warm.accuracy.student == pytest.approx(fresh.accuracy.student, abs=0.01)


def test_the_timeout_still_kills_the_whole_tree_from_a_warm_worker(tmp_path):
    hostile = tmp_path / "zero_grad.py"
    source = (REPO / "tests" / "fixtures" / "hostile" / "infinite_loop.py").read_text()
    # Its sleepers get a name of their own: test_hostile.py, in another pytest worker, looks for the fixture's.
    hostile.write_text(source.replace("torchdrill-hostile-sleeper", "torchdrill-worker-sleeper"))
    with WarmWorker(threads=1) as worker:
        verdict = verify(hostile, timeout_s=6, launcher=worker)
        assert "did not finish within" in verdict.checks[1].message  # checks[0]: the tamper lint's (subprocess)
        assert worker.alive()  # the worker itself carries on with the next submission


KILLS_ITS_PARENT_NATIVELY = textwrap.dedent('''
    import ctypes, os, signal
    from reference.models import Net

    def train(*args):
        pass

    def test(*args):
        pass

    def main():
        ctypes.CDLL(None).kill(os.getppid(), signal.SIGKILL)  # past the audit hook: native code
        return Net()
''')


def test_a_submission_that_kills_its_worker_costs_only_its_own_grade(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a_killer.py").write_text(KILLS_ITS_PARENT_NATIVELY)
    shutil.copy(find("zero_grad").solution_path, folder / "b_honest.py")
    done = run_python("-m", "checker", "grade", str(folder), "--scenario", "zero_grad", "--jobs", "1", "--json", "-",
                      cwd=tmp_path, timeout=600)
    grades = {g["student"]: g for g in json.loads(done.stdout)}
    assert grades["a_killer"]["status"] == "error" and "killed twice" in grades["a_killer"]["message"]
    assert grades["b_honest"]["status"] == "fixed"
    assert done.returncode == 1  # the grader says that one submission needs a look by hand


HOSTILE = REPO / "tests" / "fixtures" / "hostile"


@needs_bubblewrap
@pytest.mark.parametrize("who", ["as_invoked", "unprivileged"])
def test_each_student_starts_clean_on_a_warm_worker(who, tmp_path, reference_home):
    """Graded on one worker, one after the other: a submission that corrupts its worker's memory, one that leaves
    files, a 300 MB ballast and links to host folders behind, one that crashes if it finds any of it, and an honest
    fix. The reader finds nothing, no host folder changes, and the honest fix is graded "fixed"."""
    home = unprivileged_home(tmp_path, like=reference_home) if who == "unprivileged" else tmp_path
    folder = home / "class"
    for student, source in (("a_corrupter", HOSTILE / "worker_memory.py"), ("b_writer", HOSTILE / "leftovers_writer.py"),
                            ("c_reader", HOSTILE / "leftovers_reader.py"),
                            ("d_honest", REPO / "reference" / "solutions" / "zero_grad.py")):
        (folder / student).mkdir(parents=True)
        shutil.copy(source, folder / student / "zero_grad.py")
    if who == "unprivileged":
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, *(os.stat(home).st_uid,) * 2)
    host = {path: os.stat(path) for path in ("/etc", "/root", "/home", "/var/tmp") if os.path.exists(path)}
    args = ["grade", str(folder), "--scenario", "zero_grad", "--jobs", "1", "--json", str(home / "grades.json")]
    done = run_checker_unprivileged(args, home) if who == "unprivileged" else run_python("-m", "checker", *args,
                                                                                          cwd=tmp_path, timeout=600)
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]
    grades = {g["student"]: g for g in json.loads((home / "grades.json").read_text())}
    reader_runs = next(c["message"] for c in grades["c_reader"]["checks"] if c["id"] == "runs")
    assert grades["c_reader"]["status"] == "not_fixed", reader_runs
    assert grades["d_honest"]["status"] == "fixed", grades["d_honest"]["checks"]
    for path, before in host.items():
        after = os.stat(path)
        assert (after.st_mode, after.st_uid, after.st_ctime_ns) == (before.st_mode, before.st_uid, before.st_ctime_ns)


def test_verify_borrows_the_lent_warm_worker_and_runs_its_own_when_the_lender_is_gone(tmp_path):
    """checker.lending: a `checker verify` process given a lender imports torch nowhere of its own and gets the
    same verdict, behind the same boundary; given an address nobody answers at, it starts its own child."""
    from checker.lending import RUNS_ENV
    from tests.conftest import lent_worker_env

    isolation = {}
    for name, env in (("lent", lent_worker_env()), ("gone", {RUNS_ENV: str(tmp_path / "nobody.sock")})):
        ledger = tmp_path / f"{name}.jsonl"
        result = run_python("-m", "checker", "verify", "buggy_examples/stray_break.py", "--json",
                            env={**env, "TORCHDRILL_RUN_LEDGER": str(ledger)})  # one step an epoch: a short run
        verdict = json.loads(result.stdout)
        assert result.returncode == 1 and verdict["status"] == "not_fixed", result.stderr[-2000:]
        assert [c["id"] for c in verdict["checks"] if not c["passed"]] == ["full_epochs", "accuracy"]
        events = [json.loads(line) for line in ledger.read_text().splitlines()]
        started = [e for e in events if e["event"] == "torch_process"]
        assert (len(started) == 0) if name == "lent" else (len(started) >= 1), events
        runs = [e for e in events if e["event"] == "run"]  # the lent run is in the lender's ledger
        assert (runs == []) if name == "lent" else (len(runs[0]["key"]) == 16), events
        isolation[name] = verdict["isolation"]
    assert isolation["lent"] == isolation["gone"]
