"""The ways a student may write a prediction beyond plain Python, declared once with the kind of value each is for.
FORMS is both the reference (docs/quizzes.md lists it) and the test table: every example must read as its value.
A near miss (`torch.flaot32`, `(4, 8`, `runtime error`) is not graded: the student is asked again, with a guess."""
from __future__ import annotations

import difflib
import re

FULL_WIDTH = {**{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)},  # ［０．１，２］: the full-width ASCII block
              **str.maketrans("【】“”‘’、　", "[]\"\"'', ")}
NONE_WORDS = ("none", "null", "无", "空", "没有")
TRUE_WORDS = ("true", "yes", "是", "对", "真", "会", "能", "可以", "正确")
FALSE_WORDS = ("false", "no", "否", "错", "假", "不", "不会", "不能", "不可以", "不对", "不是", "错误")
ERROR_SUFFIXES = ("Error", "Exception", "Warning", "Interrupt", "Exit", "Iteration")
COMMON_ERRORS = ("RuntimeError", "TypeError", "ValueError", "IndexError", "KeyError", "AttributeError",
                 "NameError", "ZeroDivisionError", "StopIteration", "AssertionError", "NotImplementedError")
DEVICES = ("cpu", "cuda", "mps", "meta")
OBJECT_REPR = re.compile(r"<([A-Za-z_][\w.]*) object at 0x[0-9a-fA-F]+>")
UNIT = re.compile(r"^(-?[\d.,]*\d)\s*([^\W\d_]{2,}|[\u4e00-\u9fff]+)(\s+[^\W\d_]+){0,2}$")

# (what is accepted, the kind of value it is for, [(written, read as)]). The reading is the parsed tuple.
FORMS = (
    ("devices in any case, quoted, or with an index", "device",
     [("CPU", ("device", "cpu")), ("'cpu'", ("device", "cpu")), ("cpu:0", ("device", "cpu")),
      ('torch.device("cpu")', ("device", "cpu"))]),
    ("thousands separators", "number", [("32,998", ("number", 32998)), ("1,000,000", ("number", 1000000))]),
    ("shapes written AxB", "shape", [("4x8", ("list", [4, 8])), ("1x1000", ("list", [1, 1000])),
                                     ("2 × 3 × 4", ("list", [2, 3, 4]))]),
    ("JSON-style true, false and null", "bool, list", [("[true, false]", ("list", [True, False])),
                                                       ("true", ("bool", True)), ("null", ("none",))]),
    ("arithmetic on numbers", "number", [("0.7**2", ("number", 0.7 ** 2)), ("2/3", ("number", 2 / 3)),
                                         ("[1/2, 3*4]", ("list", [0.5, 12]))]),
    ("an error's name before a colon", "error", [("RuntimeError: Trying to backward through the graph",
                                                  ("name", "RuntimeError"))]),
    ("None, True and False in Chinese", "none, bool", [("无", ("none",)), ("会", ("bool", True)),
                                                       ("不会", ("bool", False)), ("对", ("bool", True))]),
    ("full-width brackets and commas", "shape, list", [("（4，8）", ("list", [4, 8])),
                                                       ("［0.0001，0.01］", ("list", [0.0001, 0.01]))]),
    ("None, True and False as words inside a list", "list",
     [("[True, False, 无]", ("list", [True, False, None])), ("[是, 否, 无]", ("list", [True, False, None])),
      ("[yes, no, none]", ("list", [True, False, None]))]),
    ("a count followed by its unit", "number", [("5130 个", ("number", 5130)), ("5130个", ("number", 5130)),
                                                ("5130 parameters", ("number", 5130)),
                                                ("11,181,642 parameters", ("number", 11181642))]),
    ("an object as Python prints it", "object", [("<DivBackward1 object at 0x7f3a2c1b4d30>",
                                                  ("name", "DivBackward1"))]),
    ("a tensor of ones, zeros or a range, as it is made", "tensor",
     [("torch.ones(3)", ("tensor", [1.0, 1.0, 1.0])), ("torch.zeros(2, 2)", ("tensor", [[0.0, 0.0], [0.0, 0.0]])),
      ("torch.arange(3)", ("tensor", [0, 1, 2])), ("tensor([1, 0])", ("tensor", [1, 0]))]),
)


