"""Take a screenshot of a class report (`checker grade --report`) in headless Chromium, for docs and reviews.

    python tools/screenshot_report.py class.html              writes class.png beside it
    python tools/screenshot_report.py class.html --out shot.png --height 3000
    python tools/screenshot_report.py --demo                  grades a tiny zero_grad class first (about a
                                                              minute; needs bubblewrap, like `checker grade`)

It prints the PNG's path. Chromium comes from $CHROMIUM, else the first of chromium, chromium-browser,
google-chrome on PATH (Debian: `apt-get install chromium`). The page is 1280 pixels wide; --height sets how much of
it is captured (2000 by default). The tests load reports through headless() too.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium to run, or None."""
    named = os.environ.get("CHROMIUM")
    if named:
        return shutil.which(named)
    return next((found for found in map(shutil.which, BROWSERS) if found), None)


def headless(args: list[str], url: str, profile: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run headless Chromium on `url` with `args` (--dump-dom, --screenshot=...), in a profile folder of its own
    and without background network traffic. --no-sandbox: Chromium refuses to start as root without it, and the
    page is a local file whose untrusted text is escaped and whose policy blocks every load and foreign script."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("no Chromium found (set CHROMIUM, or install it: apt-get install chromium)")
    command = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
               "--disable-component-update", f"--user-data-dir={profile}", *args, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          check=False)


def screenshot(report: Path, out: Path, height: int = 2000) -> Path:
    with tempfile.TemporaryDirectory(prefix="torchdrill-chromium-") as profile:
        done = headless([f"--screenshot={out.resolve()}", f"--window-size=1280,{height}", "--hide-scrollbars"],
                        report.resolve().as_uri(), Path(profile))
    if not out.is_file() or out.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no screenshot (exit code {done.returncode}):\n{done.stderr[-2000:]}")
    return out


def demo_report(folder: Path) -> Path:
    """Grade a tiny zero_grad class (a fix, the buggy script, a wrong fix) and return its report."""
    sys.path.insert(0, str(ROOT))
    from checker.scenario import find

    scenario = find("zero_grad")
    students = folder / "class"
    students.mkdir()
    shutil.copy(scenario.solution_path, students / "ada.py")
    shutil.copy(scenario.buggy_path, students / "ben.py")
    wrong = scenario.solution_path.read_text().replace("        optimizer.zero_grad()\n", "")
    (students / "cai.py").write_text(wrong.replace("    network.train()\n",
                                                   "    network.train()\n    optimizer.zero_grad()\n"))
    report = folder / "class.html"
    done = subprocess.run([sys.executable, "-m", "checker", "grade", str(students), "--scenario", scenario.id,
                           "--jobs", "2", "--report", str(report)], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    if not report.is_file():
        raise RuntimeError(f"checker grade wrote no report (exit code {done.returncode}):\n{done.stderr[-2000:]}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, help="the report.html to capture")
    parser.add_argument("--demo", action="store_true", help="grade a tiny zero_grad class and capture its report")
    parser.add_argument("--out", type=Path, help="the PNG to write (default: the report's name with .png)")
    parser.add_argument("--height", type=int, default=2000, help="pixels captured from the top (default 2000)")
    options = parser.parse_args(argv)
    if (options.report is None) == (not options.demo):
        parser.error("give a report.html, or --demo")
    if options.report is not None and not options.report.is_file():
        parser.error(f"{options.report}: no such file")
    try:
        report = options.report or demo_report(Path(tempfile.mkdtemp(prefix="torchdrill-report-")))
        print(screenshot(report, options.out or report.with_suffix(".png"), options.height))
    except (FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
