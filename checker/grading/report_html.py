"""The class report of `checker grade --report`: one self-contained HTML file (inline CSS, inline SVG, a few lines
of JavaScript that sort the students' table) written from the same grades as the JSON and CSV.

Everything a submission controls (a student's folder name, a check's message) is escaped before it reaches the
page, and the page's Content-Security-Policy lets no resource load and no script run but the page's own: even a
string that slipped past the escaping could fetch nothing and run nothing. Without JavaScript, all but sorting
works. The numbers come from checker.grading.stats; this module only draws them.
"""
from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from string import Template

from checker.grading import stats
from checker.grading.grade import ERROR, INVALID, NEEDS_REVIEW, Grade
from checker.messages import status_label, text
from checker.scenario import Scenario
from checker.untrusted import clean, shown

MESSAGE_CHARS = 400  # a longer message is cut: the page stays light with a class of hostile outputs
SPARK_WIDTH, SPARK_HEIGHT, SPARK_POINTS = 120, 28, 60
CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 720, 220, 22, 34
STATUSES = ("fixed", "not_fixed", "crashed", "timeout", NEEDS_REVIEW, INVALID, ERROR)


def write_report(grades: Sequence[Grade], scenario: Scenario, path: Path, lang: str = "en",
                 reference_curves: dict | None = None) -> None:
    """Write the report to `path` atomically (a reader never sees half a page)."""
    from checker.grading.export import _write

    _write(path, render(grades, scenario, lang, reference_curves))


def render(grades: Sequence[Grade], scenario: Scenario, lang: str = "en", reference_curves: dict | None = None,
           generated: datetime | None = None) -> str:
    def label(key: str, **values) -> str:
        return text("report", key, lang, **values)

    summary = stats.summarize(grades)
    order = scenario.check_ids()
    template = _template()
    fields = {
        "lang": esc(lang), "csp": _content_security_policy(template),
        "title": esc(label("title", scenario=scenario.id)),
        "summary": _summary(summary, scenario, lang, generated or datetime.now().astimezone()),
        "histogram_heading": esc(label("histogram")),
        "histogram_note": esc(label("histogram_note", max=f"{summary.max_score:g}")),
        "histogram": histogram_svg(stats.histogram([g.score for g in grades], summary.max_score), lang),
        "pass_rates_heading": esc(label("pass_rates")),
        "pass_rates": _pass_rates(stats.pass_rates(grades, order), lang),
        "failures_heading": esc(label("failures")),
        "failures": _failures(stats.top_failures(grades, 10, order), lang),
        "students_heading": esc(label("students")),
        "students_note": esc(label("students_note")),
        "students": _students(grades, lang, reference_curves),
    }
    return Template(template).substitute(fields)


def esc(value) -> str:
    """Text for the page, from anything: escape sequences and control characters dropped, anything else that does
    not print shown as an escape (a lone surrogate would stop the page being written), then HTML-escaped (quotes
    too, for attributes)."""
    return html.escape(shown(clean(str(value))), quote=True)


def histogram_svg(bins: list[stats.Bin], lang: str = "en") -> str:
    """Bars over the score axis, each with its count above it and its score range below it."""
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = CHART_WIDTH / max(len(bins), 1)
    highest = max((b.count for b in bins), default=0) or 1
    parts = [(f'<svg class="chart" role="img" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" '
              f'aria-label="{esc(text("report", "histogram", lang))}">'),
             f'<line x1="0" y1="{CHART_TOP + plot}" x2="{CHART_WIDTH}" y2="{CHART_TOP + plot}"/>']
    for index, item in enumerate(bins):
        height = plot * item.count / highest
        x, y = index * slot, CHART_TOP + plot - height
        title = text("report", "histogram_bar", lang, label=item.label, count=item.count)
        parts.append(
            f'<g class="bin" data-label="{esc(item.label)}" data-count="{item.count}"><title>{esc(title)}</title>'
            f'<rect x="{x + slot * 0.1:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{height:.1f}"/>'
            f'<text class="count" x="{x + slot / 2:.1f}" y="{y - 5:.1f}">{item.count}</text>'
            f'<text class="label" x="{x + slot / 2:.1f}" y="{CHART_TOP + plot + 16}">{esc(item.label)}</text></g>')
    parts.append(f'<text x="{CHART_WIDTH / 2:.0f}" y="{CHART_HEIGHT - 2}">{esc(text("report", "score", lang))}</text>'
                 "</svg>")
    return "".join(parts)


