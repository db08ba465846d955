"""The shapes `checker lint` prints: flake8's text, JSON, SARIF 2.1.0 (code scanning) and GitHub annotations."""
from __future__ import annotations

import json
from pathlib import PurePath

from checker import rules
from checker.lint.engine import UNREADABLE, Finding, display_path

FORMATS = ("text", "json", "sarif", "github")
DOCS = "docs/rules.md"  # in the torchdrill source tree
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def render(findings: list[Finding], fmt: str, files_checked: int, lang: str, version: str) -> str:
    return {"text": text, "json": as_json, "sarif": sarif, "github": github}[fmt](
        findings, files_checked=files_checked, lang=lang, version=version)


def text(findings: list[Finding], **_) -> str:
    return "".join(f"{display_path(f)}:{f.line}:{f.col}: {f.code} {f.message}\n" for f in findings)


def as_json(findings: list[Finding], files_checked: int, **_) -> str:
    return json.dumps({"files_checked": files_checked, "findings": [f.to_dict() for f in findings]},
                      ensure_ascii=False, indent=2) + "\n"


def sarif(findings: list[Finding], lang: str, version: str, **_) -> str:
    descriptors = [_descriptor(code, lang) for code in rules.RULES]
    if any(f.code == UNREADABLE for f in findings):
        descriptors.append({"id": UNREADABLE, "name": "unreadable",
                            "shortDescription": {"text": "File could not be parsed"},
                            "defaultConfiguration": {"level": "error"}})
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = []
    for f in findings:
        result = {"ruleId": f.code, "ruleIndex": index[f.code], "level": SARIF_LEVEL[f.severity],
                  "message": {"text": f.message},
                  "locations": [{"physicalLocation": {
                      "artifactLocation": {"uri": PurePath(f.path).as_posix(), "uriBaseId": "%SRCROOT%"},
                      "region": {"startLine": f.line, "startColumn": f.col}}}]}
        if f.cell is not None:
            # SARIF regions count lines of the file; a notebook's are counted inside its code cell.
            result["locations"][0]["logicalLocations"] = [{"name": f"cell_{f.cell}", "kind": "module"}]
            result["properties"] = {"cell": f.cell, "lineInCell": f.line}
        results.append(result)
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "torchdrill", "semanticVersion": version, "rules": descriptors}},
        "results": results}]}
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


def _descriptor(code: str, lang: str) -> dict:
    rule = rules.RULES[code]
    return {"id": code, "name": rule.name, "shortDescription": {"text": rule.text("title", lang)},
            "fullDescription": {"text": rule.text("why", lang)},
            "help": {"text": f"{rule.text('fix', lang)} ({DOCS}#{code.lower()})"},
            "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]}}


def github(findings: list[Finding], lang: str, **_) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on the pull request's diff."""
    lines = []
    for f in findings:
        title = rules.RULES[f.code].text("title", lang) if f.code in rules.RULES else "unreadable"
        where = f"file={_property(f.path)},line={f.line},col={f.col},title={_property(f'{f.code} {title}')}"
        cell = f"cell {f.cell}, line {f.line}: " if f.cell is not None else ""
        lines.append(f"::{GITHUB_LEVEL[f.severity]} {where}::{_data(cell + f.message)}\n")
    return "".join(lines)


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")
