"""Evaluation over batches the script makes itself, for `checker trace`: `for k in range(eval_iters): X, Y =
get_batch('val'); model(X, Y)` has no DataLoader to mark the pass, so the forwards that run outside every DataLoader
pass are grouped by the user frame that makes them. A group in which one line ran the model again and again, and
that ends with no backward() since its first forward, is an evaluation pass and is judged like one over a
DataLoader. A backward() makes the group a training step and drops it; a forward from another frame, or the end of
the run, ends it. One forward alone (a look at a batch, a shape check) is never judged."""
from __future__ import annotations

import sys
from collections import Counter


class HandmadePasses:
    def __init__(self, probes, make_pass):
        self.probes = probes
        self.make_pass = make_pass  # () -> a fresh Pass with no loader
        self.key = None
        self.current = None
        self.lines: Counter = Counter()

    def pass_for_forward(self, depth: int):
        """The hand-made pass a forward outside every DataLoader pass belongs to (opening one, and ending the
        previous one when the forward comes from another frame)."""
        frame = self._user_frame(depth + 1)
        key = (frame.f_code, id(frame.f_back)) if frame is not None else None
        if key != self.key:
            self.end()
            self.key, self.current = key, self.make_pass()
            if frame is not None:
                self.current.line = (frame.f_code.co_filename, frame.f_lineno)
        if frame is not None:
            self.lines[frame.f_lineno] += 1
        return self.current

    def backward(self) -> None:
        """A training step: the forwards since the group began were training, not evaluation."""
        self.key = self.current = None
        self.lines.clear()

    def end(self) -> None:
        current, repeated = self.current, max(self.lines.values(), default=0)
        self.key = self.current = None
        self.lines.clear()
        if current is not None and repeated >= 2:
            current.exhausted = True
            self.probes._judge_evaluation_pass(current)

    def _user_frame(self, depth: int):
        frame = sys._getframe(depth + 1)
        user_dirs, ours = self.probes.user_dirs, self.probes.ours
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(user_dirs) and "/site-packages/" not in name and not name.startswith(ours):
                return frame
            frame = frame.f_back
        return None
