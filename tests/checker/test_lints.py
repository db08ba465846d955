"""The rules as `checker verify` uses them: they point at the line of the bug, and stay quiet on the fixes."""
from __future__ import annotations

import ast

from checker.rules import run as run_lints
from checker.rules.gradients import missing_zero_grad
from checker.rules.models import batch_size_reshape
from checker.rules.optimizers import optimizer_wrong_network
from checker.scenario import find

LOOP = """
def train(model, optimizer, loader):
    for data, target in loader:
{body}
"""


def hits(lint, source: str):
    return [(h.rule, h.line) for h in lint(ast.parse(source))]


def test_missing_zero_grad_points_at_backward_and_accepts_the_fixes():
    buggy = LOOP.format(body="        loss = model(data).sum()\n        loss.backward()\n        optimizer.step()")
    assert hits(missing_zero_grad, buggy) == [("missing_zero_grad", 5)]
    for clear in ("optimizer.zero_grad()", "model.zero_grad()", "optimizer.zero_grad(set_to_none=True)"):
        fixed = LOOP.format(body=f"        {clear}\n        loss = model(data).sum()\n        loss.backward()\n"
                                 "        optimizer.step()")
        assert hits(missing_zero_grad, fixed) == []


def test_missing_zero_grad_on_the_shipped_buggy_script():
    s = find("zero_grad")
    lines = s.buggy_path.read_text().splitlines()
    found = missing_zero_grad(ast.parse(s.buggy_path.read_text()))
    assert len(found) == 1 and lines[found[0].line - 1].strip() == "loss.backward()"
    assert missing_zero_grad(ast.parse(s.solution_path.read_text())) == []


def test_batch_size_reshape_finds_the_module_level_constant():
    source = "batch_size = 100\n\ndef forward(t):\n    return t.reshape(batch_size, 192)\n"
    assert hits(batch_size_reshape, source) == [("batch_size_reshape", 4)]
    for fixed in ("t.reshape(-1, 192)", "t.view(t.size(0), -1)", "t.flatten(1)"):
        assert hits(batch_size_reshape, f"batch_size = 100\n\ndef forward(t):\n    return {fixed}\n") == []


def test_optimizer_wrong_network_finds_the_tutorial_bug():
    source = """
import torch.nn as nn, torch.optim as optim
class Net(nn.Module):
    pass
network = Net()
def resume():
    continued_network = Net()
    continued_optimizer = optim.SGD(network.parameters(), lr=0.01)
    return continued_network, continued_optimizer
"""
    assert hits(optimizer_wrong_network, source) == [("optimizer_wrong_network", 8)]
    fixed = source.replace("optim.SGD(network.parameters()", "optim.SGD(continued_network.parameters()")
    assert hits(optimizer_wrong_network, fixed) == []
    moved = source.replace("continued_network = Net()", "continued_network = Net().to(device)")
    assert hits(optimizer_wrong_network, moved) == [("optimizer_wrong_network", 8)]


# The lines each shipped scenario's lints must point at in its buggy script.
WANTED = {
    "zero_grad": ["loss.backward()"],
    "reshape": ["t = t.reshape(batch_size, 192)"],
    "resume": ["continued_optimizer = make_optimizer(network)"],
    "scheduler": ["scheduler.step()"],
    "softmax_loss": ["return F.softmax(t, dim=1)  # class probabilities, each row sums to 1"],
    "data_split": ["train_set = torchvision.datasets.MNIST(data_root, train=False, download=False, transform=transform)",
                   "test_set = torchvision.datasets.MNIST(data_root, train=True, download=False, transform=transform)"],
    "loss_item": ["total_loss += loss"],
    "stray_break": ["break"],
    "grad_disabled": ["torch.set_grad_enabled(False)"],
    "checkpoint": ['torch.save(model.state_dict(), os.path.join(folder, "model.pth"))'],
}


def test_each_shipped_lint_points_at_the_buggy_line_and_is_quiet_on_the_solution():
    from checker.scenario import load_all

    with_lints = [s for s in load_all() if s.lints]
    assert {s.id for s in with_lints} == set(WANTED)
    for s in with_lints:
        lines = s.buggy_path.read_text().splitlines()
        found = run_lints(ast.parse(s.buggy_path.read_text()), s.lints)
        assert [lines[h.line - 1].strip() for h in found] == WANTED[s.id], s.id
        assert run_lints(ast.parse(s.solution_path.read_text()), s.lints) == [], s.id


def test_lints_stay_quiet_on_every_fix_that_must_pass():
    # A lint that fired on a correct fix would point a student at a line that is fine.
    from checker.scenario import load_all, variant_source

    for s in load_all():
        for variant in (v for v in s.variants if v.expect == "pass"):
            assert run_lints(ast.parse(variant_source(s, variant)), s.lints) == [], (s.id, variant.name)


def test_lints_are_quiet_on_every_other_scenarios_solution():
    from checker.rules import BY_NAME as LINTS
    from checker.scenario import load_all

    for s in load_all():
        assert run_lints(ast.parse(s.solution_path.read_text()), tuple(LINTS)) == [], s.id


def test_loop_lints_on_their_other_forms():
    from checker.rules import data, gradients, optimizers

    loop = "def train(model, loader, optimizer, scheduler):\n    total = 0\n    for x, y in loader:\n{body}\n"
    step = "        loss = model(x)\n        loss.backward()\n        optimizer.step()\n"
    per_batch = loop.format(body=step + "        scheduler.step()")
    assert hits(optimizers.scheduler_in_batch_loop, "scheduler = StepLR(optimizer, 1)\n" + per_batch) == [
        ("scheduler_in_batch_loop", 8)]
    # A scheduler meant to step every batch: not reported.
    assert hits(optimizers.scheduler_in_batch_loop, "scheduler = OneCycleLR(optimizer, 0.1, 100)\n" + per_batch) == []
    assert hits(gradients.loss_accumulated_with_graph, loop.format(body=step + "        total = total + loss")) == [
        ("loss_accumulated_with_graph", 7)]
    assert hits(gradients.loss_accumulated_with_graph, loop.format(body=step + "        total += loss.item()")) == []
    assert hits(data.unconditional_break, loop.format(body=step + "        if x is None:\n            break")) == []
    assert hits(data.unshuffled_train_loader, "train_loader = DataLoader(ds, batch_size=8)") == [
        ("unshuffled_train_loader", 1)]
    assert hits(data.unshuffled_train_loader, "train_loader = DataLoader(ds, shuffle=True)") == []
    scoped = "with torch.no_grad():\n    y = model(x)\n"
    assert hits(gradients.grad_mode_left_off, scoped) == []
    assert hits(gradients.grad_mode_left_off, "torch.set_grad_enabled(False)\ny = model(x)\n"
                                               "torch.set_grad_enabled(True)\n") == []
