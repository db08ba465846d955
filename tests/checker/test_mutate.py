"""`checker mutate`: an instructor's own correct script turned into proven scenarios.

The planting is checked on every solution of the catalogue (each gives back its own class, and lint finds every
planted bug at its line); the whole command runs for real on a script in a shape no scenario has, with selftest
proving what it writes and `checker selftest` proving one of them again from the folder, and on a script in the
shape of most tutorials (main() returns nothing, MNIST from ../data). (That no run outlives the tests is checked
once, after the whole session: tests/conftest.py.)"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from checker.lint import config
from checker.lint.engine import lint_source
from checker.lint.sources import Source
from checker.mutate.edits import apply
from checker.mutate.engine import classes, plan_all, read_script
from checker.scenario import load
from checker.selftest import shared_solution_runs
from tests.conftest import REPO, lent_worker_env, run_python

SOLUTIONS = sorted((REPO / "reference" / "solutions").glob("*.py"))
OWN_SHAPES = Path(__file__).with_name("mutate_scripts")
CLASSES = classes()["classes"]


def lint_codes_at(source: str, line: int) -> set[str]:
    found = lint_source(Source("buggy.py", source), config.selection(None, None, "warning", None))
    return {f.code for f in found if abs(f.line - line) <= 3}


@pytest.mark.parametrize("solution", SOLUTIONS + sorted(OWN_SHAPES.glob("*.py")), ids=lambda p: p.stem)
def test_each_planted_bug_is_what_lint_finds_and_the_bug_field_gives_it(solution):
    source, facts = read_script(solution, "en")
    drafts, rows = plan_all(solution, source, facts, "en")
    assert len(rows) == 13 and [r.number for r in rows] == [f"C{i}" for i in range(1, 14)]
    if solution.parent.name == "solutions":  # each of the catalogue's solutions gives back at least its own class
        own = next(r for r in rows if r.kind == solution.stem)
        assert own.status == "planted" and own.scenario == f"{solution.stem}_{solution.stem}", own
    assert len(drafts) >= 7, [(r.kind, r.reason) for r in rows]
    for row in rows:
        assert row.scenario or row.reason, row  # planted, or skipped with a reason
    for draft in drafts:
        kind = draft.id[len(solution.stem) + 1:]
        assert apply(source, draft.bug) == draft.buggy != source
        assert lint_codes_at(draft.buggy, next(r.line for r in rows if r.scenario == draft.id)) \
            & set(CLASSES[kind]["codes"]), draft.id
        assert draft.probes[0] == CLASSES[kind]["probe"]
        assert {v["expect"] for v in draft.variants} == {"pass", "fail"}
        for variant in draft.variants:
            ast.parse(apply(source, variant["replace"]))
        for text in [draft.texts.title, draft.texts.summary, draft.texts.explanation, *draft.texts.hints]:
            assert text["en"].strip() and text["zh"].strip() and text["en"] != text["zh"]


def test_skips_say_why_in_both_languages():
    solution = REPO / "reference" / "solutions" / "softmax_loss.py"  # no dropout, no scheduler, no resume
    for lang, says in (("en", "no dropout or BatchNorm"), ("zh", "没有 dropout 或 BatchNorm")):
        source, facts = read_script(solution, lang)
        _, rows = plan_all(solution, source, facts, lang)
        by_kind = {r.kind: r for r in rows}
        assert says in by_kind["eval_mode"].reason and says in by_kind["train_mode"].reason
        assert by_kind["resume"].reason and by_kind["scheduler"].reason


def test_the_table_shows_every_reason_whole_on_a_narrow_terminal():
    """Rich wraps at spaces, and a Chinese reason has none: the column folds it instead of cutting it short."""
    import io

    from rich.console import Console

    from checker.commands.mutate_cmd import print_table
    from checker.mutate.engine import Row

    solution = REPO / "reference" / "solutions" / "softmax_loss.py"
    for lang in ("en", "zh"):
        _, rows = plan_all(solution, *read_script(solution, lang), lang)
        skips = classes()["skips"]
        rows += [Row(key, "C0", "skipped", skips[key][lang]) for key in ("evaluation_last", "no_first_model")]
        out = io.StringIO()
        print_table(Console(file=out, width=80, force_terminal=False), rows, lang)
        shown = "".join(out.getvalue().split())  # the cells' lines, run together
        assert "…" not in shown
        for row in rows:
            assert "".join(row.reason.split()) in shown, (lang, row.reason)


def script_lacking(tmp_path: Path, old: str, new: str) -> Path:
    source = (OWN_SHAPES / "small_cnn_sgd.py").read_text(encoding="utf-8")
    assert source.count(old) == 1
    path = tmp_path / "course_script.py"
    path.write_text(source.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, says", [
    ("def main(", "def run(", "a main() that trains the model"),
    ("datasets.MNIST(mnist_root(), train=True", "datasets.FashionMNIST(mnist_root(), train=True",
     "the checker supplies MNIST offline, and no other dataset (here: line 34)"),
    ("        loss.backward()\n", "", "a training function with a batch loop"),
])
def test_what_the_checker_needs_is_said_before_anything_is_written(tmp_path, old, new, says):
    script = script_lacking(tmp_path, old, new)
    result = run_python("-m", "checker", "mutate", str(script), "--dir", str(tmp_path / "out"))
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
    chinese = run_python("-m", "checker", "mutate", str(script), "--dir", str(tmp_path / "out"), "--lang", "zh")
    assert chinese.returncode == 2 and "检查器需要" in chinese.stderr


@pytest.mark.parametrize("content", [b"def main(:\n", b"\xff\xfe not text", None])
def test_a_script_that_is_not_python_gets_one_clear_line(tmp_path, content):
    script = tmp_path / "train.py"
    if content is not None:
        script.write_bytes(content)
    result = run_python("-m", "checker", "mutate", str(script), "--dir", str(tmp_path / "out"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(script.name) in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_mutate_writes_proven_scenarios_from_a_script_it_has_never_seen(tmp_path):
    script = tmp_path / "small_cnn_sgd.py"
    script.write_bytes((OWN_SHAPES / "small_cnn_sgd.py").read_bytes())
    out = tmp_path / "course"
    made = run_python("-m", "checker", "mutate", str(script), "--dir", str(out), "--json", env=lent_worker_env(),
                      timeout=900)
    assert made.returncode == 0, made.stderr[-3000:]
    rows = json.loads(made.stdout)
    written = [r for r in rows if r["status"] == "written"]
    skipped = {r["kind"]: r["reason"] for r in rows if r["status"] == "skipped"}
    assert len(written) >= 8, skipped
    # No dropout or BatchNorm, no resume path: those classes are skipped and say so; nothing is faked.
    assert {"eval_mode", "train_mode", "resume", "checkpoint"} <= set(skipped)
    assert "no dropout or BatchNorm" in skipped["eval_mode"]
    assert sorted(p.stem for p in out.glob("*.toml")) == sorted(r["scenario"] for r in written)
    for row in written:
        scenario = load(out / f"{row['scenario']}.toml")
        assert scenario.solution_path.read_bytes() == script.read_bytes()
        assert scenario.entry_points["train"] == "fit_epoch" and scenario.entry_points["test"] == "validate"
        assert scenario.budget.argv == ("--epochs", "1")  # its epochs come from argparse: one, on the command line
        lint = run_python("-m", "checker", "lint", str(scenario.buggy_path), "--format", "json")
        lines = {f["line"] for f in json.loads(lint.stdout)["findings"] if f["code"] in CLASSES[row["kind"]]["codes"]}
        assert row["line"] in lines, (row, lint.stdout)

    again = run_python("-m", "checker", "selftest", written[0]["scenario"], "--quick", "--json",
                       env={"TORCHDRILL_SCENARIOS": str(out), **lent_worker_env()}, timeout=900)
    (report,) = json.loads(again.stdout)
    assert again.returncode == 0 and report["ok"], again.stdout


def test_a_tutorial_shaped_script_becomes_exercises_as_it_is(tmp_path):
    """main() returns nothing and MNIST comes from ../data with download=True, as in most tutorials: the
    scenarios are proven on the model its optimizer trained and on the MNIST the checker supplies."""
    script = tmp_path / "tutorial_shape.py"
    script.write_bytes((OWN_SHAPES / "tutorial_shape.py").read_bytes())
    made = run_python("-m", "checker", "mutate", str(script), "--dir", str(tmp_path / "course"), "--json",
                      "--class", "zero_grad", "--class", "data_split", env=lent_worker_env(), timeout=900)
    assert made.returncode == 0, made.stderr[-3000:]
    assert {r["kind"]: r["status"] for r in json.loads(made.stdout)} == {"zero_grad": "written",
                                                                         "data_split": "written"}
    assert load(tmp_path / "course" / "tutorial_shape_zero_grad.toml").budget.argv == ("--epochs", "1")
    assert not (tmp_path / "data").exists()  # nothing downloaded


def course_notebook(tmp_path: Path) -> Path:
    """mlp_adam.py as a course notebook: a markdown cell, a magic, a cell per top-level block, and a last cell
    that calls main() as notebooks do."""
    blocks = (OWN_SHAPES / "mlp_adam.py").read_text(encoding="utf-8").split('\n\n\nif __name__ == "__main__":')[0]
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# MNIST with an MLP\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": ["%matplotlib inline\n"]}]
    for block in [*blocks.split("\n\n\n"), "main()"]:
        cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                      "source": block.splitlines(keepends=True)})
    notebook = tmp_path / "course notebook.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return notebook


def test_a_notebook_is_read_as_its_code_cells_and_its_own_call_of_main_runs_only_as_a_program(tmp_path):
    notebook = course_notebook(tmp_path)
    source, facts = read_script(notebook, "en")
    assert 'if __name__ == "__main__":  # the notebook\'s own call\n    main()\n' in source
    assert "%matplotlib" not in source and facts.main is not None and facts.model_classes
    drafts, rows = plan_all(notebook, source, facts, "en")
    assert drafts and all(d.id.startswith("course_notebook_") for d in drafts)
    made = run_python("-m", "checker", "mutate", str(notebook), "--dir", str(tmp_path / "course"), "--json",
                      "--class", "zero_grad", env=lent_worker_env(), timeout=900)
    assert made.returncode == 0, made.stderr[-3000:]
    assert [r["status"] for r in json.loads(made.stdout)] == ["written"]
    broken = tmp_path / "broken.ipynb"
    cells = json.loads(notebook.read_text())
    cells["cells"][3]["source"] = ["def oops(:\n"]
    broken.write_text(json.dumps(cells))
    refused = run_python("-m", "checker", "mutate", str(broken), "--dir", str(tmp_path / "other"))
    assert refused.returncode == 2 and "cell 4 cannot be read as Python" in refused.stderr  # as Jupyter counts
    assert "Traceback" not in refused.stderr and not (tmp_path / "other").exists()


def test_scenarios_made_from_one_script_share_its_reference(tmp_path):
    """The reference accuracy depends on the solution and its budget, not on the scenario's id: the scenarios
    mutate writes from one script compute it once per budget, and selftest runs their solution once per budget."""
    from checker import reference_cache

    script = OWN_SHAPES / "mlp_adam.py"
    source, facts = read_script(script, "en")
    drafts, _ = plan_all(script, source, facts, "en")
    for draft in drafts:
        draft.write(tmp_path)
    keys = {d.id: reference_cache.cache_key(load(tmp_path / f"{d.id}.toml"), "subset", "cpu") for d in drafts}
    assert len({keys[d.id] for d in drafts if d.overrides == {"EPOCHS": 1}}) == 1
    assert keys["mlp_adam_train_mode"] != keys["mlp_adam_zero_grad"]  # two epochs: a budget of its own
    # selftest runs their solution once per budget too, watching every probe of theirs (each judges its own)
    scenarios = [load(tmp_path / f"{d.id}.toml") for d in drafts]
    shared = shared_solution_runs(scenarios)
    one_epoch = [s for s in scenarios if dict(s.budget.overrides) == {"EPOCHS": 1}]
    assert len(one_epoch) > 1 and {shared[s.id] for s in one_epoch} == {
        (one_epoch[0].id, tuple(sorted({p for s in one_epoch for p in s.probes})))}
    assert shared.get("mlp_adam_train_mode", (None,))[0] != one_epoch[0].id


def test_the_texts_are_the_same_whatever_language_mutate_speaks():
    """The scenario's en and zh texts do not depend on --lang: a Chinese-speaking instructor's scenarios still
    speak English to English-speaking students."""
    script = OWN_SHAPES / "small_cnn_sgd.py"
    source, facts = read_script(script, "en")
    english, _ = plan_all(script, source, facts, "en")
    chinese, _ = plan_all(script, source, facts, "zh")
    assert [d.toml() for d in english] == [d.toml() for d in chinese]
    assert all("第" not in d.texts.summary["en"] for d in chinese)
