"""Probes for `checker trace`: the catalogue's bugs, found in any training script without knowing its names.

The training steps are every optimizer step (and every backward) in the process. The passes over the data are the
DataLoader iterations: a pass in which backward() runs is a training pass, one that feeds a model and never calls
backward() is an evaluation pass. Loops over batches the script makes itself (get_batch) are grouped by the frame
that runs the model (handmade_passes.py). Each probe reports its first finding, with the user's line of the cause.

The budget: once `max_steps` optimizer steps (or backward calls, when nothing steps) have run, the current training
pass is ended early (its loader stops), the evaluation that follows is let run (at most `max_eval_batches` batches
a pass), and the run stops at the next training step. Passes the tracer ended are never judged as ended early.
"""
from __future__ import annotations

import copy
import os
import sys
import weakref
from dataclasses import dataclass, field

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.utils.data import DataLoader
from torch.utils.data import dataloader as dataloader_module

from checker.child.graphs import graph_size
from checker.child.handmade_passes import HandmadePasses
from checker.child.last_op import last_operation
from checker.child.loop_probes import _attribute, _splits, squashing_problem
from checker.child.patches import Patches

# Taken before the script runs: a script that replaces them cannot blind the probes.
_register_hook = torch.Tensor.register_hook
_register_forward_pre_hook = torch.nn.modules.module.register_module_forward_pre_hook

DROPOUT_OR_NORM = (torch.nn.modules.dropout._DropoutNd, torch.nn.modules.batchnorm._BatchNorm)
EPOCH_SCHEDULERS = ("StepLR", "MultiStepLR", "ExponentialLR", "ReduceLROnPlateau")
LOSS_CHECKS = 20  # the scores given to a loss are judged on its first calls (and first 64 rows): a bug shows at once
GRAD_CHECK_STEPS = 50  # gradients not cleared show at the second step: after this many, stop paying for the check
SPANS_STEPS = 1.5  # a graph this many times larger than one step's holds several steps
FLAT_LOSSES = 20  # this many training losses that never move (nothing learns)
TAIL_STEPS = 2  # steps let run in the training that follows the cut epoch's evaluation, before the run ends
OURS = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # checker/: never the user's code


class TraceStop(BaseException):
    """The step budget is spent: raised in the script at its next training step, to end the run there."""


@dataclass
class Finding:
    kind: str
    line: int | None
    file: str | None
    detail: str = ""


@dataclass
class Pass:
    """One iteration over a DataLoader."""
    loader: "weakref.ref"
    expected: int | None
    drawn: int = 0
    training: bool = False  # backward() ran during it
    forwards: int = 0
    exhausted: bool = False
    cut: bool = False  # ended by the tracer's budget, never judged as ended early
    frame: object = None  # the frame that iterates it (the loop), for its locals at the end
    line: tuple = (None, None)
    train_mode_at: tuple | None = None  # the first forward with dropout/BatchNorm in training mode
    grad_on_at: tuple | None = None  # the first forward with grad enabled
    eval_mode_at: tuple | None = None  # the first forward of a model in eval mode
    scheduler_steps: dict = field(default_factory=dict)
    forward_graph: int = 0  # autograd nodes of one forward's output, in an evaluation pass with grad on


@dataclass
class _Param:
    name: str
    ref: "weakref.ref"
    stepped: bool = False
    fresh: bool = False
    ever_grad: bool = False


