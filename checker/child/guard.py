"""An audit hook that keeps the student's script inside its sandbox: no reading solutions, no writing elsewhere.

Audit hooks cannot be removed from Python code once added. Native code (ctypes) could still get around them;
that is why the parent never trusts the child for the accuracy, which it measures itself.
"""
from __future__ import annotations

import os
import sys

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS = {"os.remove", "os.rmdir", "os.rename", "os.chmod", "os.chown", "os.truncate", "os.mkdir",
                "os.symlink", "os.link", "shutil.rmtree", "shutil.move", "shutil.copyfile"}


def _real(path) -> str | None:
    if isinstance(path, int):
        return None  # an already-open file descriptor
    try:
        return os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return None


def _signals_own_group(event: str, target: int) -> bool:
    """Whether a kill()/killpg() stays inside the run's own process group (its DataLoader workers and such)."""
    own = os.getpgrp()
    if event == "os.killpg" or target < 0:
        return abs(target) in (0, own)
    if target in (0, os.getpid()):
        return True
    try:
        return os.getpgid(target) == own
    except OSError:
        return True  # no such process: the kill itself will fail


def install(sandbox: str, forbidden: list[str]) -> None:
    """Refuse reads under `forbidden` folders, any change to the file system outside `sandbox` and /dev, and
    signals to processes outside the run's own process group (the checker, a warm worker)."""
    writable = [os.path.realpath(sandbox) + os.sep, "/dev/"]
    hidden = [os.path.realpath(p) + os.sep for p in forbidden]

    def under(path: str, prefixes: list[str]) -> bool:
        return any((path + os.sep).startswith(prefix) for prefix in prefixes)

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path = _real(args[0])
            if path is None or under(path, writable[:1]):
                return
            if under(path, hidden):
                raise PermissionError(f"torchdrill sandbox: reading {path} is not allowed")
            mode, flags = args[1] or "", args[2] or 0
            writing = any(c in str(mode) for c in "wax+") or bool(flags & _WRITE_FLAGS)
            if writing and not under(path, writable):
                raise PermissionError(f"torchdrill sandbox: writing {path} is not allowed; write inside the working folder")
        elif event in ("os.kill", "os.killpg") and not _signals_own_group(event, args[0]):
            raise PermissionError("torchdrill sandbox: signalling processes outside this run is not allowed")
        elif event in _PATH_EVENTS:
            for arg in args[:2]:
                path = _real(arg) if isinstance(arg, (str, bytes, os.PathLike)) else None
                if path is not None and not under(path, writable):
                    raise PermissionError(f"torchdrill sandbox: changing {path} is not allowed")

    sys.addaudithook(hook)
