"""What squashed a tensor last, read from its autograd history: `checker trace` names the function whose output
reaches a loss (ReLU, sigmoid, softmax) instead of calling every squashed score a probability. Reading the
grad_fn costs nothing during the forward pass; it is done only for the few losses that are checked."""
from __future__ import annotations

# Operations that move or reshape values without changing them: the function that made the values is behind them.
_SHAPE_ONLY = ("View", "Reshape", "UnsafeView", "Unsqueeze", "Squeeze", "Transpose", "Permute", "Clone", "ToCopy",
               "Slice", "Select", "Expand", "T", "Flatten", "Contiguous", "Alias")
_NAMES = {"Relu": "ReLU", "Sigmoid": "sigmoid", "Softmax": "softmax", "LogSigmoid": "log-sigmoid",
          "LogSoftmax": "log_softmax", "Hardsigmoid": "hard sigmoid", "Tanh": "tanh", "Clamp": "clamp",
          "ClampMin": "clamp", "Threshold": "ReLU"}
LIMIT = 16  # shape operations followed at most


def last_operation(tensor) -> str | None:
    """The name of the last value-changing operation behind `tensor` ("ReLU", "sigmoid", "softmax", or the
    operation's own name in lower case), None when it has no autograd history."""
    node = getattr(tensor, "grad_fn", None)
    for _ in range(LIMIT):
        if node is None:
            return None
        kind = _kind(node)
        if kind not in _SHAPE_ONLY:
            return _NAMES.get(kind, kind.lower())
        inputs = [n for n, _ in getattr(node, "next_functions", ()) if n is not None]
        node = inputs[0] if inputs else None
    return None


def _kind(node) -> str:
    name = type(node).__name__  # ReluBackward0, SoftmaxBackward0, ...
    name = name.rstrip("0123456789")
    return name[: -len("Backward")] if name.endswith("Backward") else name
