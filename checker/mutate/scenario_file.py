"""A planted bug written as a scenario, in the format `checker new` scaffolds and docs/authoring.md describes:
ID.py (the buggy script), solutions/ID.py (the script as given) and ID.toml (texts in English and Chinese, probes,
budget, grading weights, the bug and its variants as exact-text replacements)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

GENERAL_PROBES = ("grads_zeroed", "params_owned", "train_mode", "eval_mode", "no_grad_eval")


@dataclass
class Texts:
    title: dict
    summary: dict
    explanation: dict
    hints: list[dict]


@dataclass
class ScenarioDraft:
    id: str
    solution: str
    buggy: str
    bug: list[tuple[str, str]]
    probes: list[str]
    lints: list[str]
    texts: Texts
    entry_points: dict[str, str]
    overrides: dict[str, int]
    max_diff_lines: int
    line: int  # the planted line in the buggy script, where lint finds it
    allowed_imports: list[str] = field(default_factory=list)
    variants: list[dict] = field(default_factory=list)  # name, replace, expect, failing
    source_name: str = ""  # the instructor's script, named in the header
    argv: list[str] = field(default_factory=list)  # the budget's command line, where argparse reads the epochs

    def paths(self, folder: Path) -> tuple[Path, Path, Path]:
        return folder / f"{self.id}.py", folder / "solutions" / f"{self.id}.py", folder / f"{self.id}.toml"

    def write(self, folder: Path) -> None:
        buggy, solution, metadata = self.paths(folder)
        solution.parent.mkdir(parents=True, exist_ok=True)
        buggy.write_text(self.buggy, encoding="utf-8")
        solution.write_text(self.solution, encoding="utf-8")
        metadata.write_text(self.toml(), encoding="utf-8")

    def remove(self, folder: Path) -> None:
        for path in self.paths(folder):
            path.unlink(missing_ok=True)

    def toml(self) -> str:
        out = [f"# Made by `checker mutate` from {self.source_name}: the bug planted in a copy of it, proven by "
               "selftest.",
               "# Every field is explained in docs/authoring.md; edit the texts freely, then run checker selftest.",
               f"id = {_s(self.id)}",
               "order = 100",
               'seed_tutorial = ""',
               f"max_diff_lines = {self.max_diff_lines}",
               f"probes = {_list(self.probes)}",
               f"lints = {_list(self.lints)}",
               f"allowed_imports = {_list(self.allowed_imports)}",
               f"bug = {_pairs(self.bug)}",
               ""]
        for name in ("title", "summary", "explanation"):
            out += [f"[{name}]", *_texts(getattr(self.texts, name)), ""]
        for hint in self.texts.hints:
            out += ["[[hints]]", *_texts(hint), ""]
        out += ["[entry_points]", *(f"{k} = {_s(v)}" for k, v in self.entry_points.items()), ""]
        overrides = ", ".join(f"{k} = {v}" for k, v in self.overrides.items())
        out += ["[budget]", f"overrides = {{ {overrides} }}" if overrides else "overrides = {}",
                *([f"argv = {_list(self.argv)}"] if self.argv else []),
                "timeout_s = 180", "memory_mb = 6144", "tolerance = 0.05", ""]
        out += ["[grading]", f"weights = {{ {self.probes[0]} = 4, accuracy = 3 }}", ""]
        for variant in self.variants:
            out += ["[[variants]]", f"name = {_s(variant['name'])}", 'base = "solution"',
                    f"replace = {_pairs(variant['replace'])}", f"expect = {_s(variant['expect'])}"]
            if variant.get("failing"):
                out.append(f"failing = {_list(variant['failing'])}")
            out.append("")
        return "\n".join(out)


def _s(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _list(values) -> str:
    return "[" + ", ".join(_s(v) for v in values) + "]"


def _pairs(pairs) -> str:
    if not pairs:
        return "[]"
    return "[\n" + "".join(f"    [{_s(old)}, {_s(new)}],\n" for old, new in pairs) + "]"


def _texts(text: dict) -> list[str]:
    return [f"en = {_s(text['en'])}", f"zh = {_s(text['zh'])}"]