class TraceProbes:
    def __init__(self, user_dirs: list[str], max_steps: int, max_eval_batches: int, on_finding=None):
        self.on_finding = on_finding  # called with each new Finding, so a run that is killed keeps them
        self.user_dirs = tuple(d.rstrip("/") + "/" for d in user_dirs)
        self.ours = OURS
        self.max_steps, self.max_eval_batches = max_steps, max_eval_batches
        self.findings: dict[str, Finding] = {}
        self.steps = self.backwards = self.training_passes = self.evaluation_passes = 0
        self.winding_down = False
        self.budget_reached = False
        self._tail = 0  # steps taken since the budget was spent, outside the pass that was cut
        self.passes: list[Pass] = []  # open passes, innermost last
        self._active: Pass | None = None  # the pass whose loader gave the latest batch: forwards belong to it
        self.losses: list[float] = []
        self.patches = Patches()
        self._handles = []
        self._params: dict[int, _Param] = {}
        self._models = weakref.WeakSet()
        self._layers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> dropout/BN modules
        self._owned_ever: set[int] = set()
        self._step_graph = 0
        self._forward_depth = 0
        self._batch_checked = False
        self._last_forward = None  # (module ref, args) of the last training-candidate forward
        self._last_zero_grad = (0, None)  # (backwards count when called, where)
        self._grad_off_at = None
        self._training_data: list = []  # sample keys of every training pass's dataset
        self._saves: list[dict] = []
        self._model_loaded_at: int | None = None
        self._optimizer_state_loaded = False
        self._schedulers = weakref.WeakKeyDictionary()  # scheduler -> is an epoch scheduler
        self._building_scheduler = 0
        self._loss_checks = 0
        self._backward_at = self._first_backward_at = (None, None)
        self._last_optimizer_at = None
        self._evaluations: list[tuple[int, tuple]] = []  # (training samples it shared, where) per evaluation pass
        self.handmade = HandmadePasses(self, lambda: Pass(lambda: None, None))  # get_batch-style loops

    # -- where ------------------------------------------------------------------------------------------------
    def where(self, depth: int = 1) -> tuple[str | None, int | None]:
        """(file, line) of the innermost frame in the user's own code."""
        frame = sys._getframe(depth)
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(self.user_dirs) and "/site-packages/" not in name and not name.startswith(self.ours):
                return name, frame.f_lineno
            frame = frame.f_back
        return None, None

    def report(self, kind: str, at: tuple | None = None, detail: str = "") -> None:
        if kind not in self.findings:
            file, line = at if at else self.where(2)
            self.findings[kind] = Finding(kind, line, file, str(detail)[:300])
            if self.on_finding is not None:
                self.on_finding(self.findings[kind])

    # -- installation -----------------------------------------------------------------------------------------
    def install(self) -> None:
        self._handles.append(_register_forward_pre_hook(self._before_forward))
        self._handles.append(torch.nn.modules.module.register_module_forward_hook(self._after_forward,
                                                                                   always_call=True))
        self._handles.append(register_optimizer_step_pre_hook(self._before_step))
        self._wrap_backward()
        self._wrap_loaders()
        self._wrap_losses()
        self._wrap_schedulers()
        self._wrap_checkpoints()
        self._wrap_grad_switches()

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self.patches.undo()

    # -- forward passes ---------------------------------------------------------------------------------------
    def _before_forward(self, module, args) -> None:
        self._forward_depth += 1
        if self._forward_depth != 1 or next(module.parameters(), None) is None:
            return  # only the outermost call (the model itself); a parameter-free module is a transform
        self._watch(module)
        current = self._active or self.handmade.pass_for_forward(2)
        at = None
        if current is not None:
            current.forwards += 1
            layers = self._layers.get(module, ())
            if current.train_mode_at is None and any(m.training for m in layers):
                at = at or self.where(2)
                current.train_mode_at = (*at, ", ".join(sorted({type(m).__name__ for m in layers if m.training})))
            if current.grad_on_at is None and torch.is_grad_enabled():
                at = at or self.where(2)
                current.grad_on_at = at
            if current.eval_mode_at is None and not module.training and layers and torch.is_grad_enabled() \
                    and any(p.requires_grad for p in module.parameters()):
                at = at or self.where(2)
                current.eval_mode_at = (*at, type(module).__name__)
            if current.training and current.eval_mode_at is not None:
                self.report("eval_mode_in_training", current.eval_mode_at[:2], current.eval_mode_at[2])
        if not self._batch_checked and torch.is_grad_enabled() and module.training:
            self._last_forward = (weakref.ref(module), args)

    def _after_forward(self, module, args, output) -> None:
        self._forward_depth = max(0, self._forward_depth - 1)
        current = (self._active or self.handmade.current) if not self._forward_depth else None
        if current is not None and not current.training and not current.forward_graph:
            first = _first_tensor(output)
            if first is not None and first.grad_fn is not None:
                current.forward_graph = graph_size(first)

    def _watch(self, model) -> None:
        if model in self._models:
            return
        self._models.add(model)
        self._layers[model] = [m for m in model.modules() if isinstance(m, DROPOUT_OR_NORM)]
        for name, param in model.named_parameters():
            if param.requires_grad and id(param) not in self._params:
                self._params[id(param)] = _Param(name, weakref.ref(param))
                _register_hook(param, self._grad_arriving(id(param)))

    # -- gradients, backward, steps ---------------------------------------------------------------------------
    def _grad_arriving(self, key: int):
        def hook(grad):
            state = self._params.get(key)
            param = state.ref() if state is not None else None
            if param is None:
                return None
            if (state.stepped and self.steps <= GRAD_CHECK_STEPS and param.grad is not None
                    and "grads_not_cleared" not in self.findings and bool(param.grad.any())):
                self.report("grads_not_cleared", self._backward_at, state.name)
            state.stepped, state.fresh, state.ever_grad = False, True, True
            return None

        return hook

    def _wrap_backward(self) -> None:
        probes = self

        def make(original):
            def backward(tensor, *args, **kwargs):
                probes._on_backward(tensor)
                try:
                    return original(tensor, *args, **kwargs)
                except RuntimeError as error:
                    if "does not require grad" in str(error) and (
                            probes._grad_off_at is not None or not torch.is_grad_enabled()):
                        probes.report("grad_disabled_in_training", probes._grad_off_at or probes._backward_at)
                    raise

            return backward

        self.patches.wrap(torch.Tensor, "backward", make)

    def _on_backward(self, tensor) -> None:
        current = self._active
        if current is not None and not current.training:
            self._became_training(current)
        self.handmade.backward()
        self.backwards += 1
        self._backward_at = self.where(3)
        if self.backwards == 1:
            self._first_backward_at = self._backward_at
        if tensor.dim() == 0 and tensor.is_floating_point():
            value = float(tensor.detach())
            if value != value or value in (float("inf"), float("-inf")):
                self.report("nonfinite_loss", self._backward_at, f"{value} (step {self.steps + 1})")
            elif len(self.losses) < 10_000:
                self.losses.append(value)
        if not self._step_graph and tensor.grad_fn is not None:
            self._step_graph = graph_size(tensor)
        if not self._batch_checked and self._last_forward is not None:
            self._batch_checked = True
            self._check_batch_independence(*self._last_forward)
            self._last_forward = None
        if not self._owned_ever:  # nothing has stepped: the script may update by hand, each backward is a step
            self._budget_stop()
            self._check_budget(self.backwards)

    def _before_step(self, optimizer, args, kwargs) -> None:
        owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
        self._owned_ever |= owned
        mine = [s for key, s in self._params.items() if key in owned and s.ref() is not None]
        fresh = [s for s in mine if s.fresh]
        if fresh and self.steps <= GRAD_CHECK_STEPS and _all_empty([s.ref() for s in fresh]):
            backwards_then, where = self._last_zero_grad
            self.report("grads_wiped_before_step", where if backwards_then == self.backwards else None)
        elif mine and not fresh and self.backwards and all(s.ref().grad is None for s in mine) \
                and self.steps <= GRAD_CHECK_STEPS:
            self.report("step_without_gradients")
        for state in mine:
            state.stepped, state.fresh = True, False
        self._last_optimizer_at = getattr(optimizer, "_td_at", None)  # the optimizer may be gone by the end
        self._budget_stop()
        self.steps += 1
        self._check_budget(self.steps)

    def _check_budget(self, taken: int) -> None:
        if taken >= self.max_steps and not self.winding_down:
            self.winding_down = self.budget_reached = True
            for open_pass in self.passes:
                if open_pass.training:
                    open_pass.cut = True  # its loader stops at the next batch

    def _budget_stop(self) -> None:
        """Past the budget, the training that follows the cut epoch's evaluation takes TAIL_STEPS steps (enough
        to show what the evaluation left behind: eval mode, a resumed model), then the next one ends the run."""
        if not self.winding_down or any(p.cut and p.training for p in self.passes):
            return
        self._tail += 1
        if self._tail > TAIL_STEPS:
            raise TraceStop()

    def _became_training(self, current: Pass) -> None:
        current.training = True
        self.training_passes += 1
        loader = current.loader()
        dataset = _attribute(loader, "dataset") if loader is not None else None
        if dataset is not None:
            splits = _splits(dataset)
            if False in splits:
                self.report("test_split_in_training", _created_at(dataset, loader) or current.line, splits[False])
            self._training_data.append(_samples(dataset))
        if current.eval_mode_at is not None:
            self.report("eval_mode_in_training", current.eval_mode_at[:2], current.eval_mode_at[2])

    def _check_batch_independence(self, model_ref, args) -> None:
        """One forward of a copy of the model on the batch less its last sample: a forward that reshapes with the
        batch size fails or mixes samples. Stochastic forwards (a VAE's sampling) are left alone."""
        model = model_ref()
        if model is None or len(args) != 1 or not isinstance(args[0], torch.Tensor):
            return
        batch = args[0].detach()
        if batch.dim() < 2 or batch.size(0) < 3:
            return
        at = self.where(3)
        try:
            twin = copy.deepcopy(model).eval()
        except Exception:  # noqa: BLE001 (a model that cannot be copied is not judged)
            return
        devices = [batch.device.index or 0] if batch.is_cuda else []
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            try:
                full = _first_tensor(_seeded(twin, batch, 0))
                again = _first_tensor(_seeded(twin, batch, 1))
            except Exception:  # noqa: BLE001 (the script's own forward failing on its own batch is its business)
                return
            if full is None or again is None or full.shape != again.shape or not torch.allclose(full, again):
                return  # stochastic even in eval mode: cannot be compared
            try:
                fewer = _first_tensor(_seeded(twin, batch[:-1], 0))
            except Exception as error:  # noqa: BLE001
                self.report("batch_size_dependent", _error_line(error, self.user_dirs) or at,
                            f"{batch.size(0) - 1} samples: {type(error).__name__}: {str(error)[:160]}")
                return
        if full.dim() and full.size(0) == batch.size(0):
            if fewer is None or fewer.shape[0] != batch.size(0) - 1 or not torch.allclose(
                    fewer, full[:-1], rtol=1e-3, atol=1e-4):
                self.report("batch_size_dependent", at, f"{batch.size(0) - 1} samples: the outputs changed")

    # -- data loaders -----------------------------------------------------------------------------------------
    def _wrap_loaders(self) -> None:
        probes = self

        def make_iter(original):
            def __iter__(loader):
                iterator = original(loader)
                probes._pass_started(loader, iterator)
                return iterator

            return __iter__

        def make_next(original):
            def __next__(iterator):
                current = getattr(iterator, "_td_pass", None)
                if current is not None and not current.exhausted:
                    if current.frame is None:
                        current.frame = sys._getframe(1)
                        current.line = probes.where(2)
                    if probes._ends_here(current):
                        current.cut = True
                        probes._pass_ended(current)
                        raise StopIteration
                try:
                    batch = original(iterator)
                except StopIteration:
                    if current is not None and not current.exhausted:
                        current.exhausted = True
                        probes._pass_ended(current)
                    raise
                if current is not None:
                    current.drawn += 1
                    probes._active = current
                return batch

            return __next__

        self.patches.wrap(DataLoader, "__iter__", make_iter)
        self.patches.wrap(dataloader_module._BaseDataLoaderIter, "__next__", make_next)
        self.patches.wrap(DataLoader, "__init__", _recording_init(self))
        self.patches.wrap(torch.optim.Optimizer, "__init__", _recording_init(self, caller_of_return=True))
        try:
            from torchvision.datasets.vision import VisionDataset
        except ImportError:
            return
        self.patches.wrap(VisionDataset, "__init__", _recording_init(self))

    def _ends_here(self, current: Pass) -> bool:
        """Past the budget: the training pass that was open stops at its next batch, an evaluation pass after
        max_eval_batches; the training that follows runs until _budget_stop ends the run."""
        if not self.winding_down or current.training:
            return current.cut
        return current.cut or current.forwards >= self.max_eval_batches

    def _pass_started(self, loader, iterator) -> None:
        for old in [p for p in self.passes if p.loader() is loader]:
            self._pass_ended(old)  # a new pass over the same loader: the old one was left
        try:
            expected = len(loader)
        except Exception:  # noqa: BLE001 (an iterable dataset has no length)
            expected = None
        current = Pass(weakref.ref(loader), expected)
        try:
            iterator._td_pass = current
        except AttributeError:
            return
        self.passes.append(current)

    def _pass_ended(self, current: Pass) -> None:
        if current in self.passes:
            self.passes.remove(current)
        if self._active is current:
            self._active = None
        try:
            if current.training:
                self._judge_training_pass(current)
            elif current.forwards and (current.exhausted or current.cut):
                # One that was left before its end is a look at a batch (`model(next(iter(loader))[0])`, a shape
                # check), not an evaluation.
                self._judge_evaluation_pass(current)
        finally:
            current.frame = None

    def _judge_training_pass(self, current: Pass) -> None:
        if not current.exhausted and not current.cut and current.expected and current.drawn < current.expected:
            self.report("epoch_ended_early", current.line, f"{current.drawn}/{current.expected}")
        kept = _graph_holder(current.frame, self._step_graph)
        if kept:
            self.report("graph_kept_across_steps", current.line, kept)

    def _judge_evaluation_pass(self, current: Pass) -> None:
        self.evaluation_passes += 1
        if current.train_mode_at is not None:
            self.report("train_mode_in_evaluation", current.train_mode_at[:2], current.train_mode_at[2])
        if current.grad_on_at is not None and any(p.ref() is not None and p.ref().requires_grad
                                                  for p in self._params.values()):
            self.report("grad_enabled_in_evaluation", current.grad_on_at)
            kept = _graph_holder(current.frame, current.forward_graph)
            if kept:
                self.report("graph_kept_after_evaluation", current.line, kept)
        loader = current.loader()
        dataset = _attribute(loader, "dataset") if loader is not None else None
        if dataset is not None:
            seen = _samples(dataset)
            shared = max((_overlap(seen, trained) for trained in self._training_data), default=0)
            self._evaluations.append((shared, current.line))

    # -- losses -----------------------------------------------------------------------------------------------
    def _wrap_losses(self) -> None:
        functional = torch.nn.functional
        for kind in ("cross_entropy", "nll_loss"):
            self.patches.wrap(functional, kind, lambda original, kind=kind: self._watched_loss(original, kind))
        for owner, name in ((functional, "softmax"), (torch, "softmax"), (torch.Tensor, "softmax"),
                            (torch, "sigmoid"), (torch.Tensor, "sigmoid")):
            self.patches.wrap(owner, name, self._tagged)

    def _watched_loss(self, original, kind: str):
        def loss(input, target, *args, **kwargs):
            if self._loss_checks < LOSS_CHECKS and isinstance(input, torch.Tensor) and input.requires_grad \
                    and torch.is_grad_enabled():
                self._loss_checks += 1
                made_by = last_operation(input)
                # A ReLU as the last layer: logits that can never go below 0 (some classes' scores stuck at 0).
                clipped = kind == "cross_entropy" and made_by == "ReLU" and input.dim() == 2
                if clipped or squashing_problem(input[:64], kind) is not None:
                    finding = "probabilities_to_nll_loss" if kind == "nll_loss" else "probabilities_to_cross_entropy"
                    self.report(finding, getattr(input, "_td_at", None) or self.where(2), made_by or "?")
            return original(input, target, *args, **kwargs)

        return loss

    def _tagged(self, original):
        probes = self

        def squash(*args, **kwargs):
            result = original(*args, **kwargs)
            if torch.is_grad_enabled() and isinstance(result, torch.Tensor) and result.requires_grad:
                try:
                    result._td_at = probes.where(2)
                except (AttributeError, RuntimeError):
                    pass
            return result

        return squash

    # -- schedulers -------------------------------------------------------------------------------------------
    def _wrap_schedulers(self) -> None:
        from torch.optim import lr_scheduler

        probes = self

        def make_init(original):
            def __init__(scheduler, *args, **kwargs):
                probes._building_scheduler += 1  # the constructor takes one step of its own
                try:
                    original(scheduler, *args, **kwargs)
                finally:
                    probes._building_scheduler -= 1
                probes._schedulers[scheduler] = type(scheduler).__name__ in EPOCH_SCHEDULERS

            return __init__

        def make_step(original):
            def step(scheduler, *args, **kwargs):
                if not probes._building_scheduler and probes._schedulers.get(scheduler):
                    probes._scheduler_stepped(scheduler)
                return original(scheduler, *args, **kwargs)

            return step

        for cls in {lr_scheduler.LRScheduler, getattr(lr_scheduler, "ReduceLROnPlateau", lr_scheduler.LRScheduler)}:
            self.patches.wrap(cls, "__init__", make_init)
            self.patches.wrap(cls, "step", make_step)

    def _scheduler_stepped(self, scheduler) -> None:
        current = next((p for p in reversed(self.passes) if p.training), None)
        if current is None:
            return
        key = id(scheduler)
        current.scheduler_steps[key] = current.scheduler_steps.get(key, 0) + 1
        if current.scheduler_steps[key] == 2:
            self.report("scheduler_stepped_per_batch", self.where(3), type(scheduler).__name__)

    # -- checkpoints ------------------------------------------------------------------------------------------
    def _wrap_checkpoints(self) -> None:
        probes = self

        def make_save(original):
            def save(obj, *args, **kwargs):
                probes._saves.append({"at": probes.where(2), "optimizer": _holds_optimizer_state(obj),
                                      "steps": probes.steps})
                return original(obj, *args, **kwargs)

            return save

        def make_model_load(original):
            def load_state_dict(module, *args, **kwargs):
                if probes.steps:
                    probes._model_loaded_at = probes.steps
                return original(module, *args, **kwargs)

            return load_state_dict

        def make_optimizer_load(original):
            def load_state_dict(optimizer, *args, **kwargs):
                probes._optimizer_state_loaded = True
                return original(optimizer, *args, **kwargs)

            return load_state_dict

        self.patches.wrap(torch, "save", make_save)
        self.patches.wrap(torch.nn.Module, "load_state_dict", make_model_load)
        self.patches.wrap(torch.optim.Optimizer, "load_state_dict", make_optimizer_load)

    def _wrap_grad_switches(self) -> None:
        probes = self
        original = torch.set_grad_enabled

        class set_grad_enabled(original):  # a subclass: `with`, decorator and isinstance keep working
            def __init__(self, mode, *args, **kwargs):
                if mode:
                    probes._grad_off_at = None
                elif torch.is_grad_enabled():  # where it went off (no_grad() inside it changes nothing)
                    probes._grad_off_at = probes.where(2)
                super().__init__(mode, *args, **kwargs)

        self.patches.wrap(torch, "set_grad_enabled", lambda _: set_grad_enabled)

        def make_zero_grad(original_zero):
            def zero_grad(owner, *args, **kwargs):
                probes._last_zero_grad = (probes.backwards, probes.where(2))
                return original_zero(owner, *args, **kwargs)

            return zero_grad

        self.patches.wrap(torch.optim.Optimizer, "zero_grad", make_zero_grad)
        self.patches.wrap(torch.nn.Module, "zero_grad", make_zero_grad)

    # -- the end ----------------------------------------------------------------------------------------------
    def finish(self, stopped: bool) -> None:
        """Judge what needs the whole run. `stopped`: the tracer ended it (budget), so open passes are not judged
        as ended early."""
        for open_pass in list(reversed(self.passes)):
            if stopped and open_pass.training:
                open_pass.cut = True  # the run ended inside it: it did not end early by itself
            self._pass_ended(open_pass)
        self.handmade.end()
        orphans = [s.name for key, s in self._params.items() if s.ever_grad and key not in self._owned_ever]
        if orphans and self._owned_ever:
            self.report("params_not_in_optimizer", self._last_optimizer_at or (None, None),
                        ", ".join(orphans[:4]))
        # Evaluating on training samples is fine beside an evaluation on held-out ones; alone, it is the bug.
        if self._evaluations and all(shared for shared, _ in self._evaluations):
            self.report("training_samples_in_evaluation", self._evaluations[0][1],
                        "all" if self._evaluations[0][0] >= 1_000_000_000 else self._evaluations[0][0])
        if self._model_loaded_at is not None and self.steps > self._model_loaded_at \
                and not self._optimizer_state_loaded and not any(s["optimizer"] for s in self._saves):
            saved = [s for s in self._saves if s["steps"] <= self._model_loaded_at]
            self.report("optimizer_state_not_saved", saved[-1]["at"] if saved else (None, None))
        if len(self.losses) >= FLAT_LOSSES and max(self.losses) - min(self.losses) <= 1e-7 * max(
                1.0, abs(self.losses[0])):
            self.report("loss_not_moving", self._first_backward_at, f"{self.losses[0]:.6g}, {len(self.losses)} steps")

    def summary(self) -> dict:
        return {"steps": self.steps, "backwards": self.backwards, "training_passes": self.training_passes,
                "evaluation_passes": self.evaluation_passes, "budget_reached": self.budget_reached}