def sparkline(student: list, reference: list | None = None) -> str:
    """The student's loss (red) over the reference's (grey), on one scale; a None (NaN or infinite) is a gap.
    A loss far above the reference's is drawn at the top edge: a blow-up shows as a line stuck there."""
    mine, theirs = _series(student), _series(reference or [])
    values = [v for _, v in mine + theirs if v is not None]
    steps = [s for s, _ in mine + theirs]
    if not steps:
        return ""
    top = max(values, default=1.0)
    reference_values = [v for _, v in theirs if v is not None]
    if reference_values:
        top = min(top, 2 * max(reference_values))
    bottom = min(min(values, default=0.0), 0.0)
    top = top if top > bottom else bottom + 1.0
    first, last = min(steps), max(steps)
    span = (last - first) or 1

    def path(series: list) -> str:
        commands, pen_down = [], False
        for step, value in series:
            if value is None:
                pen_down = False
                continue
            x = 1 + (SPARK_WIDTH - 2) * (step - first) / span
            y = 1 + (SPARK_HEIGHT - 2) * (1 - (min(value, top) - bottom) / (top - bottom))
            commands.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
            pen_down = True
        return " ".join(commands)

    shown = [p for p in (("reference", path(theirs)), ("student", path(mine))) if p[1]]
    return (f'<svg class="spark" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" '
            f'viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" aria-hidden="true">'
            + "".join(f'<path class="{name}" d="{d}"/>' for name, d in shown) + "</svg>")


def _template() -> str:
    return (resources.files("checker") / "templates" / "report.html.txt").read_text(encoding="utf-8")


def _content_security_policy(template: str) -> str:
    """Nothing loads, and only the template's own style sheet and script apply (by their hashes)."""
    def digest(tag: str) -> str:
        body = re.search(f"<{tag}>(.*?)</{tag}>", template, re.DOTALL).group(1)
        return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"

    return (f"default-src 'none'; style-src {digest('style')}; script-src {digest('script')}; "
            "base-uri 'none'; form-action 'none'")


def _summary(summary: stats.Summary, scenario: Scenario, lang: str, generated: datetime) -> str:
    def number(value: float | None) -> str:
        return "–" if value is None else f"{round(value, 2):g}"

    items = [("scenario", f"{scenario.id}: {scenario.title.get(lang)}"),
             ("submissions", str(summary.submissions)),
             ("mean", f"{number(summary.mean)} / {summary.max_score:g}"),
             ("median", f"{number(summary.median)} / {summary.max_score:g}"),
             ("fixed", f"{summary.fixed} / {summary.submissions}"),
             ("generated", generated.strftime("%Y-%m-%d %H:%M"))]
    return "".join(f'<div data-key="{key}"><dt>{esc(text("report", key, lang))}</dt><dd>{esc(value)}</dd></div>'
                   for key, value in items)


