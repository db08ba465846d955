"""`checker export`: the bundles a course platform grades with. Each is built with the real CLI, laid out in a temporary
folder as the platform lays it out (Gradescope: ROOT/source, ROOT/run_autograder, ROOT/submission, ROOT/results;
PrairieLearn: ROOT/tests, ROOT/student, ROOT/data/data.json, ROOT/results made by the entrypoint), and its entrypoint
is run for real, with the platform's root moved there through the environment and the test venv's `checker` first on
PATH (setup.sh and the Dockerfile, which install it on the platform, are checked but not run). On the scenario's
solution it gives full marks, on its buggy script fewer; where bubblewrap cannot run it gives a result that says so;
every results file is checked against the platform's documented format (Gradescope's autograder specification,
PrairieLearn's external grading results) by the small validators below. No process of a run is left behind.

The torch runs are few: one scenario, its solution and its buggy script, each run once for the whole test run (the
reference cache and the run store of tests/conftest.py), however many platforms grade them."""
from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from checker import isolation
from checker.scenario import find
from tests.conftest import REPO, run_python, shared_runs_env

SCENARIO = "zero_grad"
VENV_BIN = Path(sys.executable).parent  # the test's venv, where `checker` is installed
FORBIDDEN = re.compile(r"\bpip\b|curl|wget|urllib|socket|TORCHDRILL_ISOLATION|setpriv|chmod|chown|sudo|setuid")


def weak() -> list[str]:
    """Where bubblewrap runs (always in CI), the bundles keep grade-one's refusal; elsewhere they are made with
    --allow-weak-isolation, so that the rest can still be tested."""
    return [] if isolation.mode() == isolation.BUBBLEWRAP else ["--allow-weak-isolation"]

# Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format)
GS_TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
          "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
GS_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
           "visibility", "extra_data"}
GS_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
# PrairieLearn's results.json (https://prairielearn.readthedocs.io/en/latest/externalGrading/#grading-results)
PL_TOP = {"gradable", "score", "message", "output", "images", "tests", "format_errors"}
PL_TEST = {"name", "description", "points", "max_points", "message", "output", "images"}


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def assert_gradescope_results(data) -> None:
    """Only documented fields, each of its type; a test's score within its maximum; the total, the tests' sum."""
    assert isinstance(data, dict) and set(data) <= GS_TOP, data
    assert is_number(data["score"]) and data["score"] >= 0
    assert isinstance(data.get("execution_time", 0), int)
    assert isinstance(data.get("output", ""), str)
    assert data.get("visibility", "visible") in GS_VISIBILITY
    assert data.get("stdout_visibility", "hidden") in GS_VISIBILITY
    assert isinstance(data.get("tests", []), list)
    for test in data.get("tests", []):
        assert set(test) <= GS_TEST, set(test) - GS_TEST
        assert isinstance(test["name"], str) and isinstance(test.get("number", ""), str)
        assert isinstance(test.get("output", ""), str) and all(isinstance(t, str) for t in test.get("tags", []))
        assert is_number(test["score"]) and is_number(test["max_score"]) and 0 <= test["score"] <= test["max_score"]
        assert test.get("status", "passed") in ("passed", "failed")
        assert test.get("visibility", "visible") in GS_VISIBILITY
    assert data["score"] == sum(t["score"] for t in data.get("tests", []))


def assert_prairielearn_results(data) -> None:
    """`gradable` a boolean (absent: true); a gradable result's `score` in [0, 1], its tests' points within their
    maximum and the score their share; a result that is not gradable says why in `format_errors`; under 1 MB."""
    assert isinstance(data, dict) and set(data) <= PL_TOP, set(data) - PL_TOP
    gradable = data.get("gradable", True)
    assert isinstance(gradable, bool)
    for key in ("message", "output"):
        assert isinstance(data.get(key, ""), str)
    if gradable:
        assert is_number(data["score"]) and 0.0 <= data["score"] <= 1.0
    else:
        errors = data["format_errors"]
        errors = [errors] if isinstance(errors, str) else errors
        assert errors and all(isinstance(e, str) and e for e in errors)
    tests = data.get("tests", [])
    assert isinstance(tests, list)
    for test in tests:
        assert set(test) <= PL_TEST and {"name", "points", "max_points", "message", "output"} <= set(test), test
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["message"], str) and isinstance(test["output"], str)
        assert is_number(test["points"]) and is_number(test["max_points"]) and 0 <= test["points"] <= test["max_points"]
    if gradable and tests:
        assert data["score"] == pytest.approx(sum(t["points"] for t in tests) / sum(t["max_points"] for t in tests))
    assert len(json.dumps(data, ensure_ascii=False).encode()) < 1_000_000


