"""`checker trace` on the catalogue: every buggy script's bug found at its cause's line, and nothing found on
the solutions, on every fix a scenario declares as passing and on correct scripts of our own. The scripts of each
folder are traced together (checker.trace.trace_many: one warm worker per folder behind bubblewrap, each script
starting clean); the command line itself is tested in tests/checker/test_trace.py. (A file of its own, so
pytest-xdist runs it beside that one.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from checker.scenario import find, load_all, variant_source
from checker.trace import trace_many
from tests.conftest import REPO

OWN = REPO / "tests" / "fixtures" / "own_scripts"  # correct scripts of other shapes: a VAE, a word LM, ...
STEPS = "10"  # enough for every probe: each bug shows in the first steps, or in the evaluation the budget lets run


# The code each buggy script's trace must report, and the line of the cause it must name.
CATALOGUE = {
    "zero_grad": ("TD101", "loss.backward()"),
    "reshape": ("TD103", "t = t.reshape(batch_size, 192)"),
    "eval_mode": ("TD104", "output = network(data)"),
    "no_grad": ("TD105", "preds = network(images)"),
    "resume": ("TD106", "continued_optimizer = make_optimizer(network)"),
    "scheduler": ("TD107", "scheduler.step()"),
    "softmax_loss": ("TD108", "return F.softmax(t, dim=1)  # class probabilities, each row sums to 1"),
    "data_split": ("TD109", "train_set = torchvision.datasets.MNIST(data_root, train=False, download=False, "
                            "transform=transform)"),
    "loss_item": ("TD110", "total_loss += loss"),
    "stray_break": ("TD111", "break"),
    "train_mode": ("TD112", "output = network(data)"),
    "grad_disabled": ("TD113", "torch.set_grad_enabled(False)"),
    "checkpoint": ("TD114", 'torch.save(model.state_dict(), os.path.join(folder, "model.pth"))'),
}


def test_every_catalogue_scenario_has_its_trace_code():
    assert set(CATALOGUE) == {s.id for s in load_all()}


def found(data, source_path) -> set[tuple[str, str]]:
    lines = source_path.read_text().splitlines()
    return {(f["code"], lines[f["line"] - 1].strip() if f["line"] else "") for f in data["findings"]}


PASSING = [(s.id, v) for s in load_all() for v in s.variants if v.expect == "pass"]


@pytest.fixture(scope="module")
def traced(tmp_path_factory) -> dict[Path, dict]:
    """Every buggy script, every solution and every passing variant (written into one folder), traced: path ->
    the result as `checker trace --format json` prints it."""
    variants = tmp_path_factory.mktemp("variants")
    scripts = [s.buggy_path for s in load_all()] + [s.solution_path for s in load_all()]
    for number, (scenario_id, variant) in enumerate(PASSING):
        script = variants / f"{scenario_id}_{number}.py"
        script.write_text(variant_source(find(scenario_id), variant))
        scripts.append(script)
    return {path: result.to_dict() for path, result in zip(scripts, trace_many(scripts, max_steps=int(STEPS)))}


@pytest.mark.parametrize("scenario_id", sorted(CATALOGUE))
def test_trace_finds_the_catalogue_bug_at_its_cause(scenario_id, traced):
    scenario = find(scenario_id)
    data = traced[scenario.buggy_path]
    assert CATALOGUE[scenario_id] in found(data, scenario.buggy_path), data


@pytest.mark.parametrize("scenario_id", sorted(CATALOGUE))
def test_trace_is_quiet_on_the_solution(scenario_id, traced):
    data = traced[find(scenario_id).solution_path]
    assert data["findings"] == [] and data["status"] in ("finished", "budget"), data


@pytest.mark.parametrize("number", range(len(PASSING)), ids=[f"{i}:{v.name[:40]}" for i, v in PASSING])
def test_trace_is_quiet_on_every_passing_variant(number, traced):
    scenario_id, _ = PASSING[number]
    data = next(d for path, d in traced.items() if path.name == f"{scenario_id}_{number}.py")
    assert data["findings"] == [] and data["status"] in ("finished", "budget"), data


@pytest.fixture(scope="module")
def own_traced() -> dict[Path, dict]:
    scripts = sorted(OWN.glob("*.py"))
    return {path: result.to_dict() for path, result in zip(scripts, trace_many(scripts, max_steps=40))}


@pytest.mark.parametrize("script", sorted(OWN.glob("*.py")), ids=lambda p: p.stem)
def test_trace_is_quiet_on_correct_scripts_of_our_own(script, own_traced):
    data = own_traced[script]
    assert data["findings"] == [] and data["status"] in ("finished", "budget"), data
