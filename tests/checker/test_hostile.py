"""Hostile and broken submissions: each fixture gets its declared verdict, the host keeps every file as it was, no
process of the submission is left behind, and nothing leaks into the parent. A fixture runs through `checker verify`
in a fresh child, as a learner's script does, or, where it attacks the verdict rather than the host
(`on = "warm worker"`), on a warm worker of this module's own, as `checker grade` runs a class.

Every fixture runs behind the OS boundary (bubblewrap) where it can run, which CI requires. The fixtures declared
`process_holds = false` are also run behind the process sandbox alone, to prove that it does not hold them: the
README says so, and this test keeps that statement true.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import threading
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from checker import isolation
from reference.models import Net
from tests.conftest import REPO, run_python
from tests.unprivileged import run_checker_unprivileged, unprivileged_home

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
CASES = tomllib.loads((FIXTURES / "expected.toml").read_text())
UNTRAINED_SEED_0 = {"print_pass", "monkeypatch_torch", "read_solutions", "import_checker", *(
    name for name, case in CASES.items() if case.get("process_holds") is False)}
FALLBACK_GAPS = sorted(name for name, case in CASES.items() if case.get("process_holds") is False)
MARKER = Path("/dev/shm/torchdrill-hostile-ctypes-marker")  # what ctypes_write.py tries to create
LISTEN_PORT = 47613  # where network_connect.py tries to connect
LEFTOVER_NAMES = (b"tdhostiledaemon", b"torchdrill-hostile-sleeper")


def verify_fixture(name: str, cwd: Path, env: dict | None = None):
    case = CASES[name]
    return run_python("-m", "checker", "verify", str(FIXTURES / case["file"]), "--scenario",
                      case.get("scenario", "zero_grad"), "--json", "--timeout", str(case.get("timeout", 120)),
                      cwd=cwd, timeout=300, env=env)


def untrained_accuracy() -> float:
    """The accuracy of `torch.manual_seed(0); Net()`, computed here, in a process the fixture never touched."""
    from checker import evaluate
    from checker.child.predict import digits, load_images

    torch.manual_seed(0)
    return evaluate.score(digits(Net(), load_images(str(evaluate.images_file()))))


def host_fingerprint(home: Path) -> dict[str, str]:
    """sha256 of every file a submission must not change: the project's files and the checker's home (cache,
    progress). A FIFO or other odd file shows as its type."""
    folders = [home, *(REPO / name for name in ("checker", "reference", "buggy_examples", "quizzes", "tests"))]
    prints = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts or path.is_dir():
                continue
            prints[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not
                                 path.is_symlink() else f"not a regular file: {path.lstat().st_mode:o}")
    prints[str(MARKER)] = "exists" if MARKER.exists() else "absent"
    return prints


def leftover_processes() -> list[str]:
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            seen = (entry / "comm").read_bytes() + (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if any(name in seen for name in LEFTOVER_NAMES):
            found.append(entry.name)
    return found


@contextmanager
def loopback_listener():
    """A server on the host's loopback; yields the list of what it received."""
    received: list[bytes] = []
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", LISTEN_PORT))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    received.append(connection.recv(1024) or b"<connected>")
                except OSError:
                    received.append(b"<connected>")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        stop.set()
        thread.join()
        server.close()


@pytest.fixture(scope="module")
def own_warm_worker():
    """A lender of a warm worker of this module's own, started on first use: never one that other tests borrow, so
    that an attack on it can harm no other test. It counts the runs it made."""
    from checker.lending import RunLender

    class Counting(RunLender):
        made = 0

        def answer(self, request: dict) -> dict:
            reply = super().answer(request)
            self.made += 1
            return reply

    lender = Counting(threads=1)
    yield lender
    lender.close()


@pytest.fixture(scope="module")
def cached_reference(torchdrill_home):
    """The reference accuracy of every scenario the fixtures run under, computed once, so that no fixture's run
    writes the cache."""
    for scenario in sorted({case.get("scenario", "zero_grad") for case in CASES.values()}):
        done = run_python("-m", "checker", "verify", str(REPO / "reference" / "solutions" / f"{scenario}.py"), "--json",
                          borrow=True)  # setting up, not under test: the lent warm worker runs it
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return torchdrill_home


def expected_isolation() -> str:
    if os.environ.get("CI") and isolation.probe()[0] != isolation.BUBBLEWRAP:
        pytest.fail(f"CI must run every child behind bubblewrap, but {isolation.probe()[2]} (see .ci/run)")
    return isolation.probe()[0]


def meets_declaration(name: str, result) -> bool:
    case = CASES[name]
    if result.returncode != case["exit"] or "Traceback (most recent call last)" in result.stderr:
        return False
    says = case["says"] if isinstance(case["says"], list) else [case["says"]]
    if case["exit"] == 2:
        return any(s in result.stderr for s in says) and result.stdout == ""
    verdict = json.loads(result.stdout)
    return (verdict["passed"] is False and verdict["status"] == case["status"]
            and any(s in check["message"] for s in says for check in verdict["checks"]))


