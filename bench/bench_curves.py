"""What recording the training curves costs a verify: the child's evaluation after each epoch (timed inside the
child), plus the wrapper around every backward() (timed here on a tiny graph, then counted per step), against the
wall time of the same sandboxed run.

    python bench/bench_curves.py [--repeat 3] [SCENARIO ...]

Each run is the scenario's solution under its own probes, in the sandbox, exactly as `checker verify` runs a
submission. Figures are medians over --repeat runs.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT = ["zero_grad", "scheduler", "eval_mode", "checkpoint"]


def wrapper_overhead_s(calls: int = 20_000) -> float:
    """Seconds the recorder's backward() wrapper adds per call: wrapped minus plain, on the same tiny graph."""
    import torch

    from checker.child.curves import CurveRecorder

    weight = torch.ones(4, requires_grad=True)

    def timed() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            (weight * 2.0).sum().backward()
        return (time.perf_counter() - started) / calls

    plain = min(timed() for _ in range(3))
    recorder = CurveRecorder(None, "cpu")
    recorder.install(None, None)
    try:
        wrapped = min(timed() for _ in range(3))
    finally:
        recorder.remove()
    return max(0.0, wrapped - plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from checker.scenario import find
    from checker.verify import run_script

    per_call = wrapper_overhead_s()
    print(f"backward() wrapper: {per_call * 1e6:.2f} µs per call")
    print(f"{'scenario':<14}{'run wall':>10}{'epochs':>8}{'steps':>8}{'eval':>9}{'wrapper':>9}{'share':>8}")
    shares = []
    for scenario_id in args.scenarios:
        scenario = find(scenario_id)
        rows = []
        for _ in range(args.repeat):
            run = run_script(scenario, scenario.solution_path.name, scenario.solution_path.read_bytes(),
                             list(scenario.probes), "cpu", "subset", None, None)
            done = run.first("done") or {}
            curves = done.get("curves") or {}
            steps = (curves.get("loss") or [[0, 0]])[-1][0]
            rows.append((run.wall_s, len(curves.get("epoch_steps", [])), steps, curves.get("eval_s", 0.0)))
        wall = statistics.median(r[0] for r in rows)
        eval_s = statistics.median(r[3] for r in rows)
        steps = rows[0][2]
        cost = eval_s + steps * per_call
        shares.append(cost / wall)
        print(f"{scenario_id:<14}{wall:>9.2f}s{rows[0][1]:>8}{steps:>8}{eval_s:>8.3f}s{steps * per_call:>8.3f}s"
              f"{100 * cost / wall:>7.2f}%")
    print(f"median share of a verify's sandboxed run: {100 * statistics.median(shares):.2f}% (aim: at most 2%)")


if __name__ == "__main__":
    main()
