"""Progress as rustlings keeps it: only your own fix counts, `list` reveals a solution once it is solved, `next`
names the first unsolved scenario, and `reset` restores a buggy script as shipped. Every command runs for real in a
subprocess, with TORCHDRILL_HOME in a temporary folder; a test that edits or resets a script works on a copy of
buggy_examples/ (the current folder comes first on `python -m`'s path, so the copy is the package it imports)."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from checker.pristine import is_shipped_solution, pristine_source
from checker.scenario import find, load, load_all
from checker.selftest import metadata_problems
from tests.conftest import REPO, run_python

IDS = [s.id for s in load_all()]  # catalogue order, as `checker list` shows them: beginner bugs first
WIDE = {"COLUMNS": "250"}  # rich wraps at 80 columns when it is not on a terminal


def checker(*args, home, cwd=None, **env):
    return run_python("-m", "checker", *args, env={"TORCHDRILL_HOME": str(home), **WIDE, **env}, cwd=cwd,
                      borrow=True)


def seed(home, solved=(), hints=None):
    """Progress as `verify` and `hint` save it."""
    (home / "state").mkdir(parents=True, exist_ok=True)
    state = {"solved": {i: "2026-01-01T00:00:00" for i in solved}, "hints": hints or {}}
    (home / "state" / "checker.json").write_text(json.dumps(state))


def listed(home, **kwargs) -> dict:
    done = checker("list", "--json", home=home, **kwargs)
    assert done.returncode == 0, done.stderr
    return {row["id"]: row for row in json.loads(done.stdout)}


def one_line(text: str) -> str:
    return " ".join(text.split())


# The pristine copy: the solution with the TOML's `bug` replacements applied.

def test_the_bug_replacements_rebuild_every_shipped_buggy_script_byte_for_byte():
    assert len(IDS) == 13
    for scenario in load_all():
        assert scenario.bug, f"{scenario.id} declares no bug"
        assert pristine_source(scenario) == scenario.buggy_path.read_bytes(), scenario.id


def test_a_buggy_script_that_drifts_from_its_bug_is_a_selftest_problem(tmp_path):
    source = find("zero_grad")
    shutil.copy(source.metadata_path, tmp_path / "zero_grad.toml")
    (tmp_path / "zero_grad.py").write_bytes(source.buggy_path.read_bytes() + b"# drifted\n")
    problems = metadata_problems(load(tmp_path / "zero_grad.toml"))
    drifted = f"line {len(source.buggy_path.read_bytes().splitlines()) + 1}"
    assert any("byte for byte" in p and drifted in p for p in problems), problems


def test_only_the_solution_file_itself_is_the_solution_not_a_copy_of_its_code(tmp_path):
    """Most bugs are one line, so a learner's right fix usually is the solution, byte for byte: it is theirs."""
    scenario = find("stray_break")
    mine = tmp_path / "stray_break.py"
    shutil.copy(scenario.solution_path, mine)
    assert is_shipped_solution(scenario.solution_path, scenario)
    assert not is_shipped_solution(mine, scenario) and not is_shipped_solution(scenario.buggy_path, scenario)


def test_the_catalogue_starts_with_the_visible_bugs_and_ends_with_the_least_visible():
    assert IDS[0] == "stray_break" and IDS[-1] == "checkpoint"
    assert [s.order for s in load_all()] == sorted(s.order for s in load_all())


# verify: real runs: the solution file itself, a learner's copy of its code, then a failing run.

