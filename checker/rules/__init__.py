"""The rules: one set, used by `checker lint` on any script and by `checker verify` to point a failing probe at
its line.

Each rule is a function from a module's syntax tree to hits. Its code, severity, messages, documentation and
examples live in catalog.toml beside this file (content as data); docs/rules.md is generated from it.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from checker.rules import data, evaluation, gradients, models, optimizers
from checker.rules.syntax import Hit, link_parents

SEVERITIES = ("info", "warning", "error")
CATALOG = Path(__file__).with_name("catalog.toml")
CHECKS = {function.__name__: function for function in (
    gradients.missing_zero_grad, gradients.zero_grad_between_backward_and_step, gradients.missing_optimizer_step,
    gradients.loss_accumulated_with_graph, gradients.grad_mode_left_off,
    evaluation.eval_without_eval_mode, evaluation.eval_without_no_grad, evaluation.train_mode_not_restored,
    evaluation.method_not_called, evaluation.grad_context_not_entered,
    models.batch_size_reshape, models.softmax_before_cross_entropy, models.log_softmax_before_cross_entropy,
    models.softmax_before_nll_loss, data.data_split, data.unshuffled_train_loader, data.unconditional_break,
    optimizers.optimizer_wrong_network, optimizers.scheduler_in_batch_loop, optimizers.optimizer_state_not_saved)}


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    probe: str | None  # the verify probe whose failing check this rule supplies the line for
    texts: dict  # message / why / fix, each {"en": ..., "zh": ...}
    wrong: str
    right: str

    def text(self, part: str, lang: str, **fields) -> str:
        template = self.texts[part].get(lang) or self.texts[part]["en"]
        return template.format(**fields) if fields else template

    def check(self, tree: ast.Module) -> list[Hit]:
        return CHECKS[self.name](tree)


def _load() -> dict[str, Rule]:
    raw = tomllib.loads(CATALOG.read_text(encoding="utf-8"))
    rules = {}
    for code, entry in raw.items():
        rules[code] = Rule(code=code, name=entry["name"], severity=entry["severity"], probe=entry.get("probe"),
                           texts={part: entry[part] for part in ("title", "message", "why", "fix")},
                           wrong=entry["wrong"], right=entry["right"])
    return rules


@dataclass(frozen=True)
class RuntimeKind:
    """A kind of `checker trace` finding: the code it shares with a rule (or its own TD2xx), and its texts."""
    kind: str
    code: str
    texts: dict  # message, and for a TD2xx code also title / why / fix

    def text(self, part: str, lang: str, **fields) -> str:
        template = self.texts[part].get(lang) or self.texts[part]["en"]
        return template.format(**fields) if fields else template


def _load_runtime() -> dict[str, RuntimeKind]:
    raw = tomllib.loads(CATALOG.with_name("runtime.toml").read_text(encoding="utf-8"))
    return {kind: RuntimeKind(kind, entry["code"], {k: v for k, v in entry.items() if k != "code"})
            for kind, entry in raw.items()}


RULES = _load()
RUNTIME = _load_runtime()
RUNTIME_ONLY = {k.code: k for k in RUNTIME.values() if k.code not in RULES}  # TD2xx: found only by a run
BY_NAME = {rule.name: rule for rule in RULES.values()}
LINT_FOR_PROBE = {rule.name: rule.probe for rule in RULES.values() if rule.probe}


def run(tree: ast.Module, names=None, path: str | None = None) -> list[Hit]:
    """Every named rule's hits (all rules when names is None), sorted by line. A rule that cannot read the tree (an
    expression nested too deep for ast.unparse's recursion) gives none: the probes judge a run without them. With the
    file's path, the rules also see what its sibling modules define (checker/rules/resolve.py)."""
    if path is not None:
        tree._td_path = str(path)
    link_parents(tree)
    hits = []
    for name in (names if names is not None else BY_NAME):
        try:
            hits += BY_NAME[name].check(tree)
        except RecursionError:
            continue
    return sorted(set(hits), key=lambda h: (h.line, h.col, BY_NAME[h.rule].code))
