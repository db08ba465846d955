"""The model main() trained, for a script whose main() returns no model: the shape most tutorials have
(pytorch/examples' mnist/main.py among them), where main() trains, tests, perhaps saves, and returns nothing.

The first optimizer step finds main()'s frame on the stack, and every optimizer that steps is remembered by the
parameters it holds. Once main() returns, its frame still holds its final locals (as a traceback's frames do):
the model is the nn.Module among them, or else among the script's module-level names, that holds the most
parameters the optimizers stepped. Its predictions are then scored like those of a returned model.
"""
from __future__ import annotations

import sys

from torch.optim.optimizer import register_optimizer_step_pre_hook


class TrainedModelWatch:
    """Installed around main() in every run (a dictionary lookup per optimizer step); `model()` afterwards."""

    def __init__(self, main_function, nn_module):
        self._main_code = getattr(main_function, "__code__", None)
        self._nn_module = nn_module  # taken before the script ran
        self._main_frame = None
        self._stepped: dict[int, set[int]] = {}  # id(optimizer) -> id() of each parameter it holds
        self._handle = None

    def install(self) -> None:
        self._handle = register_optimizer_step_pre_hook(self._before_step)

    def remove(self) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _before_step(self, optimizer, args, kwargs) -> None:
        if id(optimizer) not in self._stepped:
            self._stepped[id(optimizer)] = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if self._main_frame is None and self._main_code is not None:
            frame = sys._getframe(1)
            while frame is not None and frame.f_code is not self._main_code:
                frame = frame.f_back
            self._main_frame = frame

    def model(self, module):
        """The nn.Module that holds the most stepped parameters: main()'s locals first, then the script's
        module-level names; None when no optimizer stepped or no such module is in reach."""
        stepped = set().union(*self._stepped.values()) if self._stepped else set()
        if not stepped:
            return None
        places = [dict(self._main_frame.f_locals) if self._main_frame is not None else {}, dict(vars(module))]
        for place in places:
            best, most = None, 0
            for value in place.values():
                if isinstance(value, self._nn_module):
                    held = sum(1 for p in value.parameters() if id(p) in stepped)
                    if held > most:
                        best, most = value, held
            if best is not None:
                return best
        return None
