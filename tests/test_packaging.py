"""An installed wheel (not only an editable install) carries its data: the MNIST subset, banks, scenarios and the
templates of `checker new`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO

CHECK = """
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


PACKAGES = ("checker", "quizzes", "reference", "buggy_examples")  # the import names the wheel installs


def check_file_list(wheel: Path) -> None:
    """Every file of the four packages in the repository (scenarios, solutions, banks, templates, messages, the
    MNIST subset and the held-out images) is in the wheel, and nothing else is: no test, benchmark or tool."""
    with zipfile.ZipFile(wheel) as archive:
        inside = {name for name in archive.namelist() if not name.startswith("torchdrill-")}
    ours = {str(path.relative_to(REPO)) for package in PACKAGES for path in (REPO / package).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc")}
    assert ours - inside == set(), f"missing from the wheel: {sorted(ours - inside)[:10]}"
    assert inside - ours == set(), f"in the wheel but not ours: {sorted(inside - ours)[:10]}"
    assert {name.split("/")[0] for name in inside} == set(PACKAGES)


def install_wheel(tmp_path) -> Path:
    """Build the wheel and install it, without its dependencies, into a folder laid out as pip's site-packages."""
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(REPO)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("torchdrill-*.whl")
    check_file_list(wheel)
    target = tmp_path / "lib" / "site-packages"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    return target


def test_wheel_installs_with_its_data_files(tmp_path):
    target = install_wheel(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(target), "TORCHDRILL_HOME": str(tmp_path / "home")}
    # Run from an empty folder so the repository's own packages cannot be imported instead.
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    scenarios = len(list((REPO / "buggy_examples").glob("*.toml")))
    banks = len(list((REPO / "quizzes" / "banks").glob("*.toml")))
    assert f"wheel ok 10000 2000 {scenarios} scenarios {banks} banks" in result.stdout


def test_a_learner_with_only_the_wheel_works_in_an_exercise_folder_of_their_own(tmp_path):
    """From an empty folder: next says to make the exercises one's own first; init, next, verify wrong then right,
    and list shows the scenario solved; the installed package's files are never written."""
    target = install_wheel(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(target), "TORCHDRILL_HOME": str(tmp_path / "home")}
    learner = tmp_path / "learner"
    learner.mkdir()

    def checker(*args, cwd=learner):
        return subprocess.run([sys.executable, "-m", "checker", *args, "--lang", "en"], capture_output=True,
                              text=True, env=env, cwd=cwd, timeout=600, stdin=subprocess.DEVNULL)

    shipped = target / "buggy_examples" / "stray_break.py"
    before = shipped.read_bytes()
    first = checker("next")
    assert "checker init && cd torchdrill-exercises" in first.stdout and "site-packages" not in first.stdout, first
    assert checker("init").returncode == 0
    folder = learner / "torchdrill-exercises"
    assert "checker verify buggy_examples/stray_break.py" in checker("next", cwd=folder).stdout
    assert checker("verify", "buggy_examples/stray_break.py", cwd=folder).returncode == 1
    script = folder / "buggy_examples" / "stray_break.py"
    script.write_text("".join(line for line in script.read_text().splitlines(keepends=True)
                              if line.strip() != "break"))  # the fix the last hint spells out
    fixed = checker("verify", "buggy_examples/stray_break.py", cwd=folder)
    assert fixed.returncode == 0, fixed.stdout[-2000:] + fixed.stderr[-2000:]
    listing = subprocess.run([sys.executable, "-m", "checker", "list", "--json"], capture_output=True, text=True,
                             env=env, cwd=folder, timeout=120)
    rows = {row["id"]: row for row in json.loads(listing.stdout)}
    assert rows["stray_break"]["solved"] and rows["stray_break"]["buggy"] == "buggy_examples/stray_break.py"
    assert shipped.read_bytes() == before


def test_lint_and_graded_quiz_answers_run_from_the_wheel(tmp_path):
    """The instructor's and practitioner's paths from an empty folder, with only the wheel: lint a script, and grade
    an answers file (behind the OS boundary where bubblewrap runs, else with --allow-weak-isolation)."""
    from checker import isolation

    target = install_wheel(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(target), "TORCHDRILL_HOME": str(tmp_path / "home")}
    work = tmp_path / "work"
    work.mkdir()
    (work / "train.py").write_text((target / "buggy_examples" / "zero_grad.py").read_text())
    linted = subprocess.run([sys.executable, "-m", "checker", "lint", "train.py"], capture_output=True, text=True,
                            env=env, cwd=work, timeout=120)
    assert linted.returncode == 1 and "TD101" in linted.stdout, linted.stdout + linted.stderr
    (work / "answers.toml").write_text('from_list = "t = torch.tensor(data)"\n', encoding="utf-8")
    weak = [] if isolation.mode() == isolation.BUBBLEWRAP else ["--allow-weak-isolation"]
    graded = subprocess.run([sys.executable, "-m", "quizzes", "run", "tensors", "--answers", "answers.toml", "--json",
                             *weak], capture_output=True, text=True, env=env, cwd=work, timeout=300)
    assert graded.returncode == 0, graded.stderr[-2000:]
    report = json.loads(graded.stdout)
    assert {q["id"]: q["correct"] for q in report["questions"]}["from_list"] is True and report["score"] == 1
