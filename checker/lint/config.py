"""Which rules `checker lint` reports: --select / --ignore / --severity, else `[tool.torchdrill.lint]` in the
nearest pyproject.toml, else every rule at warning and above."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from checker.rules import RULES, SEVERITIES

KEYS = {"select", "ignore", "severity"}


class ConfigError(ValueError):
    """A selection that names no rule, or a config table that cannot be used: a usage error."""


@dataclass(frozen=True)
class Selection:
    codes: frozenset[str]  # the rules that are reported
    severity: str  # the lowest severity reported, except for rules selected by their exact code
    exact: frozenset[str]  # codes named exactly in select: shown whatever their severity
    source: str  # where the selection came from, for messages

    def reports(self, code: str, severity: str | None = None) -> bool:
        """Whether a hit of rule `code` is shown; severity is the hit's when the rule lowered it."""
        if code not in self.codes:
            return False
        severity = severity or RULES[code].severity
        return code in self.exact or SEVERITIES.index(severity) >= SEVERITIES.index(self.severity)


def nearest_pyproject(start: Path) -> Path | None:
    folder = start.resolve()
    folder = folder if folder.is_dir() else folder.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate / "pyproject.toml"
    return None


def from_pyproject(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read it as TOML ({error})") from None
    table = data.get("tool", {}).get("torchdrill", {}).get("lint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.torchdrill.lint] must be a table")
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{path}: [tool.torchdrill.lint] has unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(KEYS))}")
    for key in ("select", "ignore"):
        if key in table and not (isinstance(table[key], list) and all(isinstance(c, str) for c in table[key])):
            raise ConfigError(f'{path}: [tool.torchdrill.lint] {key} must be a list of codes, like ["TD101"]')
    return table


def expand(patterns, where: str) -> tuple[set[str], set[str]]:
    """(codes matched, codes named exactly) for codes or prefixes (TD1, TD10, TD101) or ALL."""
    codes, exact = set(), set()
    for pattern in patterns:
        pattern = pattern.strip().upper()
        if not pattern:
            continue
        matched = set(RULES) if pattern == "ALL" else {c for c in RULES if c.startswith(pattern)}
        if not matched:
            raise ConfigError(f"{where}: {pattern!r} matches no rule; the codes are {min(RULES)}..{max(RULES)} "
                              "(see `checker lint --list-rules`)")
        codes |= matched
        exact |= {pattern} & set(RULES)
    return codes, exact


def selection(select, ignore, severity, pyproject: Path | None) -> Selection:
    table = from_pyproject(pyproject)
    where = str(pyproject) if table else "the command line"
    select = select if select else table.get("select")
    ignore = ignore if ignore else table.get("ignore", [])
    severity = severity or table.get("severity", "warning")
    if severity not in SEVERITIES:
        raise ConfigError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    codes, exact = expand(select, "--select" if select else where) if select else (set(RULES), set())
    ignored, _ = expand(ignore, "--ignore" if ignore else where)
    return Selection(frozenset(codes - ignored), severity, frozenset(exact - ignored), where)


def split_codes(values) -> list[str]:
    """--select TD101,TD105 --select TD2 -> ["TD101", "TD105", "TD2"]."""
    return [code for value in values or () for code in value.replace(" ", ",").split(",") if code]
