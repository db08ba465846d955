"""What every lint shares: the hit it returns and a few AST walks."""
from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class LintHit:
    lint: str
    line: int
    detail: str


def calls(node: ast.AST, attribute: str):
    """Every `something.attribute(...)` call under node."""
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr == attribute:
            yield child


def functions(tree: ast.AST):
    return (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))


def loops_calling(tree: ast.AST, attribute: str) -> list[ast.AST]:
    """The innermost loops that call `.attribute()`: for backward(), the batch loops."""
    found = []
    for loop in (n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While))):
        inner = [n for n in ast.walk(loop) if n is not loop and isinstance(n, (ast.For, ast.While))]
        if any(next(calls(i, attribute), None) for i in inner):
            continue
        if next(calls(loop, attribute), None):
            found.append(loop)
    return found