def clean(text: str) -> str:
    """The answer without the wrapping a student adds: spaces, backticks, a final full stop, full-width marks, a
    unit after a count (`5130 个`), and the address in an object's repr (`<DivBackward1 object at 0x...>`)."""
    text = text.translate(FULL_WIDTH).strip().strip("`").strip()
    if text.endswith(("。", ".")) and not text[:-1].rstrip()[-1:].isdigit():
        text = text[:-1].rstrip()
    text = OBJECT_REPR.sub(lambda match: match.group(1), text)
    counted = UNIT.match(text)
    return counted.group(1) if counted and word(counted.group(2)) is None else text


def word(text: str) -> tuple | None:
    """None, True or False written as a word, in English or Chinese."""
    low = text.lower()
    if low in NONE_WORDS:
        return ("none",)
    if low in TRUE_WORDS or low in FALSE_WORDS:
        return ("bool", low in TRUE_WORDS)
    return None


def error_name(text: str) -> str | None:
    """"RuntimeError: Trying to backward..." -> "RuntimeError" (an exception's name, then its message)."""
    match = re.match(r"^([A-Za-z_][\w.]*)\s*:", text)
    if match and match.group(1).rsplit(".", 1)[-1].endswith(ERROR_SUFFIXES):
        return match.group(1)
    return None


def product_shape(text: str) -> list | None:
    """"4x8", "1 × 1000" -> [4, 8], [1, 1000]."""
    parts = re.split(r"\s*[x×X]\s*", text.strip("()[] "))
    if len(parts) >= 2 and all(part.isdigit() for part in parts):
        return [int(part) for part in parts]
    return None


def thousands(text: str) -> int | float | None:
    """"32,998" -> 32998: digits grouped by three. (Read as Python, it is the pair (32, 998).)"""
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
        plain = text.replace(",", "")
        return float(plain) if "." in plain else int(plain)
    return None


def literal_words(text: str) -> str:
    """Words that mean None, True or False (`null`, `true`, `无`, `否`) as Python's literals, wherever they stand
    alone: `[True, False, 无]` is a list. Names that are called or dotted (`tensor(`, `torch.no`) are left alone, and
    text with quoted strings is left as it is."""
    if "'" in text or '"' in text:
        return text

    def literal(match: re.Match) -> str:
        reading = word(match.group(0))
        if reading is None:
            return match.group(0)
        return "None" if reading == ("none",) else str(reading[1])

    return re.sub(r"(?<![\w.])[^\W\d]\w*(?![\w.(])", literal, text)


def device_name(value: str) -> str | None:
    """"CPU", "'cpu'", "cpu:0", "cuda:0" -> "cpu", "cpu", "cpu", "cuda:0"; None when it is not a device."""
    name = value.strip().strip("'\"").lower()
    base, _, index = name.partition(":")
    if base not in DEVICES or (index and not index.isdigit()):
        return None
    return base if base == "cpu" else name


def suggestion(text: str) -> tuple[str, str] | None:
    """For a near miss, what the student probably meant and the name of its format, from their text alone."""
    low = text.lower().strip()
    bare = low.removeprefix("torch.")
    from quizzes.reading import DTYPES  # the dtype names (reading imports this module)

    guesses = [(difflib.get_close_matches(bare, list(DTYPES), 1, 0.75), "dtype", lambda g: f"torch.{DTYPES[g]}"),
               (difflib.get_close_matches(low, list(DEVICES), 1, 0.75), "device", str),
               (difflib.get_close_matches(low, ["none", "true", "false"], 1, 0.75), "word", str.capitalize),
               (difflib.get_close_matches(text.replace(" ", "").lower(), [e.lower() for e in COMMON_ERRORS], 1, 0.8),
                "error", lambda g: next(e for e in COMMON_ERRORS if e.lower() == g))]
    for matches, form, write in guesses:
        if matches and write(matches[0]) != text:
            return write(matches[0]), form
    numbers = re.findall(r"\d+", text)
    if numbers and re.fullmatch(r"[\s(\[]*\d+(\s*(,|by|乘|\s)\s*\d+)*[\s,)\]]*", low) and len(numbers) > 1:
        return "(" + ", ".join(numbers) + ")", "shape"
    unclosed = _unclosed(text)
    if unclosed:
        return text + "".join(reversed(unclosed)), "brackets"
    return None


def _unclosed(text: str) -> list[str] | None:
    """The closing brackets `text` lacks, innermost last; None when they match or cannot be completed."""
    pairs, stack = {"(": ")", "[": "]"}, []
    for char in text:
        if char in pairs:
            stack.append(pairs[char])
        elif char in ")]":
            if not stack or stack.pop() != char:
                return None
    return stack or None
