"""checker trace SCRIPT [-- ARGS...]"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from checker.cli import exits_cleanly, lang_option


@click.command("trace", context_settings={"ignore_unknown_options": True})
@click.argument("script", type=click.Path(path_type=Path))
@click.argument("script_args", nargs=-1, type=click.UNPROCESSED)
@click.option("--max-steps", type=int, default=200, show_default=True,
              help="Optimizer steps (or backward() calls, for a hand-written update) before the run is ended: the "
                   "epoch in progress stops, its evaluation runs, and the next training step ends the run.")
@click.option("--timeout", type=float, default=600, show_default=True, help="Wall-clock limit in seconds.")
@click.option("--memory-mb", type=int, default=16_384, show_default=True, help="Address-space limit of the run.")
@click.option("--data", "data_dirs", multiple=True, type=click.Path(path_type=Path),
              help="A folder outside the script's own that it reads (read-only); repeat for more.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--show-output", is_flag=True, help="Print what the script printed (its start and its end).")
@click.option("--no-plot", is_flag=True, help="Leave out the chart of the training loss per step.")
@lang_option
@exits_cleanly
def command(script, script_args, max_steps, timeout, memory_mb, data_dirs, fmt, show_output, no_plot, lang):
    """Run your own training script under the checker's probes and report the training bugs it shows.

    \b
    checker trace train.py                      run it as `python train.py`
    checker trace train.py -- --epochs 1 --lr 0.1   arguments after -- go to the script
    checker trace notebook.ipynb                its code cells, in order
    \b
    The script runs unmodified, with any model and any data, in the same sandbox as `checker verify`: its
    folder is read-only (what it writes stays in the sandbox) and it has no network. The probes find the
    training steps and the evaluation passes by themselves, and each finding names the line of its cause
    (codes as in `checker lint`, see docs/rules.md). A budget that ends the run is reported, never hidden.
    Exit status: 0 nothing found, 1 findings (or the script failed), 2 usage error.
    """
    from rich.console import Console

    from checker import isolation
    from checker.trace import trace
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    notice = isolation.fallback_notice(lang)
    if notice:
        click.echo(notice, err=True)
    console = Console(stderr=True)
    spinner = console.status(_running(script, max_steps, lang)) if console.is_terminal and fmt == "text" else None
    if spinner:
        spinner.start()
    try:
        result = trace(script, list(script_args), max_steps=max_steps, timeout_s=timeout, memory_mb=memory_mb,
                       data_dirs=list(data_dirs), lang=lang)
    finally:
        if spinner:
            spinner.stop()
    if fmt == "json":
        data = result.to_dict()
        if not show_output:
            data.pop("output")
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        from checker.trace_render import summary

        if show_output and result.output:
            click.echo(result.output.rstrip("\n"), err=True)
        for f in result.findings:
            where = f.path if f.cell is None else f"{f.path}:cell_{f.cell}"
            click.echo(f"{where}:{f.line or '?'}: {f.code} {f.message}")
        click.echo(summary(result, lang), err=True)
        if result.curves and not no_plot:
            from checker.render import print_curves

            print_curves(console, result.curves, lang)
    sys.exit(0 if result.clean else 1)


def _running(script: Path, max_steps: int, lang: str) -> str:
    if lang == "zh":
        return f"正在追踪 {script}（最多 {max_steps} 个训练步）……"
    return f"tracing {script} (at most {max_steps} training steps)..."
