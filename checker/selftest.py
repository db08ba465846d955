"""`checker selftest`: prove each scenario: its metadata is sound, the buggy script fails, the solution passes,
and every declared variant gets its declared verdict."""
from __future__ import annotations

import difflib
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from checker.scenario import Scenario, ScenarioError, find, load_all, variant_source
from checker.verify import verify


@dataclass
class CaseResult:
    name: str
    expect: str  # "pass" or "fail"
    passed: bool
    failed_checks: list[str]
    missing_failures: list[str]  # checks the metadata says must fail but did not
    duration_s: float

    @property
    def ok(self) -> bool:
        return (self.passed == (self.expect == "pass")) and not self.missing_failures


@dataclass
class ScenarioReport:
    id: str
    problems: list[str] = field(default_factory=list)
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(c.ok for c in self.cases)

    def to_dict(self) -> dict:
        return {"id": self.id, "ok": self.ok, "problems": self.problems,
                "cases": [{**asdict(c), "ok": c.ok} for c in self.cases]}


def changed_lines(a: str, b: str) -> int:
    diff = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def metadata_problems(scenario: Scenario) -> list[str]:
    problems = [f"missing file: {p}" for p in (scenario.buggy_path, scenario.solution_path) if not p.is_file()]
    if problems:
        return problems
    buggy, solution = (p.read_text(encoding="utf-8") for p in (scenario.buggy_path, scenario.solution_path))
    changed = changed_lines(buggy, solution)
    if changed == 0:
        problems.append("the solution is identical to the buggy script")
    elif changed > scenario.max_diff_lines:
        problems.append(f"the buggy script and the solution differ by {changed} lines; max_diff_lines is "
                        f"{scenario.max_diff_lines}")
    if not scenario.hints:
        problems.append("no hints")
    for variant in scenario.variants:
        try:
            variant_source(scenario, variant)
        except ScenarioError as error:
            problems.append(str(error))
    return problems


def cases_of(scenario: Scenario) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(name, source, expect, must-fail checks) for the buggy script, the solution and every variant."""
    cases = [("buggy script", scenario.buggy_path.read_text(encoding="utf-8"), "fail", ()),
             ("solution", scenario.solution_path.read_text(encoding="utf-8"), "pass", ())]
    for variant in scenario.variants:
        try:
            source = variant_source(scenario, variant)
        except ScenarioError:
            continue  # already reported by metadata_problems; the other cases still run
        cases.append((f"variant: {variant.name}", source, variant.expect, variant.failing))
    return cases


def run_case(scenario: Scenario, source: str, name: str, expect: str, failing: tuple[str, ...],
             timeout_s: float | None) -> CaseResult:
    with tempfile.TemporaryDirectory(prefix="torchdrill-selftest-") as folder:
        path = Path(folder) / f"{scenario.id}.py"
        path.write_text(source, encoding="utf-8")
        verdict = verify(path, scenario.id, timeout_s=timeout_s)
    failed = [c.id for c in verdict.failed_checks()]
    return CaseResult(name, expect, verdict.passed, failed, [f for f in failing if f not in failed],
                      verdict.duration_s)


def selftest(ids: list[str] | None = None, timeout_s: float | None = None,
             on_case: Callable[[str, CaseResult | None], None] | None = None) -> list[ScenarioReport]:
    scenarios = [find(i) for i in ids] if ids else load_all()
    reports = []
    for scenario in scenarios:
        report = ScenarioReport(scenario.id, metadata_problems(scenario))
        if not any(p.startswith("missing file") for p in report.problems):
            for name, source, expect, failing in cases_of(scenario):
                if on_case:
                    on_case(f"{scenario.id}: {name}", None)
                case = run_case(scenario, source, name, expect, failing, timeout_s)
                report.cases.append(case)
                if on_case:
                    on_case(f"{scenario.id}: {name}", case)
        reports.append(report)
    return reports
