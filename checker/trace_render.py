"""The lines `checker trace` prints after its findings: what ran, why it stopped, and what went wrong."""
from __future__ import annotations

from checker.trace import TraceResult

STOPPED = {
    "finished": ("the script finished", "脚本正常结束"),
    "budget": ("stopped at the budget (--max-steps {max_steps}): the epoch in progress was cut short, its evaluation "
               "ran, and the run ended a few steps into the training after it",
               "达到预算后停止（--max-steps {max_steps}）：当前 epoch 被提前结束，随后的评估照常运行，之后的训练进行几步后结束运行"),
    "exited": ("the script exited with an error status", "脚本以错误状态退出"),
    "crashed": ("the script stopped with an error", "脚本因错误而停止"),
    "timeout": ("the run passed its time limit (--timeout) and was stopped", "运行超出时间限制（--timeout），已被终止"),
    "killed": ("the run ended without a report (killed, out of memory, or it ended its own process)",
               "运行在没有报告的情况下结束（被终止、内存不足或脚本结束了自己的进程）"),
    "broken": ("the run's report was broken, so nothing it said is believed", "运行报告被破坏，其内容一概不予采信"),
}


def summary(result: TraceResult, lang: str) -> str:
    zh = lang == "zh"
    stopped = STOPPED[result.status][1 if zh else 0].format(max_steps=result.max_steps)
    if result.status != "budget" and result.budget_reached:
        stopped = (f"预算（--max-steps {result.max_steps}）提前结束了训练；" if zh else
                   f"the budget (--max-steps {result.max_steps}) cut the training short; ") + stopped
    if zh:
        counts = (f"{result.steps} 个优化器步、{result.backwards} 次 backward、{result.training_passes} 次训练遍历、"
                  f"{result.evaluation_passes} 次评估遍历，用时 {result.seconds:.1f} 秒")
        found = f"发现 {len(result.findings)} 个问题" if result.findings else "没有发现问题"
    else:
        counts = (f"{_n(result.steps, 'optimizer step')}, {_n(result.backwards, 'backward call')}, "
                  f"{_n(result.training_passes, 'training pass', 'es')}, "
                  f"{_n(result.evaluation_passes, 'evaluation pass', 'es')} in {result.seconds:.1f} s")
        found = _n(len(result.findings), "finding") if result.findings else "nothing found"
    lines = [f"trace：{found}；{counts}；{stopped}。" if zh else f"trace: {found}; {counts}; {stopped}."]
    if result.error:
        where = f" ({result.error_where})" if result.error_where else ""
        lines.append(f"{'错误' if zh else 'error'}{where}: {result.error}")
    if result.status in ("crashed", "exited", "killed", "timeout") and result.output:
        label = "脚本输出的最后部分" if zh else "the end of the script's output"
        lines.append(f"--- {label} ---\n" + "\n".join(result.output.rstrip().splitlines()[-15:]))
    return "\n".join(lines)


def _n(count: int, noun: str, plural: str = "s") -> str:
    return f"{count} {noun}{plural if count != 1 else ''}"
