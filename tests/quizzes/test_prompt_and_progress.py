"""The interactive prompt and saved progress through the real CLI (issue 19): a code answer ends only where the
student ends it, whatever blank lines it holds; a prediction written as people write it is graded, not asked again;
a resumed run that completes the bank counts as a run; and what an answers file prints is in the student's
language."""
from __future__ import annotations

import json
import re

from tests.quizzes.conftest import quiz, write_answers
from tests.quizzes.test_learner_loop import ENGLISH_PROSE, progress_file, run, saved, seed_progress

PAD_COLLATE = ["from torch.nn.utils.rnn import pad_sequence", "",  # one blank line at top level: not the end
               "def pad_collate(batch):", "    sequences, labels = zip(*batch)",
               "    return pad_sequence(sequences, batch_first=True), torch.tensor(labels)", "."]
HEAD_GROUPS = ['body = [p for name, p in model.named_parameters() if not name.startswith("fc.")]', "",
               "optimizer = torch.optim.SGD([", '    {"params": body},', "",
               '    {"params": model.fc.parameters(), "lr": head_lr},', "], lr=base_lr, momentum=0.9)", "", ""]
LENET = ["import torch", "import torch.nn as nn", "", "",  # PEP 8's two blank lines before a class: not the end
         "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()",
         "        self.conv1 = nn.Conv2d(1, 6, 5)", "        self.conv2 = nn.Conv2d(6, 16, 5)",
         "        self.fc1 = nn.Linear(16 * 5 * 5, 120)", "        self.fc2 = nn.Linear(120, 84)",
         "        self.fc3 = nn.Linear(84, 10)", "",
         "    def forward(self, x):", "        x = F.max_pool2d(F.relu(self.conv1(x)), 2)",
         "        x = F.max_pool2d(F.relu(self.conv2(x)), 2)", "        x = torch.flatten(x, 1)",
         "        x = F.relu(self.fc1(x))", "        x = F.relu(self.fc2(x))", "        return self.fc3(x)", "", ""]


def flat(output: str) -> str:
    """Terminal output as one line: the panel's borders and its wrapping taken out."""
    return re.sub(r"[\s│]+", " ", output)


def only_pending(banks, home, bank_id: str, question_id: str) -> None:
    seed_progress(home, bank_id, solved=[q.id for q in banks[bank_id].questions if q.id != question_id])


def test_blank_lines_inside_an_answer_never_end_it_and_nothing_spills_into_the_next_question(banks, tmp_path):
    for bank_id, question_id, typed in (("dataloader", "collate_fn", PAD_COLLATE),
                                        ("modules", "head_lr_groups", HEAD_GROUPS)):
        home = tmp_path / bank_id
        only_pending(banks, home, bank_id, question_id)
        result = run(home, "run", bank_id, typed=typed + ["quit"])
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        assert "Score: 1/1" in result.stdout and "Did you mean" not in result.stdout, result.stdout[-3000:]
        assert "End the answer with a line holding just . (or with two empty lines)" in flat(result.stdout)
        assert saved(home, bank_id)["questions"][question_id]["solved"]


