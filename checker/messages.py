"""The checker's bilingual texts, loaded from messages.toml."""
from __future__ import annotations

import functools
from importlib import resources

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


@functools.lru_cache(maxsize=1)
def _catalog() -> dict:
    return tomllib.loads((resources.files("checker") / "messages.toml").read_text(encoding="utf-8"))


def text(section: str, key: str, lang: str = "en", **values) -> str:
    """The `section.key` text in `lang`, with {placeholders} filled; unknown keys fall back to the key itself."""
    entry = _catalog().get(section, {}).get(key)
    if entry is None:
        return f"{section}.{key}"
    template = entry.get(lang) or entry["en"]
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template
