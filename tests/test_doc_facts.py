"""The counts the docs state (scenarios, selftest cases and variants, banks, questions, answers) are the
catalogue's own: this test reads them from the scenarios and the banks and fails when a doc drifts from them."""
from __future__ import annotations

import re

import pytest

from checker.scenario import discover, load
from quizzes.schema import default_banks_dir
from quizzes.schema import discover as discover_banks
from quizzes.schema import load as load_bank
from tests.conftest import REPO

DOCS = [REPO / "README.md", REPO / "README.zh-CN.md", *sorted((REPO / "docs").glob("*.md"))]
NUMBER_WORDS = {"seven": 7, "七": 7, "eight": 8, "八": 8, "six": 6, "六": 6}


def facts() -> dict[str, int]:
    scenarios = [load(path) for path in discover()]
    banks = [load_bank(path) for path in discover_banks(default_banks_dir()).values()]
    questions = [q for bank in banks for q in bank.questions]
    variants = sum(len(s.variants) for s in scenarios)
    answers = sum(1 if q.kind in ("predict", "choice") else 1 + len(q.accept) + len(q.wrong) for q in questions)
    return {"scenarios": len(scenarios), "variants": variants, "cases": 2 * len(scenarios) + variants,
            "banks": len(banks), "questions": len(questions), "answers": answers,
            **{f"bank {bank.id}": len(bank.questions) for bank in banks}}


CLAIMS = {  # what a count in the docs is, in either language
    "scenarios": [r"(\d+) scenarios\b", r"(\d+) 个场景"],
    "cases": [r"(\d+) cases\b", r"(\d+) 个用例"],
    "variants": [r"(\d+) variants\b", r"(\d+) 个变体"],
    "questions": [r"(\d+) questions\b", r"(\d+) 道题"],
    "answers": [r"(\d+) answers\b", r"(\d+) 个答案"],
    "banks": [r"\b(\w+) (?:bilingual )?banks\b", r"(\S)个(?:中英双语)?题库"],
}


def claims(text: str, fact_names) -> list[tuple[str, str]]:
    found = []
    for name in fact_names:
        for pattern in CLAIMS[name]:
            found += [(name, match.group(1)) for match in re.finditer(pattern, text, re.IGNORECASE)]
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_count_in_the_docs_is_the_catalogues(doc):
    truth = facts()
    text = doc.read_text(encoding="utf-8")
    wrong = []
    for name, said in claims(text, CLAIMS):
        value = NUMBER_WORDS.get(said.lower(), int(said) if said.isdigit() else None)
        if value is not None and value != truth[name]:
            wrong.append(f"{said} {name} (the catalogue has {truth[name]})")
    for bank in (key.removeprefix("bank ") for key in truth if key.startswith("bank ")):
        for said in re.findall(rf"\b{bank} (\d+)(?=,| questions| 题)", text):  # "tensors 17, ..." / "tensors 17 题"
            if int(said) != truth[f"bank {bank}"]:
                wrong.append(f"{bank} {said} questions (the bank has {truth[f'bank {bank}']})")
    assert not wrong, f"{doc.name}: " + "; ".join(wrong)


def test_the_docs_state_the_counts_at_all():
    """So that the test above cannot pass by finding nothing: both READMEs state each count."""
    for readme in ("README.md", "README.zh-CN.md"):
        said = {name for name, _ in claims((REPO / readme).read_text(encoding="utf-8"), CLAIMS)}
        assert said >= {"scenarios", "cases", "variants", "questions", "answers", "banks"}, (readme, said)