def _pass_rates(rates: list[stats.PassRate], lang: str) -> str:
    rows = []
    for rate in rates:
        share = rate.rate or 0.0
        rows.append(
            f'<tr data-check="{esc(rate.check)}"><td><code>{esc(rate.check)}</code></td>'
            f'<td><svg class="bar" width="160" height="12" viewBox="0 0 100 10" aria-hidden="true">'
            f'<rect class="track" width="100" height="10"/><rect class="fill" width="{100 * share:.1f}" height="10"/>'
            f'</svg></td><td class="num rate">{rate.passed}/{rate.total} ({100 * share:.0f}%)</td></tr>')
    return (f'<table class="rates"><thead><tr><th>{esc(text("report", "check", lang))}</th><th></th>'
            f'<th class="num">{esc(text("report", "passed", lang))}</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _failures(failures: list[stats.Failure], lang: str) -> str:
    if not failures:
        return f'<p class="note">{esc(text("report", "no_failures", lang))}</p>'
    rows = "".join(
        f'<tr data-check="{esc(f.check)}"><td class="num">{rank}</td><td><code>{esc(f.check)}</code></td>'
        f'<td class="num count">{f.count}</td><td class="msg">{esc(_cut(f.message))}'
        f'{f" (×{f.message_count})" if f.message_count < f.count else ""}</td></tr>'
        for rank, f in enumerate(failures, start=1))
    heads = "".join(f'<th class="{css}">{esc(text("report", key, lang))}</th>'
                    for key, css in (("check", ""), ("failing_count", "num"), ("common_message", "")))
    return f'<table class="failures"><thead><tr><th class="num">#</th>{heads}</tr></thead><tbody>{rows}</tbody></table>'


def _students(grades: Sequence[Grade], lang: str, reference_curves: dict | None) -> str:
    with_curves = any(_loss(g.curves) for g in grades)
    reference_loss = _loss(reference_curves)
    columns = [("student", "text", ""), ("status", "text", ""), ("score", "number", "num"),
               ("accuracy", "number", "num"), ("failing", "number", "")]
    heads = "".join(f'<th data-key="{key}" data-type="{kind}" class="{css}">{esc(text("report", key, lang))}</th>'
                    for key, kind, css in columns)
    if with_curves:
        heads += f"<th>{esc(text('report', 'loss', lang))}</th>"
    rows = []
    for grade in grades:
        status = grade.status if grade.status in STATUSES else "other"
        failing = [c for c in grade.checks if not c.passed]
        cells = [
            f'<td data-v="{esc(grade.student.lower())}">{esc(grade.student)}</td>',
            f'<td data-v="{esc(grade.status)}"><span class="status status-{status}">'
            f'{esc(status_label(grade.status, lang))}</span></td>',
            f'<td class="num" data-v="{grade.score:g}">{grade.score:g}/{grade.max_score:g}</td>',
            (f'<td class="num" data-v="{-1 if grade.accuracy is None else grade.accuracy:g}">'
             f'{esc(_accuracy(grade))}</td>'),
            f'<td data-v="{len(failing)}">{_failing(grade, failing, lang)}</td>',
        ]
        if with_curves:
            cells.append(f"<td>{_loss_cell(grade, reference_loss, lang)}</td>")
        rows.append(f'<tr data-student="{esc(grade.student)}">{"".join(cells)}</tr>')
    return f'<table id="students"><thead><tr>{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _accuracy(grade: Grade) -> str:
    def percent(value: float | None) -> str:
        return "–" if value is None else f"{100 * value:.1f}%"

    if grade.accuracy is None and grade.reference_accuracy is None:
        return "–"
    return f"{percent(grade.accuracy)} ({percent(grade.reference_accuracy)})"


def _failing(grade: Grade, failing: list, lang: str) -> str:
    """The failing checks with their lines and messages; for a submission that never ran (or awaits review),
    its one message instead of the same message under every check."""
    if grade.message and grade.status in (INVALID, ERROR, NEEDS_REVIEW):
        return f'<span class="msg">{esc(_cut(grade.message))}</span>'
    items = []
    for check in failing:
        line = f' <span class="line">{esc(text("ui", "line", lang, line=check.line))}</span>' if check.line else ""
        items.append(f'<li><code>{esc(check.id)}</code>{line} <span class="msg">{esc(_cut(check.message))}</span></li>')
    return f'<ul class="fails">{"".join(items)}</ul>' if items else ""


def _loss_cell(grade: Grade, reference_loss: list, lang: str) -> str:
    loss = _loss(grade.curves)
    if not loss:
        return ""

    def last(series: list) -> str:
        finite = [v for _, v in _series(series) if v is not None]
        return f"{finite[-1]:.3g}" if finite else "–"

    title = text("report", "loss_title", lang, student=last(loss), reference=last(reference_loss))
    return f'<span title="{esc(title)}">{sparkline(loss, reference_loss)}</span>'


def _loss(curves) -> list:
    loss = curves.get("loss") if isinstance(curves, dict) else None
    return loss if isinstance(loss, list) else []


def _series(points: list) -> list[tuple[float, float | None]]:
    """(step, value) pairs from [[step, value], ...], a value that is no finite number a None (a gap), malformed
    points dropped; at most SPARK_POINTS, a stretch holding a gap kept as a gap."""
    series = []
    for point in points:
        if isinstance(point, (list, tuple)) and len(point) == 2 and _finite(point[0]):
            series.append((float(point[0]), float(point[1]) if _finite(point[1]) else None))
    stride = math.ceil(len(series) / SPARK_POINTS) or 1
    kept = []
    for start in range(0, len(series), stride):
        chunk = series[start:start + stride]
        kept.append((chunk[-1][0], None if any(v is None for _, v in chunk) else chunk[-1][1]))
    return kept


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _cut(message: str) -> str:
    return message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS - 1] + "…"
