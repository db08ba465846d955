"""`checker trace` on real scripts in real subprocesses: every catalogue bug found at its cause's line, nothing
found on the fixes and on correct scripts of our own, the budget reported, notebooks and bad input handled."""
from __future__ import annotations

import json

import pytest

from checker.scenario import find
from tests.conftest import REPO, run_python

OWN = REPO / "tests" / "fixtures" / "own_scripts"


def trace(*args, cwd=None, timeout=600):
    result = run_python("-m", "checker", "trace", "--format", "json", *map(str, args), cwd=cwd, timeout=timeout)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout), result


def test_a_shape_check_on_one_batch_is_not_an_evaluation(tmp_path):
    # Tutorials push one batch through the fresh model to print a shape: no eval(), no no_grad, and no bug.
    (tmp_path / "peek.py").write_text(
        "import torch, torch.nn as nn, torch.nn.functional as F\ntorch.manual_seed(0)\n"
        "data = torch.utils.data.TensorDataset(torch.randn(128, 4), torch.randint(0, 2, (128,)))\n"
        "loader = torch.utils.data.DataLoader(data, batch_size=16, shuffle=True)\n"
        "model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.Linear(8, 2))\n"
        "print(model(next(iter(loader))[0]).shape)\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for x, y in loader:\n    optimizer.zero_grad()\n    F.cross_entropy(model(x), y).backward()\n"
        "    optimizer.step()\n")
    data, result = trace("peek.py", cwd=tmp_path)
    assert data["findings"] == [] and result.returncode == 0, data


def test_arguments_after_the_script_reach_it_and_the_budget_is_reported(tmp_path):
    data, result = trace(OWN / "mnist_dry_run.py", "--max-steps", "5", "--", "--epochs", "2")
    # 5 steps, the cut epoch's evaluation, then the next epoch's first steps (enough to show what evaluation left)
    assert data["status"] == "budget" and data["budget_reached"] and 5 <= data["steps"] <= 8
    assert data["evaluation_passes"] >= 1  # the epoch was cut, and its evaluation still ran
    text = run_python("-m", "checker", "trace", OWN / "mnist_dry_run.py", "--max-steps", "5", timeout=300)
    assert "stopped at the budget (--max-steps 5)" in text.stderr


