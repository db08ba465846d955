"""Scripts in the shape most tutorials have (pytorch/examples' mnist/main.py among them): main() trains and tests
but returns nothing, and MNIST is read from a folder of the script's own choosing with download=True. The checker
scores the model main() trained, and supplies MNIST itself, offline, wherever the script looks for it."""
from __future__ import annotations

import json

import pytest

from checker.scenario import find
from tests.conftest import run_python

def tutorial_shaped(source: str) -> str:
    """The zero_grad scenario's script, as a tutorial writes it: no `return network`, MNIST under ../data,
    downloaded when missing."""
    shaped = source.replace("    return network\n", "").replace("data_root = mnist_root()", "")
    shaped = shaped.replace("MNIST(data_root, ", 'MNIST("../data", ').replace("download=False", "download=True")
    assert shaped.count('MNIST("../data", ') == 2 and shaped.count("download=True") == 2
    assert "return network" not in shaped and "data_root" not in shaped
    return shaped


def verified(tmp_path, source: str, borrow: bool = True) -> dict:
    script = tmp_path / "zero_grad.py"
    script.write_text(source)
    done = run_python("-m", "checker", "verify", str(script), "--json", cwd=tmp_path, borrow=borrow)
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_model_main_trained_is_scored_when_main_returns_nothing(tmp_path):
    verdict = verified(tmp_path, tutorial_shaped(find("zero_grad").solution_path.read_text()))
    assert verdict["status"] == "fixed", verdict["checks"]
    # the same training on the same data as the reference run: the very same model, so the very same accuracy
    assert verdict["accuracy"]["student"] == pytest.approx(verdict["accuracy"]["reference"], abs=1e-9)
    assert not (tmp_path.parent / "data").exists()  # nothing was downloaded, and nothing written outside


def test_the_bug_is_still_found_in_that_shape(tmp_path):
    # a fresh process, where torchvision is imported by the script (the lent warm worker has it already)
    verdict = verified(tmp_path, tutorial_shaped(find("zero_grad").buggy_path.read_text()), borrow=False)
    failed = {c["id"] for c in verdict["checks"] if not c["passed"]}
    assert verdict["status"] == "not_fixed" and "grads_zeroed" in failed, verdict["checks"]


def test_a_main_that_trains_no_model_is_told_so(tmp_path):
    source = tutorial_shaped(find("zero_grad").solution_path.read_text())
    source = source.replace("        optimizer.step()\n", "")  # nothing is trained: there is no trained model
    verdict = verified(tmp_path, source)
    runs = next(c for c in verdict["checks"] if c["id"] == "runs")
    assert not runs["passed"] and "no model that an optimizer trained" in runs["message"], runs


def test_mnist_is_supplied_wherever_the_script_looks_and_no_other_dataset_is(tmp_path):
    """In the child (checker.child.supplied_data): MNIST reads the run's copy, download=True or not, whatever its
    arguments; FashionMNIST is other data, and stays as it is offline; undo() puts MNIST back."""
    from torchvision import datasets

    from checker.child.patches import Patches
    from checker.child.supplied_data import supply_mnist
    from reference.data import mnist_root

    nowhere = tmp_path / "data"
    patches = Patches()
    supply_mnist(str(mnist_root()), patches)
    try:
        assert len(datasets.MNIST(nowhere, train=True, download=True)) == 10_000
        assert len(datasets.MNIST(str(nowhere), False, None, None, True)) == 2_000  # every argument by position
        with pytest.raises(RuntimeError, match="not found"):
            datasets.FashionMNIST(nowhere, train=False)
    finally:
        patches.undo()
    with pytest.raises(RuntimeError, match="not found"):
        datasets.MNIST(nowhere, train=False)
    assert not nowhere.exists()
