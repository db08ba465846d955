"""A class's grades in numbers, for the HTML report: the score histogram, each check's pass rate, the most common
failures. Pure functions of the grades: no HTML, no files."""
from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from checker.grading.grade import Grade

FIXED = "fixed"
MAX_POINT_BINS = 20  # up to this many points, with whole scores, one bin per score; else equal-width bins


@dataclass(frozen=True)
class Bin:
    low: float
    high: float  # the last bin holds `high` too; a bin with low == high holds that one score
    count: int

    @property
    def label(self) -> str:
        return f"{self.low:g}" if self.low == self.high else f"{self.low:g}–{self.high:g}"


@dataclass(frozen=True)
class PassRate:
    check: str
    passed: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None


@dataclass(frozen=True)
class Failure:
    check: str
    count: int  # submissions failing this check
    message: str  # the most common message among them (the first seen on a tie)
    message_count: int


@dataclass(frozen=True)
class Summary:
    submissions: int
    fixed: int
    mean: float | None
    median: float | None
    max_score: float


def summarize(grades: Sequence[Grade]) -> Summary:
    scores = [g.score for g in grades]
    return Summary(submissions=len(grades), fixed=sum(g.status == FIXED for g in grades),
                   mean=statistics.fmean(scores) if scores else None,
                   median=statistics.median(scores) if scores else None,
                   max_score=max((g.max_score for g in grades), default=0.0))


def histogram(scores: Sequence[float], max_score: float, bins: int = 10) -> list[Bin]:
    """Counts of scores over 0..max_score. Whole scores out of at most MAX_POINT_BINS points get a bin each
    (0, 1, ..., max_score); any others, `bins` bins of equal width, the last one closed. A score outside
    0..max_score counts in the nearest bin."""
    if max_score <= 0:
        return [Bin(0.0, 0.0, len(scores))]
    if max_score <= MAX_POINT_BINS and all(float(s).is_integer() for s in [max_score, *scores]):
        counts = Counter(min(max(int(s), 0), int(max_score)) for s in scores)
        return [Bin(float(k), float(k), counts[k]) for k in range(int(max_score) + 1)]
    width = max_score / bins
    counts = Counter(min(max(int(s / width), 0), bins - 1) for s in scores)
    return [Bin(i * width, (i + 1) * width, counts[i]) for i in range(bins)]


def pass_rates(grades: Sequence[Grade], check_order: Iterable[str] = ()) -> list[PassRate]:
    """Each check's passes out of the submissions that carry it: `check_order` first (the scenario's order),
    then any other check in the order first seen."""
    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for grade in grades:
        for check in grade.checks:
            total[check.id] += 1
            passed[check.id] += check.passed
    return [PassRate(c, passed[c], total[c]) for c in _ordered(check_order, total)]


def top_failures(grades: Sequence[Grade], limit: int = 10, check_order: Iterable[str] = ()) -> list[Failure]:
    """The `limit` checks failed by the most submissions, most first (a tie in the scenario's check order), each
    with its most common message."""
    messages: dict[str, Counter[str]] = {}
    for grade in grades:
        for check in grade.checks:
            if not check.passed:
                messages.setdefault(check.id, Counter())[check.message] += 1
    order = {c: i for i, c in enumerate(_ordered(check_order, messages))}
    failing = sorted(messages, key=lambda c: (-sum(messages[c].values()), order[c]))
    result = []
    for check in failing[:limit]:
        message, count = messages[check].most_common(1)[0]
        result.append(Failure(check, sum(messages[check].values()), message, count))
    return result


def _ordered(first: Iterable[str], seen: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*first, *seen]))
