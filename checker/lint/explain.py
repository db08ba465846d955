"""`checker lint --explain CODE` and `--list-rules`: the rule catalogue, as a person reads it in a terminal."""
from __future__ import annotations

import click

from checker import rules


SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


def severity(level: str, lang: str) -> str:
    return SEVERITY_ZH.get(level, level) if lang == "zh" else level


def rule_table(lang: str) -> str:
    rows = [f"{r.code}  {r.severity:<7}  {r.name:<38}  {r.text('title', lang)}" for r in rules.RULES.values()]
    return "\n".join(rows) + "\n"


def explain_rule(code: str, lang: str) -> str:
    rule = rules.RULES.get(code.strip().upper()) or rules.BY_NAME.get(code.strip())
    runtime = rules.RUNTIME_ONLY.get(code.strip().upper())
    if runtime is not None:  # found only by `checker trace`: no examples to show
        why, fix = ("原因", "修复") if lang == "zh" else ("why", "fix")
        return (f"{runtime.code} {runtime.kind}: {runtime.text('title', lang)} (checker trace)\n\n"
                f"{why}: {runtime.text('why', lang)}\n\n{fix}: {runtime.text('fix', lang)}\n")
    if rule is None:
        raise click.UsageError(f"没有规则 {code!r}；`checker lint --list-rules` 会列出所有规则" if lang == "zh" else
                               f"no rule {code!r}; `checker lint --list-rules` lists them")
    labels = ("严重程度", "原因", "修复", "错误示例", "正确示例") if lang == "zh" else (
        "severity", "why", "fix", "wrong", "right")
    indent = lambda source: "".join(f"    {line}\n" for line in source.strip("\n").splitlines())  # noqa: E731
    return (f"{rule.code} {rule.name}: {rule.text('title', lang)}\n"
            f"{labels[0]}: {severity(rule.severity, lang)}\n\n"
            f"{labels[1]}: {rule.text('why', lang)}\n\n"
            f"{labels[2]}: {rule.text('fix', lang)}\n\n"
            f"{labels[3]}:\n{indent(rule.wrong)}\n{labels[4]}:\n{indent(rule.right)}")