def test_a_notebook_runs_cell_by_cell_and_findings_name_the_cell(tmp_path):
    cells = [
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n%matplotlib inline\n",
        "torch.manual_seed(0)\nx = torch.randn(256, 8)\ny = (x.sum(1) > 0).long()\n"
        "loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)\n"
        "model = nn.Linear(8, 2)\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n",
        "for epoch in range(2):\n    for data, target in loader:\n        loss = F.cross_entropy(model(data), target)\n"
        "        loss.backward()\n        optimizer.step()\n",
    ]
    raw = [{"cell_type": "markdown", "metadata": {}, "source": ["# A notebook\n"]}] + [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": c.splitlines(keepends=True)} for c in cells]
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": raw, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    data, _ = trace("nb.ipynb", cwd=tmp_path)
    assert [(f["code"], f["path"], f["cell"], f["line"]) for f in data["findings"]] == [
        ("TD101", "nb.ipynb", 4, 4)]


THREE_STEPS = ("optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n"
               "for _ in range(3):\n    optimizer.zero_grad()\n"
               "    F.cross_entropy(model(torch.randn(8, 4)), torch.zeros(8, dtype=torch.long)).backward()\n"
               "    optimizer.step()\n")  # three training steps of `model` at learning rate `lr`


def test_the_script_imports_its_siblings_reads_its_folder_and_writes_only_in_the_sandbox(tmp_path):
    (tmp_path / "model.py").write_text("import torch.nn as nn\n\nclass Net(nn.Linear):\n    pass\n")
    (tmp_path / "config.txt").write_text("0.1\n")
    (tmp_path / "train.py").write_text(
        "import torch, torch.nn.functional as F\nfrom model import Net\n"
        "lr = float(open('config.txt').read())\nmodel = Net(4, 2)\n" + THREE_STEPS +
        "torch.save(model.state_dict(), 'model.pt')\nopen('config.txt', 'a').write('changed')\n")
    data, result = trace("train.py", "--show-output", cwd=tmp_path)
    assert data["steps"] == 3
    assert data["status"] == "crashed" and "config.txt" in data["error"]  # its own folder is read-only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.txt", "model.py", "train.py"]
    assert (tmp_path / "config.txt").read_text() == "0.1\n"


@pytest.mark.parametrize("args, wanted", [
    (("missing.py",), "missing.py: no such file"),
    (("train.py", "--max-steps", "0"), "--max-steps must be at least 1"),
    (("train.py", "--data", "nowhere"), "--data nowhere: no such folder"),
])
def test_usage_errors_exit_2(tmp_path, args, wanted):
    (tmp_path / "train.py").write_text("print('hi')\n")
    result = run_python("-m", "checker", "trace", *args, cwd=tmp_path, timeout=120)
    assert result.returncode == 2 and wanted in result.stderr and "Traceback" not in result.stderr


def test_a_crash_a_nan_and_a_flat_loss_are_reported(tmp_path):
    """The NaN and the flat loss traced together (checker.trace.trace_many), the crash through the command line."""
    from checker.trace import trace_many

    (tmp_path / "nan.py").write_text(
        "import torch\nw = torch.nn.Parameter(torch.ones(3))\nopt = torch.optim.SGD([w], lr=0.1)\n"
        "for _ in range(25):\n    opt.zero_grad()\n    loss = (w * float('nan')).sum()\n    loss.backward()\n"
        "    opt.step()\n")
    (tmp_path / "flat.py").write_text(
        "import torch\nw = torch.nn.Parameter(torch.ones(3))\nopt = torch.optim.SGD([w], lr=0.0)\n"
        "for _ in range(25):\n    opt.zero_grad()\n    loss = (w * 2).sum()\n    loss.backward()\n    opt.step()\n")
    nan, flat = trace_many([tmp_path / "nan.py", tmp_path / "flat.py"])
    assert [(f.code, f.line) for f in nan.findings] == [("TD201", 7)], nan
    assert [(f.code, f.line) for f in flat.findings] == [("TD202", 7)], flat
    (tmp_path / "crash.py").write_text("import torch\nraise ValueError('no data here')\n")
    data, result = trace("crash.py", cwd=tmp_path)
    assert data["status"] == "crashed" and "ValueError: no data here" in data["error"]
    assert data["error_where"] == "crash.py:2" and result.returncode == 1


def test_text_output_in_chinese(tmp_path):
    scenario = find("zero_grad")
    result = run_python("-m", "checker", "trace", scenario.buggy_path, "--max-steps", "5", "--lang", "zh",
                        timeout=300)
    assert result.returncode == 1
    assert "TD101 backward() 把梯度叠加到了上一步留下的梯度上" in result.stdout
    assert "预算（--max-steps 5）提前结束了训练" in result.stderr


HANDMADE = (
    "import torch, torch.nn as nn, torch.nn.functional as F\ntorch.manual_seed(0)\n"
    "xs, ys = torch.randn(300, 5), torch.randint(0, 2, (300,))\n"
    "def sample(part):\n    lo, hi = (0, 240) if part == 'fit' else (240, 300)\n"
    "    pick = torch.randint(lo, hi, (20,))\n    return xs[pick], ys[pick]\n"
    "net = nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Dropout(0.25), nn.Linear(12, 2))\n"
    "opt = torch.optim.SGD(net.parameters(), lr=0.05)\n"
    "def held_out_loss():\n{guard}    total = 0.0\n    for _ in range(6):\n        x, y = sample('held')\n"
    "        total += F.cross_entropy(net(x), y).item()\n{restore}    return total / 6\n"
    "for it in range(30):\n    if it % 10 == 0:\n        print(it, held_out_loss())\n"
    "    x, y = sample('fit')\n    opt.zero_grad()\n    F.cross_entropy(net(x), y).backward()\n    opt.step()\n")


def test_an_evaluation_over_batches_the_script_makes_itself_is_judged(tmp_path):
    # No DataLoader: the evaluation is a loop over hand-made batches, as in nanoGPT's estimate_loss(). Both scripts
    # are traced together (checker.trace.trace_many).
    from checker.trace import trace_many

    (tmp_path / "bare.py").write_text(HANDMADE.format(guard="", restore=""))
    guarded = HANDMADE.format(guard="    net.eval()\n    torch.set_grad_enabled(False)\n",
                              restore="    torch.set_grad_enabled(True)\n    net.train()\n")
    (tmp_path / "guarded.py").write_text(guarded)
    bare, fixed = trace_many([tmp_path / "bare.py", tmp_path / "guarded.py"])
    assert {f.code for f in bare.findings} == {"TD104", "TD105"}, bare
    assert bare.evaluation_passes == 3 and {f.line for f in bare.findings} == {14}
    assert fixed.findings == [] and fixed.clean and fixed.status == "finished", fixed


HEADS = {"nn.ReLU()": "ReLU", "nn.Sigmoid()": "sigmoid", "nn.Softmax(dim=1)": "softmax"}


def test_what_squashed_the_scores_before_cross_entropy_is_named(tmp_path):
    """Each head in a script of its own, traced together (checker.trace.trace_many), then one of them through the
    command line in Chinese."""
    from checker.trace import trace_many

    scripts = []
    for number, head in enumerate(HEADS):
        scripts.append(tmp_path / f"head{number}.py")
        scripts[-1].write_text(
            "import torch, torch.nn as nn, torch.nn.functional as F\ntorch.manual_seed(1)\n"
            "data = torch.utils.data.TensorDataset(torch.randn(96, 4), torch.randint(0, 3, (96,)))\n"
            "loader = torch.utils.data.DataLoader(data, batch_size=16, shuffle=True)\n"
            f"net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3), {head})\n"
            "opt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
            "for x, y in loader:\n    opt.zero_grad()\n    F.cross_entropy(net(x), y).backward()\n    opt.step()\n")
    for named, result in zip(HEADS.values(), trace_many(scripts)):
        assert [(f.code, f.message) for f in result.findings] == [
            ("TD108", f"cross_entropy was given the output of {named}, not logits")], result.to_dict()
    zh = run_python("-m", "checker", "trace", "--lang", "zh", str(scripts[-1]), timeout=300)
    assert "传给 cross_entropy 的是 softmax 的输出" in zh.stdout + zh.stderr


LEAVES = '''import os, subprocess, sys
open("left_here.txt", "w").write("x")
open(os.path.join(os.environ["HOME"], "left_home.txt"), "w").write("x")
open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "left_tmp.txt"), "w").write("x")
open("/dev/shm/left_shm", "w").write("x")
os.makedirs("left_folder", exist_ok=True)
subprocess.Popen([sys.executable, "-c", "import os, time; os.setsid(); time.sleep(600)"], start_new_session=True)
'''
FINDS = '''import os
seen = [p for p in ("left_here.txt", "left_folder", "/dev/shm/left_shm",
                    os.path.join(os.environ["HOME"], "left_home.txt"),
                    os.path.join(os.environ.get("TMPDIR", "/tmp"), "left_tmp.txt")) if os.path.exists(p)]
others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid(), os.getppid())]
alive = [p for p in others if b"sleep(600)" in open(f"/proc/{p}/cmdline", "rb").read()]
if seen or alive:
    raise RuntimeError(f"left by the script before: {seen} {alive}")
'''


def test_scripts_traced_together_each_start_clean_and_find_what_they_would_alone(tmp_path):
    """trace_many: the scripts of one folder share a warm worker behind bubblewrap, yet what one leaves (files in
    its folder, home, tmp and /dev/shm, a daemon) is gone before the next starts; the user's folder is untouched;
    and a catalogue script's findings are the ones a fresh child finds."""
    import shutil

    from checker.trace import trace, trace_many

    (tmp_path / "a_leaves.py").write_text(LEAVES)
    (tmp_path / "b_finds.py").write_text(FINDS)
    buggy = tmp_path / "zero_grad.py"
    shutil.copy(find("zero_grad").buggy_path, buggy)
    before = sorted(p.name for p in tmp_path.iterdir())
    leaves, finds, together = trace_many([tmp_path / "a_leaves.py", tmp_path / "b_finds.py", buggy], max_steps=10)
    assert leaves.status == "finished", leaves
    assert finds.status == "finished" and finds.error == "", finds
    alone = trace(buggy, max_steps=10)
    assert [(f.code, f.line) for f in together.findings] == [(f.code, f.line) for f in alone.findings] != []
    assert together.isolation == alone.isolation
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_users_own_modules_named_like_ours_are_the_ones_their_script_imports(tmp_path):
    """A practitioner's folder may hold its own reference.py or checker.py: their script imports theirs, as
    `python train.py` would, and ours never see them (issue 23)."""
    (tmp_path / "checker.py").write_text("raise SystemExit('the checker imported the user checker.py')\n")
    (tmp_path / "reference.py").write_text("VALUE = 'the user reference.py'\n")
    (tmp_path / "train.py").write_text(
        "import torch, torch.nn as nn, torch.nn.functional as F\nimport reference\nprint('got', reference.VALUE)\n"
        "lr = 0.1\nmodel = nn.Linear(4, 2)\n" + THREE_STEPS)
    data, result = trace(tmp_path / "train.py", "--show-output")
    assert data["status"] == "finished" and data["findings"] == [], data
    assert "got the user reference.py" in data["output"] and result.returncode == 0


def test_mnist_that_is_not_where_the_script_looks_is_the_checkers_and_never_a_download(tmp_path):
    """A tutorial's script reads MNIST from ./data with download=True: where the user has not downloaded it, the
    trace reads the checker's copy instead (before: the run crashed trying to download)."""
    from tests.checker.test_script_shapes import tutorial_shaped

    (tmp_path / "train.py").write_text(tutorial_shaped(find("zero_grad").buggy_path.read_text()).replace(
        '"../data"', '"./data"'))
    data, result = trace("train.py", "--max-steps", "5", cwd=tmp_path)
    assert data["status"] in ("budget", "finished") and [f["code"] for f in data["findings"]] == ["TD101"], data
    assert not (tmp_path / "data").exists()  # nothing was downloaded into the user's folder
