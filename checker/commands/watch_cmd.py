"""checker watch PATH"""
from __future__ import annotations

import time
from pathlib import Path

import click

from checker.cli import exits_cleanly, lang_option


def wait_for_change(path: Path, last: float, interval: float = 0.5) -> float:
    while True:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = last
        if mtime != last:
            return mtime
        time.sleep(interval)


@click.command("watch")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--scenario", "scenario_id", help="Scenario id, when the file name does not start with one.")
@lang_option
@click.option("--max-runs", type=int, default=0, help="Stop after this many verifications (default: run until Ctrl-C).")
@exits_cleanly
def command(path, scenario_id, lang, max_runs):
    """Verify PATH, then again every time it is saved. Stop with Ctrl-C.

    A warm worker (a process that has imported torch once) runs every verification after the first start, so
    each save costs the script's training time, not another few seconds of imports."""
    from checker.commands.verify_cmd import verify_and_show
    from checker.sandbox import WorkerLost
    from checker.untrusted import clean
    from checker.verdict import InputError
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    runs, last = 0, path.stat().st_mtime
    worker = _start_worker()
    try:
        while True:
            try:
                verify_and_show(path, scenario_id, lang, "cpu", "subset", None, None, False, launcher=worker)
            except InputError as error:  # a half-saved file is normal while editing: report and keep watching
                click.echo(f"error: {clean(str(error))}", err=True)
            except WorkerLost:  # the script killed its worker: carry on with fresh processes
                worker.close()
                worker = None
                continue
            runs += 1
            if max_runs and runs >= max_runs:
                return
            click.echo("— waiting for changes (Ctrl-C to stop) —" if lang == "en" else "— 等待文件修改（Ctrl-C 退出）—",
                       err=True)
            last = wait_for_change(path, last)
    finally:
        if worker is not None:
            worker.close()


def _start_worker():
    """A warm worker, or None (fresh processes) where one cannot start."""
    from checker.workers import WarmWorker, WorkerError

    try:
        return WarmWorker()
    except (WorkerError, OSError):
        return None
