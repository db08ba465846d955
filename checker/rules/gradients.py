"""Rules on gradients: cleared every step, cleared at the right moment, applied at all, not kept in a running total,
not left switched off."""
from __future__ import annotations

import ast

from checker.rules.resolve import resolution
from checker.rules.syntax import (TRAINING_OPTIMIZERS, Hit, call_name, calls, functions, grad_is_off_at, hit,
                                  link_parents, loops_calling, method_call, module_level, under_if, walk)


def missing_zero_grad(tree: ast.Module) -> list[Hit]:
    """A loop that calls backward() and steps, with no zero_grad() (nor `.grad = None`, nor `.grad.zero_()`) in
    that same loop."""
    link_parents(tree)
    resolver = resolution(tree)
    hits = []
    for loop in loops_calling(tree, "backward"):  # the innermost loop with backward() is judged on its own
        backward = next(calls(loop, "backward"))
        if not _updates_parameters(loop):
            continue
        if not any(_clears_grads(scope) for scope in resolver.reachable(loop)):  # also in a helper: reset_grad()
            hits.append(hit("missing_zero_grad", backward, ast.unparse(backward.func) + "()"))
        elif (uncleared := _stepped_but_never_cleared(loop)) is not None:
            hits.append(hit("missing_zero_grad", uncleared, ast.unparse(uncleared.func) + "() never cleared"))
        elif _clears_only_sometimes(loop):
            clear = next(calls(loop, "zero_grad"))
            hits.append(hit("missing_zero_grad", clear, ast.unparse(clear.func) + "() under an if"))
    return hits


def _stepped_but_never_cleared(loop: ast.AST):
    """With two optimizers and every clear an optimizer's own, the step() of one whose zero_grad() never comes (a
    model's zero_grad() would clear an unknown share, so the rule is silent then)."""
    steps = {ast.unparse(c.func.value): c for c in calls(loop, "step") if "opt" in ast.unparse(c.func.value).lower()}
    cleared = {ast.unparse(c.func.value) for c in calls(loop, "zero_grad")}
    if len(steps) < 2 or not cleared or any("opt" not in name.lower() for name in cleared):
        return None
    return next((call for name, call in steps.items() if name not in cleared), None)


def _clears_only_sometimes(loop: ast.AST) -> bool:
    """Every zero_grad() in the loop sits under an if, while a step() runs on every batch. (Gradient accumulation
    steps and clears under the same condition, and is not this.)"""
    clears = list(calls(loop, "zero_grad"))
    steps = list(calls(loop, "step"))
    return bool(clears) and all(under_if(c, loop) for c in clears) and any(not under_if(s, loop) for s in steps)


def _clears_grads(node: ast.AST) -> bool:
    if next(calls(node, "zero_grad"), None) is not None:
        return True
    for child in walk(node):
        if isinstance(child, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "grad"
                                                 for t in child.targets):
            return True
        if method_call(child, "zero_", "detach_") and "grad" in ast.unparse(child.func.value).split("."):
            return True
    return False


def _updates_parameters(loop: ast.AST) -> bool:
    """An optimizer step, or a hand-written update that reads a parameter's `.grad` (not the `.grad` of an input
    tensor, read for an adversarial direction)."""
    if next(calls(loop, "step"), None) is not None:
        return True
    params = {n.target.id for n in walk(loop) if isinstance(n, (ast.For, ast.comprehension))
              and isinstance(n.target, ast.Name) and "parameters" in ast.unparse(n.iter)}
    return any(isinstance(n, ast.Attribute) and n.attr == "grad" and isinstance(n.ctx, ast.Load)
               and (not isinstance(n.value, ast.Name) or n.value.id in params or "param" in n.value.id.lower()
                    or n.value.id in ("p", "w", "weight", "bias"))
               for n in walk(loop))


def zero_grad_between_backward_and_step(tree: ast.Module) -> list[Hit]:
    """zero_grad() after backward() and before the step() that follows, with no backward() between them: the step
    then applies nothing."""
    hits = []
    for loop in loops_calling(tree, "backward"):
        events = sorted(((node.lineno, node.col_offset), node.func.attr, node) for node in walk(loop)
                        if method_call(node, "backward", "zero_grad", "step"))
        after_backward = False
        for index, (_, kind, node) in enumerate(events):
            if kind == "backward":
                after_backward = True
            elif kind == "step":
                after_backward = False
            elif after_backward:
                after_backward = False
                following = next((k for _, k, _ in events[index + 1:] if k != "zero_grad"), None)
                if following == "step":  # a clear followed by another backward() starts the next update: no bug
                    hits.append(hit("zero_grad_between_backward_and_step", node, ast.unparse(node.func) + "()"))
    return hits


def missing_optimizer_step(tree: ast.Module) -> list[Hit]:
    """An optimizer is built and backward() runs, but nothing in the file ever steps or reads `.grad`."""
    built = any(call_name(n) in TRAINING_OPTIMIZERS for n in walk(tree) if isinstance(n, ast.Call))
    if not built or next(calls(tree, "step"), None) is not None:
        return []
    if any(isinstance(n, ast.Attribute) and n.attr == "grad" and isinstance(n.ctx, ast.Load) for n in walk(tree)):
        return []
    return [hit("missing_optimizer_step", next(calls(loop, "backward")), "optimizer.step()")
            for loop in loops_calling(tree, "backward")]


