"""The quick budget of `checker selftest --quick`: a case that must fail is proven on the first batches of each
training pass when one of its probes fails there. Its verdict is the full budget's, because a probe that fails on
the first batches also fails when every batch runs: the slow test below proves that for every catalogue case, and
the default run proves the cap itself (a pass stops where asked, is never judged as ended early, and the
evaluation, on its first batch, and every epoch still run)."""
from __future__ import annotations

import pytest

from checker.scenario import find, load_all
from checker.selftest import cases_of, quick_applies, run_case
from checker.verify import verify
from tests.conftest import lent_worker_env


@pytest.fixture
def borrowing(monkeypatch):
    """Not about the process a run starts in: this test process's runs go to its lent warm worker, and a run made
    before in this test run is read back."""
    for name, value in lent_worker_env().items():
        monkeypatch.setenv(name, value)


def test_a_capped_pass_stops_at_the_cap_and_is_not_judged_as_ended_early(tmp_path, borrowing):
    scenario = find("stray_break")  # its probe is full_epochs: a pass that ends early fails it
    script = tmp_path / "stray_break.py"
    script.write_text(scenario.solution_path.read_text())
    verdict = verify(script, "stray_break", max_train_batches=5)
    checks = {c.id: c.passed for c in verdict.checks}
    assert checks["runs"] and checks["full_epochs"], verdict.checks
    steps = verdict.curves["student"]["epoch_steps"]
    assert steps == [5], steps  # one epoch (the budget), five batches, the loss recorded at each
    # Each evaluation pass in test() still runs, on its first batch only (1,000 of the 2,000 test images): the
    # solution's test() prints what it counted over that batch, before training and after the epoch.
    evaluations = [line for line in verdict.output.splitlines() if line.startswith("Test set:")]
    assert len(evaluations) == 2, verdict.output
    counted = [int(line.split("Accuracy: ")[1].split("/")[0]) for line in evaluations]
    assert all(0 < n <= 1000 for n in counted), evaluations
    # The accuracy is not read at the quick budget, so the child makes no predictions for it.
    accuracy = next(c for c in verdict.checks if c.id == "accuracy")
    assert not accuracy.passed and "quick budget" in accuracy.message
    assert [value for _, value in verdict.curves["student"]["accuracy"]] == [None], verdict.curves


def test_the_buggy_script_fails_its_probe_at_the_quick_budget_and_a_crash_needs_the_whole_run(tmp_path, borrowing):
    scenario = find("zero_grad")
    buggy = run_case(scenario, scenario.buggy_path.read_text(), "buggy script", "fail", (), None, quick=True)
    assert buggy.ok and buggy.budget == "quick" and buggy.failed_checks == ["grads_zeroed"]
    assert "accuracy" not in buggy.messages  # never read at the quick budget
    crash = scenario.solution_path.read_text().replace("def train(", "def train(typo, ")
    crashed = run_case(scenario, crash, "a typo", "fail", (), None, quick=True)
    assert crashed.ok and crashed.budget == "full" and "runs" in crashed.failed_checks


@pytest.mark.slow
def test_every_probe_that_fails_at_the_quick_budget_also_fails_on_the_whole_budget():
    """For every catalogue case the quick budget applies to: run it both ways. Whatever the quick run proves
    (the checks that failed, accuracy aside) the whole budget shows too, so the verdict is the same."""
    from checker.pool import run_all

    tasks = [(s, case) for s in load_all() for case in cases_of(s) if quick_applies(s, case[2], case[3])]

    def work(task, launcher):
        scenario, (name, source, expect, failing) = task
        quick = run_case(scenario, source, name, expect, failing, None, launcher, quick=True)
        full = run_case(scenario, source, name, expect, failing, None, launcher)
        return f"{scenario.id}: {name}", quick, full

    results = run_all(tasks, work, jobs=2, warm=True)
    proven_quickly = [(name, quick, full) for name, quick, full in results if quick.budget == "quick"]
    assert len(proven_quickly) >= 40, [name for name, quick, _ in results if quick.budget != "quick"]
    wrong = [(name, quick.failed_checks, full.failed_checks) for name, quick, full in proven_quickly
             if not (full.ok and set(quick.failed_checks) <= set(full.failed_checks))]
    assert wrong == []
    assert all(full.ok for _, _, full in results)
