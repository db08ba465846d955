"""Authoring: a new scenario added in a temporary folder with only the guide's steps and the CLI, proven by
selftest; `checker new` and selftest's metadata checks."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from checker.scenario import load
from checker.selftest import metadata_problems
from tests.conftest import REPO, run_python

GUIDE = REPO / "docs" / "authoring.md"
CAPTIONED = re.compile(r"\*\*`([\w.]+)`\*\*\n\n```\w*\n(.*?)```", re.S)


def guide_files(path: Path) -> dict[str, str]:
    """The files the guide asks the author to write: each code block under a **`file name`** caption."""
    return dict(CAPTIONED.findall(path.read_text(encoding="utf-8")))


def guide_bug_line() -> str:
    """The line step 2 of the guide says to delete from the buggy script."""
    text = GUIDE.read_text(encoding="utf-8")
    return re.search(r"delete this line from `train\(\)`:\n\n```python\n(.*?)```", text, re.S).group(1)


def checker(*args, cwd: Path, folder: Path | None = None):
    env = {"TORCHDRILL_SCENARIOS": str(folder)} if folder else None
    return run_python("-m", "checker", *args, cwd=cwd, env=env, timeout=900, borrow=True)


def test_the_guides_walk_through_adds_a_scenario_that_selftest_proves(tmp_path):
    course = tmp_path / "my_course"
    made = checker("new", "no_step", "--dir", "my_course", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    scaffold = load(course / "no_step.toml")
    problems = metadata_problems(scaffold)
    assert "the solution is identical to the buggy script" in problems
    assert any("TODO" in p for p in problems)

    buggy = course / "no_step.py"  # step 2: the bug
    source = buggy.read_text(encoding="utf-8")
    assert source.count(guide_bug_line()) == 1
    buggy.write_text(source.replace(guide_bug_line(), ""), encoding="utf-8")
    for name, content in guide_files(GUIDE).items():  # steps 4 and 5: the probe and the metadata
        (course / name).write_text(content, encoding="utf-8")

    proven = checker("selftest", "no_step", "--json", cwd=tmp_path, folder=course)
    (report,) = json.loads(proven.stdout)
    assert report["ok"], json.dumps(report, indent=1)
    assert proven.returncode == 0
    by_name = {c["name"]: c for c in report["cases"]}
    # With no optimizer step there is no training to watch: the built-in training probes say so and fail too.
    assert by_name["buggy script"]["failed_checks"] == ["steps_taken", "grads_zeroed", "train_mode", "accuracy"]
    assert by_name["solution"]["passed"] is True
    assert len(report["cases"]) == 4

    copy = tmp_path / "try" / "no_step.py"  # step 8: a student's copy, so that the buggy script stays as shipped
    copy.parent.mkdir()
    copy.write_bytes(buggy.read_bytes())
    verdict = checker("verify", "try/no_step.py", "--json", cwd=tmp_path, folder=course)
    steps = next(c for c in json.loads(verdict.stdout)["checks"] if c["id"] == "steps_taken")
    assert steps["passed"] is False and "optimizer steps for" in steps["message"]


def test_the_chinese_guide_has_the_same_files_and_steps():
    chinese = REPO / "docs" / "authoring.zh-CN.md"
    assert guide_files(chinese) == guide_files(GUIDE)
    commands = lambda p: re.findall(r"```bash\n(.*?)```", p.read_text(encoding="utf-8"), re.S)  # noqa: E731
    assert commands(chinese) == commands(GUIDE)


def test_new_from_a_solution_of_your_own(tmp_path):
    mine = tmp_path / "my_train.py"
    mine.write_text((REPO / "reference" / "solutions" / "reshape.py").read_text(encoding="utf-8"), encoding="utf-8")
    made = checker("new", "flatten_bug", "--from-solution", str(mine), "--dir", "course", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    scenario = load(tmp_path / "course" / "flatten_bug.toml")
    assert scenario.entry_points["model_class"] == "Network"
    assert scenario.solution_path.read_text(encoding="utf-8") == mine.read_text(encoding="utf-8")


@pytest.mark.parametrize("args, says", [
    (["new", "zero_grad", "--dir", "x"], "exists already"),
    (["new", "Bad-Id", "--dir", "x"], "not a usable id"),
    (["new", "fine_id", "--dir", "x", "--from-solution", "missing.py"], "cannot be read"),
    (["new", "fine_id", "--dir", "x", "--from-solution", "notes.txt"], "not a Python script"),
])
def test_new_refuses_bad_input_with_one_line(tmp_path, args, says):
    (tmp_path / "notes.txt").write_text("def (:\n", encoding="utf-8")
    done = checker(*args, cwd=tmp_path)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr


def test_new_never_overwrites_without_force(tmp_path):
    assert checker("new", "twice", "--dir", "c", cwd=tmp_path).returncode == 0
    again = checker("new", "twice", "--dir", "c", cwd=tmp_path, folder=tmp_path / "elsewhere")
    assert again.returncode == 2 and "--force" in again.stderr


def test_selftest_reports_unloadable_metadata_instead_of_stopping(tmp_path):
    assert checker("new", "typo", "--dir", "c", cwd=tmp_path).returncode == 0
    metadata = tmp_path / "c" / "typo.toml"
    metadata.write_text(metadata.read_text(encoding="utf-8").replace("tolerance = 0.05", "tolerence = 0.05"),
                        encoding="utf-8")
    done = checker("selftest", "typo", "--json", cwd=tmp_path, folder=tmp_path / "c")
    (report,) = json.loads(done.stdout)
    assert done.returncode == 1 and report["ok"] is False and report["cases"] == []
    assert "unknown field 'budget.tolerence'" in report["problems"][0]