LOSS_CALLS = ("cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
              "binary_cross_entropy_with_logits", "smooth_l1_loss", "kl_div", "criterion", "loss_fn", "loss_function")
DETACHING = ("item", "detach", "tolist", "numpy", "cpu_item")


def loss_accumulated_with_graph(tree: ast.Module) -> list[Hit]:
    """`total += loss` (or `total = total + loss`, `losses.append(loss)`, `meter.update(loss)` on a meter whose
    update() sums what it is given) while grad is on: the total keeps every step's graph alive. Summing loss.item()
    keeps only the number."""
    link_parents(tree)
    resolver = resolution(tree)
    hits = []
    for scope, nodes in [(f, walk(f)) for f in functions(tree)] + [(tree, module_level(tree))]:
        losses = _loss_names(nodes)
        for node in nodes:
            added = _tensor_added(node, losses) or _tensor_metered(node, losses, resolver)
            if added and not grad_is_off_at(node):
                hits.append(hit("loss_accumulated_with_graph", node, ast.unparse(node)))
    return hits


def _loss_names(nodes: list) -> set[str]:
    """Names holding a loss tensor: backward() is called on them, a loss call is assigned to them, or they are
    unpacked from the call that gives one backward() is called on (`loss, aux_loss = model.losses(batch)`)."""
    backed = {c.func.value.id for c in nodes if method_call(c, "backward") and isinstance(c.func.value, ast.Name)}
    names = backed | {t.id for n in nodes if isinstance(n, ast.Assign) and _is_loss_call(n.value)
                      for t in n.targets if isinstance(t, ast.Name)}
    for node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.targets[0], ast.Tuple):
            unpacked = {e.id for e in node.targets[0].elts if isinstance(e, ast.Name)}
            names |= {name for name in unpacked if "loss" in name.lower()} if unpacked & backed else set()
    return names


def _tensor_metered(node: ast.AST, losses: set[str], resolver) -> str | None:
    """The loss name handed to `meter.update(...)`, when the meter's class (here or beside) sums what update() is
    given: the meter then holds every step's graph."""
    if not method_call(node, "update") or not node.args:
        return None
    built = resolver.value(node.func.value, node)
    meter = resolver.class_named(resolver.kind(built)) if isinstance(built, ast.Call) else None
    update = next((m for m in (meter.body if meter else []) if isinstance(m, ast.FunctionDef) and m.name == "update"),
                  None)
    if update is None or not any(isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add) for n in walk(update)):
        return None
    return next((found for arg in node.args if (found := _bare_use(arg, losses))), None)


def _is_loss_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (call_name(node) in LOSS_CALLS or call_name(node).endswith("_loss"))


def _tensor_added(node: ast.AST, losses: set[str]) -> str | None:
    """The loss name a running total takes in as a tensor, if node is such a sum."""
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
        target = node.target.id if isinstance(node.target, ast.Name) else None
        return _bare_use(node.value, losses - {target})
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.Add):
        targets = {t.id for t in node.targets if isinstance(t, ast.Name)}
        operands = [node.value.left, node.value.right]
        if targets & losses or not any(isinstance(o, ast.Name) and o.id in targets for o in operands):
            return None  # building the loss itself (loss = loss + penalty), or not a running total
        return _bare_use(node.value, losses)
    if method_call(node, "append") and len(node.args) == 1:
        return _bare_use(node.args[0], losses)
    return None


def _bare_use(expr: ast.AST, names: set[str]) -> str | None:
    """A name from `names` used in expr other than through .item(), .detach(), float() and the like."""
    if isinstance(expr, ast.Call) and (call_name(expr) in DETACHING or call_name(expr) in ("float", "int")):
        return None
    if isinstance(expr, ast.Attribute) and expr.attr == "data":
        return None
    if isinstance(expr, ast.Name):
        return expr.id if expr.id in names else None
    for child in ast.iter_child_nodes(expr):
        found = _bare_use(child, names)
        if found:
            return found
    return None


def grad_mode_left_off(tree: ast.Module) -> list[Hit]:
    """`torch.set_grad_enabled(False)` as a statement, with no set_grad_enabled(True) after it in that block, nor at
    the start of the training itself (a function that calls backward() and turns grad back on)."""
    hits = []
    if any(_restores_grad_mode(function) for function in functions(tree)):
        return hits
    for node in walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for index, statement in enumerate(body):
            if _sets_grad_mode(statement, False) and not any(_sets_grad_mode(s, True) for s in body[index + 1:]):
                hits.append(hit("grad_mode_left_off", statement, ast.unparse(statement)))
    return hits


def _restores_grad_mode(function: ast.AST) -> bool:
    statements = [n for n in walk(function) if isinstance(n, ast.stmt)]
    return any(_sets_grad_mode(s, True) for s in statements) and any(True for _ in calls(function, "backward"))


def _sets_grad_mode(statement: ast.stmt, value: bool) -> bool:
    call = statement.value if isinstance(statement, ast.Expr) else None
    return (isinstance(call, ast.Call) and ast.unparse(call.func).endswith("set_grad_enabled") and len(call.args) == 1
            and isinstance(call.args[0], ast.Constant) and call.args[0].value is value)
