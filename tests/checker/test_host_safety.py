"""Host safety: whoever runs the checker (root in CI or a Docker autograder, or an ordinary user), the child is never
host root, cannot write a kernel setting, and stays inside its caps."""
from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from checker import isolation
from checker.limits import Limits
from tests.conftest import REPO, run_python
from tests.unprivileged import needs_bubblewrap, run_checker_unprivileged, unprivileged_home

FIXTURES = REPO / "tests" / "fixtures" / "hostile"



def facts_of(result) -> dict:
    verdict = json.loads(result.stdout)
    line = next((line for line in verdict["output"].splitlines() if line.startswith("FACTS ")), None)
    assert line is not None, result.stdout[-3000:] + result.stderr[-2000:]
    return json.loads(line[len("FACTS "):])


@contextmanager
def host_uids_of_children():
    """The host's view of every harness child that runs meanwhile: the set of its uids (real, effective, saved,
    file system). Read from the host's /proc, since a child's own uid_map may be one of two nested maps."""
    seen: set[int] = set()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for entry in Path("/proc").glob("[0-9]*"):
                try:
                    argv = (entry / "cmdline").read_bytes().split(b"\0")
                    if b"python" in argv[0] and any(b"checker.child.harness" in arg for arg in argv):
                        status = (entry / "status").read_text()
                        seen.update(int(u) for u in status.split("Uid:", 1)[1].splitlines()[0].split())
                except (OSError, IndexError, ValueError):
                    continue
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()


def verify_args(fixture: str) -> list[str]:
    return ["verify", str(FIXTURES / fixture), "--scenario", "zero_grad", "--json", "--timeout", "120"]


def assert_never_root_and_kernel_read_only(facts: dict, host_uids: set[int]) -> None:
    assert host_uids and 0 not in host_uids, host_uids
    assert int(facts["cap_eff"], 16) == 0 and int(facts["cap_prm"], 16) == 0, facts
    assert facts["writable"] == 0 and facts["other"] == [], facts
    assert facts["refused"] > 100  # it did try: every tunable refused with EROFS or EACCES
    assert not facts["sys_writable"]


@needs_bubblewrap
def test_as_invoked_the_child_is_not_host_root_and_cannot_write_kernel_settings(tmp_path):
    """As root in CI (the case that matters), or as the user running the tests."""
    with host_uids_of_children() as uids:
        result = run_python("-m", "checker", *verify_args("kernel_tunables.py"), cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]
    assert_never_root_and_kernel_read_only(facts_of(result), uids)


@needs_bubblewrap
def test_every_writable_place_is_sized_and_all_count_against_one_cap(tmp_path):
    """The run's folder and /dev/shm are its only writable places, and together they hold the declared cap."""
    result = run_python("-m", "checker", *verify_args("disk_ballast.py"), cwd=tmp_path)
    verdict = json.loads(result.stdout)
    line = next(line for line in verdict["output"].splitlines() if line.startswith("WROTE "))
    wrote = json.loads(line[len("WROTE "):])
    cap = Limits().sandbox_mb
    assert sum(megabytes for _, megabytes in wrote) <= cap
    assert {place: megabytes for place, megabytes in wrote if place in ("/", "/tmp", "/var/tmp")} == {
        "/": 0, "/tmp": 0, "/var/tmp": 0}
    assert dict(wrote)["/dev/shm"] > 0  # /dev/shm works (DataLoader workers need it), within the cap
    runs = next(check for check in verdict["checks"] if check["id"] == "runs")
    assert f"more than {cap} MB" in runs["message"]


@needs_bubblewrap
def test_as_an_unprivileged_user_the_same_holds(tmp_path, reference_home):
    home = unprivileged_home(tmp_path, like=reference_home)
    with host_uids_of_children() as uids:
        result = run_checker_unprivileged(verify_args("kernel_tunables.py"), home)
    assert result.returncode == 1, result.stderr[-3000:]
    assert_never_root_and_kernel_read_only(facts_of(result), uids)
    assert json.loads(result.stdout)["isolation"] == isolation.BUBBLEWRAP


