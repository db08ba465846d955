"""A submission that is the scenario's solution byte for byte is run once: that run, made with the scenario's
probes, is the reference run too (checker.verify). That holds only because the probes change nothing the
training computes: the solution trains the very same model with them as without them, proven here on one
scenario in the default run and on every scenario in a slow test."""
from __future__ import annotations

import shutil

import pytest

from checker import reference_cache, verify as verify_module
from checker.scenario import find, load_all
from checker.verify import measured_accuracy, run_script, verify
from tests.conftest import lent_worker_env


@pytest.fixture
def borrowing(monkeypatch):
    """Not about the process a run starts in: runs go to this test process's lent warm worker."""
    from checker.lending import RUNS_ENV

    monkeypatch.setenv(RUNS_ENV, lent_worker_env()[RUNS_ENV])


def with_and_without_probes(scenario):
    source = scenario.solution_path.read_bytes()
    runs = [run_script(scenario, scenario.solution_path.name, source, probes, "cpu", "subset", None, None)
            for probes in (list(scenario.probes), [])]
    return [(measured_accuracy(run)[0], trained_figures((run.first("done") or {}).get("curves"))) for run in runs]


def trained_figures(curves: dict) -> dict:
    """The recorded losses and accuracies, without the seconds the evaluation took."""
    return {name: values for name, values in curves.items() if not name.endswith("_s")}


def test_the_probes_change_nothing_the_solution_trains(borrowing):
    (probed, probed_curves), (plain, plain_curves) = with_and_without_probes(find("zero_grad"))
    assert probed is not None and probed == plain
    assert probed_curves == plain_curves  # every recorded loss and accuracy, to the last digit


def test_the_solution_itself_is_run_once_and_is_its_own_reference(tmp_path, monkeypatch, borrowing):
    monkeypatch.setenv(reference_cache.CACHE_ENV, str(tmp_path / "references.json"))  # nothing cached yet
    made = []

    def counted(*args, **kwargs):
        made.append(args[3])  # the probes asked for
        return run_script(*args, **kwargs)

    monkeypatch.setattr(verify_module, "run_script", counted)
    scenario = find("zero_grad")
    mine = tmp_path / "zero_grad.py"
    shutil.copy(scenario.solution_path, mine)
    verdict = verify(mine)
    assert verdict.passed and len(made) == 1 and made[0] == list(scenario.probes)
    assert verdict.accuracy.student == verdict.accuracy.reference
    made.clear()
    buggy = tmp_path / "buggy" / "zero_grad.py"
    buggy.parent.mkdir()
    shutil.copy(scenario.buggy_path, buggy)
    assert not verify(buggy).passed and len(made) == 1  # the reference is read back; only the submission runs


@pytest.mark.slow
@pytest.mark.parametrize("scenario_id", sorted(s.id for s in load_all()))
def test_the_probes_change_nothing_any_solution_trains(scenario_id, borrowing):
    (probed, probed_curves), (plain, plain_curves) = with_and_without_probes(find(scenario_id))
    assert probed is not None and probed == plain and probed_curves == plain_curves
