"""Under --lang zh, every checker command speaks Chinese: what it prints on its happy path and for a user's
mistake, run as a learner or an instructor runs it (a real subprocess, real runs where the command trains).
A line may quote what is not ours to translate: a path, a command, code, a torch message after a Chinese label."""
from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import REPO, run_python
from tests.quizzes.test_learner_loop import ENGLISH_PROSE

CODE = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\S*[/\\]\S*|\S+\.py\b|\S+\(\S*\)"  # quoted, paths, calls
                  r"|\b[a-z_0-9]+(?:, [a-z_0-9]+){2,}")  # a list of ids: scenarios, checks


def english_lines(output: str) -> list[str]:
    """Lines holding four English words in a row once quotes, paths and code are taken out: prose we left
    untranslated. Unlike the quizzes' check, a Chinese word on the line excuses nothing."""
    return [line for line in output.splitlines() if ENGLISH_PROSE.search(CODE.sub(" ", line)) and not is_code(line)]


def is_code(line: str) -> bool:
    """A line of Python (an example in `lint --explain`, a line of the learner's script)."""
    for source in (line.strip(), line.strip() + "\n    pass"):
        try:
            ast.parse(source)
            return True
        except SyntaxError:
            continue
    return False


def checker_zh(*args: str, cwd=None, env: dict | None = None):
    return run_python("-m", "checker", *args, "--lang", "zh", cwd=cwd or REPO, env=env, timeout=900, borrow=True)


def course(tmp_path):
    """A scaffolded scenario of the instructor's own, in Chinese from the start."""
    made = checker_zh("new", "demo_bug", "--dir", str(tmp_path / "course"), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    return made, {"TORCHDRILL_SCENARIOS": str(tmp_path / "course")}


def learner(tmp_path, *args):
    return checker_zh(*args, env={"TORCHDRILL_HOME": str(tmp_path / "home")})


COMMANDS = {
    "list": lambda tmp: [learner(tmp, "list")],
    "next": lambda tmp: [learner(tmp, "next")],
    "hint": lambda tmp: [learner(tmp, "hint", "stray_break"), learner(tmp, "hint", "no_such_scenario")],
    "reset": lambda tmp: [learner(tmp, "reset", "stray_break"), learner(tmp, "reset", "no_such_scenario")],
    "verify": lambda tmp: [learner(tmp, "verify", "buggy_examples/stray_break.py"),
                           learner(tmp, "verify", "no_such_file.py"),
                           learner(tmp, "verify", "buggy_examples/stray_break.py", "--plot", "curve.gif")],
    "lint": lambda tmp: [learner(tmp, "lint", "buggy_examples/stray_break.py"),
                         learner(tmp, "lint", "--explain", "TD101"), learner(tmp, "lint", "--list-rules"),
                         learner(tmp, "lint", "no_such_file.py")],
    "trace": lambda tmp: [learner(tmp, "trace", "buggy_examples/stray_break.py", "--max-steps", "3"),
                          learner(tmp, "trace", "no_such_file.py")],
    "new and selftest": lambda tmp: (lambda made, env: [
        made, checker_zh("selftest", "demo_bug", cwd=tmp, env=env),
        checker_zh("new", "Bad-Id", "--dir", str(tmp / "course"), cwd=tmp),
        checker_zh("selftest", "no_such_scenario")])(*course(tmp)),
    "init": lambda tmp: [checker_zh("init", str(tmp / "ex"), cwd=tmp), checker_zh("init", str(tmp / "ex"), cwd=tmp),
                         checker_zh("init", str(REPO / "README.md"), cwd=tmp)],
    "mutate": lambda tmp: [
        checker_zh("mutate", "tests/checker/mutate_scripts/small_cnn_sgd.py", "--dir", str(tmp / "course"),
                   "--class", "stray_break", "--class", "eval_mode"),
        checker_zh("mutate", "tests/checker/mutate_scripts/small_cnn_sgd.py", "--dir", str(tmp / "c2"),
                   "--class", "no_such_class"),
        checker_zh("mutate", "README.md", "--dir", str(tmp / "c3"))],
    "export": lambda tmp: [checker_zh("export", "gradescope", "stray_break", "--out", str(tmp / "b"), cwd=tmp),
                           checker_zh("export", "gradescope", "no_such_scenario", "--out", str(tmp / "c"), cwd=tmp)],
    "grade": lambda tmp: [grade_one_broken(tmp), learner(tmp, "grade", str(tmp / "nowhere"), "--scenario",
                                                         "stray_break")],
}


def grade_one_broken(tmp_path):
    """A class of one, whose submission does not parse: graded (its row and problem) without a training run."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    (submissions / "li_lei.py").write_text("def main(:\n", encoding="utf-8")
    return checker_zh("grade", str(submissions), "--scenario", "stray_break", "--csv", str(tmp_path / "g.csv"),
                      env={"TORCHDRILL_HOME": str(tmp_path / "home")})


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_speaks_chinese_under_lang_zh(command, tmp_path):
    runs = COMMANDS[command](tmp_path)
    english = []
    for done in runs:
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-2000:]
        assert re.search(r"[\u4e00-\u9fff]", done.stdout + done.stderr), (done.args, done.stdout, done.stderr)
        english += [f"{' '.join(done.args[3:])}: {line}" for line in english_lines(done.stdout + done.stderr)]
    assert not english, "\n".join(english)


def test_the_check_is_not_fooled_by_a_chinese_label():
    assert english_lines("元数据： the solution is identical to the buggy script")
    assert not english_lines("错误：no_such_file.py：文件不存在")
    assert not english_lines("运行它：  python buggy_examples/stray_break.py --lang zh")
    assert not english_lines("    for data, target in loader:")
    assert english_lines("the accuracy is still below the reference")


def test_every_command_is_in_the_sweep():
    """A new command joins the sweep above. Left out: grade-one (one JSON object for an autograder) and watch (it
    runs until stopped; it prints what verify prints)."""
    from checker.cli import main

    swept = {name for key in COMMANDS for name in key.split(" and ")} | {"grade-one", "watch"}
    assert set(main.list_commands(None)) <= swept, set(main.list_commands(None)) - swept
