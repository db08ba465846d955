"""The wheel, installed into a fresh venv outside the repository as a user who installs tools with pip would do,
works from an empty folder: its data (the MNIST subset, banks, scenarios, the templates of `checker new`), the
learner's path, the practitioner's and the instructor's. Built and installed once for the whole module.

The venv gets torch and the other dependencies from the machine's own install, as links in a folder that a .pth file
adds to its path (installing torch again would take minutes); pip resolves the wheel's dependencies against them,
with no index."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

CHECK = """
import torchdrill  # puts the installed packages on the path, behind everything else
import reference, quizzes, buggy_examples
from pathlib import Path
from reference import data
assert 'site-packages' in reference.__file__ or 'installed' in reference.__file__, reference.__file__
root = data.mnist_root('subset')
assert data.has_mnist_files(root), root
train, test = data.mnist_datasets('subset')
from checker.scenario import load_all
from checker.messages import text
scenarios = load_all()
assert all(s.buggy_path.is_file() and s.solution_path.is_file() for s in scenarios)
assert text('ui', 'fixed', 'zh') == '已修复'
banks = sorted((Path(quizzes.__file__).parent / 'banks').glob('*.toml'))
from checker.authoring import scaffold
made = scaffold('wheel_check', Path('scaffolded'))
assert made.buggy.is_file() and 'model_class = "Net"' in made.metadata.read_text()
print('wheel ok', len(train), len(test), len(scenarios), 'scenarios', len(banks), 'banks')
"""


PACKAGES = ("checker", "quizzes", "reference", "buggy_examples")  # the repository's folders, in torchdrill/_lib/
SOURCES = ("torchdrill", *PACKAGES, "pyproject.toml", "setup.py", "README.md")  # what building the wheel reads


def files_of(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc")]


def check_file_list(wheel: Path) -> None:
    """Every file of the four folders in the repository (scenarios, solutions, banks, templates, messages, the
    MNIST subset and the held-out images) is in the wheel under torchdrill/_lib/, beside the torchdrill package,
    and nothing else is: no test, benchmark or tool, and no import name but `torchdrill`."""
    with zipfile.ZipFile(wheel) as archive:
        inside = {name for name in archive.namelist() if not name.startswith("torchdrill-")}
    ours = {f"torchdrill/_lib/{path.relative_to(REPO)}" for package in PACKAGES for path in files_of(REPO / package)}
    ours |= {str(path.relative_to(REPO)) for path in files_of(REPO / "torchdrill")}
    assert ours - inside == set(), f"missing from the wheel: {sorted(ours - inside)[:10]}"
    assert inside - ours == set(), f"in the wheel but not ours: {sorted(inside - ours)[:10]}"
    assert {name.split("/")[0] for name in inside} == {"torchdrill"}


def sources(folder: Path) -> Path:
    """The files a wheel is built from, copied (a build folder of the developer's, left in the repository by an
    earlier build, never reaches the wheel)."""
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, folder / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, folder / name)
    return folder


OURS = ("torchdrill", "__editable__", "checker", "quizzes", "reference", "buggy_examples", "pip", "__pycache__")


@dataclass
class Installed:
    python: Path
    bin: Path
    site_packages: Path
    root: Path  # a folder of the test's own, outside the repository

    def env(self, home: Path) -> dict:
        return {**os.environ, "TORCHDRILL_HOME": str(home), "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}"}

    def run(self, *argv, cwd: Path, home: Path, timeout: float = 600) -> subprocess.CompletedProcess:
        """A command of the venv's (`checker`, `quiz`, `python`) run from `cwd`, as its user types it."""
        return subprocess.run([str(self.bin / argv[0]), *argv[1:]], capture_output=True, text=True,
                              env=self.env(home), cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL)


def machine_packages(folder: Path) -> Path:
    """Links to every distribution the machine's environment holds (torch, torchvision, click, rich and theirs),
    but none of ours."""
    import importlib.util

    site = Path(importlib.util.find_spec("torch").origin).parent.parent
    folder.mkdir()
    for entry in site.iterdir():
        if not entry.name.startswith(OURS) and not entry.name.endswith(".pth"):
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("pip_user")
    source = sources(tmp_path_factory.mktemp("source"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(root / "wheels"),
         str(source)], capture_output=True, text=True, timeout=300, cwd=root,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (root / "wheels").glob("torchdrill-*.whl")
    check_file_list(wheel)
    venv = root / "venv"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(venv)],
                   check=True, timeout=120)
    python = venv / "bin" / "python"
    site_packages = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        capture_output=True, text=True, check=True).stdout.strip())
    (site_packages / "machine-packages.pth").write_text(f"{machine_packages(root / 'machine-packages')}\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "-q",
                              str(wheel)], capture_output=True, text=True, timeout=300, cwd=root)
    assert install.returncode == 0, install.stdout + install.stderr
    return Installed(python, venv / "bin", site_packages, root)


