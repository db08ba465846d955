"""What every rule shares: the hit it returns, and the walks over a module's syntax tree that the rules build on.

Rules read the tree only; nothing here imports torch or runs the code."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

NO_GRAD_CONTEXTS = ("no_grad", "inference_mode")
TRAINING_OPTIMIZERS = ("SGD", "Adam", "AdamW", "Adadelta", "Adagrad", "Adamax", "ASGD", "LBFGS", "NAdam", "RAdam",
                       "RMSprop", "Rprop", "SparseAdam", "Adafactor", "Muon")
DROPOUT_OR_NORM = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
                   "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "BatchNorm1d", "BatchNorm2d",
                   "BatchNorm3d", "SyncBatchNorm", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
                   "batch_norm")

DROPOUT_KEYWORD = re.compile(r"dropout|^drop_(rate|prob|p)$|^p_drop")
PRETRAINED_FAMILY = re.compile(r"^(Bert|Roberta|RoBERTa|GPT2?|T5|Vit|ViT|Albert|Distil|XLNet|Electra)[A-Z]\w*$")


@dataclass(frozen=True)
class Hit:
    """One place a rule fired: the rule's name, the line and column of the cause, and the code it quotes. A rule
    that cannot tell for sure lowers its severity to "info" for that hit."""
    rule: str
    line: int
    detail: str
    col: int = 1
    severity: str | None = None  # None: the rule's own


def walk(node: ast.AST) -> list[ast.AST]:
    """ast.walk(node) as a list, computed once per node: the rules walk the same subtrees many times over."""
    cached = getattr(node, "_td_walk", None)
    if cached is None:
        cached = list(ast.walk(node))
        node._td_walk = cached
    return cached


def hit(rule: str, node: ast.AST, detail: str, unsure: bool = False) -> Hit:
    return Hit(rule, node.lineno, detail, getattr(node, "col_offset", 0) + 1, "info" if unsure else None)


def calls(node: ast.AST, attribute: str):
    """Every `something.attribute(...)` call under node."""
    for child in walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr == attribute:
            yield child


def call_name(call: ast.AST) -> str:
    """The last name of what is called: `softmax` for `F.softmax(x)`, `DataLoader` for `DataLoader(...)`."""
    if not isinstance(call, ast.Call):
        return ""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def functions(tree: ast.AST):
    return (n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))


def module_level(tree: ast.Module) -> list[ast.AST]:
    """The nodes of a script's (or notebook's) top-level code, outside every function and class."""
    cached = getattr(tree, "_td_module_level", None)
    if cached is None:
        cached, stack = [], list(tree.body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            cached.append(node)
            stack += ast.iter_child_nodes(node)
        tree._td_module_level = cached
    return cached


def loops(tree: ast.AST):
    return (n for n in walk(tree) if isinstance(n, (ast.For, ast.While, ast.AsyncFor)))


def loops_calling(tree: ast.AST, attribute: str) -> list[ast.AST]:
    """The innermost loops that call `.attribute()`: for backward(), the batch loops."""
    found = []
    for loop in loops(tree):
        inner = [n for n in walk(loop) if n is not loop and isinstance(n, (ast.For, ast.While, ast.AsyncFor))]
        if any(next(calls(i, attribute), None) for i in inner):
            continue
        if next(calls(loop, attribute), None):
            found.append(loop)
    return found


def link_parents(tree: ast.AST) -> None:
    """Give every node a `_td_parent`, once per tree, so rules can look outward from a node."""
    if getattr(tree, "_td_linked", False):
        return
    for node in walk(tree):
        for child in ast.iter_child_nodes(node):
            child._td_parent = node
    tree._td_linked = True


def ancestors(node: ast.AST):
    while (node := getattr(node, "_td_parent", None)) is not None:
        yield node


def enclosing_function(node: ast.AST):
    return next((a for a in ancestors(node) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))), None)


def under_if(node: ast.AST, within: ast.AST) -> bool:
    """Whether node sits under an `if` (or a conditional expression) between itself and `within`."""
    for ancestor in ancestors(node):
        if ancestor is within:
            return False
        if isinstance(ancestor, (ast.If, ast.IfExp, ast.Try)):
            return True
    return False


def is_grad_off_context(expr: ast.AST) -> bool:
    """`torch.no_grad()`, `torch.inference_mode()`, `torch.set_grad_enabled(False)` (also bare, as decorators)."""
    name = call_name(expr) if isinstance(expr, ast.Call) else (
        expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", ""))
    if name in NO_GRAD_CONTEXTS:
        return True
    return (name == "set_grad_enabled" and isinstance(expr, ast.Call) and len(expr.args) == 1
            and isinstance(expr.args[0], ast.Constant) and expr.args[0].value is False)


def grad_is_off_at(node: ast.AST) -> bool:
    """Whether node runs inside a no_grad-style `with` block or a function decorated with one."""
    for ancestor in ancestors(node):
        if isinstance(ancestor, (ast.With, ast.AsyncWith)) and any(
                is_grad_off_context(item.context_expr) for item in ancestor.items):
            return True
        if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                is_grad_off_context(d) for d in ancestor.decorator_list):
            return True
    return _switched_off_before(node)


def _switched_off_before(node: ast.AST) -> bool:
    """`torch.set_grad_enabled(False)` as a statement earlier in node's function, not switched back on since."""
    function = enclosing_function(node)
    if function is None:
        return False
    switches = sorted((n.lineno, is_grad_off_context(n.value)) for n in walk(function)
                      if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
                      and call_name(n.value) == "set_grad_enabled" and n.lineno < node.lineno)
    return bool(switches) and switches[-1][1]


