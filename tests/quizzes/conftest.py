"""Fixtures for the quiz tests: one worker for the whole session (torch is imported once), the built-in banks,
and helpers that run `python -m quizzes` as a real subprocess. Those subprocesses borrow this process's started
workers (quizzes.lending) unless the test is about the worker itself (`own_worker=True`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizzes.cli import main
from quizzes.engine import Engine
from quizzes.lending import LEND_ENV, WorkerLender
from quizzes.schema import default_banks_dir, discover, load
from quizzes.worker import shared
from tests.conftest import REPO, lender, run_python

MINIMUM_SIZES = {"tensors": 12, "autograd": 20, "dataloader": 8, "cnn": 8, "training": 10, "spot_the_bug": 6,
                 "modules": 10}


def mnist_available() -> bool:
    try:
        from reference.data import mnist_root  # noqa: F401
    except ImportError:
        return False
    return True


requires_mnist = pytest.mark.skipif(not mnist_available(), reason="reference.data (the embedded MNIST subset) is "
                                                                  "not importable yet")


def quiz(*args: str, input: str | None = None, env: dict | None = None, timeout: float = 300,
         own_worker: bool = False):
    """Run `python -m quizzes ARGS...` in a real subprocess; stdin is `input`, or closed when None. The process
    borrows this one's started workers, or, with `own_worker`, starts its own as a user's would."""
    env = {**({} if own_worker else {LEND_ENV: lender(WorkerLender).address}), **(env or {})}
    if input is None:
        return run_python("-m", "quizzes", *args, env=env, timeout=timeout)
    return subprocess.run([sys.executable, "-m", "quizzes", *args], input=input, capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **env}, timeout=timeout)


@pytest.fixture(scope="session")
def worker():
    """The process's shared worker, so that in-process CLI runs (CliRunner) and engine tests import torch once."""
    shared_worker = shared()
    shared_worker.start()
    yield shared_worker
    shared_worker.close()


@pytest.fixture(scope="session")
def banks():
    return {bank_id: load(path) for bank_id, path in discover(default_banks_dir()).items()}


@pytest.fixture(scope="session")
def canonical_answers(banks, worker):
    """bank id -> {question id: canonical answer}; predict answers come from live torch, never from the bank."""
    answers = {}
    for bank_id, bank in banks.items():
        engine = Engine(bank, worker)
        answers[bank_id] = {q.id: engine.expected(q) for q in bank.questions}
    return answers


def invoke(*args: str, input: str | None = None):
    """Run the CLI in this process (sharing the session's worker) and return click's Result."""
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def write_answers(path: Path, answers: dict) -> Path:
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return path
