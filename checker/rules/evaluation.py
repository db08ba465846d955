"""Rules on evaluation: eval() and no_grad() around it, train() restored after it, and mode switches that were
named but never called.

An evaluation pass is found without running anything: a function named like one (test, evaluate, validate, ...)
whose loop feeds batches to a model and never calls backward(), or a loop under `with torch.no_grad()` that does."""
from __future__ import annotations

import ast
import re

from checker.rules.resolve import resolution
from checker.rules.syntax import (Hit, ancestors, call_name, calls, defined_functions, enclosing_function, functions,
                                  grad_is_off_at, hit, is_grad_off_context, link_parents, loops, method_call, walk)

EVALUATION_NAME = re.compile(r"(^|_)(test|tests|eval|evaluate|evaluation|valid|validate|validation|val|dev|infer|"
                             r"inference|predict)($|_)", re.IGNORECASE)
MODE_METHODS = ("eval", "train", "zero_grad", "step", "backward")
HANDED_METHODS = ("state_dict", "parameters", "named_parameters")


def evaluation_functions(tree: ast.Module, loops_only: bool = True) -> list[ast.FunctionDef]:
    """Functions named for evaluation that feed batches to a model and never train; with loops_only False, also the
    one-batch ones that run a model on what they are given without a loop (`validation_step(self, batch)`,
    `predict(model, x)`)."""
    return [f for f in functions(tree) if EVALUATION_NAME.search(f.name)
            and (feeds_a_model(f) or (not loops_only and _runs_a_model(f)))
            and next(calls(f, "backward"), None) is None and next(calls(f, "step"), None) is None]


def _runs_a_model(function: ast.AST) -> bool:
    """`self(x)`, `self.model(x)` or `model(x)` on one of the function's own parameters."""
    params = {a.arg for a in function.args.args} - {"self"}
    params |= {t.id for n in walk(function) if isinstance(n, ast.Assign) and any(  # x = Variable(x_val), one hop
        isinstance(v, ast.Name) and v.id in params for v in walk(n.value)) for t in n.targets if isinstance(t, ast.Name)}
    for call in (n for n in walk(function) if isinstance(n, ast.Call) and n.args):
        callee = ast.unparse(call.func)
        if (callee == "self" or "model" in callee.lower() or "net" in callee.lower()) and any(
                isinstance(n, ast.Name) and n.id in params for a in call.args for n in walk(a)):
            return True
    return False


def feeds_a_model(scope: ast.AST) -> bool:
    """A loop in scope whose body calls a plain name (the model) on a value the loop binds."""
    for loop in (n for n in loops(scope) if isinstance(n, (ast.For, ast.AsyncFor))):
        bound = {n.id for n in walk(loop.target) if isinstance(n, ast.Name)}
        bound |= {name for n in walk(loop) if isinstance(n, ast.Assign) for t in n.targets for name in _names(t)}
        for call in (n for n in walk(loop) if isinstance(n, ast.Call)):
            callee = call.func
            if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name) and callee.value.id == "self":
                callee = ast.Name(callee.attr)  # self.model(x)
            if isinstance(callee, ast.Name) and callee.id not in _BUILTINS and any(
                    isinstance(n, ast.Name) and n.id in bound
                    for a in [*call.args, *(k.value for k in call.keywords)] for n in walk(a)):
                return True
    return False


