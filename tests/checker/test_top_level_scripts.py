"""Scripts whose training is their own top-level code, with no main(), train() or test() (many course scripts and
notebooks): a scenario made from one declares `[entry_points] shape = "script"`, and the checker runs that code
as the program, with its training and evaluation loops as the probes' scopes (checker.child.script_shape)."""
from __future__ import annotations

import json
import runpy
import textwrap
import traceback
import types
from pathlib import Path

import pytest

from checker.child import script_shape
from tests.conftest import lent_worker_env, run_python

TOP_LEVEL = Path(__file__).resolve().parent / "mutate_scripts" / "top_level_script.py"

# Pure Python in the shape of a top-level training script: the loops call backward() and step() on stand-ins.
PLAIN = textwrap.dedent('''\
    import math
    from math import *

    epochs = 5
    device = "the script's own"
    seen, steps = [], 0


    class Loss:
        def backward(self):
            pass


    class Optimizer:
        def step(self):
            global steps
            steps += 1


    def evaluate(batches):
        return sum(batches)


    optimizer = Optimizer()
    for epoch in range(epochs):
        for batch in [1, 2, 3]:
            loss = Loss()
            loss.backward()
            optimizer.step()
            seen.append(batch * floor(pi))
        last = batch
        total = 0
        for item in test_data if False else [10, 20]:
            total += abs(item)
    if __name__ == "__main__":
        ran_as_program = True
    del epoch
    ''')


def run_shaped(source: str, budget: dict) -> dict:
    """The module-level names after the shaped script ran as the harness runs it (without the probes)."""
    shaped = script_shape.shape_script(source, "plain.py", set(budget))
    module = types.ModuleType("plain")
    exec(shaped.code, vars(module))
    setattr(module, script_shape.BUDGET, budget)
    getattr(module, shaped.names["main"])()
    return plain_values(vars(module))


def plain_values(names: dict) -> dict:
    """The script's own numbers, texts and lists (math's floats and the objects of its classes left out)."""
    return {k: v for k, v in names.items() if not k.startswith("_") and type(v) in (int, str, list, bool)}


def test_the_shaped_script_computes_what_the_script_computes_as_a_program(tmp_path):
    script = tmp_path / "plain.py"
    script.write_text(PLAIN)
    as_program = plain_values(runpy.run_path(str(script), run_name="__main__"))
    assert as_program["steps"] == 15 and as_program["ran_as_program"] is True and len(as_program) == 9
    shaped = run_shaped(PLAIN, {})
    assert shaped == as_program
    # the budget's names take the harness's values, wherever the script assigns them at the top level
    budgeted = run_shaped(PLAIN, {"epochs": 1, "device": "the checker's"})
    assert budgeted["steps"] == 3 and budgeted["device"] == "the checker's"


def test_the_loops_become_the_probes_scopes_and_keep_their_lines():
    shaped = script_shape.shape_script(PLAIN, "plain.py", set())
    assert shaped.names == {"main": script_shape.MAIN, "train": script_shape.TRAIN, "test": script_shape.TEST}
    assert shaped.bound == {"train": ("batch", "loss"), "test": ("item", "total")}  # what each loop binds
    broken = PLAIN.replace("        optimizer.step()\n", "        optimizer.step()\n        1 / 0\n")
    lines = broken.splitlines()
    loop, fault = lines.index("    for batch in [1, 2, 3]:") + 1, lines.index("        1 / 0") + 1
    module = types.ModuleType("plain")
    exec(script_shape.shape_script(broken, "plain.py", set()).code, vars(module))
    with pytest.raises(ZeroDivisionError) as error:
        getattr(module, script_shape.MAIN)()
    frames = [(frame.name, frame.lineno) for frame in traceback.extract_tb(error.value.__traceback__)][1:]
    assert frames == [(script_shape.MAIN, loop), (script_shape.TRAIN, fault)], frames  # the script's own lines


def test_a_loop_inside_a_function_of_the_script_keeps_that_function_as_its_scope():
    """An evaluation function of the script's own is the test scope; the training loop stays top-level code."""
    source = PLAIN.replace("    for item in test_data if False else [10, 20]:\n        total += abs(item)\n",
                           "    total += evaluate([10, 20])\n")
    assert source != PLAIN
    source = source.replace("    return sum(batches)\n", "    out = 0\n    for b in batches:\n        out += abs(b)\n"
                            "    return out\n")
    shaped = script_shape.shape_script(source, "plain.py", set())
    assert shaped.names["train"] == script_shape.TRAIN and "test" not in shaped.names  # no no_grad, no test name
    named = source.replace("in batches:", "in test_batches:").replace("def evaluate(batches)",
                                                                      "def evaluate(test_batches)")
    shaped = script_shape.shape_script(named, "plain.py", set())
    assert shaped.names["test"] == "evaluate" and shaped.names["train"] == script_shape.TRAIN
    assert run_shaped(named, {})["total"] == 30  # its last epoch's


