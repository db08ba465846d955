"""`checker selftest`: prove each scenario: its metadata is sound, the buggy script fails, the solution passes,
and every declared variant gets its declared verdict."""
from __future__ import annotations

import ast
import difflib
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from checker.messages import text
from checker.pristine import bug_problems
from checker.scenario import Scenario, ScenarioError, discover, load, variant_source
from checker.verdict import InputError
from checker.verify import verify


@dataclass
class CaseResult:
    name: str
    expect: str  # "pass" or "fail"
    passed: bool
    failed_checks: list[str]
    missing_failures: list[str]  # checks the metadata says must fail but did not
    duration_s: float
    unusable: bool = False  # the case could not be run at all (it does not parse, its reference fails, ...)
    messages: dict[str, str] = field(default_factory=dict)  # each failing check's message, as verify words it
    traceback: str = ""  # the end of the traceback, when the run crashed
    budget: str = "full"  # "quick": proven failing on a probe at the quick budget (see run_case)

    @property
    def ok(self) -> bool:
        return not self.unusable and (self.passed == (self.expect == "pass")) and not self.missing_failures


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


def metadata_problems(scenario: Scenario, lang: str = "en") -> list[str]:
    """What keeps the scenario from being proven or shipped, as its author reads it (in `lang`)."""
    def say(key: str, **values) -> str:
        return text("selftest", key, lang, **values)

    problems = [say("missing_file", path=p) for p in (scenario.buggy_path, scenario.solution_path) if not p.is_file()]
    if problems:
        return problems
    buggy, solution = (p.read_text(encoding="utf-8") for p in (scenario.buggy_path, scenario.solution_path))
    changed = changed_lines(buggy, solution)
    if changed == 0:
        problems.append(say("identical"))
    elif changed > scenario.max_diff_lines:
        problems.append(say("diff_too_large", changed=changed, limit=scenario.max_diff_lines))
    if not scenario.hints:
        problems.append(say("no_hints"))
    if not any(v.expect == "pass" for v in scenario.variants) or not any(v.expect == "fail" for v in scenario.variants):
        problems.append(say("pass_and_fail_variants"))
    for variant in scenario.variants:
        try:
            ast.parse(variant_source(scenario, variant))
        except ScenarioError as error:
            problems.append(error.worded(lang))
        except SyntaxError as error:
            problems.append(say("variant_not_python", name=repr(variant.name), line=error.lineno, error=error.msg))
    problems += [say("todo_left", field=field) for field, value in _texts(scenario)
                 if "TODO" in value.en or "TODO" in value.zh]
    problems += [problem for probe in scenario.custom_probes for problem in custom_probe_problems(probe, lang)]
    return problems + bug_problems(scenario, lang)


def _texts(scenario: Scenario):
    yield from (("title", scenario.title), ("summary", scenario.summary), ("explanation", scenario.explanation))
    yield from ((f"hints[{i}]", hint) for i, hint in enumerate(scenario.hints))


