"""The shipped banks against the issue's minimum sizes, and bank files with schema errors: each error names the
file, the question and the field. No torch here."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from quizzes.model import BLANK
from quizzes.schema import BankError, load
from tests.quizzes.conftest import MINIMUM_SIZES, quiz

GOOD_QUESTION = '''
[[questions]]
id = "ones_shape"
kind = "predict"
prompt = { en = "Shape?", zh = "形状？" }
hint = { en = "Count.", zh = "数一数。" }
explanation = { en = "Two by three.", zh = "二乘三。" }
code = "torch.ones(2, 3).shape"
wrong = ["(3, 2)"]
'''
BANK_HEAD = '''
id = "{bank_id}"
title = {{ en = "Tiny", zh = "小" }}
summary = {{ en = "A tiny bank.", zh = "一个小题库。" }}
setup = "import torch"
'''


def write_bank(folder: Path, bank_id: str, questions: str) -> Path:
    path = folder / f"{bank_id}.toml"
    path.write_text(BANK_HEAD.format(bank_id=bank_id) + textwrap.dedent(questions), encoding="utf-8")
    return path


def test_every_bank_meets_its_minimum_size(banks):
    assert set(banks) == set(MINIMUM_SIZES)
    for bank_id, minimum in MINIMUM_SIZES.items():
        assert len(banks[bank_id].questions) >= minimum, bank_id
    assert sum(len(b.questions) for b in banks.values()) >= 64


def test_every_text_is_bilingual_and_every_kind_is_used(banks):
    kinds = set()
    for bank in banks.values():
        for question in bank.questions:
            kinds.add(question.kind)
            for text in (question.prompt, question.hint, question.explanation):
                assert text.en.strip() and text.zh.strip()
                assert any("\u4e00" <= ch <= "\u9fff" for ch in text.zh), (bank.id, question.id)
            assert question.wrong, (bank.id, question.id)
    assert kinds == {"choice", "predict", "code", "fill", "order"}


def test_the_banks_cover_the_issue(banks):
    autograd = {q.id for q in banks["autograd"].questions}
    assert {"preds_shape", "grad_before_backward", "loss_grad_fn", "second_backward", "zero_grad_leaves",
            "sub_not_in_place", "mlp", "lenet", "lenet_pool_module", "widen_conv1"} <= autograd
    assert "resnet18(weights=None)" in banks["autograd"].setup
    spot = {q.id for q in banks["spot_the_bug"].questions}
    assert {"swapped_splits", "no_shuffle", "missing_zero_grad", "running_loss", "stray_break",
            "eval_without_no_grad"} <= spot
    assert banks["spot_the_bug"].needs == ("mnist",)


@pytest.mark.parametrize("question, field", [
    (GOOD_QUESTION.replace('wrong = ["(3, 2)"]', 'wrong = ["(3, 2)"]\nanswr = "x"'), "answr"),
    (GOOD_QUESTION.replace('zh = "数一数。"', 'zh = ""'), "hint"),
    (GOOD_QUESTION.replace('kind = "predict"', 'kind = "essay"'), "kind"),
    (GOOD_QUESTION.replace('code = "torch.ones(2, 3).shape"', 'code = "x = 1"'), "code"),
    (GOOD_QUESTION.replace('wrong = ["(3, 2)"]', 'wrong = []'), "wrong"),
    (GOOD_QUESTION.replace('wrong = ["(3, 2)"]', 'wrong = ["(3, 2)"]\nanswer = "x"'), "answer"),
])
def test_schema_errors_name_the_file_the_question_and_the_field(tmp_path, question, field):
    path = write_bank(tmp_path, "tiny", question)
    with pytest.raises(BankError) as error:
        load(path)
    message = str(error.value)
    assert "tiny.toml" in message and "question 'ones_shape'" in message and f"field '{field}'" in message


def test_kind_specific_schema_errors(tmp_path):
    fill = GOOD_QUESTION.replace('kind = "predict"', 'kind = "fill"').replace(
        'code = "torch.ones(2, 3).shape"', 'code = "x = 1"\nanswer = "1"\ncheck = { compare = "equal", '
        'target = "x", expected = "1" }')
    with pytest.raises(BankError, match=f"field 'code'.*{BLANK}"):
        load(write_bank(tmp_path, "fill_bank", fill))
    choice = GOOD_QUESTION.replace('kind = "predict"', 'kind = "choice"').replace(
        'code = "torch.ones(2, 3).shape"', 'options = ["x", "y"]\nanswer = "c"\nevidence = "pass"').replace(
        'wrong = ["(3, 2)"]', 'wrong = ["a"]')
    with pytest.raises(BankError, match="field 'answer'.*options are a, b"):
        load(write_bank(tmp_path, "choice_bank", choice))
    bad_check = fill.replace("x = 1", f"x = {BLANK}").replace('compare = "equal"', 'compare = "same"')
    with pytest.raises(BankError, match="field 'check.compare'.*equal, allclose"):
        load(write_bank(tmp_path, "check_bank", bad_check))


def test_bank_id_must_match_the_file_and_toml_must_parse(tmp_path):
    path = write_bank(tmp_path, "named", GOOD_QUESTION)
    path.rename(tmp_path / "renamed.toml")
    with pytest.raises(BankError, match="field 'id'.*renamed.toml"):
        load(tmp_path / "renamed.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("id = \n", encoding="utf-8")
    with pytest.raises(BankError, match="not valid TOML"):
        load(broken)


def test_cli_reports_a_schema_error_with_exit_2_and_no_traceback(tmp_path):
    write_bank(tmp_path, "tiny", GOOD_QUESTION.replace('wrong = ["(3, 2)"]', 'wrong = ["(3, 2)"]\nanswr = "x"'))
    for args in (["run", "tiny"], ["show", "tiny", "ones_shape"], ["list"]):
        result = quiz(*args, "--banks-dir", str(tmp_path))
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "tiny.toml" in result.stderr and "question 'ones_shape'" in result.stderr
        assert "field 'answr'" in result.stderr and "Traceback" not in result.stderr + result.stdout
    env_result = quiz("run", "tiny", env={"TORCHDRILL_QUIZ_BANKS": str(tmp_path)})
    assert env_result.returncode == 2 and "field 'answr'" in env_result.stderr
