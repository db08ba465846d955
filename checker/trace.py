"""`checker trace`: run a user's own script, unmodified, in the sandbox under the trace probes, for a bounded
budget, and turn what the probes saw into findings with the line of each cause.

The script runs from a working folder in the sandbox that mirrors its own folder (every entry shown read-only:
bound by bubblewrap, or a link for the process sandbox), so it imports its sibling modules and reads its data as
usual, and what it writes stays in the sandbox. Nothing else of the user's is shown: not the folder's parent nor
its other children, except a `data` folder beside the script's folder (the public examples' `../data`) and the
folders named with --data. Nothing on the host changes: no mode, owner, time or byte of the user's files.
A notebook runs as its code cells in order; its findings point at cells.
"""
from __future__ import annotations

import ast
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from checker import rules
from checker.verdict import InputError

MAX_ENTRIES = 2_000  # a script's folder with more entries than this is not mirrored
SIBLING_DATA = "data"  # the one folder beside the script's folder that is shown too, as `../data`
SEVERITY = {"TD201": "error", "TD202": "warning", "TD203": "error"}


@dataclass(frozen=True)
class TraceFinding:
    path: str
    line: int | None
    code: str
    kind: str
    severity: str
    message: str
    cell: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TraceResult:
    script: str
    status: str  # finished | budget | exited | crashed | timeout | killed | broken
    findings: list[TraceFinding] = field(default_factory=list)
    steps: int = 0
    backwards: int = 0
    training_passes: int = 0
    evaluation_passes: int = 0
    budget_reached: bool = False
    max_steps: int = 0
    seconds: float = 0.0
    wall_s: float = 0.0
    error: str = ""
    error_where: str = ""
    output: str = ""
    isolation: str = ""
    curves: dict | None = None  # {"student": the loss per step, "signature"}: a picture, not a finding

    @property
    def clean(self) -> bool:
        return not self.findings and self.status in ("finished", "budget")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["findings"] = [f.to_dict() for f in self.findings]
        return data


@dataclass(frozen=True)
class Prepared:
    sandbox: Path
    work: Path
    script: Path  # the script the child runs, inside work/
    script_dir: Path
    shown: str  # the path as the user gave it
    cells: list  # for a notebook: line -> (cell, line in cell)
    spec: dict


def trace(path: Path, argv: list[str] = (), max_steps: int = 200, timeout_s: float = 600.0,
          memory_mb: int = 16_384, max_eval_batches: int = 50, data_dirs: list[Path] = (),
          lang: str = "en", launcher=None) -> TraceResult:
    """Trace one script. InputError for problems with the input; anything the script does is a result."""
    from checker.child.wire import TRACE_KINDS
    from checker.limits import Limits
    from checker.sandbox import FRESH_PROCESS, _remove, _spawn_and_wait

    if max_steps < 1:
        raise InputError.keyed("max_steps")
    from checker import isolation

    launcher = launcher or FRESH_PROCESS
    limits = Limits(timeout_s=timeout_s, memory_mb=memory_mb, sandbox_mb=2048)
    prepared = prepare(Path(path), list(argv), max_steps, max_eval_batches, [Path(d) for d in data_dirs], limits,
                       bound=launcher.isolation == isolation.BUBBLEWRAP)
    try:
        run = _spawn_and_wait(prepared.sandbox, prepared.spec, limits, launcher, kinds=TRACE_KINDS,
                              repeatable=frozenset({"finding"}), what=_run_key(prepared, argv))
    finally:
        _remove(prepared.sandbox)
    return _result(run, prepared, max_steps, lang)


def trace_many(paths: list[Path], argv: list[str] = (), max_steps: int = 200, timeout_s: float = 600.0,
               memory_mb: int = 16_384, max_eval_batches: int = 50, lang: str = "en") -> list[TraceResult]:
    """Trace several scripts, each as `trace` traces it, in the order given. Behind bubblewrap, the Python scripts
    of one folder share a warm worker (checker.trace_worker): torch is imported once per folder, not per script,
    and each script still starts clean. Anything else, or a worker that is lost, gets a fresh child."""
    from checker import isolation

    results: dict[int, TraceResult] = {}
    folders: dict[Path, list[int]] = {}
    for index, path in enumerate(paths):
        if Path(path).suffix == ".py" and Path(path).is_file():
            folders.setdefault(Path(path).resolve().parent, []).append(index)
    warm = isolation.mode() == isolation.BUBBLEWRAP
    for indices in folders.values():
        if warm and len(indices) > 1:
            results.update(_trace_on_a_worker([(i, Path(paths[i])) for i in indices], list(argv), max_steps,
                                              timeout_s, memory_mb, max_eval_batches, lang))
    for index, path in enumerate(paths):
        if index not in results:
            results[index] = trace(Path(path), argv, max_steps, timeout_s, memory_mb, max_eval_batches, lang=lang)
    return [results[index] for index in range(len(paths))]


