"""Jobs for the worker, built from a bank's question and an answer, and the worker's reply read back as a LiveRun."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from quizzes.model import BLANK, Bank, Question


@dataclass(frozen=True)
class LiveRun:
    """What live torch said about one job."""

    status: str  # done | timeout | flood | crashed | broken (the bank's setup failed, or a bug of ours)
    passed: bool = False
    reason: str = ""  # why a check failed: a key of [reason] in messages.toml
    detail: dict = field(default_factory=dict)
    value: dict | None = None  # predict: the descriptor of the live value
    shown: str = ""
    output: str = ""
    problem: str = ""  # broken: what failed; crashed: how the process ended
    seconds: float = 0.0
    trial: int = 0  # the hidden trial that failed (0: the visible setup)
    inputs: str = ""  # that trial's hidden inputs, described
    trials: tuple = ()  # validate's proof: every trial's verdict, the visible setup first
    not_random: bool = False  # validate's proof: a `random` check saw the same value on every trial


def setup_sources(bank: Bank, question: Question) -> list[list[str]]:
    parts = [["<bank setup>", bank.setup], [f"<setup of {question.id}>", question.setup]]
    return [part for part in parts if part[1].strip()]


def make_job(bank: Bank, question: Question, mode: str, program: str, context: dict, draws: int = 0) -> dict:
    """A job the worker can run: the setup, then the program in mode predict, check or run. A check also runs on
    the question's hidden trials, each seeded afresh here, so no two gradings see the same inputs. With `draws`,
    `quiz validate`'s proof: that many hidden trials, every one of them checked and reported."""
    count = draws if draws and question.trials else question.trials
    trials = [secrets.randbits(31) for _ in range(count)] if mode == "check" else []
    return {"mode": mode, "setup": setup_sources(bank, question), "example": question.example, "program": program,
            "every_trial": bool(draws),
            "program_name": "<answer>" if mode == "check" else f"<{question.id}>",
            "check": vars(question.check) if question.check else None,
            "expression_target": question.kind == "code", "inputs": question.inputs, "trials": trials,
            "timeout_s": bank.timeout_for(question),
            "globals": context.get("globals", {}), "lang": context.get("lang", "en")}


def program_for(question: Question, answer) -> str:
    """The code to run for an answer: the student's code, the filled template, or the steps in their order."""
    if question.kind == "code":
        return answer
    if question.kind == "fill":
        return question.code.replace(BLANK, answer.strip())
    lines = []
    for line in question.code.splitlines():
        if line.strip() == BLANK:
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + question.steps[number - 1] for number in answer)
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def read_reply(reply: dict) -> LiveRun:
    """The worker's reply as a LiveRun. The report may have been written by an answer's own code, so each field
    is taken only with its own type; a reply that is not in the worker's form reads as a crash."""
    reply = reply if isinstance(reply, dict) else {}
    status, output = reply.get("status"), _text(reply.get("output"))
    seconds = reply.get("seconds") if type(reply.get("seconds")) in (int, float) else 0.0
    if status not in ("done", "timeout", "flood", "crashed"):
        return LiveRun(status="crashed", output=output, problem="its reply could not be read", seconds=seconds)
    report = reply.get("report")
    if status == "done" and not isinstance(report, dict):
        status, reply = "crashed", {"exit": "its report could not be read"}
    if status != "done":
        return LiveRun(status=status, output=output, problem=_text(reply.get("exit")), seconds=seconds)
    if report.get("phase") != "done":
        return LiveRun(status="broken", output=output, problem=_text(report.get("error", "?")), seconds=seconds)
    detail = report.get("detail")
    trial = report.get("trial")
    return LiveRun(status="done", passed=report.get("passed") is True, reason=_text(report.get("reason")),
                   detail={str(k): _text(v) for k, v in detail.items()} if isinstance(detail, dict) else {},
                   value=report.get("value") if isinstance(report.get("value"), dict) else None,
                   shown=_text(report.get("shown")), output=output, seconds=seconds,
                   trial=trial if type(trial) is int and trial >= 0 else 0, inputs=_text(report.get("inputs")),
                   trials=tuple(report.get("trials") or ()) if isinstance(report.get("trials"), list) else (),
                   not_random=report.get("not_random") is True)


def _text(value) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)
