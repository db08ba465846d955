"""Static lints on the training loop's parts: the scheduler, the loss, the data splits, stray breaks, grad mode,
checkpoints.

Each returns LintHits whose line is where the cause sits, so the verdict can point there when its probe fails.
"""
from __future__ import annotations

import ast

from checker.lint_hit import LintHit, calls, functions, loops_calling


def scheduler_in_batch_loop(tree: ast.Module) -> list[LintHit]:
    """`scheduler.step()` inside the loop that calls backward(): the schedule then advances every batch. A step under
    an `if` (after the last batch, say) cannot be judged from the source: the probe does that."""
    hits = []
    for loop in loops_calling(tree, "backward"):
        guarded = {id(n) for branch in ast.walk(loop) if isinstance(branch, ast.If) for n in ast.walk(branch)}
        for call in calls(loop, "step"):
            if id(call) in guarded:
                continue
            owner = call.func.value
            if isinstance(owner, ast.Name) and "sched" in owner.id.lower():
                hits.append(LintHit("scheduler_in_batch_loop", call.lineno, f"{owner.id}.step() in the batch loop"))
    return hits


def softmax_before_cross_entropy(tree: ast.Module) -> list[LintHit]:
    """A softmax in forward() of a script whose loss is cross_entropy / CrossEntropyLoss, which softmaxes again."""
    source_names = {n.attr if isinstance(n, ast.Attribute) else n.id
                    for n in ast.walk(tree) if isinstance(n, (ast.Attribute, ast.Name))}
    if not source_names & {"cross_entropy", "CrossEntropyLoss"}:
        return []
    hits = []
    for function in functions(tree):
        if function.name != "forward":
            continue
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            if name in ("softmax", "Softmax"):
                hits.append(LintHit("softmax_before_cross_entropy", call.lineno, "softmax in forward()"))
    return hits


def data_split(tree: ast.Module) -> list[LintHit]:
    """A dataset built with train=False under a training name, or train=True under a test name."""
    hits = []
    for assign in (n for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)):
        split = next((k.value.value for k in assign.value.keywords
                      if k.arg == "train" and isinstance(k.value, ast.Constant)), None)
        for target in (t for t in assign.targets if isinstance(t, ast.Name)):
            name = target.id.lower()
            if (split is False and "train" in name) or (split is True and "test" in name):
                hits.append(LintHit("data_split", assign.lineno, f"{target.id} = ...(train={split})"))
    return hits


def unshuffled_train_loader(tree: ast.Module) -> list[LintHit]:
    """A loader named for training that is built without shuffle=True (or a random sampler)."""
    hits = []
    for assign in (n for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)):
        call = assign.value
        called = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        names = [t.id for t in assign.targets if isinstance(t, ast.Name) and "train" in t.id.lower()]
        keywords = {k.arg: k.value for k in call.keywords}
        shuffled = isinstance(keywords.get("shuffle"), ast.Constant) and keywords["shuffle"].value is True
        if called == "DataLoader" and names and not shuffled and "sampler" not in keywords \
                and "batch_sampler" not in keywords and not (isinstance(keywords.get("shuffle"), ast.Name)):
            hits.append(LintHit("unshuffled_train_loader", assign.lineno, f"{names[0]} without shuffle=True"))
    return hits


def loss_accumulated_with_graph(tree: ast.Module) -> list[LintHit]:
    """`total += loss` (or `total = total + loss`, `losses.append(loss)`) where loss.backward() is called: the
    total keeps every step's graph. Summing loss.item() keeps only the number."""
    hits = []
    for function in functions(tree):
        losses = {c.func.value.id for c in calls(function, "backward") if isinstance(c.func.value, ast.Name)}
        for node in ast.walk(function):
            added = _name_added(node)
            if added in losses:
                hits.append(LintHit("loss_accumulated_with_graph", node.lineno, f"{added} added up as a tensor"))
    return hits


def _name_added(node: ast.AST) -> str | None:
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.value, ast.Name):
        return node.value.id
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.Add):
        operands = [node.value.left, node.value.right]
        targets = {t.id for t in node.targets if isinstance(t, ast.Name)}
        if any(isinstance(o, ast.Name) and o.id in targets for o in operands):
            other = next((o for o in operands if isinstance(o, ast.Name) and o.id not in targets), None)
            return other.id if other is not None else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
            and len(node.args) == 1 and isinstance(node.args[0], ast.Name)):
        return node.args[0].id
    return None


def unconditional_break(tree: ast.Module) -> list[LintHit]:
    """A `break` straight in the body of a training loop (not under an if): every epoch ends after one batch."""
    hits = []
    for loop in loops_calling(tree, "backward"):
        if isinstance(loop, ast.For):
            hits += [LintHit("unconditional_break", s.lineno, "break at the end of the first batch")
                     for s in loop.body if isinstance(s, ast.Break)]
    return hits


def grad_mode_left_off(tree: ast.Module) -> list[LintHit]:
    """`torch.set_grad_enabled(False)` as a statement, with no set_grad_enabled(True) after it in that block, nor at
    the start of the training itself (a function that calls backward() and turns grad back on)."""
    hits = []
    if any(_restores_grad_mode(function) for function in functions(tree)):
        return hits
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for index, statement in enumerate(body):
            if _sets_grad_mode(statement, False) and not any(_sets_grad_mode(s, True) for s in body[index + 1:]):
                hits.append(LintHit("grad_mode_left_off", statement.lineno, "set_grad_enabled(False) never undone"))
    return hits


def _restores_grad_mode(function: ast.AST) -> bool:
    statements = [n for n in ast.walk(function) if isinstance(n, ast.stmt)]
    return any(_sets_grad_mode(s, True) for s in statements) and any(True for _ in calls(function, "backward"))


def _sets_grad_mode(statement: ast.stmt, value: bool) -> bool:
    call = statement.value if isinstance(statement, ast.Expr) else None
    return (isinstance(call, ast.Call) and ast.unparse(call.func).endswith("set_grad_enabled") and len(call.args) == 1
            and isinstance(call.args[0], ast.Constant) and call.args[0].value is value)


def optimizer_state_not_saved(tree: ast.Module) -> list[LintHit]:
    """A function given the optimizer that saves state_dict()s, but not the optimizer's: resume cannot be exact."""
    hits = []
    for function in functions(tree):
        saves = [c for c in ast.walk(function) if isinstance(c, ast.Call) and ast.unparse(c.func).endswith("save")]
        saved = {ast.unparse(n.func.value) for call in saves for n in ast.walk(call) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Attribute) and n.func.attr == "state_dict"}
        optimizers = {a.arg for a in function.args.args if "optim" in a.arg.lower()}
        if saved and optimizers and not saved & optimizers:
            hits.append(LintHit("optimizer_state_not_saved", saves[0].lineno,
                                f"{', '.join(sorted(saved))} saved, {sorted(optimizers)[0]} not"))
    return hits


LOOP_LINTS = {
    "scheduler_in_batch_loop": (scheduler_in_batch_loop, "scheduler_per_epoch"),
    "softmax_before_cross_entropy": (softmax_before_cross_entropy, "loss_on_logits"),
    "data_split": (data_split, "train_split"),
    "unshuffled_train_loader": (unshuffled_train_loader, "train_shuffled"),
    "loss_accumulated_with_graph": (loss_accumulated_with_graph, "train_graph_released"),
    "unconditional_break": (unconditional_break, "full_epochs"),
    "grad_mode_left_off": (grad_mode_left_off, "grad_enabled_train"),
    "optimizer_state_not_saved": (optimizer_state_not_saved, "resume_equivalent"),
}
