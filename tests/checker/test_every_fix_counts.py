"""Every scenario can be solved: the fix its last hint spells out (the `bug` replacements undone), applied to a copy
of the shipped buggy script, is verified and counts as solved, though its code is the solution's byte for byte."""
from __future__ import annotations

import json

import pytest

from checker.scenario import load_all
from tests.conftest import run_python

SCENARIOS = {s.id: s for s in load_all()}


def fixed_source(scenario) -> bytes:
    """The buggy script with each of the scenario's `bug` replacements undone, last first."""
    source = scenario.buggy_path.read_bytes().decode("utf-8")
    for old, new in reversed(scenario.bug):
        assert source.count(new) >= 1, (scenario.id, new)
        source = source.replace(new, old, 1) if new else None
        assert source is not None, f"{scenario.id}: a deletion cannot be undone by text alone"
    return source.encode("utf-8")


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_the_hinted_fix_of_every_scenario_counts_as_solved(scenario_id, tmp_path):
    scenario = SCENARIOS[scenario_id]
    mine = tmp_path / f"{scenario_id}.py"
    mine.write_bytes(fixed_source(scenario) if all(new for _, new in scenario.bug)
                     else scenario.solution_path.read_bytes())  # a deleted line: the fix is the solution's text
    done = run_python("-m", "checker", "verify", str(mine), "--json", cwd=tmp_path, borrow=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert json.loads(done.stdout)["counts_as_solved"] is True
    listed = run_python("-m", "checker", "list", "--json", cwd=tmp_path)
    assert {row["id"]: row["solved"] for row in json.loads(listed.stdout)}[scenario_id] is True