def test_a_pasted_file_with_pep8_blank_lines_is_read_whole_and_the_prompt_says_how_to_end_in_chinese(banks, tmp_path):
    only_pending(banks, tmp_path, "autograd", "lenet")
    result = quiz("run", "autograd", "--lang", "zh", input="\n".join(LENET + ["quit"]) + "\n",
                  env={"TORCHDRILL_HOME": str(tmp_path), "COLUMNS": "200"}, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "用只有一个 . 的一行结束答案" in flat(result.stdout) and "继续读取：答案还没有定义 Net" in flat(result.stdout)
    assert "得分：1/1" in result.stdout and saved(tmp_path, "autograd")["questions"]["lenet"]["solved"]


def test_predictions_typed_as_people_write_them_are_graded_at_the_prompt_not_asked_again(banks, tmp_path):
    pending = ("count_trainable", "detach_flags", "bn_running_mean")
    seed_progress(tmp_path, "modules", solved=[q.id for q in banks["modules"].questions if q.id not in pending])
    result = run(tmp_path, "run", "modules", typed=["5130 个", "[True, False, MulBackward0]", "torch.ones(3)"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "Score: 2/3" in result.stdout and "cannot be read" not in result.stdout, result.stdout[-3000:]
    questions = saved(tmp_path, "modules")["questions"]
    assert questions["count_trainable"]["solved"] and questions["bn_running_mean"]["solved"]
    assert questions["detach_flags"]["last"] == "wrong"


def test_a_resumed_run_that_completes_the_bank_counts_as_its_best_run(banks, tmp_path):
    ids = [q.id for q in banks["tensors"].questions]
    earlier = {"score": 2, "asked": len(ids), "max_score": len(ids), "finished": True, "at": "2026-11-01T10:00:00"}
    seed_progress(tmp_path, "tensors", solved=[i for i in ids if i not in ("rand_device", "rand_dtype")],
                  best_run=earlier)
    result = run(tmp_path, "run", "tensors", typed=["cpu", "torch.float32"])
    assert result.returncode == 0 and "Score: 2/2" in result.stdout, result.stdout[-2000:] + result.stderr
    best = saved(tmp_path, "tensors")["best_run"]
    assert (best["score"], best["max_score"], best["resumed"]) == (len(ids), len(ids), True)
    listing = quiz("list", env={"TORCHDRILL_HOME": str(tmp_path), "COLUMNS": "140"})
    row = next(line for line in listing.stdout.splitlines() if line.lstrip("│ ").startswith("tensors"))
    assert row.count(f"{len(ids)}/{len(ids)}") == 2, listing.stdout  # solved, and the best run, agree


CHINESE_LABELS = re.compile(r"异常：.*|（[^（）]*）|\([^()]*\)")  # torch's own error text, and what a value shows


def test_an_answers_file_graded_under_lang_zh_reads_in_chinese(banks, tmp_path):
    wrong = {q.id: list(q.wrong[0]) if isinstance(q.wrong[0], tuple) else q.wrong[0]
             for q in banks["modules"].questions}
    table = quiz("run", "modules", "--answers", str(write_answers(tmp_path / "w.json", wrong)), "--lang", "zh",
                 env={"TORCHDRILL_HOME": str(tmp_path), "COLUMNS": "120"})
    assert table.returncode == 0, table.stderr
    assert "题目" in table.stdout and "正确答案" in table.stdout and "expected" not in table.stdout
    report = json.loads(quiz("run", "modules", "--answers", str(tmp_path / "w.json"), "--json", "--lang", "zh",
                             env={"TORCHDRILL_HOME": str(tmp_path)}).stdout)
    english = [f"{q['id']}: {q[field]}" for q in report["questions"] for field in ("message", "note")
               if ENGLISH_PROSE.search(CHINESE_LABELS.sub("", q.get(field, "")))]
    assert not english, "\n".join(english)
    unknown = quiz("run", "modules", "--answers", str(write_answers(tmp_path / "u.json", {"nope": "1"})),
                   "--lang", "zh")
    assert unknown.returncode == 2 and "'nope' 不是题库 'modules' 中的题目" in unknown.stderr, unknown.stderr
    assert progress_file(tmp_path).exists()
    (tmp_path / "banks").mkdir()
    (tmp_path / "banks" / "broken.toml").write_text('id = "broken"\n', encoding="utf-8")
    listing = quiz("list", "--banks-dir", str(tmp_path / "banks"), "--lang", "zh", env={"COLUMNS": "120"})
    assert "题库格式错误" in listing.stdout and "schema error" not in listing.stdout, listing.stdout


def test_a_chinese_title_folds_on_a_narrow_terminal_and_is_never_cut(banks):
    """Rich wraps at spaces, and a Chinese title has none: the column folds it instead of cutting it short."""
    import io

    from rich.console import Console

    from quizzes.render import bank_table

    rows = [{"id": bank_id, "title": bank.title.get("zh"), "solved": 0, "questions": len(bank.questions)}
            for bank_id, bank in banks.items()]
    out = io.StringIO()
    Console(file=out, width=60, force_terminal=False).print(bank_table(rows, "zh"))
    cells = [line.split("│")[2] for line in out.getvalue().splitlines() if line.count("│") > 2]
    titles = "".join("".join(cells).split())  # the title column's lines, run together
    assert "…" not in titles
    for row in rows:
        assert "".join(row["title"].split()) in titles, row["title"]
