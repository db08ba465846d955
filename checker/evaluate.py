"""The parent's own evidence: load the child's weights safely into the reference architecture and measure accuracy
on the parent's copy of the test data. Nothing the student's script printed or patched takes part."""
from __future__ import annotations

import functools
import gzip
import hashlib

from reference import data, idx


class WeightsError(ValueError):
    """The weights file is missing, unsafe or does not fit the reference architecture."""


@functools.lru_cache(maxsize=2)
def test_tensors(kind: str = "subset", data_root: str | None = None):
    """Normalised test images and labels. For the subset they come straight from the package's gz files,
    checked against the manifest's sha256, so a tampered cache cannot change the evaluation."""
    import torch

    if kind == "subset":
        images, labels = _verified_subset_arrays()
    else:
        from torchvision import datasets

        test = datasets.MNIST(data.mnist_root(kind, data_root), train=False, download=False)
        images, labels = test.data.numpy(), test.targets.numpy()
    x = torch.from_numpy(images.copy()).float().div(255).sub(data.MNIST_MEAN).div(data.MNIST_STD).unsqueeze(1)
    return x, torch.from_numpy(labels.copy()).long()


def _verified_subset_arrays():
    folder, expected = data.embedded_subset_dir(), data.subset_manifest()["files"]
    arrays = []
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        raw = (folder / name).read_bytes()
        if hashlib.sha256(raw).hexdigest() != expected[name]:
            raise RuntimeError(f"{folder / name} does not match its recorded sha256; reinstall torchdrill")
        arrays.append(idx.decode_idx(gzip.decompress(raw)))
    return arrays


def load_weights(path, model_name: str):
    """The reference model with the child's weights, loaded with weights_only=True (no code from the pickle)."""
    import torch

    from reference.models import build_model

    if path is None or not path.is_file():
        raise WeightsError("no weights were saved")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # an unsafe or corrupt pickle: refused, never executed
        raise WeightsError(f"the weights file could not be loaded safely ({type(error).__name__})") from None
    model = build_model(model_name)
    _check_state_dict(state)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise WeightsError(f"the weights do not fit the reference {type(model).__name__}: {first}") from None
    except Exception as error:  # noqa: BLE001 (whatever else the child's tensors make torch raise is their fault)
        raise WeightsError(f"the weights do not fit the reference {type(model).__name__} "
                           f"({type(error).__name__})") from None
    return model.eval()


def _check_state_dict(state) -> None:
    """Names to plain dense tensors, or WeightsError: the child's script chose what its state_dict() returned."""
    import torch

    if not isinstance(state, dict):
        raise WeightsError("the weights file does not hold a state_dict of tensors "
                           f"(it holds a {type(state).__name__})")
    for key, value in state.items():
        if not isinstance(key, str):
            raise WeightsError("the weights file does not hold a state_dict of tensors "
                               f"(a key of type {type(key).__name__} is not a parameter name)")
        if not isinstance(value, torch.Tensor) or value.layout != torch.strided or value.is_meta:
            raise WeightsError("the weights file does not hold a state_dict of tensors "
                               f"({key[:80]!r} is not a plain tensor)")


def accuracy(model, kind: str = "subset", data_root: str | None = None) -> float:
    import torch

    images, labels = test_tensors(kind, data_root)
    correct = 0
    with torch.no_grad():
        for batch, target in zip(images.split(1000), labels.split(1000), strict=True):
            correct += (model(batch).argmax(dim=1) == target).sum().item()
    return correct / len(labels)