def empty_folder(installed: Installed, name: str) -> Path:
    folder = installed.root / name
    folder.mkdir()
    return folder


def test_the_wheel_installs_its_commands_and_data_under_the_import_names(installed):
    names = sorted(p.name for p in installed.site_packages.iterdir()
                   if not p.name.endswith((".dist-info", ".pth")) and p.name != "__pycache__")
    assert names == ["torchdrill"]  # one import name: nothing called checker, reference or quizzes
    assert (installed.bin / "checker").is_file() and (installed.bin / "quiz").is_file()
    work = empty_folder(installed, "data_check")
    result = installed.run("python", "-c", CHECK, cwd=work, home=work / "home", timeout=300)
    assert result.returncode == 0, result.stderr
    scenarios = len(list((REPO / "buggy_examples").glob("*.toml")))
    banks = len(list((REPO / "quizzes" / "banks").glob("*.toml")))
    assert f"wheel ok 10000 2000 {scenarios} scenarios {banks} banks" in result.stdout


def test_a_learner_with_only_the_wheel_works_in_an_exercise_folder_of_their_own(installed):
    """From an empty folder: next says to make the exercises one's own first; init, next, verify wrong then right,
    and list shows the scenario solved; the installed package's files are never written."""
    learner = empty_folder(installed, "learner")
    home = learner / ".home"

    def checker(*args, cwd=learner):
        return installed.run("checker", *args, "--lang", "en", cwd=cwd, home=home)

    shipped = installed.site_packages / "torchdrill" / "_lib" / "buggy_examples" / "stray_break.py"
    before = shipped.read_bytes()
    first = checker("next")
    assert "checker init && cd torchdrill-exercises" in first.stdout and "site-packages" not in first.stdout, first
    assert checker("init").returncode == 0
    folder = learner / "torchdrill-exercises"
    assert "checker verify buggy_examples/stray_break.py" in checker("next", cwd=folder).stdout
    wrong = checker("verify", "buggy_examples/stray_break.py", cwd=folder)
    assert wrong.returncode == 1, wrong.stdout[-2000:] + wrong.stderr[-2000:]
    script = folder / "buggy_examples" / "stray_break.py"
    script.write_text("".join(line for line in script.read_text().splitlines(keepends=True)
                              if line.strip() != "break"))  # the fix the last hint spells out
    fixed = checker("verify", "buggy_examples/stray_break.py", cwd=folder)
    assert fixed.returncode == 0, fixed.stdout[-2000:] + fixed.stderr[-2000:]
    listing = installed.run("checker", "list", "--json", cwd=folder, home=home)
    rows = {row["id"]: row for row in json.loads(listing.stdout)}
    assert rows["stray_break"]["solved"] and rows["stray_break"]["buggy"] == "buggy_examples/stray_break.py"
    assert shipped.read_bytes() == before


def test_lint_and_quizzes_run_from_the_wheel(installed):
    """The practitioner's and the student's paths from an empty folder: lint a script, grade an answers file
    (behind the OS boundary where bubblewrap runs, else with --allow-weak-isolation), validate a bank."""
    from checker import isolation

    work = empty_folder(installed, "practitioner")
    home = work / ".home"
    (work / "train.py").write_text((installed.site_packages / "torchdrill" / "_lib" / "buggy_examples" /
                                    "zero_grad.py").read_text())
    linted = installed.run("checker", "lint", "train.py", cwd=work, home=home, timeout=120)
    assert linted.returncode == 1 and "TD101" in linted.stdout, linted.stdout + linted.stderr
    (work / "answers.toml").write_text('from_list = "t = torch.tensor(data)"\n', encoding="utf-8")
    weak = [] if isolation.mode() == isolation.BUBBLEWRAP else ["--allow-weak-isolation"]
    graded = installed.run("quiz", "run", "tensors", "--answers", "answers.toml", "--json", *weak, cwd=work,
                           home=home, timeout=300)
    assert graded.returncode == 0, graded.stderr[-2000:]
    report = json.loads(graded.stdout)
    assert {q["id"]: q["correct"] for q in report["questions"]}["from_list"] is True and report["score"] == 1
    validated = installed.run("quiz", "validate", "tensors", cwd=work, home=home, timeout=300)
    assert validated.returncode == 0, validated.stdout[-2000:] + validated.stderr[-2000:]


