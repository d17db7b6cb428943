"""Batch benchmark: `docverify batch` over N generated (synthetic) documents on W local workers, with an
HTML report; checks that every input got exactly one row and that the report renders in headless Chromium.

    .venv/bin/python benchmarks/bench_batch.py --count 1000 --workers 2

The images are generated once into ``benchmarks/.data/batch-<count>-<seed>/`` (git-ignored) with
`docverify samples` (flatbed, rotated and phone captures of all five formats).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from docverify.synth.dataset import is_current
from machine import machine

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"


def chromium() -> str:
    for name in ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no headless Chromium: run `bash scripts/setup.sh --dev`")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=4242)
    args = parser.parse_args()

    data = DATA / f"batch-{args.count}-{args.seed}"
    if not is_current(data):  # missing, or made by an older revision of the generator
        t0 = time.perf_counter()
        gen = [sys.executable, "-m", "docverify", "samples", "--out", str(data), "--count", str(args.count)]
        subprocess.run([*gen, "--seed", str(args.seed), "--conditions", "flatbed,rotated,phone"], check=True)
        print(f"generated {args.count} images in {time.perf_counter() - t0:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out, report = Path(tmp) / "rows.jsonl", Path(tmp) / "report.html"
        cmd = [sys.executable, "-m", "docverify", "batch", str(data), "--jsonl", str(out), "--report", str(report)]
        cmd += ["--workers", str(args.workers), "--reference-date", "2026-01-01", "--no-progress"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        sources = {r["source"] for r in rows}
        images = sorted(p for p in data.iterdir() if p.suffix in (".jpg", ".png"))
        verdicts: dict[str, int] = {}
        for r in rows:
            key = "error" if "error" in r else r["verdict"]
            verdicts[key] = verdicts.get(key, 0) + 1
        dom = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", report.as_uri()],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        ).stdout
        doc_rows = len(re.findall(r'class="doc-row', dom))
        print(f"machine: {machine()}")
        print(f"inputs {len(images)}, rows {len(rows)}, distinct sources {len(sources)}, exit code {proc.returncode}")
        print(f"verdicts {verdicts}")
        print(f"wall {wall:.1f} s, {len(rows) / wall:.2f} documents/s on {args.workers} workers")
        print(f"report {report.stat().st_size / 1e6:.1f} MB, rows rendered by Chromium: {doc_rows}")
        if len(rows) != len(images) or len(sources) != len(images) or doc_rows != len(images):
            sys.exit("FAILED: not exactly one row per input")


if __name__ == "__main__":
    main()
