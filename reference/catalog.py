"""Bilingual text catalogues: a TOML file of `[section] key = { en = "...", zh = "..." }` entries."""
from __future__ import annotations

import functools
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


@functools.lru_cache(maxsize=None)
def _load(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def catalog_text(catalog: Path, section: str, key: str, lang: str = "en", /, **values) -> str:
    """The `section.key` text in `lang` with {placeholders} filled; an unknown key comes back as itself.
    The first four are positional-only, so a placeholder may be called path, key or lang."""
    entry = _load(catalog).get(section, {}).get(key)
    if entry is None:
        return f"{section}.{key}"
    template = entry.get(lang) or entry["en"]
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
