"""`checker new`: scaffold a scenario (buggy script, solution, commented metadata) from a correct script."""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from checker.messages import text
from checker.scenario import SCENARIOS_ENV, discover
from checker.verdict import InputError

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,40}")


@dataclass(frozen=True)
class Scaffold:
    buggy: Path
    solution: Path
    metadata: Path
    missing: tuple[tuple[str, str], ...]  # (script, function): an entry point the starting script lacks


def default_folder() -> Path:
    """The first folder of $TORCHDRILL_SCENARIOS, else ./buggy_examples if there is one, else ./scenarios."""
    extra = [p for p in os.environ.get(SCENARIOS_ENV, "").split(os.pathsep) if p]
    if extra:
        return Path(extra[0])
    return Path("buggy_examples") if Path("buggy_examples").is_dir() else Path("scenarios")


def scaffold(scenario_id: str, folder: Path, from_solution: Path | None = None, force: bool = False,
             lang: str = "en") -> Scaffold:
    if not ID_PATTERN.fullmatch(scenario_id):
        raise InputError(text("new", "bad_id", lang, id=repr(scenario_id)))
    if any(p.stem == scenario_id for p in discover()) and not force:
        raise InputError(text("new", "id_taken", lang, id=repr(scenario_id)))
    buggy, solution, metadata = (folder / f"{scenario_id}.py", folder / "solutions" / f"{scenario_id}.py",
                                 folder / f"{scenario_id}.toml")
    existing = [str(p) for p in (buggy, solution, metadata) if p.exists()]
    if existing and not force:
        raise InputError(text("new", "exists", lang, paths=", ".join(existing)))
    source, model_class, missing = _starting_script(from_solution, lang)
    source = (source.replace("@TITLE@", f"Scenario {scenario_id}: a correct training script to put one bug into.")
              .replace("@SCRIPT@", _relative(buggy)).replace("@ID@", scenario_id))
    toml = _template("scenario.toml.txt").replace("@ID@", scenario_id).replace("@MODEL_CLASS@", model_class)
    for path, content in ((buggy, source), (solution, source), (metadata, toml)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return Scaffold(buggy, solution, metadata, tuple(missing))


def _starting_script(from_solution: Path | None, lang: str = "en") -> tuple[str, str, list[tuple[str, str]]]:
    """The script to start from, the name of its network class, and the entry points it lacks."""
    if from_solution is None:
        return _template("script.py.txt"), "Net", []
    try:
        source = from_solution.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(from_solution))
    except OSError as error:
        raise InputError(text("new", "unreadable", lang, path=from_solution, detail=error.strerror)) from None
    except (UnicodeDecodeError, SyntaxError, ValueError) as error:
        raise InputError(text("new", "not_python", lang, path=from_solution,
                              detail=f"{type(error).__name__}: {error}")) from None
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)
               and any(ast.unparse(b).endswith("Module") for b in n.bases)]
    if not classes:
        raise InputError(text("new", "no_module_class", lang, path=from_solution))
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    missing = [(from_solution.name, name) for name in ("main", "train", "test") if name not in functions]
    return source, classes[0], missing


def _template(name: str) -> str:
    return (resources.files("checker") / "templates" / name).read_text(encoding="utf-8")


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
