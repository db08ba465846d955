"""A grade never loses the class: a file name that is not UTF-8, control characters and bidirectional marks in a
name, a folder nested 1,500 deep and students whose names clean to the same string each get their own row and
their own results file, and nothing written carries a raw control character."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from checker.scenario import find
from tests.browser import dom_or_source, facts
from tests.conftest import REPO, lent_worker_env

DEPTH = 1_500  # folders: the full path is far beyond PATH_MAX (4,096 bytes)
EXITS = "import sys\n\nsys.exit(3)\n"  # crashes at once: the odd names cost a sandboxed run, not a training


def run_checker(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    """`python -m checker ARGS` of this checkout in a real subprocess, its output kept as bytes (it is checked byte
    by byte). What is tested is the names, not the runs: a run this test run made already is read back, and the
    others go to this test process's lent warm workers."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", **lent_worker_env()}
    return subprocess.run([sys.executable, "-m", "checker", *args], capture_output=True, cwd=cwd, timeout=timeout,
                          check=False, stdin=subprocess.DEVNULL, env=env)


def nest(top: Path, depth: int, script: str | None = None) -> None:
    """`depth` folders one inside the next under `top`, made through folder descriptors (the full path is too long
    for any call that takes one), and `script` as zero_grad.py in the deepest."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        if script is not None:
            handle = os.open("zero_grad.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            os.write(handle, script.encode())
            os.close(handle)
    finally:
        os.close(fd)


def remove_nested(top: Path) -> None:
    """Remove a tree too deep for shutil.rmtree (which recurses once per level), bottom up, by descriptors."""
    if not top.exists():
        return
    fds, names = [os.open(top, os.O_RDONLY | os.O_DIRECTORY)], []
    while fds:
        inner = None
        with os.scandir(fds[-1]) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    inner = entry.name
                    break
                os.unlink(entry.name, dir_fd=fds[-1])
        if inner is not None:
            fds.append(os.open(inner, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
            names.append(inner)
        else:
            os.close(fds.pop())
            if names:
                os.rmdir(names.pop(), dir_fd=fds[-1])
    os.rmdir(top)


@pytest.fixture
def odd_class(tmp_path):
    """One class holding every odd name at once, and bob (a correct fix) beside bob_ (the untouched buggy script).
    Each student's raw name maps to (the student name every output shows, the expected status)."""
    scenario = find("zero_grad")
    folder = tmp_path / "class"
    folder.mkdir()
    root = os.fsencode(folder)

    def student(name: bytes, script: str | Path, as_file: bool = False) -> None:
        source = script.read_bytes() if isinstance(script, Path) else script.encode()
        if as_file:
            Path(os.fsdecode(os.path.join(root, name + b".py"))).write_bytes(source)
        else:
            os.mkdir(os.path.join(root, name))
            Path(os.fsdecode(os.path.join(root, name, b"zero_grad.py"))).write_bytes(source)

    student(b"bob", scenario.solution_path)
    student(b"bob_", scenario.buggy_path)
    student(b"caf\xe9", EXITS)  # Latin-1, not UTF-8
    student(b"new\nline", EXITS, as_file=True)
    student(b"esc\x1b[31mred", EXITS)
    student(b"bel\x07", EXITS)
    student(b"bel\\x07", EXITS)  # a literal backslash: shows like the BEL above unless backslashes are escaped
    student("rtl\u202egnp.py".encode(), EXITS)  # shows as "rtlyp.png"
    student(b"deep", EXITS)
    nest(folder / "deep", DEPTH)  # the script on top, 1,500 folders under it
    (folder / "deeper").mkdir()
    nest(folder / "deeper", DEPTH, EXITS)  # the script only at the bottom
    expected = {b"bob": ("bob", "fixed"), b"bob_": ("bob_", "not_fixed"), b"caf\xe9": ("caf\\xe9", "crashed"),
                b"new\nline.py": ("new\\nline", "crashed"), b"esc\x1b[31mred": ("esc\\x1b[31mred", "crashed"),
                b"bel\x07": ("bel\\x07", "crashed"), b"bel\\x07": ("bel\\\\x07", "crashed"),
                "rtl\u202egnp.py".encode(): ("rtl\\u202egnp.py", "crashed"), b"deep": ("deep", "crashed"),
                b"deeper": ("deeper", "invalid")}
    yield folder, expected
    remove_nested(folder / "deep")
    remove_nested(folder / "deeper")


