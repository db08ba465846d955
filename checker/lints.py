"""Static lints on the student's source (AST): they say *where* a probe's finding lives, line by line."""
from __future__ import annotations

import ast

from checker.lint_hit import LintHit, calls as _calls, loops_calling
from checker.loop_lints import LOOP_LINTS


def run_lints(tree: ast.Module, names: tuple[str, ...]) -> list[LintHit]:
    """Every named lint's hits. A lint that cannot read the tree (an expression nested too deep for ast.unparse's
    recursion) gives none: lints only point at lines, and the probes judge the run without them."""
    hits = []
    for name in names:
        try:
            hits += LINTS[name][0](tree)
        except RecursionError:
            continue
    return hits


def missing_zero_grad(tree: ast.Module) -> list[LintHit]:
    """A loop that calls backward() with no zero_grad() (or `.grad = None`) inside that same loop."""
    hits = []
    for loop in loops_calling(tree, "backward"):  # the innermost loop with backward() is judged on its own
        backward = next(_calls(loop, "backward"))
        if not list(_calls(loop, "zero_grad")) and not _sets_grad_none(loop):
            hits.append(LintHit("missing_zero_grad", backward.lineno, "backward() without zero_grad() in this loop"))
    return hits


def _sets_grad_none(node: ast.AST) -> bool:
    return any(isinstance(t, ast.Attribute) and t.attr == "grad"
               for n in ast.walk(node) if isinstance(n, ast.Assign) for t in n.targets)


def batch_size_reshape(tree: ast.Module) -> list[LintHit]:
    """reshape()/view() given a module-level batch-size constant instead of -1 or x.size(0)."""
    constants = {t.id for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
                 and isinstance(n.value.value, int) for t in n.targets
                 if isinstance(t, ast.Name) and "batch" in t.id.lower()}
    hits = []
    for method in ("reshape", "view"):
        for call in _calls(tree, method):
            used = {n.id for arg in call.args for n in ast.walk(arg) if isinstance(n, ast.Name)} & constants
            if used:
                hits.append(LintHit("batch_size_reshape", call.lineno, f"{method}({sorted(used)[0]}, ...)"))
    return hits


def optimizer_wrong_network(tree: ast.Module) -> list[LintHit]:
    """In one function, an optimizer built on X's parameters while a different network Y is created there."""
    model_classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                     and any(ast.unparse(b).endswith("Module") for b in n.bases)}
    hits = []
    for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        created = {t.id: n.lineno for n in ast.walk(function) if isinstance(n, ast.Assign)
                   and _constructed_class(n.value) in model_classes
                   for t in n.targets if isinstance(t, ast.Name)}
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            network = _optimizer_network(call)
            if network and created and network not in created:
                others = ", ".join(sorted(created))
                hits.append(LintHit("optimizer_wrong_network", call.lineno,
                                    f"optimizer built on {network} while {others} is created here"))
    return hits


def _constructed_class(node: ast.AST) -> str | None:
    """`Net` for `Net()`, and through method chains such as `Net().to(device)`."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
        node = node.func.value
    return ast.unparse(node.func) if isinstance(node, ast.Call) else None


def _optimizer_network(call: ast.Call) -> str | None:
    """X for `SomeOptimizer(X.parameters(), ...)` or `make_optimizer(X)`."""
    if not call.args:
        return None
    first = call.args[0]
    if (isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) and first.func.attr == "parameters"
            and isinstance(first.func.value, ast.Name)):
        return first.func.value.id
    if "optim" in ast.unparse(call.func).lower() and isinstance(first, ast.Name):
        return first.id
    return None


# Each lint, and the probe whose failing check it supplies the line for.
LINTS = {
    "missing_zero_grad": (missing_zero_grad, "grads_zeroed"),
    "batch_size_reshape": (batch_size_reshape, "batch_independent"),
    "optimizer_wrong_network": (optimizer_wrong_network, "params_owned"),
    **LOOP_LINTS,
}
LINT_FOR_PROBE = {name: probe for name, (_, probe) in LINTS.items()}
