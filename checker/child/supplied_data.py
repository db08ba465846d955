"""MNIST as the checker supplies it: wherever a script looks for it and whether or not it asks to download it.

Tutorials read MNIST from a folder of their own (`datasets.MNIST('../data', download=True)`). In a run, every
torchvision MNIST the script makes reads the run's own copy (the embedded subset, or the full set with --data
full), and nothing is downloaded. Only MNIST's own class: a subclass reads a folder named after itself (torchvision's
FashionMNIST, KMNIST, EMNIST and QMNIST are other data, and a script's own subclass has files of its own), which
the checker does not supply, so it behaves as it would anywhere offline.

torchvision is not imported for this: a warm worker has it already, and a fresh child patches it when the script
imports it (a script that never does pays nothing, and its process is the same as a warm worker's child: importing
torchvision sets environment variables of torch's own).
"""
from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import sys

MNIST_MODULE = "torchvision.datasets.mnist"


def supply_mnist(data_root: str, patches, where_missing: bool = False) -> None:
    """Make torchvision's MNIST read `data_root`, never downloading, now or as soon as the script imports it;
    undone with `patches` (checker.child.patches). `where_missing` (`checker trace`, which runs a user's script
    on their own files): the folder the script names, where MNIST is there; `data_root` only instead of a
    download."""
    loaded = sys.modules.get(MNIST_MODULE)
    if loaded is not None:
        _patch(loaded, data_root, patches, where_missing)
        return
    finder = _PatchOnImport(lambda module: _patch(module, data_root, patches, where_missing))
    sys.meta_path.insert(0, finder)
    patches.undo_with(lambda: finder in sys.meta_path and sys.meta_path.remove(finder))


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Finds torchvision's mnist module with the other finders, and patches it once it has run."""

    def __init__(self, then):
        self._then = then

    def find_spec(self, fullname, path=None, target=None):
        if fullname != MNIST_MODULE:
            return None
        sys.meta_path.remove(self)  # once: the real finders find it, and nothing asks us again
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run_module, then = spec.loader.exec_module, self._then

        def exec_module(module):
            run_module(module)
            then(module)

        spec.loader.exec_module = exec_module
        return spec


def _patch(module, data_root: str, patches, where_missing: bool) -> None:
    mnist = getattr(module, "MNIST", None)
    if not isinstance(mnist, type):
        return

    def make(original):
        @functools.wraps(original)
        def init(self, root=None, *args, **kwargs):
            if type(self) is not mnist:
                return original(self, root, *args, **kwargs)
            if len(args) >= 4:  # (train, transform, target_transform, download) given by position
                args = (*args[:3], False, *args[4:])
            else:
                kwargs["download"] = False
            if where_missing and root is not None:
                try:
                    return original(self, root, *args, **kwargs)
                except RuntimeError:  # not there ("Dataset not found"): ours, instead of a download
                    pass
            return original(self, data_root, *args, **kwargs)

        return init

    patches.wrap(mnist, "__init__", make)
