"""An installed wheel (not only an editable install) carries its data: the MNIST subset, banks, scenarios and the
templates of `checker new`."""
from __future__ import annotations

import os
import subprocess
import sys

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


def test_wheel_installs_with_its_data_files(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(REPO)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("torchdrill-*.whl")
    target = tmp_path / "installed"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": str(target), "TORCHDRILL_HOME": str(tmp_path / "home")}
    # Run from an empty folder so the repository's own packages cannot be imported instead.
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    scenarios = len(list((REPO / "buggy_examples").glob("*.toml")))
    banks = len(list((REPO / "quizzes" / "banks").glob("*.toml")))
    assert f"wheel ok 10000 2000 {scenarios} scenarios {banks} banks" in result.stdout
