"""Benchmark `checker verify` against its floor, side by side in one run.

    python bench/bench_verify.py [SCENARIO ...] [--repeat 3]

For each scenario's solution it prints:
- the floor: importing torch and torchvision plus the bare training time of the scenario's budget, measured in a
  fresh process that imports the solution and calls main() with no harness and no probes;
- the training time inside the sandbox with the scenario's probes, and without any probe (medians);
- the median wall time of `checker verify SOLUTION` (a real subprocess) with the reference already cached.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FLOOR = """
import importlib.util, json, sys, time
t0 = time.perf_counter(); import torch, torchvision; t1 = time.perf_counter()
spec = importlib.util.spec_from_file_location("solution", sys.argv[1])
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
for name, value in json.loads(sys.argv[2]).items():
    setattr(module, name, value)
t2 = time.perf_counter(); module.main(); t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "train_s": t3 - t2}))
"""


def floor(scenario) -> dict:
    overrides = json.dumps(dict(scenario.budget.overrides))
    done = subprocess.run([sys.executable, "-c", FLOOR, str(scenario.solution_path), overrides], cwd=REPO,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def sandbox_train_seconds(scenario, probes: list[str]) -> float:
    from checker.verify import run_script

    run = run_script(scenario, scenario.solution_path.name, scenario.solution_path.read_bytes(), probes, "cpu",
                     "subset", None, None)
    done = run.first("done")
    if done is None:
        raise SystemExit(f"{scenario.id}: the solution did not finish in the sandbox:\n{run.output[-2000:]}")
    return done["train_s"]


def train_with_and_without_probes(scenario, repeat: int) -> tuple[float, float]:
    """Median training seconds in the sandbox with the scenario's probes and with none, measured alternately so
    that a slow moment of the machine hits both alike."""
    with_probes, without = [], []
    for _ in range(repeat):
        with_probes.append(sandbox_train_seconds(scenario, list(scenario.probes)))
        without.append(sandbox_train_seconds(scenario, []))
    return statistics.median(with_probes), statistics.median(without)


def verify_seconds(scenario, repeat: int) -> list[float]:
    folder = Path(tempfile.mkdtemp())
    script = folder / f"{scenario.id}.py"
    shutil.copy(scenario.solution_path, script)
    times = []
    for _ in range(repeat + 1):  # the first run may compute and cache the reference; it is not counted
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "checker", "verify", str(script), "--json"], cwd=REPO,
                              capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{scenario.id}: verify of the solution did not pass:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    shutil.rmtree(folder)
    return times[1:]


def main() -> int:
    from checker.scenario import find, load_all

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help="scenario ids (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each kind per scenario (default: 3)")
    args = parser.parse_args()
    scenarios = [find(i) for i in args.scenarios] if args.scenarios else load_all()
    header = (f"{'scenario':<13} {'import':>7} {'bare train':>10} {'floor':>7} {'train+probes':>12} "
              f"{'train, no probes':>16} {'probe ratio':>11} {'verify median':>13} {'verify/floor':>12}")
    print(header)
    print("-" * len(header))
    for scenario in scenarios:
        bare = floor(scenario)
        with_probes, without = train_with_and_without_probes(scenario, args.repeat)
        wall = statistics.median(verify_seconds(scenario, args.repeat))
        floor_s = bare["import_s"] + bare["train_s"]
        print(f"{scenario.id:<13} {bare['import_s']:>6.2f}s {bare['train_s']:>9.2f}s {floor_s:>6.2f}s "
              f"{with_probes:>11.2f}s {without:>15.2f}s {with_probes / without:>11.2f} {wall:>12.2f}s "
              f"{wall / floor_s:>12.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
