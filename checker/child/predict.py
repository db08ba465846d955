"""The learner's own model on the held-out images: one predicted digit per image, sent to the parent, which keeps
the labels (checker.evaluate). The images are normalised as the reference pipeline does (reference.data)."""
from __future__ import annotations

import gzip

import torch

from reference import idx
from reference.data import MNIST_MEAN, MNIST_STD

BATCH = 500
# Taken before the script runs: a script that patches them changes only its own model's answers, which the parent
# scores against labels the script never had, so no patch can raise its accuracy; these keep honest answers honest.
_argmax, _cat, _no_grad = torch.Tensor.argmax, torch.cat, torch.no_grad


def load_images(path: str) -> torch.Tensor:
    with open(path, "rb") as handle:
        pixels = idx.decode_idx(gzip.decompress(handle.read()))
    return torch.from_numpy(pixels.copy()).float().div(255).sub(MNIST_MEAN).div(MNIST_STD).unsqueeze(1)


def digits(model, images: torch.Tensor) -> str:
    """The model's predicted digit for each image, in eval mode and without gradients; every module's mode is put
    back afterwards, so that whatever runs next sees the model as it was."""
    modes = [(module, module.training) for module in model.modules()]
    device = next(model.parameters(), torch.empty(0)).device
    model.eval()
    try:
        with _no_grad():
            found = [_predicted(model(images[start:start + BATCH].to(device)), len(images[start:start + BATCH]))
                     for start in range(0, len(images), BATCH)]
    finally:
        for module, training in modes:
            module.training = training
    return "".join(str(int(d)) for d in _cat(found).tolist())


def _predicted(scores, count: int) -> torch.Tensor:
    if not isinstance(scores, torch.Tensor) or tuple(scores.shape) != (count, 10):
        shape = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ValueError(f"for {count} images the model gave {shape}, not {count} rows of 10 scores")
    return _argmax(scores, dim=1).cpu()
