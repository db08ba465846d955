"""Tamper lint: code that looks inside or patches the running interpreter, or uses anything graded code is not
declared to need (checker/allowlist.toml), so a person must review the verdict.

Graded code is allowlisted: a module outside the allowlist, a name of a narrowed module (os, sys, ...) outside its
members, a private name of any module, a dunder attribute beyond the everyday ones, an attribute looked up by a
computed name, globals()/vars()/locals(), and a class reached through an object and then changed all go to review.
The specific codes below name the most telling ones (frames, native code, processes, patching torch)."""
from __future__ import annotations

import ast
from dataclasses import dataclass

from checker import allowlist
from checker.tamper_scope import DYNAMIC_IMPORT, Scope, literal as _literal

# Modules whose import alone earns a hit (a dotted prefix matches its submodules too).
MODULE_CODES = {
    "gc": "runtime_import", "inspect": "runtime_import", "atexit": "runtime_import",
    "ctypes": "native_import", "_ctypes": "native_import", "cffi": "native_import",
    "subprocess": "process_import", "_posixsubprocess": "process_import", "multiprocessing": "process_import",
    "pty": "process_import", "socket": "process_import", "signal": "process_import",
    "builtins": "builtins_access", "marshal": "dynamic_code",
    "checker": "checker_import", "torchdrill": "checker_import", "reference.solutions": "checker_import",
}
# What a script may take from torchdrill itself: the data its training reads (every other name of ours is a hit).
OURS_FOR_SCRIPTS = {"torchdrill.data", "torchdrill.data.mnist_root"}
# Names that earn a hit wherever they are referenced, called or not (`f = sys._getframe` hides the call).
REFERENCE_CODES = {
    **dict.fromkeys(("sys._getframe", "sys._current_frames", "sys._current_exceptions", "sys.settrace",
                     "sys.setprofile", "sys.addaudithook", "sys.meta_path", "sys.path_hooks", "sys.monitoring",
                     "threading.settrace", "threading.setprofile"), "interpreter_hook"),
    "sys.modules": "sys_modules",
    **dict.fromkeys(("importlib.util.spec_from_file_location", "importlib.machinery.SourceFileLoader",
                     "importlib.reload", "runpy.run_path", "runpy.run_module"), "dynamic_import"),
    **dict.fromkeys(("types.CodeType", "types.FunctionType"), "dynamic_code"),
    "os.*": "os_call", "sys.*": "interpreter_hook", "importlib.*": "dynamic_import",  # the names stay hidden
}
OS_NAMES = {"write", "read", "close", "closerange", "dup", "dup2", "pipe", "pipe2", "fdopen", "open", "openpty",
            "fork", "forkpty", "kill", "killpg", "setsid", "setpgid", "system", "popen", "_exit", "register_at_fork"}
OS_PREFIXES = ("exec", "spawn", "posix_spawn")
FRAME_ATTRS = {"f_back", "f_locals", "f_globals", "f_builtins", "f_code", "gi_frame", "cr_frame", "ag_frame",
               "tb_frame", "__globals__", "__closure__", "__code__", "__subclasses__", "__builtins__"}
DYNAMIC_CODE = {"builtins.exec", "builtins.eval", "builtins.compile"}
OPENERS = {"builtins.open", "io.open", "io.FileIO", "_io.open", "_io.FileIO"}
ATTRIBUTE_CALLS = {"builtins.getattr", "builtins.setattr", "builtins.delattr", "builtins.hasattr"}
NAMESPACES = {"builtins.globals", "builtins.vars", "builtins.locals"}
# Dunder attributes everyday code reads or calls; any other (__dict__, __mro__, __getattribute__, ...) is reflection.
DUNDER_OK = {"__init__", "__name__", "__qualname__", "__doc__", "__version__", "__file__", "__class__", "__len__",
             "__call__", "__enter__", "__exit__"}
# Documented settings, not patches: torch.backends.cudnn.deterministic = True, torch._dynamo.config.x = ...
CONFIG_ROOTS = ("torch.backends", "torch._dynamo.config", "torch._inductor.config")


