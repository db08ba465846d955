"""The reference training: determinism, accuracy on real data, and the command-line entry point."""
from __future__ import annotations

import pytest
import torch

from reference.config import RunConfig
from reference.models import MODELS, build_model
from reference.train import run
from tests.conftest import run_python


def _weights(cfg: RunConfig) -> dict[str, torch.Tensor]:
    return run(cfg).model.state_dict()


def test_same_seed_gives_identical_weights_and_another_seed_does_not():
    cfg = RunConfig.for_model("net", max_batches=5, seed=3)
    first, second, other = _weights(cfg), _weights(cfg), _weights(cfg.with_(seed=4))
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)


def test_network_with_adadelta_reaches_95_percent_after_one_epoch_on_the_subset():
    cfg = RunConfig.for_model("network", epochs=1, optimizer="adadelta", lr=1.0)
    result = run(cfg)
    assert result.final.total == 2000
    assert result.final.accuracy >= 0.95, f"{result.final.accuracy:.4f}"


def test_models_accept_any_batch_size():
    for name in MODELS:
        model = build_model(name).eval()
        for batch in (1, 7):
            assert model(torch.zeros(batch, 1, 28, 28)).shape == (batch, 10)


def test_tutorial_architectures():
    network = build_model("network")
    assert tuple(network.conv1.weight.shape) == (6, 1, 5, 5)
    assert network.fc1.in_features == 192 and network.out.out_features == 10
    net = build_model("net")
    assert (net.conv1.out_channels, net.conv2.out_channels, net.fc1.in_features) == (10, 20, 320)


def test_command_line_dry_run_prints_loss_accuracy_and_time():
    result = run_python("-m", "reference", "--model", "net", "--epochs", "1", "--data", "subset", "--dry-run")
    assert result.returncode == 0, result.stderr
    for words in ("train loss", "test accuracy", "imported torch", "training"):
        assert words in result.stdout


def test_command_line_rejects_cuda_without_a_gpu_cleanly():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = run_python("-m", "reference", "--device", "cuda", "--dry-run")
    assert result.returncode == 2
    assert "no CUDA GPU" in result.stderr and "Traceback" not in result.stderr
