"""checker grade-one SUBMISSION --scenario ID"""
from __future__ import annotations

import json
from pathlib import Path

import click

from checker.cli import exits_cleanly, lang_option


@click.command("grade-one")
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@click.option("--scenario", "scenario_id", required=True, help="The scenario the submission is a fix of.")
@click.option("--student", help="The name to report (default: the file or folder name).")
@click.option("--gradescope", "gradescope_out", type=click.Path(path_type=Path),
              help="Also write Gradescope's results.json to this path.")
@click.option("--timeout", type=float, help="Wall-clock limit in seconds (default: the scenario's).")
@click.option("--allow-weak-isolation", is_flag=True,
              help="Grade even where bubblewrap cannot run, behind the process sandbox alone (not safe against a "
                   "determined student).")
@lang_option
@exits_cleanly
def command(submission, scenario_id, student, gradescope_out, timeout, allow_weak_isolation, lang):
    """Grade one submission and print its grade as one JSON object: the unit of work that `checker grade`
    runs for each student, for engines that spread grading over machines (see docs/grading-at-scale.md).

    \b
    In Gradescope's run_autograder:
      checker grade-one /autograder/submission --scenario zero_grad \\
          --gradescope /autograder/results/results.json

    SUBMISSION is a script, or a folder holding ID.py (or a single .py file). Exit code 0 when the submission
    was graded, whatever its score; 2 for bad input or a scenario whose reference cannot run.
    """
    from checker.grading import export
    from checker.grading.unit import grade_submission
    from checker.isolation import require_os_boundary
    from checker.scenario import find
    from reference.i18n import detect_lang

    require_os_boundary(allow_weak_isolation)
    grade = grade_submission(submission, scenario_id, student, detect_lang(lang), timeout)
    if gradescope_out is not None:
        target = gradescope_out if gradescope_out.suffix == ".json" else gradescope_out / "results.json"
        export.write_gradescope([grade], target, find(scenario_id).grading.visibility)
    click.echo(json.dumps(grade.to_dict(), ensure_ascii=False))
