"""The OS boundary around every child: bubblewrap on Linux, or the process sandbox alone where it cannot run.

Under bubblewrap the child sees a read-only view of just what it needs (the system's libraries, the Python
install, the checker's child-side code and the reference data package without its solutions), its own folder,
and nothing else: no project tree, no cache, no HOME, no other sandbox. It has its own mount, PID, network, IPC
and UTS namespaces and no capabilities, so killing the sandbox kills everything it started and it can signal
nothing outside. `/`, `/dev` and `/proc` are read-only; the only writable places are the run's folder and
`/dev/shm`, two tmpfs whose sizes together make the run's disk cap.

The child is never host root. Run by an ordinary user, bubblewrap maps that user to `nobody` in a user namespace
of its own. Run by root (CI, a Docker autograder, a lab server), a user namespace would map the child to host
uid 0, which owns every kernel tunable; so bubblewrap runs without one, keeps only CAP_SETUID and CAP_SETGID, and
the child's Python is started through setpriv(1) as an unprivileged uid of its own (run_identity(): unique to the
run, no groups, no capabilities, an empty bounding set; bubblewrap has set no_new_privs), so that not one line of
Python runs as root. Where setpriv is missing, the first statement of our own bootstrap makes the same drop.

TORCHDRILL_ISOLATION=process forces the process sandbox alone (for comparison in bench/); =bubblewrap makes a
missing bubblewrap an error instead of a fallback.
"""
from __future__ import annotations

import functools
import itertools
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

from checker.verdict import InputError

ENV = "TORCHDRILL_ISOLATION"
BUBBLEWRAP, PROCESS = "bubblewrap", "process"
CHECKER_PARENT = Path(__file__).resolve().parent.parent
TORCHDRILL_PACKAGE = Path(__file__).resolve().parent.parent.parent if CHECKER_PARENT.name == "_lib" else (
    CHECKER_PARENT / "torchdrill")  # installed, _lib's parent; in a clone, the repository's torchdrill/
SYSTEM_DIRS = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd",
                "/etc/group", "/etc/nsswitch.conf")
NOBODY = "65534"
USER_NAMESPACE = ("--unshare-user", "--uid", NOBODY, "--gid", NOBODY, "--unshare-all")
# As root: every namespace but the user's, and just the two capabilities the child needs to drop to its own uid.
AS_ROOT = ("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
           "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID")
RUN_UID_BASE = 2_000_000_000  # far above any account's uid: each run's own uid is taken from here
SHM_SHARE = 4  # /dev/shm gets a quarter of the run's disk cap (at most SHM_MAX_MB); its folder, the rest
SHM_MAX_MB = 256
_run_numbers = itertools.count()


class IsolationUnavailable(InputError):
    """The OS boundary was required but cannot run here (exit code 2). Said in the user's language: a text of
    messages.toml's [isolation] section, with why bubblewrap is not used and how to install it in that language."""

    @classmethod
    def saying(cls, key: str, **fields) -> "IsolationUnavailable":
        error = cls(_said(key, "en", fields))
        error.key, error.fields = key, fields
        return error

    def worded(self, lang: str) -> str:
        return _said(self.key, lang, self.fields) if self.key else str(self)


def _said(key: str, lang: str, fields: dict) -> str:
    from checker.messages import text

    return text("isolation", key, lang, **fields, why=why_not(lang), install=install_hint(lang))


def install_hint(lang: str = "en") -> str:
    from checker.messages import text

    return text("isolation", "install", lang)


def why_not(lang: str = "en") -> str:
    """Why bubblewrap is not used here, in `lang` ('' when it is)."""
    from checker.messages import text

    _, _, key, fields = _probe()
    return text("isolation", key, lang, **fields) if key else ""


def probe() -> tuple[str, tuple[str, ...], str]:
    """(mode, the user-namespace options that work here, why bubblewrap is not used, in English). Costs one
    `bwrap true`, once."""
    chosen, user, _, _ = _probe()
    return chosen, user, why_not("en")


