"""The OS boundary (bubblewrap): what a child can see and reach, the cache it cannot poison, and graders that refuse
to run submissions without it unless told to."""
from __future__ import annotations

import json
import os
import re
import shutil
import threading

import pytest

from checker import isolation, reference_cache
from checker.scenario import find
from checker.verify import run_script
from tests.conftest import REPO, run_python
from tests.unprivileged import needs_bubblewrap, run_checker_unprivileged, unprivileged_home


LOOK_AROUND = '''
import json, os, socket, sys
from reference.models import Net

def train(*args):
    pass

def test(*args):
    pass

def main():
    import reference
    solutions = os.path.join(os.path.dirname(reference.__file__), "solutions")
    facts = {"uid": os.getuid(), "root": sorted(os.listdir("/")), "solutions": os.listdir(solutions),
             "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), "home": os.environ.get("HOME")}
    for path in ("/root", "/home", "/etc/shadow", HOST_HOME):
        facts[path] = os.path.exists(path)
    try:
        socket.create_connection(("127.0.0.1", 22), timeout=2)
        facts["network"] = "connected"
    except OSError as error:
        facts["network"] = type(error).__name__
    written = 0  # the sandbox's folder has a size cap: files of 128 MB (under the file size limit) until it is full
    try:
        for number in range(16):
            with open(f"big{number}", "wb") as handle:
                for _ in range(128):
                    handle.write(b"x" * (1 << 20))
                    written += 1
    except OSError:
        pass
    facts["wrote_mb"] = written
    print("FACTS " + json.dumps(facts))
    return Net()
'''


@needs_bubblewrap
def test_the_child_sees_only_its_own_view(torchdrill_home):
    scenario = find("zero_grad")
    source = LOOK_AROUND.replace("HOST_HOME", repr(str(torchdrill_home)))
    run = run_script(scenario, "zero_grad.py", source.encode(), [], "cpu", "subset", None, 120)
    assert run.isolation == isolation.BUBBLEWRAP
    facts = json.loads(next(line for line in run.output.splitlines() if line.startswith("FACTS "))[6:])
    assert facts["solutions"] == []  # the reference package is there, its solutions are not
    assert facts["network"] != "connected"
    assert not facts["/etc/shadow"] and not facts[str(torchdrill_home)] and not facts["/home"]
    assert max(facts["pids"]) < 10  # its own PID namespace: the checker and other runs are out of sight
    assert facts["wrote_mb"] <= scenario.budget.limits().sandbox_mb  # the writable folder is a capped tmpfs
    if os.geteuid() == 0:
        assert facts["uid"] >= isolation.RUN_UID_BASE  # an unprivileged uid of the run's own, never root
    elif isolation.probe()[1] == isolation.USER_NAMESPACE:
        assert facts["uid"] == 65534


def test_a_cache_that_is_a_fifo_or_out_of_range_is_recomputed_not_trusted(tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    reader = threading.Thread(target=lambda: reference_cache._read(fifo), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "reading a FIFO cache blocked"
    assert reference_cache._read(fifo) == {}
    poisoned = tmp_path / "cache.json"
    poisoned.write_text(json.dumps({"a": {"accuracy": 0.97}, "b": {"accuracy": -1}, "c": {"accuracy": "1"},
                                    "d": {"accuracy": True}, "e": [], "f": {"accuracy": 7}}))
    assert reference_cache._read(poisoned) == {"a": {"accuracy": 0.97}}


@pytest.mark.parametrize("command", ["grade", "grade-one"])
def test_graders_refuse_to_run_without_the_os_boundary_unless_told(command, tmp_path, reference_home):
    """Run as an ordinary user: as root, without bubblewrap, a run of its own must still never be root (see
    test_without_bubblewrap_root_never_runs_a_submission_as_root)."""
    home = unprivileged_home(tmp_path, like=reference_home)
    submission = home / "zero_grad.py"
    shutil.copy(REPO / "tests" / "fixtures" / "hostile" / "print_pass.py", submission)
    os.chown(submission, *(os.stat(home).st_uid,) * 2)
    env = {isolation.ENV: isolation.PROCESS}
    refused = run_checker_unprivileged([command, str(submission), "--scenario", "zero_grad"], home, env=env)
    assert refused.returncode == 2 and refused.stdout == ""
    assert "apt-get install bubblewrap" in refused.stderr and "--allow-weak-isolation" in refused.stderr
    assert "Traceback" not in refused.stderr
    args = [command, str(submission), "--scenario", "zero_grad", "--allow-weak-isolation"]
    allowed = run_checker_unprivileged([*args, "--json", "-"] if command == "grade" else args, home, env=env)
    assert allowed.returncode == 0, allowed.stdout[-3000:] + allowed.stderr[-2000:]
    grade = json.loads(allowed.stdout)
    grade = grade[0] if isinstance(grade, list) else grade
    assert grade["status"] == "not_fixed", grade


def test_without_bubblewrap_root_never_runs_a_submission_as_root(tmp_path):
    """As root behind the process sandbox alone, a run gets a uid of its own, or, where that uid cannot start
    Python (a pyenv install under /root), a clear refusal: never a run as root."""
    if os.geteuid() != 0:
        pytest.skip("only root can start a child as root")
    result = run_python("-m", "checker", "verify", str(REPO / "tests" / "fixtures" / "hostile" / "kernel_tunables.py"),
                        "--scenario", "zero_grad", "--json", env={isolation.ENV: isolation.PROCESS}, cwd=tmp_path)
    assert "Traceback" not in result.stderr
    if result.returncode == 2:
        assert "must never run as root" in result.stderr and "apt-get install bubblewrap" in result.stderr
        return
    facts = json.loads(next(line for line in json.loads(result.stdout)["output"].splitlines()
                            if line.startswith("FACTS "))[6:])
    assert facts["uid"] >= isolation.RUN_UID_BASE


@pytest.fixture
def bubblewrap_missing(monkeypatch):
    """This process sees no bwrap on its PATH: isolation probes again, and again after the test."""
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv(isolation.ENV, raising=False)
    isolation._probe.cache_clear()
    yield
    isolation._probe.cache_clear()


def test_why_runs_are_not_behind_the_os_boundary_is_said_in_the_users_language(bubblewrap_missing):
    """The refusal to grade (which an export bundle passes on to the students), the refusal to run as root and
    the note verify and trace print: each in English and in Chinese, the reason and the install hint included."""
    refusals = [isolation.IsolationUnavailable.saying("grading_needs_it", flag="--allow-weak-isolation"),
                isolation.IsolationUnavailable.saying("never_root", uid=2_000_000_000, python="/usr/bin/python3")]
    try:
        isolation.require_os_boundary(False)
    except isolation.IsolationUnavailable as error:
        refusals.append(error)
    assert len(refusals) == 3
    for error in refusals:
        english, chinese = error.worded("en"), error.worded("zh")
        assert str(error) == english and "apt-get install bubblewrap" in english
        assert "安装 bubblewrap" in chinese and not re.search(r"\b(is|the|and|or|to)\b", chinese), chinese
    assert "bubblewrap (bwrap) is not installed" in refusals[0].worded("en")
    assert "没有安装 bubblewrap（bwrap）" in refusals[0].worded("zh")
    assert "note: runs use the process sandbox only" in isolation.fallback_notice("en")
    assert isolation.fallback_notice("zh").startswith("注意：运行只在进程沙箱中进行（没有安装 bubblewrap（bwrap））")
