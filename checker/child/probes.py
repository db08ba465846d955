"""Runtime probes: global torch hooks that watch the student's training and evaluation, scoped to entry points.

Each probe records its first violation (with the student's line) and stops looking, so a clean run pays for a
few cheap checks per batch and a buggy run pays almost nothing after the first finding.
"""
from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass, field

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

RUNTIME_PROBES = ("grads_zeroed", "params_owned", "train_mode", "eval_mode", "no_grad_eval", "no_graph_kept")


@dataclass
class Finding:
    probe: str
    code: str  # message key, e.g. "grads_not_zeroed"
    line: int | None
    detail: str = ""


@dataclass
class _ParamState:
    name: str
    ref: "weakref.ref"
    stepped: bool = False  # an optimizer stepped this parameter since its last backward
    fresh_grad: bool = False  # a backward reached it since the last step


@dataclass
class ProbeSet:
    """The probes of one run. `enabled` names the probes the scenario asked for."""

    student_file: str
    enabled: frozenset[str]
    findings: dict[str, Finding] = field(default_factory=dict)
    train_depth: int = 0
    test_depth: int = 0
    model_calls: int = 0
    optimizer_steps: int = 0
    _forward_depth: int = 0
    test_code: object = None  # the code object of the script's test(), whose frame we keep to read its locals
    test_frame: object = None
    _params: dict = field(default_factory=dict)  # id(param) -> _ParamState (tensors compare elementwise: no weak dict)
    _watched_models: "weakref.WeakSet" = field(default_factory=weakref.WeakSet)
    _handles: list = field(default_factory=list)

    def active(self, probe: str) -> bool:
        return probe in self.enabled and probe not in self.findings

    def report(self, probe: str, code: str, detail: str = "", line: int | None = None) -> None:
        if self.active(probe):
            self.findings[probe] = Finding(probe, code, line or self.student_line(), detail)

    def student_line(self) -> int | None:
        """The innermost line of the student's file on the current stack."""
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.student_file:
                return frame.f_lineno
            frame = frame.f_back
        return None

    # -- installation -------------------------------------------------------------------------------------------
    def install(self) -> None:
        modules = torch.nn.modules.module
        self._handles.append(modules.register_module_forward_pre_hook(self._before_forward))
        self._handles.append(modules.register_module_forward_hook(self._after_forward, always_call=True))
        self._handles.append(register_optimizer_step_pre_hook(self._before_step))

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    # -- model calls ----------------------------------------------------------------------------------------------
    def _before_forward(self, module, args) -> None:
        self._forward_depth += 1
        if self._forward_depth != 1 or not (self.train_depth or self.test_depth):
            return  # only the outermost call (the model itself), and only inside train() or test()
        if next(module.parameters(), None) is None:
            return  # a parameter-free module, such as a torchvision transform in the data pipeline
        self.model_calls += 1
        if self.test_depth:
            if self.test_frame is None and self.test_code is not None:
                self.test_frame = self._find_frame(self.test_code)
            self._check_evaluation(module)
        elif self.train_depth:
            self._check_training(module)

    @staticmethod
    def _find_frame(code):
        frame = sys._getframe(2)
        while frame is not None and frame.f_code is not code:
            frame = frame.f_back
        return frame

    def _after_forward(self, module, args, output) -> None:
        self._forward_depth = max(0, self._forward_depth - 1)

    def _check_evaluation(self, model) -> None:
        if self.active("eval_mode"):
            in_train = [name or type(model).__name__ for name, m in model.named_modules() if m.training]
            if in_train:
                self.report("eval_mode", "model_in_train_mode_during_eval", ", ".join(in_train[:4]))
        if self.active("no_grad_eval") and torch.is_grad_enabled():
            self.report("no_grad_eval", "grad_enabled_during_eval")

    def _check_training(self, model) -> None:
        if self.active("train_mode"):
            in_eval = [name or type(model).__name__ for name, m in model.named_modules() if not m.training]
            if in_eval:
                self.report("train_mode", "model_in_eval_mode_during_training", ", ".join(in_eval[:4]))
        if model not in self._watched_models:
            self._watched_models.add(model)
            for name, param in model.named_parameters():
                if param.requires_grad and id(param) not in self._params:
                    self._params[id(param)] = _ParamState(name, weakref.ref(param))
                    param.register_hook(self._grad_arriving(id(param)))

    # -- gradients and steps ----------------------------------------------------------------------------------------
    def _grad_arriving(self, key: int):
        def hook(grad):
            state = self._params.get(key)
            p = state.ref() if state is not None else None
            if p is None or not self.train_depth:
                return None
            # Called before the new gradient is added to .grad: a non-zero .grad left from before the last step
            # means nothing cleared it, so this step will use the sum of several batches' gradients.
            if state.stepped and p.grad is not None and self.active("grads_zeroed") and bool(p.grad.any()):
                self.report("grads_zeroed", "grads_not_zeroed_between_steps", state.name)
            state.stepped, state.fresh_grad = False, True
            return None

        return hook

    def _before_step(self, optimizer, args, kwargs) -> None:
        if not self.train_depth:
            return
        self.optimizer_steps += 1
        owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
        fresh = [(key, s) for key, s in self._params.items() if s.fresh_grad and s.ref() is not None]
        if self.active("params_owned"):
            orphans = [s.name for key, s in fresh if key not in owned]
            if orphans:
                self.report("params_owned", "trained_params_not_in_optimizer", ", ".join(orphans[:4]))
        mine = [s for key, s in fresh if key in owned]
        if mine and self.active("grads_zeroed") and all(_grad_is_empty(s.ref()) for s in mine):
            self.report("grads_zeroed", "grads_wiped_before_step")
        for state in mine:
            state.stepped, state.fresh_grad = True, False

    # -- evaluation's leftovers --------------------------------------------------------------------------------------
    def check_evaluation_leftovers(self, local_values: dict, result, line: int | None) -> None:
        """After test() returns: a tensor with a grad_fn among its locals or its result keeps a graph alive."""
        if not self.active("no_graph_kept"):
            return
        for name, value in [*local_values.items(), ("<return value>", result)]:
            if isinstance(value, torch.Tensor) and value.grad_fn is not None:
                self.report("no_graph_kept", "graph_kept_after_eval", name, line)
                return


def _grad_is_empty(param) -> bool:
    return param is None or param.grad is None or not bool(param.grad.any())
