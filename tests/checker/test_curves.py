"""Training curves: recorded in the child, checked in the parent, charted in the terminal, drawn with matplotlib,
and read for the known signatures of the catalogue's bugs. The verifies here are real runs on the MNIST subset."""
from __future__ import annotations

import json
import math
import os
import re

import pytest

from checker import curves, evaluate, plot_text, reference_cache
from checker.child.curves import downsample
from checker.scenario import find
from tests.checker.test_cli import checker

def predicted(accuracy: float) -> str:
    """Digits for the held-out images that score `accuracy`: the first ones right, the rest one digit off."""
    labels = evaluate.labels()
    right = round(accuracy * len(labels))
    return "".join(str(label if i < right else (label + 1) % 10) for i, label in enumerate(labels))


GOOD = {"loss": [[1, 2.3], [2, 1.9], [3, 1.2]], "epoch_steps": [3], "predictions": [[1, predicted(0.8)]]}


def series(values: list, epoch_steps: list | None = None, accuracy: list | None = None) -> curves.Curves:
    loss = [[step, v] for step, v in enumerate(values, 1)]
    epochs = [[epoch, predicted(value)] for epoch, value in (accuracy or [[1, 0.5]])]
    return curves.from_report({"loss": loss, "epoch_steps": epoch_steps or [len(values)], "predictions": epochs})


@pytest.mark.parametrize("forged", [
    None, "curves", [], {"loss": "x", "epoch_steps": [], "predictions": []},
    {**GOOD, "loss": [[1, 2.3]] * 2},  # steps must go forward
    {**GOOD, "loss": [[i, 1.0] for i in range(1, 10_000)]},  # more points than the harness ever sends
    {**GOOD, "loss": [[1, "2.3"]]}, {**GOOD, "loss": [[1, True]]}, {**GOOD, "loss": [[1, math.inf]]},
    {**GOOD, "loss": [[-1, 2.0]]}, {**GOOD, "loss": [[1, 2.0, 3.0]]},
    {**GOOD, "predictions": [[1, 0.8]]}, {**GOOD, "predictions": [[1, "12"]]},  # a score, or too few digits
    {**GOOD, "predictions": [[1, "x" * len(evaluate.labels())]]}, {**GOOD, "predictions": [[1, predicted(0.8)]] * 2},
    {**GOOD, "epoch_steps": [3, "4"]}, {**GOOD, "epoch_steps": {"a": 1}},
])
def test_a_series_not_in_the_harness_form_is_dropped_never_shown(forged):
    """The child is the student's process: whatever it puts in its report's curves is checked for shape."""
    assert curves.from_report(forged) is None


def test_a_series_in_the_harness_form_is_kept_with_nan_as_a_gap():
    kept = curves.from_report({**GOOD, "loss": [[1, 2.3], [2, None], [3, 1.2]]})
    assert kept.loss == ((1, 2.3), (2, None), (3, 1.2)) and kept.steps == 3 and kept.accuracy == ((1, 0.8),)
    assert curves.from_dict(kept.to_dict()) == kept


def test_an_absurd_loss_is_a_gap_and_the_chart_is_still_drawn():
    """Losses of plus and minus 1.7e308 are finite, but no chart can scale to them: they become gaps."""
    raw = {**GOOD, "loss": [[1, 1.7e308], [2, -1.7e308], [3, 2.0], [4, 1.0]]}
    kept = curves.from_report(raw)
    assert kept.loss == ((1, None), (2, None), (3, 2.0), (4, 1.0))
    lines = plot_text.chart_lines({"student": kept.to_dict(), "reference": kept.to_dict()}, "en", width=40)
    assert lines and all(isinstance(line, str) for line in lines)


def test_downsample_averages_buckets_and_marks_where_the_loss_blew_up():
    assert downsample([4.0, 2.0, 3.0, 1.0], 2) == [[2, 3.0], [4, 2.0]]
    assert downsample([1.0, math.nan, 1.0], 3) == [[1, 1.0], [2, None], [3, 1.0]]
    assert len(downsample([1.0] * 1001, 300)) <= 300 and downsample([], 300) == []


REFERENCE = series([2.3 - 2.0 * i / 40 for i in range(40)], epoch_steps=[20, 40])


@pytest.mark.parametrize("student, key", [
    (series([2.3, 2.2, None, 2.1, 2.0, 1.9, 1.8, 1.7]), "not_finite"),
    (series([2.3, 2.3, 2.2], epoch_steps=[1, 2, 3]), "one_step_per_epoch"),
    (series([1.0 + i / 10 for i in range(12)]), "grows"),
    (series([2.3, 2.1, 2.0] + [1.95 + 0.01 * (i % 2) for i in range(37)]), "flat"),
    (series([2.3 - 0.3 * i / 39 for i in range(40)]), "hardly_falls"),
    (series([2.3 - 0.06 * i for i in range(20)] + [1.2 + 0.06 * i for i in range(20)]), "diverges"),
    (REFERENCE, None),
])
def test_the_signatures_of_the_catalogues_bugs(student, key):
    found = curves.signature(student, REFERENCE)
    assert (found[0] if found else None) == key, found


