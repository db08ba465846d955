"""Course-platform bundles: what `checker export` writes so that Gradescope or PrairieLearn grade with torchdrill.

Gradescope (https://gradescope-autograders.readthedocs.io/en/latest/specs/): an autograder is a zip with, at its
root, `setup.sh` (a Bash script Gradescope runs once, as root, when it builds the assignment's Docker image on its
Ubuntu base image) and `run_autograder` (an executable run for every submission, as root, in a fresh container,
with the student's files in /autograder/submission; it must leave /autograder/results/results.json). The zip is
extracted into /autograder/source. One zip per scenario: Gradescope has one autograder per assignment, and an
assignment has one total of points, so a bundle that picked its scenario from the uploaded file's name would
grade a student who uploads the wrong file against another exercise and its points.

PrairieLearn (https://prairielearn.readthedocs.io/en/latest/externalGrading/): a question whose `info.json` sets
`gradingMethod: "External"` and `externalGradingOptions` (`enabled`, `image`, `entrypoint`, `timeout`, at most
600 s); the question's `tests/` folder is copied to /grade/tests, the student's files to /grade/student and the
question's data to /grade/data/data.json, and the entrypoint must write /grade/results/results.json (a folder it
creates itself): `score` in [0, 1], and for <pl-external-grader-results> `gradable`, `message`, `output` and
`tests`, each with `name`, `points`, `max_points`, `message` and `output`. The image is the instructor's own,
built from the Dockerfile written beside the questions and pushed to Docker Hub, where PrairieLearn pulls it.

Both entrypoints only run `checker grade-one`, which keeps its boundary as it is everywhere: bubblewrap, and as
root a uid of the run's own (checker/isolation.py); without bubblewrap it refuses unless the bundle was made with
--allow-weak-isolation, and the entrypoint then writes a result that says why instead of none. Nothing is
downloaded while grading: everything is installed, pinned, when the image is built.
"""
from __future__ import annotations

import html
import io
import json
import os
import pprint
import re
import shlex
import shutil
import sys
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from checker.messages import text
from checker.scenario import Scenario, find
from checker.verdict import InputError

GRADESCOPE, PRAIRIELEARN = "gradescope", "prairielearn"
PLATFORMS = (GRADESCOPE, PRAIRIELEARN)
PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # no grading platform lends a GPU: CPU wheels, 10x smaller
PYPI_INDEX = "https://pypi.org/simple"
# torchdrill's own dependencies, each pinned to the version that made the bundle (torch's decides the reference
# accuracy a submission is measured against); what they need in turn is resolved when the image is built, for
# the image's own Python, and listed by `pip freeze` in its build log.
PINNED = ("torch", "torchvision", "click", "rich")
PL_TIMEOUT_MAX = 600  # PrairieLearn's cap on externalGradingOptions.timeout
PL_ENTRYPOINT = "/grade/tests/run.py"
PL_TOPIC = "torchdrill"
IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the same scenario gives the same bytes: a bundle can be compared, not just read
EXECUTABLE, PLAIN = 0o755, 0o644
MARKER = re.compile(r"@@[A-Z_]+@@")


@dataclass(frozen=True)
class Options:
    student_lang: str = "en"  # the language of everything a student reads
    timeout_s: float | None = None  # per submission; None: the scenario's budget
    allow_weak_isolation: bool = False
    wheel: Path | None = None  # a torchdrill wheel to install from; None: torchdrill==VERSION from PyPI
    image: str | None = None  # PrairieLearn: the Docker image its questions name


@dataclass(frozen=True)
class Written:
    """One thing written, for the command to report: `kind` is gradescope, question or image."""

    kind: str
    path: Path
    scenario: str = ""
    points: float = 0.0


