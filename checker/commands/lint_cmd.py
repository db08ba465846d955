"""checker lint PATH..."""
from __future__ import annotations

import sys

import click

from checker.cli import exits_cleanly, lang_option

SEVERITY_CHOICE = click.Choice(["info", "warning", "error"])


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True, help="text is flake8's `path:line:col: CODE message`; sarif is for code scanning; "
                                      "github prints annotations for GitHub Actions.")
@click.option("--select", multiple=True, metavar="CODES",
              help="Report only these rules: codes or prefixes, comma-separated (TD101,TD11), or ALL.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Never report these rules (codes or prefixes).")
@click.option("--severity", type=SEVERITY_CHOICE, default=None,
              help="The lowest severity reported (default: warning; rules named exactly in --select always are).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Read [tool.torchdrill.lint] from this pyproject.toml instead of the nearest one.")
@click.option("--explain", metavar="CODE", default=None, help="Explain a rule, with a wrong and a right example.")
@click.option("--list-rules", is_flag=True, help="List every rule: code, severity, title.")
@lang_option
@exits_cleanly
def command(paths, fmt, select, ignore, severity, config_file, explain, list_rules, lang):
    """Find the catalogue's training bugs in your own scripts, folders and notebooks, without running them.

    \b
    checker lint train.py                  one script
    checker lint src/ notebooks/demo.ipynb folders (searched for .py and .ipynb) and notebooks
    checker lint . --format sarif > lint.sarif
    checker lint --explain TD101           what a rule means, and how to fix it
    \b
    A line ending in `# noqa` (or `# noqa: TD101`) is not reported. Defaults come from
    [tool.torchdrill.lint] (select, ignore, severity) in the nearest pyproject.toml.
    Exit status: 0 nothing found, 1 findings, 2 usage error.
    """
    from pathlib import Path

    from checker.lint import config
    from checker.lint.engine import lint_paths
    from checker.lint.formats import render
    from checker.lint.sources import SourceError
    from checker.lint.explain import explain_rule, rule_table
    from reference.i18n import detect_lang

    lang = detect_lang(lang)
    if list_rules:
        click.echo(rule_table(lang), nl=False)
        return
    if explain:
        click.echo(explain_rule(explain, lang), nl=False)
        return
    if not paths:
        raise click.UsageError("give at least one file, folder or notebook to lint, e.g. `checker lint train.py`")
    try:
        pyproject = Path(config_file) if config_file else config.nearest_pyproject(Path(paths[0]))
        if config_file and not pyproject.is_file():
            raise config.ConfigError(f"--config {config_file}: no such file")
        selection = config.selection(config.split_codes(select), config.split_codes(ignore), severity, pyproject)
        findings, files = lint_paths(list(paths), selection, lang)
    except (config.ConfigError, SourceError) as error:
        raise click.UsageError(error.worded(lang) if isinstance(error, SourceError) else str(error)) from None
    click.echo(render(findings, fmt, files, lang, _version()), nl=False)
    if fmt == "text":
        click.echo(_summary(findings, files, lang), err=True)
    sys.exit(1 if findings else 0)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("torchdrill")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _summary(findings, files: int, lang: str) -> str:
    if lang == "zh":
        return f"检查了 {files} 个文件，发现 {len(findings)} 个问题。" + (
            "用 `checker lint --explain 代码` 查看说明。" if findings else "")
    return (f"{len(findings)} finding{'s' * (len(findings) != 1)} in {files} file{'s' * (files != 1)}."
            + (" `checker lint --explain CODE` says what each means." if findings else ""))
