"""Language choice shared by the CLIs: English or Simplified Chinese, from --lang, else the locale."""
from __future__ import annotations

import locale
import os

LANGUAGES = ("en", "zh")


def detect_lang(explicit: str | None = None) -> str:
    """Return "en" or "zh": the explicit choice, else TORCHDRILL_LANG, else the user's locale."""
    if explicit:
        return "zh" if explicit.lower().startswith("zh") else "en"
    for name in ("TORCHDRILL_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        code = locale.getlocale()[0] or ""
    except ValueError:
        code = ""
    return "zh" if code.lower().startswith("zh") else "en"


def pick(text: dict[str, str], lang: str) -> str:
    """The text in `lang`, falling back to English (banks and scenarios are validated to have both)."""
    return text.get(lang) or text.get("en", "")
