"""`checker verify --plot FILE.png|svg`: a figure of the student's training curves against the reference's, drawn
with matplotlib (the optional `plots` extra). Labels are in the student's language where a CJK font is installed;
without one, Chinese labels would draw as empty boxes, so the figure falls back to English ones."""
from __future__ import annotations

from pathlib import Path

from checker.evaluate import labels
from checker.messages import text
from checker.verdict import InputError, Verdict

SUFFIXES = (".png", ".svg")
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN")


def check_target(path: Path) -> None:
    """InputError, before any training, for a file type we cannot write or a missing matplotlib."""
    if path.suffix.lower() not in SUFFIXES:
        raise InputError.keyed("plot_suffix", path=str(path))
    if path.parent != Path("") and not path.parent.is_dir():
        raise InputError.keyed("plot_folder", path=str(path), folder=str(path.parent))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise InputError.keyed("plot_needs_matplotlib") from None


def write_figure(verdict: Verdict, path: Path) -> Path:
    """Draw the loss per step and the accuracy per epoch, student against reference, with the verdict as title."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never a window
    import matplotlib.pyplot as plt

    lang = verdict.lang if verdict.lang != "zh" or _use_cjk_font() else "en"
    curves = verdict.curves or {}
    student, reference = curves.get("student") or {}, curves.get("reference") or {}
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(11, 4.2), width_ratios=(2.2, 1))
    try:
        for curve, name, style in ((reference, "reference", {"color": "#2a7ab9", "linewidth": 1.6}),
                                   (student, "you", {"color": "#d6402b", "linewidth": 1.6})):
            label = text("curve", name, lang)
            points = curve.get("loss") or []
            loss_axes.plot([s for s, _ in points], [float("nan") if v is None else v for _, v in points],
                           label=label, **style)
            epochs = curve.get("accuracy") or []
            accuracy_axes.plot([e for e, _ in epochs], [float("nan") if v is None else 100 * v for _, v in epochs],
                               marker="o", label=label, **style)
        finite = [v for c in (student, reference) for _, v in (c.get("loss") or []) if v is not None]
        if finite and min(finite) > 0 and max(finite) / min(finite) > 50:
            loss_axes.set_yscale("log")  # a loss that blew up would flatten the other curve
        loss_axes.set(xlabel=text("curve", "step", lang), ylabel=text("curve", "loss", lang))
        heldout = text("curve", "accuracy", lang, images=f"{len(labels()):,}")
        accuracy_axes.set(xlabel=text("curve", "epoch", lang), ylabel="%", title=heldout)
        epochs_drawn = sorted({e for c in (student, reference) for e, _ in (c.get("accuracy") or [])})
        if epochs_drawn:
            accuracy_axes.set_xticks(epochs_drawn[:: max(1, len(epochs_drawn) // 10)])  # whole epochs only
        for axes in (loss_axes, accuracy_axes):
            axes.grid(alpha=0.3)
            axes.legend()
        figure.suptitle(_title(verdict, lang))
        caption = curves.get("signature") if lang == verdict.lang else _signature(student, reference, lang)
        if caption:  # the diagnosis, in the figure's own language (English where no CJK font is installed)
            figure.text(0.5, 0.01, caption, ha="center", fontsize=9, color="#8a5a00")
        figure.tight_layout(rect=(0, 0.04, 1, 1))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial" + path.suffix)
        figure.savefig(partial, dpi=110)
        partial.replace(path)
    finally:
        plt.close(figure)
    return path


def _signature(student: dict, reference: dict, lang: str) -> str:
    from checker import curves

    found = curves.signature(curves.from_dict(student), curves.from_dict(reference))
    return text("curve", found[0], lang, **found[1]) if found else ""


def _title(verdict: Verdict, lang: str) -> str:
    status = text("ui", "fixed" if verdict.passed else "not_fixed", lang)
    return f"{verdict.scenario}: {status}  ({Path(verdict.file).name})"


def _use_cjk_font() -> bool:
    """Whether a font with Chinese glyphs is installed; if so, matplotlib is told to prefer it."""
    from matplotlib import font_manager, rcParams

    installed = {font.name for font in font_manager.fontManager.ttflist}
    found = [name for name in CJK_FONTS if name in installed]
    if found:
        rcParams["font.sans-serif"] = found + list(rcParams["font.sans-serif"])
    return bool(found)