def export(*args: str, cwd: Path, env: dict | None = None, lang: str = "en"):
    return run_python("-m", "checker", "export", *args, "--lang", lang, cwd=cwd, env=env, timeout=120)


# --- processes ----------------------------------------------------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture
def subreaper():
    """Make this process the subreaper of what it starts, so that whatever a run leaves running, orphaned, becomes
    this process's child and is found by descendants(), however busy the machine is with other torch jobs."""
    libc = ctypes.CDLL(None, use_errno=True)
    if not sys.platform.startswith("linux") or libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        pytest.skip("needs Linux's PR_SET_CHILD_SUBREAPER")
    yield descendants()
    libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def descendants() -> dict[int, str]:
    """This process's living descendants: pid -> command line."""
    table = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        table[int(entry.name)] = (int(fields[1]), fields[0], cmdline)
    me, found = os.getpid(), {}
    for pid, (parent, state, cmdline) in table.items():
        if state == "Z" and parent == me:
            try:
                os.waitpid(pid, os.WNOHANG)  # an orphan that has ended: ours to reap, and not running
            except ChildProcessError:
                pass
            continue
        seen = set()
        while parent not in (0, 1, me) and parent in table and parent not in seen:
            seen.add(parent)
            parent = table[parent][0]
        if parent == me and state != "Z":
            found[pid] = cmdline[:160]
    return found


def assert_nothing_left(before: dict[int, str]) -> None:
    left = {}
    for _ in range(40):  # a sandbox that is being torn down may take a moment to go
        left = {pid: cmd for pid, cmd in descendants().items() if pid not in before}
        if not left:
            return
        time.sleep(0.25)
    raise AssertionError(f"processes left running: {left}")


# --- the platforms' trees -----------------------------------------------------------------------------------------

def unzip_as_gradescope(bundle: Path, root: Path) -> Path:
    """The zip extracted into ROOT/source with its modes, and run_autograder copied to ROOT, as Gradescope does."""
    source = root / "source"
    source.mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            target = source / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


def platform_env(tmp_path: Path, **extra: str) -> dict:
    """The entrypoint's environment: the test venv's bin first on PATH (where the platform's image has torchdrill's
    own), nothing of a real /opt/torchdrill, the runs and references the test run shares."""
    return {**os.environ, **shared_runs_env(), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "TORCHDRILL_PREFIX": str(tmp_path / "no_prefix"), **extra}


def run_entry(entry: Path, root: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(entry)], cwd=root, env=env, capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL)


def without_bubblewrap(tmp_path: Path) -> str:
    """A PATH on which there is no bwrap: the test venv's bin alone (its python3 runs the entrypoint, its checker
    grades)."""
    assert shutil.which("bwrap", path=str(VENV_BIN)) is None
    return str(VENV_BIN)


# --- Gradescope ---------------------------------------------------------------------------------------------------