def unsafe_characters(data: bytes, line_end: str = "\n") -> list[str]:
    """Every character of `data` (UTF-8, else the whole file is unsafe) that is neither printable, a space, nor the
    line end: controls, bidirectional and other invisible format marks, surrogates, line separators."""
    text = data.decode("utf-8")  # raises on bytes that are not UTF-8: a lone surrogate written out, say
    text = text.replace(line_end, "")
    return sorted({repr(c) for c in text if not (c.isprintable() or unicodedata.category(c) == "Zs")})


def test_a_class_of_odd_names_is_graded_whole_and_written_without_a_control_character(odd_class, tmp_path):
    folder, expected = odd_class
    out = tmp_path / "out"
    done = run_checker("grade", str(folder), "--scenario", "zero_grad", "--jobs", "1", "--json",
                       str(out / "grades.json"), "--csv", str(out / "grades.csv"), "--gradescope",
                       str(out / "gradescope"), "--report", str(out / "class.html"), cwd=tmp_path)
    said = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode in (0, 1) and "Traceback" not in said, said[-3000:]
    for written in ("grades.json", "grades.csv", "class.html"):
        assert (out / written).is_file(), f"{written} was not written: {said[-2000:]}"

    # Every submission has its row, under the name every output shows, with its own grade.
    grades = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    assert sorted((g["student"], g["status"]) for g in grades) == sorted(expected.values())
    by_name = {g["student"]: g for g in grades}
    assert by_name["bob"]["score"] == by_name["bob"]["max_score"] > by_name["bob_"]["score"] > 0
    assert "no Python file" in by_name["deeper"]["message"]
    assert by_name["bel\\\\x07"]["submission"].endswith("/bel\\\\x07/zero_grad.py")  # as told apart as the name
    # The names are stable: found again in this process, the same input gives the same names.
    from checker.grading.submissions import find_entries

    assert [e.student for e in find_entries(folder, "zero_grad")] == [g["student"] for g in grades]

    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"), newline="")))
    assert [(r["student"], float(r["score"])) for r in rows] == [(g["student"], g["score"]) for g in grades]

    # One results file per student, none overwritten: a name that had to change, where another comes out the same,
    # gets "~" and 8 hex digits of the SHA-256 of the student name (docs/grading-at-scale.md).
    from checker.grading.names import file_names

    folders = sorted(p.name for p in (out / "gradescope").iterdir())
    assert len(folders) == len(grades) and folders == sorted(file_names([g["student"] for g in grades]))
    suffix = {name: "~" + hashlib.sha256(name.encode()).hexdigest()[:8] for name in ("bob_", "bel\\x07", "bel\\\\x07")}
    assert {"bob", "bob" + suffix["bob_"], "bel_x07" + suffix["bel\\x07"], "bel_x07" + suffix["bel\\\\x07"],
            "caf_xe9", "deeper"} <= set(folders)
    for name, student in (("bob", "bob"), ("bob" + suffix["bob_"], "bob_")):
        results = json.loads((out / "gradescope" / name / "results.json").read_text(encoding="utf-8"))
        assert results["score"] == by_name[student]["score"]

    # No raw control character anywhere: every byte of every file, and what the command printed.
    written = [out / "grades.json", out / "class.html", *(out / "gradescope").glob("*/results.json")]
    for path in written:
        assert unsafe_characters(path.read_bytes()) == [], path
    assert unsafe_characters((out / "grades.csv").read_bytes(), line_end="\r\n") == []
    assert unsafe_characters(done.stdout) == [] and unsafe_characters(done.stderr) == []

    shown = facts(dom_or_source(out / "class.html"))
    assert shown.students == [g["student"] for g in grades] and shown.summary["submissions"] == str(len(grades))