def _run_key(prepared: Prepared, argv: list[str]) -> str:
    """The trace's key in the run ledger: the script as the child reads it, its arguments and budgets."""
    from checker import ledger

    if not ledger.recording():
        return ""
    try:
        source = prepared.script.read_bytes()
    except OSError:
        source = b""
    return ledger.run_key(source, prepared.script.name, list(argv), prepared.spec.get("max_steps"),
                          prepared.spec.get("max_eval_batches"))[:16]


def _trace_on_a_worker(scripts: list[tuple[int, Path]], argv: list[str], max_steps: int, timeout_s: float,
                       memory_mb: int, max_eval_batches: int, lang: str) -> dict[int, TraceResult]:
    """The traces of one folder's scripts on one warm worker; those it could not run are left out."""
    from dataclasses import replace

    from checker.child.wire import TRACE_KINDS
    from checker.limits import Limits
    from checker.sandbox import WorkerLost, _remove, _spawn_and_wait
    from checker.trace_worker import TraceWorker
    from checker.workers import WorkerError

    limits = Limits(timeout_s=timeout_s, memory_mb=memory_mb, sandbox_mb=2048)
    first = prepare(scripts[0][1], argv, max_steps, max_eval_batches, [], limits)
    results: dict[int, TraceResult] = {}
    try:
        worker = TraceWorker(first, limits)
    except (WorkerError, OSError):
        _remove(first.sandbox)
        return results
    try:
        for index, path in scripts:
            script = first.work / path.name
            prepared = replace(first, script=script, shown=str(path), spec={**first.spec, "script": str(script)})
            if not worker.alive():
                break
            try:
                run = _spawn_and_wait(first.sandbox, prepared.spec, limits, worker, kinds=TRACE_KINDS,
                                      repeatable=frozenset({"finding"}), what=_run_key(prepared, argv))
            except WorkerLost:
                break
            results[index] = _result(run, prepared, max_steps, lang)
    finally:
        worker.close()
        _remove(first.sandbox)
    return results


def prepare(path: Path, argv: list[str], max_steps: int, max_eval_batches: int, data_dirs: list[Path],
            limits, bound: bool = True) -> Prepared:
    """The sandbox for one trace. `bound`: bubblewrap shows the user's files read-only in the sandbox; without it,
    the process sandbox reaches them through links made here."""
    from checker.lint.sources import read
    from reference import data as mnist

    if not path.is_file():
        raise InputError.keyed("not_a_file" if path.exists() else "no_such_file", path=str(path))
    for folder in data_dirs:
        if not folder.is_dir():
            raise InputError.keyed("no_such_folder", option="--data", path=str(folder))
    script_dir = path.resolve().parent
    read_only = [str(d.resolve()) for d in data_dirs]
    sandbox = _sandbox_outside([script_dir, *(Path(p) for p in read_only)])
    try:
        for sub in ("out", "tmp", "cache", "home", "fs"):
            (sandbox / sub).mkdir()
        work = sandbox / "fs" / (script_dir.name or "script")
        work.mkdir()
        views, links = _views(script_dir, sandbox / "fs", work)
        cells = []
        if path.suffix == ".ipynb":
            source = read(path)
            if not source.text.strip():
                raise InputError.keyed("notebook_unreadable", path=str(path), problem=source.problems[0][2]) \
                    if source.problems else InputError.keyed("no_code_cells", path=str(path))
            script = work / f"{path.stem}.notebook.py"
            views = [(target, view) for target, view in views if view != str(script)]
            links = [(target, link) for target, link in links if link != str(script)]
            script.write_text(source.text, encoding="utf-8")
            cells, read_only = source.cells, [*read_only, str(script)]
        else:
            script = work / path.name
        if not bound:
            for target, view in [*views, *links]:
                os.symlink(target, view)
        embedded = str(_embedded_mnist(sandbox, mnist))
        read_only.append(embedded)
        forbidden = [str(p) for p in (mnist.torchdrill_home(),) if not _inside(script_dir, p)]
        spec = {
            "child_module": "checker.child.tracer", "script": str(script), "argv": argv, "cwd": str(work),
            "mnist_where_missing": embedded,
            "user_dirs": [str(work), str(script_dir)], "max_steps": max_steps,
            "max_eval_batches": max_eval_batches, "sandbox": str(sandbox), "forbidden": forbidden,
            "limits": limits.settings(),
            "mounts": {"read_only": read_only, "writable": [],
                       "folders": [str(sandbox / d) for d in ("out", "tmp", "cache", "home", "fs")] + [str(work)],
                       "views": [[target, view] for target, view in views],
                       "symlinks": [[target, link] for target, link in links]},
        }
        return Prepared(sandbox, work, script, script_dir, str(path), cells, spec)
    except BaseException:
        shutil.rmtree(sandbox, ignore_errors=True)
        raise