SCENARIO = '''\
id = "top_zero_grad"
max_diff_lines = 1
probes = ["grads_zeroed", "params_owned", "train_mode", "eval_mode", "no_grad_eval", "no_graph_kept"]
lints = ["missing_zero_grad"]
bug = [["        optimizer.zero_grad()\\n", ""]]
title = { en = "Gradients pile up in a top-level script", zh = "顶层脚本里梯度不断累加" }
summary = { en = "The training loop never clears the gradients.", zh = "训练循环从不清零梯度。" }
explanation = { en = "backward() adds to .grad.", zh = "backward() 会累加到 .grad 上。" }
hints = [{ en = "Clear the gradients once per batch.", zh = "每个批次清零一次梯度。" }]

[entry_points]
shape = "script"
model_class = "Net"

[budget]
overrides = { n_epochs = 1 }
tolerance = 0.05

[[variants]]
name = "network.zero_grad()"
replace = [["        optimizer.zero_grad()\\n", "        network.zero_grad()\\n"]]
expect = "pass"

[[variants]]
name = "no network.eval() before the evaluation loop"
replace = [["    network.eval()\\n", ""]]
expect = "fail"
failing = ["eval_mode"]

[[variants]]
name = "the evaluation keeps its graph: no torch.no_grad()"
replace = [
    ["    with torch.no_grad():\\n        for data, target in test_loader:\\n",
     "    if True:\\n        for data, target in test_loader:\\n"],
    ["            test_loss += F.nll_loss(output, target, reduction=\\"sum\\").item()\\n",
     "            test_loss += F.nll_loss(output, target, reduction=\\"sum\\")\\n"],
]
expect = "fail"
failing = ["no_grad_eval"]
'''


def test_a_scenario_made_from_a_top_level_script_is_proven(tmp_path):
    """The script as a course publishes it (MNIST from ./data with download=True, three epochs, a GPU when there
    is one, the weights saved at the end): its solution passes, with the accuracy of its own reference run; the
    planted bug fails on its probe, and each variant gets its verdict, the evaluation loop's included."""
    source = TOP_LEVEL.read_text()
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "top_zero_grad.py").write_text(source)
    (tmp_path / "top_zero_grad.py").write_text(source.replace("        optimizer.zero_grad()\n", ""))
    (tmp_path / "top_zero_grad.toml").write_text(SCENARIO)
    done = run_python("-m", "checker", "selftest", "top_zero_grad", "--quick", "--json", cwd=tmp_path,
                      env={"TORCHDRILL_SCENARIOS": str(tmp_path), **lent_worker_env()}, timeout=900)
    (report,) = json.loads(done.stdout)
    assert report["ok"] and done.returncode == 0, json.dumps(report, indent=1, ensure_ascii=False)
    cases = {c["name"]: c for c in report["cases"]}
    assert cases["buggy script"]["failed_checks"] == ["grads_zeroed"]
    assert cases["variant: no network.eval() before the evaluation loop"]["failed_checks"] == ["eval_mode"]
    assert "no_grad_eval" in cases["variant: the evaluation keeps its graph: no torch.no_grad()"]["failed_checks"]
    assert not (tmp_path / "data").exists() and not (tmp_path / "mnist_cnn.pt").exists()  # nothing downloaded
    verdict = json.loads(run_python("-m", "checker", "verify", str(tmp_path / "solutions" / "top_zero_grad.py"),
                                    "--json", cwd=tmp_path, env={"TORCHDRILL_SCENARIOS": str(tmp_path),
                                                                 **lent_worker_env()}).stdout)
    assert verdict["status"] == "fixed" and verdict["accuracy"]["student"] == verdict["accuracy"]["reference"]
    assert verdict["curves"]["student"]["epoch_steps"] == [157]  # the budget's one epoch, not the script's three


def test_mutate_reads_a_top_level_scripts_loops_as_its_training_and_evaluation():
    from checker.mutate.engine import needs
    from checker.mutate.facts import read_facts

    source = TOP_LEVEL.read_text()
    lines = source.splitlines()
    facts = read_facts(source)
    assert facts.top_level and needs(facts, "en") == []
    assert lines[facts.batch_loop.lineno - 1].strip().startswith("for batch_idx, (data, target) in")
    assert lines[facts.test_loop.lineno - 1].strip() == "for data, target in test_loader:"
    assert [lines[s.lineno - 1].strip() for s in (facts.train_mode_call, facts.eval_call, facts.no_grad_with)] == [
        "network.train()", "network.eval()", "with torch.no_grad():"]
    # Evaluated on the training data, without no_grad: no evaluation loop to scope, and mutate says what it needs.
    unscoped = source.replace("    with torch.no_grad():\n        for data, target in test_loader:\n",
                              "    if True:\n        for data, target in train_loader:\n")
    assert unscoped != source
    for lang, says in (("en", "in a script without main(), an evaluation loop"),
                       ("zh", "没有 main() 的脚本则需要一个评估循环")):
        assert any(says in need for need in needs(read_facts(unscoped), lang))


