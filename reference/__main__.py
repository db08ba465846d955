"""Train and evaluate a reference MNIST model: python -m reference --model net --epochs 1 --data subset"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from reference.config import DEVICES, OPTIMIZERS, PRESETS
from reference.data import DATA_KINDS
from reference.threads import quiet_this_process

quiet_this_process()  # before torch is imported
# Installed, the package lives in torchdrill/_lib/ and runs as `python -m torchdrill.reference`; in a clone, as itself.
INSTALLED = Path(__file__).resolve().parent.parent.name == "_lib"
PROG = "python -m torchdrill.reference" if INSTALLED else "python -m reference"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Train one of the tutorials' MNIST networks with a fixed seed and report loss, accuracy and time. "
        "Unset options take the model's preset (its tutorial's optimizer, learning rate and batch size).",
    )
    parser.add_argument("--model", choices=sorted(PRESETS), default="net", help="network to train (default: net)")
    parser.add_argument("--epochs", type=int, default=1, help="number of epochs (default: 1)")
    parser.add_argument("--data", choices=DATA_KINDS, default="subset",
                        help="subset: the embedded 10,000/2,000 images, offline; full: all 70,000 (default: subset)")
    parser.add_argument("--data-root", help="a torchvision MNIST root holding MNIST/raw/ (for --data full)")
    parser.add_argument("--batch-size", type=int, help="training batch size (default: the model's preset)")
    parser.add_argument("--test-batch-size", type=int, default=1000, help="evaluation batch size (default: 1000)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help="optimizer (default: the model's preset)")
    parser.add_argument("--lr", type=float, help="learning rate (default: the model's preset)")
    parser.add_argument("--momentum", type=float, help="SGD momentum (default: the model's preset)")
    parser.add_argument("--gamma", type=float, help="StepLR decay per epoch (default: the model's preset)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--device", choices=DEVICES, default="cpu", help="cpu, cuda or auto (default: cpu)")
    parser.add_argument("--dry-run", action="store_true", help="train on a few batches only, to check it runs")
    parser.add_argument("--save-model", metavar="PATH", help="save the trained state_dict to PATH")
    return parser


def config_from_args(args):
    from reference.config import RunConfig

    return RunConfig.for_model(
        args.model, epochs=args.epochs, data=args.data, data_root=args.data_root, batch_size=args.batch_size,
        test_batch_size=args.test_batch_size, optimizer=args.optimizer, lr=args.lr, momentum=args.momentum,
        gamma=args.gamma, seed=args.seed, device=args.device, max_batches=3 if args.dry_run else None,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    import torch  # noqa: F401  (timed apart from training: it is most of a short run's cost)
    import torchvision  # noqa: F401

    import_seconds = time.perf_counter() - started
    from reference.data import DataUnavailable
    from reference.report import print_run, train_with_progress

    try:
        cfg = config_from_args(args)
        result = train_with_progress(cfg)
    except (DataUnavailable, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print_run(result, import_seconds)
    if args.save_model:
        torch.save(result.model.state_dict(), args.save_model)
        print(f"saved the trained weights to {args.save_model}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
