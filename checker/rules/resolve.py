"""What names and values are, in one place, for every rule: the name and value resolution layer.

A rule asks here instead of matching spellings: what a call's class is once imports are expanded
(`torch.optim.lr_scheduler.StepLR`, `S` after `from ... import StepLR as S`), what a name or a `self` attribute was
bound to, which constant a name holds (`BSIZE = 64`), which of the file's own functions and methods a piece of code
runs (`reset_grad()`, `self.validate()`, `model.val_start()`), and what the sibling modules of the same folder define
(models are often imported from `model.py`).

Why not astroid: it was the first candidate. Its inference follows imports into the installed packages, and for
training scripts that means torch: building torch's modules costs seconds per process, far past the 50 ms a
200-line file may take, and turning imports off leaves the part we need (assignments, attributes of `self`,
helpers in the same file and folder) which is a few hundred lines on top of `ast`. Its answers are also "maybe one
of these values", where the rules need to know whether the answer is sure, to choose between error and info.
So the layer is written here, on the standard library only, and says how sure it is: `value()` returns a node only
when one binding reaches the use.
"""
from __future__ import annotations

import ast
import os
from pathlib import Path

from checker.rules.syntax import ancestors, enclosing_function, uses_dropout_or_batchnorm, walk

SIBLING_LIMIT = 40  # .py files of the folder read for definitions; a bigger folder is a package, not a script's home
SIBLING_BYTES = 400_000
_SIBLINGS: dict[tuple, list] = {}  # (folder, names and mtimes) -> parsed sibling modules, shared by a folder's files


class Resolution:
    """Name and value resolution over one module (and its sibling modules, when its path is known)."""

    def __init__(self, tree: ast.Module, path: str | None = None):
        self.tree = tree
        self.path = path
        self.imports = _imports(tree)
        self.classes = {n.name: n for n in walk(tree) if isinstance(n, ast.ClassDef)}
        self.functions = {}
        for node in walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(node.name, node)
        self._siblings = None
        self._classes = None
        self._reachable: dict[int, list] = {}

    # --- what a call or a name is ------------------------------------------------------------------------------
    def qualified(self, expr: ast.AST) -> str:
        """The dotted name of expr with imports expanded: `torch.optim.SGD` for `optim.SGD` after `import torch.optim
        as optim`; the spelling itself when nothing is imported under its first name."""
        parts = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return ".".join(reversed(parts))
        head = self.imports.get(expr.id, expr.id)
        return ".".join([head, *reversed(parts)])

    def kind(self, call: ast.AST) -> str:
        """The last part of what a call constructs or calls, after following a name to the call it was bound to:
        `StepLR` for `torch.optim.lr_scheduler.StepLR(...)` and for `sched` after `sched = StepLR(...)`."""
        if isinstance(call, (ast.Name, ast.Attribute)):
            call = self.value(call) or call
        if not isinstance(call, ast.Call):
            return ""
        return self.qualified(call.func).rsplit(".", 1)[-1]

    def bindings(self, target: ast.AST, at: ast.AST | None = None) -> list[ast.AST]:
        """Every value bound to a name (in at's function, else at module level) or to a `self.x` attribute (in any
        method of the class), in source order."""
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            owner = next((a for a in ancestors(target) if isinstance(a, ast.ClassDef)), None) if at is None else \
                next((a for a in ancestors(at) if isinstance(a, ast.ClassDef)), None)
            scopes = [owner] if owner is not None else [self.tree]
            return [value for scope in scopes for value in _assigned(scope, lambda t: _is_self_attr(t, target.attr))]
        if not isinstance(target, ast.Name):
            return []
        scope = enclosing_function(at) if at is not None else None
        found = _assigned(scope, lambda t: isinstance(t, ast.Name) and t.id == target.id) if scope else []
        if at is not None:
            found = [v for v in found if v.lineno <= at.lineno] or found
        return found or [v for v in _assigned_at_module(self.tree, target.id)]

    def value(self, expr: ast.AST, at: ast.AST | None = None, depth: int = 4):
        """What expr stands for when exactly one binding reaches it (followed through plain renames); None when it
        is bound more than once in different ways, or not at all."""
        seen = 0
        while isinstance(expr, (ast.Name, ast.Attribute)) and seen < depth:
            bound = self.bindings(expr, at if at is not None else expr)
            distinct = {ast.dump(v) for v in bound}
            if len(distinct) != 1:
                return None if seen == 0 else expr
            expr, seen = bound[-1], seen + 1
        return expr if seen else None

    def constant(self, expr: ast.AST, at: ast.AST | None = None):
        """The Python constant an expression holds (through names and `self` attributes), else None."""
        if isinstance(expr, ast.Constant):
            return expr.value
        value = self.value(expr, at)
        return value.value if isinstance(value, ast.Constant) else None

    def parameter_default(self, name: str, at: ast.AST):
        """The default of parameter `name` of at's function, as a constant, if it has one."""
        function = enclosing_function(at)
        if function is None:
            return None
        args = function.args
        positional = args.posonlyargs + args.args
        for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            if arg.arg == name and isinstance(default, ast.Constant):
                return default.value
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            if arg.arg == name and isinstance(default, ast.Constant):
                return default.value
        return None

    # --- what code runs ----------------------------------------------------------------------------------------
    def callees(self, call: ast.Call) -> list[ast.AST]:
        """The file's (or a sibling's) own functions and methods a call may run: `helper()`, `self.method()`, and
        `obj.method()` when a class here or beside defines that method (`model.val_start()`)."""
        func = call.func
        if isinstance(func, ast.Name):
            target = self.functions.get(func.id) or self.imported_function(func.id)
            return [target] if target is not None else []
        if not isinstance(func, ast.Attribute) or func.attr.startswith("__"):
            return []
        if isinstance(func.value, ast.Name) and func.value.id == "self":
            owner = next((a for a in ancestors(call) if isinstance(a, ast.ClassDef)), None)
            method = _method(owner, func.attr) if owner is not None else None
            if method is not None:
                return [method]
        return [m for cls in self.all_classes() for m in [_method(cls, func.attr)] if m is not None]

    def reachable(self, node: ast.AST, limit: int = 40) -> list[ast.AST]:
        """node, and the bodies of every own function or method it runs, transitively (a bounded walk)."""
        if id(node) in self._reachable:
            return self._reachable[id(node)]
        found, queue, seen = [node], [node], {id(node)}
        while queue and len(found) < limit:
            for call in (n for n in walk(queue.pop()) if isinstance(n, ast.Call)):
                for target in self.callees(call):
                    if id(target) not in seen:
                        seen.add(id(target))
                        found.append(target)
                        queue.append(target)
        self._reachable[id(node)] = found
        return found

    def reaches(self, node: ast.AST, predicate) -> bool:
        return any(predicate(n) for scope in self.reachable(node) for n in walk(scope))

    # --- the folder ---------------------------------------------------------------------------------------------
    def siblings(self) -> list[ast.Module]:
        """The parsed .py modules beside this file (not itself), read once per folder state."""
        return [tree for _, tree in self.named_siblings()]

    def named_siblings(self) -> list[tuple[str, ast.Module]]:
        if self._siblings is None:
            self._siblings = _sibling_modules(self.path)
        return self._siblings

    def imported_function(self, name: str):
        """The top-level function a sibling module defines, imported here under `name` (`from evaluation import
        encode_data`, evaluation.py beside this file)."""
        module, _, attribute = self.imports.get(name, "").rpartition(".")
        if not module:
            return None
        stem = module.rsplit(".", 1)[-1] + ".py"
        return next((n for file, tree in self.named_siblings() if file == stem for n in tree.body
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == attribute), None)

    def all_classes(self) -> list[ast.ClassDef]:
        if self._classes is None:
            self._classes = list(self.classes.values()) + [n for tree in self.siblings() for n in walk(tree)
                                                           if isinstance(n, ast.ClassDef)]
        return self._classes

    def layers_in_view(self) -> bool | None:
        """uses_dropout_or_batchnorm for the file, and when the file cannot tell (its model is built elsewhere), for
        the sibling modules that can: a model defined or configured in model.py or train.py beside it."""
        own = uses_dropout_or_batchnorm(self.tree)
        if own is not None:
            return own
        answers = {uses_dropout_or_batchnorm(tree) for tree in self.siblings()} - {None}
        return True if True in answers else (False if answers else None)

    def class_named(self, name: str) -> ast.ClassDef | None:
        return next((c for c in self.all_classes() if c.name == name), None)


