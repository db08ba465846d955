"""What a submission controls (its state_dict, its syntax tree, its file name and bytes, its symlinks, its folder
name, its output) never becomes an internal error, a forged verdict or a formula in the instructor's spreadsheet."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from checker.scenario import find
from tests.conftest import run_python

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
CONTROL_BYTES = ("\x1b", "\x9b", "\x07", "\r")


def verify(path: Path, cwd: Path, *options: str):
    return run_python("-m", "checker", "verify", str(path), "--scenario", "zero_grad", *options, cwd=cwd,
                      timeout=300)


# --- control characters and escape sequences -------------------------------------------------------------

def test_clean_removes_escape_sequences_and_controls_but_keeps_text():
    from checker.untrusted import clean

    assert clean("\x1b[2J\x1b[H\x1b[32m✓ Fixed\x1b[0m") == "✓ Fixed"
    assert clean("a\x1b]0;title\x07b\x1b]8;;http://x\x1b\\c") == "abc"
    assert clean("\x9b2Jx\x00\x7f\x85y\u202ez") == "xyz"
    assert clean("line 1\r\nline 2\rover\tand tab") == "line 1\nline 2\nover\tand tab"
    assert clean("a\x1b]0;unterminated\nnext line") == "a\nnext line"  # cut at its line, not the rest
    assert clean("准确率 ✓ [bold]é[/]") == "准确率 ✓ [bold]é[/]"


def test_escape_sequences_and_markup_from_the_script_are_shown_inert(tmp_path):
    fixture = HOSTILE / "ansi_escape.py"
    as_json = verify(fixture, tmp_path, "--json")
    assert as_json.returncode == 1, as_json.stderr[-2000:]
    assert not any(c in as_json.stdout for c in CONTROL_BYTES)
    verdict = json.loads(as_json.stdout)
    for text in [verdict["traceback"], verdict["output"], *(c["message"] for c in verdict["checks"])]:
        assert not any(c in text for c in CONTROL_BYTES), repr(text)
    assert "RuntimeError" in verdict["traceback"] and "all checks passed" in verdict["output"]

    rich = verify(fixture, tmp_path)
    shown = rich.stdout + rich.stderr
    assert rich.returncode == 1 and "Traceback (most recent call last)" not in shown
    assert not any(c in shown for c in CONTROL_BYTES), repr(shown)
    assert "[bold green]✓ Fixed[/]" in shown and ":white_check_mark:" in shown  # literal, not interpreted
    assert "✅" not in shown


def test_the_grades_table_shows_a_hostile_student_name_literally():
    from checker.grading.grade import without_run
    from checker.render import grades_table

    grade = without_run(find("zero_grad"), "\x1b[2J[bold green]✓ Fixed[/]", "x", "invalid", "\x1b[31m[/]oops")
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(grades_table([grade]))
    assert "\x1b" not in out.getvalue()
    assert "[bold green]✓ Fixed[/]" in out.getvalue() and "[/]oops" in out.getvalue()


# --- the syntax tree ---------------------------------------------------------------------------------------

def test_every_lint_survives_an_expression_too_deep_for_recursive_walks():
    from checker.rules import BY_NAME as LINTS, run as run_lints
    from checker.submission import read_submission

    tree = read_submission(HOSTILE / "deep_expression.py").tree
    assert run_lints(tree, tuple(LINTS)) == []


def test_a_parser_that_runs_out_of_memory_is_an_input_error(tmp_path, monkeypatch):
    import ast

    from checker.submission import read_submission
    from checker.verdict import InputError

    script = tmp_path / "zero_grad.py"
    script.write_text("x = 1\n")

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(ast, "parse", exhausted)
    with pytest.raises(InputError, match="too deeply nested"):
        read_submission(script)


def test_a_byte_order_mark_is_read_like_python_reads_it(tmp_path):
    from checker.submission import read_submission

    script = tmp_path / "zero_grad.py"
    script.write_bytes(b"\xef\xbb\xbfx = 1\n")
    submission = read_submission(script)
    assert submission.source.startswith(b"\xef\xbb\xbf")  # the child runs the file's own bytes
    assert submission.tree.body[0].lineno == 1


def test_verify_reads_the_real_file_behind_a_symlink(tmp_path):
    from checker.submission import read_submission

    real = tmp_path / "mine.py"
    real.write_text("x = 1\n")
    (tmp_path / "zero_grad.py").symlink_to(real)
    assert read_submission(tmp_path / "zero_grad.py").source == b"x = 1\n"


# --- file names the sandbox uses itself ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["home.py", "out.py", "tmp.py"])
def test_a_script_named_like_a_sandbox_folder_is_verified(name, tmp_path):
    script = tmp_path / name
    shutil.copy(find("zero_grad").solution_path, script)
    done = verify(script, tmp_path, "--json")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "fixed"


def test_a_script_named_exactly_like_a_sandbox_folder_is_verified(tmp_path):
    script = tmp_path / "home"
    shutil.copy(find("zero_grad").solution_path, script)
    done = verify(script, tmp_path, "--json")
    assert "internal error" not in done.stderr and done.returncode == 0, done.stderr[-2000:]


# --- grading: symlinks and spreadsheet formulas ---------------------------------------------------------------

def test_grading_refuses_symlinks_out_of_a_submission_and_quotes_formulas(tmp_path):
    scenario = find("zero_grad")
    solution, buggy = scenario.solution_path, scenario.buggy_path
    folder = tmp_path / "class"
    (folder / "ann").mkdir(parents=True)
    (folder / "ann" / "zero_grad.py").symlink_to(solution)  # the script itself leads to the solution
    (folder / "bob" / "src").mkdir(parents=True)
    shutil.copy(buggy, folder / "bob" / "src" / "train.py")
    (folder / "bob" / "zero_grad.py").symlink_to("src/train.py")  # inside bob's own folder: fine
    (folder / "cal").mkdir()
    (folder / "cal" / "lib").symlink_to(solution.parent, target_is_directory=True)
    (folder / "cal" / "zero_grad.py").symlink_to("lib/zero_grad.py")  # through a folder that leads out
    (folder / "dan").symlink_to("ann", target_is_directory=True)  # a symlinked student folder
    (folder / "eve.py").symlink_to(solution)  # a symlinked single-file submission
    formula = '=HYPERLINK("http:x","click")'  # a folder name cannot hold "//"
    (folder / formula).mkdir()  # nothing to run: its name is the payload
    out = tmp_path / "out"
    done = run_python("-m", "checker", "grade", str(folder), "--scenario", "zero_grad", "--jobs", "1",
                      "--json", str(out / "grades.json"), "--csv", str(out / "grades.csv"), cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    grades = {g["student"]: g for g in json.loads((out / "grades.json").read_text())}
    for name in ("ann", "cal", "dan", "eve"):
        assert (grades[name]["status"], grades[name]["score"]) == ("invalid", 0), grades[name]
        assert "symlink leads outside the submission" in grades[name]["message"]
    assert grades["bob"]["status"] == "not_fixed" and grades["bob"]["score"] > 0

    rows = {r["submission"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert rows[str(folder / formula)]["student"] == "'" + formula
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows.values() for cell in row.values())


def test_csv_quotes_text_cells_that_start_a_formula_but_leaves_numbers():
    from checker.grading.export import csv_row

    assert csv_row(["=1+1", "+x", "-x", "@x", "\tx", "\rx", "ada", -0.5, 3, ""]) == \
        ["'=1+1", "'+x", "'-x", "'@x", "'\tx", "'\rx", "ada", -0.5, 3, ""]
