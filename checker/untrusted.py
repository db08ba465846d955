"""Text a submission controls (its output, its errors, its file and folder names), made safe to show."""
from __future__ import annotations

import re
import unicodedata

# Terminal escape sequences, 7-bit (ESC ...) and 8-bit (a C1 byte): shown, they could clear the screen, move the
# cursor or recolour text, and so forge a verdict. Strings (OSC, DCS, SOS, PM, APC) run to their terminator; an
# unterminated one is cut at the end of its line, so it can hide no more than that line.
_ESCAPES = re.compile(r"""
    (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]          # CSI: colours, cursor moves, clearing
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) .*? (?:\x07|\x1b\\|\x9c|(?=\n)|\Z)   # strings up to their end
  | \x1b [\x20-\x2f]* [\x30-\x7e]                                  # any other ESC sequence
""", re.VERBOSE | re.DOTALL)

# What is left of C0 and C1 (but \n and \t), DEL, and the bidirectional overrides that reorder what is shown.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """`text` without control characters or escape sequences; newlines and tabs stay, a carriage return
    becomes a newline (overwriting a line could hide what came before it)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def said(value) -> str:
    """A child-supplied value as clean text, whatever its type."""
    return clean(value if isinstance(value, str) else str(value))


_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def shown(text: str, keep: str = "\n") -> str:
    r"""`text` with every character that does not print written as a visible escape: nothing is hidden, nothing is
    lost, and the result can be written as UTF-8. A byte that was not UTF-8 (Python keeps it as a lone surrogate)
    becomes \xNN; a control character \n, \t, \r or \xNN; a bidirectional mark, another invisible format
    character, a line separator or a lone surrogate \uNNNN. Printable text, spaces and `keep` stay as they are."""
    if text.isprintable():
        return text
    return "".join(c if c in keep or c.isprintable() or unicodedata.category(c) == "Zs" else _escape(c)
                   for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte: show the byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
