"""The run ledger (checker/ledger.py) names each run by what it ran, so that bench/bench_tests.py can count the
runs a test run repeats."""
from __future__ import annotations

import json
import subprocess
import sys

from checker import ledger
from tests.conftest import REPO


def test_a_run_key_changes_with_the_source_and_with_what_the_run_is_told():
    key = ledger.run_key(b"print(1)\n", "a.py", ["zero_grad"], None)
    assert len(key) == 64 and key == ledger.run_key(b"print(1)\n", "a.py", ["zero_grad"], None)
    assert key != ledger.run_key(b"print(2)\n", "a.py", ["zero_grad"], None)
    assert key != ledger.run_key(b"print(1)\n", "a.py", ["zero_grad"], 20)  # the quick budget is another run


def test_bench_tests_counts_the_runs_a_test_run_repeats(tmp_path):
    report = tmp_path / "report"
    report.mkdir()
    (report / "junit.xml").write_text(
        '<testsuites><testsuite><testcase classname="tests.a" name="one" time="3.0"/>'
        '<testcase classname="tests.b" name="two" time="2.0"/></testsuite></testsuites>')
    runs = [("one", "k1", 2.0), ("two", "k1", 1.5), ("two", "k1", 1.0), ("one", "k2", 4.0)]
    (report / "ledger.jsonl").write_text("".join(
        json.dumps({"event": "run", "test": f"tests/a.py::{test}", "child": "harness", "launcher": "WarmWorker",
                    "seconds": seconds, "key": key}) + "\n" for test, key, seconds in runs))
    result = subprocess.run([sys.executable, str(REPO / "bench" / "bench_tests.py"), str(report)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "runs repeated: 2 repeats took 2.5 s" in result.stdout  # k1 three times: the two shortest are repeats
    assert "3x k1" in result.stdout and "k2" not in result.stdout.split("runs repeated")[1].split("torch runs")[0]
    assert "script runs repeated (the same key again)" in result.stdout
