"""Grading an answers file is grading: each answer runs behind the OS boundary, and nothing it does in its own
process changes its grade. The attacks are answers files for the tensors bank (tests/fixtures/quiz_attacks/),
graded through the real CLI in a subprocess."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

from checker import isolation
from checker.limits import Limits
from tests.conftest import REPO
from tests.quizzes.conftest import quiz
from tests.unprivileged import _as_nobody_prefix, needs_bubblewrap, unprivileged_home

ATTACKS = REPO / "tests" / "fixtures" / "quiz_attacks"
ATTACKED = ("from_list", "uniform_random", "cat_rows", "stack_new_first", "stack_new_last", "ones_elementwise",
            "new_leading_dim")  # patch_grader.toml's seven wrong answers


def grade(answers: Path, *extra: str, env: dict | None = None):
    """`quiz run tensors --answers FILE --json` in a subprocess: (the process, its JSON report or None). The
    process starts its own grading worker: what one attack leaves behind must be a worker nobody else uses."""
    done = quiz("run", "tensors", "--answers", str(answers), "--json", *extra, env=env, own_worker=True)
    try:
        return done, json.loads(done.stdout)
    except ValueError:
        return done, None


def by_id(report: dict) -> dict:
    return {q["id"]: q for q in report["questions"]}


class Listener:
    """A loopback TCP listener that records whatever connects to it."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port, self.received, self._stop = self.sock.getsockname()[1], [], threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    self.received.append(connection.recv(1024))
                except OSError:
                    self.received.append(b"(connected)")

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


@needs_bubblewrap
def test_an_answer_that_patches_the_grader_in_its_own_process_is_graded_wrong(tmp_path):
    done, report = grade(ATTACKS / "patch_grader.toml")
    assert report is not None, done.stderr[-3000:]
    questions = by_id(report)
    assert {q: questions[q]["status"] for q in ATTACKED} == dict.fromkeys(ATTACKED, "wrong")  # judged, not lost
    assert report["score"] == 0
    assert "needs review" in questions["uniform_random"]["message"].lower()  # a predicate: linted, never run


@needs_bubblewrap
def test_an_answer_reads_writes_and_connects_to_nothing_outside_its_folder(tmp_path):
    secret = secrets.token_hex(16)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(secret)
    host_marker = tmp_path / "written-by-an-answer"
    shm_marker = Path("/dev/shm") / f"torchdrill-quiz-{secrets.token_hex(8)}"
    listener = Listener()
    answers = tmp_path / "escape.toml"
    template = (ATTACKS / "escape.toml").read_text(encoding="utf-8")
    for name, value in {"SECRET_FILE": secret_file, "HOST_MARKER": host_marker, "SHM_MARKER": shm_marker,
                        "PORT": listener.port}.items():
        template = template.replace(f"@{name}@", str(value))
    answers.write_text(template, encoding="utf-8")
    try:
        done, report = grade(answers, env={"TORCHDRILL_QUIZ_CANARY": "from the grader's environment"})
    finally:
        listener.close()
        shm_written = shm_marker.exists()
        shm_marker.unlink(missing_ok=True)
    assert report is not None, done.stderr[-3000:]
    questions = by_id(report)
    assert secret not in done.stdout and "read: " not in questions["from_list"]["message"]
    assert "[[questions]]" not in done.stdout
    assert not host_marker.exists() and not shm_written
    assert listener.received == []
    assert questions["stack_new_first"]["correct"] and questions["stack_new_last"]["correct"]  # it ran, contained
    assert "uid=" in questions["new_leading_dim"]["message"]
    if os.geteuid() == 0:
        assert "uid=0 " not in questions["new_leading_dim"]["message"]
    facts = questions["ones_elementwise"]["message"]
    processes, memory = Limits().settings()[-1][1], Limits().memory_mb * 1024 * 1024
    assert f"limits=[{processes}, {memory}]" in facts or (os.geteuid() and f", {memory}]" in facts), facts
    environment = facts.split("env=")[1].split(" (line")[0].split(",")
    assert "HOME" in environment and "TORCHDRILL_QUIZ_CANARY" not in environment  # the child's own, nothing of ours


def test_grading_without_the_os_boundary_is_refused_unless_the_grader_accepts_it(tmp_path):
    done, report = grade(ATTACKS / "patch_grader.toml", env={"TORCHDRILL_ISOLATION": isolation.PROCESS})
    assert done.returncode == 2 and report is None
    assert "bubblewrap" in done.stderr and "--allow-weak-isolation" in done.stderr


@needs_bubblewrap  # as root, the grader itself is started as nobody through bubblewrap
def test_behind_the_process_sandbox_alone_values_are_still_judged_outside_the_answers_process(tmp_path):
    home = unprivileged_home(tmp_path)
    answers = home / "patch_grader.toml"
    shutil.copy(ATTACKS / "patch_grader.toml", answers)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TORCHDRILL_HOME": str(home),
           "LANG": "C.UTF-8", "OMP_WAIT_POLICY": "PASSIVE", "PYTHONPATH": str(REPO),
           "TORCHDRILL_ISOLATION": isolation.PROCESS}
    argv = [sys.executable, "-m", "quizzes", "run", "tensors", "--answers", str(answers), "--json",
            "--allow-weak-isolation"]
    if os.geteuid() == 0:
        argv = [*_as_nobody_prefix(), *argv]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=home, timeout=300,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["score"] == 0
    assert {q: by_id(report)[q]["status"] for q in ATTACKED} == dict.fromkeys(ATTACKED, "wrong")