def resolution(tree: ast.Module) -> Resolution:
    """The tree's resolution, built once and shared by every rule (the path comes from rules.run)."""
    cached = getattr(tree, "_td_resolution", None)
    if cached is None:
        cached = Resolution(tree, getattr(tree, "_td_path", None))
        tree._td_resolution = cached
    return cached


def _imports(tree: ast.Module) -> dict[str, str]:
    names = {}
    for node in walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _is_self_attr(target: ast.AST, attr: str) -> bool:
    return (isinstance(target, ast.Attribute) and target.attr == attr and isinstance(target.value, ast.Name)
            and target.value.id == "self")


def _assigned(scope: ast.AST, matches) -> list[ast.AST]:
    found = []
    for node in walk(scope):
        if isinstance(node, ast.Assign) and any(matches(t) for t in node.targets):
            found.append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None and matches(node.target):
            found.append(node.value)
    return sorted(found, key=lambda v: (v.lineno, v.col_offset))


def _assigned_at_module(tree: ast.Module, name: str) -> list[ast.AST]:
    """Module-level bindings of name, nested in if/with/for/try blocks but not in functions or classes."""
    found, stack = [], list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            found.append(node.value)
        for field in ("body", "orelse", "finalbody", "handlers"):
            stack += getattr(node, field, []) or []
    return sorted(found, key=lambda v: (v.lineno, v.col_offset))


def _method(cls: ast.ClassDef, name: str):
    return next((n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name),
                None)


def _sibling_modules(path: str | None) -> list[tuple[str, ast.Module]]:
    if not path or not path.endswith((".py", ".ipynb")):
        return []
    folder = Path(path).resolve().parent
    try:
        entries = sorted((e for e in os.scandir(folder) if e.name.endswith(".py") and e.is_file()),
                         key=lambda e: e.name)
    except OSError:
        return []
    own = Path(path).resolve().name
    entries = entries[:SIBLING_LIMIT]
    key = (str(folder), tuple((e.name, e.stat().st_mtime_ns) for e in entries))
    if key not in _SIBLINGS:
        trees = []
        for entry in entries:
            try:
                if entry.stat().st_size <= SIBLING_BYTES:
                    trees.append((entry.name, ast.parse(Path(entry.path).read_text(encoding="utf-8",
                                                                                   errors="replace"))))
            except (SyntaxError, ValueError, RecursionError, OSError):
                continue
        _SIBLINGS.clear()  # one folder at a time: a lint walks folders in order, its files share the parses
        _SIBLINGS[key] = trees
    return [(name, tree) for name, tree in _SIBLINGS[key] if name != own]
