"""Benchmark `checker grade`: a synthetic class graded with warm workers against one fresh process per submission.

    python bench/bench_grade.py [--students 40] [--jobs 2] [--timeout 20]

The class mixes correct fixes, wrong fixes and hostile or broken scripts of the zero_grad scenario, each with the
status it must get. It is graded three ways, side by side in one run:
- `checker grade --jobs N`: pre-started warm workers that have imported torch (the default);
- `checker grade --jobs N --fresh`: the same pool, but a new `python -I` process per submission;
- one `checker verify` process per submission, one after another (a shell loop over the class).
For each it prints the wall time, the time per submission, and how many verdicts came out wrong.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
HOSTILE = REPO / "tests" / "fixtures" / "hostile"
SCENARIO = "zero_grad"


def submissions() -> list[tuple[str, str | bytes, str]]:
    """(kind, source, expected status) for every distinct submission the class is drawn from."""
    from checker.scenario import find, variant_source

    scenario = find(SCENARIO)
    pool = [("correct", scenario.solution_path.read_text(), "fixed"), ("wrong", scenario.buggy_path.read_text(), "not_fixed")]
    for variant in scenario.variants:
        kind, status = ("correct", "fixed") if variant.expect == "pass" else ("wrong", "not_fixed")
        pool.append((kind, variant_source(scenario, variant), status))
    cases = tomllib.loads((HOSTILE / "expected.toml").read_text())
    for name, case in sorted(cases.items()):
        if case.get("harms_host"):
            continue  # a kill of the worker is graded "error" by the pool and a verdict by verify: not comparable
        status = "invalid" if case["exit"] == 2 else case["status"]
        pool.append(("hostile", (HOSTILE / case["file"]).read_bytes(), status))
    return pool


def make_class(folder: Path, students: int) -> dict[str, str]:
    """`students` submissions: every hostile one once, then correct and wrong fixes in turn. Expected statuses."""
    pool = submissions()
    hostile = [s for s in pool if s[0] == "hostile"]
    fixes = [s for s in pool if s[0] != "hostile"]
    chosen = hostile + [fixes[i % len(fixes)] for i in range(max(0, students - len(hostile)))]
    expected = {}
    for number, (kind, source, status) in enumerate(chosen, start=1):
        name = f"student_{number:03d}_{kind}"
        data = source if isinstance(source, bytes) else f"# submitted by {name}\n{source}".encode()
        (folder / f"{name}.py").write_bytes(data)
        expected[name] = status
    return expected


def grade_with_pool(folder: Path, jobs: int, timeout: float, fresh: bool) -> tuple[float, dict[str, str]]:
    command = [sys.executable, "-m", "checker", "grade", str(folder), "--scenario", SCENARIO, "--jobs", str(jobs),
               "--timeout", str(timeout), "--json", "-"] + (["--fresh"] if fresh else [])
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"checker grade failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, {g["student"]: g["status"] for g in json.loads(done.stdout)}


def grade_one_process_each(folder: Path, timeout: float) -> tuple[float, dict[str, str]]:
    statuses = {}
    started = time.perf_counter()
    for script in sorted(folder.glob("*.py")):
        done = subprocess.run([sys.executable, "-m", "checker", "verify", str(script), "--scenario", SCENARIO,
                               "--json", "--timeout", str(timeout)], capture_output=True, text=True, cwd=REPO)
        statuses[script.stem] = "invalid" if done.returncode == 2 else json.loads(done.stdout)["status"]
    return time.perf_counter() - started, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="size of the class (default: 40)")
    parser.add_argument("--jobs", type=int, default=2, help="workers for `checker grade` (default: 2)")
    parser.add_argument("--timeout", type=float, default=20, help="wall-clock limit per submission (default: 20 s)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="torchdrill-bench-home-"))
    os.environ["TORCHDRILL_HOME"] = str(home)
    folder = Path(tempfile.mkdtemp(prefix="torchdrill-bench-class-"))
    try:
        expected = make_class(folder, args.students)
        kinds = {k: sum(1 for name in expected if name.endswith(k)) for k in ("correct", "wrong", "hostile")}
        print(f"class: {len(expected)} submissions of {SCENARIO} ({kinds['correct']} correct fixes, "
              f"{kinds['wrong']} wrong fixes, {kinds['hostile']} hostile or broken); timeout {args.timeout:g} s; "
              f"{os.cpu_count()} CPU cores", flush=True)
        subprocess.run([sys.executable, "-m", "checker", "verify", str(folder / next(iter(expected))) + "",
                        "--scenario", SCENARIO, "--json"], capture_output=True, cwd=REPO)  # caches the reference
        runs = [(f"checker grade --jobs {args.jobs} (warm workers)", lambda: grade_with_pool(folder, args.jobs, args.timeout, False)),
                (f"checker grade --jobs {args.jobs} --fresh", lambda: grade_with_pool(folder, args.jobs, args.timeout, True)),
                ("one checker verify process each, in turn", lambda: grade_one_process_each(folder, args.timeout))]
        print(f"{'how':<44} {'wall':>8} {'per submission':>15} {'wrong verdicts':>15}")
        results = []
        for label, run in runs:
            wall, statuses = run()
            wrong = sorted(name for name, status in expected.items() if statuses.get(name) != status)
            results.append(wall)
            print(f"{label:<44} {wall:>7.1f}s {wall / len(expected):>14.2f}s {len(wrong):>15}", flush=True)
            for name in wrong:
                print(f"    {name}: expected {expected[name]}, got {statuses.get(name)}")
        print(f"warm workers are {results[2] / results[0]:.1f}x faster than a process per submission, "
              f"{results[1] / results[0]:.1f}x faster than the same pool with fresh processes")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