@functools.lru_cache(maxsize=1)
def _probe() -> tuple[str, tuple[str, ...], str, dict]:
    """probe(), with why bubblewrap is not used as a key of messages.toml's [isolation] section and its fields."""
    wanted = os.environ.get(ENV, "auto")
    if wanted == PROCESS:
        return PROCESS, (), "forced_process", {"env": ENV}
    if not sys.platform.startswith("linux"):
        return PROCESS, (), "not_linux", {}
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return PROCESS, (), "not_installed", {}
    why = ""
    for user in ((AS_ROOT,) if os.geteuid() == 0 else (USER_NAMESPACE, ("--unshare-all",))):
        trial = [bwrap, "--cap-drop", "ALL", *user, "--die-with-parent", *_system_binds(), "true"]
        try:
            done = subprocess.run(trial, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            why = str(error)
            continue
        if done.returncode == 0:
            return BUBBLEWRAP, user, "", {}
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        why = why[0]
    return PROCESS, (), "no_namespaces", {"detail": why}


def run_identity() -> tuple[int, int] | None:
    """The (uid, gid) a child drops to when the checker runs as root: unique to this run among the checker
    processes of this machine (by pid, then by run), so that RLIMIT_NPROC counts this run's processes alone.
    None when the checker is not root: the child then runs as the checker's own user."""
    if os.geteuid() != 0:
        return None
    uid = RUN_UID_BASE + (os.getpid() % 4_000_000) * 16 + next(_run_numbers) % 16
    return uid, uid


def python_argv(code: str, identity: tuple[int, int] | None) -> list[str]:
    """`python -I -c CODE` started as `identity` for good: no groups, real, effective and saved ids all changed,
    no capabilities. Without an identity, as this process's own user."""
    argv = [sys.executable, "-I", "-c", code]
    if identity is None:
        return argv
    uid, gid = identity
    setpriv = shutil.which("setpriv", path="/usr/bin:/bin:/usr/sbin:/sbin")
    if setpriv:
        return [setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--", *argv]
    drop = (f"import os; os.setgroups([]); os.setresgid({gid}, {gid}, {gid}); os.setresuid({uid}, {uid}, {uid}); "
            f"os.getresuid() == ({uid},) * 3 and os.getresgid() == ({gid},) * 3 or os._exit(70); ")
    return [sys.executable, "-I", "-c", drop + code]


def popen_identity(identity: tuple[int, int]) -> dict:
    """subprocess.Popen's arguments that start a child as `identity` without bubblewrap (root's process sandbox),
    once this Python is known to run as that uid; IsolationUnavailable when it cannot, rather than run as root."""
    if not _can_start_python():
        raise IsolationUnavailable.saying("never_root", uid=identity[0], python=sys.executable)
    return {"user": identity[0], "group": identity[1], "extra_groups": []}


@functools.lru_cache(maxsize=1)
def _can_start_python() -> bool:
    """Whether a run's uid can start this Python (any of ours stands for all: none of them owns a file)."""
    try:
        done = subprocess.run([sys.executable, "-I", "-c", "pass"], user=RUN_UID_BASE, group=RUN_UID_BASE,
                              extra_groups=[], capture_output=True, timeout=60, stdin=subprocess.DEVNULL, cwd="/")
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def mode() -> str:
    """`bubblewrap` or `process`; IsolationUnavailable when bubblewrap is required and cannot run."""
    chosen, _, _ = probe()
    if chosen == PROCESS and os.environ.get(ENV) == BUBBLEWRAP:
        raise IsolationUnavailable.saying("required", env=ENV)
    return chosen


def require_os_boundary(allow_weak: bool, flag: str = "--allow-weak-isolation") -> None:
    """For grading: refuse to run submissions without the OS boundary unless the grader accepted that."""
    chosen, _, _ = probe()
    if chosen != BUBBLEWRAP and not allow_weak:
        raise IsolationUnavailable.saying("grading_needs_it", flag=flag)


def fallback_notice(lang: str = "en") -> str:
    """One line for the user when runs are not behind the OS boundary, in `lang`, else ''."""
    if probe()[0] == BUBBLEWRAP:
        return ""
    return _said("process_only", lang, {})


def wrap(argv: list[str], sandbox: Path, *, writable_mb: int | None, read_only: list[Path] = (),
         writable: list[Path] = (), folders: list[Path] = (), views: list[tuple[Path, Path]] = (),
         symlinks: list[tuple[str, Path]] = ()) -> list[str]:
    """`argv` run under bubblewrap in `sandbox`. With `writable_mb`, the sandbox is a fresh tmpfs holding empty
    `folders`, in which only `read_only` and `writable` (paths made by the parent, at their own paths) and `views`
    (a path, read-only, where the sandbox shows it) show the parent's files, and `symlinks` (target, path inside
    it) are links; it and /dev/shm share `writable_mb`. Without it, the parent's sandbox folder itself is the
    writable folder."""
    _, user, _ = probe()
    command = [shutil.which("bwrap"), "--cap-drop", "ALL", *user, "--die-with-parent", "--new-session",
               *_system_binds(), *_runtime_binds(),
               "--proc", "/proc", "--dev", "/dev", *_gpu_binds()]
    shm_mb = min(SHM_MAX_MB, (writable_mb or 1024) // SHM_SHARE)
    command += ["--perms", "01777", "--size", str(shm_mb * 1024 * 1024), "--tmpfs", "/dev/shm"]
    if writable_mb is None:
        command += [*_parents([sandbox]), "--bind", str(sandbox), str(sandbox)]
    else:
        command += [*_parents([sandbox]), "--perms", "0777", "--size", str((writable_mb - shm_mb) * 1024 * 1024),
                    "--tmpfs", str(sandbox)]
        for path in folders:
            command += ["--perms", "0777", "--dir", str(path)]
        made = {sandbox, *sandbox.parents, *map(Path, folders)}  # made already, with their own modes
        command += _parents([*read_only, *writable], bound=(*python_roots(), *read_only, *writable), made=made)
        for path in read_only:
            command += ["--ro-bind", str(path), str(path)]
        for path in writable:
            command += ["--bind", str(path), str(path)]
        for source, path in views:
            command += ["--ro-bind", str(source), str(path)]
        for target, path in symlinks:
            command += ["--symlink", str(target), str(path)]
    command += ["--remount-ro", "/proc", "--remount-ro", "/dev", "--remount-ro", "/"]
    return [*command, "--chdir", str(sandbox), "--", *argv]


def _parents(paths, bound=(), made=frozenset()) -> list[str]:
    """`--dir` for every folder above `paths`, outermost first, each one 0755 (bubblewrap would make them 0700,
    which the child's own uid could not enter when bubblewrap runs as root); never one in a folder already
    `bound`, nor one already `made`."""
    bound = [Path(folder) for folder in (*SYSTEM_DIRS, *bound)]
    folders = sorted({parent for path in paths for parent in Path(path).parents
                      if parent != Path("/") and parent not in made
                      and not any(_inside(parent, folder) for folder in bound)},
                     key=lambda p: len(p.parts))
    return [arg for folder in folders for arg in ("--perms", "0755", "--dir", str(folder))]


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
    """The Python install, then the child-side code and the reference package, with the solutions and the held-out
    labels hidden."""
    roots = python_roots()
    # the scripts' `from torchdrill.data import`: installed, the package is in a root already (bound again, it
    # would show the _lib files hidden below); in a clone, the repository's torchdrill/ is bound on its own
    ours = [] if any(_inside(TORCHDRILL_PACKAGE, root) for root in roots) else [TORCHDRILL_PACKAGE]
    child_side = (CHECKER_PARENT / "checker" / "__init__.py", CHECKER_PARENT / "checker" / "child",
                  CHECKER_PARENT / "reference", *ours)
    binds = _parents([*roots, *child_side], bound=roots)
    for root in roots:
        binds += ["--ro-bind", str(root), str(root)]
    if any(_inside(CHECKER_PARENT, root) for root in roots):  # installed as a wheel: hide the checker's own files
        for name in ("checker", "buggy_examples", "quizzes"):
            if (CHECKER_PARENT / name).is_dir():
                binds += ["--tmpfs", str(CHECKER_PARENT / name)]
    for path in child_side:
        binds += ["--ro-bind", str(path), str(path)]
    hidden = (CHECKER_PARENT / "reference" / "solutions", CHECKER_PARENT / "reference" / "data" / "heldout")
    return [*binds, *(arg for folder in hidden for arg in ("--tmpfs", str(folder)))]


# What a child imports besides the standard library (import name, distribution name): each is shown wherever it
# is installed, also where that is not one of the install's site-packages (a folder a .pth file adds, such as a
# venv that reuses the machine's torch).
CHILD_IMPORTS = (("torch", "torch"), ("torchvision", "torchvision"), ("numpy", "numpy"), ("PIL", "pillow"))


def _installed_elsewhere() -> set[str]:
    """The import-path folders the child's imports are installed in (each with its dist-info: an install, never a
    module of the same name in the project), as the path names them and where their files really are."""
    import importlib.util

    folders = set()
    for name, distribution in CHILD_IMPORTS:
        try:
            spec = importlib.util.find_spec(name)  # finds a top-level package without importing it
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.origin or not spec.submodule_search_locations:
            continue
        folder = Path(spec.origin).parent.parent
        if any(folder.glob(f"{distribution}-*.dist-info")):
            folders |= {str(folder), str(Path(spec.origin).resolve().parent.parent)}
    return folders


@functools.lru_cache(maxsize=1)
def python_roots() -> tuple[Path, ...]:
    """The folders of the Python install and its site-packages, and wherever else torch and the child's other
    imports are installed; outermost only, never the project tree."""
    candidates = {sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages(),
                  *_installed_elsewhere()}
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
