"""checker export gradescope|prairielearn SCENARIO... --out DIR"""
from __future__ import annotations

from pathlib import Path

import click

from checker.cli import exits_cleanly, lang_option


@click.command("export")
@click.argument("platform", type=click.Choice(["gradescope", "prairielearn"]))
@click.argument("scenario_ids", metavar="SCENARIO...", nargs=-1, required=True)
@click.option("--out", "out", required=True, metavar="DIR", type=click.Path(path_type=Path),
              help="The folder to write into: a new one, or an empty one.")
@click.option("--student-lang", type=click.Choice(["en", "zh"]), default=None,
              help="The language of the feedback students see (default: --lang's).")
@click.option("--timeout", type=click.FloatRange(min=1), default=None,
              help="Wall-clock limit per submission in seconds (default: the scenario's).")
@click.option("--image", help="prairielearn: the Docker image the questions are graded in (e.g. "
                              "yourname/torchdrill-grader:0.1.0): build it from the Dockerfile written beside "
                              "them, and push it to Docker Hub.")
@click.option("--wheel", type=click.Path(path_type=Path),
              help="Install torchdrill from this wheel, carried in the bundle (default: torchdrill==VERSION from "
                   "PyPI).")
@click.option("--allow-weak-isolation", is_flag=True,
              help="Grade behind the process sandbox alone where the platform lets bubblewrap make no namespaces "
                   "(not safe against a determined student). Without it, such a platform gets a result that says "
                   "why the submission was not graded.")
@lang_option
@exits_cleanly
def command(platform, scenario_ids, out, student_lang, timeout, image, wheel, allow_weak_isolation, lang):
    """Write what a course platform needs to grade SCENARIO... with torchdrill into the folder DIR (--out).

    \b
    checker export gradescope zero_grad --out bundles/
      DIR/gradescope/zero_grad_autograder.zip: setup.sh and run_autograder at its root; upload it as the
      assignment's autograder (one zip per scenario: Gradescope has one autograder per assignment)
    checker export prairielearn zero_grad resume --image you/torchdrill-grader:0.1.0 --out pl/
      DIR/prairielearn/questions/ID/: an externally graded question (info.json, question.html, tests/run.py)
      DIR/prairielearn/image/: the Dockerfile of the image they are graded in (build it, push it)

    Both install everything, pinned, when the platform builds the image, and download nothing while grading;
    every submission runs through `checker grade-one` behind bubblewrap, as a uid of its own under root. A
    scenario of your own (TORCHDRILL_SCENARIOS) travels inside the bundle. See docs/grading-at-scale.md.
    """
    from checker.grading.bundles import Options, export
    from checker.messages import text
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    options = Options(student_lang=student_lang or lang, timeout_s=timeout, allow_weak_isolation=allow_weak_isolation,
                      wheel=wheel, image=image)
    written = export(platform, list(scenario_ids), out, options, lang)
    for item in written:
        key = {"gradescope": "wrote_gradescope", "question": "wrote_question", "image": "wrote_image"}[item.kind]
        click.echo(text("export", key, lang, path=_shown(item.path), id=item.scenario, points=f"{item.points:g}",
                        image=image or ""))
    if wheel is None:
        from checker.grading.bundles import torchdrill_version

        click.echo(text("export", "from_pypi", lang, version=torchdrill_version()), err=True)
    if allow_weak_isolation:
        click.echo(text("export", "weak", lang), err=True)


def _shown(path: Path) -> str:
    from checker.cli import shown_path

    return shown_path(path)
