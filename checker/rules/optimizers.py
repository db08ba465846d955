"""Rules on the optimizer and its schedule: built on the model being trained, stepped at the right pace, saved
with the checkpoint a run resumes from."""
from __future__ import annotations

import ast
import re

from checker.rules.resolve import resolution
from checker.rules.syntax import (TRAINING_OPTIMIZERS, Hit, ancestors, call_name, calls, functions, hit, link_parents,
                                  loops_calling, model_classes, module_level, walk)

EPOCH_SCHEDULERS = ("StepLR", "MultiStepLR", "ExponentialLR", "ReduceLROnPlateau")
BATCH_SCHEDULERS = ("OneCycleLR", "CyclicLR", "CosineAnnealingWarmRestarts", "LambdaLR", "LinearLR",
                    "SequentialLR", "ChainedScheduler", "PolynomialLR", "CosineAnnealingLR", "ConstantLR",
                    "MultiplicativeLR")


def optimizer_wrong_network(tree: ast.Module) -> list[Hit]:
    """An optimizer built on the parameters of a network other than the one trained: in one function, on X while
    only a different network Y is created there; right after Y is created (in a function or at top level), with Y's
    weights and the optimizer's state then loaded, a resume that leaves Y untrained; or a second optimizer named for
    another network (optimizer_d) built on the parameters the first one already holds."""
    classes = set(model_classes(tree))
    hits = []
    for scope, nodes in [(f, walk(f)) for f in functions(tree)] + [(tree, module_level(tree))]:
        created = [(n.lineno, t.id) for n in nodes if isinstance(n, ast.Assign)
                   and _constructed_class(n.value) in classes for t in n.targets if isinstance(t, ast.Name)]
        if scope is not tree:  # top-level code meets networks from anywhere: only the two shapes below hold there
            hits += _built_beside_another(nodes, {name for _, name in created}, tree)
        built = _optimizers_built(nodes, tree)
        hits += _resumed_beside_the_new_network(built, created, nodes)
        hits += _second_optimizer_on_one_network(built, nodes)
    return list({h.line: h for h in reversed(hits)}.values())[::-1]  # one finding a line, the first shape's


def _built_beside_another(nodes: list, created: set[str], tree: ast.Module) -> list[Hit]:
    """Optimizers built on a network that is not one of those the function creates."""
    networks = [(call, _optimizer_network(call, tree)) for call in nodes if isinstance(call, ast.Call)]
    return [hit("optimizer_wrong_network", call, ast.unparse(call)) for call, network in networks
            if network and created and network not in created]


def _optimizers_built(nodes: list, tree: ast.Module) -> list[tuple[str, str, ast.Call]]:
    """(name, network, call) for each `name = SomeOptimizer(network.parameters(), ...)` among nodes."""
    found = []
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call):
            network = _optimizer_network(node.value, tree)
            if network:
                found.append((ast.unparse(node.targets[0]), network, node.value))
    return found


def _resumed_beside_the_new_network(built: list, created: list, nodes: list) -> list[Hit]:
    """`model = Net()` then `optimizer = SGD(net.parameters())`, both state dicts loaded after: the resumed
    optimizer steps the old network, and the one just created and loaded is never trained."""
    loaded = [(c.lineno, ast.unparse(c.func.value)) for c in nodes if isinstance(c, ast.Call)
              and isinstance(c.func, ast.Attribute) and c.func.attr == "load_state_dict"]
    hits = []
    for name, network, call in built:
        before = [(line, created_name) for line, created_name in created if line <= call.lineno]
        newest = max(before)[1] if before else None
        if newest in (None, network) or network not in {n for _, n in created} or any(
                n == newest for _, n, _ in built):
            continue
        after = {receiver for line, receiver in loaded if line > call.lineno}
        if {newest, name} <= after:
            hits.append(hit("optimizer_wrong_network", call, f"{name} = {ast.unparse(call)}"))
    return hits


