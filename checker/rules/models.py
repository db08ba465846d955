"""Rules on the model's output and shapes: a batch size baked into view()/reshape(), probabilities where the loss
wants logits."""
from __future__ import annotations

import ast

import re

from checker.rules.resolve import resolution
from checker.rules.syntax import (Hit, ancestors, call_name, enclosing_function, functions, hit, link_parents,
                                  model_classes, walk)

BATCH_NAME = re.compile(r"(^|_)(bs|bsize|batch|batchsize|batch_size|n_batch|batch_sz)$", re.IGNORECASE)
BINARY_LOSSES = ("BCELoss", "binary_cross_entropy", "BCEWithLogitsLoss", "binary_cross_entropy_with_logits")

SQUASHING = ("softmax", "Softmax", "sigmoid", "Sigmoid")
CROSS_ENTROPY = ("cross_entropy", "CrossEntropyLoss")
NLL = ("nll_loss", "NLLLoss")


def batch_size_reshape(tree: ast.Module) -> list[Hit]:
    """reshape()/view() given the batch size (a module-level constant, or `args.batch_size`) instead of -1 or
    x.size(0): the last, smaller batch then breaks or mixes samples. Quiet where only full batches reach it: under
    `if i == 0` (the first batch), or when every DataLoader drops the last one."""
    link_parents(tree)
    constants = {t.id for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
                 and isinstance(n.value.value, int) for t in n.targets
                 if isinstance(t, ast.Name) and ("batch" in t.id.lower() or BATCH_NAME.search(t.id))}
    if _every_loader_drops_last(tree):
        return []
    hits = []
    for call in (n for n in walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr in ("view", "reshape")):
        used = [ast.unparse(n) for arg in call.args for n in walk(arg) if _names_the_batch_size(n, constants)]
        if used and not _first_batch_only(call):
            hits.append(hit("batch_size_reshape", call, f"{call.func.attr}({used[0]}, ...)"))
    return hits + [hit("batch_size_reshape", loop.iter, ast.unparse(loop.iter)) for loop in _loops_over_a_full_batch(
        tree, constants)]


def _names_the_batch_size(node: ast.AST, constants: set[str]) -> bool:
    return (isinstance(node, ast.Name) and node.id in constants) or (
        isinstance(node, ast.Attribute) and ("batch_size" in node.attr.lower() or BATCH_NAME.search(node.attr)))


def _loops_over_a_full_batch(tree: ast.Module, constants: set[str]) -> list[ast.For]:
    """`for i in range(batch_size): labels[i]` inside a loop over batches: the last, smaller batch runs out of
    samples before the counter does."""
    found = []
    for loop in (n for n in walk(tree) if isinstance(n, ast.For) and isinstance(n.target, ast.Name)
                 and call_name(n.iter) == "range" and len(n.iter.args) == 1
                 and _names_the_batch_size(n.iter.args[0], constants)):
        batches = {t.id for outer in ancestors(loop) if isinstance(outer, ast.For) for t in walk(outer.target)
                   if isinstance(t, ast.Name)}
        if any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in batches
               and isinstance(n.slice, ast.Name) and n.slice.id == loop.target.id for n in walk(loop)):
            found.append(loop)
    return found


def _every_loader_drops_last(tree: ast.Module) -> bool:
    loaders = [n for n in walk(tree) if isinstance(n, ast.Call) and call_name(n) == "DataLoader"]
    return bool(loaders) and all(any(k.arg == "drop_last" and isinstance(k.value, ast.Constant) and k.value.value
                                     is True for k in loader.keywords) for loader in loaders)


def _first_batch_only(node: ast.AST) -> bool:
    """Under `if i == 0:` (or `batch_idx == 0`): the first batch, which is always a full one."""
    for ancestor in ancestors(node):
        test = getattr(ancestor, "test", None) if isinstance(ancestor, ast.If) else None
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq) and any(
                isinstance(side, ast.Constant) and side.value == 0 for side in (test.left, *test.comparators)):
            return True
    return False


def softmax_before_cross_entropy(tree: ast.Module) -> list[Hit]:
    """The model returns softmax (or sigmoid) output, or the loss is handed it, in a file whose loss is
    cross_entropy / CrossEntropyLoss, which applies log-softmax itself."""
    beside = None if _uses(tree, CROSS_ENTROPY) else _sibling_trains_with(tree, CROSS_ENTROPY)
    if not _uses(tree, CROSS_ENTROPY) and beside is None:
        return []
    link_parents(tree)
    # A sigmoid is a binary model's output: it is this rule's only when no binary loss could be what it feeds.
    squashing = SQUASHING if not _uses(tree, BINARY_LOSSES) else ("softmax", "Softmax")
    squashed = _returned_calls(tree, squashing) + _last_layers(tree, squashing) + _loss_inputs(tree, CROSS_ENTROPY)
    severity = "warning" if beside == "likely" else None  # the sibling trains some model with it, maybe not this one
    return [Hit("softmax_before_cross_entropy", call.lineno, ast.unparse(call), call.col_offset + 1, severity)
            for call in squashed]


