"""Replacing attributes of torch for the length of a run, and putting the originals back afterwards."""
from __future__ import annotations

from typing import Callable


class Patches:
    def __init__(self):
        self._undo: list[Callable[[], object]] = []

    def wrap(self, owner: object, name: str, make: Callable[[Callable], Callable]) -> None:
        """Set `owner.name` to `make(original)`; `undo()` restores the original."""
        original = getattr(owner, name)
        self._undo.append(lambda: setattr(owner, name, original))
        setattr(owner, name, make(original))

    def undo_with(self, step: Callable[[], object]) -> None:
        """Have `undo()` call `step` (in the reverse order of everything patched)."""
        self._undo.append(step)

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()


class Watcher:
    """A probe that patches torch for the run and hears when train() and test() start and end."""

    def install(self, patches: Patches) -> None:
        pass

    def on_enter(self, scope: str) -> None:
        pass

    def on_leave(self, scope: str, finished: bool) -> None:
        pass

    def check_training_leftovers(self, local_values: dict, result, line: int | None) -> None:
        pass

    def after_main(self) -> None:
        pass
