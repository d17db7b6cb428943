"""MRZ ↔ visual-zone cross-check (issue 5): false alarms on genuine documents, detection of MRZ changes
with recomputed check digits (``mrz.recomputed``) and of visual-zone alterations (``viz.altered``).

    .venv/bin/python benchmarks/bench_viz.py [--count 60] [--seed 9100]

Generated (**synthetic**) sets, each ``--count`` documents of all five formats, written once to
``benchmarks/.data/viz-<kind>-<condition>-<seed>/`` (git-ignored): genuine, ``mrz.recomputed`` and
``viz.altered``, as flatbed scans and phone photos. Seeds 9100+ are not used by any test or by the
development of the check. Also the real specimens in ``../shared/specimens`` (false alarms only).

A document counts when its MRZ was read. "Flagged" means a ``viz.mismatch.*`` warning; "compared" means
the visual zone was read well enough to compare (no ``viz.not_compared``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2

from docverify.io import load_page
from docverify.mrz.image import read_mrz_image
from docverify.mrz.recognizer import MRZRecognizer
from docverify.synth.dataset import is_current
from docverify.viz import cross_check
from machine import machine

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
SPECIMENS = ROOT.parent / "shared" / "specimens"


def dataset(kind: str, condition: str, count: int, seed: int) -> list[Path]:
    out = DATA / f"viz-{kind}-{condition}-{seed}"
    if not is_current(out):  # missing, or made by an older revision of the generator
        cmd = [sys.executable, "-m", "docverify", "samples", "--out", str(out), "--count", str(count)]
        cmd += ["--seed", str(seed), "--conditions", condition]
        if kind != "genuine":
            cmd += ["--forge", kind]
        subprocess.run(cmd, check=True, capture_output=True)
    return [out / json.loads(line)["file"] for line in (out / "ground_truth.jsonl").read_text().splitlines()]


def evaluate(paths: list[Path], reference: dt.date | None) -> dict[str, float]:
    ocr = MRZRecognizer()
    read = compared = flagged = 0
    times = []
    for path in paths:
        page = load_page(str(path))
        reading = read_mrz_image(page.image, ocr, reference_date=reference or dt.date.today())
        if reading is None:
            continue
        read += 1
        gray = cv2.cvtColor(page.image, cv2.COLOR_RGB2GRAY)
        t0 = time.perf_counter()
        findings = cross_check(gray, reading.result, reading.location)
        times.append((time.perf_counter() - t0) * 1000)
        codes = {f.code for f in findings}
        if "viz.not_compared" not in codes:
            compared += 1
        if any(c.startswith("viz.mismatch.") for c in codes):
            flagged += 1
    return {
        "documents": len(paths),
        "read": read,
        "compared": compared,
        "flagged": flagged,
        "median_ms": statistics.median(times) if times else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=9100)
    parser.add_argument("--no-specimens", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print("| set | documents | MRZ read | compared | flagged (viz.mismatch) | rate of read | median ms |")
    print("|---|---|---|---|---|---|---|")
    for i, kind in enumerate(("genuine", "mrz.recomputed", "viz.altered")):
        for j, condition in enumerate(("flatbed", "phone")):
            paths = dataset(kind, condition, args.count, args.seed + 10 * i + j)
            r = evaluate(paths, dt.date(2026, 1, 1))
            rate = r["flagged"] / r["read"] if r["read"] else 0.0
            print(
                f"| {kind} {condition} (synthetic) | {r['documents']} | {r['read']} | {r['compared']} | "
                f"{r['flagged']} | {rate:.1%} | {r['median_ms']:.0f} |"
            )
    if not args.no_specimens:
        if not (SPECIMENS / "ground_truth.json").exists():
            sys.exit(f"{SPECIMENS / 'ground_truth.json'} not found (../shared beside the repository); --no-specimens")
        truth = json.loads((SPECIMENS / "ground_truth.json").read_text())
        paths = [SPECIMENS / "images" / t["file"] for t in truth if t.get("has_mrz")]
        r = evaluate(paths, None)
        rate = r["flagged"] / r["read"] if r["read"] else 0.0
        print(
            f"| ../shared/specimens (real) | {r['documents']} | {r['read']} | {r['compared']} | {r['flagged']} | "
            f"{rate:.1%} | {r['median_ms']:.0f} |"
        )


if __name__ == "__main__":
    main()
