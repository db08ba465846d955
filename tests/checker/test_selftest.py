"""The CI gate for the catalogue: every scenario's buggy script fails, its solution passes, and every declared
variant gets its declared verdict, each run for real in the sandbox on the embedded MNIST subset."""
from __future__ import annotations

import json

from checker.scenario import load_all
from tests.conftest import lent_worker_env, run_python


def test_selftest_proves_every_scenario_and_variant():
    """--quick: a case that must fail is proven at the quick budget when a probe fails there (the slow test in
    test_quick_budget.py proves that verdict is the whole budget's); every case that must pass runs it all. A run
    another test of this test run made already (the hinted fixes are the solutions, byte for byte) is read back."""
    result = run_python("-m", "checker", "selftest", "--quick", "--json", timeout=3000, env=lent_worker_env())
    reports = json.loads(result.stdout)
    wrong = [(r["id"], r["problems"], [c for c in r["cases"] if not c["ok"]]) for r in reports if not r["ok"]]
    assert wrong == [], json.dumps(wrong, indent=1, ensure_ascii=False)
    assert result.returncode == 0
    assert {r["id"] for r in reports} == {s.id for s in load_all()}
    for report in reports:
        expected = 2 + len(next(s for s in load_all() if s.id == report["id"]).variants)
        assert len(report["cases"]) == expected
        by_name = {c["name"]: c for c in report["cases"]}
        assert by_name["buggy script"]["passed"] is False and by_name["solution"]["passed"] is True
    cases = [c for r in reports for c in r["cases"]]
    assert all(c["budget"] == "full" for c in cases if c["expect"] == "pass")
    assert sum(c["budget"] == "quick" for c in cases) >= 40


def test_selftest_reports_a_buggy_script_that_already_passes(tmp_path, monkeypatch):
    # An instructor's scenario whose "buggy" script is the solution must be rejected, not silently accepted.
    from checker.scenario import find

    source = find("zero_grad")
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "zero_grad_clone.py").write_text(source.solution_path.read_text())
    (tmp_path / "zero_grad_clone.py").write_text(source.solution_path.read_text())
    metadata = source.metadata_path.read_text().replace('id = "zero_grad"', 'id = "zero_grad_clone"')
    metadata = metadata.split("[[variants]]")[0]
    (tmp_path / "zero_grad_clone.toml").write_text(metadata)
    result = run_python("-m", "checker", "selftest", "zero_grad_clone", "--json",
                        env={"TORCHDRILL_SCENARIOS": str(tmp_path), **lent_worker_env()}, timeout=600)
    assert result.returncode == 1
    (report,) = json.loads(result.stdout)
    assert "the solution is identical to the buggy script" in report["problems"]
    buggy = next(c for c in report["cases"] if c["name"] == "buggy script")
    assert buggy["passed"] is True and buggy["ok"] is False


def test_selftest_shows_why_a_case_failed_and_the_end_of_a_crash(tmp_path):
    """A variant that crashes with a TypeError is 'expected to fail, failed', but for the wrong reason: the
    instructor sees each failing check's message and the crash's traceback, in text and in JSON, in Chinese too."""
    from checker.scenario import find

    source = find("stray_break")
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "crashy.py").write_text(source.solution_path.read_text())
    (tmp_path / "crashy.py").write_text(source.buggy_path.read_text())
    metadata = source.metadata_path.read_text().replace('id = "stray_break"', 'id = "crashy"')
    metadata = metadata.split("[[variants]]")[0] + '''
[[variants]]
name = "a typo that crashes"
base = "solution"
replace = [["def train(", "def train(typo, "]]
expect = "fail"

[[variants]]
name = "the solution again"
base = "solution"
replace = []
expect = "pass"
'''
    (tmp_path / "crashy.toml").write_text(metadata)
    env = {"TORCHDRILL_SCENARIOS": str(tmp_path), "COLUMNS": "250", **lent_worker_env()}  # the second reads back
    result = run_python("-m", "checker", "selftest", "crashy", "--quick", "--json", env=env, timeout=600)
    (report,) = json.loads(result.stdout)
    crash = next(c for c in report["cases"] if c["name"] == "variant: a typo that crashes")
    assert crash["ok"] is True and "TypeError" in crash["messages"]["runs"] and "TypeError" in crash["traceback"]
    text = run_python("-m", "checker", "selftest", "crashy", "--quick", "--lang", "zh", env=env, timeout=600)
    assert "脚本崩溃了（TypeError" in text.stdout and "应当失败" in text.stdout and "个用例" in text.stdout
    assert "TypeError: train() missing" in text.stdout  # the traceback's tail