def test_gradescope_bundle_grades_a_fix_fully_a_bug_partly_and_says_why_it_cannot_grade(tmp_path, subreaper):
    built = export("gradescope", SCENARIO, "--out", str(tmp_path / "out"), *weak(), cwd=tmp_path)
    assert built.returncode == 0 and "Traceback" not in built.stderr, built.stderr
    bundle = tmp_path / "out" / "gradescope" / f"{SCENARIO}_autograder.zip"
    assert f"{SCENARIO}_autograder.zip" in built.stdout and "13 points" in built.stdout

    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        setup, run = archive.read("setup.sh").decode(), archive.read("run_autograder").decode()
        pins = archive.read("requirements.txt").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", f"starter/{SCENARIO}.py"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert run.startswith("#!/usr/bin/env python3\n") and setup.startswith("#!/usr/bin/env bash\n")
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0
    assert re.search(r"apt-get install -y .*\bbubblewrap\b", setup) and "--no-deps torchdrill==" in setup
    from importlib import metadata
    assert f"torch=={metadata.version('torch').split('+')[0]}" in pins.splitlines()
    # Grading downloads nothing, and nothing in it weakens the boundary or changes who the submission runs as.
    assert not FORBIDDEN.search(run), FORBIDDEN.search(run)
    assert f"ALLOW_WEAK_ISOLATION = {bool(weak())}" in run

    solution, buggy = find(SCENARIO).solution_path, find(SCENARIO).buggy_path
    results = {}
    for label, script in (("right", solution), ("wrong", buggy)):
        root = unzip_as_gradescope(bundle, tmp_path / label / "autograder")
        shutil.copy(script, root / "submission" / f"{SCENARIO}.py")
        done = run_entry(root / "run_autograder", root, platform_env(tmp_path, AUTOGRADER_ROOT=str(root)))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        results[label] = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
        assert_gradescope_results(results[label])
    top = sum(t["max_score"] for t in results["right"]["tests"])
    assert top == 13 and results["right"]["score"] == top
    assert 0 < results["wrong"]["score"] < top
    assert {t["name"] for t in results["wrong"]["tests"] if t["status"] == "failed"} == {"grads_zeroed", "accuracy"}

    # Where bubblewrap cannot run, grade-one refuses (the bundle was made without --allow-weak-isolation), and
    # run_autograder leaves a results.json that says so instead of none.
    if not weak():
        root = unzip_as_gradescope(bundle, tmp_path / "no_bwrap" / "autograder")
        shutil.copy(solution, root / "submission" / f"{SCENARIO}.py")
        env = platform_env(tmp_path, AUTOGRADER_ROOT=str(root), PATH=without_bubblewrap(tmp_path))
        done = run_entry(root / "run_autograder", root, env)
        assert done.returncode == 0, done.stderr[-3000:]
        refused = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
        assert_gradescope_results(refused)
        assert refused["score"] == 0 and refused["tests"] == []
        assert "could not grade" in refused["output"] and "bubblewrap" in refused["output"], refused["output"]
        assert "Traceback" not in refused["output"]
    assert_nothing_left(subreaper)


# --- PrairieLearn -------------------------------------------------------------------------------------------------

def prairielearn_tree(question: Path, root: Path, script: Path | None) -> Path:
    """The question's tests/ in ROOT/tests (its entrypoint made executable, as PrairieLearn does), the upload in
    ROOT/student, the question's data in ROOT/data/data.json; ROOT/results is the entrypoint's to make."""
    shutil.copytree(question / "tests", root / "tests")
    (root / "tests" / "run.py").chmod(0o755)
    (root / "student").mkdir()
    (root / "data").mkdir()
    (root / "data" / "data.json").write_text(json.dumps({"params": {}, "correct_answers": {}, "submitted_answers": {
        "_files": []}}), encoding="utf-8")
    if script is not None:
        shutil.copy(script, root / "student" / f"{SCENARIO}.py")
    return root


