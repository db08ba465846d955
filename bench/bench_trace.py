"""What `checker trace`'s probes cost: a script's own run time under the probes against the same script run plainly.

    python bench/bench_trace.py [--repeat 3]

Both sides time only the script itself (runpy.run_path, after torch is imported), so interpreter start, the
sandbox and the report are left out: the figure is the probes' overhead (the aim is at most 1.10x). The trace runs
with a budget larger than the script's training, so nothing is cut. Runs alternate; medians, in seconds.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = ["tests/fixtures/own_scripts/mnist_dry_run.py", "tests/fixtures/own_scripts/cifar_no_dropout.py",
           "tests/fixtures/own_scripts/vae_first_batch.py", "tests/fixtures/own_scripts/word_lm_manual_sgd.py",
           "tests/fixtures/own_scripts/imagenet_resume.py", "reference/solutions/zero_grad.py"]
PLAIN = ("import os, runpy, sys, time\nimport torch, torchvision\nscript = sys.argv[1]\nsys.argv = [script]\n"
         "sys.path.insert(0, os.path.dirname(script))\nos.chdir(os.path.dirname(script))\n"
         "started = time.perf_counter()\nrunpy.run_path(script, run_name='__main__')\n"
         "print('SECONDS', time.perf_counter() - started, file=sys.stderr)\n")


def plain(script: Path) -> float:
    from reference.threads import thread_env
    import os

    result = subprocess.run([sys.executable, "-c", PLAIN, str(script)], capture_output=True, text=True,
                            env={**os.environ, **thread_env(None)}, cwd=REPO)
    line = next((l for l in result.stderr.splitlines() if l.startswith("SECONDS")), None)
    if line is None:
        raise SystemExit(f"{script} failed:\n{result.stderr[-2000:]}")
    return float(line.split()[1])


def traced(script: Path) -> tuple[float, int]:
    result = subprocess.run([sys.executable, "-m", "checker", "trace", "--format", "json", "--max-steps", "1000000",
                             str(script)], capture_output=True, text=True, cwd=REPO)
    data = json.loads(result.stdout)
    if data["status"] != "finished":
        raise SystemExit(f"{script} under trace: {data['status']} {data['error']}")
    return data["seconds"], len(data["findings"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    print(f"{'script':<48} {'plain s':>8} {'traced s':>9} {'ratio':>6}")
    ratios = []
    for name in SCRIPTS:
        script = REPO / name
        plain_s, traced_s = [], []
        for _ in range(args.repeat):
            plain_s.append(plain(script))
            traced_s.append(traced(script)[0])
        p, t = statistics.median(plain_s), statistics.median(traced_s)
        ratios.append(t / p)
        print(f"{name:<48} {p:8.2f} {t:9.2f} {t / p:5.2f}x")
    print(f"median overhead: {statistics.median(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
