"""No right answer turned away, no wrong one let in, and a wrong answer told why (issue 19), through the real CLI:
`quiz run BANK --answers FILE --json` in a subprocess, and `quiz validate` over many draws of hidden inputs."""
from __future__ import annotations

import json
import re

from tests.quizzes.conftest import quiz, write_answers
from tests.quizzes.test_banks_schema import write_bank
from tests.quizzes.test_learner_loop import grade_in_rounds
from tests.quizzes.test_validate import CODE_QUESTION

EVAL_THEN_FORWARD = "model.eval()\npreds = model(data)"
CHECKPOINT_WITH_MODEL = "torch.save({'model': model, 'optimizer': optimizer.state_dict()}, PATH)"
NARROW_HEAD = "model.requires_grad_(False)\nmodel.fc = nn.Linear(512, num_classes)"


def graded(tmp_path, bank_id: str, answers: dict, lang: str = "en") -> dict:
    path = write_answers(tmp_path / f"{bank_id}-{lang}.json", answers)
    result = quiz("run", bank_id, "--answers", str(path), "--json", "--lang", lang,
                  env={"TORCHDRILL_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    return {q["id"]: q for q in json.loads(result.stdout)["questions"]}


def test_calling_forward_on_the_instance_is_as_right_as_calling_the_instance(tmp_path):
    report = graded(tmp_path, "autograd", {"mlp_try_it": "net = Net()\nout = net.forward(torch.rand(1, 1, SIZE, SIZE))",
                                           "forward_pass": "preds = model.forward(data)"})
    assert report["mlp_try_it"]["correct"] and report["forward_pass"]["correct"], report


def test_a_wrong_answer_is_told_the_real_reason_in_the_students_language(tmp_path):
    autograd = {"en": graded(tmp_path, "autograd", {"forward_pass": EVAL_THEN_FORWARD}),
                "zh": graded(tmp_path, "autograd", {"forward_pass": EVAL_THEN_FORWARD}, "zh")}
    english, chinese = autograd["en"]["forward_pass"], autograd["zh"]["forward_pass"]
    assert "BatchNorm" in english["message"] and "eval" in english["note"]
    assert "BatchNorm" in chinese["message"] and "评估模式" in chinese["message"] and "BatchNorm" in chinese["note"]
    modules = graded(tmp_path, "modules", {"freeze_new_head": NARROW_HEAD, "count_trainable": "11,181,642"})
    hidden = modules["freeze_new_head"]["message"]
    assert "not on hidden input" in hidden and re.search(r"model: Sequential\(conv, .*fc\), fc = Linear\(", hidden)
    assert "in_features=512" not in hidden  # the hidden network as drawn, not after the answer replaced its head
    assert modules["count_trainable"]["note"] == "That counts every parameter, frozen ones included."
    training = graded(tmp_path, "training", {"save_checkpoint": CHECKPOINT_WITH_MODEL})["save_checkpoint"]
    assert "weights_only=True" in training["message"] and "Pickl" not in training["message"] and training["note"]


def test_a_batch_not_taken_from_the_loader_is_told_so(tmp_path):
    cases = [("first_batch", "images, labels = ds[:batch_size]"), ("first_batch", "images, labels = list(loader)[0]")]
    sliced, listed = grade_in_rounds(tmp_path, "modules", cases)
    assert "did not come from loader" in sliced["message"] and "shuffle" in sliced["note"]
    assert "whole epoch" in listed["message"] and sliced.get("hidden_trial") is None


def test_the_wrong_answers_that_were_let_through_by_chance_are_declared_so_validate_proves_them(banks):
    """Each of these was accepted 1 time in 10 to 50: validate now runs every declared wrong answer on many draws."""
    declared = [("modules", "head_lr_groups", '"lr": base_lr * 10'), ("tensors", "from_list", "LongTensor(data)"),
                ("tensors", "from_list", "dtype=torch.int64"), ("tensors", "stack_new_first", ").float()")]
    for bank_id, question_id, fragment in declared:
        assert any(fragment in wrong for wrong in banks[bank_id].question(question_id).wrong), (question_id, fragment)


FLAKY = """
example = "_from_the_example = 1"
inputs = '''
assert "_from_the_example" not in globals()
a = torch.ones(2, 3) if rng.random() < 0.5 else torch.randn(rng.randint(1, 4), 3)
'''
"""


def test_validate_fails_a_wrong_answer_that_some_draw_lets_through(tmp_path):
    """Half the draws keep the example's ones, so `b = torch.ones(2, 3)` passes them: one grading in eight let it
    through before; validate's 30 draws find it (and the example's code never runs in a hidden draw)."""
    write_bank(tmp_path, "flaky", CODE_QUESTION.replace("answer =", FLAKY + "answer =", 1))
    result = quiz("validate", "--banks-dir", str(tmp_path), "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    problems = " ".join(json.loads(result.stdout)["banks"][0]["questions"][0]["problems"])
    assert re.search(r"'b = torch.ones\(2, 3\)' is accepted on \d+ of 30 hidden draws", problems), problems
    never_ones = FLAKY.replace("rng.random() < 0.5", "False")
    write_bank(tmp_path, "flaky", CODE_QUESTION.replace("answer =", never_ones + "answer =", 1))
    fixed = quiz("validate", "--banks-dir", str(tmp_path), "--draws", "50", "--json")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
