"""Instructors' own probes: a Python file beside the scenario, run in the sandbox next to the built-in probes.

A probe file defines `check(ctx)`, called once main() has returned the trained model, and may define
`start(ctx)`, called after the script is loaded and before main() runs (to wrap a function, say). `check`
returns None when the scenario's rule holds, or a short detail (a string, or a (detail, line) pair) when it
does not. The `ctx` is a ProbeContext. See docs/authoring.md for the whole interface.
"""
from __future__ import annotations

import json
import os
import types
from dataclasses import dataclass, field

from checker.child.posthoc import _one_line, sample_batch
from checker.child.probes import Finding


@dataclass
class ProbeContext:
    """What a custom probe may use. `model` is None in start() and the trained model in check()."""

    module: types.ModuleType  # the student's script, loaded (its functions, its module-level settings)
    device: object  # the torch.device the script trains on
    data_root: str  # a torchvision MNIST root with the data of this run (read-only)
    entry_points: dict  # the scenario's [entry_points]
    folder: str  # an empty folder the probe may write to
    model: object = None
    state: dict = field(default_factory=dict)  # kept from start() to check()

    def sample_batch(self, count: int, train: bool = False):
        """`count` normalised MNIST images (N, 1, 28, 28) and their labels, on the run's device."""
        images, labels = sample_batch(self.data_root, count, train)
        return images.to(self.device), labels.to(self.device)


@dataclass
class CustomProbe:
    id: str
    module: types.ModuleType


def load_probes(specs: list[dict]) -> list[CustomProbe]:
    """Each probe's source compiled into a module of its own (the file itself stays outside the sandbox)."""
    probes = []
    for spec in specs:
        module = types.ModuleType(f"torchdrill_probe_{spec['id']}")
        module.__file__ = spec["name"]
        exec(compile(spec["source"], spec["name"], "exec"), module.__dict__)
        probes.append(CustomProbe(spec["id"], module))
    return probes


def start_all(probes: list[CustomProbe], ctx: ProbeContext) -> list[Finding]:
    findings = []
    for probe in probes:
        start = getattr(probe.module, "start", None)
        if callable(start):
            try:
                start(ctx)
            except Exception as error:  # noqa: BLE001 (a probe's own failure is its finding)
                findings.append(error_finding(probe.id, error))
    return findings


def check_all(probes: list[CustomProbe], ctx: ProbeContext, failed: set[str]) -> list[Finding]:
    """The findings of every probe that has not already failed in start()."""
    findings = []
    for probe in (p for p in probes if p.id not in failed):
        try:
            outcome = probe.module.check(ctx)
        except Exception as error:  # noqa: BLE001
            findings.append(error_finding(probe.id, error))
            continue
        if outcome is None or outcome is True:
            continue
        detail, line = outcome if isinstance(outcome, tuple) else (outcome, None)
        findings.append(Finding(probe.id, "custom", line if isinstance(line, int) else None, _worded(detail)))
    return findings


def _worded(detail) -> str:
    """A probe's detail as the report carries it: a string, or a {"en": ..., "zh": ...} table kept as JSON so that
    the parent can pick the student's language (checker.findings)."""
    if isinstance(detail, dict) and {"en", "zh"} <= set(detail):
        return json.dumps({"en": str(detail["en"])[:300], "zh": str(detail["zh"])[:300]}, ensure_ascii=False)
    return str(detail)[:300]


def error_finding(probe_id: str, error: BaseException) -> Finding:
    return Finding(probe_id, "custom_probe_error", None, f"{probe_id}: {_one_line(error)}")


def context_for(spec: dict, module, device) -> ProbeContext:
    folder = os.path.join(spec["sandbox"], "probe_scratch")
    os.makedirs(folder, exist_ok=True)
    return ProbeContext(module=module, device=device, data_root=spec["data_root"],
                        entry_points=spec["entry_points"], folder=folder)
