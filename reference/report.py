"""Display for `python -m reference`: a rich progress bar on a terminal, then one line per epoch."""
from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reference.config import RunConfig
from reference.train import RunResult, run


def train_with_progress(cfg: RunConfig) -> RunResult:
    """Run the training, with a progress bar when stderr is a terminal."""
    console = Console(stderr=True)
    if not sys.stderr.isatty():
        return run(cfg)
    columns = (TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("loss {task.fields[loss]:.4f}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("train", total=None, epoch=1, loss=float("nan"))

        def on_batch(epoch: int, batch: int, total: int, loss: float) -> None:
            progress.update(task, completed=batch, total=total, epoch=epoch, loss=loss)

        return run(cfg, on_batch=on_batch)


def print_run(result: RunResult, import_seconds: float) -> None:
    cfg = result.config
    print(f"imported torch and torchvision in {import_seconds:.1f} s")
    print(f"model={cfg.model} data={cfg.data} optimizer={cfg.optimizer} lr={cfg.lr} batch_size={cfg.batch_size} "
          f"seed={cfg.seed} device={cfg.device}")
    for e in result.epochs:
        print(f"epoch {e.epoch}: train loss {e.train_loss:.4f}  test loss {e.test.loss:.4f}  "
              f"accuracy {e.test.correct}/{e.test.total} ({100 * e.test.accuracy:.2f}%)  {e.seconds:.1f} s")
    print(f"test accuracy {100 * result.final.accuracy:.2f}%  data {result.data_seconds:.1f} s  "
          f"training {result.train_seconds:.1f} s")
