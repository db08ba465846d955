"""Rules on the data: the right split for each phase, and a training order that changes every epoch."""
from __future__ import annotations

import ast

from checker.rules.syntax import Hit, call_name, hit, loops_calling, walk


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
    return hits


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
    """A `break` straight in the body of a training loop (not under an if): every epoch ends after one batch."""
    hits = []
    for loop in loops_calling(tree, "backward"):
        if isinstance(loop, (ast.For, ast.AsyncFor)):
            hits += [hit("unconditional_break", s, "break") for s in loop.body if isinstance(s, ast.Break)]
    return hits
