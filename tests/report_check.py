#!/usr/bin/env python3
"""Renders a published month report in headless Chromium and checks it.

    python3 tests/report_check.py OUTPUT_ROOT PERIOD [--screenshot FILE]

The page must load without a console error or a failed request, and the
rendered DOM must show every control total of the period's current manifest
(the version the log names last) in its row. With --screenshot, a PNG of the
page is written too (docs/report.png is made this way).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
]


def fail(message):
    print(f"report_check: {message}", file=sys.stderr)
    sys.exit(1)


def current_manifest(root: Path, period: str) -> dict:
    log = root / "_log" / f"period={period}"
    records = sorted(p for p in log.glob("*.json")) if log.is_dir() else []
    if not records:
        fail(f"{period} has no version record under {log}")
    run_id = json.loads(records[-1].read_text())["run_id"]
    return json.loads((root / "runs" / run_id / "manifest.json").read_text())


def chromium(args, profile):
    exe = os.environ.get("CHROMIUM", "chromium")
    return subprocess.run(
        [exe, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120,
    )


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    root, period = Path(sys.argv[1]), sys.argv[2]
    shot = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--screenshot" else None
    page = root / "reports" / f"period={period}" / "report.html"
    if not page.is_file():
        fail(f"{page} is missing")
    manifest = current_manifest(root, period)
    with tempfile.TemporaryDirectory() as profile:
        run = chromium(["--dump-dom", page.resolve().as_uri()], profile)
        if run.returncode != 0:
            fail(f"chromium exited {run.returncode}: {run.stderr[-2000:]}")
        dom = run.stdout
        problems = [
            line for line in run.stderr.splitlines()
            if re.search(r"CONSOLE|Uncaught|net::ERR_|Failed to load", line)
        ]
        if problems:
            fail("the page logged errors:\n" + "\n".join(problems))
        if shot:
            run = chromium(
                ["--window-size=1100,2400", "--hide-scrollbars",
                 f"--screenshot={Path(shot).resolve()}", page.resolve().as_uri()],
                profile,
            )
            if run.returncode != 0 or not Path(shot).is_file():
                fail(f"no screenshot: {run.stderr[-2000:]}")
    if "<svg" not in dom or manifest["run_id"] not in dom:
        fail("the rendered page lacks its charts or its run_id")
    checked = 0
    for by, label in [("ledger_amount_by_component", "component"),
                      ("ledger_amount_by_status", "status")]:
        for key, amount in manifest[by].items():
            cell = f'<td>{label}</td><td>{key}</td><td class="n">{amount}</td>'
            if cell not in dom:
                fail(f"control total {label} {key} = {amount} is not on the rendered page")
            checked += 1
    if checked == 0:
        fail("the manifest has no control totals to check")
    print(f"report_check: {page} renders, {checked} control totals shown"
          + (f", screenshot {shot}" if shot else ""))


main()
