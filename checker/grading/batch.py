"""Grading a folder of submissions over a pool of warm workers; one bad submission never stops the batch."""
from __future__ import annotations

from typing import Callable

from checker.grading.grade import ERROR, Grade, without_run
from checker.grading.names import shown_name
from checker.grading.submissions import Entry
from checker.grading.unit import grade_entry
from checker.scenario import Scenario


def ensure_reference(scenario: Scenario, timeout_s: float | None = None) -> tuple[float, dict | None]:
    """The scenario's reference accuracy and curves, computed now if they are not cached, so that no submission
    waits for them and a reference that cannot run stops the batch before it starts (ReferenceFailed, exit 2)."""
    from checker import reference_cache
    from checker.verify import solution_result

    return reference_cache.reference_result(
        scenario, "subset", "cpu", lambda: solution_result(scenario, "cpu", "subset", None, timeout_s))


def grade_all(entries: list[Entry], scenario: Scenario, jobs: int = 2, warm: bool = True, lang: str = "en",
              timeout_s: float | None = None, on_done: Callable[[Grade], None] | None = None) -> list[Grade]:
    """Every entry's grade, in the entries' order, `jobs` submissions at a time."""
    from checker.pool import run_all
    from checker.sandbox import WorkerLost

    def work(entry: Entry, launcher) -> Grade:
        return grade_entry(entry, scenario, lang, timeout_s, launcher)

    def lost(entry: Entry, error: WorkerLost) -> Grade:  # twice: most likely the submission kills its worker
        return without_run(scenario, entry.student, shown_name(str(entry.path)), ERROR,
                           f"the process running this submission was killed twice ({error}); check it by hand")

    def done(entry: Entry, grade: Grade) -> None:
        if on_done:
            on_done(grade)

    return run_all(entries, work, jobs=jobs, warm=warm, on_done=done, on_lost=lost)
