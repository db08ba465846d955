"""`checker mutate SCRIPT --dir DIR`: plant each bug class of the catalogue in an instructor's own correct script,
write one scenario per class, prove them all with selftest, and keep only those that prove.

A planted bug is kept when `checker lint` finds it (a finding of its class that the original does not have), the
buggy script fails its own probe, the original passes, and every generated variant gets its declared verdict.
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from checker.messages import text
from checker.mutate import planters
from checker.mutate.edits import apply, replacements
from checker.mutate.facts import Facts, read_facts
from checker.mutate.scenario_file import GENERAL_PROBES, ScenarioDraft, Texts
from checker.verdict import InputError

CLASSES_FILE = Path(__file__).with_name("classes.toml")


@dataclass
class Row:
    """One line of mutate's table: a class, and what became of it."""
    kind: str  # the class key (zero_grad, ...)
    number: str  # C1..C13
    status: str  # "planted" (not proven yet), then "written" or "skipped"
    reason: str = ""  # why it was skipped, in the command's language
    scenario: str = ""  # the scenario id written
    line: int = 0  # the planted line in the buggy script


def classes() -> dict:
    return tomllib.loads(CLASSES_FILE.read_text(encoding="utf-8"))


def scenario_prefix(script: Path) -> str:
    stem = re.sub(r"[^a-z0-9_]+", "_", script.stem.lower()).strip("_") or "script"
    return stem if stem[0].isalpha() else f"s_{stem}"


def read_script(script: Path, lang: str) -> tuple[str, Facts]:
    """The script's source and what mutate reads in it. A notebook (.ipynb) is its code cells in order, as
    `checker lint` and `checker trace` read it (IPython magics blanked out); the exercises are that script."""
    try:
        source = _notebook_code(script, lang) if script.suffix == ".ipynb" else script.read_text(encoding="utf-8")
        facts = read_facts(source)
    except OSError as error:
        raise InputError(text("mutate", "unreadable", lang, path=script, detail=error.strerror)) from None
    except (UnicodeDecodeError, SyntaxError, ValueError, RecursionError) as error:
        raise InputError(text("mutate", "not_python", lang, path=script,
                              detail=f"{type(error).__name__}: {error}")) from None
    return source, facts


def _notebook_code(notebook: Path, lang: str) -> str:
    from checker.lint.sources import read

    if not notebook.is_file():
        raise OSError(2, "No such file or directory")
    code = read(notebook)
    if code.problems:  # a cell left out would make the exercises another program than the notebook
        line, _, why = code.problems[0]
        if not code.cells:
            raise InputError(text("mutate", "not_python", lang, path=notebook, detail=why))
        cell = code.place(line)[0]
        raise InputError(text("mutate", "notebook_cell", lang, path=notebook, cell=cell, detail=why))
    if not code.text.strip():
        raise InputError(text("mutate", "notebook_empty", lang, path=notebook))
    return _main_called_as_a_script_calls_it(code.text)


def _main_called_as_a_script_calls_it(source: str) -> str:
    """A notebook's cell that calls `main()` runs it when the cells run; the checker calls main() itself, so in the
    script the call is made only when it runs as a program: `if __name__ == "__main__":`."""
    lines = source.splitlines(keepends=True)
    for node in reversed(ast.parse(source).body):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and node.lineno == node.end_lineno \
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "main" and node.col_offset == 0:
            call = lines[node.lineno - 1]
            lines[node.lineno - 1] = 'if __name__ == "__main__":  # the notebook\'s own call\n    ' + call
    return "".join(lines)


def needs(facts: Facts, lang: str) -> list[str]:
    """What the checker cannot supply and the script lacks, before anything is planted."""
    missing = []
    if facts.main is None:
        missing.append(text("mutate", "need_main", lang))
    if not facts.model_classes:
        missing.append(text("mutate", "need_model", lang))
    if facts.train is None or facts.optimizer_step is None:
        missing.append(text("mutate", "need_train", lang))
    if facts.test is None:
        missing.append(text("mutate", "need_test", lang))
    if not facts.reads_mnist or facts.other_datasets:
        lines = ", ".join(map(str, facts.other_datasets))
        missing.append(text("mutate", "need_data", lang) + (text("mutate", "here_lines", lang, lines=lines)
                                                            if lines else ""))
    return missing


def plan_all(script: Path, source: str, facts: Facts, lang: str,
             kinds: list[str] | None = None) -> tuple[list[ScenarioDraft], list[Row]]:
    """A draft scenario for every class (of `kinds`, else all) that can be planted, and a row for every class."""
    table = classes()
    unknown = [k for k in kinds or [] if k not in table["classes"]]
    if unknown:
        raise InputError(text("mutate", "unknown_class", lang, name=repr(unknown[0]),
                              known=", ".join(table["classes"])))
    prefix = scenario_prefix(script)
    drafts, rows = [], []
    for kind, info in table["classes"].items():
        if kinds and kind not in kinds:
            continue
        row = Row(kind, info["number"], "skipped")
        rows.append(row)
        try:
            plan = planters.PLANTERS[kind](facts)
        except planters.Skip as skip:
            row.reason = table["skips"][skip.key][lang]
            continue
        draft, problem = _draft(f"{prefix}_{kind}", script, source, facts, plan, info, lang)
        if draft is None:
            row.reason = problem
            continue
        row.status, row.scenario, row.line = "planted", draft.id, draft.line
        drafts.append(draft)
    return drafts, rows


