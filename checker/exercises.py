"""A learner's own exercise folder, made by `checker init`: the catalogue's buggy scripts copied where the learner
may edit them, so that nobody edits files inside an installed package (an upgrade would overwrite the work, and
`reset` would write into site-packages).

The folder holds `buggy_examples/ID.py` for every scenario (the shipped ones and those of TORCHDRILL_SCENARIOS), a
README in the learner's language and a marker file. Run from that folder or any folder below it, `list`, `next`
and `reset` work on the copies; run from the clone, with no exercise folder around, they work on the clone's own
`buggy_examples/`, as they always did."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

MARKER = ".torchdrill-exercises.json"
DEFAULT_FOLDER = "torchdrill-exercises"
SCRIPTS = "buggy_examples"
INSTALLED = {"site-packages", "dist-packages"}


def find_root(start: Path | None = None) -> Path | None:
    """The exercise folder around `start` (default: the current folder): it, or the nearest folder above it,
    holding the marker file."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    return None


def learner_script(scenario, root: Path | None = None) -> Path:
    """The buggy script the learner works on: the copy in the exercise folder, else the scenario's own."""
    root = root if root is not None else find_root()
    return root / SCRIPTS / f"{scenario.id}.py" if root is not None else scenario.buggy_path


def needs_init(scenario) -> bool:
    """Whether the scenario's own buggy script is no place for a learner's edits: inside an installed package,
    or in a folder the user cannot write."""
    folder = scenario.buggy_path.parent
    return bool(INSTALLED & set(folder.parts)) or not os.access(folder, os.W_OK)


@dataclass
class Written:
    """What `init` did to each script: written (new), unchanged (already as shipped), kept (the learner's own
    work, left alone) or replaced (--force)."""

    folder: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)


def init_folder(folder: Path, scenarios, readme: str, force: bool = False) -> Written:
    """Copy every scenario's buggy script into `folder`/buggy_examples, never over a learner's changes unless
    `force`; write the README (never over one the learner changed) and the marker."""
    from reference.idx import write_atomic  # through a temporary file: never half a script (imports numpy: here)

    result = Written(folder)
    scripts = folder / SCRIPTS
    scripts.mkdir(parents=True, exist_ok=True)
    for scenario in scenarios:
        shipped = scenario.buggy_path.read_bytes()
        target = scripts / f"{scenario.id}.py"
        current = target.read_bytes() if target.is_file() else None
        if current == shipped:
            result.unchanged.append(scenario.id)
            continue
        if current is not None and not force:
            result.kept.append(scenario.id)
            continue
        write_atomic(target, shipped)
        (result.replaced if current is not None else result.written).append(scenario.id)
    readme_path = folder / "README.md"
    if force or not readme_path.exists():
        write_atomic(readme_path, readme.encode("utf-8"))
    write_atomic(folder / MARKER, json.dumps({"format": 1, "scenarios": sorted(s.id for s in scenarios)}, indent=1)
           .encode("utf-8"))
    return result
