"""When a code answer typed at the prompt is finished. Pure Python (no torch, no rich), so it is tested alone.

An answer ends only when the student ends it: with a line holding just `.`, or with two empty lines once the code
is complete and defines what the question asks for. One empty line never ends it, so `import ...`, a blank line and
`def pad_collate(...)` stay one answer; and two empty lines after the imports of a file pasted in (PEP 8 leaves two
before a `def`) do not end it either while `pad_collate` is still to come."""
from __future__ import annotations

import ast
import codeop
import warnings

TERMINATORS = (".", "。")  # a full stop alone on its line; the Chinese one too, as a Chinese keyboard types it


def is_terminator(line: str) -> bool:
    return line.strip() in TERMINATORS


def names_bound(source: str) -> set[str]:
    """The names a program binds anywhere (assignments, defs, classes, imports, loop and with targets)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return bound


def names_needed(target: str, setup: str) -> set[str]:
    """The names in a check's target that the setup does not define: the answer has to define them."""
    try:
        read = {node.id for node in ast.walk(ast.parse(target, mode="eval")) if isinstance(node, ast.Name)}
    except (SyntaxError, ValueError):
        return set()
    return read - names_bound(setup)


def waiting_for(lines: list[str], needed: set[str], lone_expression_counts: bool) -> str:
    """Why two empty lines just typed do not end the answer: "incomplete" (an open bracket or block), "defines"
    (it does not yet define a needed name), or "" when they end it. Code that can never parse ends, to be graded."""
    source = "\n".join(lines).strip("\n")
    try:
        with warnings.catch_warnings():  # a SyntaxWarning is the grader's to show, once, not the prompt's
            warnings.simplefilter("ignore")
            complete = codeop.compile_command(source + "\n", "<answer>", "exec") is not None
    except (SyntaxError, ValueError, OverflowError):
        return ""
    if not complete:
        return "incomplete"
    if needed and not needed <= names_bound(source) and not (lone_expression_counts and _lone_expression(source)):
        return "defines"
    return ""


def two_empty_lines(lines: list[str]) -> bool:
    return len(lines) >= 3 and not lines[-1].strip() and not lines[-2].strip()


def _lone_expression(source: str) -> bool:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return len(body) == 1 and isinstance(body[0], ast.Expr)
