"""The checker's commands, run as real subprocesses on the real scenarios."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from checker.scenario import find
from tests.conftest import REPO, run_python, shared_runs_env


def checker(*args, **kwargs):
    return run_python("-m", "checker", *args, borrow=True, **kwargs)


def test_help_lists_the_commands_without_importing_torch():
    probe = "import sys; from checker.cli import main; sys.argv=['checker','--help']\ntry:\n    main()\n" \
            "except SystemExit:\n    pass\nprint('torch' in sys.modules)"
    result = run_python("-c", probe)
    assert result.stdout.strip().endswith("False")
    for command in ("verify", "list", "hint", "watch", "selftest"):
        assert command in result.stdout


def test_list_json_has_ids_titles_paths_and_progress(tmp_path):
    result = checker("list", "--json", "--lang", "zh", env={"TORCHDRILL_HOME": str(tmp_path)})  # nothing solved yet
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["zero_grad"]["title"] == find("zero_grad").title.zh
    assert rows["zero_grad"]["buggy"].endswith("zero_grad.py") and rows["zero_grad"]["solved"] is False


def test_hint_gives_one_more_hint_each_call_and_remembers(tmp_path):
    env = {"TORCHDRILL_HOME": str(tmp_path)}
    hints = find("zero_grad").hints
    shown = [checker("hint", "zero_grad", "--lang", "en", env=env).stdout for _ in range(len(hints) + 1)]
    for i, hint in enumerate(hints):
        assert hint.en in shown[i] and f"Hint {i + 1}/{len(hints)}" in shown[i]
    assert hints[-1].en in shown[-1] and "last hint" in shown[-1]
    assert "reset" in checker("hint", "zero_grad", "--reset", env=env).stdout
    assert hints[0].zh in checker("hint", "zero_grad", "--lang", "zh", env=env).stdout


def test_unknown_scenario_and_missing_file_are_input_errors():
    unknown = checker("hint", "no_such_thing")
    assert unknown.returncode == 2 and "unknown scenario" in unknown.stderr and "zero_grad" in unknown.stderr
    missing = checker("verify", "does/not/exist.py")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    anonymous = checker("verify", str(REPO / "tests" / "fixtures" / "hostile" / "print_pass.py"))
    assert anonymous.returncode == 2 and "--scenario" in anonymous.stderr


def test_verify_buggy_then_solution_json(tmp_path):
    s = find("zero_grad")
    buggy = checker("verify", str(s.buggy_path), "--json")
    assert buggy.returncode == 1, buggy.stderr
    verdict = json.loads(buggy.stdout)
    assert set(verdict) >= {"scenario", "passed", "checks", "accuracy", "duration_s"}
    assert set(verdict["accuracy"]) == {"student", "reference", "tolerance"}
    failed = {c["id"]: c for c in verdict["checks"] if not c["passed"]}
    assert set(failed) == {"grads_zeroed", "accuracy"}
    line = s.buggy_path.read_text().splitlines()[failed["grads_zeroed"]["line"] - 1]
    assert "backward()" in line
    fixed = tmp_path / "zero_grad.py"
    shutil.copy(s.solution_path, fixed)
    solution = checker("verify", str(fixed), "--json", "--lang", "zh")
    assert solution.returncode == 0, solution.stdout + solution.stderr
    verdict = json.loads(solution.stdout)
    assert verdict["passed"] and verdict["accuracy"]["student"] >= verdict["accuracy"]["reference"] - 0.03
    assert "准确率" in next(c["message"] for c in verdict["checks"] if c["id"] == "accuracy")


def test_watch_verifies_again_after_a_save(tmp_path):
    script = tmp_path / "zero_grad.py"
    shutil.copy(find("zero_grad").buggy_path, script)
    watcher = subprocess.Popen([sys.executable, "-m", "checker", "watch", str(script), "--max-runs", "2",
                                "--lang", "en"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, stdin=subprocess.DEVNULL,
                               env={**os.environ, **shared_runs_env()})  # about watching: runs may be read back
    deadline = time.time() + 240
    while time.time() < deadline and not (tmp_path / "saved").exists():
        time.sleep(0.2)
        if watcher.poll() is not None:
            break
        if _first_verdict_done(watcher):
            shutil.copy(find("zero_grad").solution_path, script)
            (tmp_path / "saved").touch()
    out, err = watcher.communicate(timeout=240)
    assert watcher.returncode == 0, err
    assert "Not fixed" in out and "Fixed" in out.split("Not fixed", 1)[1]


def _first_verdict_done(process) -> bool:
    # The watcher prints the waiting line on stderr after its first verdict; peek without blocking.
    import select

    ready, _, _ = select.select([process.stderr], [], [], 0)
    return bool(ready) and "waiting for changes" in process.stderr.readline()


def test_input_errors_speak_the_students_language():
    fixture = REPO / "tests" / "fixtures" / "hostile" / "syntax_error.py"
    chinese = checker("verify", str(fixture), "--scenario", "zero_grad", "--lang", "zh")
    assert chinese.returncode == 2 and "语法错误" in chinese.stderr and "syntax_error.py:5" in chinese.stderr
    english = checker("verify", str(fixture), "--scenario", "zero_grad", "--lang", "en")
    assert english.returncode == 2 and "syntax error" in english.stderr
