"""What the names of a student's module refer to: `optim.SGD` is torch.optim.SGD, `s._getframe` is sys's."""
from __future__ import annotations

import ast
import builtins
from collections import Counter

BUILTIN_NAMES = frozenset(dir(builtins))
DYNAMIC_IMPORT = {"builtins.__import__", "importlib.import_module", "importlib.__import__"}


class Scope:
    """What the names of one module refer to: imported modules, their aliases, and shadowed builtins."""

    def __init__(self, tree: ast.AST):
        nodes = list(ast.walk(tree))  # ast.walk is iterative: no RecursionError on deep expressions
        self.aliases = _imports(nodes)
        # Module-level defs and imports hide a builtin everywhere; a parameter only hides its bare references.
        defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        self.defined = {n.name for n in getattr(tree, "body", []) if isinstance(n, defs)} | self.aliases.keys()
        self.params = self.defined | {n.arg for n in nodes if isinstance(n, ast.arg)}
        self.called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
        # The inner links of a chain (`a.b` in `a.b.c`, X in getattr(X, "c")): resolving each would be quadratic.
        self.inner = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)} | {
            id(n.args[0]) for n in nodes if isinstance(n, ast.Call) and n.args and isinstance(n.func, ast.Name)
            and n.func.id in ("getattr", "vars")}
        # `t = torch.Tensor` makes t an alias, unless t is bound again (`layer = nn.Linear; layer = layer(3, 4)`).
        stores = Counter(n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
        for _ in range(2):  # twice catches an alias of an alias
            for node in (n for n in nodes if isinstance(n, ast.Assign)):
                if target := self.dotted(node.value):
                    self.aliases.update({t.id: target for t in node.targets
                                         if isinstance(t, ast.Name) and stores[t.id] == 1 and t.id not in self.params})

    def dotted(self, node: ast.AST, depth: int = 0) -> str | None:
        """`torch.optim.SGD` for `optim.SGD` after `import torch.optim as optim`; None unless rooted in an import."""
        parts = []
        while True:
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Call) and depth < 8 and (step := self._call_step(node, depth)):
                node, attr = step
                if isinstance(node, str):
                    return ".".join([node, *reversed(parts)])
                parts.append(attr)
            elif isinstance(node, ast.Name):
                root = self.builtin(node.id) if node.id != "__builtins__" else "builtins"
                return ".".join([root, *reversed(parts)]) if root else None
            else:
                return None

    def _call_step(self, call: ast.Call, depth: int):
        """getattr(X, "a") stands for X.a, vars(X) for X.__dict__, __import__("m") for the module m."""
        callee, args = self.dotted(call.func, depth + 1), call.args
        if callee == "builtins.getattr" and len(args) >= 2 and literal(args[1]) is not None:
            return args[0], literal(args[1])
        if callee == "builtins.vars" and len(args) == 1:
            return args[0], "__dict__"
        if callee in DYNAMIC_IMPORT and args and literal(args[0]):
            return literal(args[0]), None
        return None

    def builtin(self, name: str, bare: bool = False) -> str | None:
        if name in self.aliases:
            return self.aliases[name]
        hidden = name in (self.params if bare else self.defined)
        return f"builtins.{name}" if name in BUILTIN_NAMES and not hidden else None


def _imports(nodes: list[ast.AST]) -> dict[str, str]:
    """Each name an import binds, and the module or object it stands for."""
    aliases = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:  # `import torch.nn` binds torch; `import torch.nn as nn` binds torch.nn
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names if a.name != "*"})
    return aliases


def literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
