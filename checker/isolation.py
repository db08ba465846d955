"""The OS boundary around every child: bubblewrap on Linux, or the process sandbox alone where it cannot run.

Under bubblewrap the child sees a read-only view of just what it needs (the system's libraries, the Python
install, the checker's child-side code and the reference data package without its solutions), its own folder,
and nothing else: no project tree, no cache, no HOME, no other sandbox. It has its own mount, PID, network, IPC
and user namespaces, no capabilities, and runs as `nobody` where the kernel allows it, so killing the sandbox
kills everything it started and it can signal nothing outside. The process sandbox (audit hook, resource limits,
process group) runs inside it either way, and alone where bubblewrap is missing.

TORCHDRILL_ISOLATION=process forces the process sandbox alone (for comparison in bench/); =bubblewrap makes a
missing bubblewrap an error instead of a fallback.
"""
from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

from checker.verdict import InputError

ENV = "TORCHDRILL_ISOLATION"
BUBBLEWRAP, PROCESS = "bubblewrap", "process"
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"
CHECKER_PARENT = Path(__file__).resolve().parent.parent
SYSTEM_DIRS = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd",
                "/etc/group", "/etc/nsswitch.conf")
NOBODY = "65534"


class IsolationUnavailable(InputError):
    """The OS boundary was required but cannot run here (exit code 2)."""


@functools.lru_cache(maxsize=1)
def probe() -> tuple[str, tuple[str, ...], str]:
    """(mode, the user-namespace options that work here, why bubblewrap is not used). Costs one `bwrap true`."""
    wanted = os.environ.get(ENV, "auto")
    if wanted == PROCESS:
        return PROCESS, (), f"{ENV}=process"
    if not sys.platform.startswith("linux"):
        return PROCESS, (), "bubblewrap runs on Linux only"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return PROCESS, (), "bubblewrap (bwrap) is not installed"
    why = ""
    for user in (("--unshare-user", "--uid", NOBODY, "--gid", NOBODY), ()):  # nobody where the kernel allows it
        trial = [bwrap, *user, "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", *_system_binds(), "true"]
        try:
            done = subprocess.run(trial, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            why = str(error)
            continue
        if done.returncode == 0:
            return BUBBLEWRAP, user, ""
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        why = why[0]
    return PROCESS, (), f"bubblewrap cannot create namespaces here ({why})"


def mode() -> str:
    """`bubblewrap` or `process`; IsolationUnavailable when bubblewrap is required and cannot run."""
    chosen, _, why = probe()
    if chosen == PROCESS and os.environ.get(ENV) == BUBBLEWRAP:
        raise IsolationUnavailable(f"{ENV}=bubblewrap, but {why}; {INSTALL_HINT}")
    return chosen


def require_os_boundary(allow_weak: bool, flag: str = "--allow-weak-isolation") -> None:
    """For grading: refuse to run submissions without the OS boundary unless the grader accepted that."""
    chosen, _, why = probe()
    if chosen != BUBBLEWRAP and not allow_weak:
        raise IsolationUnavailable(
            f"grading needs the OS boundary around each submission, and {why}. To grade safely, {INSTALL_HINT}. "
            f"To grade behind the process sandbox alone, which a determined student can get around, pass {flag}.")


def fallback_notice() -> str:
    """One line for the user when runs are not behind the OS boundary, else ''."""
    chosen, _, why = probe()
    if chosen == BUBBLEWRAP:
        return ""
    return f"note: runs use the process sandbox only ({why}); for the OS boundary, {INSTALL_HINT}"


def wrap(argv: list[str], sandbox: Path, *, writable_mb: int | None, read_only: list[Path] = (),
         writable: list[Path] = (), folders: list[Path] = (), symlinks: list[tuple[str, Path]] = ()) -> list[str]:
    """`argv` run under bubblewrap in `sandbox`. With `writable_mb`, the sandbox is a fresh tmpfs of that size
    holding empty `folders`, in which only `read_only` and `writable` (paths made by the parent) show the parent's
    files, and `symlinks` (target, path inside it) point at them; without it, the parent's sandbox folder itself is
    the writable folder."""
    _, user, _ = probe()
    command = [shutil.which("bwrap"), *user, "--unshare-all", "--die-with-parent", "--new-session",
               "--cap-drop", "ALL", *_system_binds(), *_runtime_binds(), "--proc", "/proc", "--dev", "/dev",
               *_gpu_binds()]
    if writable_mb is None:
        command += ["--bind", str(sandbox), str(sandbox)]
    else:
        command += ["--size", str(writable_mb * 1024 * 1024), "--tmpfs", str(sandbox)]
        for path in folders:
            command += ["--dir", str(path)]
        for path in read_only:
            command += ["--ro-bind", str(path), str(path)]
        for path in writable:
            command += ["--bind", str(path), str(path)]
        for target, path in symlinks:
            command += ["--symlink", str(target), str(path)]
    return [*command, "--chdir", str(sandbox), "--", *argv]


def _gpu_binds() -> list[str]:
    """NVIDIA's device nodes and /sys, where a GPU is present, so that --device cuda works in the sandbox."""
    nodes = sorted(str(p) for p in Path("/dev").glob("nvidia*"))
    if not nodes:
        return []
    return [*(arg for node in nodes for arg in ("--dev-bind", node, node)), "--ro-bind", "/sys", "/sys"]


def _system_binds() -> list[str]:
    binds = []
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            binds += ["--symlink", os.readlink(folder), folder]  # merged /usr: /lib -> usr/lib
        elif os.path.isdir(folder):
            binds += ["--ro-bind", folder, folder]
    for name in SYSTEM_FILES:
        if os.path.exists(name):
            binds += ["--ro-bind", name, name]
    return binds


def _runtime_binds() -> list[str]:
    """The Python install, then the child-side code and the reference package, with the solutions hidden."""
    binds = []
    roots = python_roots()
    for root in roots:
        binds += ["--ro-bind", str(root), str(root)]
    if any(_inside(CHECKER_PARENT, root) for root in roots):  # installed as a wheel: hide the checker's own files
        for name in ("checker", "buggy_examples", "quizzes"):
            if (CHECKER_PARENT / name).is_dir():
                binds += ["--tmpfs", str(CHECKER_PARENT / name)]
    for path in (CHECKER_PARENT / "checker" / "__init__.py", CHECKER_PARENT / "checker" / "child",
                 CHECKER_PARENT / "reference"):
        binds += ["--ro-bind", str(path), str(path)]
    return [*binds, "--tmpfs", str(CHECKER_PARENT / "reference" / "solutions")]


@functools.lru_cache(maxsize=1)
def python_roots() -> tuple[Path, ...]:
    """The folders of the Python install and its site-packages, outermost only, never the project tree."""
    candidates = {sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages()}
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        candidates.add(site.getusersitepackages())
    paths = sorted({Path(p).resolve() for p in candidates if p and os.path.isdir(p)}, key=lambda p: len(p.parts))
    roots: list[Path] = []
    for path in paths:
        if not any(_inside(path, root) for root in roots):
            roots.append(path)  # a site-packages that holds an installed checker has its files hidden later
    return tuple(roots)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
