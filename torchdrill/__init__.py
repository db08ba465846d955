"""torchdrill's one import name.

The project's folders (checker/, reference/, quizzes/, buggy_examples/) are the users' own layout and keep their
names in the repository. An installed wheel puts them under this package, in torchdrill/_lib/, which is on no
import path of its own: torchdrill's commands and its sandboxed children put it first on sys.path, and `import
torchdrill` (a training script's `from torchdrill.data import mnist_root`) puts it last, behind the script's own
modules. So `pip install torchdrill` adds no `checker`, `reference` or `quizzes` to anybody's site-packages, a
distribution of that name installed beside it keeps its own, and a user's own reference.py still wins in their
script.

In a clone (an editable install), the folders are importable as they are and _lib does not exist.
"""
from __future__ import annotations

import sys
from pathlib import Path

LIB = Path(__file__).resolve().parent / "_lib"


def use_our_packages(first: bool = False) -> None:
    """Make checker, reference and quizzes importable where the wheel installed them (a no-op in a clone): `first`
    for our own commands, else behind everything already on the path."""
    if not LIB.is_dir():
        return
    if first:
        if str(LIB) in sys.path:
            sys.path.remove(str(LIB))
        sys.path.insert(0, str(LIB))
    elif str(LIB) not in sys.path:
        sys.path.append(str(LIB))


use_our_packages()