def test_the_terminal_chart_shares_the_step_axis_so_a_short_run_shows_as_short():
    chart = plot_text.chart_lines({"student": series([2.3, 2.2, 2.2], [1, 2, 3]).to_dict(),
                                   "reference": REFERENCE.to_dict()}, "en", width=40)
    you, reference, accuracy = chart
    assert you.startswith("training loss  you") and "2.3 → 2.2" in you
    drawn = [sum(char in plot_text.BLOCKS for char in line) for line in (you, reference)]
    assert drawn == [3, 40]  # 3 steps of the reference's 40: a stub at the start of the same axis
    assert accuracy == "held-out accuracy per epoch (2,000 images): you 50.0% · reference 50.0%"
    assert "×" in plot_text.chart_lines({"student": {**GOOD, "loss": [[1, 2.0], [2, None]]}}, "en")[0]
    assert plot_text.chart_lines({"student": None, "reference": REFERENCE.to_dict()}, "en") == []
    assert plot_text.chart_lines({"student": GOOD}, "zh")[0].startswith("训练损失  你的")


def test_an_old_cache_entry_without_curves_is_computed_again_once(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHDRILL_HOME", str(tmp_path))
    monkeypatch.delenv(reference_cache.CACHE_ENV)  # the file in this home, not the test run's shared one
    scenario = find("zero_grad")
    key = reference_cache.cache_key(scenario, "subset", "cpu")
    (tmp_path / reference_cache.CACHE_FILE).write_text(json.dumps({key: {"scenario": "zero_grad", "accuracy": 0.9}}))
    calls = []

    def compute():
        calls.append(1)
        return 0.91, GOOD

    assert reference_cache.reference_result(scenario, "subset", "cpu", compute) == (0.91, GOOD)
    assert reference_cache.reference_result(scenario, "subset", "cpu", compute) == (0.91, GOOD)
    assert len(calls) == 1


def test_the_reference_cache_can_be_one_file_shared_by_homes_and_no_run_may_read_it(tmp_path, monkeypatch):
    from checker.verify import forbidden_folders

    shared = tmp_path / "shared" / "references.json"
    monkeypatch.setenv(reference_cache.CACHE_ENV, str(shared))
    scenario = find("zero_grad")
    for home in ("a", "b"):
        monkeypatch.setenv("TORCHDRILL_HOME", str(tmp_path / home))
        assert reference_cache.reference_result(scenario, "subset", "cpu", lambda: (0.91, GOOD)) == (0.91, GOOD)
        assert shared in forbidden_folders(scenario)  # the audit hook refuses reads of it in the child
    assert not (tmp_path / "a" / reference_cache.CACHE_FILE).exists() and shared.is_file()
    monkeypatch.delenv(reference_cache.CACHE_ENV)
    assert reference_cache.cache_path() == tmp_path / "b" / reference_cache.CACHE_FILE


def test_verify_reports_one_point_per_epoch_for_a_stray_break():
    result = checker("verify", "buggy_examples/stray_break.py", "--json")
    verdict = json.loads(result.stdout)
    student, reference = verdict["curves"]["student"], verdict["curves"]["reference"]
    assert result.returncode == 1 and verdict["status"] == "not_fixed"
    assert set(steps - before for before, steps in zip([0] + student["epoch_steps"], student["epoch_steps"])) == {1}
    assert reference["epoch_steps"][0] > 100 and len(reference["loss"]) <= curves.MAX_POINTS
    assert all(0.0 <= value <= 1.0 for _, value in reference["accuracy"])
    assert verdict["curves"]["signature"].startswith("One point per epoch")


def test_verify_charts_the_loss_in_the_terminal_and_draws_a_figure(tmp_path):
    """The issue's example: a missing zero_grad, its loss against the reference's, in the terminal and in a PNG."""
    from matplotlib.image import imread

    figure = tmp_path / "zg.png"
    result = checker("verify", "buggy_examples/zero_grad.py", "--plot", str(figure), env={"COLUMNS": "120"})
    assert result.returncode == 1, result.stderr
    assert "training loss  you" in result.stdout and "reference" in result.stdout
    assert "held-out accuracy per epoch (2,000 images): you" in result.stdout and "→ The training loss" in result.stdout
    assert f"Figure: {figure}" in result.stderr
    pixels = imread(figure)
    assert figure.stat().st_size > 20_000 and pixels.shape[0] > 300 and pixels.shape[1] > 800
    assert pixels[..., :3].std() > 0.05  # not blank
    red, blue = (pixels[..., 0] > 0.75) & (pixels[..., 2] < 0.3), (pixels[..., 2] > 0.6) & (pixels[..., 0] < 0.3)
    assert red.sum() > 200 and blue.sum() > 200  # the student's curve (red) and the reference's (blue) are drawn
    quiet = checker("verify", "buggy_examples/zero_grad.py", "--no-plot")
    assert "training loss" not in quiet.stdout and quiet.returncode == 1


def test_plot_says_how_to_get_matplotlib_and_refuses_other_files_before_training(tmp_path):
    hidden = ("import sys; sys.modules['matplotlib'] = None; from checker.cli import run; "
              f"sys.argv = ['checker', 'verify', 'buggy_examples/zero_grad.py', '--plot', {str(tmp_path / 'a.png')!r}]; run()")
    from tests.conftest import run_python

    missing = run_python("-c", hidden, timeout=60)
    assert missing.returncode == 2 and "pip install 'torchdrill[plots]'" in missing.stderr
    wrong = checker("verify", "buggy_examples/zero_grad.py", "--plot", str(tmp_path / "a.jpg"), timeout=60)
    assert wrong.returncode == 2 and "write a .png or an .svg file" in wrong.stderr
    for result in (missing, wrong):
        assert "Traceback" not in result.stderr


def test_trace_carries_the_loss_per_step():
    result = checker("trace", "tests/fixtures/own_scripts/mnist_dry_run.py", "--format", "json")
    report = json.loads(result.stdout)
    loss = report["curves"]["student"]["loss"]
    assert loss and loss[-1][0] == report["backwards"] and all(v is None or v > 0 for _, v in loss)


def test_the_chart_fits_a_narrow_terminal_instead_of_wrapping():
    from rich.console import Console

    from checker.render import print_curves

    console = Console(width=72, record=True, color_system=None)
    print_curves(console, {"student": REFERENCE.to_dict(), "reference": REFERENCE.to_dict(), "signature": ""}, "en")
    lines = console.export_text().splitlines()
    assert lines[0].startswith("training loss  you") and lines[1].lstrip().startswith("reference")
    assert all(len(line) <= 72 for line in lines[:2]) and "→" in lines[0] and "→" in lines[1]


def test_recording_never_breaks_the_students_training_or_the_report(monkeypatch):
    """Curves are pictures: a loss the recorder cannot keep, or a script that broke torch.stack, costs the curve,
    never the backward() it wraps nor the harness's report."""
    import torch

    from checker.child.curves import CurveRecorder

    class Stubborn(torch.Tensor):  # a tensor subclass whose detach() fails
        def detach(self):
            raise RuntimeError("no detach here")

    recorder = CurveRecorder(None, "cpu")
    recorder.install(None, None)
    try:
        weight = torch.ones(2, requires_grad=True)
        (weight * 2).sum().as_subclass(Stubborn).backward()
        assert weight.grad.tolist() == [2.0, 2.0]
        (weight * 3).sum().backward()
    finally:
        recorder.remove()
    assert len(recorder.losses) == 1
    monkeypatch.setattr(torch, "stack", lambda *args, **kwargs: 1 / 0)
    assert recorder.series()["loss"] == []


def test_a_chinese_figure_is_drawn_in_a_cjk_font_with_its_diagnosis(tmp_path):
    """Under --lang zh, with a CJK font installed (CI installs fonts-noto-cjk), the figure's labels, title and the
    diagnosis caption are Chinese, drawn from that font's glyphs (matplotlib's SVG names each text in a comment)."""
    from matplotlib import font_manager

    from checker.plot_figure import CJK_FONTS

    if not {font.name for font in font_manager.fontManager.ttflist} & set(CJK_FONTS):
        if os.environ.get("CI"):
            pytest.fail("CI must install a CJK font (fonts-noto-cjk, see .ci/run)")
        pytest.skip("no CJK font installed here")
    figure = tmp_path / "sb.svg"
    result = checker("verify", "buggy_examples/stray_break.py", "--lang", "zh", "--plot", str(figure))
    assert result.returncode == 1, result.stderr
    svg = figure.read_text(encoding="utf-8")
    for text in ("<!-- 训练损失 -->", "<!-- 你的 -->", "未修复", "<!-- 每个 epoch 只有一个点："):
        assert text in svg, text
    assert re.search(r'id="(NotoSans|SourceHan|WenQuanYi)[^"]*CJK|id="NotoSansCJK', svg)  # CJK glyphs, no tofu
