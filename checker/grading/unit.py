"""The unit of grading: one submission in, one Grade out. Self-contained, so any engine can call it.

    python -m checker.grading.unit SUBMISSION --scenario ID [--lang en|zh] [--timeout S]

prints the grade as one JSON object (the same as `checker grade-one`). The function `grade_submission` is the
same unit for engines that call Python (a Ray task, a Dask delayed call, a pool of your own): it needs only the
submission's path and the scenario id, reads nothing but the installed torchdrill, and never raises for anything
the submission does.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

from checker.grading.grade import ERROR, INVALID, Grade, from_verdict, without_run
from checker.grading.names import shown_name
from checker.grading.submissions import Entry, entry_for
from checker.scenario import Scenario, ScenarioError, find
from checker.verdict import InputError


def grade_submission(path: str | Path, scenario_id: str, student: str | None = None, lang: str = "en",
                     timeout_s: float | None = None, launcher=None) -> Grade:
    """Grade one submission (a script, or a folder holding one) on one scenario."""
    path = Path(path)
    entry = entry_for(path, student or shown_name(path.name if path.is_dir() else path.stem), scenario_id)
    return grade_entry(entry, find(scenario_id), lang, timeout_s, launcher)


def grade_entry(entry: Entry, scenario: Scenario, lang: str = "en", timeout_s: float | None = None,
                launcher=None) -> Grade:
    """The grade of one found submission. Whatever goes wrong becomes this submission's grade, never an error."""
    from checker.sandbox import WorkerLost
    from checker.verify import ReferenceFailed, verify

    started = time.perf_counter()
    submission = shown_name(str(entry.path))
    if entry.problem:
        return without_run(scenario, entry.student, submission, INVALID, entry.problem)
    try:
        verdict = verify(entry.path, scenario.id, lang=lang, timeout_s=timeout_s, launcher=launcher)
    except (ReferenceFailed, WorkerLost):
        raise  # the grader's own problem, not the student's: the caller retries or stops
    except InputError as error:
        return without_run(scenario, entry.student, submission, INVALID, str(error),
                           time.perf_counter() - started)
    except Exception as error:  # a bug of ours must cost this one submission, not the batch
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return without_run(scenario, entry.student, submission, ERROR, f"internal error in torchdrill: {detail}",
                           time.perf_counter() - started)
    return from_verdict(verdict, scenario, entry.student, submission, lang)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m checker.grading.unit", description=__doc__.splitlines()[0])
    parser.add_argument("submission", help="a script, or a folder holding the student's script")
    parser.add_argument("--scenario", required=True, help="scenario id, e.g. zero_grad")
    parser.add_argument("--student", help="the name to report (default: the file or folder name)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    parser.add_argument("--timeout", type=float, help="wall-clock limit in seconds (default: the scenario's)")
    args = parser.parse_args(argv)
    try:
        if not Path(args.submission).exists():
            raise InputError.keyed("no_such_path", path=args.submission)
        grade = grade_submission(args.submission, args.scenario, args.student, args.lang, args.timeout)
    except (InputError, ScenarioError) as error:  # an unknown scenario, no submission, a reference that fails
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(grade.to_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