def test_prairielearn_question_grades_a_fix_fully_a_bug_partly_in_chinese_and_says_why_it_cannot_grade(
        tmp_path, subreaper):
    built = export("prairielearn", SCENARIO, "--image", "course/torchdrill-grader:0.1.0", "--student-lang", "zh",
                   "--out", str(tmp_path / "out"), *weak(), cwd=tmp_path)
    assert built.returncode == 0 and "Traceback" not in built.stderr, built.stderr
    question = tmp_path / "out" / "prairielearn" / "questions" / SCENARIO
    image = tmp_path / "out" / "prairielearn" / "image"

    info = json.loads((question / "info.json").read_text(encoding="utf-8"))
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", info["uuid"])
    assert info["type"] == "v3" and info["gradingMethod"] == "External" and info["topic"] and info["title"]
    options = info["externalGradingOptions"]
    assert options["enabled"] is True and options["image"] == "course/torchdrill-grader:0.1.0"
    assert options["entrypoint"] == "/grade/tests/run.py" and 0 < options["timeout"] <= 600
    page = (question / "question.html").read_text(encoding="utf-8")
    assert f'<pl-file-upload file-names="{SCENARIO}.py">' in page and "<pl-external-grader-results>" in page
    assert (question / "clientFilesQuestion" / f"{SCENARIO}.py").read_bytes() == find(SCENARIO).buggy_path.read_bytes()
    dockerfile = (image / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:\d+\.\d+", dockerfile, re.M) and "bubblewrap" in dockerfile
    assert "pip install" in dockerfile and "-r /opt/torchdrill/requirements.txt" in dockerfile
    assert (image / "requirements.txt").is_file()
    entry = (question / "tests" / "run.py").read_text(encoding="utf-8")
    assert not FORBIDDEN.search(entry), FORBIDDEN.search(entry)

    solution, buggy = find(SCENARIO).solution_path, find(SCENARIO).buggy_path
    results = {}
    for label, script in (("right", solution), ("wrong", buggy), ("missing", None)):
        root = prairielearn_tree(question, tmp_path / label / "grade", script)
        done = run_entry(root / "tests" / "run.py", root, platform_env(tmp_path, PL_GRADE_ROOT=str(root)))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        results[label] = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
        assert_prairielearn_results(results[label])
    right, wrong, missing = results["right"], results["wrong"], results["missing"]
    assert right["gradable"] is True and right["score"] == 1.0
    assert all(t["points"] == t["max_points"] for t in right["tests"]) and len(right["tests"]) == 8
    assert wrong["gradable"] is True and 0 < wrong["score"] < 1
    assert {t["name"] for t in wrong["tests"] if t["points"] < t["max_points"]} == {"grads_zeroed", "accuracy"}
    assert re.search(r"[\u4e00-\u9fff]", wrong["message"]) and "未修复" in wrong["message"]
    assert missing["gradable"] is False and f"{SCENARIO}.py" in missing["format_errors"][0]

    if not weak():
        root = prairielearn_tree(question, tmp_path / "no_bwrap" / "grade", solution)
        env = platform_env(tmp_path, PL_GRADE_ROOT=str(root), PATH=without_bubblewrap(tmp_path))
        done = run_entry(root / "tests" / "run.py", root, env)
        assert done.returncode == 0, done.stderr[-3000:]
        refused = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
        assert_prairielearn_results(refused)
        assert refused["gradable"] is False and "bubblewrap" in refused["format_errors"][0]
        assert "无法为这份提交评分" in refused["format_errors"][0]
        assert "没有安装 bubblewrap" in refused["format_errors"][0]  # the reason too, in the students' language
    assert_nothing_left(subreaper)


# --- what export itself checks and writes (no torch) -------------------------------------------------------------

def test_export_refuses_bad_input_in_one_line_in_english_and_chinese_and_writes_nothing(tmp_path):
    from tests.checker.test_chinese_everywhere import english_lines

    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "a_file").write_text("", encoding="utf-8")
    (tmp_path / "torchdrill-0.1.0-py3-none-any.whl").write_text("not a zip", encoding="utf-8")
    cases = [
        (["gradescope", "no_such_scenario", "--out", "o1"], "unknown scenario", "没有场景"),
        (["gradescope", SCENARIO, "--out", "taken"], "not empty", "不是空的"),
        (["gradescope", SCENARIO, "--out", "a_file"], "is a file", "这是一个文件"),
        (["prairielearn", SCENARIO, "--out", "o2"], "needs --image", "需要 --image"),
        (["prairielearn", SCENARIO, "--out", "o3", "--image", "Not An/Image"], "not a Docker image name", "镜像名"),
        (["gradescope", SCENARIO, "--out", "o4", "--wheel", "torchdrill-0.1.0-py3-none-any.whl"],
         "not a torchdrill wheel", "wheel"),
    ]
    for args, english, chinese in cases:
        for lang, says in (("en", english), ("zh", chinese)):
            done = export(*args, cwd=tmp_path, lang=lang)
            assert done.returncode == 2, (args, lang, done.stdout, done.stderr)
            assert says in done.stderr and "Traceback" not in done.stderr, (args, lang, done.stderr)
            assert len(done.stderr.strip().splitlines()) == 1 and not done.stdout, done.stderr
            if lang == "zh":
                assert done.stderr.startswith("错误：") and not english_lines(done.stderr), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "taken", "torchdrill-0.1.0-py3-none-any.whl"]
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]


