"""The checker's bilingual texts, loaded from messages.toml."""
from __future__ import annotations

from pathlib import Path

from reference.catalog import catalog_text

CATALOG = Path(__file__).parent / "messages.toml"


def text(section: str, key: str, lang: str = "en", **values) -> str:
    """The `section.key` text in `lang`, with {placeholders} filled."""
    return catalog_text(CATALOG, section, key, lang, **values)


def status_label(status: str, lang: str) -> str:
    """A grade's status as a person reads it, in `lang` (an unknown one as it is)."""
    label = text("status", status, lang)
    return status if label == f"status.{status}" else label


class Worded:
    """Mixed into an error class: an error made with `keyed()` names a text of messages.toml's [input] section,
    so the command line can say it in the user's language; str() is its English. One made the plain way (a
    message) says that message in every language."""

    key: str = ""
    fields: dict = {}

    @classmethod
    def keyed(cls, key: str, **fields):
        error = cls(text("input", key, "en", **fields))
        error.key, error.fields = key, fields
        return error

    def worded(self, lang: str) -> str:
        return text("input", self.key, lang, **self.fields) if self.key else str(self)
