"""Probes that run after training, on the trained model and on the script's own functions."""
from __future__ import annotations

import os

import torch
import torch.nn.functional as F

from checker.child.probes import Finding

ODD_BATCH = 7
RESUME_STEPS_BEFORE, RESUME_STEPS_AFTER, RESUME_BATCH = 3, 3, 32


def sample_batch(data_root: str, count: int, train: bool = False):
    """`count` normalised MNIST images and labels from the sandbox's read-only data, without torchvision transforms."""
    from torchvision import datasets

    raw = datasets.MNIST(data_root, train=train, download=False)
    images = raw.data[:count].float().div(255).sub(0.1307).div(0.3081).unsqueeze(1)
    return images, raw.targets[:count]


def batch_independence(model, data_root: str, device) -> Finding | None:
    """An odd batch works and gives the same outputs as one sample at a time."""
    images, _ = sample_batch(data_root, ODD_BATCH)
    images = images.to(device)
    model.eval()
    try:
        with torch.no_grad():
            batch_out = model(images)
            single_out = torch.cat([model(images[i : i + 1]) for i in range(ODD_BATCH)])
    except Exception as error:  # the student's forward failing on another batch size is the finding itself
        return Finding("batch_independent", "forward_fails_on_other_batch_size", None, _one_line(error))
    expected = (ODD_BATCH, 10)
    if tuple(batch_out.shape) != expected or tuple(single_out.shape) != expected:
        shapes = f"{tuple(batch_out.shape)} / {tuple(single_out.reshape(-1).shape)}"
        return Finding("batch_independent", "forward_shape_depends_on_batch", None, shapes)
    if not torch.allclose(batch_out, single_out, atol=1e-4, rtol=1e-4):
        gap = (batch_out - single_out).abs().max().item()
        return Finding("batch_independent", "forward_mixes_samples", None, f"{gap:.3g}")
    return None


def resume_equivalence(module, names: dict, data_root: str, folder: str, device) -> Finding | None:
    """K+M steps straight through must equal K steps, save, fresh objects from the script's resume code, M steps."""
    model_class = getattr(module, names["model_class"])
    make_optimizer = getattr(module, names["make_optimizer"])
    images, labels = sample_batch(data_root, (RESUME_STEPS_BEFORE + RESUME_STEPS_AFTER) * RESUME_BATCH, train=True)
    batches = list(zip(images.to(device).split(RESUME_BATCH), labels.to(device).split(RESUME_BATCH), strict=True))

    torch.manual_seed(0)
    straight = model_class().to(device)
    _steps(straight, make_optimizer(straight), batches, 0, len(batches))

    torch.manual_seed(0)
    first = model_class().to(device)
    first_optimizer = make_optimizer(first)
    _steps(first, first_optimizer, batches, 0, RESUME_STEPS_BEFORE)
    os.makedirs(folder, exist_ok=True)
    getattr(module, names["save_checkpoint"])(first, first_optimizer, folder)
    resumed, resumed_optimizer = getattr(module, names["resume"])(folder)
    _steps(resumed, resumed_optimizer, batches, RESUME_STEPS_BEFORE, len(batches))

    expected, actual = straight.state_dict(), resumed.state_dict()
    differing = [k for k in expected if k not in actual or not torch.allclose(expected[k], actual[k].to(device), atol=1e-6)]
    if differing:
        return Finding("resume_equivalent", "resume_not_equivalent", None, ", ".join(differing[:4]))
    return None


def _steps(model, optimizer, batches, start: int, stop: int) -> None:
    model.train()
    for i in range(start, stop):
        torch.manual_seed(1000 + i)  # the same dropout masks on both paths, whatever the resume code consumed
        data, target = batches[i]
        optimizer.zero_grad()
        F.cross_entropy(model(data), target).backward()
        optimizer.step()


def _one_line(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip().splitlines()
    return text[0][:300] if text else type(error).__name__