def _names(target: ast.expr) -> list[str]:
    """The names an assignment binds: `x`, and each of `x, (y, *z)`."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _names(element)]
    return []


_BUILTINS = {"len", "print", "range", "enumerate", "zip", "float", "int", "str", "list", "tuple", "dict", "sum",
             "max", "min", "abs", "round", "isinstance", "sorted", "next", "iter", "repackage_hidden", "get_batch"}


def _no_grad_loops(tree: ast.Module) -> list[ast.AST]:
    """Loops under a no_grad-style `with`, outside any evaluation function, that feed a model (the tutorials'
    accuracy loop at module level, or in a top-level script's epoch loop), never inside a batch loop."""
    named = {id(f) for f in evaluation_functions(tree)}
    found = []
    for loop in loops(tree):
        if any(id(a) in named or _is_batch_loop(a) for a in ancestors(loop)):
            continue
        if grad_is_off_at(loop) and feeds_a_model(ast.Module(body=[loop], type_ignores=[])) \
                and next(calls(loop, "backward"), None) is None:
            found.append(loop)
    return found


def _is_batch_loop(node: ast.AST) -> bool:
    """A loop that calls backward() itself, not only through a loop inside it (an epoch loop is not one)."""
    if not isinstance(node, (ast.For, ast.While)):
        return False
    todo = list(node.body)
    while todo:
        child = todo.pop()
        if method_call(child, "backward"):
            return True
        if not isinstance(child, (ast.For, ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(child))
    return False


def _sets_eval(node: ast.AST) -> bool:
    return method_call(node, "eval") or (method_call(node, "train") and len(node.args) == 1
                                        and isinstance(node.args[0], ast.Constant) and node.args[0].value is False)


def _sets_train(node: ast.AST) -> bool:
    return method_call(node, "train") and not _sets_eval(node) and not (
        node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value is not True)


def _call_sites(tree: ast.Module, name: str) -> list[ast.Call]:
    return [n for n in walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id == name]


def _eval_set_before(site: ast.AST, tree: ast.Module) -> bool:
    """An eval() call earlier in the scope that holds `site` (function or module)."""
    scope = next((a for a in ancestors(site) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))), tree)
    return any(_sets_eval(n) and n.lineno <= site.lineno for n in walk(scope))


def eval_without_eval_mode(tree: ast.Module) -> list[Hit]:
    """An evaluation pass with the model left in training mode, in a file whose model has dropout or BatchNorm."""
    link_parents(tree)
    has_layers = resolution(tree).layers_in_view()
    if has_layers is False:
        return []  # no layer behaves differently in eval mode: nothing to report
    unsure = has_layers is None  # the model comes from elsewhere: it may have neither layer
    hits = []
    resolver = resolution(tree)
    for function in evaluation_functions(tree, loops_only=False):
        if resolver.reaches(function, _sets_eval) or (unsure and not feeds_a_model(function)):
            continue  # a one-batch helper on a model of unknown layers says too little to report
        sites = _call_sites(tree, function.name)
        if sites and all(_eval_set_before(site, tree) for site in sites):
            continue
        hits.append(hit("eval_without_eval_mode", function, f"{function.name}()", unsure))
    for loop in _no_grad_loops(tree):
        if not _eval_set_before(loop, tree) and not any(_sets_eval(n) for n in walk(loop)):
            hits.append(hit("eval_without_eval_mode", loop, ast.unparse(loop.iter), unsure))
    return hits


def eval_without_no_grad(tree: ast.Module) -> list[Hit]:
    """An evaluation function that builds a graph for every batch: no no_grad/inference_mode inside it, on it, or
    around every call of it."""
    link_parents(tree)
    hits = []
    for function in evaluation_functions(tree, loops_only=False):
        if any(is_grad_off_context(d) for d in function.decorator_list) or _framework_step(function):
            continue
        if any(isinstance(n, (ast.With, ast.AsyncWith)) and any(is_grad_off_context(i.context_expr) for i in n.items)
               for n in walk(function)):
            continue
        if any(isinstance(n, ast.Expr) and is_grad_off_context(n.value) for n in walk(function)):
            continue  # torch.set_grad_enabled(False) as a statement
        sites = _call_sites(tree, function.name)
        if sites and all(grad_is_off_at(site) for site in sites):
            continue
        hits.append(hit("eval_without_no_grad", function, f"{function.name}()"))
    return hits + [hit("eval_without_no_grad", loop, ast.unparse(loop.iter)) for loop in _module_level_evaluations(tree)]


def _framework_step(function: ast.AST) -> bool:
    """Lightning's validation_step / test_step / predict_step on a LightningModule: the trainer turns grad off."""
    owner = next((a for a in ancestors(function) if isinstance(a, ast.ClassDef)), None)
    return owner is not None and any("Lightning" in ast.unparse(b) for b in owner.bases)