def _second_optimizer_on_one_network(built: list, nodes: list) -> list[Hit]:
    """Two optimizers on one network's parameters, the second named for another network of the scope that no
    optimizer holds (`optimizer_d = Adam(generator.parameters())` beside `discriminator(...)`)."""
    assigned = {t.id for n in nodes if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    called = {n.func.id for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.args
              and n.func.id in assigned}  # a network the scope builds and runs, not a function it calls
    optimized = {network for _, network, _ in built}
    hits = []
    for index, (name, network, call) in enumerate(built):
        earlier = {other for other, net, _ in built[:index] if net == network and other != name}
        tag = _optimizer_tag(name)
        if not earlier or not tag or _network_tag(network).startswith(tag):
            continue
        if any(_network_tag(other).startswith(tag) for other in called - optimized - {network}):
            hits.append(hit("optimizer_wrong_network", call, f"{name} = {ast.unparse(call)}"))
    return hits


def _optimizer_tag(name: str) -> str:
    """The network an optimizer's name points at: "d" for optimizer_d, optimizerD, d_optim; "" for optimizer."""
    return re.sub(r"optimizer|optim|opt|[_\W\d]", "", name.rsplit(".", 1)[-1].lower())


def _network_tag(name: str) -> str:
    lowered = name.lower()
    return lowered[3:].lstrip("_") if lowered.startswith("net") and len(lowered) > 3 else lowered


def _constructed_class(node: ast.AST) -> str | None:
    """`Net` for `Net()`, and through method chains such as `Net().to(device)`."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
        node = node.func.value
    return ast.unparse(node.func) if isinstance(node, ast.Call) else None


def _optimizer_network(call: ast.Call, tree: ast.Module) -> str | None:
    """X for `SomeOptimizer(X.parameters(), ...)` or `make_optimizer(X)`. A scheduler is built on an optimizer, not on
    a network, however its class is spelled (`torch.optim.lr_scheduler.StepLR(optimizer, ...)`)."""
    if not call.args or _is_scheduler(call, tree):
        return None
    first = call.args[0]
    if (isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) and first.func.attr == "parameters"
            and isinstance(first.func.value, ast.Name)):
        return first.func.value.id
    if "optim" in ast.unparse(call.func).lower() and isinstance(first, ast.Name):
        return first.id
    return None


def _is_scheduler(call: ast.Call, tree: ast.Module) -> bool:
    name = resolution(tree).qualified(call.func)
    last = name.rsplit(".", 1)[-1]
    return "lr_scheduler" in name or last in EPOCH_SCHEDULERS + BATCH_SCHEDULERS or last.endswith(("LR", "Scheduler"))


def _scheduler_pace(owner: ast.AST, tree: ast.Module) -> str | None:
    """"epoch" or "batch" for the scheduler a name is bound to, judged by its class and arguments; None when the
    name is bound to no scheduler the rule knows. CosineAnnealingLR whose T_max counts epochs is an epoch one."""
    built = resolution(tree).value(owner)
    if not isinstance(built, ast.Call):
        return None
    kind = resolution(tree).kind(built)
    if kind == "CosineAnnealingLR":
        t_max = next((k.value for k in built.keywords if k.arg == "T_max"), built.args[1] if len(built.args) > 1 else None)
        return "epoch" if t_max is not None and "epoch" in ast.unparse(t_max).lower() else "batch"
    if kind in EPOCH_SCHEDULERS:
        return "epoch"
    return "batch" if kind in BATCH_SCHEDULERS else None


def scheduler_in_batch_loop(tree: ast.Module) -> list[Hit]:
    """`scheduler.step()` straight in the loop that calls backward(), in a file that builds an epoch scheduler
    (StepLR, MultiStepLR, ExponentialLR, ReduceLROnPlateau) and no scheduler meant to step per batch; at "info" when
    the file builds no scheduler it knows. A step under
    an `if` (after the last batch, say) cannot be judged from the source: `checker trace` does that."""
    link_parents(tree)
    built = {call_name(n) for n in walk(tree) if isinstance(n, ast.Call)}
    hits = []
    for loop in loops_calling(tree, "backward"):
        guarded = {id(n) for branch in walk(loop) if isinstance(branch, ast.If) for n in walk(branch)}
        for call in calls(loop, "step"):
            owner = call.func.value
            name = ast.unparse(owner)
            if id(call) in guarded or not isinstance(owner, (ast.Name, ast.Attribute)) or "sched" not in name.lower():
                continue
            pace = _scheduler_pace(owner, tree)
            if pace == "batch" or (pace is None and built & set(BATCH_SCHEDULERS)):
                continue
            unsure = pace is None and not built & set(EPOCH_SCHEDULERS)  # built elsewhere: maybe a per-batch one
            hits.append(hit("scheduler_in_batch_loop", call, f"{name}.step()", unsure))
    return hits


def _builds_optimizer(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (call_name(node) in TRAINING_OPTIMIZERS
                                           or "optim" in ast.unparse(node.func).lower())


def optimizer_state_not_saved(tree: ast.Module) -> list[Hit]:
    """A checkpoint that saves state_dict()s but not the optimizer's, in a file that resumes training from
    checkpoints: the resumed run starts with fresh momentum and step counts. Loading weights only to predict (an
    inference function, an export) is not resuming. What is saved is resolved through names (`state = {...}` then
    `torch.save(state, path)`) and through the file's save helpers."""
    link_parents(tree)
    if not _resumes(tree):
        return []
    resolver = resolution(tree)
    optimizers = _optimizer_names(tree)
    saves = [c for c in walk(tree) if isinstance(c, ast.Call) and ast.unparse(c.func).endswith("save") and c.args]
    saved = {id(call): _saved_states(call, resolver) for call in saves}
    if not optimizers or any(states & optimizers or any("optim" in s.lower() for s in states)
                             for states in saved.values()):
        return []
    return [hit("optimizer_state_not_saved", call, ast.unparse(call)) for call in saves if saved[id(call)]]


def _saved_states(save: ast.Call, resolver) -> set[str]:
    """The objects whose state_dict() a save call writes: inside its argument, or in the dict a name holds."""
    target = save.args[0]
    scopes = [target]
    value = resolver.value(target, save) if isinstance(target, ast.Name) else None
    if value is not None:
        scopes.append(value)
    return {ast.unparse(n.func.value) for scope in scopes for n in walk(scope) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == "state_dict"}


def _optimizer_names(tree: ast.Module) -> set[str]:
    """What the file calls its optimizers: names and attributes bound to an optimizer, and parameters named so."""
    names = {ast.unparse(t) for n in walk(tree) if isinstance(n, ast.Assign) and _builds_optimizer(n.value)
             and not _is_scheduler(n.value, tree) for t in n.targets}
    names |= {a.arg for f in functions(tree) for a in f.args.args if "optim" in a.arg.lower()}
    return names


RESUME_WORDS = ("resume", "restore", "checkpoint", "ckpt", "load_weights", "continue")


def _resumes(tree: ast.Module) -> bool:
    """Weights loaded where training goes on: in a scope that also builds an optimizer, or under a name or a
    condition that says resume (def resume_from_checkpoint, if args.resume, if opt.load_weights, if the checkpoint
    file exists)."""
    for call in calls(tree, "load_state_dict"):
        scope = next((a for a in ancestors(call) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))), tree)
        if any(_builds_optimizer(n) and not _is_scheduler(n, tree) for n in walk(scope)) and scope is not tree:
            return True
        named = [a.name for a in ancestors(call) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))]
        tests = [ast.unparse(a.test) for a in ancestors(call) if isinstance(a, (ast.If, ast.While))]
        if any(word in text.lower() for text in [*named, *tests] for word in RESUME_WORDS):
            return True
        if any("exists(" in text or "isfile(" in text for text in tests):
            return True
    return _reloads_own_checkpoint(tree)


def _reloads_own_checkpoint(tree: ast.Module) -> bool:
    """A network whose state_dict() the file saves is loaded back (`net.load_state_dict(torch.load(args.load))`)
    and then trained: the script resumes from its own checkpoints, whatever the flag is called."""
    resolver = resolution(tree)
    saved = {ast.unparse(n.func.value) for c in walk(tree) if isinstance(c, ast.Call) and ast.unparse(c.func).endswith(
        "save") for n in walk(c) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        and n.func.attr == "state_dict"}
    for load in calls(tree, "load_state_dict"):
        if ast.unparse(load.func.value) not in saved:
            continue
        scope = next((a for a in ancestors(load) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))), tree)
        later = [n for n in walk(scope) if isinstance(n, ast.Call) and n.lineno > load.lineno]
        if any(resolver.reaches(n, lambda x: isinstance(x, ast.Call) and call_name(x) == "backward") for n in later):
            return True
    return False
