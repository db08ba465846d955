"""Saved progress: which scenarios are solved and how many hints each has shown."""
from __future__ import annotations

import json
import time
from pathlib import Path

from reference.paths import state_dir


def _path() -> Path:
    return state_dir() / "checker.json"


def load() -> dict:
    try:
        data = json.loads(_path().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save(data: dict) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{time.monotonic_ns()}.partial")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True))
    partial.replace(path)


def next_hint_index(scenario_id: str, total: int) -> int:
    """The index of the hint to show now (one more each call, staying on the last), remembered."""
    data = load()
    shown = data.setdefault("hints", {}).get(scenario_id, 0)
    data["hints"][scenario_id] = min(shown + 1, total)
    _save(data)
    return min(shown, total - 1)


def reset_hints(scenario_id: str) -> None:
    data = load()
    data.setdefault("hints", {}).pop(scenario_id, None)
    _save(data)


def mark_solved(scenario_id: str) -> None:
    data = load()
    data.setdefault("solved", {})[scenario_id] = time.strftime("%Y-%m-%dT%H:%M:%S")
    _save(data)


def unmark_solved(scenario_id: str) -> None:
    data = load()
    if data.get("solved", {}).pop(scenario_id, None) is not None:
        _save(data)


def forget(scenario_id: str) -> None:
    """Clear the scenario's solved mark and hint counter (`checker reset`)."""
    data = load()
    for kind in ("solved", "hints"):
        data.setdefault(kind, {}).pop(scenario_id, None)
    _save(data)


def summary(scenario_id: str) -> dict:
    data = load()
    return {"solved": scenario_id in data.get("solved", {}), "hints_shown": data.get("hints", {}).get(scenario_id, 0)}
