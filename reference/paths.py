"""Where torchdrill keeps its caches and saved progress: TORCHDRILL_HOME, else the platform cache folder."""
from __future__ import annotations

import os
import sys
from pathlib import Path

HOME_ENV = "TORCHDRILL_HOME"


def torchdrill_home() -> Path:
    """The folder for unpacked data, cached reference results and progress (created on demand by callers)."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    return _platform_cache_dir() / "torchdrill"


def _platform_cache_dir() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def state_dir() -> Path:
    """Saved progress (quiz scores, hints shown, scenarios solved)."""
    return torchdrill_home() / "state"
