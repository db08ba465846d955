"""checker verify PATH"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from checker.cli import exits_cleanly, lang_option


def verify_and_show(path: Path, scenario_id, lang, device, data, data_root, timeout, as_json, launcher=None,
                    plot: bool = True, plot_file: Path | None = None) -> bool:
    """Verify once, print the verdict (rich or JSON), record progress (a pass of your own file counts as solved, a
    pass of the shipped solution file does not, and a failure clears a solved mark); return whether it passed."""
    from rich.console import Console

    from checker import isolation, progress
    from checker.messages import text
    from checker.pristine import is_shipped_solution
    from checker.render import print_verdict
    from checker.scenario import find
    from checker.verify import verify

    from reference.i18n import detect_lang

    console = Console(stderr=True)
    notice = isolation.fallback_notice(detect_lang(lang))
    if notice:
        click.echo(notice, err=True)
    status_text = console.status("") if console.is_terminal and not as_json else None
    if status_text:
        status_text.start()

    def on_status(message: str) -> None:
        if status_text:
            status_text.update(message)

    try:
        verdict = verify(path, scenario_id, lang=lang, device=device, data_kind=data, data_root=data_root,
                         timeout_s=timeout, on_status=on_status, launcher=launcher)
    finally:
        if status_text:
            status_text.stop()
    scenario = find(verdict.scenario)
    solution = is_shipped_solution(path, scenario)  # the solution file itself passes, but is not your work
    solved = verdict.passed and not solution
    if solved:
        progress.mark_solved(scenario.id)
    elif not verdict.passed and not solution:
        progress.unmark_solved(scenario.id)  # `checker list` shows where you are now
    if as_json:
        click.echo(json.dumps({**verdict.to_dict(), "counts_as_solved": solved}, ensure_ascii=False))
    else:
        note = text("ui", "solution_copy", lang) if verdict.passed and not solved else ""
        print_verdict(Console(), verdict, scenario.explanation.get(lang), note, plot=plot)
    if plot_file is not None:
        from checker.plot_figure import write_figure

        click.echo(text("ui", "plot_written", lang, path=write_figure(verdict, plot_file)), err=True)
    return verdict.passed


@click.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--scenario", "scenario_id", help="Scenario id, when the file name does not start with one.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the rich report.")
@lang_option
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="cpu", show_default=True,
              help="Where the script trains. auto picks cuda when there is a GPU.")
@click.option("--data", type=click.Choice(["subset", "full"]), default="subset", show_default=True,
              help="subset: the embedded 10,000/2,000 MNIST images; full: all 70,000 (see `python -m reference --help`).")
@click.option("--data-root", help="A torchvision MNIST root for --data full.")
@click.option("--timeout", type=float, help="Wall-clock limit in seconds (default: the scenario's budget).")
@click.option("--no-plot", is_flag=True, help="Leave out the chart of your training loss against the reference's.")
@click.option("--plot", "plot_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write a figure of the curves to this .png or .svg file (needs matplotlib: "
                   "pip install 'torchdrill[plots]').")
@exits_cleanly
def command(path, scenario_id, as_json, lang, device, data, data_root, timeout, no_plot, plot_file):
    """Verify your fix of a buggy example.

    Runs the script in a sandboxed child process on the scenario's budget, checks with runtime probes that the
    specific bug is gone, and measures the trained model's test accuracy against the reference solution's.
    Below the checks, a few lines chart your training loss against the reference's (--no-plot leaves them out;
    --json carries the series instead), with one line naming a known bug signature when the curve shows one.

    Exit code: 0 fixed, 1 not fixed (including a crash or a timeout), 2 a problem with the input.
    """
    from reference.i18n import detect_lang

    if plot_file is not None:
        from checker.plot_figure import check_target

        check_target(plot_file)  # before the run: a missing matplotlib or a bad suffix should not cost a training
    passed = verify_and_show(path, scenario_id, detect_lang(lang), device, data, data_root, timeout, as_json,
                             plot=not no_plot, plot_file=plot_file)
    sys.exit(0 if passed else 1)
