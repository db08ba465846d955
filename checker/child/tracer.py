"""The child process of `checker trace`: the user's script, unmodified, run as __main__ under the trace probes.

Started like the harness (`python -I`, spec on stdin, framed reports on an inherited pipe), in the same sandbox.
Each finding is reported as soon as it is made, so a run killed at its timeout keeps what was seen.
"""
from __future__ import annotations

import os
import runpy
import sys
import time
import traceback

from checker.child.harness import OUR_PACKAGES, Reporter, child_main, forget_our_modules


def run(spec: dict, reporter: Reporter) -> None:
    from checker.child import guard

    guard.install(spec["sandbox"], spec["forbidden"])
    started = time.perf_counter()
    import torch  # noqa: F401
    try:  # most training scripts import it: its import is not the script's own run time
        import torchvision  # noqa: F401
    except ImportError:
        pass

    from checker.child.curves import CurveRecorder
    from checker.child.patches import Patches
    from checker.child.supplied_data import supply_mnist
    from checker.child.trace_probes import TraceProbes, TraceStop, _error_line

    reporter.send("started", import_s=time.perf_counter() - started)
    probes = TraceProbes(spec["user_dirs"], spec["max_steps"], spec["max_eval_batches"],
                         on_finding=lambda f: reporter.send("finding", finding=f.__dict__))
    script = spec["script"]
    sys.argv = [script, *spec["argv"]]
    sys.path.insert(0, os.path.dirname(script))  # before ours, as `python SCRIPT` puts it
    os.chdir(spec["cwd"])
    status, error, error_at = "finished", "", (None, None)
    supplied = Patches()
    if spec.get("mnist_where_missing"):  # MNIST where the script looks, else the checker's copy: never a download
        supply_mnist(spec["mnist_where_missing"], supplied, where_missing=True)
    probes.install()
    curves = CurveRecorder(None, "cpu")  # the loss per step only: an arbitrary script has no train() to time epochs
    curves.install(None, None)
    forget_our_modules(OUR_PACKAGES)  # the user's own reference.py or checker.py is the one their script imports
    began = time.perf_counter()
    try:
        runpy.run_path(script, run_name="__main__")
    except TraceStop:
        status = "budget"
    except SystemExit as exit_:
        if exit_.code not in (None, 0):
            status, error = "exited", f"SystemExit({exit_.code!r})"
    except BaseException as raised:  # noqa: B036 (whatever the script raises is reported, never re-raised)
        status, error = "crashed", "".join(traceback.format_exception_only(type(raised), raised)).strip()[-2000:]
        error_at = _error_line(raised, probes.user_dirs) or (None, None)
    finally:
        curves.remove()
        probes.remove()
        supplied.undo()
    seconds = time.perf_counter() - began
    try:
        probes.finish(stopped=status != "finished")  # a run that did not end by itself left its passes open
    except Exception as failed:  # noqa: BLE001 (a judgment that fails must not hide the run's other findings)
        reporter.send("probe_error", error=repr(failed)[:500])
    reporter.send("done", status=status, seconds=seconds, error=error, error_file=error_at[0],
                  error_line=error_at[1], curves=curves.series(), **probes.summary())


def main() -> None:
    child_main(run)


if __name__ == "__main__":
    main()
