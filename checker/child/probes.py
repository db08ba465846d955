"""Runtime probes: global torch hooks that watch the student's training and evaluation, scoped to entry points.

Each probe records its first violation (with the student's line) and stops looking, so a clean run pays for a
few cheap checks per batch and a buggy run pays almost nothing after the first finding. The probes on data
loaders, losses and schedulers live in loop_probes.py; the graph checks in graphs.py.
"""
from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass, field

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from checker.child import graphs, loop_probes
from checker.child.patches import Patches

# Taken when the harness imports this module, before the script runs: a script that replaces them later
# cannot blind the probes.
_register_hook = torch.Tensor.register_hook
_register_forward_pre_hook = torch.nn.modules.module.register_module_forward_pre_hook
_register_forward_hook = torch.nn.modules.module.register_module_forward_hook

RUNTIME_PROBES = ("grads_zeroed", "params_owned", "train_mode", "eval_mode", "no_grad_eval", "no_graph_kept",
                  "grad_enabled_train", "train_graph_released", "full_epochs", "train_split", "train_shuffled",
                  "loss_on_logits", "scheduler_per_epoch")
SCOPES = ("train", "test")


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
    max_train_batches: int | None = None  # the quick budget: batches per training pass (loop_probes.DataWatch)
    findings: dict[str, Finding] = field(default_factory=dict)
    train_depth: int = 0
    test_depth: int = 0
    model_calls: int = 0
    eval_model_calls: int = 0  # model calls inside test(): without any, the evaluation probes saw nothing
    optimizer_steps: int = 0
    steps_outside_train: int = 0  # optimizer steps the entry points' probes could not judge
    train_calls: int = 0  # top-level calls of the training entry point: one per epoch in every scenario
    stepped_optimizers: set = field(default_factory=set)  # id() of every optimizer that has stepped
    scope_code: dict = field(default_factory=dict)  # scope -> code object of the entry point (train, test)
    scope_frame: dict = field(default_factory=dict)  # scope -> its frame, kept to read its final locals
    watchers: list = field(default_factory=list)  # objects with on_enter(scope) / on_leave(scope, finished)
    patches: Patches = field(default_factory=Patches)
    _forward_depth: int = 0
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
        self._handles.append(_register_forward_pre_hook(self._before_forward))
        self._handles.append(_register_forward_hook(self._after_forward, always_call=True))
        self._handles.append(register_optimizer_step_pre_hook(self._before_step))
        for watcher in (*loop_probes.watchers_for(self), *graphs.watchers_for(self)):
            watcher.install(self.patches)
            self.watchers.append(watcher)

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self.patches.undo()

    def after_main(self) -> None:
        """Checks that need the whole run (how often the scheduler stepped, ...)."""
        for watcher in self.watchers:
            watcher.after_main()

    # -- entry-point scopes -----------------------------------------------------------------------------------------
    def enter(self, scope: str, code) -> None:
        depth = getattr(self, f"{scope}_depth") + 1
        setattr(self, f"{scope}_depth", depth)
        if depth == 1:
            self.train_calls += scope == "train"
            self.scope_code[scope], self.scope_frame[scope] = code, None
            for watcher in self.watchers:
                watcher.on_enter(scope)

    def leave(self, scope: str, result, finished: bool, values: dict | None = None) -> None:
        """`values`: the scope's final locals, where its frame does not hold them (a top-level script's loop)."""
        depth = getattr(self, f"{scope}_depth") - 1
        setattr(self, f"{scope}_depth", depth)
        if depth:
            return
        frame = self.scope_frame.pop(scope, None)
        if values is None:
            values = dict(frame.f_locals) if frame is not None and finished else {}
        line = frame.f_lineno if frame is not None else None
        for watcher in self.watchers:
            watcher.on_leave(scope, finished)
        if finished and scope == "test":
            self.check_evaluation_leftovers(values, result, line)
        if finished and scope == "train":
            for watcher in self.watchers:
                watcher.check_training_leftovers(values, result, line)

    # -- model calls ----------------------------------------------------------------------------------------------
    def _before_forward(self, module, args) -> None:
        self._forward_depth += 1
        if self._forward_depth != 1 or not (self.train_depth or self.test_depth):
            return  # only the outermost call (the model itself), and only inside train() or test()
        if next(module.parameters(), None) is None:
            return  # a parameter-free module, such as a torchvision transform in the data pipeline
        self.model_calls += 1
        scope = "test" if self.test_depth else "train"
        if self.scope_frame.get(scope) is None and self.scope_code.get(scope) is not None:
            self.scope_frame[scope] = self._find_frame(self.scope_code[scope])
        if scope == "test":
            self.eval_model_calls += 1
            self._check_evaluation(module)
        else:
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
        if self.active("grad_enabled_train") and not torch.is_grad_enabled():
            self.report("grad_enabled_train", "grad_disabled_during_training")
        if model not in self._watched_models:
            self._watched_models.add(model)
            for name, param in model.named_parameters():
                if param.requires_grad and id(param) not in self._params:
                    self._params[id(param)] = _ParamState(name, weakref.ref(param))
                    _register_hook(param, self._grad_arriving(id(param)))

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
        self.stepped_optimizers.add(id(optimizer))
        if not self.train_depth:
            self.steps_outside_train += 1
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
