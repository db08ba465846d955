"""`quiz validate`: every bank against live torch (the CI gate), and the mistakes in a bank it must catch."""
from __future__ import annotations

import json

from tests.quizzes.conftest import invoke, quiz
from tests.quizzes.test_banks_schema import GOOD_QUESTION, write_bank


def test_every_bank_validates_against_live_torch(banks):
    result = quiz("validate", "--json", timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["passed"] and report["questions"] >= 64 and report["seconds"] > 0
    reports = {b["bank"]: b for b in report["banks"]}
    assert set(reports) == {"tensors", "autograd", "dataloader", "cnn", "training", "spot_the_bug", "modules"}
    for bank in reports.values():
        assert all(q["passed"] and q["checked"] >= 1 for q in bank["questions"]), bank["bank"]
    checked = {q["id"]: q for q in reports["autograd"]["questions"]}
    assert checked["preds_shape"]["expected"] == "torch.Size([1, 1000])"  # computed live, not typed in the bank
    mlp = banks["autograd"].question("mlp")
    assert checked["mlp"]["checked"] == 1 + len(mlp.accept) + len(mlp.wrong)  # every declared answer was run


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


CODE_QUESTION = '''
[[questions]]
id = "square"
kind = "code"
prompt = { en = "Square a.", zh = "求 a 的平方。" }
hint = { en = "Multiply.", zh = "相乘。" }
explanation = { en = "a * a.", zh = "a * a。" }
setup = "a = torch.ones(2, 3)"
answer = "b = a * a"
wrong = [
  { answer = "b = torch.ones(2, 3)", note.en = "Ones squared are ones, by chance.", note.zh = "全 1 的平方碰巧还是全 1。" },
  "b = a + a",
]
check = { compare = "equal", target = "b", expected = "a * a" }
'''
HIDDEN = 'inputs = "a = torch.randn(rng.randint(2, 5), 3)"\n'


def test_validate_fails_a_code_question_whose_hidden_inputs_catch_no_wrong_answer(tmp_path, worker):
    write_bank(tmp_path, "square", CODE_QUESTION)
    result = invoke("validate", "--banks-dir", str(tmp_path), "--json")
    assert result.exit_code == 1
    problems = " ".join(json.loads(result.output)["banks"][0]["questions"][0]["problems"])
    assert "declared wrong answer 'b = torch.ones(2, 3)' is accepted" in problems
    assert "no declared wrong answer is caught by the hidden inputs" in problems
    write_bank(tmp_path, "square", CODE_QUESTION.replace('answer = "b = a * a"\n', HIDDEN + 'answer = "b = a * a"\n'))
    result = invoke("validate", "--banks-dir", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output


def test_a_declared_wrong_answer_shows_its_misconception_in_the_students_language(tmp_path):
    write_bank(tmp_path, "square", CODE_QUESTION.replace('answer = "b = a * a"\n', HIDDEN + 'answer = "b = a * a"\n'))
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"square": "b = torch.ones(2,3)   # looks right"}), encoding="utf-8")
    for lang, note, hidden in (("en", "Ones squared are ones, by chance.", "not on hidden input"),
                               ("zh", "全 1 的平方碰巧还是全 1。", "隐藏输入")):
        result = quiz("run", "square", "--banks-dir", str(tmp_path), "--answers", str(answers), "--json",
                      "--lang", lang, env={"TORCHDRILL_HOME": str(tmp_path)})
        graded = json.loads(result.stdout)["questions"][0]
        assert graded["note"] == note and hidden in graded["message"] and graded["hidden_trial"] == 1, graded