def _recording_init(probes, caller_of_return: bool = False):
    """An __init__ that remembers where the object was built (the user's line). With caller_of_return, a line
    `return Optimizer(...)` (a helper that builds it) gives way to its caller's line, where the choice was made."""
    def make(original):
        def __init__(obj, *args, **kwargs):
            original(obj, *args, **kwargs)
            if getattr(obj, "_td_at", None) is not None:
                return  # a subclass's __init__ calling ours: the outermost one has recorded it
            at = probes.where(2)
            if caller_of_return:
                at = _caller_if_return(at, probes)
            try:
                obj._td_at = at
            except AttributeError:
                pass

        return __init__

    return make


def _caller_if_return(at, probes):
    import linecache

    file, line = at
    if file is None or not linecache.getline(file, line).strip().startswith("return "):
        return at
    frame = sys._getframe(0)
    while frame is not None and not (frame.f_code.co_filename == file and frame.f_lineno == line):
        frame = frame.f_back
    caller = frame.f_back if frame is not None else None
    if caller is not None and caller.f_code.co_filename.startswith(probes.user_dirs):
        return caller.f_code.co_filename, caller.f_lineno
    return at


def _created_at(dataset, loader):
    return _attribute(dataset, "_td_at") or _attribute(loader, "_td_at")


