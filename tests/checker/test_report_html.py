"""The HTML class report (`checker grade --report`): its numbers (pure functions over hand-made grades), its escaping
of what students control, the page in headless Chromium, the CLI's refusal of a path it cannot write, and the
screenshot tool. The report of a real grading run is checked in test_grading.py."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from checker.grading import export, stats
from checker.grading.grade import Grade, GradedCheck
from checker.grading.report_html import render, sparkline, write_report
from checker.scenario import find
from tests.browser import facts, load, loaded_cleanly, require_chromium
from tests.conftest import REPO, run_python

SCENARIO = find("zero_grad")
CHECKS = SCENARIO.check_ids()  # runs, grads_zeroed, ..., accuracy
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_MESSAGE = '"><img src=x onerror="document.title=\'pwned\'"> & <b>bold</b>'
LOSS = [[10 * i, 2.3 * 0.97 ** i] for i in range(200)]


def grade(student: str, score: float, failing: dict[str, str] | None = None, status: str | None = None,
          curves: dict | None = None, max_score: float = 10.0) -> Grade:
    """A grade on CHECKS; `failing` maps a failing check to its message (each failing check at line 7)."""
    failing = failing or {}
    checks = tuple(GradedCheck(c, c not in failing, 0.0 if c in failing else 1.0, 1.0, failing.get(c, "ok"),
                               7 if c in failing else None) for c in CHECKS)
    return Grade(student=student, submission=f"{student}.py", scenario=SCENARIO.id,
                 status=status or ("fixed" if not failing else "not_fixed"), passed=not failing, score=score,
                 max_score=max_score, checks=checks, accuracy=0.95 if status != "invalid" else None,
                 reference_accuracy=0.97, duration_s=2.0, curves=curves)


def test_histogram_counts_every_score_once_over_zero_to_max():
    whole = stats.histogram([0, 3, 3, 10, 10, 10], 10)
    assert [b.label for b in whole] == [str(k) for k in range(11)]  # whole scores: a bin per point
    assert {b.label: b.count for b in whole if b.count} == {"0": 1, "3": 2, "10": 3}
    halves = stats.histogram([0, 0.5, 4.9, 5, 9.5, 10, 12], 10)  # not whole: ten equal bins, the last closed
    assert [b.count for b in halves] == [2, 0, 0, 0, 1, 1, 0, 0, 0, 3] and halves[-1].label == "9–10"
    assert sum(b.count for b in stats.histogram([1.5] * 4, 3)) == 4
    assert stats.histogram([0, 0], 0) == [stats.Bin(0.0, 0.0, 2)]
    assert len(stats.histogram(list(range(31)), 30)) == 10  # too many points for a bin each


def test_pass_rates_follow_the_scenario_order():
    grades = [grade("ada", 10), grade("ben", 8, {"grads_zeroed": "a", "accuracy": "b"}),
              grade("cai", 9, {"accuracy": "c"})]
    rates = stats.pass_rates(grades, CHECKS)
    assert [r.check for r in rates] == CHECKS
    by_check = {r.check: (r.passed, r.total) for r in rates}
    assert by_check["runs"] == (3, 3) and by_check["grads_zeroed"] == (2, 3) and by_check["accuracy"] == (1, 3)
    assert stats.pass_rates([], ["runs"]) == [stats.PassRate("runs", 0, 0)] and stats.PassRate("x", 0, 0).rate is None


def test_top_failures_most_failed_first_with_their_most_common_message():
    grades = [grade("a", 0, {"accuracy": "low", "grads_zeroed": "not cleared", "runs": "crashed"}),
              grade("b", 0, {"accuracy": "lower", "grads_zeroed": "not cleared"}),
              grade("c", 0, {"accuracy": "lower", "train_mode": "eval"}),
              grade("d", 0, {"eval_mode": "train"})]
    top = stats.top_failures(grades, 10, CHECKS)
    # accuracy 3, grads_zeroed 2, then the ones in the scenario's order (runs, train_mode, eval_mode)
    assert [(f.check, f.count) for f in top] == [("accuracy", 3), ("grads_zeroed", 2), ("runs", 1),
                                                 ("train_mode", 1), ("eval_mode", 1)]
    assert (top[0].message, top[0].message_count) == ("lower", 2)
    assert [f.check for f in stats.top_failures(grades, 2, CHECKS)] == ["accuracy", "grads_zeroed"]
    assert stats.top_failures([grade("ada", 10)], 10, CHECKS) == []


def test_summary_counts_the_fixed_and_averages_the_scores():
    summary = stats.summarize([grade("a", 10), grade("b", 4, {"accuracy": "x"}), grade("c", 1, {"runs": "x"})])
    assert (summary.submissions, summary.fixed, summary.mean, summary.median, summary.max_score) == (3, 1, 5, 4, 10)
    assert stats.summarize([]).mean is None


def test_curves_are_in_the_json_only_when_there_are_some(tmp_path):
    plain, drawn = grade("ada", 10), grade("ben", 10, curves={"loss": [[1, 2.0], [2, None]], "accuracy": [[1, 0.9]]})
    assert "curves" not in plain.to_dict() and drawn.to_dict()["curves"]["loss"] == [[1, 2.0], [2, None]]
    export.write_json([plain, drawn], tmp_path / "grades.json")
    export.write_csv([plain, drawn], tmp_path / "grades.csv")
    assert [g.get("curves") for g in json.loads((tmp_path / "grades.json").read_text())] == \
        [None, {"loss": [[1, 2.0], [2, None]], "accuracy": [[1, 0.9]]}]
    assert [r["student"] for r in csv.DictReader((tmp_path / "grades.csv").open())] == ["ada", "ben"]


def test_everything_a_student_controls_is_escaped():
    page = render([grade(HOSTILE_NAME, 3, {"accuracy": HOSTILE_MESSAGE}), grade("ada", 10)], SCENARIO)
    assert HOSTILE_NAME not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "<b>" not in page and "&lt;img src=x onerror=&quot;document.title" in page
    assert page.count("<script>") == 1  # the page's own
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for fetch in ("src=", "href=", "url(", "@import", "http:", "https:"):  # nothing loads from anywhere
        assert fetch not in page.replace("&lt;img src=x", ""), fetch


def test_sparkline_draws_gaps_and_only_where_there_are_curves():
    with_gap = sparkline([[0, 2.0], [1, 1.5], [2, None], [3, 1.0], [4, 0.8]], [[0, 2.0], [4, 0.5]])
    student = with_gap.split('class="student" d="')[1].split('"')[0]
    assert student.count("M") == 2 and "reference" in with_gap  # the NaN splits the line in two
    assert sparkline([]) == "" and sparkline([[0, None]], None).count("<path") == 0
    assert len(sparkline(LOSS, LOSS)) < 3000  # 200 points drawn with at most 60
    assert "<svg class=\"spark\"" not in render([grade("ada", 10)], SCENARIO)
    page = render([grade("ada", 10, curves={"loss": LOSS, "accuracy": []}), grade("ben", 2, {"runs": "x"})],
                  SCENARIO, reference_curves={"loss": LOSS})
    assert page.count("<svg class=\"spark\"") == 1 and "training loss" in page


def test_labels_follow_the_language():
    page = render([grade("ada", 10)], SCENARIO, "zh", generated=datetime(2024, 5, 1, 9, 30))
    assert 'lang="zh"' in page and "分数分布" in page and "2024-05-01 09:30" in page


def class_report(path: Path) -> list[Grade]:
    """A report of four students (one hostile, one never run, curves with a NaN gap) written to `path`."""
    grades = [grade("ada", 10, curves={"loss": LOSS, "accuracy": [[1, 0.95]]}),
              grade(HOSTILE_NAME, 7, {"grads_zeroed": HOSTILE_MESSAGE, "accuracy": "too low"},
                    curves={"loss": [[10 * i, None if i > 30 else 2.3 * 1.2 ** i] for i in range(60)],
                            "accuracy": []}),
              grade("cai", 7, {"accuracy": "too low"}),
              grade("eva", 0, {c: "no Python file" for c in CHECKS}, status="invalid")]
    write_report(grades, SCENARIO, path, reference_curves={"loss": LOSS})
    return grades


def test_the_report_loads_cleanly_in_chromium_and_sorts(tmp_path):
    require_chromium()
    class_report(tmp_path / "class.html")
    shown = facts(loaded_cleanly(tmp_path / "class.html"))
    assert shown.students == ["ada", HOSTILE_NAME, "cai", "eva"] and shown.cells[1][0] == HOSTILE_NAME
    assert shown.scripts == 1 and shown.title == "Grades: zero_grad"  # the hostile name stayed text
    assert {k: v for k, v in shown.bins.items() if v} == {"0": 1, "7": 2, "10": 1}
    assert shown.rates["accuracy"] == "1/4 (25%)" and shown.rates["runs"] == "3/4 (75%)"
    assert shown.failures[0] == ("accuracy", 3)
    assert shown.summary["submissions"] == "4" and shown.summary["fixed"] == "1 / 4"
    assert shown.summary["mean"] == "6 / 10" and shown.summary["median"] == "7 / 10"
    by_score = facts(loaded_cleanly(tmp_path / "class.html", "#sort=-score"))
    assert by_score.students[0] == "ada" and by_score.students[-1] == "eva"
    by_name = facts(loaded_cleanly(tmp_path / "class.html", "#sort=-student"))
    assert by_name.students == ["eva", "cai", "ada", HOSTILE_NAME]


def test_the_console_check_sees_a_script_error(tmp_path):
    # The check above is only worth something if a broken page fails it: a script error, a blocked load.
    require_chromium()
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\""
                    "default-src 'none'; script-src 'unsafe-inline'\"></head><body><img src=\"http://example.com/x.png\">"
                    "<script>undefinedFunction();</script></body></html>")
    _, console = load(page)
    assert any("Uncaught ReferenceError" in line for line in console), console
    assert any("Content Security Policy" in line for line in console), console


def test_grade_refuses_a_report_path_it_cannot_write(tmp_path):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ada.py").write_text("print('hi')\n")
    (tmp_path / "a_file").write_text("")
    for target, says in ((tmp_path, "is a folder"), (tmp_path / "a_file" / "class.html", "is a file, not a folder")):
        done = run_python("-m", "checker", "grade", str(tmp_path / "class"), "--scenario", "zero_grad", "--report",
                          str(target), cwd=tmp_path, timeout=120)
        assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_the_screenshot_tool_writes_a_png(tmp_path):
    require_chromium()
    class_report(tmp_path / "class.html")
    done = subprocess.run([sys.executable, "tools/screenshot_report.py", str(tmp_path / "class.html"), "--height",
                           "900"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    png = Path(done.stdout.strip())
    assert png == tmp_path / "class.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
