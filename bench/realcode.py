"""How much of the real code's bugs `checker lint` finds, and how often it cries wolf on correct code.

    python bench/realcode.py CORPUS_FOLDER [--cases bench/realcode/cases.toml] [--code ROOT]

CORPUS_FOLDER holds the files that bench/realcode/cases.toml names (each case's `file`, with its sibling modules
beside it), read with the search tool from the repository, path and commit recorded there: they are public code, so
they stay out of this repository. Every file is linted as `checker lint` would at default severity (warning and
error), with its folder's sibling modules in view. A case is found when a finding of one of its class's rules lies
within LINE_SLACK lines of the line the case names. A correct file's every finding is a false one.
--code scores another checkout's rules (say, the base commit's) with this same script.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
LINE_SLACK = 3
CLASS_CODES = {
    "C1": {"TD101", "TD102"}, "C2": {"TD103"}, "C3": {"TD104"}, "C4": {"TD105", "TD120"}, "C5": {"TD106"},
    "C6": {"TD107"}, "C7": {"TD108", "TD119"}, "C8": {"TD109"}, "C9": {"TD110"}, "C10": {"TD111"},
    "C11": {"TD112"}, "C12": {"TD113", "TD120"}, "C13": {"TD114"},
}


def lint_file(path: Path) -> list:
    from checker.lint import config
    from checker.lint.engine import lint_source
    from checker.lint.sources import read

    return lint_source(read(path), config.selection(None, None, "warning", None))


def score_case(case: dict, findings: list) -> tuple[bool, str]:
    wanted = case.get("lines", [case["line"]])
    codes = CLASS_CODES[case["class"]]
    near = [f for f in findings if f.code in codes and any(abs(f.line - line) <= LINE_SLACK for line in wanted)]
    if near:
        return True, f"{near[0].code} at line {near[0].line}"
    elsewhere = [f for f in findings if f.code in codes]
    if elsewhere:
        return False, f"{elsewhere[0].code} only at line {elsewhere[0].line}, not at {case['line']}"
    return False, "no finding of " + "/".join(sorted(codes)) + (
        f" (the file's findings: {', '.join(sorted({f.code for f in findings}))})" if findings else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--cases", type=Path, default=REPO / "bench" / "realcode" / "cases.toml")
    parser.add_argument("--code", type=Path, default=REPO, help="the checkout whose checker is scored")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    raw = tomllib.loads(args.cases.read_text(encoding="utf-8"))
    cache = {}

    def findings_of(relative: str) -> list:
        if relative not in cache:
            cache[relative] = lint_file(args.corpus / relative)
        return cache[relative]

    per_class, misses = defaultdict(lambda: [0, 0]), []
    for case in raw.get("case", []):
        found, why = score_case(case, findings_of(case["file"]))
        per_class[case["class"]][0] += found
        per_class[case["class"]][1] += 1
        if not found:
            misses.append(f"  {case['class']:>4} {case['id']}: {why}")
    false = [(c["id"], f) for c in raw.get("correct", []) for f in findings_of(c["file"])]
    total_found = sum(v[0] for v in per_class.values())
    total = sum(v[1] for v in per_class.values())
    print(f"checker from {args.code}")
    print(f"recall at default severity: {total_found}/{total} ({100 * total_found / max(total, 1):.0f}%)")
    for cls in sorted(per_class, key=lambda c: int(c[1:])):
        print(f"  {cls:>4}: {per_class[cls][0]}/{per_class[cls][1]}")
    correct = len(raw.get("correct", []))
    print(f"false findings on {correct} correct files: {len(false)} "
          f"({len({i for i, _ in false})} files with any)")
    for case_id, finding in false:
        print(f"  {case_id}: {finding.code} line {finding.line}: {finding.message}")
    print("misses:" if misses else "misses: none")
    print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
