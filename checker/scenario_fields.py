"""Parsing one scenario's TOML into a Scenario. Every error names the file and the field, and says how to fix it."""
from __future__ import annotations

from pathlib import Path

from checker.scenario import (KNOWN_LINTS, KNOWN_PROBES, QUICK_BATCHES, VISIBILITIES, Budget, CustomProbe, Grading,
                              Scenario, ScenarioError, Text, Variant, solutions_dir)

TOP_KEYS = {"id", "order", "seed_tutorial", "max_diff_lines", "probes", "lints", "allowed_imports", "title", "summary",
            "explanation",
            "hints", "entry_points", "budget", "variants", "grading", "custom_probes", "bug"}
ENTRY_KEYS = {"main", "train", "test", "model_class", "make_optimizer", "save_checkpoint", "resume", "shape"}
BUDGET_KEYS = {"overrides", "timeout_s", "memory_mb", "tolerance", "quick_batches", "argv"}
VARIANT_KEYS = {"name", "base", "replace", "expect", "failing"}
GRADING_KEYS = {"weights", "default_weight", "visibility"}
CUSTOM_PROBE_KEYS = {"file", "ok", "fail", "why"}
UNORDERED = 10_000  # a scenario without `order` comes after every ordered one, by id
RETIRED_KEYS = {"model"}  # once the reference network the weights loaded into; accuracy now needs none


def parse(raw: dict, path: Path) -> Scenario:
    where = lambda field: f"{path}: field {field!r}"  # noqa: E731
    _no_unknown(raw, TOP_KEYS | RETIRED_KEYS, path, "")
    scenario_id = _required(raw, "id", str, where)
    if scenario_id != path.stem:
        raise ScenarioError(f"{where('id')}: is {scenario_id!r} but the file is {path.name}; make them the same")
    custom = tuple(_custom_probe(probe_id, table, path) for probe_id, table in
                   _required_or(raw, "custom_probes", dict, {}, where).items())
    probes = tuple(_required(raw, "probes", list, where))
    for probe in probes:
        if probe not in KNOWN_PROBES and probe not in {c.id for c in custom}:
            raise ScenarioError(f"{where('probes')}: unknown probe {probe!r}; built in: {', '.join(KNOWN_PROBES)}; "
                                "a custom probe needs a [custom_probes.ID] table")
    lints = tuple(_required_or(raw, "lints", list, [], where))
    order = _required_or(raw, "order", int, UNORDERED, where)
    allowed_imports = frozenset(_required_or(raw, "allowed_imports", list, [], where))
    if not all(isinstance(m, str) and m.replace(".", "").replace("_", "").isalnum() for m in allowed_imports):
        raise ScenarioError(f"{where('allowed_imports')}: list module names, such as [\"scipy\", \"sklearn.metrics\"]")
    for lint in lints:
        if lint not in KNOWN_LINTS:
            raise ScenarioError(f"{where('lints')}: unknown lint {lint!r}; known: {', '.join(KNOWN_LINTS)}")
    entry = _required(raw, "entry_points", dict, where)
    _no_unknown(entry, ENTRY_KEYS, path, "entry_points.")
    if entry.get("shape", "functions") not in ("functions", "script"):
        raise ScenarioError(f"{where('entry_points.shape')}: \"functions\" (main(), train() and test(), the "
                            "default) or \"script\" (the training is the script's own top-level code)")
    for key in ("model_class",) if entry.get("shape") == "script" else ("main", "model_class"):
        _required(entry, key, str, lambda f: where(f"entry_points.{f}"))
    hints = _required_or(raw, "hints", list, [], where)
    return Scenario(
        id=scenario_id, order=order, seed_tutorial=str(raw.get("seed_tutorial", "")),
        max_diff_lines=int(raw.get("max_diff_lines", 0)), probes=probes, lints=lints, allowed_imports=allowed_imports,
        title=_text(raw, "title", where), summary=_text(raw, "summary", where),
        explanation=_text(raw, "explanation", where),
        hints=tuple(_text({"hint": h}, "hint", lambda f, i=i: where(f"hints[{i}]")) for i, h in enumerate(hints)),
        entry_points=dict(entry), budget=_budget(raw.get("budget", {}), path),
        variants=tuple(_variant(v, path, i) for i, v in enumerate(raw.get("variants", []))),
        metadata_path=path, buggy_path=path.with_suffix(".py"), solution_path=_solution_path(path, scenario_id),
        grading=_grading(raw.get("grading", {}), ["runs", *probes, "accuracy"], path), custom_probes=custom,
        bug=_replacements(raw["bug"], where("bug")) if "bug" in raw else None,
    )


def _solution_path(metadata: Path, scenario_id: str) -> Path:
    beside = metadata.parent / "solutions" / f"{scenario_id}.py"
    return beside if beside.is_file() else solutions_dir() / f"{scenario_id}.py"