@dataclass(frozen=True)
class TamperHit:
    code: str  # a key of messages.toml's [tamper] section
    line: int
    detail: str


def _reference(name: str | None) -> tuple[str, str] | None:
    """The code for a resolved name, from its most specific dotted prefix: `os.write(...)` -> os_call."""
    if not name or name.startswith("builtins."):  # a builtin function such as print: judged at its call
        return None
    parts = name.split(".", 4)[:4]  # every listed name has at most three parts; a long chain is cut short
    if name in OURS_FOR_SCRIPTS:
        return None
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if code := REFERENCE_CODES.get(prefix) or MODULE_CODES.get(prefix):
            return code, prefix
    if parts[0] == "os" and len(parts) > 1 and (parts[1] in OS_NAMES or parts[1].startswith(OS_PREFIXES)):
        return "os_call", f"os.{parts[1]}"
    problem = allowlist.member_problem(name)
    return (f"{problem}_access", name[:80]) if problem else None


def _import_hits(node: ast.Import | ast.ImportFrom, allowed: frozenset[str]) -> list[tuple[str, str]]:
    if isinstance(node, ast.Import):
        modules, names = [a.name for a in node.names], [a.name for a in node.names]
    else:
        module = "." * node.level + (node.module or "")
        modules, names = [module], [module] + [f"{module}.{a.name}" for a in node.names]
    hits = [hit for hit in map(_reference, names) if hit]
    hits += [("not_allowed_import", m) for m in modules if not allowlist.module_allowed(m, allowed)]
    return hits[:1]  # one hit per statement is enough to review it


def _patch_hit(scope: Scope, obj: ast.AST, suffix: str) -> tuple[str, str] | None:
    """Setting `obj.attr` or `obj[key]` (suffix: ".attr", "[key]"): a hit when obj is torch's or the builtins', or
    a class reached through an object (`type(x).attr = ...`), which patches whatever class that is."""
    if isinstance(obj, ast.Call) and scope.dotted(obj.func) == "builtins.type" and len(obj.args) == 1:
        return "class_patch", f"type(...){suffix}"
    if isinstance(obj, ast.Attribute) and obj.attr == "__class__":
        return "class_patch", f"....__class__{suffix}"
    name = scope.dotted(obj)
    if name in ("builtins", "builtins.__dict__"):
        return "builtins_patch", f"{name}{suffix}"
    if name and name.split(".")[0] == "torch" and not name.startswith(CONFIG_ROOTS):
        return "torch_patch", f"{name}{suffix}"
    return None  # the script's own objects: model.fc1 = ..., args.epochs = 1, self.x = ...


def _targets(node: ast.AST) -> list[ast.AST]:
    todo = list(node.targets) if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
    found = []
    while todo:  # unpacks `a, (b, *c) = ...` without recursion
        target = todo.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            todo.extend(target.elts)
        elif isinstance(target, ast.Starred):
            todo.append(target.value)
        else:
            found.append(target)
    return found


def _assignment_hits(scope: Scope, node: ast.AST) -> list[tuple[str, str]]:
    hits = [_patch_hit(scope, t.value, f".{t.attr}") if isinstance(t, ast.Attribute)
            else _patch_hit(scope, t.value, f"[{_literal(t.slice)!r}]" if _literal(t.slice) else "[...]")
            if isinstance(t, ast.Subscript) else None
            for t in _targets(node)]
    return [h for h in hits if h]