def test_only_attacks_on_the_verdict_run_on_a_warm_worker():
    """`on` is "fresh child" (the default) or "warm worker"; an attack the process sandbox alone cannot hold is one
    on the host, and a timeout is one on the run's own process: those stay in a fresh child, as `checker verify`
    runs them."""
    assert {case.get("on", "fresh child") for case in CASES.values()} <= {"fresh child", "warm worker"}
    warm = [name for name, case in CASES.items() if case.get("on") == "warm worker"]
    assert warm and not [name for name in warm if "process_holds" in CASES[name] or "timeout" in CASES[name]]


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_gets_its_declared_verdict(name, tmp_path, cached_reference, own_warm_worker):
    """Each fixture's one run: its verdict, and the host afterwards. That covers, among others, infinite_loop: a
    script that ignores SIGTERM and starts helpers (one in a session of its own) gets a timeout, and none of its
    processes is left behind; pickle_weights: the parent never unpickles the model, so the payload never runs (it
    would `touch` a marker in the folder verify was run from); import_checker: a submission cannot mark itself
    solved (the learner's progress is in the checker's home, every file of which is fingerprinted)."""
    from checker.lending import RUNS_ENV

    warm = CASES[name].get("on") == "warm worker"
    before, made = host_fingerprint(cached_reference), own_warm_worker.made
    with loopback_listener() as received:
        result = verify_fixture(name, tmp_path, {RUNS_ENV: own_warm_worker.address} if warm else None)
    assert meets_declaration(name, result), result.stdout[-3000:] + result.stderr[-3000:]
    assert own_warm_worker.made == made + warm  # where it declares it runs: never a fresh child in its stead
    if CASES[name]["exit"] == 1:
        verdict = json.loads(result.stdout)
        assert verdict["isolation"] == expected_isolation()
        if name in UNTRAINED_SEED_0 and verdict["accuracy"]["student"] is not None:  # None: it crashed instead
            assert verdict["accuracy"]["student"] == pytest.approx(untrained_accuracy(), abs=1e-9)
    assert host_fingerprint(cached_reference) == before
    assert received == []
    assert leftover_processes() == []
    assert not (tmp_path / "torchdrill-pwned-marker").exists()


@pytest.mark.parametrize("name", FALLBACK_GAPS)
def test_the_process_sandbox_alone_does_not_hold(name, tmp_path, cached_reference):
    """Stated, not hoped: each of these attacks gets through where bubblewrap cannot run. Run as an ordinary user:
    as root, the process sandbox alone refuses to start a run that could not drop root (test_isolation.py)."""
    if CASES[name].get("harms_host"):
        pytest.skip("declared, not run: behind the process sandbox alone it would harm this test run itself")
    home = unprivileged_home(tmp_path, like=cached_reference)  # the attack may poison it: never the session's own
    before = host_fingerprint(home)
    case = CASES[name]
    try:
        with loopback_listener() as received:
            result = run_checker_unprivileged(
                ["verify", str(FIXTURES / case["file"]), "--scenario", "zero_grad", "--json", "--timeout",
                 str(case.get("timeout", 120))], home, env={isolation.ENV: isolation.PROCESS})
        attack_worked = not meets_declaration(name, result) or host_fingerprint(home) != before or received
        assert attack_worked, f"{name} is held by the process sandbox too: drop its process_holds = false"
    finally:
        MARKER.unlink(missing_ok=True)


def test_no_submission_harms_the_rest_of_a_grading_batch(tmp_path, cached_reference):
    """A daemon that outlives its run and kills other runs, and a submission that kills its ancestors, graded
    first on the same warm worker as two correct fixes: the fixes still pass, and the batch writes its JSON. The
    killer reaches only its own worker: its run is retried once on a new one, then graded "error" (exit 1)."""
    if isolation.probe()[0] != isolation.BUBBLEWRAP:
        pytest.skip(f"needs the OS boundary: {isolation.probe()[2]}")
    folder = tmp_path / "class"
    for student, source in (("a_daemon", FIXTURES / "setsid_daemon.py"), ("b_killer", FIXTURES / "parent_kill.py"),
                            ("c_alice", REPO / "reference" / "solutions" / "zero_grad.py"),
                            ("d_bob", REPO / "reference" / "solutions" / "zero_grad.py")):
        (folder / student).mkdir(parents=True)
        shutil.copy(source, folder / student / "zero_grad.py")
    done = run_python("-m", "checker", "grade", str(folder), "--scenario", "zero_grad", "--jobs", "1",
                      "--json", str(tmp_path / "grades.json"), cwd=tmp_path, timeout=600)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    grades = {g["student"]: g["status"] for g in json.loads((tmp_path / "grades.json").read_text())}
    assert grades == {"a_daemon": "needs_review", "b_killer": "error", "c_alice": "fixed", "d_bob": "fixed"}
    assert leftover_processes() == []
