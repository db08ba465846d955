"""Autograd graphs that outlive their training step: `running_loss += loss` keeps every batch's graph alive."""
from __future__ import annotations

import torch

from checker.child.patches import Watcher

NODE_CAP = 200_000  # stop counting a graph past this many nodes: it is already far too large
GROWTH = 1.5  # a leftover graph this many times larger than one step's spans several steps


def graph_size(tensor: torch.Tensor, cap: int = NODE_CAP) -> int:
    """The number of autograd nodes reachable from the tensor's grad_fn (at most `cap`)."""
    seen, stack = set(), [tensor.grad_fn]
    while stack and len(seen) < cap:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return len(seen)


class TrainGraphWatch(Watcher):
    """After train() returns, none of its locals may hold a graph that spans more than one step."""

    def __init__(self, probes):
        self.probes = probes
        self.step_graph_size = 0  # nodes in the graph of the first loss that backward() was called on

    def install(self, patches) -> None:
        def make(original):
            def backward(tensor, *args, **kwargs):
                if not self.step_graph_size and self.probes.train_depth and tensor.grad_fn is not None:
                    self.step_graph_size = graph_size(tensor)
                return original(tensor, *args, **kwargs)

            return backward

        patches.wrap(torch.Tensor, "backward", make)

    def check_training_leftovers(self, local_values: dict, result, line: int | None) -> None:
        if not self.probes.active("train_graph_released"):
            return
        for name, value in [*local_values.items(), ("<return value>", result)]:
            detail = self._spans_steps(name, value)
            if detail:
                self.probes.report("train_graph_released", "graph_kept_across_steps", detail, line)
                return

    def _spans_steps(self, name: str, value) -> str:
        if isinstance(value, torch.Tensor) and value.grad_fn is not None and self.step_graph_size:
            size = graph_size(value, cap=int(self.step_graph_size * GROWTH) + 1)
            if size > self.step_graph_size * GROWTH:
                return name
        if isinstance(value, (list, tuple)):
            kept = sum(1 for item in value[:10_000] if isinstance(item, torch.Tensor) and item.grad_fn is not None)
            if kept > 1:
                return name
        return ""


def watchers_for(probes) -> list:
    return [TrainGraphWatch(probes)] if "train_graph_released" in probes.enabled else []