def _draft(scenario_id: str, script: Path, source: str, facts: Facts, plan: planters.Plan, info: dict,
           lang: str) -> tuple[ScenarioDraft | None, str]:
    from checker.selftest import changed_lines

    bug = replacements(source, plan.bug)
    buggy = apply(source, bug)
    try:
        ast.parse(buggy)
    except SyntaxError as error:
        return None, text("mutate", "not_parsing", lang, error=error.msg)
    if facts.top_level and not _same_loops(source, buggy):
        return None, text("mutate", "loops_hidden", lang)
    finding = _new_finding(source, buggy, set(info["codes"]), "en")  # the texts need both languages' wording
    if finding is None:
        return None, text("mutate", "lint_blind", lang, codes="/".join(info["codes"]))
    finding_zh = _new_finding(source, buggy, set(info["codes"]), "zh")
    variants = []
    for case in plan.variants:
        pairs = replacements(source, case.edits)
        try:
            ast.parse(apply(source, pairs))
        except SyntaxError:
            continue
        variants.append({"name": case.name, "replace": pairs, "expect": case.expect, "failing": list(case.failing)})
    if not {"pass", "fail"} <= {v["expect"] for v in variants}:
        return None, text("mutate", "no_variants", lang)
    probes = list(dict.fromkeys(plan.probes + [p for p in GENERAL_PROBES if _holds_statically(p, facts)]))
    overrides = {facts.epochs_name: plan.epochs} if facts.epochs_name else {}
    overrides.update(plan.overrides)
    argv = [facts.epochs_flag, str(plan.epochs)] if facts.epochs_flag else []
    if facts.top_level:  # the checker makes main(), train() and test() of it when it runs (script_shape)
        entry = {"shape": "script", "model_class": facts.model_class, **plan.entry_points}
    else:
        entry = {"main": "main", "train": facts.train.name, "test": facts.test.name,
                 "model_class": facts.model_class, **plan.entry_points}
    texts = _texts(finding, finding_zh, buggy, info)
    return ScenarioDraft(scenario_id, source, buggy, bug, probes, list(info["lints"]), texts, entry, overrides,
                         changed_lines(buggy, source), finding.line, _extra_imports(facts), variants,
                         script.name, argv), ""


def _same_loops(source: str, buggy: str) -> bool:
    """Whether the checker finds the top-level script's training and evaluation loops in the buggy script as in
    the original (checker.child.script_shape): else the probes would watch other code, or none."""
    from checker.child.script_shape import evaluation_loop, training_loop

    def found(text_: str) -> tuple[bool, bool]:
        body = ast.parse(text_).body
        training = training_loop(body)
        return training is not None, evaluation_loop(body, training) is not None

    return found(source) == found(buggy)


def _holds_statically(probe: str, facts: Facts) -> bool:
    """A general probe is declared only where the original script does what it checks."""
    if probe == "eval_mode":
        return facts.eval_call is not None
    if probe == "no_grad_eval":
        return facts.no_grad_with is not None or facts.no_grad_decorator is not None
    if probe == "train_mode":
        return facts.train_mode_call is not None or facts.eval_call is None
    return True


def _new_finding(solution: str, buggy: str, codes: set[str], lang: str):
    """The lint finding of one of `codes` that the buggy script has and the original does not."""
    from checker.lint import config
    from checker.lint.engine import lint_source
    from checker.lint.sources import Source

    selection = config.selection(None, None, "warning", None)

    def found(source: str):
        return [f for f in lint_source(Source("script.py", source), selection, lang) if f.code in codes]

    before = {(f.code, f.message) for f in found(solution)}
    return next((f for f in found(buggy) if (f.code, f.message) not in before), None)


def _texts(finding, finding_zh, buggy: str, info: dict) -> Texts:
    from checker.rules import RULES

    rule = RULES[finding.code]
    where = {lang: _where(buggy, finding.line, lang) for lang in ("en", "zh")}
    spaced = f" {where['zh']} " if where["zh"].isascii() else where["zh"]  # a name among Chinese words
    code = buggy.splitlines()[finding.line - 1].strip()
    return Texts(
        title={"en": f"{rule.text('title', 'en')}, in {where['en']}",
               "zh": f"{rule.text('title', 'zh')}（{where['zh']}）"},
        summary={"en": f"Line {finding.line}, in {where['en']}: {finding.message}.",
                 "zh": f"第 {finding.line} 行，{spaced.lstrip()}中：{finding_zh.message}。"},
        explanation={lang: rule.text("why", lang) for lang in ("en", "zh")},
        hints=[info["question"],
               {"en": f"Look at {where['en']}, around line {finding.line}: {code}",
                "zh": f"看看{spaced}第 {finding.line} 行附近：{code}"},
               {lang: rule.text("fix", lang) for lang in ("en", "zh")}])


