"""Scenario metadata: every shipped scenario parses, and bad metadata gets a message naming file and field."""
from __future__ import annotations

import shutil

import pytest

from checker import scenario as scenarios
from checker.selftest import changed_lines, metadata_problems


def test_every_shipped_scenario_loads_with_both_languages_and_sound_metadata():
    loaded = scenarios.load_all()
    assert {"zero_grad"} <= {s.id for s in loaded}
    for s in loaded:
        assert s.buggy_path.is_file() and s.solution_path.is_file()
        assert len(s.hints) >= 3 and all(h.en.strip() and h.zh.strip() for h in s.hints)
        assert metadata_problems(s) == [], s.id
        assert any(v.expect == "pass" for v in s.variants) and any(v.expect == "fail" for v in s.variants)


def _copy_scenario(tmp_path, edit):
    source = scenarios.find("zero_grad")
    text = edit(source.metadata_path.read_text(encoding="utf-8"))
    (tmp_path / "zero_grad.toml").write_text(text, encoding="utf-8")
    shutil.copy(source.buggy_path, tmp_path / "zero_grad.py")
    return tmp_path / "zero_grad.toml"


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.replace("max_diff_lines = 2", "max_diff_lines = 2\ncolour = 'red'"), ["unknown field 'colour'"]),
    (lambda t: t.replace('probes = ["grads_zeroed"', 'probes = ["grads_zerod"'), ["unknown probe 'grads_zerod'"]),
    (lambda t: t.replace('zh = "梯度不断累加：训练循环从不清零梯度"', 'zh = ""'), ["'title'", "'zh'"]),
    (lambda t: t.replace('id = "zero_grad"', 'id = "zero"'), ["'id'", "zero_grad.toml"]),
    (lambda t: t.replace("[budget]", "[budget]\nepochs = 3"), ["unknown field 'budget.epochs'"]),
])
def test_bad_metadata_names_the_file_and_the_field(tmp_path, edit, words):
    path = _copy_scenario(tmp_path, edit)
    with pytest.raises(scenarios.ScenarioError) as error:
        scenarios.load(path)
    assert str(path) in str(error.value)
    for word in words:
        assert word in str(error.value)


def test_a_variant_whose_text_is_not_in_the_base_is_reported(tmp_path):
    typo = 'optimiser.zero_grad()\\n", "        network'
    path = _copy_scenario(tmp_path, lambda t: t.replace(typo.replace("optimiser", "optimizer"), typo))
    problems = metadata_problems(scenarios.load(path))
    assert any("occurs 0 times" in p for p in problems), problems


def test_changed_lines_counts_a_diff():
    assert changed_lines("a\nb\nc\n", "a\nb\nc\n") == 0
    assert changed_lines("a\nb\nc\n", "a\nB\nc\nd\n") == 3


@pytest.mark.parametrize("addition, words", [
    ("weights = { grads_zerod = 2 }\n", ["grading.weights", "'grads_zerod' is not a check"]),
    ("visibility = \"sometimes\"\n", ["grading.visibility", "after_due_date"]),
    ("[custom_probes.mine]\nfile = \"missing_probe.py\"\n", ["custom_probes.mine.file", "does not exist"]),
])
def test_bad_grading_and_custom_probe_fields_are_named(tmp_path, addition, words):
    def edit(text: str) -> str:
        start = text.index("[grading]\n") + len("[grading]\n")
        end = text.index("\n", start) + 1
        return text[:start] + addition + text[end:]  # the [grading] table's weights line, replaced

    path = _copy_scenario(tmp_path, edit)
    with pytest.raises(scenarios.ScenarioError) as error:
        scenarios.load(path)
    for word in words:
        assert word in str(error.value)


def test_a_custom_probe_without_check_is_a_metadata_problem(tmp_path):
    (tmp_path / "mine.py").write_text("def start(ctx):\n    pass\n")
    texts = 'ok = { en = "a", zh = "甲" }\nfail = { en = "b {detail}", zh = "乙" }\nwhy = { en = "c", zh = "丙" }\n'
    path = _copy_scenario(tmp_path, lambda t: t.replace('probes = ["grads_zeroed"', 'probes = ["mine", "grads_zeroed"')
                          .replace("\n[[variants]]", f"\n[custom_probes.mine]\nfile = \"mine.py\"\n{texts}\n[[variants]]", 1))
    problems = metadata_problems(scenarios.load(path))
    assert any("defines no check(ctx)" in p for p in problems), problems