def _call_hits(scope: Scope, call: ast.Call) -> list[tuple[str, str]]:
    callee, args = scope.dotted(call.func), call.args
    first = args[0] if args else None
    short = (callee or "").removeprefix("builtins.")
    if callee in DYNAMIC_CODE and first is not None:
        source = _literal(first)
        return [("dynamic_code", f"{short}(...)")] if source is None else _literal_source_hits(source)
    if callee in DYNAMIC_IMPORT and first is not None:
        name = _literal(first)
        return [("dynamic_import", f"{short}(...)")] if name is None else [h for h in [_reference(name)] if h]
    if callee in NAMESPACES:
        return [("namespace_access", f"{short}()")]
    if callee == "torch.load" and any(k.arg == "weights_only" and isinstance(k.value, ast.Constant)
                                      and k.value.value is False for k in call.keywords):
        return [("unsafe_load", "torch.load(..., weights_only=False)")]
    if callee in ATTRIBUTE_CALLS and len(args) >= 2:
        attr = _literal(args[1])
        if attr is None:  # a computed name hides what it reaches for, whatever the object
            owner = scope.dotted(args[0]) or (args[0].id if isinstance(args[0], ast.Name) else "...")
            return [("obfuscated_attribute", f"{short}({owner}, ...)")]
        hits = [("introspection", attr)] if attr in FRAME_ATTRS or _reflective_dunder(attr) else []
        patch = _patch_hit(scope, args[0], f".{attr}") if short != "getattr" else None
        return hits + [patch] if patch else hits
    if callee in OPENERS and first is not None and _raw_file(first):
        what = repr(first.value) if isinstance(first, ast.Constant) else "....fileno()"
        return [("fd_open", f"{short}({what})")]
    return []


def _reflective_dunder(attr: str) -> bool:
    return len(attr) > 4 and attr.startswith("__") and attr.endswith("__") and attr.strip("_") and attr not in DUNDER_OK


def _raw_file(node: ast.AST) -> bool:
    """open(3), open(f.fileno()), open("/proc/self/fd/3"): a file descriptor, not a file."""
    if isinstance(node, ast.Constant):
        return type(node.value) is int or str(node.value).startswith(("/proc/", "/dev/fd"))
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fileno"


def _literal_source_hits(source: str) -> list[tuple[str, str]]:
    """exec("import gc"): the string is code too, so look inside it."""
    try:
        inner = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # exec() would fail on it the same way
    return [(h.code, h.detail) for h in tamper_hits(inner)]


def _node_hits(scope: Scope, node: ast.AST, allowed: frozenset[str]) -> list[tuple[str, str]]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return _import_hits(node, allowed)
    if isinstance(node, ast.Name):
        if node.id == "__builtins__":
            return [("builtins_access", "__builtins__")]
        name = scope.builtin(node.id, bare=True)
        if isinstance(node.ctx, ast.Load) and id(node) not in scope.called and name in DYNAMIC_CODE | DYNAMIC_IMPORT:
            return [("dynamic_code" if name in DYNAMIC_CODE else "dynamic_import", node.id)]  # `run = exec`
        if isinstance(node.ctx, ast.Load) and id(node) not in scope.called and name in ATTRIBUTE_CALLS | NAMESPACES:
            return [("obfuscated_attribute", node.id)]  # `look = getattr`, `functools.reduce(getattr, ...)`
        return [h for h in [_reference(name)] if h]
    if isinstance(node, ast.Attribute):
        hits = [("introspection", node.attr)] if node.attr in FRAME_ATTRS or _reflective_dunder(node.attr) else []
        if id(node) not in scope.inner:  # a chain is resolved once, from its outermost attribute
            hits += [h for h in [_reference(scope.dotted(node))] if h]
        return hits
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
        return _assignment_hits(scope, node)
    if isinstance(node, ast.Call):
        resolved = None if id(node) in scope.inner else _reference(scope.dotted(node))
        return _call_hits(scope, node) + [h for h in [resolved] if h]
    return []


def tamper_hits(tree: ast.Module, allowed: frozenset[str] = frozenset()) -> list[TamperHit]:
    """Every construct that reaches into the checker's process or goes beyond the allowlist, by line; [] for an
    ordinary training script. `allowed`: modules a scenario adds to the allowlist."""
    try:
        scope = Scope(tree)
        found: dict[tuple[int, str], TamperHit] = {}
        for node in ast.walk(tree):  # outer nodes come first, so a line keeps its most telling detail
            for code, detail in _node_hits(scope, node, allowed):
                line = getattr(node, "lineno", 1)
                found.setdefault((line, code), TamperHit(code, line, detail))
    except RecursionError:  # not expected (every walk above is a loop), but a lint must never crash a verdict
        return [TamperHit("unreadable", 1, "too deeply nested to inspect")]
    return [found[key] for key in sorted(found)]
