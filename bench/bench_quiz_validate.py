"""Benchmark the quizzes: how long `quiz validate` takes over every bank, how long one job takes in the worker,
and how long a student waits for the first prompt.

    python bench/bench_quiz_validate.py

Each figure comes from a fresh `python -m quizzes` process, as a student or CI would run it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def quiz(*args: str, stdin: str | None = None) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as home:
        done = subprocess.run([sys.executable, "-m", "quizzes", *args], capture_output=True, text=True, cwd=REPO,
                              input=stdin or "", env={**os.environ, "TORCHDRILL_HOME": home})
    return done, time.perf_counter() - started


def main() -> None:
    done, wall = quiz("validate", "--json")
    if done.returncode != 0:
        raise SystemExit(f"quiz validate failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    runs = sum(q["checked"] for b in report["banks"] for q in b["questions"])
    print(f"quiz validate: {report['questions']} questions, {runs} answers run against live torch")
    print(f"  wall {wall:.1f} s (process, torch import and validation); validation itself {report['seconds']:.1f} s")
    for bank in report["banks"]:
        print(f"  {bank['bank']:<14} {len(bank['questions']):>3} questions  {bank['seconds']:>5.1f} s")
    print(f"  about {1000 * report['seconds'] / runs:.0f} ms per answer (a code, fill or order answer runs on the "
          "example and, unless it fails there, on every hidden draw); the first bank's share includes the wait for "
          "torch")
    _, wall = quiz("list")
    print(f"quiz list: {wall:.2f} s (torch is not imported)")
    _, wall = quiz("run", "tensors")  # stdin closed at the first prompt: the time to show it and stop
    print(f"quiz run, first question shown and closed stdin detected: {wall:.2f} s")


if __name__ == "__main__":
    main()
