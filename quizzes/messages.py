"""The quiz's bilingual texts, loaded from messages.toml beside this module."""
from __future__ import annotations

from pathlib import Path

from reference.catalog import catalog_text

CATALOG = Path(__file__).parent / "messages.toml"


def text(section: str, key: str, lang: str = "en", **values) -> str:
    """The `section.key` text in `lang` with {placeholders} filled; an unknown key comes back as itself."""
    return catalog_text(CATALOG, section, key, lang, **values)


class InputError(Exception):
    """A problem with what the user gave us (a bank name, an answers file): exit 2 with one clear message."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values

    def message(self, lang: str) -> str:
        """The message in `lang`; a value given as (section, key, values) is a text of its own, worded first, and
        one given as a function of the language is called with it (checker.isolation's why_not, install_hint)."""
        values = {name: text(value[0], value[1], lang, **value[2]) if isinstance(value, tuple) else
                  value(lang) if callable(value) else value for name, value in self.values.items()}
        return text("error", self.key, lang, **values)
