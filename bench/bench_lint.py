"""How long `checker lint` takes: per file once the process runs, and the whole command from a cold start.

    python bench/bench_lint.py [--repeat 5]

The files are the repository's own training scripts (the catalogue's buggy scripts, their solutions and the
correct scripts in tests/fixtures/own_scripts). Per-file times are medians over the repeats, scaled to a 200-line
file (the aim is at most 50 ms, with no torch import). The cold start is `checker lint` on all of them, in a new
process, as a pre-commit hook runs it.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
FOLDERS = ("buggy_examples", "reference/solutions", "tests/fixtures/own_scripts")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from checker.lint import config
    from checker.lint.engine import lint_source
    from checker.lint.sources import read

    files = sorted(p for folder in FOLDERS for p in (REPO / folder).glob("*.py") if p.name != "__init__.py")
    selection = config.selection(None, None, "info", None)
    per_200 = []
    for path in files:
        lines = len(path.read_text().splitlines())
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            lint_source(read(path), selection)
            times.append(time.perf_counter() - started)
        per_200.append(statistics.median(times) * 200 / lines * 1000)
    print(f"{len(files)} files, {sum(len(p.read_text().splitlines()) for p in files)} lines")
    print(f"lint time per 200-line file: median {statistics.median(per_200):.1f} ms, max {max(per_200):.1f} ms")
    print(f"torch imported: {'torch' in sys.modules}")
    cold = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "checker", "lint", *FOLDERS], cwd=REPO, capture_output=True)
        cold.append(time.perf_counter() - started)
    print(f"`checker lint` on all {len(files)} files, new process: median {statistics.median(cold):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
