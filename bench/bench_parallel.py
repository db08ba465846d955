"""Verifies that share the cores: 1 alone against 2 and 3 at once, with torch's spinning threads and without.

    python bench/bench_parallel.py [--scenario zero_grad] [--repeat 2]

Each row starts N `checker verify SOLUTION --json` processes at the same moment and prints the median wall time
of one of them, and that time over the time of one verify alone in the same mode. Both modes run in this one
process, one after the other, so the machine's state hits them alike:
- spinning: torch's default OpenMP wait policy (TORCHDRILL_SPIN=1, OMP_WAIT_POLICY unset), as before;
- quiet: OMP_WAIT_POLICY=PASSIVE in the checker and in every child (the default now).
The reference accuracy is computed once before timing, so every timed run is a plain verify.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MODES = {"spinning": {"TORCHDRILL_SPIN": "1"}, "quiet": {}}


def mode_env(mode: str, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "TORCHDRILL_SPIN")}
    return {**env, **MODES[mode], "TORCHDRILL_HOME": str(home)}


def verify_at_once(script: Path, count: int, env: dict) -> list[float]:
    """Start `count` verifies together; the wall time of each."""
    started = time.perf_counter()
    runs = [subprocess.Popen([sys.executable, "-m", "checker", "verify", str(script), "--json"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(count)]
    times = []
    for run in runs:
        out, err = run.communicate()
        times.append(time.perf_counter() - started)
        if run.returncode != 0:
            raise SystemExit(f"verify of the solution did not pass:\n{out.decode()[-2000:]}{err.decode()[-2000:]}")
    return times


def main() -> int:
    from checker.scenario import find
    from reference.threads import available_cores

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="zero_grad", help="whose solution to verify (default: zero_grad)")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of each row; medians over all (default: 2)")
    parser.add_argument("--max", type=int, default=3, help="most verifies at once (default: 3)")
    args = parser.parse_args()
    scenario = find(args.scenario)
    work = Path(tempfile.mkdtemp(prefix="torchdrill-bench-"))
    script = work / f"{scenario.id}.py"
    shutil.copy(scenario.solution_path, script)
    home = work / "home"
    print(f"{available_cores()} cores available; verify {scenario.id}'s solution, {args.repeat} rounds per row",
          flush=True)
    verify_at_once(script, 1, mode_env("quiet", home))  # computes and caches the reference
    print(f"{'mode':<9} {'at once':>7} {'median wall':>11} {'vs alone':>8}")
    try:
        for mode in MODES:
            alone = None
            for count in range(1, args.max + 1):
                times = [t for _ in range(args.repeat) for t in verify_at_once(script, count, mode_env(mode, home))]
                median = statistics.median(times)
                alone = alone or median
                print(f"{mode:<9} {count:>7} {median:>10.2f}s {median / alone:>7.2f}x", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
