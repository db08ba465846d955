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

SCENARIOS_ENV = "TORCHDRILL_SCENARIOS"  # extra scenario folders, separated by os.pathsep
KNOWN_PROBES = ("grads_zeroed", "params_owned", "train_mode", "eval_mode", "no_grad_eval", "no_graph_kept",
                "batch_independent", "resume_equivalent")
KNOWN_LINTS = ("missing_zero_grad", "batch_size_reshape", "optimizer_wrong_network")
TOP_KEYS = {"id", "model", "seed_tutorial", "max_diff_lines", "probes", "lints", "title", "summary", "explanation",
            "hints", "entry_points", "budget", "variants"}
ENTRY_KEYS = {"main", "train", "test", "model_class", "make_optimizer", "save_checkpoint", "resume"}
BUDGET_KEYS = {"overrides", "timeout_s", "memory_mb", "tolerance"}
VARIANT_KEYS = {"name", "base", "replace", "expect", "failing"}


class ScenarioError(ValueError):
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


@dataclass(frozen=True)
class Budget:
    overrides: tuple[tuple[str, object], ...]
    timeout_s: float
    memory_mb: int
    tolerance: float

    def limits(self, timeout_s: float | None = None) -> Limits:
        return Limits(timeout_s=timeout_s or self.timeout_s, memory_mb=self.memory_mb)


@dataclass(frozen=True)
class Scenario:
    id: str
    model: str
    seed_tutorial: str
    max_diff_lines: int
    probes: tuple[str, ...]
    lints: tuple[str, ...]
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
    return [load(path) for path in discover()]


def find(scenario_id: str) -> Scenario:
    for path in discover():
        if path.stem == scenario_id:
            return load(path)
    known = ", ".join(p.stem for p in discover())
    raise ScenarioError(f"unknown scenario {scenario_id!r}; known scenarios: {known}")


def solutions_dir() -> Path:
    return Path(str(resources.files("reference"))) / "solutions"


def load(path: Path) -> Scenario:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    return _parse(raw, path)


def _parse(raw: dict, path: Path) -> Scenario:
    where = lambda field: f"{path}: field {field!r}"  # noqa: E731
    _no_unknown(raw, TOP_KEYS, path, "")
    scenario_id = _required(raw, "id", str, where)
    if scenario_id != path.stem:
        raise ScenarioError(f"{where('id')}: is {scenario_id!r} but the file is {path.name}; make them the same")
    probes = tuple(_required(raw, "probes", list, where))
    for probe in probes:
        if probe not in KNOWN_PROBES:
            raise ScenarioError(f"{where('probes')}: unknown probe {probe!r}; known: {', '.join(KNOWN_PROBES)}")
    lints = tuple(raw.get("lints", []))
    for lint in lints:
        if lint not in KNOWN_LINTS:
            raise ScenarioError(f"{where('lints')}: unknown lint {lint!r}; known: {', '.join(KNOWN_LINTS)}")
    entry = _required(raw, "entry_points", dict, where)
    _no_unknown(entry, ENTRY_KEYS, path, "entry_points.")
    for key in ("main", "model_class"):
        _required(entry, key, str, lambda f: where(f"entry_points.{f}"))
    return Scenario(
        id=scenario_id, model=_required(raw, "model", str, where), seed_tutorial=str(raw.get("seed_tutorial", "")),
        max_diff_lines=int(raw.get("max_diff_lines", 0)), probes=probes, lints=lints,
        title=_text(raw, "title", where), summary=_text(raw, "summary", where),
        explanation=_text(raw, "explanation", where),
        hints=tuple(_text({"hint": h}, "hint", lambda f, i=i: where(f"hints[{i}]")) for i, h in enumerate(raw.get("hints", []))),
        entry_points=dict(entry), budget=_budget(raw.get("budget", {}), path),
        variants=tuple(_variant(v, path, i) for i, v in enumerate(raw.get("variants", []))),
        metadata_path=path, buggy_path=path.with_suffix(".py"), solution_path=_solution_path(path, scenario_id),
    )


def _solution_path(metadata: Path, scenario_id: str) -> Path:
    beside = metadata.parent / "solutions" / f"{scenario_id}.py"
    return beside if beside.is_file() else solutions_dir() / f"{scenario_id}.py"


def _no_unknown(table: dict, allowed: set, path: Path, prefix: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ScenarioError(f"{path}: unknown field '{prefix}{unknown[0]}'; allowed here: {', '.join(sorted(allowed))}."
                            " Check the spelling, or remove it.")


def _required(table: dict, key: str, kind: type, where):
    if key not in table:
        raise ScenarioError(f"{where(key)} is missing")
    if not isinstance(table[key], kind):
        raise ScenarioError(f"{where(key)} should be a {kind.__name__}, not {type(table[key]).__name__}")
    return table[key]


def _text(table: dict, key: str, where) -> Text:
    value = _required(table, key, dict, where)
    _no_unknown(value, {"en", "zh"}, Path(where(key).split(":")[0]), f"{key}.")
    for lang in ("en", "zh"):
        if not str(value.get(lang, "")).strip():
            raise ScenarioError(f"{where(key)}: the {lang!r} text is missing or empty; every text needs en and zh")
    return Text(en=value["en"], zh=value["zh"])


def _budget(raw: dict, path: Path) -> Budget:
    _no_unknown(raw, BUDGET_KEYS, path, "budget.")
    return Budget(overrides=tuple(sorted(raw.get("overrides", {}).items())), timeout_s=float(raw.get("timeout_s", 180)),
                  memory_mb=int(raw.get("memory_mb", 6144)), tolerance=float(raw.get("tolerance", 0.03)))


def _variant(raw: dict, path: Path, index: int) -> Variant:
    _no_unknown(raw, VARIANT_KEYS, path, f"variants[{index}].")
    name = raw.get("name") or f"variant {index}"
    if raw.get("base", "solution") not in ("solution", "buggy") or raw.get("expect") not in ("pass", "fail"):
        raise ScenarioError(f"{path}: variants[{index}] ({name}): base must be solution or buggy, expect pass or fail")
    replace = tuple((str(old), str(new)) for old, new in raw.get("replace", []))
    return Variant(name=name, base=raw.get("base", "solution"), replace=replace, expect=raw["expect"],
                   failing=tuple(raw.get("failing", [])))


def variant_source(scenario: Scenario, variant: Variant) -> str:
    """The variant's script: its base with each replacement applied (each `old` must occur exactly once)."""
    base = scenario.solution_path if variant.base == "solution" else scenario.buggy_path
    text = base.read_text(encoding="utf-8")
    for old, new in variant.replace:
        count = text.count(old)
        if count != 1:
            raise ScenarioError(f"{scenario.metadata_path}: variant {variant.name!r}: {old!r} occurs {count} times "
                                f"in {base.name}; it must occur exactly once")
        text = text.replace(old, new)
    return text
