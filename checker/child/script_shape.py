"""A script whose training is its own top-level code (no main(), and no train() or test() of its own, as many
course scripts and notebooks are), run by the harness as it runs one in the tutorials' shape.

The script is compiled differently, never rewritten: its top-level code becomes the body of a function (MAIN)
that the harness calls; its training loop (the innermost `for` whose body calls backward() and step()) becomes
the body of TRAIN, and its evaluation loop (a `for` that runs the model without backward(), inside
`torch.no_grad()` or over a loader named for test or validation data) the body of TEST, each called where the
loop was. A training or evaluation loop inside a function the script defines keeps that function as its entry
point. Every name stays a module-level name (each function declares global every name it binds), so the code
computes what it computes as `python script.py`, on the same lines. Its top-level assignments of the names the
budget sets (the epochs, `device`, `data_root`) take the harness's value instead, and the body of
`if __name__ == "__main__":` runs.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

MAIN, TRAIN, TEST = "_torchdrill_main", "_torchdrill_train", "_torchdrill_test"
BUDGET = "_torchdrill_budget"  # the harness's values of the budget's names, set on the module before MAIN runs
NO_GRAD = ("no_grad", "inference_mode")
EVAL_WORDS = ("test", "val", "eval")
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass
class Shaped:
    code: object  # the module's code object
    names: dict[str, str]  # "main", "train", "test" -> the function the harness calls or wraps
    bound: dict[str, tuple[str, ...]] = field(default_factory=dict)  # scope -> the names its loop binds


def training_loop(body: list[ast.stmt]) -> ast.For | None:
    """The innermost `for` among these statements (outside functions) that calls backward() and step()."""
    loops = [loop for loop in _loops(body) if _calls(loop, "backward") and _calls(loop, "step")]
    inner = [loop for loop in loops if not any(other is not loop and _contains(loop, other) for other in loops)]
    return inner[0] if inner else None


def evaluation_loop(body: list[ast.stmt], training: ast.stmt | None = None) -> ast.For | None:
    """The first `for` among these statements (outside functions and the training loop) that calls something
    without backward(), inside `torch.no_grad()` or over data named for testing or validation."""
    for loop, guarded in _loops(body, with_guard=True):
        if training is not None and _contains(training, loop):
            continue
        if _calls(loop, "backward") or not any(isinstance(n, ast.Call) for n in _walk(loop.body)):
            continue
        named = any(word in ast.unparse(loop.iter).lower() for word in EVAL_WORDS)
        if guarded or named:
            return loop
    return None


def shape_script(source: str, filename: str, budget_names: set[str]) -> Shaped:
    """Compile a top-level script for the harness (see the module's docstring). SyntaxError as compile gives."""
    compile(source, filename, "exec", dont_inherit=True)  # what Python refuses (a top-level return) stays refused
    tree = ast.parse(source, filename)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    names = {"main": MAIN}
    bound: dict[str, tuple[str, ...]] = {}
    train_fn = next((f for f in functions.values() if training_loop(f.body)), None)
    train = training_loop(tree.body) if train_fn is None else None
    if train_fn is not None:
        names["train"] = train_fn.name
    test_fn = next((f for f in functions.values() if f is not train_fn and evaluation_loop(f.body)), None)
    test = evaluation_loop(tree.body, train) if test_fn is None else None
    if test_fn is not None:
        names["test"] = test_fn.name
    extracted = []
    for scope, loop, name in (("train", train, TRAIN), ("test", test, TEST)):
        if loop is None:
            continue
        bound[scope] = tuple(sorted(bound_names(loop.body) | _target_names(loop.target)))
        _replace(tree.body, loop, _call(name, loop))
        extracted.append(_function(name, list(bound[scope]), [loop], loop))
        names[scope] = name
    _run_main_guard(tree.body)
    _take_budget(tree.body, budget_names)
    future = [s for s in tree.body if isinstance(s, ast.ImportFrom) and s.module == "__future__"]
    starred = [s for s in tree.body if isinstance(s, ast.ImportFrom) and any(a.name == "*" for a in s.names)]
    rest = [s for s in tree.body if s not in future and s not in starred]
    first = rest[0] if rest else tree
    main = _function(MAIN, sorted(bound_names(rest)), rest or [ast.Pass()], first)
    tree.body = [*future, *starred, *extracted, main]
    ast.fix_missing_locations(tree)
    return Shaped(compile(tree, filename, "exec"), names, bound)


def bound_names(body: list[ast.stmt]) -> set[str]:
    """The names these statements bind in their own scope (assignments, loop and with targets, imports, defs,
    classes, `del`, `except ... as`), not inside the functions, classes or lambdas they define."""
    found: set[str] = set()
    for node in _walk(body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            found.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            found.add(node.rest)
    return found


def _target_names(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _walk(body: list[ast.stmt]):
    """Every node of these statements, not descending into the bodies of functions, classes and lambdas (their
    own node is given)."""
    todo = list(reversed(body))
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, SCOPES):
            todo.extend(reversed(node.decorator_list if not isinstance(node, ast.Lambda) else []))
            if isinstance(node, ast.ClassDef):
                todo.extend(reversed(node.bases))
            continue
        todo.extend(reversed(list(ast.iter_child_nodes(node))))


def _loops(body: list[ast.stmt], with_guard: bool = False, guarded: bool = False):
    """The `for` loops among these statements, outside functions, in source order; with `with_guard`, each with
    whether a `with torch.no_grad()` (or inference_mode()) holds it."""
    for statement in body:
        if isinstance(statement, SCOPES):
            continue
        inner = guarded or (isinstance(statement, ast.With) and any(
            isinstance(item.context_expr, ast.Call) and _name(item.context_expr.func).endswith(NO_GRAD)
            for item in statement.items))
        if isinstance(statement, ast.For):
            yield (statement, inner) if with_guard else statement
        for name in ("body", "orelse", "finalbody", "handlers"):
            nested = getattr(statement, name, None) or []
            if name == "handlers":
                nested = [s for handler in nested for s in handler.body]
            yield from _loops(nested, with_guard, inner)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _calls(loop: ast.For, attribute: str) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == attribute
               for n in _walk(loop.body))


def _contains(outer: ast.stmt, inner: ast.stmt) -> bool:
    return any(node is inner for node in _walk([outer]))


def _replace(body: list[ast.stmt], old: ast.stmt, new: ast.stmt) -> bool:
    for index, statement in enumerate(body):
        if statement is old:
            body[index] = new
            return True
        if isinstance(statement, SCOPES):
            continue
        for name in ("body", "orelse", "finalbody"):
            if _replace(getattr(statement, name, None) or [], old, new):
                return True
        for handler in getattr(statement, "handlers", None) or []:
            if _replace(handler.body, old, new):
                return True
    return False


def _call(name: str, at: ast.stmt) -> ast.stmt:
    return ast.copy_location(ast.Expr(ast.Call(ast.Name(name, ast.Load()), [], [])), at)


def _function(name: str, globals_: list[str], body: list[ast.stmt], at) -> ast.FunctionDef:
    statements = ([ast.Global(globals_)] if globals_ else []) + body
    function = ast.FunctionDef(name=name, args=ast.arguments([], [], None, [], [], None, []), body=statements,
                               decorator_list=[], returns=None)
    if "type_params" in ast.FunctionDef._fields:  # Python 3.12 and later
        function.type_params = []
    return ast.copy_location(function, at) if isinstance(at, ast.stmt) else function


def _run_main_guard(body: list[ast.stmt]) -> None:
    """`if __name__ == "__main__":` at the top level runs: the script is the program the checker runs."""
    for statement in body:
        test = getattr(statement, "test", None)
        if isinstance(statement, ast.If) and isinstance(test, ast.Compare) and _name(test.left) == "__name__":
            statement.test = ast.copy_location(ast.Constant(True), test)


def _take_budget(body: list[ast.stmt], names: set[str]) -> None:
    """Top-level `NAME = ...` of a name the budget sets reads the harness's value (from BUDGET) instead."""
    for node in _walk(body):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name) and targets[0].id in names:
                lookup = ast.Subscript(ast.Name(BUDGET, ast.Load()), ast.Constant(targets[0].id), ast.Load())
                node.value = ast.copy_location(lookup, node.value)
