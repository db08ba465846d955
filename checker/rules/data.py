"""Rules on the data: the right split for each phase, and a training order that changes every epoch."""
from __future__ import annotations

import ast

from checker.rules.evaluation import evaluation_functions, feeds_a_model
from checker.rules.resolve import resolution
from checker.rules.syntax import Hit, ancestors, call_name, hit, link_parents, loops, method_call, walk

EVALUATION_LOADER = ("test", "val", "valid", "eval")


def data_split(tree: ast.Module) -> list[Hit]:
    """A dataset built with train=False (or split="test") under a training name, train=True under a test name, or a
    training loader built on a dataset named for testing."""
    hits = []
    test_sets, reported = set(), set()
    for assign in _assigned_calls(tree):
        split = _split_of(assign.value)
        for target in (t for t in assign.targets if isinstance(t, ast.Name)):
            name = target.id.lower()
            if split is False:
                test_sets.add(target.id)
            if (split is False and "train" in name) or (split is True and "test" in name):
                reported.add(target.id)
                hits.append(hit("data_split", assign, ast.unparse(assign.value.func) + f"(..., train={split})"))
    for assign in _assigned_calls(tree):
        if call_name(assign.value) != "DataLoader" or not assign.value.args:
            continue
        dataset = assign.value.args[0]
        names = [t.id for t in assign.targets if isinstance(t, ast.Name) and "train" in t.id.lower()]
        if names and isinstance(dataset, ast.Name) and dataset.id not in reported and (
                dataset.id in test_sets or "test" in dataset.id.lower()):
            hits.append(hit("data_split", assign, f"{names[0]} = DataLoader({dataset.id}, ...)"))
        hits += _test_loader_on_training_data(assign, dataset)
    return hits + _evaluation_reading_training_loader(tree)


def _test_loader_on_training_data(assign: ast.Assign, dataset: ast.AST) -> list[Hit]:
    """`testloader = DataLoader(trainset, ...)`: a loader named for evaluation built on the training set."""
    names = [t.id for t in assign.targets if isinstance(t, ast.Name)
             and any(word in t.id.lower() for word in EVALUATION_LOADER) and "train" not in t.id.lower()]
    if names and isinstance(dataset, ast.Name) and "train" in dataset.id.lower() and "test" not in dataset.id.lower():
        return [hit("data_split", assign, f"{names[0]} = DataLoader({dataset.id}, ...)")]
    return []


def _evaluation_reading_training_loader(tree: ast.Module) -> list[Hit]:
    """An evaluation function (evaluate, test, validate, ...) whose batches come from a loader named for training
    (`self.train_loader.__iter__()`), in a file that also has a loader named for evaluation."""
    link_parents(tree)
    texts = {ast.unparse(n) for n in walk(tree) if isinstance(n, (ast.Name, ast.Attribute))}
    if not any(any(word in t.lower() for word in EVALUATION_LOADER) and "loader" in t.lower() for t in texts):
        return []
    hits = []
    for function in evaluation_functions(tree, loops_only=False):
        for node in walk(function):
            if isinstance(node, (ast.Assign, ast.For)) and _reads_training_loader(node):
                hits.append(hit("data_split", node, ast.unparse(getattr(node, "value", None) or node.iter)))
    return hits


def _reads_training_loader(node: ast.AST) -> bool:
    source = node.value if isinstance(node, ast.Assign) else node.iter
    base = source
    while isinstance(base, ast.Call):
        base = base.func.value if isinstance(base.func, ast.Attribute) else (base.args[0] if base.args else None)
    text = ast.unparse(base) if base is not None else ""
    return "train" in text.lower() and "loader" in text.lower() and (
        isinstance(node, ast.For) or method_call(source, "__iter__") or call_name(source) == "iter")


def _assigned_calls(tree: ast.Module):
    return (n for n in walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call))


def _split_of(call: ast.Call) -> bool | None:
    """True for a training split, False for a test split, None when the call does not say."""
    for keyword in call.keywords:
        if keyword.arg == "train" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, bool):
            return keyword.value.value
        if keyword.arg == "split" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
            return {"train": True, "test": False}.get(keyword.value.value)
    return None


def unshuffled_train_loader(tree: ast.Module) -> list[Hit]:
    """A loader named for training, built with no shuffle (or shuffle=False) and no sampler."""
    hits = []
    for assign in _assigned_calls(tree):
        call = assign.value
        names = [t.id for t in assign.targets if isinstance(t, ast.Name) and "train" in t.id.lower()]
        keywords = {k.arg: k.value for k in call.keywords}
        if call_name(call) != "DataLoader" or not names or {"sampler", "batch_sampler", None} & set(keywords):
            continue
        shuffle = keywords.get("shuffle", ast.Constant(False))
        if len(call.args) >= 3:
            shuffle = call.args[2]  # DataLoader(dataset, batch_size, shuffle, ...)
        if isinstance(shuffle, ast.Constant) and not shuffle.value:
            hits.append(hit("unshuffled_train_loader", assign, f"{names[0]} = DataLoader(...)"))
    return hits


def unconditional_break(tree: ast.Module) -> list[Hit]:
    """A `break` straight in the body of a for loop (not under an if) that trains, in it or through the functions it
    calls (the batch loop, and the epoch loop around `train(...)`), or that feeds batches to a model in an evaluation
    function: the loop runs once."""
    link_parents(tree)
    resolver = resolution(tree)
    judged = {id(f) for f in evaluation_functions(tree)}
    hits = []
    for loop in (n for n in loops(tree) if isinstance(n, (ast.For, ast.AsyncFor))):
        breaks = [s for s in loop.body if isinstance(s, ast.Break)]
        if not breaks:
            continue
        evaluating = any(id(a) in judged for a in ancestors(loop)) and feeds_a_model(
            ast.Module(body=[loop], type_ignores=[]))
        if evaluating or resolver.reaches(loop, lambda n: method_call(n, "backward")):
            hits += [hit("unconditional_break", s, "break") for s in breaks]
    return hits