def _samples(dataset) -> dict:
    """Which samples a dataset reads: {source key: set of indices, or None for all of them}, through Subset,
    random_split and ConcatDataset. Datasets read from disk are keyed by class, root and split; others by id."""
    found: dict = {}
    todo = [(dataset, None)]
    while todo and len(found) < 64:
        current, indices = todo.pop()
        inner = _attribute(current, "datasets")
        if isinstance(inner, (list, tuple)):
            todo += [(part, None) for part in inner]
            continue
        wrapped, picked = _attribute(current, "dataset"), _attribute(current, "indices")
        if wrapped is not None and picked is not None:
            try:
                chosen = {int(i) for i in list(picked)[:1_000_000]}
            except (TypeError, ValueError):
                chosen = None
            todo.append((wrapped, chosen if indices is None else {i for i in chosen or ()}))
            continue
        root = _attribute(current, "root")
        key = (type(current).__name__, str(root), _attribute(current, "train"), _attribute(current, "split")) \
            if isinstance(root, (str, bytes)) or hasattr(root, "__fspath__") else id(current)
        previous = found.get(key, set())
        found[key] = None if indices is None or previous is None else previous | indices
    return found


def _overlap(seen: dict, trained: dict) -> int:
    """How many samples two sample maps share (a large number stands for "all of them")."""
    shared = 0
    for key, indices in seen.items():
        if key not in trained:
            continue
        other = trained[key]
        if indices is None or other is None:
            return 1_000_000_000 if indices is None and other is None else len(indices if other is None else other)
        shared += len(indices & other)
    return shared


