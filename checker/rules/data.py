"""Rules on the data: the right split for each phase, and a training order that changes every epoch."""
from __future__ import annotations

import ast
import re

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
    return hits + _evaluation_reading_training_loader(tree) + _test_arrays_from_training_data(tree)


TEST_NAME = re.compile(r"(^|_)(te|test|val|valid)($|_|[A-Z])", re.IGNORECASE)
TRAIN_NAME = re.compile(r"(^|_)(tr|train|training)($|_|[A-Z])", re.IGNORECASE)


def _test_arrays_from_training_data(tree: ast.Module) -> list[Hit]:
    """`test_images, test_labels = get_all_data(dataset)` or `X_te = np.array(X_tr)`: test arrays built from a value
    that is the training split (by its name, or by the train=True it was built with), in a file that also builds a
    test split, which then goes unused for them."""
    resolver = resolution(tree)
    if not any(_split_of(n) is False for n in walk(tree) if isinstance(n, ast.Call)) and not any(
            isinstance(t, ast.Name) and TEST_NAME.search(t.id) and "train" not in t.id.lower()
            for n in walk(tree) if isinstance(n, ast.Assign) for t in n.targets):
        return []
    hits = []
    for assign in _assigned_calls(tree):
        names = [n.id for t in assign.targets for n in walk(t) if isinstance(n, ast.Name)]
        if call_name(assign.value) == "DataLoader" or not names or not all(
                TEST_NAME.search(name) and not TRAIN_NAME.search(name) for name in names):
            continue
        source = next((a for a in assign.value.args if isinstance(a, ast.Name) and _is_training_split(a, resolver)),
                      None)
        if source is not None:
            hits.append(hit("data_split", assign, f"{names[0]} = {call_name(assign.value)}({source.id}, ...)"))
    return hits


def _is_training_split(name: ast.Name, resolver) -> bool:
    if TRAIN_NAME.search(name.id) and not TEST_NAME.search(name.id):
        return True
    value = resolver.value(name)
    return isinstance(value, ast.Call) and _split_of(value) is True


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
            hits.append(hit("unshuffled_train_loader", assign, f"{names[0]} = DataLoader(...)",
                            _stored_shuffled(call, tree) or _labels_discarded(names[0], tree)))
    return hits


def _labels_discarded(loader: str, tree: ast.Module) -> bool:
    """Every loop over the loader throws its labels away (`for i, (x, _) in enumerate(loader)`): a loss that never
    reads the labels (a style or reconstruction loss) is not biased by a class-sorted order, only a little less
    varied."""
    targets = [n.target for n in walk(tree) if isinstance(n, (ast.For, ast.AsyncFor))
               and loader in {x.id for x in walk(n.iter) if isinstance(x, ast.Name)}]
    batches = [t.elts[1] if isinstance(t, ast.Tuple) and len(t.elts) == 2 and isinstance(t.elts[1], ast.Tuple) else t
               for t in targets]
    return bool(batches) and all(isinstance(b, ast.Tuple) and isinstance(b.elts[-1], ast.Name) and b.elts[-1].id == "_"
                                 for b in batches)


STORED_SHUFFLED = ("MNIST", "FashionMNIST", "KMNIST", "EMNIST", "QMNIST", "CIFAR10", "CIFAR100", "SVHN", "STL10")


def _stored_shuffled(loader: ast.Call, tree: ast.Module) -> bool:
    """The loader reads one of torchvision's classic datasets, whose files hold the samples in no particular order:
    one fixed order for every epoch is then a small loss, not a sorted pass (an ImageFolder is sorted by class)."""
    dataset = loader.args[0] if loader.args else next((k.value for k in loader.keywords if k.arg == "dataset"), None)
    value = resolution(tree).value(dataset) if isinstance(dataset, ast.Name) else dataset
    return isinstance(value, ast.Call) and call_name(value) in STORED_SHUFFLED


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

