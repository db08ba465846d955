"""`quiz validate`: every bank against live torch (the CI gate), and the mistakes in a bank it must catch."""
from __future__ import annotations

import json

from tests.quizzes.conftest import invoke, quiz
from tests.quizzes.test_banks_schema import GOOD_QUESTION, write_bank


def test_every_bank_validates_against_live_torch():
    result = quiz("validate", "--json", timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["passed"] and report["questions"] >= 64 and report["seconds"] > 0
    banks = {b["bank"]: b for b in report["banks"]}
    assert set(banks) == {"tensors", "autograd", "dataloader", "cnn", "training", "spot_the_bug"}
    for bank in banks.values():
        assert all(q["passed"] and q["checked"] >= 1 for q in bank["questions"]), bank["bank"]
    checked = {q["id"]: q for q in banks["autograd"]["questions"]}
    assert checked["preds_shape"]["expected"] == "torch.Size([1, 1000])"  # computed live, not typed in the bank
    assert checked["mlp"]["checked"] == 3  # the canonical answer and both declared wrong answers were run


def test_validate_catches_answers_that_live_torch_contradicts(tmp_path, worker):
    wrong_is_right = GOOD_QUESTION.replace('wrong = ["(3, 2)"]', 'wrong = ["torch.Size([2, 3])"]')
    bad_code = GOOD_QUESTION.replace('kind = "predict"', 'kind = "code"').replace(
        'code = "torch.ones(2, 3).shape"',
        'answer = "t = torch.ones(3, 2)"\ncheck = { compare = "shape", target = "t", expected = "(2, 3)" }').replace(
        'wrong = ["(3, 2)"]', 'wrong = ["t = torch.ones(2, 3)"]').replace('"ones_shape"', '"make_ones"')
    bad_evidence = GOOD_QUESTION.replace('kind = "predict"', 'kind = "choice"').replace(
        'code = "torch.ones(2, 3).shape"',
        'options = ["zeros", "ones"]\nanswer = "a"\nevidence = "assert torch.ones(2).sum() == 0"').replace(
        'wrong = ["(3, 2)"]', 'wrong = ["b"]').replace('"ones_shape"', '"which"')
    write_bank(tmp_path, "mistaken", wrong_is_right + bad_code + bad_evidence)
    result = invoke("validate", "--banks-dir", str(tmp_path), "--json")
    assert result.exit_code == 1
    problems = {q["id"]: " ".join(q["problems"]) for q in json.loads(result.output)["banks"][0]["questions"]}
    assert "'torch.Size([2, 3])' is accepted" in problems["ones_shape"]
    assert "canonical answer" in problems["make_ones"] and "is rejected" in problems["make_ones"]
    assert "wrong answer 't = torch.ones(2, 3)' is accepted" in problems["make_ones"]
    assert "evidence does not hold" in problems["which"]
    rich = invoke("validate", "--banks-dir", str(tmp_path))
    assert rich.exit_code == 1 and "FAILED" in rich.output and "1 banks, 3 questions in" in rich.output


def test_validate_reports_a_schema_error_as_a_failure(tmp_path, worker):
    write_bank(tmp_path, "broken", GOOD_QUESTION.replace("hint =", "hnt ="))
    result = invoke("validate", "--banks-dir", str(tmp_path), "--json")
    assert result.exit_code == 1
    error = json.loads(result.output)["banks"][0]["error"]
    assert "broken.toml" in error and "question 'ones_shape'" in error and "field 'hnt'" in error