PEEKING_SCRIPT = '''
import os, pathlib
import torch, torch.nn as nn, torch.nn.functional as F

here = pathlib.Path(__file__).resolve().parent
for guess in (here.parent / "dotssh" / "id_rsa", here / "elsewhere" / "id_rsa", here / "up" / "dotssh" / "id_rsa",
              pathlib.Path(os.getcwd()).parent / "dotssh" / "id_rsa"):
    try:
        print("READ", guess, guess.read_text())
    except OSError as error:
        print("refused", guess, type(error).__name__)
for victim in (here / "elsewhere", here / "up", here / "data.csv"):
    for attempt in (lambda: os.chmod(victim, 0o777), lambda: (victim / "planted").write_text("x")):
        try:
            attempt()
        except OSError:
            pass
print("siblings seen:", sorted(os.listdir(here.parent)) if here.parent.exists() else None)
torch.manual_seed(0)
model = nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(3):
    optimizer.zero_grad()
    F.cross_entropy(model(torch.randn(8, 4)), torch.randint(0, 2, (8,))).backward()
    optimizer.step()
'''
SECRET = "SECRET-KEY-4f1c9b"


def tree_around(top: Path) -> dict:
    """Everything the host knows of each path under `top`, links not followed: type, mode, owner, size, times
    (but the access time, which any read moves), the bytes' sha256 and a link's target."""
    import hashlib

    seen = {}
    for path in [top, *sorted(top.rglob("*"))]:
        info = path.lstat()
        entry = (info.st_mode, info.st_uid, info.st_gid, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        if path.is_symlink():
            entry += (os.readlink(path),)
        elif path.is_file():
            entry += (hashlib.sha256(path.read_bytes()).hexdigest(),)
        seen[str(path.relative_to(top))] = entry
    return seen


def make_tree(top: Path, owner: int | None = None) -> Path:
    """A project folder with a private sibling (like ~/.ssh), a link out of the tree to it and one to the top."""
    project, private = top / "project", top / "dotssh"
    project.mkdir(parents=True)
    private.mkdir(mode=0o700)
    (private / "id_rsa").write_text(SECRET)
    (project / "train.py").write_text(PEEKING_SCRIPT)
    (project / "data.csv").write_text("1,2,3\n")
    (project / "elsewhere").symlink_to(private)
    (project / "up").symlink_to(top)
    private.chmod(0o700)
    if owner is not None:
        for path in [top, *top.rglob("*")]:
            os.chown(path, owner, owner, follow_symlinks=False)
    return project / "train.py"


@needs_bubblewrap
@pytest.mark.parametrize("who", ["as_invoked", "unprivileged"])
def test_trace_changes_nothing_around_the_script_and_shows_nothing_beside_it(who, tmp_path):
    if who == "unprivileged":
        home = unprivileged_home(tmp_path)
        script = make_tree(home / "tree", owner=os.stat(home).st_uid)
        before = tree_around(home / "tree")
        result = run_checker_unprivileged(["trace", str(script), "--max-steps", "3"], home)
        after = tree_around(home / "tree")
    else:
        script = make_tree(tmp_path / "tree")
        before = tree_around(tmp_path / "tree")
        result = run_python("-m", "checker", "trace", str(script), "--max-steps", "3", cwd=tmp_path)
        after = tree_around(tmp_path / "tree")
    said = result.stdout + result.stderr
    assert result.returncode == 0, said[-3000:]
    assert "3 optimizer steps" in said
    assert {k: v for k, v in after.items() if after[k] != before.get(k)} == {}
    assert after == before
    assert SECRET not in said
    assert "dotssh" not in said.split("siblings seen:")[-1].splitlines()[0]
