"""Static lints point at the line of the bug, and stay quiet on the fixes."""
from __future__ import annotations

import ast

from checker.lints import batch_size_reshape, missing_zero_grad, optimizer_wrong_network
from checker.scenario import find

LOOP = """
def train(model, optimizer, loader):
    for data, target in loader:
{body}
"""


def hits(lint, source: str):
    return [(h.lint, h.line) for h in lint(ast.parse(source))]


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


def test_each_shipped_lint_points_at_the_buggy_line_and_is_quiet_on_the_solution():
    wanted = {"missing_zero_grad": "loss.backward()", "batch_size_reshape": "t = t.reshape(batch_size, 192)",
              "optimizer_wrong_network": "continued_optimizer = make_optimizer(network)"}
    from checker.lints import run_lints
    from checker.scenario import load_all

    for s in (s for s in load_all() if s.lints):
        lines = s.buggy_path.read_text().splitlines()
        found = run_lints(ast.parse(s.buggy_path.read_text()), s.lints)
        assert [lines[h.line - 1].strip() for h in found] == [wanted[h.lint] for h in found] and found, s.id
        assert run_lints(ast.parse(s.solution_path.read_text()), s.lints) == [], s.id
