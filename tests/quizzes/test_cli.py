"""`quiz` as students and CI use it: real subprocesses, real stdin, a real pseudo-terminal."""
from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time

from tests.conftest import REPO, run_python
from tests.quizzes.conftest import MINIMUM_SIZES, quiz, write_answers


def test_help_and_list_do_not_import_torch():
    probe = ("import sys; from quizzes.cli import main\nfor argv in (['quiz', '--help'], ['quiz', 'list']):\n"
             "    sys.argv = argv\n    try:\n        main()\n    except SystemExit:\n        pass\n"
             "print('torch' in sys.modules)")
    result = run_python("-c", probe)
    assert result.stdout.strip().endswith("False"), result.stdout + result.stderr
    for command in ("list", "run", "show", "validate"):
        assert command in result.stdout


def test_list_json_counts_the_banks(tmp_path):
    result = quiz("list", "--json", "--lang", "zh", env={"TORCHDRILL_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    for bank_id, minimum in MINIMUM_SIZES.items():
        assert rows[bank_id]["questions"] >= minimum
    assert rows["tensors"]["title"] == "张量" and rows["tensors"]["solved"] == 0


def test_bad_input_exits_2_with_one_clear_message(tmp_path):
    checks = [
        (["run", "no_such_bank"], "unknown bank 'no_such_bank'"),
        (["show", "no_such_bank", "x"], "unknown bank"),
        (["show", "tensors", "no_such_question"], "has no question 'no_such_question'"),
        (["validate", "no_such_bank"], "unknown bank"),
        (["run", "tensors", "--json"], "--json needs --answers"),
        (["run", "tensors", "--answers", str(tmp_path / "missing.toml")], "cannot read it"),
        (["run", "tensors", "--answers", str(write_answers(tmp_path / "a.json", ["x"]))], "top level is a list"),
        (["run", "tensors", "--answers", str(write_answers(tmp_path / "b.json", {"from_lst": "x"}))],
         "'from_lst' is not a question of bank 'tensors'"),
    ]
    broken_json = tmp_path / "c.json"
    broken_json.write_text('{"from_list": ', encoding="utf-8")
    broken_toml = tmp_path / "d.toml"
    broken_toml.write_text('from_list = "unterminated\n', encoding="utf-8")
    checks += [(["run", "tensors", "--answers", str(broken_json)], "not valid JSON"),
               (["run", "tensors", "--answers", str(broken_toml)], "not valid TOML")]
    for args, expected in checks:
        result = quiz(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        if "--answers" in args:
            assert "malformed answers file" in result.stderr and "question ids to answers" in result.stderr
    assert "没有名为 'nope' 的题库" in quiz("run", "nope", "--lang", "zh").stderr


def test_closed_stdin_ends_cleanly_and_says_to_use_answers(tmp_path):
    started = time.monotonic()
    result = quiz("run", "tensors", env={"TORCHDRILL_HOME": str(tmp_path)}, timeout=120)
    assert time.monotonic() - started < 60
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--answers FILE" in result.stderr and "Traceback" not in result.stdout + result.stderr
    assert "Nothing answered this time" in result.stdout and "Score: 0/" not in result.stdout
    assert not (tmp_path / "state" / "quiz" / "progress.json").exists()  # nothing answered: no score overwritten


def test_interactive_run_on_piped_stdin_scores_and_saves_progress(tmp_path, canonical_answers):
    """Answers typed at the prompt (here fed on stdin): hint, a bad format asked again, right, wrong, skip."""
    expected = canonical_answers["tensors"]
    typed = [
        expected["from_list"], ".",  # a code answer ends with a line holding just a full stop
        "hint", "torch.float32",  # the hint, then a wrong prediction
        "skip",
        "cpu",
        "float32",
        "x = torch.cat((u, v), dim=1)", "", "",  # wrong code, ended by two empty lines
    ]
    rest = [q for q in canonical_answers["tensors"]][6:]
    for question_id in rest:
        answer = expected[question_id]
        if question_id == "index_source":
            typed += ["z", answer]  # not an option: asked again, not counted
        else:
            typed += [answer] + (["."] if question_id in ("stack_new_first", "stack_new_last", "ones_elementwise",
                                                           "new_leading_dim") else [])
    result = quiz("run", "tensors", "--lang", "en", input="\n".join(typed) + "\n",
                  env={"TORCHDRILL_HOME": str(tmp_path)}, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    total = len(canonical_answers["tensors"])
    assert f"Score: {total - 3}/{total}" in result.stdout, result.stdout[-3000:]
    assert "Hint: Python ints are 64-bit integers" in result.stdout
    assert "Answer with option letters from a, b, c, d" in result.stdout
    assert "Expected:" in result.stdout and "torch.int64" in result.stdout
    assert "live torch output" in result.stdout and "w[3, 3, 0] =" in result.stdout  # a choice's evidence ran
    saved = json.loads((tmp_path / "state" / "quiz" / "progress.json").read_text())["banks"]["tensors"]
    assert saved["last_run"] == {**saved["last_run"], "score": total - 3, "max_score": total, "finished": True}
    assert saved["questions"]["from_list"]["solved"] is True
    assert saved["questions"]["from_list_dtype"]["last"] == "wrong"
    assert saved["questions"]["uniform_random"]["last"] == "skipped"
    listing = json.loads(quiz("list", "--json", env={"TORCHDRILL_HOME": str(tmp_path)}).stdout)
    assert next(r for r in listing if r["id"] == "tensors")["solved"] == total - 3


def test_quit_keeps_the_progress_so_far(tmp_path, canonical_answers):
    typed = f"{canonical_answers['cnn']['conv1_shape']}\nquit\n"
    result = quiz("run", "cnn", "--lang", "zh", input=typed, env={"TORCHDRILL_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "已提前退出" in result.stdout and "得分：1/" in result.stdout
    saved = json.loads((tmp_path / "state" / "quiz" / "progress.json").read_text())["banks"]["cnn"]
    assert saved["questions"] == {"conv1_shape": {**saved["questions"]["conv1_shape"], "solved": True}}
    assert saved["last_run"]["finished"] is False


def _read_until(fd: int, wanted: bytes, seen: bytearray, start: int = 0, timeout: float = 90) -> int:
    """Read the terminal into `seen` until `wanted` appears after `start`; return where it ends."""
    deadline = time.monotonic() + timeout
    while wanted not in seen[start:]:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"waited for {wanted!r}; got:\n{seen.decode(errors='replace')[-2000:]}"
        if select.select([fd], [], [], remaining)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            assert chunk, f"the terminal closed before {wanted!r} appeared"
            seen += chunk
    return seen.index(wanted, start) + len(wanted)


def test_interactive_run_on_a_real_terminal(tmp_path):
    """The TTY path: rich prompts on a pseudo-terminal, a hint, one answer graded live, then Ctrl-D to leave."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "TORCHDRILL_HOME": str(tmp_path), "COLUMNS": "100", "TERM": "xterm"}
    child = subprocess.Popen([sys.executable, "-m", "quizzes", "run", "dataloader", "--lang", "en"], cwd=REPO,
                             stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True)
    os.close(terminal)
    seen = bytearray()
    try:
        _read_until(controller, b"answer>", seen)
        os.write(controller, b"hint\n")
        _read_until(controller, b"One prepares the data", seen)
        os.write(controller, b"a, b, c\n")
        second = _read_until(controller, b"question 2/", seen)
        _read_until(controller, b"answer>", seen, start=second)
        os.write(controller, b"\x04")  # Ctrl-D at a terminal: the student leaves
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
        os.close(controller)
    text = seen.decode(errors="replace")
    assert "Correct" in text and "without __len__" in text  # graded, and the evidence's live output shown
    saved = json.loads((tmp_path / "state" / "quiz" / "progress.json").read_text())
    assert saved["banks"]["dataloader"]["questions"]["dataset_methods"]["solved"] is True
