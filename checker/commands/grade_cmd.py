"""checker grade SUBMISSIONS --scenario ID"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from checker.cli import exits_cleanly, lang_option


@click.command("grade")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--scenario", "scenario_id", required=True, help="The scenario every submission is a fix of.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Submissions graded at once (default: the number of CPU cores, at most 8).")
@click.option("--json", "json_out", type=click.Path(path_type=Path, allow_dash=True),
              help="Write every grade to this JSON file ('-' prints it instead of the table).")
@click.option("--csv", "csv_out", type=click.Path(path_type=Path), help="Write one row per student to this CSV file.")
@click.option("--gradescope", "gradescope_out", type=click.Path(path_type=Path),
              help="Write Gradescope's results.json per student into this folder (FOLDER/STUDENT/results.json).")
@click.option("--report", "report_out", type=click.Path(path_type=Path),
              help="Write the class report to this HTML file: score histogram, pass rate of each check, the most "
                   "common failures and every student, in one self-contained page (no network).")
@click.option("--timeout", type=float, help="Wall-clock limit per submission in seconds (default: the scenario's).")
@click.option("--fresh", is_flag=True,
              help="Start a new process per submission instead of pre-started warm workers (slower).")
@click.option("--allow-weak-isolation", is_flag=True,
              help="Grade even where bubblewrap cannot run, behind the process sandbox alone (not safe against a "
                   "determined student).")
@lang_option
@exits_cleanly
def command(submissions, scenario_id, jobs, json_out, csv_out, gradescope_out, report_out, timeout, fresh,
            allow_weak_isolation, lang):
    """Grade a class: every submission in SUBMISSIONS (one file or one folder per student) against a scenario.

    Each submission runs in its own sandbox with the same limits and timeout as `checker verify`; a bad or
    hostile one gets its own grade and never stops the batch. Points per check come from the scenario's
    [grading] weights. Pre-started workers that have already imported torch run the submissions, so each
    costs its training time only.

    \b
    checker grade submissions/ --scenario zero_grad --csv grades.csv --gradescope results/
    checker grade submissions/ --scenario zero_grad --json - > grades.json
    checker grade submissions/ --scenario zero_grad --report class.html

    Exit code: 0 when every submission was graded, 1 when the grader itself failed on some, 2 for bad input.
    """
    from checker.grading.batch import ensure_reference, grade_all
    from checker.pool import default_jobs
    from checker.grading.grade import ERROR
    from checker.grading.submissions import find_entries
    from checker.scenario import find
    from checker.isolation import require_os_boundary
    from checker.verdict import InputError
    from reference.i18n import detect_lang

    require_os_boundary(allow_weak_isolation)
    scenario = find(scenario_id, detect_lang(lang))
    entries = find_entries(submissions, scenario.id)
    if gradescope_out is not None and gradescope_out.suffix == ".json" and len(entries) > 1:
        raise InputError.keyed("gradescope_one", path=str(gradescope_out))
    if report_out is not None:
        _check_writable(report_out, "--report")
    _, reference_curves = ensure_reference(scenario, timeout)
    lang = detect_lang(lang)
    grades = _grade_with_progress(entries, scenario, jobs or default_jobs(), not fresh, lang, timeout, grade_all)
    _write_outputs(grades, scenario, json_out, csv_out, gradescope_out, lang)
    if report_out is not None:
        _write_report(grades, scenario, report_out, lang, reference_curves)
    sys.exit(1 if any(g.status == ERROR for g in grades) else 0)


def _grade_with_progress(entries, scenario, jobs, warm, lang, timeout, grade_all):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from checker.messages import status_label
    from checker.untrusted import clean

    console = Console(stderr=True)
    # The description shows a student's folder name: plain text, never markup.
    columns = [TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(scenario.id, total=len(entries))

        def on_done(grade):
            bar.advance(task)
            bar.update(task, description=f"{clean(grade.student)}: {status_label(grade.status, lang)}")

        return grade_all(entries, scenario, jobs=jobs, warm=warm, lang=lang, timeout_s=timeout, on_done=on_done)


def _write_outputs(grades, scenario, json_out, csv_out, gradescope_out, lang: str) -> None:
    from checker.grading import export

    if json_out is not None and str(json_out) == "-":
        import json

        click.echo(json.dumps([g.to_dict() for g in grades], ensure_ascii=False))
    else:
        from rich.console import Console

        from checker.render import grades_table

        Console().print(grades_table(grades, lang))
    if json_out is not None and str(json_out) != "-":
        export.write_json(grades, json_out)
    if csv_out is not None:
        export.write_csv(grades, csv_out)
    if gradescope_out is not None:
        export.write_gradescope(grades, gradescope_out, scenario.grading.visibility)
    for label, path in (("JSON", json_out), ("CSV", csv_out), ("Gradescope", gradescope_out)):
        if path is not None and str(path) != "-":
            click.echo(f"{label}: {path}", err=True)


def _check_writable(path: Path, option: str) -> None:
    """Refuse a path that cannot take the file now, before the class is graded rather than after."""
    from checker.verdict import InputError

    if path.is_dir():
        raise InputError.keyed("output_is_folder", option=option, path=str(path), example=str(path / "class.html"))
    above = next((p for p in path.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise InputError.keyed("output_parent_is_file", option=option, path=str(path), above=str(above))
    probe = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise InputError.keyed("cannot_write", option=option, path=str(path), why=error.strerror or str(error)) from None


def _write_report(grades, scenario, path: Path, lang: str, reference_curves: dict | None) -> None:
    from checker.grading.report_html import write_report
    from checker.verdict import InputError

    try:
        write_report(grades, scenario, path, lang, reference_curves)
    except OSError as error:
        raise InputError.keyed("cannot_write", option="--report", path=str(path), why=error.strerror or str(error)) from None
    click.echo(f"Report: {path}", err=True)
