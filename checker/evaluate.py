"""The parent's own evidence of accuracy, measured on the learner's own model without trusting it.

The child gets the held-out images (2,000 MNIST test images that are in no split a script can read) without their
labels, runs the model the script returned, and sends one predicted digit per image. The parent keeps the labels,
checks the predictions' count, type and range, and scores them. Nothing the script printed takes part, and any
architecture works: the parent never loads the model.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import json
from pathlib import Path

from reference import data, idx

IMAGES, LABELS = "heldout-images-idx3-ubyte.gz", "heldout-labels-idx1-ubyte.gz"
DIGITS = frozenset("0123456789")


def images_file() -> Path:
    """The held-out images (gzipped IDX), checked against their recorded sha256: a copy of it goes to each run."""
    _verified(IMAGES)
    return data.heldout_dir() / IMAGES


@functools.lru_cache(maxsize=1)
def labels() -> bytes:
    """The held-out labels, one byte (0-9) per image, checked against their recorded sha256."""
    return idx.decode_idx(gzip.decompress(_verified(LABELS))).tobytes()


def _verified(name: str) -> bytes:
    folder = data.heldout_dir()
    raw = (folder / name).read_bytes()
    expected = json.loads((folder / "manifest.json").read_text())["files"][name]
    if hashlib.sha256(raw).hexdigest() != expected:
        raise RuntimeError(f"{folder / name} does not match its recorded sha256; reinstall torchdrill")
    return raw


def problem(digits) -> str:
    """Why `digits` (what the child sent) is not one predicted digit per held-out image, or ''."""
    if not isinstance(digits, str):
        return f"predictions of type {type(digits).__name__}, not a string of digits"
    if len(digits) != len(labels()):
        return f"{len(digits):,} predictions for {len(labels()):,} images"
    if not set(digits) <= DIGITS:
        return "a prediction that is not a digit from 0 to 9"
    return ""


def score(digits: str) -> float:
    """The share of held-out images whose label is the predicted digit (`digits` must have no problem())."""
    return sum(ord(d) - 48 == label for d, label in zip(digits, labels(), strict=True)) / len(labels())
