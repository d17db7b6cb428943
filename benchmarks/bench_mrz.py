"""MRZ engine benchmark: validation throughput and repair success on generated (synthetic) documents.

Run: ``.venv/bin/python benchmarks/bench_mrz.py [--docs N] [--errors N] [--seed S] [--json OUT]``

Everything here is synthetic: fictitious documents from ``docverify.mrz.generate`` with a fixed seed.
Throughput is measured on one core (one process, one thread), best of several rounds to damp noise from
other processes; the machine is named in the output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from docverify import MRZFormat, read_mrz
from docverify.mrz.generate import build_mrz, confusion_trial, random_mrz_data
from docverify.mrz.parse import parse
from docverify.mrz.spec import LAYOUTS, detect_format
from docverify.mrz.validate import validate
from machine import machine

REF = dt.date(2026, 1, 1)


def throughput(docs: list[tuple[str, ...]], rounds: int) -> dict[str, float]:
    """Documents per second for the validation core and for the full text-to-result read."""

    def core() -> None:
        for lines in docs:
            validate(parse(LAYOUTS[detect_format(lines)], lines), REF)  # type: ignore[index]

    def full() -> None:
        for lines in docs:
            read_mrz(lines, reference_date=REF)

    def text() -> None:
        for lines in docs:
            read_mrz("\n".join(lines), reference_date=REF)

    out: dict[str, float] = {}
    for name, fn in (("validate", core), ("read_mrz_lines", full), ("read_mrz_text", text)):
        fn()  # warm caches (pycountry, layouts)
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[f"{name}_per_s_best"] = len(docs) / min(times)
        out[f"{name}_per_s_median"] = len(docs) / statistics.median(times)
    return out


def repair_success(n: int, seed: int) -> dict[str, dict[str, int]]:
    """One classic confusion per generated document; how often the repair restores the original."""
    rng = random.Random(seed)
    stats: dict[str, Counter[str]] = {}
    for _ in range(n):
        trial = confusion_trial(rng, reference=REF)
        lines, bad = trial.original, trial.corrupted
        plain = read_mrz(bad, reference_date=REF, repair_text=False)
        visible = not plain.valid or any(f.severity.value != "info" for f in plain.findings)
        where = "protected" if trial.protected else "unprotected"
        if not visible:
            classes = ["undetectable"]
        else:
            classes = ["all detectable", f"{where} / {trial.kind.value}", f"{where} (all kinds)"]
        r = read_mrz(bad, reference_date=REF)
        flagged = not r.valid or any(f.severity.value != "info" for f in r.findings)
        if r.lines == lines:
            outcome = "restored"
        elif r.repaired and all(c.ok for c in r.check_digits):
            outcome = "wrong, flagged" if flagged else "wrong, clean"
        else:
            outcome = "refused (ambiguous or no reading)"
        for cls in classes:
            stats.setdefault(cls, Counter())["errors"] += 1
            stats[cls][outcome] += 1
    return {k: dict(v) for k, v in sorted(stats.items())}


def tampering(n: int, seed: int) -> dict[str, int]:
    """One check digit changed to another digit (a forger's edit, or a misprint): what the reader says."""
    rng = random.Random(seed)
    out: Counter[str] = Counter()
    for _ in range(n):
        fmt = rng.choice(list(MRZFormat))
        lines = list(build_mrz(random_mrz_data(rng, fmt, reference=REF)))
        check = rng.choice(parse(LAYOUTS[fmt], tuple(lines)).checks)
        old = lines[check.line][check.column]
        if not old.isdigit():
            out["skipped: '<' check digit of an empty field"] += 1
            continue
        new = rng.choice([d for d in "0123456789" if d != old])
        lines[check.line] = lines[check.line][: check.column] + new + lines[check.line][check.column + 1 :]
        r = read_mrz(lines, reference_date=REF)
        if not r.valid:
            out["invalid"] += 1
        elif any(f.code == "mrz.repair.corrected" and f.severity.value == "warning" for f in r.findings):
            out["explained by an OCR confusion, with a warning"] += 1
        else:
            out["valid without a warning"] += 1
    return dict(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=5000, help="documents for the throughput test")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--errors", type=int, default=5000, help="single-error documents for the repair test")
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    docs = [build_mrz(random_mrz_data(rng, rng.choice(list(MRZFormat)), reference=REF)) for _ in range(args.docs)]
    result = {
        "machine": machine(),
        "data": f"synthetic: {args.docs} generated documents, all six layouts, seed {args.seed}",
        "throughput": throughput(docs, args.rounds),
        "repair": repair_success(args.errors, args.seed + 1),
        "tampering": tampering(args.errors, args.seed + 2),
    }
    print(f"machine: {result['machine']}")
    print(f"data: {result['data']}")
    for key, value in result["throughput"].items():  # type: ignore[attr-defined]
        print(f"  {key:<28} {value:>10,.0f}")
    print(f"repair, {args.errors} documents with one classic confusion each (synthetic):")
    for cls, counts in result["repair"].items():  # type: ignore[attr-defined]
        n = counts["errors"]
        parts = ", ".join(f"{k} {v} ({100 * v / n:.1f}%)" for k, v in counts.items() if k != "errors")
        print(f"  {cls:<32} n={n:<5} {parts}")
    print(f"tampering, {args.errors} documents with one check digit changed (synthetic):")
    for outcome, count in sorted(result["tampering"].items()):  # type: ignore[attr-defined]
        print(f"  {outcome:<48} {count}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