def _holds_optimizer_state(obj, depth: int = 0) -> bool:
    if isinstance(obj, torch.optim.Optimizer):
        return True
    if isinstance(obj, dict):
        if "param_groups" in obj and "state" in obj:
            return True
        return depth < 2 and any(_holds_optimizer_state(v, depth + 1) for v in list(obj.values())[:100])
    return False


def _graph_holder(frame, step_graph: int) -> str:
    """The name of a local of the loop's frame that holds autograd graphs of several steps (a tensor whose graph
    is larger than one step's, or a list of tensors with graphs); with step_graph 0, any graph at all."""
    if frame is None:
        return ""
    for name, value in list(frame.f_locals.items()):
        if isinstance(value, torch.Tensor) and value.grad_fn is not None:
            if not step_graph:
                return name
            limit = int(step_graph * SPANS_STEPS) + 1
            if graph_size(value, cap=limit) >= limit:
                return name
        if isinstance(value, list) and sum(1 for item in value[:10_000]
                                           if isinstance(item, torch.Tensor) and item.grad_fn is not None) > 1:
            return name
    return ""


def _all_empty(params: list) -> bool:
    """Whether no parameter has a non-zero gradient, looking at the smallest first: one small non-zero gradient
    (a bias, usually) settles it without reading the large ones."""
    for param in sorted((p for p in params if p is not None and p.grad is not None), key=lambda p: p.numel()):
        if bool(param.grad.any()):
            return False
    return True


def _seeded(model, batch, seed: int):
    torch.manual_seed(seed)
    return model(batch)


def _first_tensor(output):
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    return None


def _error_line(error: BaseException, user_dirs: tuple) -> tuple | None:
    import traceback

    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(user_dirs)]
    return (frames[-1].filename, frames[-1].lineno) if frames else None
