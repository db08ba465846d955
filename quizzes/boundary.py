"""The quiz worker that grades answers files: behind the same OS boundary and limits as the checker's warm workers
(checker.isolation, checker.limits), never the plain worker that interactive self-study uses.

Under bubblewrap the worker, and every answer it forks, sees the system's libraries, the Python install, the quiz
engine's own code and, for a bank that needs it, the MNIST subset, all read-only; the banks folder, which holds the
canonical answers, is hidden behind an empty one. Its only writable place is a sized tmpfs (with /dev/shm, the
checker's disk cap). It has no network, its own PID namespace, nothing of the parent's environment, and, when the
quiz runs as root, an unprivileged uid of its own. Each job runs under the checker's resource limits (address
space, CPU time, file size, processes, no core dump)."""
from __future__ import annotations

import sys
from pathlib import Path

from checker import isolation
from checker.limits import Limits
from checker.sandbox import child_env, give_to
from quizzes.messages import InputError
from quizzes.worker import BOOTSTRAP, PACKAGE_PARENT, Worker

QUIZZES = Path(PACKAGE_PARENT) / "quizzes"
BANKS = QUIZZES / "banks"
FOLDERS = ("tmp", "home", "cache")  # HOME, TMPDIR, ... of checker.sandbox.child_env, in the writable folder
WEAK_FLAG = "--allow-weak-isolation"


def require_boundary(allow_weak: bool) -> None:
    """Refuse to grade without the OS boundary, as `checker grade` does, unless the grader accepted that; and,
    behind the process sandbox alone as root, unless answers can run as a uid of their own."""
    try:
        isolation.require_os_boundary(allow_weak, WEAK_FLAG)
        contained = isolation.mode() == isolation.BUBBLEWRAP  # refuses too, where bubblewrap is demanded
    except isolation.IsolationUnavailable:
        raise InputError("no_boundary", why=isolation.why_not, hint=isolation.install_hint, flag=WEAK_FLAG) from None
    identity = isolation.run_identity()
    if not contained and identity is not None:
        try:
            isolation.popen_identity(identity)
        except isolation.IsolationUnavailable:
            raise InputError("never_root", uid=identity[0], python=sys.executable,
                             hint=isolation.install_hint) from None


class BoundedWorker(Worker):
    """A quiz worker for grading: behind bubblewrap where it runs, else behind the process sandbox alone (the
    grader accepted that with --allow-weak-isolation), as its own uid whenever the quiz runs as root. `readable`:
    host folders the jobs need to read (the MNIST subset of a bank that needs it)."""

    def __init__(self, readable: tuple[Path, ...] = ()):
        super().__init__()
        self.readable = tuple(readable)
        self.limits = Limits().settings()  # here: the user's process count is read from the host's /proc

    def run(self, job: dict) -> dict:
        return super().run({**job, "limits": self.limits})

    def lent_kind(self) -> dict:
        return {"kind": "bounded", "readable": [str(p) for p in self.readable]}

    def _launch(self, folder: Path) -> tuple[list[str], dict]:
        identity = isolation.run_identity()  # a uid of its own when we are root; None otherwise
        contained = isolation.mode() == isolation.BUBBLEWRAP
        scratch, empty = folder / "scratch", folder / "empty"
        for path in (scratch, empty, *(scratch / name for name in FOLDERS)):
            path.mkdir(mode=0o755)
        folder.chmod(0o711)  # entered by the worker's uid, never listed
        argv = [*isolation.python_argv(BOOTSTRAP, identity if contained else None),
                "graded", "contained" if contained else "weak"]
        options = {"cwd": scratch, "env": child_env(scratch)}
        if contained:
            argv = isolation.wrap(argv, scratch, writable_mb=Limits().sandbox_mb,
                                  read_only=[QUIZZES, *self.readable], views=[(empty, BANKS)],
                                  folders=[scratch / name for name in FOLDERS])
        elif identity is not None:
            give_to(scratch, identity)
            options.update(isolation.popen_identity(identity))
        return argv, options