def test_export_speaks_chinese_and_writes_the_same_bundle_every_time(tmp_path):
    from tests.checker.test_chinese_everywhere import english_lines

    first = export("gradescope", SCENARIO, "resume", "--out", "a", cwd=tmp_path, lang="zh")
    second = export("gradescope", SCENARIO, "resume", SCENARIO, "--out", "b", cwd=tmp_path, lang="zh")
    for done in (first, second):
        assert done.returncode == 0, done.stderr
        assert re.search(r"[\u4e00-\u9fff]", done.stdout) and not english_lines(done.stdout + done.stderr), done
    for name in (f"{SCENARIO}_autograder.zip", "resume_autograder.zip"):
        a, b = (tmp_path / folder / "gradescope" / name for folder in ("a", "b"))
        assert a.read_bytes() == b.read_bytes()
    assert sorted(p.name for p in (tmp_path / "b" / "gradescope").iterdir()) == ["resume_autograder.zip",
                                                                                  f"{SCENARIO}_autograder.zip"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind
    with zipfile.ZipFile(tmp_path / "a" / "gradescope" / f"{SCENARIO}_autograder.zip") as archive:
        assert "LANG = 'zh'" in archive.read("run_autograder").decode()  # students read --lang's language


def test_a_scenario_of_ones_own_travels_in_the_bundle_with_its_probe_and_a_wheel_with_it(tmp_path):
    from checker.authoring import scaffold

    course = tmp_path / "course"
    made = scaffold("my_bug", course)
    (course / "probes").mkdir()
    (course / "probes" / "my_probe.py").write_text("def check(ctx):\n    return None\n", encoding="utf-8")
    metadata = made.metadata.read_text(encoding="utf-8").replace('probes = ["', 'probes = ["my_probe", "', 1)
    probe_table = ('\n[custom_probes.my_probe]\nfile = "{file}"\nok = {{ en = "ok", zh = "好" }}\n'
                   'fail = {{ en = "no: {{detail}}", zh = "不：{{detail}}" }}\nwhy = {{ en = "why", zh = "为什么" }}\n')
    made.metadata.write_text(metadata + probe_table.format(file="probes/my_probe.py"), encoding="utf-8")
    wheel = tmp_path / "torchdrill-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("torchdrill/__init__.py", "")
    env = {"TORCHDRILL_SCENARIOS": str(course)}

    done = export("gradescope", "my_bug", "--out", "gs", "--wheel", str(wheel), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "PyPI" not in done.stderr  # the wheel is carried: nothing of torchdrill comes from an index
    with zipfile.ZipFile(tmp_path / "gs" / "gradescope" / "my_bug_autograder.zip") as archive:
        names = set(archive.namelist())
        setup = archive.read("setup.sh").decode()
        for name in ("my_bug.toml", "my_bug.py", "solutions/my_bug.py", "probes/my_probe.py"):
            assert archive.read(f"scenarios/{name}") == (course / name).read_bytes(), name
    assert f"wheels/{wheel.name}" in names and f'--no-deps "$SOURCE"/wheels/{wheel.name}' in setup

    done = export("prairielearn", "my_bug", "--out", "pl", "--image", "me/grader", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    tests = tmp_path / "pl" / "prairielearn" / "questions" / "my_bug" / "tests"
    assert (tests / "scenarios" / "probes" / "my_probe.py").is_file()
    assert (tests / "scenarios" / "my_bug.toml").is_file()
    assert stat.S_IMODE((tests / "run.py").stat().st_mode) & 0o111
    # No script of one's own in the image, which may be public: its reference is computed in the first grading job.
    assert not (tmp_path / "pl" / "prairielearn" / "image" / "starter" / "my_bug.py").exists()

    (tmp_path / "outside.py").write_text("def check(ctx):\n    return None\n", encoding="utf-8")
    made.metadata.write_text(metadata + probe_table.format(file="../outside.py"), encoding="utf-8")
    done = export("gradescope", "my_bug", "--out", "gs2", cwd=tmp_path, env=env)
    assert done.returncode == 2 and "outside the scenario's folder" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "gs2").exists()


def test_the_check_for_processes_left_behind_sees_an_orphan(subreaper):
    """So that assert_nothing_left cannot pass by seeing nothing: a process whose parent has ended is found."""
    subprocess.run(["sh", "-c", "sleep 30 >/dev/null 2>&1 &"], check=True, timeout=30)
    orphans = {pid: cmd for pid, cmd in descendants().items() if pid not in subreaper}
    assert [cmd.split()[:2] for cmd in orphans.values()] == [["sleep", "30"]], orphans
    for pid in orphans:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert_nothing_left(subreaper)


def test_the_export_command_is_documented_for_instructors():
    """The guides describe both exports, in English and Chinese."""
    for guide in ("grading-at-scale.md", "grading-at-scale.zh-CN.md"):
        text = (REPO / "docs" / guide).read_text(encoding="utf-8")
        assert "checker export gradescope" in text and "checker export prairielearn" in text, guide
