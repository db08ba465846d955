"""Benchmark grading an answers file: what the OS boundary and judging values in a clean fork cost per answer.

    python bench/bench_quiz_grade.py [BANK] [--reps N]

Grades BANK's canonical answers (default: modules, whose code questions build resnet18s) through the grading
worker (behind the OS boundary; a value is judged in a fork where no answer ran) and through the interactive
worker (one fork per answer, as self-study runs it), and prints the median time per code, fill and order answer,
then the wall time of `quiz run BANK --answers FILE --json` in a fresh process, as an instructor runs it.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from quizzes import grading  # noqa: E402
from quizzes.engine import Engine  # noqa: E402
from quizzes.schema import default_banks_dir, discover, load  # noqa: E402
from quizzes.worker import Worker  # noqa: E402


def per_answer(bank, worker, answers: dict, reps: int) -> dict[str, float]:
    """Median seconds per program answer, after one warm-up pass (torch imported, predictions cached)."""
    engine = Engine(bank, None)
    engine.worker = worker
    programs = [q for q in bank.questions if q.kind in ("code", "fill", "order")]
    times = {q.id: [] for q in programs}
    for rep in range(reps + 1):
        for question in programs:
            started = time.perf_counter()
            outcome = engine.grade(question, answers[question.id])
            if rep:
                times[question.id].append(time.perf_counter() - started)
            assert outcome.correct, outcome
    worker.close()
    return {qid: statistics.median(seconds) for qid, seconds in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bank", nargs="?", default="modules")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    bank = load(discover(default_banks_dir())[args.bank])
    engine = Engine(bank, Worker())
    answers = {q.id: engine.expected(q) for q in bank.questions}
    engine.worker.close()
    graded = per_answer(bank, grading.shared(Engine(bank, None).readable_paths()), answers, args.reps)
    plain = per_answer(bank, Worker(), answers, args.reps)
    print(f"{args.bank}: median time per answer over {args.reps} runs (ms)")
    print(f"  {'question':<22} {'grading':>8} {'interactive':>12}")
    for qid in graded:
        print(f"  {qid:<22} {graded[qid] * 1000:>8.0f} {plain[qid] * 1000:>12.0f}")
    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "answers.json"
        path.write_text(json.dumps(answers), encoding="utf-8")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "quizzes", "run", args.bank, "--answers", str(path), "--json"],
                              capture_output=True, text=True, cwd=REPO, env={**os.environ, "TORCHDRILL_HOME": home})
        report = json.loads(done.stdout)
    print(f"quiz run {args.bank} --answers (a fresh process, torch imported behind the boundary): "
          f"{time.perf_counter() - started:.1f} s, {report['score']}/{report['max_score']}")


if __name__ == "__main__":
    main()
