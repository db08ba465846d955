"""Training curves in the parent: read back from the child's report, checked for shape (the child is the student's
process: a series that is not what the harness writes is dropped, never shown), and read for the known signatures
of training bugs. Curves are pictures for the student, never evidence for a check."""
from __future__ import annotations

import math
from dataclasses import dataclass

MAX_POINTS = 400
MAX_EPOCHS = 1000
MAX_LOSS = 1e12


@dataclass(frozen=True)
class Curves:
    loss: tuple[tuple[int, float | None], ...]  # (step, mean loss of the steps up to it); None: NaN or infinite
    epoch_steps: tuple[int, ...]  # steps done by the end of each epoch
    accuracy: tuple[tuple[int, float | None], ...]  # (epoch, accuracy on the held-out images, scored by the parent)

    def to_dict(self) -> dict:
        return {"loss": [list(p) for p in self.loss], "epoch_steps": list(self.epoch_steps),
                "accuracy": [list(p) for p in self.accuracy]}

    @property
    def steps(self) -> int:
        return self.loss[-1][0] if self.loss else 0


def from_report(raw) -> Curves | None:
    """The child's series, or None when they are missing or not in the harness's form. The child sends its model's
    predicted digits after each epoch; the parent scores them (checker.evaluate)."""
    if not isinstance(raw, dict):
        return None
    return _checked(raw.get("loss"), raw.get("epoch_steps"), _scored(raw.get("predictions")))


def from_dict(raw) -> Curves | None:
    """Curves saved by to_dict() (the reference cache): the same checks as a report's."""
    return _checked(raw.get("loss"), raw.get("epoch_steps"), raw.get("accuracy")) if isinstance(raw, dict) else None


def _checked(loss, epoch_steps, accuracy) -> Curves | None:
    loss = _points(loss, MAX_POINTS, _any_number)
    if loss is not None:  # a finite loss far beyond any real training's is a gap in the chart, like a NaN
        loss = tuple((step, None if value is not None and abs(value) > MAX_LOSS else value) for step, value in loss)
    accuracy = _points(accuracy, MAX_EPOCHS, _fraction)
    if loss is None or accuracy is None or not isinstance(epoch_steps, list) or len(epoch_steps) > MAX_EPOCHS or \
            not all(_count(s) for s in epoch_steps):
        return None
    return Curves(loss=loss, epoch_steps=tuple(epoch_steps), accuracy=accuracy)


def _scored(predictions) -> list | None:
    """[[epoch, accuracy or None]] from the child's [[epoch, digits or None]]; None when one is not in that form."""
    from checker import evaluate

    if not isinstance(predictions, list) or len(predictions) > MAX_EPOCHS:
        return None
    scored = []
    for item in predictions:
        if not (isinstance(item, list) and len(item) == 2) or (item[1] is not None and evaluate.problem(item[1])):
            return None
        scored.append([item[0], None if item[1] is None else evaluate.score(item[1])])
    return scored


def _points(raw, limit: int, valid) -> tuple | None:
    if not isinstance(raw, list) or len(raw) > limit:
        return None
    points = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 2 and _count(item[0]) and (item[1] is None or valid(item[1]))):
            return None
        if points and item[0] <= points[-1][0]:
            return None  # steps and epochs only go forward
        points.append((item[0], None if item[1] is None else float(item[1])))
    return tuple(points)


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10 ** 12


def _any_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fraction(value) -> bool:
    return _any_number(value) and 0.0 <= value <= 1.0


def signature(student: Curves | None, reference: Curves | None) -> tuple[str, dict] | None:
    """(message key, values) for the one known bug signature the student's curve shows, else None:
    a loss that blows up or grows, training that stops after one step per epoch, a loss that falls then climbs
    back (diverges), or one that stops falling (or hardly falls) while the reference's goes on down."""
    if student is None or not student.loss:
        return None
    values = [v for _, v in student.loss]
    if any(v is None for v in values):
        first = next(step for step, v in student.loss if v is None)
        return "not_finite", {"step": first}
    per_epoch = _steps_per_epoch(student)
    if reference is not None and per_epoch and max(per_epoch) <= 2 and _longest_epoch(reference) > 10:
        return "one_step_per_epoch", {"steps": max(per_epoch), "reference": _longest_epoch(reference)}
    quarter = max(1, len(values) // 4)
    start, end = _mean(values[:quarter]), _mean(values[-quarter:])
    if len(values) >= 8 and end > start * 1.1:
        return "grows", {"start": f"{start:.3g}", "end": f"{end:.3g}"}
    if reference is None or len(values) < 8:
        return None
    reference_values = [v for _, v in reference.loss if v is not None]
    if not reference_values:
        return None
    reference_end = _mean(reference_values[-max(1, len(reference_values) // 4):])
    if end <= 1.25 * reference_end:
        return None
    rebound = _rebound(student)
    if rebound is not None:
        return "diverges", rebound
    flat_from = _flat_from(student, reference_end)
    if flat_from is not None:
        return "flat", {"step": flat_from, "end": f"{end:.3g}", "reference": f"{reference_end:.3g}"}
    reference_start = _mean(reference_values[:max(1, len(reference_values) // 4)])
    if start - end < 0.25 * (reference_start - reference_end):
        return "hardly_falls", {"start": f"{start:.3g}", "end": f"{end:.3g}", "reference": f"{reference_end:.3g}"}
    return None


def _steps_per_epoch(curves: Curves) -> list[int]:
    ends = list(curves.epoch_steps)
    return [b - a for a, b in zip([0] + ends, ends)]


def _longest_epoch(curves: Curves) -> int:
    return max(_steps_per_epoch(curves), default=0)


def _rebound(curves: Curves) -> dict | None:
    """Where a (smoothed) loss that had fallen climbed back most of the way: its lowest point in the first
    two thirds of the run, and an end at least 30% above it and above half-way back to the start."""
    values = [v for _, v in curves.loss]
    smooth = _smoothed(values, len(values) // 20)
    lowest = min(range(len(smooth)), key=smooth.__getitem__)
    end = _mean(values[-max(1, len(values) // 10):])
    if lowest < 2 * len(smooth) // 3 and end > 1.3 * smooth[lowest] and end - smooth[lowest] > (smooth[0] - smooth[lowest]) / 2:
        return {"low": f"{smooth[lowest]:.3g}", "step": curves.loss[lowest][0], "end": f"{end:.3g}"}
    return None


def _flat_from(curves: Curves, reference_end: float) -> int | None:
    """The step from which the (smoothed) loss stays within a twentieth of the way down to the reference's final loss
    of its own final value, when that is in the first half of the run: the loss stopped falling there."""
    values = [v for _, v in curves.loss]
    smooth = _smoothed(values, len(values) // 10)
    margin = 0.05 * max(smooth[0] - reference_end, 1e-12)
    for index in range(len(smooth)):
        if all(abs(v - smooth[-1]) <= margin for v in smooth[index:]):
            return curves.loss[index][0] if index < len(smooth) // 2 else None
    return None


def _smoothed(values: list[float], window: int) -> list[float]:
    """Each value as the mean of the `window` values ending at it (at least itself)."""
    window = max(1, window)
    return [_mean(values[max(0, i - window + 1):i + 1]) for i in range(len(values))]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)