def _views(script_dir: Path, fs: Path, work: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What the sandbox shows of the user's files: (views, links). Views are (the user's path, where the sandbox
    shows it): every entry of the script's folder in the working folder, and a real `data` folder beside the
    script's folder. A link of the user's is never followed to what it names: it is shown as the same link
    (target, where), which leads only to what the sandbox shows anyway."""
    entries = os.listdir(script_dir)
    if len(entries) > MAX_ENTRIES:
        raise InputError.keyed("too_many_entries", folder=str(script_dir), count=f"{len(entries):,}",
                               limit=f"{MAX_ENTRIES:,}")
    views, links = [], []
    for name in sorted(entries):
        entry = script_dir / name
        if entry.is_symlink():
            links.append((os.readlink(entry), str(work / name)))
        else:
            views.append((str(entry), str(work / name)))
    data = script_dir.parent / SIBLING_DATA
    if script_dir.parent != script_dir and script_dir.name != SIBLING_DATA and not data.is_symlink() \
            and data.is_dir():
        views.append((str(data), str(fs / SIBLING_DATA)))
    return views, links


def _sandbox_outside(bound: list[Path]) -> Path:
    """A new sandbox folder that no folder bound into it contains (a bind over it would hide its tmpfs)."""
    from reference.data import torchdrill_home

    for base in (None, torchdrill_home() / "trace", Path("/var/tmp"), Path("/dev/shm")):
        if base is not None and not (base.is_dir() or base.parent.is_dir()):
            continue
        if base is not None:
            base.mkdir(exist_ok=True)
        candidate = Path(tempfile.mkdtemp(prefix="torchdrill-trace-", dir=base))
        if not any(_inside(candidate, folder) for folder in bound):
            return candidate
        candidate.rmdir()
    raise InputError.keyed("no_temporary_folder", folder=str(bound[0]))


def _embedded_mnist(sandbox: Path, mnist) -> Path:
    """The embedded MNIST subset, where reference.data finds it in the sandbox (scripts of the catalogue use it)."""
    root = mnist.mnist_root("subset", None)
    data_root = sandbox / "home" / "mnist" / root.name
    (data_root / "MNIST" / "raw").mkdir(parents=True)
    for name in mnist.RAW_FILES:
        shutil.copyfile(root / "MNIST" / "raw" / name, data_root / "MNIST" / "raw" / name)
    return data_root


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def _result(run, prepared: Prepared, max_steps: int, lang: str) -> TraceResult:
    from checker.untrusted import clean, said

    done = run.first("done") or {}
    status = done.get("status") if done.get("status") in ("finished", "budget", "exited", "crashed") else (
        "timeout" if run.timed_out else "broken" if run.tampered else "killed")
    result = TraceResult(script=prepared.shown, status=status, max_steps=max_steps, output=clean(run.output),
                         isolation=run.isolation, wall_s=run.wall_s)
    for name in ("steps", "backwards", "training_passes", "evaluation_passes"):
        value = done.get(name)
        setattr(result, name, value if isinstance(value, int) and value >= 0 else 0)
    result.budget_reached = done.get("budget_reached") is True
    result.seconds = float(done["seconds"]) if isinstance(done.get("seconds"), (int, float)) else 0.0
    result.error = said(str(done.get("error") or run.tampered or ""))[:2000]
    if run.over is not None:
        from checker.messages import text

        result.error = text("run", "processes" if run.over.what == "processes" else "run_memory", lang,
                            detail=run.over.cap)
    if done.get("error_line"):
        place = _place(prepared, done.get("error_file"), done.get("error_line"))
        result.error_where = f"{place[0]}:{place[2]}" if place[1] is None else f"{place[0]}:cell_{place[1]}:{place[2]}"
    sources: dict = {}
    for message in run.messages:
        finding = message.get("finding") if message.get("kind") == "finding" else None
        kind = finding.get("kind") if isinstance(finding, dict) else None
        if kind not in rules.RUNTIME:
            continue
        result.findings.append(_finding(prepared, kind, finding, lang, sources))
    result.findings.sort(key=lambda f: (f.path, f.cell or 0, f.line or 0, f.code))
    result.curves = _curves(done, run, lang)
    return result


def _curves(done: dict, run, lang: str) -> dict | None:
    """The loss per step the child recorded, checked for shape, with its bug signature (growing, blowing up)."""
    from checker import curves
    from checker.messages import text

    student = None if run.tampered else curves.from_report(done.get("curves"))
    if student is None or not student.loss:
        return None
    found = curves.signature(student, None)
    return {"student": student.to_dict(), "reference": None,
            "signature": text("curve", found[0], lang, **found[1]) if found else ""}


def _finding(prepared: Prepared, kind: str, raw: dict, lang: str, sources: dict) -> TraceFinding:
    from checker.untrusted import said

    runtime = rules.RUNTIME[kind]
    detail = said(str(raw.get("detail") or ""))[:200]
    line = raw.get("line") if isinstance(raw.get("line"), int) else None
    file = raw.get("file") if isinstance(raw.get("file"), str) else None
    if line is not None and file is not None:
        line = _refined(kind, _source(file, prepared, sources), line, detail)
    shown, cell, line = _place(prepared, file, line)
    severity = rules.RULES[runtime.code].severity if runtime.code in rules.RULES else SEVERITY[runtime.code]
    return TraceFinding(shown, line, runtime.code, kind, severity, runtime.text("message", lang, detail=detail), cell)


def _place(prepared: Prepared, file, line) -> tuple[str, int | None, int | None]:
    """(path as the user knows it, cell, line) for a file the child named."""
    if not isinstance(file, str):
        return prepared.shown, None, line
    work, folder = str(prepared.work) + os.sep, str(prepared.script_dir) + os.sep
    if file == str(prepared.script) and prepared.cells:
        if isinstance(line, int) and 1 <= line <= len(prepared.cells):
            cell, in_cell = prepared.cells[line - 1]
            return prepared.shown, cell, in_cell
        return prepared.shown, None, line
    for prefix in (work, folder):
        if file.startswith(prefix):
            relative = file[len(prefix):]
            shown_dir = os.path.dirname(prepared.shown)
            return os.path.join(shown_dir, relative) if shown_dir else relative, None, line
    return file, None, line


def _source(file: str, prepared: Prepared, sources: dict) -> ast.Module | None:
    """The syntax tree of a file of the user's, read on our side (the child's copy is the same file)."""
    if file not in sources:
        candidates = [Path(file)]
        work = str(prepared.work) + os.sep
        if file.startswith(work):
            candidates.append(prepared.script_dir / file[len(work):])
        sources[file] = None
        for candidate in candidates:
            try:
                sources[file] = ast.parse(candidate.read_text(encoding="utf-8-sig"))
                break
            except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError):
                continue
    return sources[file]


def _refined(kind: str, tree: ast.Module | None, line: int, detail: str) -> int:
    """Where the cause sits, when the probe saw only its effect: the unconditional `break` of the loop that ended
    an epoch early, the statement that adds a loss into a running total."""
    if tree is None:
        return line
    if kind == "epoch_ended_early":
        for loop in (n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.AsyncFor)) and n.lineno == line):
            breaks = [n for n in ast.walk(loop) if isinstance(n, ast.Break)]
            if len(breaks) == 1:
                return breaks[0].lineno
    if kind in ("graph_kept_across_steps", "graph_kept_after_evaluation"):
        name = detail.strip("`")
        function = next((f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                         and f.lineno <= line <= (f.end_lineno or f.lineno)), tree)
        for node in ast.walk(function):
            if _adds_to(node, name):
                return node.lineno
    return line


def _adds_to(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
        return True
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets) \
            and isinstance(node.value, ast.BinOp) and any(isinstance(n, ast.Name) and n.id == name
                                                           for n in ast.walk(node.value)):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == name)
