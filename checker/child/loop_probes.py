"""Probes on the training loop's parts: the data loaders it reads, the loss it is given, the scheduler it steps.

Each watcher patches a torch attribute for the length of the run (see patches.py) and reports its first finding
through the ProbeSet. Epochs are counted as passes over a data loader started inside the training entry point.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader, SequentialSampler
from torch.utils.data import dataloader as dataloader_module

from checker.child.patches import Watcher

DATA_PROBES = ("full_epochs", "train_split", "train_shuffled", "scheduler_per_epoch")
QUICK_EVAL_BATCHES = 1  # at the quick budget, batches an evaluation pass reads: every evaluation probe fires on
#                        the first one, and the accuracy is not read there (checker.selftest)


@dataclass
class Epoch:
    expected: int | None  # len(loader), when the loader knows it
    limit: int | None = None  # the quick budget's cap on this pass (None: every batch)
    drawn: int = 0
    cut: bool = False  # ended by the selftest's quick budget (max_train_batches): never judged as ended early


class QuickBudgetReached(StopIteration):
    """A pass's loader stops here: `checker selftest --quick` trains at most max_train_batches batches a training
    pass and evaluates QUICK_EVAL_BATCHES a pass in test(). The pass then ends as if the data ran out, so the
    evaluation and every later epoch still run."""


class DataWatch(Watcher):
    """Which loaders train() and test() read, whether each training pass goes to the end, and how many passes."""

    def __init__(self, probes):
        self.probes = probes
        self.max_batches = probes.max_train_batches  # None: every batch
        self.epochs: list[Epoch] = []
        self._open: list[Epoch] = []  # passes started in the current train() call

    def install(self, patches) -> None:
        watch = self

        def make_iter(original):
            def __iter__(loader):
                iterator = original(loader)
                epoch = watch.started(loader)
                if epoch is not None:
                    try:
                        iterator._torchdrill_epoch = epoch
                    except AttributeError:
                        pass
                return iterator

            return __iter__

        def make_next(original):
            def __next__(iterator):
                epoch = getattr(iterator, "_torchdrill_epoch", None)
                if epoch is not None and epoch.limit is not None and epoch.drawn >= epoch.limit:
                    epoch.cut = True
                    raise QuickBudgetReached
                batch = original(iterator)
                if epoch is not None:
                    epoch.drawn += 1
                return batch

            return __next__

        patches.wrap(DataLoader, "__iter__", make_iter)
        patches.wrap(dataloader_module._BaseDataLoaderIter, "__next__", make_next)

    def started(self, loader) -> Epoch | None:
        probes = self.probes
        splits = _splits(loader.dataset) if probes.active("train_split") else {}
        if probes.test_depth:
            if True in splits:
                probes.report("train_split", "evaluating_on_train_split")
            return None if self.max_batches is None else Epoch(None, limit=QUICK_EVAL_BATCHES)
        if not probes.train_depth:
            return None
        if False in splits:
            only_test = set(splits) == {False} and splits[False] == type(loader.dataset).__name__
            probes.report("train_split", "training_on_test_split" if only_test else "test_images_in_training",
                          splits[False])
        if _is_sequential(loader):
            probes.report("train_shuffled", "train_loader_not_shuffled")
        try:
            expected = len(loader)
        except TypeError:
            expected = None
        epoch = Epoch(expected, limit=self.max_batches)
        self.epochs.append(epoch)
        self._open.append(epoch)
        return epoch

    def on_enter(self, scope: str) -> None:
        if scope == "train":
            self._open = []

    def on_leave(self, scope: str, finished: bool) -> None:
        if scope != "train" or not finished:
            return
        for epoch in self._open:
            if epoch.expected is not None and epoch.drawn < epoch.expected and not epoch.cut:
                self.probes.report("full_epochs", "epoch_ended_early", f"{epoch.drawn}/{epoch.expected}", line=None)
                break
        self._open = []


def _splits(dataset) -> dict[bool, str]:
    """The splits (train=True/False) of every dataset inside `dataset`, whatever wraps it: Subset and random_split
    (.dataset), ConcatDataset (.datasets), and custom wrappers that keep either; each with the path to it."""
    found: dict[bool, str] = {}
    todo, seen = [(dataset, type(dataset).__name__)], set()
    while todo and len(seen) < 256:
        current, path = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        split = _attribute(current, "train")
        if isinstance(split, bool):
            found.setdefault(split, path)
            continue
        inner = _attribute(current, "datasets")
        for part in inner if isinstance(inner, (list, tuple)) else ():
            todo.append((part, f"{path} > {type(part).__name__}"))
        if (wrapped := _attribute(current, "dataset")) is not None:
            todo.append((wrapped, f"{path} > {type(wrapped).__name__}"))
    return found


def _attribute(obj, name: str):
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 (a custom dataset's __getattr__ is the script's code)
        return None


def _is_sequential(loader) -> bool:
    sampler = loader.sampler
    batch_sampler = getattr(loader, "batch_sampler", None)
    if batch_sampler is not None and hasattr(batch_sampler, "sampler"):
        sampler = batch_sampler.sampler
    return isinstance(sampler, SequentialSampler)


class LossWatch(Watcher):
    """cross_entropy must get logits (or log-probabilities), not probabilities; nll_loss, log-probabilities."""

    def __init__(self, probes):
        self.probes = probes

    def install(self, patches) -> None:
        functional = torch.nn.functional
        patches.wrap(functional, "cross_entropy", lambda original: self._watched(original, "cross_entropy"))
        patches.wrap(functional, "nll_loss", lambda original: self._watched(original, "nll_loss"))

    def _watched(self, original, kind: str):
        def loss(input, target, *args, **kwargs):
            if self.probes.train_depth and self.probes.active("loss_on_logits"):
                self._check(input, kind)
            return original(input, target, *args, **kwargs)

        return loss

    def _check(self, scores, kind: str) -> None:
        problem = squashing_problem(scores, kind)
        if problem is not None:
            self.probes.report("loss_on_logits", *problem)


def squashing_problem(scores, kind: str, tolerance: float = 1e-3) -> tuple[str, str] | None:
    """(code, detail) when a loss is handed the wrong kind of scores: probabilities or other squashed values to
    cross_entropy (which wants logits), anything but log-probabilities to nll_loss. None when they look right."""
    if not isinstance(scores, torch.Tensor) or scores.dim() != 2 or not scores.is_floating_point():
        return None
    with torch.no_grad():
        values = scores.detach()
        ones = torch.ones(len(values), device=values.device)
        probabilities = bool(((values >= 0) & (values <= 1)).all()) and bool(
            torch.allclose(values.sum(dim=1), ones, atol=tolerance))
        log_probabilities = bool(torch.allclose(values.logsumexp(dim=1), torch.zeros_like(ones), atol=tolerance))
        squashed = bool(((values >= 0) & (values <= 1)).all())  # softmax, sigmoid
        log_squashed = bool((values <= 0).all()) and not log_probabilities  # log of sigmoid
    if kind == "cross_entropy" and probabilities:
        return "cross_entropy_on_probabilities", ""
    if kind == "cross_entropy" and (squashed or log_squashed):
        return "cross_entropy_on_squashed", ("all between 0 and 1" if squashed
                                             else "all at most 0, but not log-probabilities")
    if kind == "nll_loss" and not log_probabilities:
        return "nll_loss_not_on_log_probabilities", ""
    return None


@dataclass
class _SchedulerRecord:
    ref: "weakref.ref"
    optimizer_id: int
    steps: int = 0
    line: int | None = None  # where it was first stepped (or built)


class SchedulerWatch(Watcher):
    """A learning-rate scheduler steps once per epoch, after its optimizer has stepped."""

    def __init__(self, probes, data: DataWatch):
        self.probes, self.data = probes, data
        self.records: list[_SchedulerRecord] = []
        self._building = 0

    def install(self, patches) -> None:
        from torch.optim import lr_scheduler

        patches.wrap(lr_scheduler.LRScheduler, "__init__", self._watched_init)
        patches.wrap(lr_scheduler.LRScheduler, "step", self._watched_step)

    def _watched_init(self, original):
        def __init__(scheduler, optimizer, *args, **kwargs):
            self._building += 1  # the constructor takes one step of its own
            try:
                original(scheduler, optimizer, *args, **kwargs)
            finally:
                self._building -= 1
            self.records.append(_SchedulerRecord(weakref.ref(scheduler), id(optimizer), 0, self.probes.student_line()))

        return __init__

    def _watched_step(self, original):
        def step(scheduler, *args, **kwargs):
            if not self._building:
                self._stepped(scheduler)
            return original(scheduler, *args, **kwargs)

        return step

    def _stepped(self, scheduler) -> None:
        record = next((r for r in self.records if r.ref() is scheduler), None)
        if record is None:
            return
        if record.steps == 0:
            record.line = self.probes.student_line() or record.line
            if record.optimizer_id not in self.probes.stepped_optimizers:
                self.probes.report("scheduler_per_epoch", "scheduler_before_optimizer", line=record.line)
        record.steps += 1

    def after_main(self) -> None:
        epochs = len(self.data.epochs)
        for record in self.records:
            if epochs and record.steps != epochs:
                detail = f"{record.steps} : {epochs}"
                self.probes.report("scheduler_per_epoch", "scheduler_steps_per_epoch", detail, line=record.line)
                return


class CheckpointWatch(Watcher):
    """The checkpoint main() resumes from must hold all the training done before it is loaded: one saved before
    training (or before its last epoch) passes a resume test that calls save and resume itself, yet loses work."""

    def __init__(self, probes):
        self.probes = probes
        self.saved_at: int | None = None  # optimizer steps taken when the last checkpoint was saved

    def install(self, patches) -> None:
        patches.wrap(torch, "save", self._watched_save)
        patches.wrap(torch, "load", self._watched_load)

    def _steps(self) -> int:
        return self.probes.optimizer_steps + self.probes.steps_outside_train

    def _watched_save(self, original):
        def save(obj, *args, **kwargs):
            result = original(obj, *args, **kwargs)
            self.saved_at = self._steps()
            return result

        return save

    def _watched_load(self, original):
        def load(*args, **kwargs):
            steps = self._steps()
            if self.saved_at is not None and self.saved_at < steps:
                self.probes.report("resume_equivalent", "checkpoint_older_than_training", f"{self.saved_at}/{steps}")
            return original(*args, **kwargs)

        return load


def watchers_for(probes) -> list:
    watchers = []
    data = None
    if any(p in probes.enabled for p in DATA_PROBES) or probes.max_train_batches is not None:
        data = DataWatch(probes)
        watchers.append(data)
    if "loss_on_logits" in probes.enabled:
        watchers.append(LossWatch(probes))
    if "scheduler_per_epoch" in probes.enabled:
        watchers.append(SchedulerWatch(probes, data))
    if "resume_equivalent" in probes.enabled:
        watchers.append(CheckpointWatch(probes))
    return watchers
