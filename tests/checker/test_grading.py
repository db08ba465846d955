"""Grading a class: a mixed batch (fixed, wrong, hostile, timing out, unusable) through the real CLI, the files
it writes for course platforms and the class report, and the per-submission unit run on its own."""
from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

from checker.scenario import find
from tests.browser import dom_or_source, facts
from tests.conftest import REPO, run_python

HOSTILE = REPO / "tests" / "fixtures" / "hostile"
TOP_LEVEL = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
             "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
               "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def assert_gradescope_results(data: dict) -> None:
    """Only the fields Gradescope's autograder specification documents, with their types and values."""
    assert set(data) <= TOP_LEVEL, set(data) - TOP_LEVEL
    assert isinstance(data["score"], (int, float)) and isinstance(data["execution_time"], int)
    assert isinstance(data["output"], str) and data["visibility"] in VISIBILITY
    assert data["stdout_visibility"] in VISIBILITY
    for test in data["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        assert isinstance(test["name"], str) and isinstance(test["number"], str) and isinstance(test["output"], str)
        assert 0 <= test["score"] <= test["max_score"] and test["status"] in ("passed", "failed")
        assert test["visibility"] in VISIBILITY and all(isinstance(t, str) for t in test["tags"])
        assert (test["status"] == "passed") == (test["score"] == test["max_score"] > 0)
    assert data["score"] == sum(t["score"] for t in data["tests"])


PLAIN_LOOP = ("import time\n\nfrom reference.models import Net\n\n\n"
              "def train(*args):\n    pass\n\n\ndef test(*args):\n    pass\n\n\n"
              "def main():\n    while True:  # waits out the timeout without holding a core other tests need\n"
              "        time.sleep(0.5)\n")


def make_class(folder: Path) -> dict[str, str]:
    """A synthetic class for zero_grad; each student's expected status."""
    scenario = find("zero_grad")
    folder.mkdir()
    shutil.copy(scenario.solution_path, folder / "ada.py")
    shutil.copy(scenario.buggy_path, folder / "ben.py")
    wrong = scenario.solution_path.read_text().replace("        optimizer.zero_grad()\n", "")
    wrong = wrong.replace("    network.train()\n", "    network.train()\n    optimizer.zero_grad()\n")
    (folder / "cai.py").write_text(wrong)  # zero_grad() once per epoch: a wrong fix
    (folder / "dan").mkdir()
    shutil.copy(scenario.solution_path, folder / "dan" / "zero_grad.py")
    (folder / "dan" / "notes.py").write_text("print('my notes')\n")
    (folder / "eva").mkdir()  # a folder with nothing to run
    (folder / "fay.py").write_text("def main(:\n")
    (folder / "abe.py").write_text(PLAIN_LOOP)  # first in name order: its wait overlaps everyone else's run
    shutil.copy(HOSTILE / "kill_parent.py", folder / "hal.py")
    shutil.copy(HOSTILE / "print_pass.py", folder / "ivy.py")
    return {"ada": "fixed", "ben": "not_fixed", "cai": "not_fixed", "dan": "fixed", "eva": "invalid",
            "fay": "invalid", "abe": "timeout", "hal": "needs_review", "ivy": "not_fixed"}


def test_a_mixed_batch_gets_every_verdict_right_and_writes_json_csv_gradescope_and_the_report(tmp_path):
    expected = make_class(tmp_path / "class")
    out = tmp_path / "out"
    done = run_python("-m", "checker", "grade", str(tmp_path / "class"), "--scenario", "zero_grad", "--jobs", "2",
                      # 20 s: the endless loop waits it out while the other job grades the rest, and a full run
                      # (about 3 s alone) keeps room beside other tests' torch runs
                      "--timeout", "20", "--json", str(out / "grades.json"), "--csv", str(out / "grades.csv"),
                      "--gradescope", str(out / "gradescope"), "--report", str(out / "class.html"), cwd=tmp_path,
                      timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    grades = {g["student"]: g for g in json.loads((out / "grades.json").read_text())}
    assert {name: g["status"] for name, g in grades.items()} == expected
    max_score = grades["ada"]["max_score"]
    weights = find("zero_grad").grading
    assert max_score == sum(weights.weight(c) for c in find("zero_grad").check_ids())
    assert grades["ada"]["score"] == grades["dan"]["score"] == max_score
    assert 0 < grades["ben"]["score"] < max_score  # partial credit: it runs, and most probes hold
    assert [c["id"] for c in grades["ben"]["checks"] if not c["passed"]] == ["grads_zeroed", "accuracy"]
    for name in ("abe", "eva", "fay", "hal"):
        assert grades[name]["score"] == 0
    # Printing "PASS" without training earns the point for running and nothing else: probes that saw no
    # training or evaluation do not pass by default.
    assert grades["ivy"]["score"] == weights.weight("runs")
    assert all("Not observed" in c["message"] for c in grades["ivy"]["checks"] if c["id"] not in ("runs", "accuracy"))
    assert "no Python file" in grades["eva"]["message"] and "syntax error" in grades["fay"]["message"]

    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert [r["student"] for r in rows] == sorted(expected)
    assert {r["student"]: float(r["score"]) for r in rows} == {n: g["score"] for n, g in grades.items()}

    for name, grade in grades.items():
        results = json.loads((out / "gradescope" / name / "results.json").read_text())
        assert_gradescope_results(results)
        assert results["score"] == grade["score"]

    # The class report, from the same grades: in Chromium where it is installed (always in CI).
    assert f"Report: {out / 'class.html'}" in done.stderr
    shown = facts(dom_or_source(out / "class.html"))
    assert shown.students == sorted(expected) and shown.summary["submissions"] == str(len(expected))
    assert {label: n for label, n in shown.bins.items() if n} == Counter(f"{g['score']:g}" for g in grades.values())
    runs = sum(c["passed"] for g in grades.values() for c in g["checks"] if c["id"] == "runs")
    assert shown.rates["runs"] == f"{runs}/{len(expected)} ({100 * runs / len(expected):.0f}%)"
    assert shown.summary["fixed"] == f"2 / {len(expected)}"


def test_the_unit_grades_one_submission_on_its_own(tmp_path):
    # A fresh process, another folder, an empty cache: the path and the scenario id are all it needs.
    submission = tmp_path / "work" / "student_7.py"
    submission.parent.mkdir()
    shutil.copy(find("stray_break").buggy_path, submission)
    done = run_python("-m", "checker.grading.unit", str(submission), "--scenario", "stray_break", cwd=tmp_path,
                      env={"TORCHDRILL_HOME": str(tmp_path / "fresh_home"), "TORCHDRILL_REFERENCE_CACHE": ""},
                      timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    grade = json.loads(done.stdout)
    assert (grade["student"], grade["status"], grade["passed"]) == ("student_7", "not_fixed", False)
    assert {c["id"]: c["passed"] for c in grade["checks"]}["full_epochs"] is False
    assert (tmp_path / "fresh_home" / "reference_results.json").is_file()  # it computed its own reference


def test_grade_one_writes_a_gradescope_results_file(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(find("zero_grad").solution_path, submission / "zero_grad.py")
    results = tmp_path / "results" / "results.json"
    done = run_python("-m", "checker", "grade-one", str(submission), "--scenario", "zero_grad", "--gradescope",
                      str(results), cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "fixed"
    data = json.loads(results.read_text())
    assert_gradescope_results(data)
    assert data["score"] == json.loads(done.stdout)["max_score"]


def test_grade_refuses_bad_input_with_one_line(tmp_path):
    for args, says in ((["grade", str(tmp_path / "nope"), "--scenario", "zero_grad"], "no such file"),
                       (["grade", str(tmp_path), "--scenario", "zero_grad"], "no submissions"),
                       (["grade", str(tmp_path), "--scenario", "no_such_scenario"], "unknown scenario")):
        done = run_python("-m", "checker", *args, cwd=tmp_path, timeout=120)
        assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr, done.stderr