def custom_probe_problems(probe, lang: str = "en") -> list[str]:
    """A custom probe's file must compile and define check(ctx)."""
    try:
        tree = ast.parse(probe.path.read_text(encoding="utf-8"), filename=str(probe.path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as error:
        return [text("selftest", "probe_unreadable", lang, id=repr(probe.id), path=probe.path, error=error)]
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return [] if "check" in defined else [text("selftest", "probe_without_check", lang, id=repr(probe.id),
                                                 path=probe.path)]


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


TRACEBACK_TAIL = 1500  # characters of a crash's traceback kept in a case's result


def run_case(scenario: Scenario, source: str, name: str, expect: str, failing: tuple[str, ...],
             timeout_s: float | None, launcher=None, lang: str = "en", quick: bool = False,
             shared: tuple[str, tuple[str, ...]] | None = None) -> CaseResult:
    """Run one case and judge it. With `quick`, a case expected to fail first trains at most the scenario's
    `budget.quick_batches` batches a pass: when one of its probes fails there (and every check it declares as
    failing), that is its verdict, since a probe's finding in the first batches is also made in the full run
    (tests/checker/test_quick_budget.py proves it for every catalogue case, on the full budget, as a slow test).
    The accuracy is never read at the quick budget. Otherwise, and for every case expected to pass, the run has
    the scenario's whole budget. `shared`: (the script's file stem, the probes it runs with) where one run serves
    several scenarios (shared_solution_runs)."""
    stem, probes = shared or (scenario.id, None)
    with tempfile.TemporaryDirectory(prefix="torchdrill-selftest-") as folder:
        path = Path(folder) / f"{stem}.py"
        path.write_text(source, encoding="utf-8")
        try:
            if quick and quick_applies(scenario, expect, failing):
                verdict = verify(path, scenario.id, lang=lang, timeout_s=timeout_s, launcher=launcher,
                                 max_train_batches=scenario.budget.quick_batches)
                result = _judged(verdict, name, expect, failing, budget="quick")
                if quick_proof(scenario, result):
                    return result
            verdict = verify(path, scenario.id, lang=lang, timeout_s=timeout_s, launcher=launcher,
                             probes=list(probes) if probes else None)
        except InputError as error:  # a case that cannot even be run proves nothing either way
            return CaseResult(name, expect, False, [f"input error: {error}"], list(failing), 0.0, unusable=True)
    return _judged(verdict, name, expect, failing)


def _judged(verdict, name: str, expect: str, failing: tuple[str, ...], budget: str = "full") -> CaseResult:
    failed = [c for c in verdict.failed_checks() if budget == "full" or c.id != "accuracy"]
    return CaseResult(name, expect, verdict.passed, [c.id for c in failed],
                      [f for f in failing if f not in {c.id for c in failed}], verdict.duration_s,
                      messages={c.id: c.message for c in failed}, traceback=verdict.traceback[-TRACEBACK_TAIL:],
                      budget=budget)


NEVER_QUICK = {"accuracy", "runs"}  # a case declared to fail on these needs the whole run to show it


def quick_applies(scenario: Scenario, expect: str, failing: tuple[str, ...]) -> bool:
    return expect == "fail" and bool(scenario.budget.quick_batches) and not NEVER_QUICK & set(failing)


def quick_proof(scenario: Scenario, result: CaseResult) -> bool:
    """Whether a quick run proves the case fails: one of the scenario's probes failed, and every declared one."""
    probes = set(scenario.probes)
    return bool(probes & set(result.failed_checks)) and not result.missing_failures


def shared_solution_runs(scenarios: list[Scenario]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """For scenarios whose solutions are one script run the same way (the scenarios `checker mutate` writes from a
    script, each with its own probes): scenario id -> (a file stem, the union of their probes). Their solution
    cases then make one run, which watches every probe; each scenario judges its own (checker.verify). The probes
    only watch, so the run trains what each scenario's own run would (tests/checker/test_own_reference.py)."""
    groups: dict[tuple, list[Scenario]] = {}
    for scenario in scenarios:
        if scenario.custom_probes or not scenario.solution_path.is_file():
            continue
        same_run = (scenario.solution_path.read_bytes(), tuple(sorted(scenario.entry_points.items())),
                    tuple(scenario.budget.overrides), scenario.budget.argv, scenario.budget.timeout_s,
                    scenario.budget.memory_mb)
        groups.setdefault(same_run, []).append(scenario)
    shared = {}
    for members in groups.values():
        if len(members) > 1:
            probes = tuple(sorted({probe for member in members for probe in member.probes}))
            shared.update({member.id: (members[0].id, probes) for member in members})
    return shared


def load_reports(ids: list[str] | None, lang: str = "en") -> list[tuple[ScenarioReport, Scenario | None]]:
    """Each scenario's report so far, with its metadata problems; a scenario whose TOML cannot be loaded
    is reported (with the loader's message) instead of stopping the whole selftest."""
    paths = {p.stem: p for p in discover()}
    if ids:
        unknown = [i for i in ids if i not in paths]
        if unknown:
            raise ScenarioError.keyed("no_such_scenario", id=repr(unknown[0]), known=", ".join(paths))
    loaded = []
    for scenario_id in ids or list(paths):
        try:
            scenario = load(paths[scenario_id])
        except ScenarioError as error:
            loaded.append((ScenarioReport(scenario_id, [str(error)]), None))
            continue
        loaded.append((ScenarioReport(scenario.id, metadata_problems(scenario, lang)), scenario))
    return loaded


def selftest(ids: list[str] | None = None, timeout_s: float | None = None,
             on_case: Callable[[str, CaseResult | None], None] | None = None, jobs: int = 2,
             warm: bool = True, on_total: Callable[[int], None] | None = None, lang: str = "en",
             quick: bool = False) -> list[ScenarioReport]:
    """Prove the scenarios, running `jobs` cases at a time (each in its own sandbox, as verify runs them).
    `quick`: cases expected to fail may be proven at the quick budget (run_case)."""
    from checker import run_store
    from checker.pool import run_all

    loaded = load_reports(ids, lang)
    tasks = [(report, scenario, case) for report, scenario in loaded if scenario is not None
             and scenario.buggy_path.is_file() and scenario.solution_path.is_file() for case in cases_of(scenario)]
    if on_total:
        on_total(len(tasks))
    shared = shared_solution_runs([scenario for _, scenario in loaded if scenario is not None])

    def work(task, launcher) -> CaseResult:
        report, scenario, (name, source, expect, failing) = task
        if on_case:
            on_case(f"{scenario.id}: {name}", None)
        return run_case(scenario, source, name, expect, failing, timeout_s, launcher, lang, quick,
                        shared.get(scenario.id) if name == "solution" else None)

    def done(task, result: CaseResult) -> None:
        if on_case:
            on_case(f"{task[1].id}: {result.name}", result)

    # Each solution first: verifying it makes its scenario's reference run too (checker.verify), which every other
    # case of the scenario then reads; the reports keep the cases in their own order.
    order = sorted(range(len(tasks)), key=lambda i: tasks[i][2][0] != "solution")
    with run_store.remembering():  # a solution run that serves several scenarios is made once
        in_order = run_all([tasks[i] for i in order], work, jobs=jobs, warm=warm, on_done=done)
    results = [None] * len(tasks)
    for position, result in zip(order, in_order):
        results[position] = result
    for (report, _, _), result in zip(tasks, results):
        report.cases.append(result)
    return [report for report, _ in loaded]
