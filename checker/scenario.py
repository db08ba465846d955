"""Scenario metadata: TOML beside each buggy script, parsed into frozen dataclasses; unknown keys rejected.

Scenarios are found by scanning folders for `*.toml`, never by importing the scripts.
"""
from __future__ import annotations

import os
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from checker.limits import Limits
from checker.messages import Worded
from checker.rules import BY_NAME as LINTS

SCENARIOS_ENV = "TORCHDRILL_SCENARIOS"  # extra scenario folders, separated by os.pathsep
KNOWN_PROBES = ("grads_zeroed", "params_owned", "train_mode", "eval_mode", "no_grad_eval", "no_graph_kept",
                "grad_enabled_train", "train_graph_released", "full_epochs", "train_split", "train_shuffled",
                "loss_on_logits", "scheduler_per_epoch", "batch_independent", "resume_equivalent")
KNOWN_LINTS = tuple(LINTS)
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's test visibility


class ScenarioError(Worded, ValueError):
    """Metadata that cannot be used; the message names the file and the field and says how to fix it."""


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Variant:
    name: str
    base: str  # "solution" or "buggy"
    replace: tuple[tuple[str, str], ...]
    expect: str  # "pass" or "fail"
    failing: tuple[str, ...] = ()


QUICK_BATCHES = 20  # every catalogue probe that fails does so within the first 20 batches of a pass


@dataclass(frozen=True)
class Budget:
    overrides: tuple[tuple[str, object], ...]
    timeout_s: float
    memory_mb: int
    tolerance: float
    quick_batches: int = QUICK_BATCHES  # `selftest --quick`: batches a training pass for cases expected to fail
    argv: tuple[str, ...] = ()  # the script's command-line arguments (sys.argv[1:]), for settings it parses itself

    def limits(self, timeout_s: float | None = None) -> Limits:
        return Limits(timeout_s=timeout_s or self.timeout_s, memory_mb=self.memory_mb)

    def epochs(self) -> int:
        """The epochs the budget trains: its `n_*epochs` overrides added up (n_epochs + n_resume_epochs)."""
        return sum(value for name, value in self.overrides if name.startswith("n_") and name.endswith("epochs")
                   and isinstance(value, int) and not isinstance(value, bool))


@dataclass(frozen=True)
class CustomProbe:
    """An instructor's probe: a Python file beside the metadata, run in the sandbox (see docs/authoring.md)."""

    id: str
    path: Path
    ok: Text
    fail: Text
    why: Text


@dataclass(frozen=True)
class Grading:
    """Points per check for `checker grade` (a check not named is worth `default_weight`)."""

    weights: tuple[tuple[str, float], ...] = ()
    default_weight: float = 1.0
    visibility: str = "visible"

    def weight(self, check_id: str) -> float:
        return dict(self.weights).get(check_id, self.default_weight)


@dataclass(frozen=True)
class Scenario:
    id: str
    order: int  # where `checker list` and `checker next` put it: beginner bugs first
    seed_tutorial: str
    max_diff_lines: int
    probes: tuple[str, ...]
    lints: tuple[str, ...]
    allowed_imports: frozenset[str]  # modules graded code may import beyond checker/allowlist.toml
    title: Text
    summary: Text
    explanation: Text
    hints: tuple[Text, ...]
    entry_points: dict
    budget: Budget
    variants: tuple[Variant, ...]
    metadata_path: Path
    buggy_path: Path
    solution_path: Path
    grading: Grading = Grading()
    custom_probes: tuple[CustomProbe, ...] = ()
    bug: tuple[tuple[str, str], ...] | None = None  # the solution -> buggy script replacements; None: not declared

    def check_ids(self) -> list[str]:
        """Every check a verdict on this scenario can hold, in order."""
        return ["runs", *self.probes, "accuracy"]

    def custom_probe(self, probe_id: str) -> CustomProbe | None:
        return next((p for p in self.custom_probes if p.id == probe_id), None)


def scenario_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(SCENARIOS_ENV, "").split(os.pathsep) if p]
    return [Path(str(resources.files("buggy_examples"))), *extra]


def discover() -> list[Path]:
    """Metadata files of every scenario, sorted by id."""
    found = {}
    for folder in scenario_dirs():
        for path in sorted(folder.glob("*.toml")):
            found.setdefault(path.stem, path)
    return [found[k] for k in sorted(found)]


def load_all() -> list[Scenario]:
    """Every scenario, in the catalogue's declared order (`order`, beginner bugs first), then by id."""
    return sorted((load(path) for path in discover()), key=lambda s: (s.order, s.id))


def find(scenario_id: str, lang: str = "en") -> Scenario:
    for path in discover():
        if path.stem == scenario_id:
            return load(path)
    from checker.messages import text

    known = ", ".join(p.stem for p in discover())
    raise ScenarioError(text("input", "no_such_scenario", lang, id=repr(scenario_id), known=known))


def solutions_dir() -> Path:
    return Path(str(resources.files("reference"))) / "solutions"


def load(path: Path) -> Scenario:
    """The scenario whose metadata is at `path`; ScenarioError (naming the file and the field) if it is unusable."""
    from checker.scenario_fields import parse

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    return parse(raw, path)


def variant_source(scenario: Scenario, variant: Variant) -> str:
    """The variant's script: its base with each replacement applied (each `old` must occur exactly once)."""
    base = scenario.solution_path if variant.base == "solution" else scenario.buggy_path
    return apply_replacements(base.read_text(encoding="utf-8"), variant.replace,
                              f"{scenario.metadata_path}: variant {variant.name!r}", base.name)


def apply_replacements(text: str, replace: tuple[tuple[str, str], ...], where: str, base_name: str) -> str:
    """`text` with each (old, new) applied in order; ScenarioError, naming `where`, unless each old occurs once."""
    for old, new in replace:
        count = text.count(old)
        if count != 1:
            raise ScenarioError(f"{where}: {old!r} occurs {count} times in {base_name}; it must occur exactly once")
        text = text.replace(old, new)
    return text
