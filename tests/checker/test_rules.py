"""Every lint rule on its documented wrong and right examples, on the catalogue's buggy scripts and their fixes,
on correct scripts of our own, and on the forms precision asks it to leave alone."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from checker import rules
from checker.scenario import find, load_all, variant_source

ROOT = Path(__file__).resolve().parents[2]
OWN_SCRIPTS = sorted((ROOT / "tests" / "fixtures" / "own_scripts").glob("*.py"))
DEFAULT = ("warning", "error")  # what `checker lint` shows unless asked for info


def codes(source: str, severities=("info", "warning", "error")) -> list[str]:
    return [rules.BY_NAME[h.rule].code for h in rules.run(ast.parse(source))
            if (h.severity or rules.BY_NAME[h.rule].severity) in severities]


@pytest.mark.parametrize("code", sorted(rules.RULES))
def test_the_wrong_example_fires_its_rule_and_nothing_else(code):
    assert set(codes(rules.RULES[code].wrong)) == {code}


@pytest.mark.parametrize("code", sorted(rules.RULES))
def test_the_right_example_fires_nothing(code):
    assert codes(rules.RULES[code].right) == []


def test_every_rule_is_written_in_both_languages_and_quotes_its_code():
    for rule in rules.RULES.values():
        assert rule.severity in rules.SEVERITIES and rule.name in rules.CHECKS, rule.code
        for part in ("title", "message", "why", "fix"):
            assert rule.texts[part]["en"].strip() and rule.texts[part]["zh"].strip(), (rule.code, part)
        assert "{detail}" in rule.texts["message"]["en"] and "{detail}" in rule.texts["message"]["zh"], rule.code
        assert rule.probe is None or rule.probe in __import__("checker.scenario").scenario.KNOWN_PROBES
    assert set(rules.CHECKS) == set(rules.BY_NAME), "a check without a catalogue entry, or the reverse"


def test_the_rule_docs_are_generated_from_the_catalogue():
    result = subprocess.run([sys.executable, "tools/make_rules_docs.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# The rule each buggy script must break, and the line it must name (the cause, where the fix goes).
CATALOGUE = {
    "zero_grad": ("TD101", "loss.backward()"),
    "reshape": ("TD103", "t = t.reshape(batch_size, 192)"),
    "eval_mode": ("TD104", "def test(network, test_loader):"),
    "no_grad": ("TD105", "def test(network, test_loader):"),
    "resume": ("TD106", "continued_optimizer = make_optimizer(network)"),
    "scheduler": ("TD107", "scheduler.step()"),
    "softmax_loss": ("TD108", "return F.softmax(t, dim=1)  # class probabilities, each row sums to 1"),
    "data_split": ("TD109", "train_set = torchvision.datasets.MNIST(data_root, train=False, download=False, "
                            "transform=transform)"),
    "loss_item": ("TD110", "total_loss += loss"),
    "stray_break": ("TD111", "break"),
    "train_mode": ("TD112", "def train(network, optimizer, train_loader, epoch):"),
    "grad_disabled": ("TD113", "torch.set_grad_enabled(False)"),
    "checkpoint": ("TD114", 'torch.save(model.state_dict(), os.path.join(folder, "model.pth"))'),
}


def test_every_catalogue_scenario_has_its_rule():
    assert set(CATALOGUE) == {s.id for s in load_all()}


@pytest.mark.parametrize("scenario_id", sorted(CATALOGUE))
def test_the_buggy_script_breaks_its_rule_at_the_causes_line(scenario_id):
    scenario = find(scenario_id)
    source = scenario.buggy_path.read_text()
    lines = source.splitlines()
    found = {(rules.BY_NAME[h.rule].code, lines[h.line - 1].strip()) for h in rules.run(ast.parse(source))}
    assert CATALOGUE[scenario_id] in found


@pytest.mark.parametrize("scenario_id", sorted(CATALOGUE))
def test_the_solution_and_every_passing_variant_are_clean(scenario_id):
    scenario = find(scenario_id)
    assert codes(scenario.solution_path.read_text(), DEFAULT) == []
    for variant in (v for v in scenario.variants if v.expect == "pass"):
        assert codes(variant_source(scenario, variant), DEFAULT) == [], variant.name


@pytest.mark.parametrize("script", OWN_SCRIPTS, ids=lambda p: p.stem)
def test_correct_scripts_of_our_own_are_clean(script):
    assert codes(script.read_text(), DEFAULT) == []


def test_the_own_scripts_are_there():
    assert {p.stem for p in OWN_SCRIPTS} == {"mnist_dry_run", "imagenet_resume", "word_lm_manual_sgd",
                                             "vae_first_batch", "cifar_no_dropout"}


# --- precision: forms that look like a bug and are not ------------------------------------------------------

TRAIN_LOOP = """
for i, (data, target) in enumerate(loader):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(data), target)
    loss.backward()
    optimizer.step()
{extra}
"""


@pytest.mark.parametrize("source", [
    TRAIN_LOOP.format(extra="    if args.dry_run:\n        break"),  # a guarded break
    TRAIN_LOOP.format(extra="    if i == 0:\n        grid = out.view(args.batch_size, 1, 28, 28)"),  # first batch
    "loader = DataLoader(ds, batch_size=64, drop_last=True)\nx = x.view(args.batch_size, -1)",  # only full batches
    # eval() missing, but the model has no dropout and no BatchNorm: nothing behaves differently
    "class Net(nn.Module):\n    def __init__(self):\n        self.fc = nn.Linear(4, 2)\n\n"
    "def test(net, loader):\n    with torch.no_grad():\n        for x, y in loader:\n            out = net(x)\n",
    # a scheduler that is meant to step every batch
    "scheduler = OneCycleLR(optimizer, 0.1, total_steps=100)\n" + TRAIN_LOOP.format(extra="    scheduler.step()"),
    # gradient accumulation: step and clear together, every k batches
    "for i, (x, y) in enumerate(loader):\n    loss = F.mse_loss(model(x), y) / k\n    loss.backward()\n"
    "    if (i + 1) % k == 0:\n        optimizer.step()\n        optimizer.zero_grad()\n",
    # a manual SGD update, gradients cleared on the model
    "for x, y in batches:\n    model.zero_grad()\n    loss = criterion(model(x), y)\n    loss.backward()\n"
    "    for p in model.parameters():\n        p.data.add_(p.grad, alpha=-lr)\n",
    # log_softmax with nll_loss is the right pairing; softmax inside forward() for attention is not the output
    "class Net(nn.Module):\n    def forward(self, x):\n        return F.log_softmax(x, 1)\nF.nll_loss(out, y)\n",
    "class Attn(nn.Module):\n    def forward(self, q, k, v):\n        w = F.softmax(q @ k, -1)\n        return w @ v\n"
    "loss = F.cross_entropy(logits, y)\n",
    # a total summed under no_grad keeps no graph
    "@torch.no_grad()\ndef evaluate(model, loader):\n    model.eval()\n    total = 0\n    for x, y in loader:\n"
    "        loss = F.cross_entropy(model(x), y)\n        total += loss\n",
    # the training loader shuffles through an expression, or through a sampler
    "train_loader = DataLoader(train_set, shuffle=(sampler is None), sampler=sampler)\n",
    # weights saved for inference only: nothing resumes from them
    "def save(model, optimizer, path):\n    torch.save(model.state_dict(), path)\n",
    # an export after training, loaded back only to predict
    "def train(model, optimizer):\n    torch.save(model.state_dict(), 'final.pth')\n\n"
    "def stylize(path):\n    model = Net()\n    model.load_state_dict(torch.load(path))\n    return model(x)\n",
], ids=["guarded-break", "first-batch-view", "drop-last", "no-dropout-no-eval", "one-cycle", "accumulation",
        "manual-sgd", "log-softmax-nll", "attention-softmax", "no-grad-total", "shuffle-expression",
        "inference-save", "export-then-predict"])
def test_precision_cases_are_not_findings(source):
    assert codes(source, DEFAULT) == []


def test_methods_handed_over_uncalled_are_findings():
    assert codes("torch.save(model.state_dict, 'model.pth')\n") == ["TD116"]
    assert codes("optimizer = optim.SGD(model.parameters, lr=0.1)\n") == ["TD116"]
    assert codes("torch.save(model.state_dict(), 'model.pth')\n") == []


def test_a_checkpoint_without_the_optimizer_is_found_when_training_resumes():
    save = "def save(model, optimizer, path):\n    torch.save(model.state_dict(), path)\n\n"
    assert codes(save + "if args.resume:\n    model.load_state_dict(torch.load(args.resume))\n") == ["TD114"]
    assert codes(save + "def load(path):\n    model = Net()\n    optimizer = optim.SGD(model.parameters(), lr=1)\n"
                        "    model.load_state_dict(torch.load(path))\n") == ["TD114"]


def test_a_conditional_zero_grad_with_an_unconditional_step_is_a_finding():
    source = TRAIN_LOOP.replace("    optimizer.zero_grad()\n", "").format(
        extra="    if i % 10 == 0:\n        print(loss.item())\n        optimizer.zero_grad()")
    assert codes(source) == ["TD101"]


def test_a_model_from_elsewhere_evaluated_without_eval_is_only_info():
    # The file cannot tell whether the model has dropout or BatchNorm: info, hidden by default.
    source = "def test(net, loader):\n    with torch.no_grad():\n        for x, y in loader:\n            out = net(x)\n"
    assert codes(source) == ["TD104"] and codes(source, DEFAULT) == []
    assert codes("class Net(nn.Module):\n    def __init__(self):\n        self.bn = nn.BatchNorm2d(8)\n" + source,
                 DEFAULT) == ["TD104"]


def test_a_scheduler_built_elsewhere_stepped_every_batch_is_only_info():
    source = "def train(model, loader, optimizer, scheduler):\n" + "\n".join(
        "    " + line for line in TRAIN_LOOP.format(extra="    scheduler.step()").splitlines())
    assert codes(source) == ["TD107"] and codes(source, DEFAULT) == []
    assert codes("scheduler = StepLR(optimizer, 1)\n" + source, DEFAULT) == ["TD107"]