def model_classes(tree: ast.AST) -> dict[str, ast.ClassDef]:
    """The classes the file defines on nn.Module (by their base's name)."""
    return {n.name: n for n in walk(tree) if isinstance(n, ast.ClassDef)
            and any(ast.unparse(b).endswith(("Module", "Sequential")) for b in n.bases)}


def uses_dropout_or_batchnorm(tree: ast.AST) -> bool | None:
    """True when the file's models have dropout or BatchNorm (or come from a model zoo, which mostly do); False
    when it defines its own models and none has either; None when it cannot tell (no model defined here)."""
    names = {n.attr if isinstance(n, ast.Attribute) else n.id
             for n in walk(tree) if isinstance(n, (ast.Attribute, ast.Name))}
    dropout_given = any(DROPOUT_KEYWORD.search(k.arg.lower()) and not (  # dropout_dec=0.3, not use_dropout=False
        isinstance(k.value, ast.Constant) and not k.value.value) for n in walk(tree) if isinstance(n, ast.Call)
        for k in n.keywords if k.arg)
    if names & set(DROPOUT_OR_NORM) or dropout_given:
        return True
    if any(isinstance(n, ast.Call) and ast.unparse(n.func).startswith(("models.", "torchvision.models.", "timm."))
           for n in walk(tree)) or "from_pretrained" in names or any(PRETRAINED_FAMILY.search(name) for name in names):
        return True  # model zoos and pretrained transformer families all come with dropout or normalization
    return False if model_classes(tree) else None


def called_functions(node: ast.AST, defined: dict[str, ast.AST], seen: set | None = None) -> list[ast.AST]:
    """node, and the bodies of the file's own functions it calls by name, transitively."""
    seen = set() if seen is None else seen
    found = [node]
    for call in (n for n in walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)):
        target = defined.get(call.func.id)
        if target is not None and id(target) not in seen:
            seen.add(id(target))
            found += called_functions(target, defined, seen)
    return found


def defined_functions(tree: ast.AST) -> dict[str, ast.AST]:
    return {f.name: f for f in functions(tree)}


def reaches(node: ast.AST, defined: dict[str, ast.AST], predicate) -> bool:
    """Whether predicate holds for any node under `node` or in a function it calls (transitively)."""
    return any(predicate(n) for scope in called_functions(node, defined) for n in walk(scope))


def method_call(node: ast.AST, *attributes: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in attributes