def softmax_before_nll_loss(tree: ast.Module) -> list[Hit]:
    """The model returns softmax probabilities to nll_loss / NLLLoss, which expects log-probabilities."""
    if not _uses(tree, NLL) or _uses(tree, CROSS_ENTROPY):
        return []
    link_parents(tree)
    probabilities = ("softmax", "Softmax")
    found = _returned_calls(tree, probabilities) + _last_layers(tree, probabilities) + _loss_inputs(
        tree, NLL, probabilities)
    return [hit("softmax_before_nll_loss", call, ast.unparse(call)) for call in found]


def _sibling_trains_with(tree: ast.Module, losses: tuple[str, ...]) -> str | None:
    """"named" when a sibling module builds one of this file's model classes and uses one of the losses (the model
    in model.py, the loss in train.py); "likely" when a sibling trains with one of the losses (backward() called)
    on models it does not define, whose classes are built elsewhere; None otherwise."""
    classes = {n.name for n in walk(tree) if isinstance(n, ast.ClassDef)}
    found = None
    for sibling in resolution(tree).siblings():
        names = {n.id if isinstance(n, ast.Name) else n.attr for n in walk(sibling)
                 if isinstance(n, (ast.Name, ast.Attribute))}
        if names & classes and names & set(losses):
            return "named"
        if names & set(losses) and "backward" in names and not model_classes(sibling):
            found = "likely"
    return found


def _loss_inputs(tree: ast.Module, losses: tuple[str, ...], squashing: tuple[str, ...] = SQUASHING) -> list[ast.Call]:
    """Squashing calls handed to the loss: `cross_entropy(F.softmax(x), y)`, or a name last assigned one in the
    same function (`out = F.softmax(out)` ... `criterion(out, y)` with criterion = nn.CrossEntropyLoss(), also held
    as `self.criterion`)."""
    criteria = {ast.unparse(t) for n in walk(tree) if isinstance(n, ast.Assign) and call_name(n.value) in losses
                for t in n.targets if isinstance(t, (ast.Name, ast.Attribute))}
    found = []
    for loss in (n for n in walk(tree) if isinstance(n, ast.Call) and n.args and (
            call_name(n) in losses or ast.unparse(n.func) in criteria)):
        value = _last_value(loss.args[0], loss)
        if call_name(value) in squashing:
            found.append(value)
    return found


def _last_value(expr: ast.AST, at: ast.AST) -> ast.AST:
    """What a name was last assigned before `at`, in the same function; expr itself otherwise."""
    if not isinstance(expr, ast.Name):
        return expr
    scope = enclosing_function(at)
    if scope is None:
        return expr
    assigned = [n for n in walk(scope) if isinstance(n, ast.Assign) and n.lineno < at.lineno
                and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)]
    return max(assigned, key=lambda n: n.lineno).value if assigned else expr


def log_softmax_before_cross_entropy(tree: ast.Module) -> list[Hit]:
    """log_softmax output into cross_entropy: harmless (log-softmax of log-probabilities changes nothing), but the
    pairing says the author meant nll_loss."""
    if not _uses(tree, CROSS_ENTROPY) or _uses(tree, NLL):
        return []
    found = _returned_calls(tree, ("log_softmax", "LogSoftmax")) + _last_layers(tree, ("LogSoftmax",))
    return [hit("log_softmax_before_cross_entropy", call, ast.unparse(call)) for call in found]


def _uses(tree: ast.Module, names: tuple[str, ...]) -> bool:
    return any((isinstance(n, ast.Attribute) and n.attr in names) or (isinstance(n, ast.Name) and n.id in names)
               for n in walk(tree))


def _returned_calls(tree: ast.Module, names: tuple[str, ...]) -> list[ast.Call]:
    """Calls named `names` whose value forward() returns: directly, or through the last assignment of the name it
    returns."""
    found = []
    for function in (f for f in functions(tree) if f.name == "forward"):
        for ret in (n for n in walk(function) if isinstance(n, ast.Return) and n.value is not None):
            value = ret.value
            if isinstance(value, ast.Name):
                assigned = [n for n in walk(function) if isinstance(n, ast.Assign) and n.lineno < ret.lineno
                            and any(isinstance(t, ast.Name) and t.id == value.id for t in n.targets)]
                value = max(assigned, key=lambda n: n.lineno).value if assigned else value
            if isinstance(value, ast.Call) and call_name(value) in names:
                found.append(value)
    return found


def _last_layers(tree: ast.Module, names: tuple[str, ...]) -> list[ast.Call]:
    """`nn.Softmax(...)` as the last layer of an nn.Sequential, or appended last with add_module()."""
    found = [n.args[-1] for n in walk(tree) if isinstance(n, ast.Call) and call_name(n) == "Sequential"
             and n.args and call_name(n.args[-1]) in names]
    for function in functions(tree):
        added = [n for n in walk(function) if isinstance(n, ast.Call) and call_name(n) == "add_module"
                 and len(n.args) == 2]
        if added:
            last = max(added, key=lambda n: (n.lineno, n.col_offset)).args[1]
            found += [last] if call_name(last) in names else []
    return found
