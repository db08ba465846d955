"""Where `make test` spends its time: the slowest tests, each worker's busy time, and the torch runs behind them.

    python bench/bench_tests.py [REPORT ...]

A REPORT is a folder written by `make test` (.test-report/, the default: junit.xml, times.jsonl, ledger.jsonl),
a junit XML file, or a text file holding pytest's `--durations` lines. Given two or more, the figures are printed
side by side, so that two runs measured on the same machine can be compared.

From times.jsonl (tests/conftest.py writes it when TORCHDRILL_TEST_TIMES is set): the wall time, each worker's
busy time and when it went idle. From ledger.jsonl (checker/ledger.py, TORCHDRILL_RUN_LEDGER): the processes
that imported torch (fresh children, warm workers, quiz workers), the script runs, and the results shared from a
store instead of run again; runs that happened more than once (the same key: the same source, told the same
things), the costliest first. A junit or --durations report alone gives the slowest tests and the total.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DURATION_LINE = re.compile(r"^\s*([\d.]+)s\s+(setup|call|teardown)\s+(\S+)")


class Report:
    def __init__(self, source: Path):
        self.name = str(source)
        self.tests: dict[str, float] = collections.defaultdict(float)  # test -> seconds (setup + call + teardown)
        self.workers: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
        self.events: list[dict] = []
        self.outcomes: collections.Counter = collections.Counter()
        if source.is_dir():
            self._read_times(source / "times.jsonl")
            if not self.tests and (source / "junit.xml").is_file():
                self._read_junit(source / "junit.xml")
            self._read_ledger(source / "ledger.jsonl")
        elif source.suffix == ".xml":
            self._read_junit(source)
        else:
            self._read_durations(source)

    def _read_times(self, path: Path) -> None:
        for record in _json_lines(path):
            self.tests[record["test"]] += record["stop"] - record["start"]
            self.workers[record["worker"]].append((record["start"], record["stop"]))
            if record["when"] == "call" or record["outcome"] != "passed":
                self.outcomes[record["outcome"]] += record["when"] == "call"

    def _read_junit(self, path: Path) -> None:
        for case in ET.parse(path).getroot().iter("testcase"):
            test = f"{case.get('classname')}::{case.get('name')}"
            self.tests[test] += float(case.get("time") or 0)
            skipped = case.find("skipped") is not None
            failed = case.find("failure") is not None or case.find("error") is not None
            self.outcomes["skipped" if skipped else "failed" if failed else "passed"] += 1

    def _read_durations(self, path: Path) -> None:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            match = DURATION_LINE.match(line)
            if match:
                self.tests[match.group(3)] += float(match.group(1))

    def _read_ledger(self, path: Path) -> None:
        self.events = list(_json_lines(path))

    @property
    def wall_s(self) -> float | None:
        spans = [span for spans in self.workers.values() for span in spans]
        return max(stop for _, stop in spans) - min(start for start, _ in spans) if spans else None

    def worker_lines(self) -> list[str]:
        if not self.workers:
            return ["(no times.jsonl: run `make test`, which writes one)"]
        begin = min(start for spans in self.workers.values() for start, _ in spans)
        end = begin + (self.wall_s or 0)
        lines = []
        for worker, spans in sorted(self.workers.items()):
            busy = sum(stop - start for start, stop in spans)
            idle_at = max(stop for _, stop in spans) - begin
            lines.append(f"{worker}: busy {busy:7.1f} s, last test ended at {idle_at:7.1f} s "
                         f"(idle for the last {end - begin - idle_at:5.1f} s)")
        return lines

    def run_counts(self) -> dict[str, int]:
        counts: collections.Counter = collections.Counter()
        for event in self.events:
            if event["event"] == "torch_process":
                counts[f"torch processes: {event.get('kind')}"] += 1
            elif event["event"] == "run":
                counts[f"script runs: {event.get('child')} on {event.get('launcher')}"] += 1
            elif event["event"] == "shared":
                counts[f"shared, not run again: {event.get('kind')}"] += 1
        counts["torch processes started (all)"] = sum(v for k, v in counts.items() if k.startswith("torch proc"))
        counts["script runs (all)"] = sum(v for k, v in counts.items() if k.startswith("script runs:"))
        counts["shared (all)"] = sum(v for k, v in counts.items() if k.startswith("shared,"))
        repeated = self.repeated_runs()
        if repeated:
            counts["script runs repeated (the same key again)"] = sum(count - 1 for _, count, _, _ in repeated)
        return dict(counts)

    def repeated_runs(self) -> list[tuple[str, int, float, list[str]]]:
        """Runs that happened more than once (the same ledger key): key, how many times, the seconds the repeats
        took, and the tests that ran them; the costliest repeats first."""
        runs: dict[str, list[dict]] = collections.defaultdict(list)
        for event in self.events:
            if event["event"] == "run" and event.get("key"):
                runs[event["key"]].append(event)
        repeated = []
        for key, events in runs.items():
            if len(events) > 1:
                seconds = sorted(float(e.get("seconds") or 0) for e in events)
                tests = sorted({e.get("test") or "?" for e in events})
                repeated.append((key, len(events), sum(seconds[:-1]), tests))
        return sorted(repeated, key=lambda item: -item[2])


def _json_lines(path: Path):
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            yield json.loads(line)
        except ValueError:
            continue


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="*", type=Path, default=[REPO / ".test-report"])
    parser.add_argument("--top", type=int, default=20, help="how many of the slowest tests to list")
    args = parser.parse_args()
    missing = [str(p) for p in args.reports if not p.exists()]
    if missing:
        print(f"no such report: {', '.join(missing)} (run `make test` first, or give a junit XML file)",
              file=sys.stderr)
        return 2
    reports = [Report(path) for path in args.reports]
    for index, report in enumerate(reports, 1):
        total = sum(report.tests.values())
        wall = f"{report.wall_s:.1f} s" if report.wall_s is not None else "unknown (no times.jsonl)"
        print(f"[{index}] {report.name}\n    {len(report.tests)} tests ({dict(report.outcomes)}), "
              f"{total:.1f} s of test time, wall {wall}")
        for line in report.worker_lines():
            print(f"    {line}")
        print(f"    the {args.top} slowest tests:")
        for test, seconds in sorted(report.tests.items(), key=lambda item: -item[1])[:args.top]:
            print(f"      {seconds:7.1f} s  {test}")
        repeated = report.repeated_runs()
        if repeated:
            print(f"    runs repeated: {sum(n - 1 for _, n, _, _ in repeated)} repeats took "
                  f"{sum(s for _, _, s, _ in repeated):.1f} s; the costliest:")
            for key, count, seconds, tests in repeated[:args.top // 2]:
                shown = ", ".join(t.split("::")[-1][:60] for t in tests[:3]) + (" ..." if len(tests) > 3 else "")
                print(f"      {seconds:7.1f} s  {count}x {key}  {shown}")
    keys = sorted({key for report in reports for key in report.run_counts()})
    if keys:
        print("\ntorch runs" + "".join(f"   [{i}]" for i in range(1, len(reports) + 1)))
        for key in keys:
            print(f"  {key:<48}" + "".join(f" {report.run_counts().get(key, 0):6d}" for report in reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