def _module_level_evaluations(tree: ast.Module) -> list[ast.AST]:
    """An evaluation loop outside the functions named for evaluation: over a loader named for testing or
    validation, feeding a model, never training, with grad on; at module level (a notebook's evaluation cell, a
    script's `if __name__ == "__main__":` block), or just after the model was switched to eval mode, in a function
    (the evaluation half of a training function) or in a top-level epoch loop."""
    named = {id(f) for f in evaluation_functions(tree, loops_only=False)}
    found = []
    for loop in (n for n in loops(tree) if isinstance(n, (ast.For, ast.AsyncFor))):
        source = ast.unparse(loop.iter).lower()
        if not any(word in source for word in ("test", "val")) or "train" in source:
            continue
        function = enclosing_function(loop)
        if function is not None and id(function) in named:
            continue
        scope = function or next((a for a in ancestors(loop) if getattr(a, "_td_parent", None) is tree), None)
        if not _module_level(loop, tree) and (isinstance(scope, ast.ClassDef) or scope is None or not any(
                _sets_eval(n) and n.lineno < loop.lineno for n in walk(scope))):
            continue
        if feeds_a_model(ast.Module(body=[loop], type_ignores=[])) and next(calls(loop, "backward"), None) is None \
                and not grad_is_off_at(loop) and not any(isinstance(n, ast.Break) for n in loop.body):
            found.append(loop)
    return found


def _module_level(statement: ast.AST, tree: ast.Module) -> bool:
    """Whether `statement` is the script's own top-level code: in the module's body, or in the body of its
    `if __name__ == "__main__":` block."""
    parent = getattr(statement, "_td_parent", None)
    while parent is not tree:
        if not (isinstance(parent, ast.If) and _is_main_guard(parent.test) and statement in parent.body):
            return False
        statement, parent = parent, getattr(parent, "_td_parent", None)
    return statement in tree.body


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
            and {ast.unparse(test.left), ast.unparse(test.comparators[0]).strip("'\"")} == {"__name__", "__main__"})


def train_mode_not_restored(tree: ast.Module) -> list[Hit]:
    """A loop that both trains and evaluates (the epoch loop), where eval() is set and train() never comes back
    inside that loop: every epoch after the first trains in eval mode."""
    link_parents(tree)
    has_layers = resolution(tree).layers_in_view()
    if has_layers is False:
        return []
    defined = defined_functions(tree)
    resolver = resolution(tree)
    hits = []
    for loop in loops(tree):
        if not resolver.reaches(loop, _sets_eval) or not resolver.reaches(loop, lambda n: method_call(n, "backward")):
            continue
        if resolver.reaches(loop, _sets_train):
            continue
        if any(isinstance(a, (ast.For, ast.While)) and resolver.reaches(a, _sets_eval) for a in ancestors(loop)):
            continue  # the outer epoch loop is the one reported
        trainer = _training_function(loop, defined)
        hits.append(hit("train_mode_not_restored", trainer or loop,
                        f"{trainer.name}()" if trainer else ast.unparse(loop.iter), has_layers is None))
    return hits


def _training_function(loop: ast.AST, defined: dict) -> ast.AST | None:
    """The file's own function, called in loop, that calls backward(): where train() belongs."""
    for call in (n for n in walk(loop) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)):
        target = defined.get(call.func.id)
        if target is not None and next(calls(target, "backward"), None) is not None:
            return target
    return None


def method_not_called(tree: ast.Module) -> list[Hit]:
    """`model.eval`, `optimizer.zero_grad`, `loss.backward` written as a statement without the (): nothing happens.
    Also `model.state_dict` or `model.parameters` handed to a call uncalled (`torch.save(model.state_dict, f)`
    pickles the whole model)."""
    hits = [hit("method_not_called", n, ast.unparse(n.value)) for n in walk(tree)
            if isinstance(n, ast.Expr) and isinstance(n.value, ast.Attribute) and n.value.attr in MODE_METHODS]
    for call in (n for n in walk(tree) if isinstance(n, ast.Call)):
        hits += [hit("method_not_called", a, ast.unparse(a)) for a in call.args
                 if isinstance(a, ast.Attribute) and a.attr in HANDED_METHODS]
    return hits


def grad_context_not_entered(tree: ast.Module) -> list[Hit]:
    """`torch.no_grad()` (or inference_mode(), enable_grad()) called as a statement: the context manager is made
    and dropped, and grad mode never changes."""
    return [hit("grad_context_not_entered", n, ast.unparse(n.value)) for n in walk(tree)
            if isinstance(n, ast.Expr) and call_name(n.value) in ("no_grad", "inference_mode", "enable_grad")]
