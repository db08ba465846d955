"""A compact chart of training curves in the terminal's own characters: the student's loss above the reference's,
on one scale and one step axis, then the accuracy per epoch. A few lines; no colour needed to read it."""
from __future__ import annotations

import math

from rich.cells import cell_len

from checker.messages import text

BLOCKS = "▁▂▃▄▅▆▇█"
WIDTH = 48


def chart_lines(curves: dict, lang: str, width: int = WIDTH, fit: int | None = None) -> list[str]:
    """The chart as plain lines (the renderer adds style); empty when there is no student loss to show. With
    `fit`, the loss lines get fewer columns of steps so that they fit in that many terminal cells."""
    lines = _loss_lines(curves, lang, width)
    excess = max((cell_len(line) for line in lines), default=0) - fit if fit else 0
    if excess > 0:
        drawn = max(sum(char in BLOCKS or char == "×" for char in line) for line in lines)
        lines = _loss_lines(curves, lang, max(8, drawn - excess))
    accuracy = _accuracy_line(curves.get("student") or {}, curves.get("reference") or {}, lang) if lines else ""
    return lines + ([accuracy] if accuracy else [])


def _loss_lines(curves: dict, lang: str, width: int) -> list[str]:
    """One line per curve: the student's loss, then the reference's, on one scale and one step axis."""
    student, reference = curves.get("student") or {}, curves.get("reference") or {}
    if not student.get("loss"):
        return []
    series = [(text("curve", "you", lang), student["loss"])]
    if reference.get("loss"):
        series.append((text("curve", "reference", lang), reference["loss"]))
    finite = [v for _, points in series for _, v in points if v is not None]
    if not finite:
        return []
    low, high = min(finite), max(finite)
    log = low > 0 and high / low > 50  # a loss that blew up would flatten the other curve on a linear scale
    steps = max(points[-1][0] for _, points in series)
    width = max(1, min(width, steps))  # a short run gets one column per step, not gaps between them
    label = text("curve", "loss", lang)
    names = max(cell_len(name) for name, _ in series)
    lines = []
    for index, (name, points) in enumerate(series):
        line = _sparkline(points, steps, low, high, log, width)
        first, last = _first_last(points)
        head = label if index == 0 else " " * cell_len(label)
        lines.append(f"{head}  {name}{' ' * (names - cell_len(name))}  {line}  {first} → {last}")
    return lines


def _sparkline(points: list, steps: int, low: float, high: float, log: bool, width: int) -> str:
    """One character per column of the step axis: the mean loss of the points in it, or a blank where the run
    had no steps there; `×` where the loss was not finite."""
    columns: list[list] = [[] for _ in range(width)]
    for step, value in points:
        columns[min(width - 1, (step - 1) * width // max(steps, 1))].append(value)
    chars = []
    for values in columns:
        if not values:
            chars.append(" ")
        elif any(v is None for v in values):
            chars.append("×")
        else:
            chars.append(BLOCKS[_level(sum(values) / len(values), low, high, log)])
    return "".join(chars).rstrip() or " "


def _level(value: float, low: float, high: float, log: bool) -> int:
    if high <= low:
        return len(BLOCKS) // 2
    if log:
        value, low, high = math.log(value), math.log(low), math.log(high)
    return max(0, min(len(BLOCKS) - 1, round((value - low) / (high - low) * (len(BLOCKS) - 1))))


def _first_last(points: list) -> tuple[str, str]:
    shown = ["nan" if v is None else f"{v:.3g}" for _, v in (points[0], points[-1])]
    return shown[0], shown[1]


def _accuracy_line(student: dict, reference: dict, lang: str) -> str:
    def epochs(curve: dict) -> str:
        return " ".join("-" if v is None else f"{100 * v:.1f}%" for _, v in curve.get("accuracy", []))

    if not student.get("accuracy"):
        return ""
    from checker.evaluate import labels

    images = f"{len(labels()):,}"
    line = f"{text('curve', 'accuracy', lang, images=images)}: {text('curve', 'you', lang)} {epochs(student)}"
    if reference.get("accuracy"):
        line += f" · {text('curve', 'reference', lang)} {epochs(reference)}"
    return line