def test_grade_one_shows_an_odd_name_escaped(tmp_path):
    submission = tmp_path / os.fsdecode(b"esc\x1b[31mred\xff")
    submission.mkdir()
    (submission / "zero_grad.py").write_text(EXITS)
    results = tmp_path / "results" / "results.json"
    done = run_checker("grade-one", str(submission), "--scenario", "zero_grad", "--gradescope", str(results),
                       cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert unsafe_characters(done.stdout) == [] and unsafe_characters(results.read_bytes()) == []
    grade = json.loads(done.stdout)
    assert (grade["student"], grade["status"]) == ("esc\\x1b[31mred\\xff", "crashed")
    assert grade["submission"].endswith("esc\\x1b[31mred\\xff/zero_grad.py")


# --- the names, without a run -----------------------------------------------------------------------------------

def test_student_names_are_printable_and_never_two_alike():
    from checker.grading.names import shown_name

    raws = [os.fsdecode(b) for b in (b"bel\x07", b"bel\\x07", b"caf\xe9", "caf\xe9".encode(), b"x\x85",
                                     "x\x85".encode(), b"a\nb", b"a\\nb", "\u202eab".encode(), b"plain name")]
    shown = [shown_name(r) for r in raws]
    assert len(set(shown)) == len(raws)
    assert all(unsafe_characters(s.encode()) == [] for s in shown)
    assert shown[2:4] == ["caf\\xe9", "café"] and shown[4:6] == ["x\\x85", "x\\u0085"]
    assert shown[-1] == "plain name"  # a printable name is left as it is


def test_students_whose_stems_match_get_their_whole_file_names(tmp_path):
    from checker.grading.submissions import find_entries

    (tmp_path / "x").mkdir()
    for name in ("x.py", "x.py.py", "y.py"):
        (tmp_path / name).write_text(EXITS)
    assert sorted(e.student for e in find_entries(tmp_path, "zero_grad")) == ["x", "x.py", "x.py.py", "y"]


def test_file_names_are_unique_whatever_the_names_and_their_order():
    from checker.grading.names import file_names

    digest = hashlib.sha256(b"bob_").hexdigest()[:8]
    students = ["bob", "bob_", "BOB ", "=bob", "", "…", "?", "ok", "Ok", f"bob~{digest}", "a" * 300]
    names = file_names(students)
    assert len({n.casefold() for n in names}) == len(students)  # unique on a case-insensitive disk too
    assert all(n and len(n.encode()) <= 200 and n not in (".", "..") and "/" not in n for n in names)
    assert names[:2] == ["bob", f"bob~{digest}"]  # the name that came through unchanged keeps it
    assert names[-2] == f"bob_{digest}"  # "~" is the suffix's alone: a name chosen like one is changed
    assert names[7].startswith("ok~") and names[8].startswith("Ok~")  # alike but for case: both suffixed
    again = file_names(list(reversed(students)))
    assert dict(zip(students, names)) == dict(zip(reversed(students), again))


def test_a_folder_too_deep_or_unreadable_is_invalid_not_fatal(tmp_path):
    from checker.grading.submissions import find_entries

    (tmp_path / "deeper").mkdir()
    nest(tmp_path / "deeper", DEPTH, EXITS)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inner").mkdir()
    (tmp_path / "ok.py").write_text(EXITS)
    os.chmod(tmp_path / "locked", 0)
    try:
        entries = {e.student: e for e in find_entries(tmp_path, "zero_grad")}
    finally:
        os.chmod(tmp_path / "locked", 0o755)
        remove_nested(tmp_path / "deeper")
    assert "no Python file" in entries["deeper"].problem and entries["ok"].problem == ""
    if os.geteuid() != 0:  # root reads a folder of mode 0 all the same
        assert "cannot read" in entries["locked"].problem
