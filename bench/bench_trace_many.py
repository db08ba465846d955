"""What a warm trace worker saves: the catalogue's buggy scripts (one folder) traced one fresh child each, against
traced together on one warm worker (checker.trace.trace_many), with the same budget.

    python bench/bench_trace_many.py [--repeat 2] [--max-steps 10]

Both sides go through the Python API, in this process, so only the children differ. The two ways alternate, so a
slow moment of the machine hits both alike. Medians of the whole folder's wall time, in seconds; the findings of
both ways are compared script by script and must be the same.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    from checker import isolation
    from checker.scenario import load_all
    from checker.trace import trace, trace_many

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=10)
    args = parser.parse_args()
    if isolation.mode() != isolation.BUBBLEWRAP:
        print("bubblewrap is not available here: trace_many gives every script a fresh child, so there is nothing "
              "to compare")
        return 1
    scripts = [s.buggy_path for s in load_all()]
    times: dict[str, list[float]] = {"fresh": [], "warm": []}
    for _ in range(args.repeat):
        started = time.perf_counter()
        fresh = [trace(path, max_steps=args.max_steps) for path in scripts]
        times["fresh"].append(time.perf_counter() - started)
        started = time.perf_counter()
        warm = trace_many(scripts, max_steps=args.max_steps)
        times["warm"].append(time.perf_counter() - started)
        different = [path.name for path, a, b in zip(scripts, fresh, warm)
                     if [(f.code, f.line) for f in a.findings] != [(f.code, f.line) for f in b.findings]]
        if different:
            print("findings differ for:", ", ".join(different))
            return 1
    fresh_s, warm_s = statistics.median(times["fresh"]), statistics.median(times["warm"])
    print(f"{len(scripts)} scripts, --max-steps {args.max_steps}, {args.repeat} rounds (medians)")
    print(f"  one fresh child each       {fresh_s:6.1f} s  ({fresh_s / len(scripts):.2f} s a script)")
    print(f"  one warm worker (together) {warm_s:6.1f} s  ({warm_s / len(scripts):.2f} s a script)")
    print(f"  {fresh_s / warm_s:.2f}x; the same findings for every script")
    return 0


if __name__ == "__main__":
    sys.exit(main())
