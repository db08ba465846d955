"""Hostile and broken submissions: each fixture gets its declared verdict, and nothing leaks into the parent."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import torch

from reference.models import Net
from tests.conftest import run_python

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
CASES = tomllib.loads((FIXTURES / "expected.toml").read_text())
UNTRAINED_SEED_0 = {"print_pass", "monkeypatch_torch", "read_solutions", "import_checker"}


def verify_fixture(name: str, cwd: Path):
    case = CASES[name]
    return run_python("-m", "checker", "verify", str(FIXTURES / case["file"]), "--scenario", "zero_grad", "--json",
                      "--timeout", str(case.get("timeout", 120)), cwd=cwd, timeout=300)


def untrained_accuracy() -> float:
    """The accuracy of `torch.manual_seed(0); Net()`, computed here, in a process the fixture never touched."""
    from checker.evaluate import accuracy

    torch.manual_seed(0)
    return accuracy(Net().eval())


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_gets_its_declared_verdict(name, tmp_path):
    case = CASES[name]
    result = verify_fixture(name, tmp_path)
    assert "Traceback (most recent call last)" not in result.stderr
    assert result.returncode == case["exit"], result.stdout[-3000:] + result.stderr[-3000:]
    if case["exit"] == 2:
        assert case["says"] in result.stderr
        assert result.stdout == ""
        return
    verdict = json.loads(result.stdout)
    assert verdict["passed"] is False and verdict["status"] == case["status"]
    assert any(case["says"] in check["message"] for check in verdict["checks"]), verdict["checks"]
    if name in UNTRAINED_SEED_0:
        assert verdict["accuracy"]["student"] == pytest.approx(untrained_accuracy(), abs=1e-9)


def test_no_process_is_left_behind_after_a_timeout(tmp_path):
    result = verify_fixture("infinite_loop", tmp_path)
    assert json.loads(result.stdout)["status"] == "timeout"
    survivors = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"torchdrill-hostile-sleeper" in cmdline.read_bytes():
                survivors.append(cmdline.parent.name)
        except OSError:
            continue
    assert survivors == []


def test_a_pickled_payload_in_the_weights_never_runs_in_the_parent(tmp_path):
    verify_fixture("pickle_weights", tmp_path)
    assert not (tmp_path / "torchdrill-pwned-marker").exists()


def test_a_submission_cannot_mark_itself_solved(tmp_path, torchdrill_home):
    progress = torchdrill_home / "state" / "checker.json"

    def solved() -> dict:
        return json.loads(progress.read_text()).get("solved", {}) if progress.exists() else {}

    before = solved()  # other tests may have solved zero_grad honestly; this run must not change that record
    verify_fixture("import_checker", tmp_path)
    assert solved() == before