def export(platform: str, scenario_ids: list[str], out: Path, options: Options, lang: str = "en") -> list[Written]:
    """Write the bundles of `scenario_ids` for `platform` into the folder `out` (new, or empty). Nothing is left
    half-written: everything is built in a folder beside `out` and moved into place at the end."""
    scenarios = [find(sid, lang) for sid in dict.fromkeys(scenario_ids)]
    _check_options(platform, scenarios, options)
    out = _usable_out(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # the folder a user asked for, with the modes of one they had made
        if platform == GRADESCOPE:
            written = [_gradescope(s, staging, options, lang) for s in scenarios]
        else:
            written = _prairielearn(scenarios, staging, options, lang)
        if out.exists():
            out.rmdir()  # empty, checked above
        staging.rename(out)
    except OSError as error:
        raise InputError.keyed("cannot_write", option="--out", path=str(out), why=error.strerror or str(error)) \
            from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [Written(w.kind, out / w.path, w.scenario, w.points) for w in written]


def max_points(scenario: Scenario) -> float:
    return sum(scenario.grading.weight(check) for check in scenario.check_ids())


def _check_options(platform: str, scenarios: list[Scenario], options: Options) -> None:
    if options.wheel is not None:
        wheel = options.wheel
        if not (wheel.is_file() and wheel.name.startswith("torchdrill-") and wheel.suffix == ".whl"
                and zipfile.is_zipfile(wheel)):
            raise InputError.keyed("export_wheel", path=str(wheel))
    if platform == PRAIRIELEARN:
        if not options.image:
            raise InputError.keyed("export_image_needed", version=torchdrill_version())
        if not IMAGE_NAME.match(options.image):
            raise InputError.keyed("export_image_bad", image=options.image)
    for scenario in scenarios:
        _scenario_files(scenario)  # a probe outside its scenario's folder is refused before anything is written


def _usable_out(given: Path) -> Path:
    """`given` as an absolute path, once it is known to be a new or an empty folder that can be made."""
    out = Path(os.path.abspath(given))
    if out.exists() and not out.is_dir():
        raise InputError.keyed("export_out_is_file", path=str(given))
    if out.is_dir() and any(out.iterdir()):
        raise InputError.keyed("export_out_not_empty", path=str(given))
    above = next((p for p in out.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise InputError.keyed("output_parent_is_file", option="--out", path=str(given), above=str(above))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError.keyed("cannot_write", option="--out", path=str(given), why=error.strerror or str(error)) \
            from None
    return out


# --- what both platforms install --------------------------------------------------------------------------------

def torchdrill_version() -> str:
    try:
        return metadata.version("torchdrill")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def _public(version: str) -> str:
    """A version without its local label (2.14.1+cu130 is 2.14.1): the CPU index has its own (+cpu)."""
    return version.split("+", 1)[0]


def requirements() -> str:
    """requirements.txt: torchdrill's dependencies, pinned to this machine's versions; torch and torchvision from
    PyTorch's CPU index (PyPI stays an index for the rest)."""
    lines = ["# Written by `checker export`: torchdrill's dependencies, pinned to the versions of the machine that",
             "# wrote it; torch and torchvision are CPU builds (no grading platform lends a GPU).",
             f"--index-url {PYTORCH_CPU_INDEX}", f"--extra-index-url {PYPI_INDEX}"]
    for name in PINNED:
        try:
            lines.append(f"{name}=={_public(metadata.version(name))}")
        except metadata.PackageNotFoundError:
            lines.append(name)
    lines.append('tomli>=1.1; python_version < "3.11"')
    return "\n".join(lines) + "\n"


def _install_spec(options: Options, wheels: str) -> str:
    """What pip installs torchdrill from, for a shell: the bundled wheel in the folder `wheels` (as the shell
    names it), else torchdrill==VERSION from PyPI."""
    if options.wheel is not None:
        return wheels + shlex.quote(options.wheel.name)
    return shlex.quote(f"torchdrill=={torchdrill_version()}")


def _double_quoted(message: str, variable: str) -> str:
    """`message` as a shell word in double quotes, with @ID@ standing for `variable` (a literal, or $name)."""
    escaped = message.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
    return '"' + escaped.replace("@ID@", variable) + '"'


def _scenario_files(scenario: Scenario) -> dict[str, Path]:
    """The files a scenario that is not built in needs, by their path in its folder (metadata, buggy script,
    solution, its own probes); {} for a built-in scenario, which the installed torchdrill brings."""
    builtin = Path(str(resources.files("buggy_examples"))).resolve()
    folder = scenario.metadata_path.parent
    if folder.resolve() == builtin:
        return {}
    files = {scenario.metadata_path.name: scenario.metadata_path, scenario.buggy_path.name: scenario.buggy_path}
    if scenario.solution_path.parent.resolve() == (folder / "solutions").resolve():
        files[f"solutions/{scenario.solution_path.name}"] = scenario.solution_path
    for probe in scenario.custom_probes:
        try:
            relative = probe.path.resolve().relative_to(folder.resolve())
        except ValueError:
            raise InputError.keyed("export_probe_outside", id=scenario.id, path=str(probe.path),
                                   folder=str(folder)) from None
        files[relative.as_posix()] = probe.path
    return files


def _template(name: str, values: dict[str, str]) -> str:
    """A template of checker/templates/ with each @@NAME@@ replaced by values[NAME] (already quoted for the file's
    language); a marker left over is a bug of ours."""
    content = (resources.files("checker") / "templates" / name).read_text(encoding="utf-8")
    for key, value in values.items():
        content = content.replace(f"@@{key}@@", value)
    left = MARKER.search(content)
    if left:
        raise AssertionError(f"{name}: {left.group(0)} was not filled in")
    return content


def _raw(section: str, key: str, lang: str) -> str:
    """A text of messages.toml with its {placeholders} left in, for a script to fill in when it runs."""
    return text(section, key, lang)  # with no values to fill in, the text comes back as it is written


def _run_values(scenario: Scenario, options: Options) -> dict[str, str]:
    """The settings an entrypoint is written with, as Python literals."""
    lang = options.student_lang
    return {"SCENARIO": repr(scenario.id), "LANG": repr(lang), "TIMEOUT": repr(options.timeout_s),
            "WEAK": repr(options.allow_weak_isolation), "VERSION": torchdrill_version(),
            "NOT_GRADED": _literal(_raw("export", "not_graded", lang)),
            "NO_CHECKER": _literal(_raw("export", "no_checker", lang)),
            "EXIT_CODE": _literal(_raw("export", "exit_code", lang))}


def _literal(value) -> str:
    """`value` as a Python literal in lines that a reader can read (a long text split into parts)."""
    return pprint.pformat(value, width=100)


# --- Gradescope ---------------------------------------------------------------------------------------------------

def gradescope_files(scenario: Scenario, options: Options, lang: str = "en") -> dict[str, tuple[bytes, int]]:
    """Every file of a Gradescope autograder zip, by its path in the zip: (content, mode)."""
    setup = _template("gradescope_setup.sh.txt", {
        "ID": scenario.id, "VERSION": torchdrill_version(), "TORCHDRILL": _install_spec(options, '"$SOURCE"/wheels/'),
        "CACHED": _double_quoted(text("export", "setup_cached", lang, id="@ID@"), scenario.id),
        "NOT_CACHED": _double_quoted(text("export", "setup_not_cached", lang, id="@ID@"), scenario.id),
    })
    run = _template("gradescope_run_autograder.py.txt", _run_values(scenario, options))
    files = {"setup.sh": (setup.encode(), EXECUTABLE), "run_autograder": (run.encode(), EXECUTABLE),
             "requirements.txt": (requirements().encode(), PLAIN),
             f"starter/{scenario.id}.py": (scenario.buggy_path.read_bytes(), PLAIN)}
    for name, path in _scenario_files(scenario).items():
        files[f"scenarios/{name}"] = (path.read_bytes(), PLAIN)
    if options.wheel is not None:
        files[f"wheels/{options.wheel.name}"] = (options.wheel.read_bytes(), PLAIN)
    return files


def zip_bytes(files: dict[str, tuple[bytes, int]]) -> bytes:
    """A zip of `files`, the same bytes every time: sorted, one fixed date, modes kept (run_autograder and setup.sh
    stay executable when Gradescope unzips them)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            content, mode = files[name]
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.external_attr = (0o100000 | mode) << 16  # a regular file with this mode
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that unzip honours the mode
            archive.writestr(info, content)
    return buffer.getvalue()


def _gradescope(scenario: Scenario, staging: Path, options: Options, lang: str) -> Written:
    path = Path("gradescope") / f"{scenario.id}_autograder.zip"
    target = staging / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(zip_bytes(gradescope_files(scenario, options, lang)))
    return Written(GRADESCOPE, path, scenario.id, max_points(scenario))


# --- PrairieLearn -------------------------------------------------------------------------------------------------

def pl_timeout(scenario: Scenario, options: Options) -> int:
    """PrairieLearn's timeout for one grading job: the reference run where the image has none cached, the
    submission's run, and the imports, within PrairieLearn's cap."""
    per_run = options.timeout_s or scenario.budget.timeout_s
    return int(min(PL_TIMEOUT_MAX, 2 * per_run + 60))


def question_uuid(scenario: Scenario, image: str) -> str:
    """Stable across exports (re-exporting updates the question instead of adding one), and different for another
    course's image."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"torchdrill:{image}:{scenario.id}"))


def info_json(scenario: Scenario, options: Options) -> dict:
    lang = options.student_lang
    return {
        "uuid": question_uuid(scenario, options.image),
        "title": f"torchdrill: {scenario.title.get(lang)}",
        "topic": PL_TOPIC,
        "tags": ["torchdrill", scenario.id],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": options.image,
            "entrypoint": PL_ENTRYPOINT,
            "timeout": pl_timeout(scenario, options),
            "enableNetworking": False,
        },
    }


def question_html(scenario: Scenario, options: Options) -> str:
    lang = options.student_lang
    name = f"{scenario.id}.py"
    link = (f'<a href="{{{{options.client_files_question_url}}}}/{html.escape(name)}" download>'
            f"<code>{html.escape(name)}</code></a>")
    task = html.escape(_raw("export", "pl_task", lang)).replace("{link}", link).replace(
        "{name}", f"<code>{html.escape(name)}</code>")
    return _template("prairielearn_question.html.txt", {
        "TITLE": html.escape(scenario.title.get(lang)), "SUMMARY": html.escape(scenario.summary.get(lang)),
        "TASK": task, "FILE": html.escape(name, quote=True)})


def pl_run_script(scenario: Scenario, options: Options) -> str:
    lang = options.student_lang
    texts = {"no_file": _raw("export", "pl_no_file", lang), "summary": _raw("export", "pl_summary", lang),
             "accuracy": _raw("export", "pl_accuracy", lang), "line": _raw("ui", "line", lang),
             "where": "（{line}）" if lang == "zh" else " ({line})", "space": "" if lang == "zh" else " ",
             "status": {status: text("status", status, lang)
                        for status in ("fixed", "not_fixed", "crashed", "timeout", "needs_review", "invalid",
                                       "error")}}
    return _template("prairielearn_run.py.txt", {**_run_values(scenario, options), "TEXTS": _literal(texts)})


def dockerfile(scenarios: list[Scenario], options: Options, lang: str) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    builtin = [s.id for s in scenarios if not _scenario_files(s)]
    return _template("prairielearn_Dockerfile.txt", {
        "PYTHON": python, "IMAGE": options.image, "VERSION": torchdrill_version(),
        "TORCHDRILL": _install_spec(options, "/opt/torchdrill/wheels/"), "WARM": " ".join(builtin),
        "CACHED": _double_quoted(text("export", "setup_cached", lang, id="@ID@"), "$id"),
        "NOT_CACHED": _double_quoted(text("export", "setup_not_cached", lang, id="@ID@"), "$id")})


def _prairielearn(scenarios: list[Scenario], staging: Path, options: Options, lang: str) -> list[Written]:
    base = Path("prairielearn")
    written = []
    for scenario in scenarios:
        folder = base / "questions" / scenario.id
        files = {
            "info.json": json.dumps(info_json(scenario, options), ensure_ascii=False, indent=4) + "\n",
            "question.html": question_html(scenario, options),
            "tests/run.py": pl_run_script(scenario, options),
            f"clientFilesQuestion/{scenario.id}.py": scenario.buggy_path.read_bytes(),
        }
        for name, path in _scenario_files(scenario).items():
            files[f"tests/scenarios/{name}"] = path.read_bytes()
        for name, content in files.items():
            target = staging / folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        (staging / folder / "tests" / "run.py").chmod(EXECUTABLE)
        written.append(Written("question", folder, scenario.id, max_points(scenario)))
    image = base / "image"
    (staging / image / "wheels").mkdir(parents=True)
    (staging / image / "starter").mkdir()
    (staging / image / "Dockerfile").write_text(dockerfile(scenarios, options, lang), encoding="utf-8")
    (staging / image / "requirements.txt").write_text(requirements(), encoding="utf-8")
    if options.wheel is not None:
        shutil.copyfile(options.wheel, staging / image / "wheels" / options.wheel.name)
    else:
        (staging / image / "wheels" / ".keep").write_text("", encoding="utf-8")  # COPY wants the folder
    for scenario in scenarios:
        if not _scenario_files(scenario):  # the built-in buggy scripts warm the image's reference cache
            shutil.copyfile(scenario.buggy_path, staging / image / "starter" / f"{scenario.id}.py")
    (staging / image / "starter" / ".keep").write_text("", encoding="utf-8")
    written.append(Written("image", image))
    return written
