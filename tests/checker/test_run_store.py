"""The run store (checker/run_store.py): the same run, made again, is read back instead of made again, with the same
verdict; what did not end normally, and anything odd in the store, is run again; no child can see the store."""
from __future__ import annotations

import json
import os

from checker.run_store import STORE_ENV
from tests.conftest import REPO, run_python

SCRIPT = REPO / "buggy_examples" / "stray_break.py"  # one step an epoch: a short run


def verify(script, store, ledger, *args, borrow=True):
    """`checker verify` with a store, a ledger and a reference cache of its own (the first verify computes the
    reference). Its runs go to the lent warm worker unless `borrow` is false: what is tested is the store."""
    env = {STORE_ENV: str(store), "TORCHDRILL_RUN_LEDGER": str(ledger),
           "TORCHDRILL_REFERENCE_CACHE": str(store.parent / "reference.json")}
    result = run_python("-m", "checker", "verify", str(script), "--scenario", "stray_break", "--json", *args,
                        env=env, cwd=script.parent, borrow=borrow)
    events = [json.loads(line) for line in ledger.read_text().splitlines()] if ledger.exists() else []
    ledger.unlink(missing_ok=True)
    return result, events


def runs_made(events) -> int:
    """Runs made by the process itself, or by the lent worker for it (which records them in its own ledger)."""
    return sum(e["event"] == "run" or (e["event"] == "shared" and e["kind"].startswith("torch import"))
               for e in events)


def test_the_same_run_is_read_back_with_the_same_verdict_and_another_run_is_made(tmp_path):
    store, ledger = tmp_path / "store", tmp_path / "ledger.jsonl"
    mine = tmp_path / "stray_break.py"
    mine.write_bytes(SCRIPT.read_bytes())
    first, made = verify(mine, store, ledger)
    assert first.returncode == 1 and runs_made(made) == 2, first.stderr[-2000:]  # the reference, then the script
    again, read_back = verify(mine, store, ledger)
    assert runs_made(read_back) == 0 and [e["kind"] for e in read_back if e["event"] == "shared"] == [
        "reference", "run"]
    verdicts = [json.loads(r.stdout) for r in (first, again)]
    for verdict in verdicts:
        verdict.pop("duration_s")
    assert verdicts[0] == verdicts[1] and verdicts[0]["status"] == "not_fixed"
    mine.write_bytes(SCRIPT.read_bytes() + b"\n# a comment is another script\n")
    _, changed = verify(mine, store, ledger)
    assert runs_made(changed) == 1
    _, other_budget = verify(mine, store, ledger, "--timeout", "170")  # the limits are part of the run
    assert runs_made(other_budget) == 1


def test_a_run_that_did_not_end_normally_is_made_again_and_odd_entries_are_ignored(tmp_path):
    store, ledger = tmp_path / "store", tmp_path / "ledger.jsonl"
    crashes = tmp_path / "stray_break.py"
    crashes.write_bytes(SCRIPT.read_bytes().replace(b"n_epochs = 1", b"n_epochs = 1\nraise SystemExit(3)"))
    for reference_too in (1, 0):  # the first verify also computes the reference
        result, events = verify(crashes, store, ledger)
        assert json.loads(result.stdout)["status"] == "crashed" and runs_made(events) == 1 + reference_too
    kept = set(store.glob("*.json"))
    assert len(kept) == 1  # the reference's run: the crash was never kept
    fine = tmp_path / "fine" / "stray_break.py"
    fine.parent.mkdir()
    fine.write_bytes(SCRIPT.read_bytes())
    verify(fine, store, ledger)
    (entry,) = set(store.glob("*.json")) - kept
    for odd in ("not json", "a fifo", "a link"):
        entry.unlink()
        if odd == "not json":
            entry.write_text("{")
        elif odd == "a fifo":
            os.mkfifo(entry)
        else:
            (tmp_path / "elsewhere.json").write_text("{}")
            entry.symlink_to(tmp_path / "elsewhere.json")
        result, events = verify(fine, store, ledger)
        assert json.loads(result.stdout)["status"] == "not_fixed" and runs_made(events) == 1, odd


def test_no_child_sees_the_store(tmp_path):
    store, ledger = tmp_path / "store", tmp_path / "ledger.jsonl"
    store.mkdir()
    (store / "planted.json").write_text("{}")
    peeks = tmp_path / "stray_break.py"
    peeks.write_bytes(SCRIPT.read_bytes().replace(
        b"n_epochs = 1", f"n_epochs = 1\nimport os\nprint(os.listdir({str(store)!r}))".encode()))
    result, _ = verify(peeks, store, ledger, borrow=False)  # verify's own child, as a learner's would be
    verdict = json.loads(result.stdout)
    assert verdict["status"] == "crashed" and "planted.json" not in result.stdout, result.stdout[-2000:]
    assert "FileNotFoundError" in verdict["traceback"] or "PermissionError" in verdict["traceback"]


def test_a_command_that_remembers_makes_each_run_once(monkeypatch):
    """checker.run_store.remembering (`checker selftest`, for the solution run several scenarios share): the same
    run asked for by two threads at once is made once and both get it; outside it, nothing is remembered."""
    import threading

    from checker import run_store, sandbox
    from checker.scenario import find
    from checker.verify import run_script
    from checker.workers import WarmWorker

    monkeypatch.delenv(STORE_ENV, raising=False)
    made, real = [], sandbox._stored_or_made
    monkeypatch.setattr(sandbox, "_stored_or_made", lambda *args: made.append(args) or real(*args))
    scenario = find("stray_break")

    def run(worker):
        return run_script(scenario, "stray_break.py", SCRIPT.read_bytes(), list(scenario.probes), "cpu", "subset",
                          None, None, launcher=worker)

    got = []
    with WarmWorker(threads=1) as worker:
        with run_store.remembering():
            threads = [threading.Thread(target=lambda: got.append(run(worker))) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert len(made) == 1 and len(got) == 2 and got[0] is got[1] and got[0].first("done") is not None
        run(worker)
    assert len(made) == 2  # made again: outside, nothing is remembered


def test_a_lender_in_the_same_process_serves_a_remembered_run_without_waiting_on_it(monkeypatch):
    """The test session lends its warm worker from this very process: while a command here remembers, the
    lender's serving thread makes the run the borrowing thread is waiting for, and must not wait on that thread's
    own lock (before: it did, until the borrower gave up after its timeout, minutes later)."""
    import threading

    from checker import run_store
    from checker.lending import RUNS_ENV
    from checker.scenario import find
    from checker.verify import run_script
    from tests.conftest import lent_worker_env

    monkeypatch.delenv(STORE_ENV, raising=False)
    monkeypatch.setenv(RUNS_ENV, lent_worker_env()[RUNS_ENV])
    scenario = find("stray_break")
    got = []

    def borrow():
        with run_store.remembering():
            got.append(run_script(scenario, "stray_break.py", SCRIPT.read_bytes(), list(scenario.probes), "cpu",
                                  "subset", None, None))

    borrower = threading.Thread(target=borrow, daemon=True)
    borrower.start()
    borrower.join(timeout=90)
    assert not borrower.is_alive() and got and got[0].first("done") is not None