def _no_unknown(table: dict, allowed: set, path: Path, prefix: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        fields = ", ".join(f"'{prefix}{name}'" for name in unknown)
        raise ScenarioError(f"{path}: unknown field {fields}; allowed here: {', '.join(sorted(allowed))}."
                            " Check the spelling, or remove it.")


def _required(table: dict, key: str, kind: type, where):
    if key not in table:
        raise ScenarioError(f"{where(key)} is missing")
    return _required_or(table, key, kind, None, where)


def _required_or(table: dict, key: str, kind: type, default, where):
    value = table.get(key, default)
    if not isinstance(value, kind):
        raise ScenarioError(f"{where(key)} should be a {kind.__name__}, not {type(value).__name__}")
    return value


def _text(table: dict, key: str, where) -> Text:
    value = _required(table, key, dict, where)
    _no_unknown(value, {"en", "zh"}, Path(where(key).split(": field")[0]), f"{key}.")
    for lang in ("en", "zh"):
        if not str(value.get(lang, "")).strip():
            raise ScenarioError(f"{where(key)}: the {lang!r} text is missing or empty; every text needs en and zh")
    return Text(en=value["en"], zh=value["zh"])


def _budget(raw: dict, path: Path) -> Budget:
    _no_unknown(raw, BUDGET_KEYS, path, "budget.")
    quick = raw.get("quick_batches", QUICK_BATCHES)
    if not isinstance(quick, int) or isinstance(quick, bool) or quick < 0:
        raise ScenarioError(f"{path}: field 'budget.quick_batches' should be a whole number >= 0 "
                            "(0: `selftest --quick` always runs the whole budget)")
    argv = raw.get("argv", [])
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise ScenarioError(f"{path}: field 'budget.argv' should be a list of strings, the script's command-line "
                            'arguments (e.g. argv = ["--epochs", "1"])')
    return Budget(overrides=tuple(sorted(raw.get("overrides", {}).items())), timeout_s=float(raw.get("timeout_s", 180)),
                  memory_mb=int(raw.get("memory_mb", 6144)), tolerance=float(raw.get("tolerance", 0.03)),
                  quick_batches=quick, argv=tuple(argv))


def _variant(raw: dict, path: Path, index: int) -> Variant:
    _no_unknown(raw, VARIANT_KEYS, path, f"variants[{index}].")
    name = raw.get("name") or f"variant {index}"
    if raw.get("base", "solution") not in ("solution", "buggy") or raw.get("expect") not in ("pass", "fail"):
        raise ScenarioError(f"{path}: variants[{index}] ({name}): base must be solution or buggy, expect pass or fail")
    replace = _replacements(raw.get("replace", []), f"{path}: field 'variants[{index}].replace'")
    return Variant(name=name, base=raw.get("base", "solution"), replace=replace, expect=raw["expect"],
                   failing=tuple(raw.get("failing", [])))


def _replacements(raw, where: str) -> tuple[tuple[str, str], ...]:
    """A list of [old, new] text pairs (a variant's `replace`, the scenario's `bug`)."""
    if not isinstance(raw, list) or not all(isinstance(pair, list) and len(pair) == 2 and
                                            all(isinstance(t, str) for t in pair) for pair in raw):
        raise ScenarioError(f"{where} should be a list of [old, new] text pairs, e.g. "
                            '[["        optimizer.step()\\n", ""]]')
    return tuple((old, new) for old, new in raw)


def _grading(raw: dict, checks: list[str], path: Path) -> Grading:
    _no_unknown(raw, GRADING_KEYS, path, "grading.")
    weights = raw.get("weights", {})
    for check, weight in weights.items():
        if check not in checks:
            raise ScenarioError(f"{path}: field 'grading.weights': {check!r} is not a check of this scenario; "
                                f"its checks are {', '.join(checks)}")
        if not isinstance(weight, (int, float)) or weight < 0:
            raise ScenarioError(f"{path}: field 'grading.weights.{check}' should be a number of points >= 0")
    visibility = raw.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        raise ScenarioError(f"{path}: field 'grading.visibility': {visibility!r}; choose one of {', '.join(VISIBILITIES)}")
    return Grading(weights=tuple((k, float(v)) for k, v in weights.items()),
                   default_weight=float(raw.get("default_weight", 1.0)), visibility=visibility)


def _custom_probe(probe_id: str, raw: dict, path: Path) -> CustomProbe:
    where = lambda field: f"{path}: field 'custom_probes.{probe_id}.{field}'"  # noqa: E731
    if probe_id in KNOWN_PROBES:
        raise ScenarioError(f"{where('file')}: {probe_id!r} is a built-in probe's name; give yours another")
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: field 'custom_probes.{probe_id}' should be a table")
    _no_unknown(raw, CUSTOM_PROBE_KEYS, path, f"custom_probes.{probe_id}.")
    file = path.parent / _required(raw, "file", str, lambda f: where(f))
    if not file.is_file():
        raise ScenarioError(f"{where('file')}: {file} does not exist; put the probe's .py file beside {path.name}")
    return CustomProbe(id=probe_id, path=file, ok=_text(raw, "ok", where), fail=_text(raw, "fail", where),
                       why=_text(raw, "why", where))
