"""Rules on the optimizer and its schedule: built on the model being trained, stepped at the right pace, saved
with the checkpoint a run resumes from."""
from __future__ import annotations

import ast

from checker.rules.syntax import (TRAINING_OPTIMIZERS, Hit, ancestors, call_name, calls, functions, hit, link_parents,
                                  loops_calling, model_classes, walk)

EPOCH_SCHEDULERS = ("StepLR", "MultiStepLR", "ExponentialLR", "ReduceLROnPlateau")
BATCH_SCHEDULERS = ("OneCycleLR", "CyclicLR", "CosineAnnealingWarmRestarts", "LambdaLR", "LinearLR",
                    "SequentialLR", "ChainedScheduler", "PolynomialLR", "CosineAnnealingLR", "ConstantLR",
                    "MultiplicativeLR")


def optimizer_wrong_network(tree: ast.Module) -> list[Hit]:
    """In one function, an optimizer built on X's parameters while a different network Y is created there."""
    classes = set(model_classes(tree))
    hits = []
    for function in functions(tree):
        created = {t.id: n.lineno for n in walk(function) if isinstance(n, ast.Assign)
                   and _constructed_class(n.value) in classes
                   for t in n.targets if isinstance(t, ast.Name)}
        for call in (n for n in walk(function) if isinstance(n, ast.Call)):
            network = _optimizer_network(call)
            if network and created and network not in created:
                hits.append(hit("optimizer_wrong_network", call, ast.unparse(call)))
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


def scheduler_in_batch_loop(tree: ast.Module) -> list[Hit]:
    """`scheduler.step()` straight in the loop that calls backward(), in a file that builds an epoch scheduler
    (StepLR, MultiStepLR, ExponentialLR, ReduceLROnPlateau) and no scheduler meant to step per batch; at "info" when
    the file builds no scheduler it knows. A step under
    an `if` (after the last batch, say) cannot be judged from the source: `checker trace` does that."""
    built = {call_name(n) for n in walk(tree) if isinstance(n, ast.Call)}
    if built & set(BATCH_SCHEDULERS):
        return []
    unsure = not built & set(EPOCH_SCHEDULERS)  # built elsewhere: it may be one meant to step every batch
    hits = []
    for loop in loops_calling(tree, "backward"):
        guarded = {id(n) for branch in walk(loop) if isinstance(branch, ast.If) for n in walk(branch)}
        for call in calls(loop, "step"):
            owner = call.func.value
            if id(call) not in guarded and isinstance(owner, ast.Name) and "sched" in owner.id.lower():
                hits.append(hit("scheduler_in_batch_loop", call, f"{owner.id}.step()", unsure))
    return hits


def _builds_optimizer(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (call_name(node) in TRAINING_OPTIMIZERS
                                           or "optim" in ast.unparse(node.func).lower())


def optimizer_state_not_saved(tree: ast.Module) -> list[Hit]:
    """A checkpoint that saves state_dict()s but not the optimizer's, in a file that resumes training from
    checkpoints: the resumed run starts with fresh momentum and step counts. Loading weights only to predict (an
    inference function, an export) is not resuming."""
    link_parents(tree)
    if not _resumes(tree):
        return []
    hits = []
    for function in functions(tree):
        saves = [c for c in walk(function) if isinstance(c, ast.Call) and ast.unparse(c.func).endswith("save")]
        saved = {ast.unparse(n.func.value) for call in saves for n in walk(call) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Attribute) and n.func.attr == "state_dict"}
        optimizers = {a.arg for a in function.args.args if "optim" in a.arg.lower()}
        optimizers |= {t.id for n in walk(function) if isinstance(n, ast.Assign) and _builds_optimizer(n.value)
                       for t in n.targets if isinstance(t, ast.Name)}
        if saved and optimizers and not saved & optimizers:
            hits.append(hit("optimizer_state_not_saved", saves[0], ast.unparse(saves[0])))
    return hits


def _resumes(tree: ast.Module) -> bool:
    """Weights loaded where training goes on: in a scope that also builds an optimizer, or under a name or a
    condition that says resume (def resume_from_checkpoint, if args.resume)."""
    for call in calls(tree, "load_state_dict"):
        scope = next((a for a in ancestors(call) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))), tree)
        if any(_builds_optimizer(n) for n in walk(scope)):
            return True
        named = [a.name for a in ancestors(call) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))]
        tests = [ast.unparse(a.test) for a in ancestors(call) if isinstance(a, (ast.If, ast.While))]
        if any("resume" in text.lower() or "restore" in text.lower() for text in [*named, *tests]):
            return True
    return False
