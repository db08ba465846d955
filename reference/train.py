"""The reference training and evaluation loops, in the style of pytorch/examples' mnist/main.py."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch.optim.lr_scheduler import StepLR

from reference.config import RunConfig
from reference.data import mnist_datasets
from reference.models import build_model

# Called after every training batch with (epoch, batch_index, batches_in_epoch, loss).
ProgressCallback = Callable[[int, int, int, float], None]


@dataclass(frozen=True)
class EvalResult:
    loss: float  # mean cross-entropy over the test set
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass
class EpochResult:
    epoch: int
    train_loss: float
    test: EvalResult
    seconds: float


@dataclass
class RunResult:
    config: RunConfig
    model: torch.nn.Module
    epochs: list[EpochResult] = field(default_factory=list)
    data_seconds: float = 0.0

    @property
    def final(self) -> EvalResult:
        return self.epochs[-1].test

    @property
    def train_seconds(self) -> float:
        return sum(e.seconds for e in self.epochs)


def seed_everything(seed: int) -> torch.Generator:
    """One seed call for the whole run; returns the generator that orders the training batches."""
    random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    """cpu, cuda, or auto (cuda when there is one); a clear ValueError when cuda is asked for and absent."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but this machine has no CUDA GPU; use --device cpu or auto")
    return torch.device(name)


def make_optimizer(cfg: RunConfig, params) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    if cfg.optimizer == "adadelta":
        return torch.optim.Adadelta(params, lr=cfg.lr)
    return torch.optim.Adam(params, lr=cfg.lr)


def train_epoch(model, device, loader, optimizer, epoch, max_batches=None, on_batch=None) -> float:
    """One epoch of zero_grad, forward, loss, backward, step; returns the mean training loss."""
    model.train()
    total_batches = min(len(loader), max_batches or len(loader))
    loss_sum = 0.0
    for batch_idx, (data, target) in enumerate(loader):
        if batch_idx >= total_batches:
            break
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        # cross_entropy on logits; on log-probabilities it equals nll_loss, since log_softmax is idempotent.
        loss = F.cross_entropy(model(data), target)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item()
        if on_batch:
            on_batch(epoch, batch_idx + 1, total_batches, loss.item())
    return loss_sum / max(total_batches, 1)


def evaluate(model, device, loader) -> EvalResult:
    """Test loss and accuracy, in eval mode and without building autograd graphs."""
    model.eval()
    loss_sum, correct, total = 0.0, 0, 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            loss_sum += F.cross_entropy(output, target, reduction="sum").item()
            correct += (output.argmax(dim=1) == target).sum().item()
            total += target.numel()
    return EvalResult(loss=loss_sum / max(total, 1), correct=correct, total=total)


def run(cfg: RunConfig, on_batch: ProgressCallback | None = None) -> RunResult:
    """Train cfg.model for cfg.epochs from cfg.seed and evaluate after every epoch."""
    device = resolve_device(cfg.device)
    generator = seed_everything(cfg.seed)
    start = time.perf_counter()
    train_set, test_set = mnist_datasets(cfg.data, cfg.data_root)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True, generator=generator)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=cfg.test_batch_size)
    result = RunResult(config=cfg, model=build_model(cfg.model).to(device), data_seconds=time.perf_counter() - start)
    optimizer = make_optimizer(cfg, result.model.parameters())
    scheduler = StepLR(optimizer, step_size=1, gamma=cfg.gamma)
    for epoch in range(1, cfg.epochs + 1):
        began = time.perf_counter()
        train_loss = train_epoch(result.model, device, train_loader, optimizer, epoch, cfg.max_batches, on_batch)
        test = evaluate(result.model, device, test_loader)
        scheduler.step()  # once per epoch, as StepLR(gamma=0.7) is meant to be used
        result.epochs.append(EpochResult(epoch, train_loss, test, time.perf_counter() - began))
    return result
