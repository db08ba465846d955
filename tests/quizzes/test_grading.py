"""Autograding with --answers: canonical answers score 100%, known wrong answers score 0, in every bank; and
student code that hangs, crashes or floods ends its own question only."""
from __future__ import annotations

import json

import pytest

from quizzes.engine import Engine
from quizzes.schema import load
from tests.quizzes.conftest import invoke, quiz, requires_mnist, write_answers
from tests.quizzes.test_banks_schema import write_bank

BANKS = ["tensors", "autograd", "dataloader", "cnn", "training", "modules",
         pytest.param("spot_the_bug", marks=requires_mnist)]


def _first_wrong(question):
    wrong = question.wrong[0]
    return list(wrong) if isinstance(wrong, tuple) else wrong


def _as_file_value(answer):
    return list(answer) if isinstance(answer, tuple) else answer


@pytest.mark.parametrize("bank_id", BANKS)
def test_canonical_answers_score_100_and_wrong_answers_score_0(bank_id, banks, canonical_answers, worker, tmp_path):
    right = write_answers(tmp_path / "right.json", canonical_answers[bank_id])
    result = invoke("run", bank_id, "--answers", str(right), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    failed = [q for q in report["questions"] if not q["correct"]]
    assert report["percent"] == 100.0 and not failed, failed
    assert report["score"] == report["max_score"] == len(banks[bank_id].questions)
    wrong = write_answers(tmp_path / "wrong.json", {q.id: _first_wrong(q) for q in banks[bank_id].questions})
    report = json.loads(invoke("run", bank_id, "--answers", str(wrong), "--json").output)
    assert report["score"] == 0 and report["percent"] == 0.0
    for question in report["questions"]:
        assert question["correct"] is False and question["expected"], question
        assert question["status"] in ("wrong", "invalid", "error", "timeout"), question


def test_answers_file_through_a_real_subprocess_in_toml(tmp_path, banks):
    """Skipped and wrong answers report what was expected; feeding those expectations back scores 100%."""
    bank = banks["cnn"]
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('conv1_shape = "(1, 6, 28, 28)"\nuntrained_scores = ["b"]\n', encoding="utf-8")
    result = quiz("run", "cnn", "--answers", str(wrong), "--json", env={"TORCHDRILL_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"bank", "score", "max_score", "percent", "questions"}
    assert (report["bank"], report["score"], report["max_score"]) == ("cnn", 0, len(bank.questions))
    statuses = {q["id"]: q["status"] for q in report["questions"]}
    assert statuses["conv1_shape"] == "wrong" and statuses["fc1_in_features"] == "skipped"
    expected = {q["id"]: q["expected"] for q in report["questions"]}
    assert expected["conv1_shape"] == "torch.Size([1, 6, 24, 24])" and expected["fc1_in_features"] == "192"
    right = write_answers(tmp_path / "right.json", expected)
    report = json.loads(quiz("run", "cnn", "--answers", str(right), "--json").stdout)
    assert report["percent"] == 100.0
    table = quiz("run", "cnn", "--answers", str(wrong), env={"TORCHDRILL_HOME": str(tmp_path)})
    assert table.returncode == 0 and "Score: 0/" in table.stdout and "torch.Size([1, 6, 24, 24])" in table.stdout


def test_a_table_named_after_the_bank_holds_its_answers(tmp_path, canonical_answers, worker):
    both = write_answers(tmp_path / "both.json", {"cnn": canonical_answers["cnn"],
                                                  "training": canonical_answers["training"]})
    report = json.loads(invoke("run", "training", "--answers", str(both), "--json").output)
    assert report["percent"] == 100.0


HOSTILE = '''
[[questions]]
id = "make_t"
kind = "code"
prompt = { en = "Make t, a (2, 2) tensor of ones.", zh = "创建全 1 的 (2, 2) 张量 t。" }
hint = { en = "torch.ones", zh = "torch.ones" }
explanation = { en = "torch.ones(2, 2).", zh = "torch.ones(2, 2)。" }
answer = "t = torch.ones(2, 2)"
wrong = ["t = torch.zeros(2, 2)"]
check = { compare = "equal", target = "t", expected = "torch.ones(2, 2)" }
'''


@pytest.fixture(scope="module")
def hostile_engine(tmp_path_factory, worker):
    folder = tmp_path_factory.mktemp("hostile")
    text = HOSTILE.replace('id = "make_t"', 'id = "make_t"\ntimeout_s = 2')
    return Engine(load(write_bank(folder, "hostile", text)), worker)


@pytest.mark.parametrize("code, status, message", [
    ("while True:\n    pass", "timeout", "did not finish within 2 s"),
    ("import os\nos._exit(3)", "crashed", "exit code 3"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", "crashed", "SIGSEGV"),
    ("while True:\n    print('spam' * 1000)", "error", "printed more than 2 MB"),
    ("t = input()", "wrong", "EOFError"),
    ("import sys\nsys.exit(0)", "wrong", "SystemExit"),
    ("t = torch.zeros(10 ** 12)", "wrong", "RuntimeError"),
    ("t = torch.ones(2, 2", "wrong", "SyntaxError"),
    ("import subprocess\nsubprocess.Popen(['sleep', '60'])\nt = torch.ones(2, 2)", "correct", ""),
])
def test_misbehaving_answers_end_their_question_and_the_next_one_runs(hostile_engine, code, status, message):
    question = hostile_engine.bank.questions[0]
    outcome = hostile_engine.grade(question, code)
    assert outcome.status == status and message in outcome.message, outcome
    assert len(outcome.output) < 10_000  # a flood of output is capped
    assert hostile_engine.grade(question, "t = torch.ones(2, 2)").correct  # the worker carries on


def test_a_quiz_process_borrows_the_sessions_worker_and_starts_its_own_when_the_lender_is_gone(tmp_path, banks):
    """quizzes.lending: with a lender, `quiz run` imports torch in no process of its own and grades the same;
    with an address nobody answers at, it starts its own worker and still grades every answer."""
    from quizzes.lending import LEND_ENV

    answers = write_answers(tmp_path / "right.json", {"conv1_shape": "torch.Size([1, 6, 24, 24])"})
    reports = {}
    for name, address in (("lent", None), ("gone", str(tmp_path / "nobody.sock"))):
        ledger = tmp_path / f"{name}.jsonl"
        env = {"TORCHDRILL_RUN_LEDGER": str(ledger), **({LEND_ENV: address} if address else {})}
        result = quiz("run", "cnn", "--answers", str(answers), "--json", env=env)
        assert result.returncode == 0, result.stderr
        reports[name] = json.loads(result.stdout)
        events = [json.loads(line) for line in ledger.read_text().splitlines()] if ledger.exists() else []
        started = [e for e in events if e["event"] == "torch_process"]
        assert len(started) == (0 if name == "lent" else 1), events
    for report in reports.values():
        statuses = {q["id"]: q["status"] for q in report["questions"]}
        assert statuses["conv1_shape"] == "correct" and report["score"] == 1, report
