"""What graded code may import and use: an allowlist (checker/allowlist.toml), not a list of what it may not.

The tamper lint (checker.tamper) reads it: a module outside it, a name of a narrowed module outside its members, or a
private name of any module makes the verdict "needs review". A scenario extends the modules with its own
`allowed_imports`."""
from __future__ import annotations

import functools
import tomllib
from importlib import resources


@functools.lru_cache(maxsize=1)
def _policy() -> dict:
    return tomllib.loads((resources.files("checker") / "allowlist.toml").read_text(encoding="utf-8"))


def modules() -> frozenset[str]:
    return frozenset(_policy()["modules"])


def module_allowed(name: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether `name` (dotted) lies under an allowed module."""
    allowed = modules() | extra
    parts = name.split(".")
    return any(".".join(parts[:i]) in allowed for i in range(1, len(parts) + 1))


def member_problem(name: str) -> str:
    """For a dotted name rooted in a module ('os.fork', 'torch.nn._x'), why it is not allowed, or '':
    "member" (outside a narrowed module's members) or "private" (a name with one leading underscore)."""
    parts = name.split(".")
    members = _policy()["members"].get(parts[0])
    if members is not None and len(parts) > 1 and parts[1] not in members:
        return "member"
    if any(p.startswith("_") and not (p.startswith("__") and p.endswith("__")) for p in parts[1:]) and not any(
            name == ok or name.startswith(ok + ".") for ok in _policy()["private_ok"]):
        return "private"
    return ""
