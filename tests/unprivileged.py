"""Running the checker as an unprivileged user, for the tests that must hold both as root and as anyone else.

Run as root (CI, a Docker autograder), the checker itself is started as `nobody` inside a mount namespace that
shows the Python install even where it lives under a private folder such as /root (a pyenv install): the rest of
the host stays as it is. Run as anyone else, the checker simply runs as that user."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from checker import isolation
from tests.conftest import REPO

NOBODY = 65534
# Behind bubblewrap, or failing in CI, which must install it (.ci/run).
needs_bubblewrap = pytest.mark.skipif(isolation.probe()[0] != isolation.BUBBLEWRAP and not os.environ.get("CI"),
                                      reason=f"bubblewrap cannot run here: {isolation.probe()[2]}")


def unprivileged_home(tmp_path: Path, like: Path | None = None) -> Path:
    """A TORCHDRILL_HOME (and HOME) the unprivileged user owns, in `tmp_path`; a copy of `like`'s contents when
    given. pytest's own folders above it are private to their user: nobody may pass through them (not list them)."""
    home = tmp_path / "unprivileged" / "home"  # inside a folder of its own too, as a user's home would be
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if like is not None:
        shutil.copytree(like, home, dirs_exist_ok=True)
    if os.geteuid() == 0:
        base = Path(tempfile.gettempdir())
        for folder in [tmp_path, *tmp_path.parents]:
            if folder == base or base not in folder.parents:
                break
            folder.chmod(folder.stat().st_mode | 0o001)
        for path in [home.parent, home, *home.rglob("*")]:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
    return home


def run_checker_unprivileged(args: list[str], home: Path, timeout: float = 300,
                             env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m checker ARGS` as an unprivileged user, with `home` as its TORCHDRILL_HOME and HOME."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TORCHDRILL_HOME": str(home),
           "LANG": "C.UTF-8", "OMP_WAIT_POLICY": "PASSIVE", "PYTHONPATH": str(REPO), **(env or {})}
    argv = [sys.executable, "-m", "checker", *args]
    if os.geteuid() == 0:
        argv = [*_as_nobody_prefix(), *argv]
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=home, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _as_nobody_prefix() -> list[str]:
    """bubblewrap, run by root without a user namespace: the host's file system as it is, each private folder that
    holds the Python install shown with its install alone, then `setpriv` down to nobody (no capabilities left)."""
    command = [shutil.which("bwrap"), "--dev-bind", "/", "/", "--die-with-parent", "--cap-add", "CAP_SETUID",
               "--cap-add", "CAP_SETGID"]
    for root in isolation.python_roots():
        private = _private_ancestor(root)
        if private is not None:
            between = [folder for folder in reversed(root.parents) if private in folder.parents]
            command += ["--perms", "0755", "--tmpfs", str(private),
                        *(arg for folder in between for arg in ("--perms", "0755", "--dir", str(folder))),
                        "--ro-bind", str(root), str(root)]
    return [*command, shutil.which("setpriv"), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
            "--inh-caps=-all", "--"]


def _private_ancestor(path: Path) -> Path | None:
    """The outermost folder above `path` that others may not enter, or None."""
    for folder in reversed(path.parents):
        if folder != Path("/") and not folder.stat().st_mode & 0o001:
            return folder
    return None
