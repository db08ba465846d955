"""Linting one source: parse it, run the rules, drop what `# noqa` and the selection silence, word the rest."""
from __future__ import annotations

import ast
from dataclasses import asdict, dataclass

from checker import rules
from checker.lint.config import Selection
from checker.lint.noqa import is_silenced, silenced
from checker.lint.sources import Source, collect, read

UNREADABLE = "TD000"  # not a rule: the file could not be read or parsed, so no rule could look at it
DETAIL_WIDTH = 60


@dataclass(frozen=True)
class Finding:
    path: str
    line: int  # in the file; for a notebook, in its cell
    col: int
    code: str
    name: str
    severity: str
    message: str
    cell: int | None = None  # notebooks only: the code cell's number, from 1

    def to_dict(self) -> dict:
        return asdict(self)


def lint_paths(paths: list[str], selection: Selection, lang: str = "en", progress=None) -> tuple[list[Finding], int]:
    """Every finding under paths, and the number of files read."""
    files = collect(paths)
    findings = []
    for path in files:
        findings += lint_source(read(path), selection, lang)
        if progress is not None:
            progress(path)
    return findings, len(files)


def lint_source(source: Source, selection: Selection, lang: str = "en") -> list[Finding]:
    findings = [_unreadable(source, line, col, why, lang) for line, col, why in source.problems]
    if not source.text.strip():
        return findings
    try:
        tree = ast.parse(source.text, filename=source.path)
    except SyntaxError as error:
        return findings + [_unreadable(source, error.lineno or 1, error.offset or 1, f"{error.msg}", lang)]
    except (ValueError, RecursionError, MemoryError) as error:  # NUL bytes, nesting deeper than the parser allows
        return findings + [_unreadable(source, 1, 1, type(error).__name__, lang)]
    noqa = silenced(source.text)
    for hit in rules.run(tree, [r.name for r in rules.RULES.values() if r.code in selection.codes], source.path):
        rule = rules.BY_NAME[hit.rule]
        severity = hit.severity or rule.severity
        if not selection.reports(rule.code, severity) or is_silenced(noqa, hit.line, rule.code):
            continue
        cell, line = source.place(hit.line)
        findings.append(Finding(source.path, line, hit.col, rule.code, rule.name, severity,
                                rule.text("message", lang, detail=_short(hit.detail)), cell))
    return sorted(findings, key=lambda f: (f.cell or 0, f.line, f.col, f.code))


def _unreadable(source: Source, line: int, col: int, why: str, lang: str) -> Finding:
    cell, line = source.place(line)
    if cell is not None:
        message = f"该单元格无法解析，已跳过：{why}" if lang == "zh" else f"this cell cannot be parsed and was skipped: {why}"
    else:
        message = f"无法解析，未做检查：{why}" if lang == "zh" else f"cannot be parsed, nothing checked: {why}"
    return Finding(source.path, line, col, UNREADABLE, "unreadable", "error", message, cell)


def _short(detail: str) -> str:
    detail = " ".join(detail.split())
    return detail if len(detail) <= DETAIL_WIDTH else detail[: DETAIL_WIDTH - 1] + "…"


def display_path(finding: Finding) -> str:
    return finding.path if finding.cell is None else f"{finding.path}:cell_{finding.cell}"
