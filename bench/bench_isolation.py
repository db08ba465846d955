"""What the OS boundary costs per run: bubblewrap against the process sandbox alone, fresh and on a warm worker.

    python bench/bench_isolation.py [--repeat 7]

Each run is a submission that trains nothing (tests/fixtures/hostile/print_pass.py, verified as zero_grad), so
the figures are the run's fixed costs: starting the child (and importing torch, for a fresh one), the sandbox,
the harness, and the report. Runs of the two modes alternate, so a slow moment of the machine hits both alike.
Medians, in seconds. Run by root where a run's own uid cannot start this Python (a pyenv under /root), the process
sandbox alone refuses to run at all (it never runs a submission as root): run the bench as an ordinary user for
both columns.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SCRIPT = REPO / "tests" / "fixtures" / "hostile" / "print_pass.py"


def one_run(scenario, launcher) -> float:
    from checker.verify import run_script

    started = time.perf_counter()
    run = run_script(scenario, SCRIPT.name, SCRIPT.read_bytes(), list(scenario.probes), "cpu", "subset", None, None,
                     launcher=launcher)
    if run.first("done") is None or run.isolation != launcher.isolation:
        raise SystemExit(f"the run did not finish behind {launcher.isolation}:\n{run.output[-2000:]}")
    return time.perf_counter() - started


def main() -> int:
    from checker import isolation
    from checker.sandbox import FreshProcess
    from checker.scenario import find
    from checker.workers import WarmWorker

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of each kind (default: 7)")
    args = parser.parse_args()
    if isolation.probe()[0] != isolation.BUBBLEWRAP:
        raise SystemExit(f"bubblewrap cannot run here: {isolation.probe()[2]}")
    scenario = find("zero_grad")
    modes = (isolation.BUBBLEWRAP, isolation.PROCESS)
    try:
        if isolation.run_identity() is not None:
            isolation.popen_identity(isolation.run_identity())
    except isolation.IsolationUnavailable as refused:
        print(f"process sandbox alone: not run ({refused})")
        modes = (isolation.BUBBLEWRAP,)
    print(f"{'launcher':<8} {'bubblewrap':>10} {'process':>8} {'cost':>7}")
    fresh = {mode: FreshProcess(boundary=mode) for mode in modes}
    times = {mode: [] for mode in modes}
    for _ in range(args.repeat):
        for mode in modes:
            times[mode].append(one_run(scenario, fresh[mode]))
    _print("fresh", times)
    workers = {mode: WarmWorker(threads=1, boundary=mode) for mode in modes}
    try:
        times = {mode: [] for mode in modes}
        for _ in range(args.repeat):
            for mode in modes:
                times[mode].append(one_run(scenario, workers[mode]))
        _print("warm", times)
    finally:
        for worker in workers.values():
            worker.close()
    return 0


def _print(label: str, times: dict) -> None:
    bwrap = statistics.median(times["bubblewrap"])
    if "process" not in times:
        print(f"{label:<8} {bwrap:>9.3f}s {'-':>8} {'-':>7}", flush=True)
        return
    process = statistics.median(times["process"])
    print(f"{label:<8} {bwrap:>9.3f}s {process:>7.3f}s {bwrap - process:>+6.3f}s", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
