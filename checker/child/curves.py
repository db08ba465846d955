"""The training loss at every step and the predictions on the held-out images after every epoch, recorded in the
child for the pictures. Display only: the child is the student's process, so nothing recorded here is evidence
for a verdict (the parent checks the series' shape, and keeps them apart from the checks).

Recording costs one list append per backward (the loss stays a tensor until the run ends: no device sync per
step) and one forward pass over the held-out images per epoch, outside train() so no probe sees it. Accuracy is
the parent's to measure: each epoch sends the model's predicted digits, which the parent scores (the child never
has the labels)."""
from __future__ import annotations

import functools
import math
import time

import torch

from checker.child.patches import Patches
from checker.child.predict import digits

MAX_POINTS = 300  # the loss curve is averaged down to at most this many points
MAX_LOSSES = 1_000_000  # losses kept; a longer run keeps its first million
_nn_module = torch.nn.Module  # taken before the script runs: a script that replaces it cannot hide its model


class CurveRecorder:
    """Without held-out images (checker trace), the loss only."""

    def __init__(self, images, device: str):
        self.images, self.device = images, torch.device(device)
        self.losses: list = []
        self.epoch_steps: list[int] = []  # losses recorded by the end of each train() call
        self.predictions: list = []  # per epoch: the predicted digits, or None where the model could not say
        self.patches = Patches()
        self.eval_s = 0.0  # time spent predicting, for bench/bench_curves.py

    def install(self, module, train_name: str | None) -> None:
        """Watch every backward of a scalar (the loss), and every return from the training entry point."""
        self.patches.wrap(torch.Tensor, "backward", self._watched_backward)
        train = getattr(module, train_name, None) if module is not None and train_name else None
        if callable(train):
            self.patches.wrap(module, train_name, self._watched_train)

    def remove(self) -> None:
        self.patches.undo()

    def _watched_backward(self, original):
        @functools.wraps(original)
        def backward(tensor, *args, **kwargs):
            try:
                if len(self.losses) < MAX_LOSSES and isinstance(tensor, torch.Tensor) and tensor.numel() == 1:
                    self.losses.append(tensor.detach().reshape(()))
            except Exception:  # noqa: BLE001 (a loss we cannot keep costs a point of the curve, never the step)
                pass
            return original(tensor, *args, **kwargs)

        return backward

    def _watched_train(self, original):
        @functools.wraps(original)
        def train(*args, **kwargs):
            result = original(*args, **kwargs)
            self.epoch_steps.append(len(self.losses))
            model = next((a for a in (*args, *kwargs.values()) if isinstance(a, _nn_module)), None)
            self.predictions.append(self._predict(model) if model is not None and self.images is not None else None)
            return result

        return train

    def _predict(self, model) -> str | None:
        """The model's digit for each held-out image (checker.child.predict), or None if it cannot give them."""
        started = time.perf_counter()
        try:
            return digits(model, self.images)
        except Exception:  # noqa: BLE001 (a model that cannot be evaluated this way has no accuracy curve)
            return None
        finally:
            self.eval_s += time.perf_counter() - started

    def series(self) -> dict:
        """The curves as plain lists: the loss averaged down to MAX_POINTS points [step, value] (None for a NaN or
        an infinity), the steps at the end of each epoch, and the predictions per epoch [epoch, digits]."""
        try:
            values = [float(v) for v in torch.stack(self.losses).cpu().double()] if self.losses else []
        except Exception:  # noqa: BLE001 (losses on several devices, a broken torch.stack: no curve, still a report)
            values = []
        return {"loss": downsample(values, MAX_POINTS), "epoch_steps": list(self.epoch_steps),
                "predictions": [[epoch, value] for epoch, value in enumerate(self.predictions, 1)],
                "eval_s": round(self.eval_s, 4)}


def downsample(values: list[float], points: int) -> list[list]:
    """[step, mean of the bucket ending at that step] for at most `points` buckets; a bucket with a NaN or an
    infinity in it is None, so a loss that blew up shows where."""
    if not values:
        return []
    size = max(1, math.ceil(len(values) / points))
    out = []
    for start in range(0, len(values), size):
        bucket = values[start:start + size]
        finite = all(math.isfinite(v) for v in bucket)
        out.append([start + len(bucket), sum(bucket) / len(bucket) if finite else None])
    return out
