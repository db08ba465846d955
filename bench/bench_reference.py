"""Benchmark the reference pipeline: import times, one epoch on the subset, accuracy and peak memory per model.

    python bench/bench_reference.py            # the subset figures, one fresh process per model
    python bench/bench_reference.py --full     # also reproduce the tutorials' headline results on full MNIST

Every figure comes from a fresh child process, so import times and peak memory are not shared between models.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The tutorials' headline results, with the settings they report them for.
TUTORIAL_RUNS = [
    {"label": "Net, SGD lr 0.01 momentum 0.5, 3 epochs (MNIST tutorial)", "reported": "about 97%",
     "model": "net", "epochs": 3, "overrides": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.5, "batch_size": 64}},
    {"label": "Network, SGD, batch 100, 10 epochs (CNN notebook)", "reported": "98.99%",
     "model": "network", "epochs": 10,
     "overrides": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "batch_size": 100, "gamma": 1.0}},
]

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter(); import torch; t1 = time.perf_counter(); import torchvision; t2 = time.perf_counter()
from reference.config import RunConfig
from reference.train import run
spec = json.loads(sys.argv[1])

result = run(RunConfig.for_model(spec["model"], epochs=spec["epochs"], data=spec["data"], **spec["overrides"]))
print(json.dumps({"import_torch_s": t1 - t0, "import_torchvision_s": t2 - t1, "data_s": result.data_seconds,
                  "train_s": result.train_seconds, "epochs": spec["epochs"], "accuracy": result.final.accuracy,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(model: str, epochs: int, data: str, overrides: dict) -> dict:
    spec = json.dumps({"model": model, "epochs": epochs, "data": data, "overrides": overrides})
    done = subprocess.run([sys.executable, "-c", CHILD, spec], capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child for {model} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_subset_table() -> None:
    print("One epoch on the embedded subset (10,000 train / 2,000 test), each model's preset, CPU:")
    header = f"{'model':<8} {'import torch':>12} {'torchvision':>11} {'data':>6} {'1 epoch':>8} {'accuracy':>9} {'peak RSS':>10}"
    print(header)
    print("-" * len(header))
    for model in ("network", "net", "cnn"):
        m = measure(model, 1, "subset", {})
        print(f"{model:<8} {m['import_torch_s']:>11.2f}s {m['import_torchvision_s']:>10.2f}s {m['data_s']:>5.1f}s "
              f"{m['train_s']:>7.1f}s {100 * m['accuracy']:>8.2f}% {m['peak_rss_mib']:>7.0f} MiB", flush=True)


def print_tutorial_table() -> None:
    print("\nThe tutorials' headline results on full MNIST (60,000 / 10,000), reported against measured here:")
    header = f"{'run':<58} {'reported':>10} {'measured':>9} {'train time':>11}"
    print(header)
    print("-" * len(header))
    for spec in TUTORIAL_RUNS:
        m = measure(spec["model"], spec["epochs"], "full", spec["overrides"])
        print(f"{spec['label']:<58} {spec['reported']:>10} {100 * m['accuracy']:>8.2f}% {m['train_s']:>10.0f}s",
              flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also run the tutorials' full-MNIST runs (minutes)")
    args = parser.parse_args()
    print_subset_table()
    if args.full:
        print_tutorial_table()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
