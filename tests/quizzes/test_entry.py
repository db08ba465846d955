"""When a typed code answer ends: only at the student's terminator, never at a blank line inside the code. No torch."""
from __future__ import annotations

from quizzes.entry import is_terminator, names_bound, names_needed, two_empty_lines, waiting_for

PEP8_PASTE = ["from torch.nn.utils.rnn import pad_sequence", "", ""]  # the two blank lines before a def


def test_two_empty_lines_end_an_answer_only_once_it_is_complete_and_defines_what_is_asked():
    needed = names_needed("pad_collate", "import torch")
    assert needed == {"pad_collate"}
    assert two_empty_lines(PEP8_PASTE) and waiting_for(PEP8_PASTE, needed, True) == "defines"
    whole = PEP8_PASTE + ["def pad_collate(batch):", "    return batch", "", ""]
    assert waiting_for(whole, needed, True) == ""
    assert waiting_for(["x = (1,", "", ""], set(), True) == "incomplete"
    assert waiting_for(["x = 1 +", "", ""], {"x"}, True) == ""  # never parses: graded, with its SyntaxError
    assert not two_empty_lines(["import torch", ""]) and not two_empty_lines(["", ""])


def test_what_an_answer_must_define_leaves_out_what_the_setup_defines():
    assert names_needed("(images, labels)", "loader = make()") == {"images", "labels"}
    assert names_needed("model", "model = resnet18()") == set()  # changed in place: any complete code ends
    assert names_bound("a, (b, c) = f()\nimport torch.nn as nn\nfor i in x: pass\nclass K: pass") >= \
        {"a", "b", "c", "nn", "i", "K"}
    assert waiting_for(["torch.tensor(data)", "", ""], {"t"}, True) == ""  # a lone expression is bound to t
    assert waiting_for(["torch.tensor(data)", "", ""], {"t"}, False) == "defines"


def test_a_full_stop_alone_is_the_terminator_in_either_script():
    assert is_terminator(".") and is_terminator("  。 ") and not is_terminator("..") and not is_terminator("x.")
