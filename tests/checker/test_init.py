"""`checker init`: a learner's own exercise folder, where list, next, verify and reset work on the learner's copies
and never on the files of the package (real subprocesses; the learner's path trains for real)."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

from checker import exercises
from checker.scenario import find, load_all
from tests.conftest import REPO, run_python


def checker(*args, cwd: Path, home: Path, env: dict | None = None):
    return run_python("-m", "checker", *args, cwd=cwd, env={"TORCHDRILL_HOME": str(home), "PYTHONPATH": str(REPO),
                                                             **(env or {})}, timeout=600, borrow=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_init_writes_every_buggy_script_a_readme_in_the_learners_language_and_its_marker(tmp_path):
    done = checker("init", "--lang", "zh", cwd=tmp_path, home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / exercises.DEFAULT_FOLDER
    for scenario in load_all():
        assert (folder / "buggy_examples" / f"{scenario.id}.py").read_bytes() == scenario.buggy_path.read_bytes()
    assert "你的 torchdrill 练习" in (folder / "README.md").read_text(encoding="utf-8")
    assert exercises.find_root(folder / "buggy_examples") == folder.resolve()
    assert "cd torchdrill-exercises && checker next --lang zh" in done.stdout


def test_the_learners_path_runs_on_the_copies(tmp_path):
    home = tmp_path / "home"
    assert checker("init", "course", cwd=tmp_path, home=home).returncode == 0
    folder = tmp_path / "course"
    shipped = find("stray_break").buggy_path
    before = digest(shipped)

    suggested = checker("next", "--lang", "en", cwd=folder, home=home)
    assert "checker verify buggy_examples/stray_break.py" in suggested.stdout, suggested.stdout
    listed = json.loads(checker("list", "--json", cwd=folder, home=home).stdout)
    assert {row["id"]: row["buggy"] for row in listed}["stray_break"] == "buggy_examples/stray_break.py"

    wrong = checker("verify", "buggy_examples/stray_break.py", "--json", cwd=folder, home=home)
    assert wrong.returncode == 1, wrong.stdout[-2000:] + wrong.stderr[-2000:]
    shutil.copy(find("stray_break").solution_path, folder / "buggy_examples" / "stray_break.py")  # the fix
    right = checker("verify", "buggy_examples/stray_break.py", "--json", cwd=folder, home=home)
    assert right.returncode == 0, right.stdout[-2000:] + right.stderr[-2000:]
    listed = json.loads(checker("list", "--json", cwd=folder, home=home).stdout)
    assert {row["id"]: row["solved"] for row in listed}["stray_break"] is True

    reset = checker("reset", "stray_break", "--yes", cwd=folder / "buggy_examples", home=home)
    assert reset.returncode == 0, reset.stderr
    assert (folder / "buggy_examples" / "stray_break.py").read_bytes() == shipped.read_bytes()
    assert digest(shipped) == before  # the catalogue's own file was never written


def test_a_second_init_keeps_the_learners_work_unless_forced(tmp_path):
    home = tmp_path / "home"
    checker("init", "ex", cwd=tmp_path, home=home)
    mine = tmp_path / "ex" / "buggy_examples" / "zero_grad.py"
    mine.write_text(mine.read_text() + "# my work in progress\n")
    (tmp_path / "ex" / "buggy_examples" / "resume.py").unlink()
    again = checker("init", "ex", "--lang", "en", cwd=tmp_path, home=home)
    assert again.returncode == 0 and "zero_grad" in again.stdout and "--force" in again.stdout, again.stdout
    assert mine.read_text().endswith("# my work in progress\n")
    assert (tmp_path / "ex" / "buggy_examples" / "resume.py").is_file()  # what was missing comes back
    forced = checker("init", "ex", "--force", cwd=tmp_path, home=home)
    assert forced.returncode == 0
    assert mine.read_bytes() == find("zero_grad").buggy_path.read_bytes()
    (tmp_path / "file").write_text("")
    refused = checker("init", "file", "--lang", "en", cwd=tmp_path, home=home)
    assert refused.returncode == 2 and "is a file" in refused.stderr and "Traceback" not in refused.stderr


def test_an_instructors_scenarios_are_copied_too_and_an_installed_one_is_never_reset_in_place(tmp_path):
    course = tmp_path / "venv" / "lib" / "site-packages" / "course"  # where pip would have put it
    (course / "solutions").mkdir(parents=True)
    source = find("zero_grad")
    shutil.copy(source.buggy_path, course / "my_zero_grad.py")
    shutil.copy(source.solution_path, course / "solutions" / "my_zero_grad.py")
    (course / "my_zero_grad.toml").write_text(source.metadata_path.read_text().replace(
        'id = "zero_grad"', 'id = "my_zero_grad"'), encoding="utf-8")
    env = {"TORCHDRILL_SCENARIOS": str(course)}
    home = tmp_path / "home"
    assert exercises.needs_init(SimpleNamespace(buggy_path=course / "my_zero_grad.py"))
    refused = checker("reset", "my_zero_grad", "--yes", "--lang", "en", cwd=tmp_path, home=home, env=env)
    assert refused.returncode == 2 and "checker init" in refused.stderr, refused.stderr
    made = checker("init", cwd=tmp_path, home=home, env=env)
    assert made.returncode == 0, made.stderr
    copy = tmp_path / exercises.DEFAULT_FOLDER / "buggy_examples" / "my_zero_grad.py"
    assert copy.read_bytes() == (course / "my_zero_grad.py").read_bytes()
    copy.write_text("# changed\n")
    reset = checker("reset", "my_zero_grad", "--yes", cwd=copy.parent, home=home, env=env)
    assert reset.returncode == 0, reset.stderr
    assert copy.read_bytes() == (course / "my_zero_grad.py").read_bytes()