def test_mutate_turns_a_top_level_script_into_proven_exercises(tmp_path):
    """The classes whose probes watch the loops: the planted bug in the training loop, and two in the evaluation
    loop. Each scenario runs the script as it is (shape "script"), and lint finds each planted bug."""
    from checker.scenario import load

    script = tmp_path / "course_script.py"
    script.write_bytes(TOP_LEVEL.read_bytes())
    out = tmp_path / "course"
    made = run_python("-m", "checker", "mutate", str(script), "--dir", str(out), "--json", "--class", "zero_grad",
                      "--class", "eval_mode", "--class", "no_grad", env=lent_worker_env(), timeout=900)
    assert made.returncode == 0, made.stderr[-3000:]
    rows = json.loads(made.stdout)
    assert {r["kind"]: r["status"] for r in rows} == dict.fromkeys(["zero_grad", "eval_mode", "no_grad"],
                                                                    "written"), rows
    for row in rows:
        scenario = load(out / f"{row['scenario']}.toml")
        assert scenario.entry_points == {"shape": "script", "model_class": "Net"}
        assert scenario.solution_path.read_bytes() == script.read_bytes()
        lint = run_python("-m", "checker", "lint", str(scenario.buggy_path), "--format", "json")
        assert row["line"] in {f["line"] for f in json.loads(lint.stdout)["findings"]}, (row, lint.stdout)
    titles = {row["kind"]: load(out / f"{row['scenario']}.toml").title for row in rows}
    assert titles["zero_grad"].en.endswith("in the training loop") and titles["zero_grad"].zh.endswith("（训练循环）")
    assert titles["eval_mode"].en.endswith("in the evaluation loop")


def test_a_notebook_without_main_is_read_as_its_top_level_script(tmp_path):
    """A course notebook: a markdown cell, a magic, and the script's blocks as code cells, with no main(). mutate
    reads its training and evaluation loops, and plans the same classes as for the script (nothing is run)."""
    from checker.mutate.engine import plan_all, read_script

    blocks = TOP_LEVEL.read_text().split("\n\n\n")
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# MNIST, cell by cell\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": ["%time\n"]}]
    cells += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
               "source": block.splitlines(keepends=True)} for block in blocks]
    notebook = tmp_path / "course.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    source, facts = read_script(notebook, "en")
    assert facts.top_level and facts.train is not None and facts.test is not None
    planned = {r.kind for r in plan_all(notebook, source, facts, "en")[1] if r.status == "planted"}
    from_script = {r.kind for r in plan_all(TOP_LEVEL, *read_script(TOP_LEVEL, "en"), "en")[1] if r.status == "planted"}
    assert planned == from_script and {"zero_grad", "eval_mode", "no_grad"} <= planned


# Evaluated once, after the last epoch, under the main guard; the batch unpacked in the loop's body.
EVALUATED_LAST = textwrap.dedent('''\
    import torch
    import torch.nn as nn
    import torchvision
    import torchvision.transforms as transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    trainset = torchvision.datasets.MNIST(root="data", train=True, download=True, transform=transform)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=64, shuffle=True)
    testset = torchvision.datasets.MNIST(root="data", train=False, download=True, transform=transform)
    testloader = torch.utils.data.DataLoader(testset, batch_size=500)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

    if __name__ == "__main__":
        for epoch in range(3):
            net.train()
            for inputs, labels in trainloader:
                optimizer.zero_grad()
                loss = criterion(net(inputs), labels)
                loss.backward()
                optimizer.step()
        net.eval()
        correct = 0
        with torch.no_grad():
            for data in testloader:
                images, labels = data
                correct += (net(images).argmax(1) == labels).sum().item()
        print(correct / len(testset))
''')


def test_what_an_evaluation_after_the_last_epoch_switches_off_reaches_no_training(tmp_path):
    """grad_disabled and train_mode plant a switch the evaluation leaves behind: with no training after it there is
    no bug to find, so both are skipped, saying why; the missing no_grad is planted, and lint finds it under the
    main guard (nothing is run)."""
    from checker.mutate.engine import plan_all, read_script

    script = tmp_path / "evaluated_last.py"
    script.write_text(EVALUATED_LAST)
    for lang, says in (("en", "the evaluation runs only after the last training step"),
                       ("zh", "评估只在最后一个训练步之后运行")):
        rows = {r.kind: r for r in plan_all(script, *read_script(script, lang), lang)[1]}
        assert {rows[kind].reason for kind in ("grad_disabled", "train_mode")} == {rows["grad_disabled"].reason}
        assert says in rows["grad_disabled"].reason and rows["grad_disabled"].status != "planted"
        assert rows["no_grad"].status == "planted" and rows["eval_mode"].status == "planted", rows["no_grad"]