def test_an_instructor_with_only_the_wheel_scaffolds_proves_and_grades(installed):
    """`checker new --dir` writes a scenario of the instructor's own; `selftest` proves a shipped scenario from the
    installed package; `grade` grades a class folder (a right and a wrong fix) and writes the grades."""
    course = empty_folder(installed, "instructor")
    home = course / ".home"
    made = installed.run("checker", "new", "no_step", "--dir", "my_course", "--lang", "en", cwd=course, home=home)
    assert made.returncode == 0, made.stdout + made.stderr
    assert {p.name for p in (course / "my_course").rglob("*.py")} >= {"no_step.py"}
    assert (course / "my_course" / "no_step.toml").is_file()
    proved = installed.run("checker", "selftest", "stray_break", "--quick", "--json", "-j", "1", cwd=course,
                           home=home)
    assert proved.returncode == 0, proved.stdout[-2000:] + proved.stderr[-2000:]
    (report,) = json.loads(proved.stdout)
    assert report["ok"] and len(report["cases"]) >= 4
    shipped = installed.site_packages / "torchdrill" / "_lib" / "buggy_examples" / "stray_break.py"
    (course / "class").mkdir()
    (course / "class" / "ann.py").write_text(shipped.read_text())
    (course / "class" / "bob.py").write_text("".join(line for line in shipped.read_text().splitlines(keepends=True)
                                                     if line.strip() != "break"))
    grades = installed.run("checker", "grade", "class", "--scenario", "stray_break", "--json", "grades.json",
                           "--jobs", "1", cwd=course, home=home)
    assert grades.returncode == 0, grades.stdout[-2000:] + grades.stderr[-2000:]
    statuses = {g["student"]: g["status"] for g in json.loads((course / "grades.json").read_text())}
    assert statuses == {"ann": "not_fixed", "bob": "fixed"}


LOOK = """import os, torchdrill
lib = os.path.join(os.path.dirname(torchdrill.__file__), "_lib")
print("SEEN", sorted(os.listdir(os.path.join(lib, "checker"))), os.listdir(os.path.join(lib, "reference", "solutions")))
"""  # what a sandboxed run sees of the installed checker: its child side alone, and no solution


def test_distributions_named_checker_and_reference_beside_it_keep_their_names_and_ours_still_work(installed):
    """PyPI has distributions called checker and reference: installed beside torchdrill, each keeps its import
    name, and torchdrill's commands (and `python -m torchdrill.checker`, `.quiz`, `.reference`) still run ours, a
    verify included; a sandboxed run sees of the installed checker its child side alone."""
    theirs = [installed.site_packages / "checker", installed.site_packages / "reference.py"]
    theirs[0].mkdir()
    (theirs[0] / "__init__.py").write_text("THEIRS = 'their checker'\n")
    theirs[1].write_text("THEIRS = 'their reference'\n")
    work = empty_folder(installed, "beside")
    home = work / ".home"
    try:
        imported = installed.run("python", "-c", "import checker, reference; print(checker.THEIRS, reference.THEIRS)",
                                 cwd=work, home=home)
        assert imported.stdout.strip() == "their checker their reference", imported.stderr
        listed = installed.run("checker", "list", "--json", cwd=work, home=home)
        assert listed.returncode == 0 and "stray_break" in listed.stdout, listed.stderr[-2000:]
        module = installed.run("python", "-m", "torchdrill.checker", "--help", cwd=work, home=home)
        assert module.returncode == 0 and "Usage" in module.stdout, module.stderr[-2000:]
        quizzes = installed.run("python", "-m", "torchdrill.quiz", "list", cwd=work, home=home)
        assert quizzes.returncode == 0 and "tensors" in quizzes.stdout, quizzes.stderr[-2000:]
        pipeline = installed.run("python", "-m", "torchdrill.reference", "--help", cwd=work, home=home)
        assert pipeline.returncode == 0 and "usage: python -m torchdrill.reference" in pipeline.stdout, pipeline
        (work / "stray_break.py").write_text(
            (installed.site_packages / "torchdrill" / "_lib" / "buggy_examples" / "stray_break.py").read_text())
        verified = installed.run("checker", "verify", "stray_break.py", "--json", cwd=work, home=home)
        assert verified.returncode == 1, verified.stdout[-2000:] + verified.stderr[-2000:]
        assert json.loads(verified.stdout)["status"] == "not_fixed"
        (work / "look.py").write_text(LOOK)
        looked = installed.run("checker", "trace", "look.py", "--format", "json", "--show-output", cwd=work,
                               home=home)
        assert "SEEN ['__init__.py', 'child'] []" in json.loads(looked.stdout)["output"], looked.stdout[-2000:]
    finally:
        shutil.rmtree(theirs[0])
        theirs[1].unlink()