def test_the_solution_file_passes_but_only_your_own_file_counts_and_a_failure_clears_the_mark(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    solution = find("zero_grad").solution_path
    verified = checker("verify", str(solution), "--lang", "en", home=home)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "This is the scenario's solution file itself" in one_line(verified.stdout)
    rows = listed(home)
    assert rows["zero_grad"]["solved"] is False and "solution" not in rows["zero_grad"]

    mine = tmp_path / "zero_grad.py"
    shutil.copy(solution, mine)  # the fix the last hint spells out is the solution's code, byte for byte
    fixed = checker("verify", str(mine), "--json", home=home)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    verdict = json.loads(fixed.stdout)
    assert verdict["passed"] is True and verdict["counts_as_solved"] is True
    rows = listed(home)
    assert rows["zero_grad"]["solved"] is True
    assert rows["zero_grad"]["solution"].endswith(os.path.join("reference", "solutions", "zero_grad.py"))
    assert [i for i, row in rows.items() if "solution" in row] == ["zero_grad"]

    shutil.copy(REPO / "tests" / "fixtures" / "hostile" / "print_pass.py", mine)  # trains nothing: fails fast
    failed = checker("verify", str(mine), "--json", home=home)
    assert failed.returncode == 1 and json.loads(failed.stdout)["counts_as_solved"] is False
    assert listed(home)["zero_grad"]["solved"] is False  # `list` shows where the learner is now


# list and next, on saved progress.

def test_list_hides_the_solutions_until_solved_and_counts_them(tmp_path):
    seed(tmp_path, solved=["reshape"], hints={"data_split": 2, "reshape": 1})
    rows = listed(tmp_path)
    assert list(rows) == IDS
    assert [i for i, row in rows.items() if "solution" in row] == ["reshape"]
    assert rows["data_split"]["hints_shown"] == 2 and rows["data_split"]["solved"] is False
    assert rows["zero_grad"]["buggy"] == os.path.join("buggy_examples", "zero_grad.py")
    english = checker("list", "--lang", "en", home=tmp_path)
    assert english.returncode == 0, english.stderr
    assert "1/13 solved" in english.stdout and "2 hint(s) used" in english.stdout
    assert "solved, 1 hint(s) used" in english.stdout and "shown once solved" in english.stdout
    assert os.path.join("reference", "solutions", "reshape.py") in english.stdout
    assert os.path.join("solutions", "zero_grad.py") not in english.stdout
    chinese = checker("list", "--lang", "zh", home=tmp_path)
    assert "已完成 1/13" in chinese.stdout and "完成后显示" in chinese.stdout and "已看 2 条提示" in chinese.stdout


def test_next_names_the_first_unsolved_scenario_and_how_to_start_it(tmp_path):
    first = checker("next", "--lang", "en", home=tmp_path)
    assert first.returncode == 0, first.stderr
    script = os.path.join("buggy_examples", f"{IDS[0]}.py")
    assert f"Next: {IDS[0]}: {find(IDS[0]).title.en} (0/13 solved)" in first.stdout
    for command in (f"python {script}", f"checker verify {script}", f"checker hint {IDS[0]}"):
        assert command in first.stdout
    assert f"checker verify {script} --lang zh" in checker("next", "--lang", "zh", home=tmp_path).stdout
    seed(tmp_path, solved=IDS[:1] + IDS[2:5])
    assert f"Next: {IDS[1]}:" in checker("next", "--lang", "en", home=tmp_path).stdout
    chinese = checker("next", "--lang", "zh", home=tmp_path).stdout
    assert f"下一个：{IDS[1]}：{find(IDS[1]).title.zh}（已完成 4/13）" in chinese and "卡住了？" in chinese
    seed(tmp_path, solved=IDS)
    done = checker("next", "--lang", "en", home=tmp_path)
    assert done.returncode == 0 and "All 13 scenarios are solved" in done.stdout
    assert "checker lint train.py" in done.stdout and "quiz list" in done.stdout  # what to do next
    assert "全部 13 个场景都已完成" in checker("next", "--lang", "zh", home=tmp_path).stdout


# reset, on a copy of buggy_examples/.

@pytest.fixture
def course(tmp_path):
    """A copy of buggy_examples/ in a folder of its own; the repository's stays as it is (checked after)."""
    shipped = hashlib.sha256((REPO / "buggy_examples" / "zero_grad.py").read_bytes()).hexdigest()
    folder = tmp_path / "course"
    shutil.copytree(REPO / "buggy_examples", folder / "buggy_examples", ignore=shutil.ignore_patterns("__pycache__"))
    yield folder
    assert hashlib.sha256((REPO / "buggy_examples" / "zero_grad.py").read_bytes()).hexdigest() == shipped


def edit(course) -> bytes:
    script = course / "buggy_examples" / "zero_grad.py"
    script.write_bytes(script.read_bytes().replace(b"        loss.backward()\n",
                                                   b"        optimizer.zero_grad()\n        loss.backward()\n"))
    return script.read_bytes()


def test_reset_restores_the_script_as_shipped_with_yes_and_clears_its_progress(course, tmp_path):
    home = tmp_path / "home"
    script = course / "buggy_examples" / "zero_grad.py"
    seed(home, hints={"zero_grad": 3})
    already = checker("reset", "zero_grad", "--lang", "en", home=home, cwd=course)
    assert already.returncode == 0 and "already as shipped" in already.stdout
    assert listed(home, cwd=course)["zero_grad"]["hints_shown"] == 0  # hints cleared, the file as it was
    edited = edit(course)
    seed(home, solved=["zero_grad", "reshape"], hints={"zero_grad": 3, "reshape": 1})
    refused = checker("reset", "zero_grad", "--lang", "en", home=home, cwd=course)  # stdin is not a terminal
    assert refused.returncode == 2 and "--yes" in refused.stderr and "Traceback" not in refused.stderr
    assert script.read_bytes() == edited
    assert "--yes" in checker("reset", "zero_grad", "--lang", "zh", home=home, cwd=course).stderr
    done = checker("reset", "zero_grad", "--yes", "--lang", "en", home=home, cwd=course)
    assert done.returncode == 0 and "back to its buggy version" in done.stdout, done.stderr
    assert script.read_bytes() == (REPO / "buggy_examples" / "zero_grad.py").read_bytes()
    rows = listed(home, cwd=course)
    assert (rows["zero_grad"]["solved"], rows["zero_grad"]["hints_shown"]) == (False, 0)
    assert (rows["reshape"]["solved"], rows["reshape"]["hints_shown"]) == (True, 1)
    again = checker("reset", "zero_grad", "-y", "--lang", "zh", home=home, cwd=course)
    assert again.returncode == 0 and "已经是发布时的版本" in again.stdout


@pytest.mark.parametrize("answer, code, restored", [(b"n\n", 1, False), (b"y\n", 0, True)])
def test_reset_asks_first_on_a_terminal(course, tmp_path, answer, code, restored):
    pty = pytest.importorskip("pty")
    edited = edit(course)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "checker", "reset", "zero_grad", "--lang", "en"],
                                   cwd=course, stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={**os.environ, "TORCHDRILL_HOME": str(tmp_path / "home")})
        os.write(controller, answer)
        out, err = process.communicate(timeout=120)
    finally:
        os.close(terminal)
        os.close(controller)
    assert process.returncode == code, err
    assert b"Restore buggy_examples/zero_grad.py to its buggy version as shipped?" in out
    script = (course / "buggy_examples" / "zero_grad.py").read_bytes()
    assert script == ((REPO / "buggy_examples" / "zero_grad.py").read_bytes() if restored else edited)


def test_reset_refuses_an_unknown_scenario_and_one_without_a_pristine_copy(tmp_path):
    unknown = checker("reset", "no_such_thing", "--yes", home=tmp_path)
    assert unknown.returncode == 2 and "unknown scenario" in unknown.stderr and "zero_grad" in unknown.stderr
    source = find("zero_grad")
    (tmp_path / "solutions").mkdir()
    shutil.copy(source.solution_path, tmp_path / "solutions" / "undeclared.py")
    shutil.copy(source.buggy_path, tmp_path / "undeclared.py")
    metadata = source.metadata_path.read_text(encoding="utf-8").replace('id = "zero_grad"', 'id = "undeclared"')
    (tmp_path / "undeclared.toml").write_text(re.sub(r"\nbug = \[\n.*?\n\]\n", "\n", metadata, flags=re.S),
                                              encoding="utf-8")
    assert load(tmp_path / "undeclared.toml").bug is None
    refused = checker("reset", "undeclared", "--yes", "--lang", "en", home=tmp_path, TORCHDRILL_SCENARIOS=str(tmp_path))
    assert refused.returncode == 2 and "declares no pristine copy" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