def _where(source: str, line: int, lang: str) -> str:
    """`train()` or `Net.forward()`: the function of `source` that holds `line`; in top-level code, the training
    loop, the evaluation loop or the top-level code, in `lang`."""
    from checker.child.script_shape import evaluation_loop, training_loop

    tree = ast.parse(source)
    for node in tree.body:
        if node.lineno <= line <= node.end_lineno:
            if isinstance(node, ast.FunctionDef):
                return f"{node.name}()"
            if isinstance(node, ast.ClassDef):
                inner = [f for f in node.body if isinstance(f, ast.FunctionDef) and f.lineno <= line <= f.end_lineno]
                return f"{node.name}.{inner[0].name}()" if inner else node.name
    training = training_loop(tree.body)
    evaluation = evaluation_loop(tree.body, training)
    for loop, key in ((training, "where_training_loop"), (evaluation, "where_evaluation_loop")):
        if loop is not None and loop.lineno <= line <= loop.end_lineno:
            return text("mutate", key, lang)
    return text("mutate", "where_top_level", lang)


def _extra_imports(facts: Facts) -> list[str]:
    """Modules the script imports beyond the allowlist: a submission of this course may import them too."""
    from checker.allowlist import module_allowed

    names = set()
    for node in ast.walk(facts.tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return sorted(n for n in names if not module_allowed(n) and n != "torchdrill")


def mutate(script: Path, folder: Path, lang: str = "en", force: bool = False, jobs: int = 2, quick: bool = True,
           on_case: Callable | None = None, on_total: Callable[[int], None] | None = None,
           kinds: list[str] | None = None) -> list[Row]:
    """Plant, write, prove; the rows of the table. Scenarios that do not prove are removed from `folder`."""
    from checker.scenario import SCENARIOS_ENV
    from checker.selftest import selftest

    source, facts = read_script(script, lang)
    missing = needs(facts, lang)
    if missing:
        raise InputError(text("mutate", "needs", lang, path=script, needs="\n  - ".join([""] + missing)))
    drafts, rows = plan_all(script, source, facts, lang, kinds)
    existing = [str(p) for d in drafts for p in d.paths(folder) if p.exists()]
    if existing and not force:
        raise InputError(text("mutate", "exists", lang, paths=", ".join(existing[:3])))
    for draft in drafts:
        draft.write(folder)
    if not drafts:
        return rows
    previous = os.environ.get(SCENARIOS_ENV)
    os.environ[SCENARIOS_ENV] = os.pathsep.join([str(folder)] + ([previous] if previous else []))
    try:
        reports = selftest([d.id for d in drafts], on_case=on_case, jobs=jobs, lang=lang, quick=quick,
                           on_total=on_total)
    finally:
        if previous is None:
            os.environ.pop(SCENARIOS_ENV, None)
        else:
            os.environ[SCENARIOS_ENV] = previous
    by_id = {r.id: r for r in reports}
    for draft in drafts:
        row = next(r for r in rows if r.scenario == draft.id)
        report = by_id.get(draft.id)
        if report is not None and report.ok and _fails_on_own_probe(report, draft):
            row.status = "written"
            continue
        row.status = "skipped"
        draft.remove(folder)
        row.reason = _unproven(report, draft, lang)
    return rows


def _fails_on_own_probe(report, draft: ScenarioDraft) -> bool:
    """The buggy script's verdict names the class's own probe: the exercise teaches the bug it plants."""
    return any(c.name == "buggy script" and draft.probes[0] in c.failed_checks for c in report.cases)


def _unproven(report, draft: ScenarioDraft, lang: str) -> str:
    if report is None:
        return text("mutate", "not_proven", lang, detail="")
    if report.problems:
        return text("mutate", "not_proven", lang, detail=report.problems[0])
    if report.ok:
        buggy = next(c for c in report.cases if c.name == "buggy script")
        return text("mutate", "not_own_probe", lang, probe=draft.probes[0], checks=", ".join(buggy.failed_checks))
    case = next(c for c in report.cases if not c.ok)
    if case.expect == "pass":
        why = text("mutate", "must_pass", lang, checks=", ".join(case.failed_checks))
    elif case.passed:
        why = text("mutate", "must_fail_passed", lang)
    else:
        why = text("mutate", "must_fail_on", lang, missing=", ".join(case.missing_failures),
                   checks=", ".join(case.failed_checks))
    return text("mutate", "not_proven", lang, detail=f"{case.name}: {why}")
