"""The check-digit repair on the recognizer's own errors: what its per-character probabilities add.

Run: ``.venv/bin/python benchmarks/bench_repair_ocr.py [--count 1200] [--seed 31000] [--workers 2] [--json OUT]``

``bench_mrz.py`` measures the repair on plain text, where an error in an alphanumeric field is sometimes
undecidable (another single confusion elsewhere satisfies the same check digit). From an image the repair
also gets the recognizer's probabilities for every character (``alternatives``). This benchmark measures
that case on the recognizer's real mistakes: **synthetic** documents (random fictitious data, every
renderable layout) are captured as phone photos and flatbed scans by :mod:`docverify.synth`, then made
harder on purpose so that the recognizer errs often: shrunk until the MRZ characters are 6–13 px tall,
Gaussian noise (sigma 0–10 grey levels) and JPEG quality 25–75, all drawn per image from the seed.

For each image whose MRZ is found with the right number and length of lines, the recognizer's first
choices (``ImageReading.raw_lines``) are compared with the ground truth, and the final lines (after the
repair with probabilities) too. The same first choices are also repaired as plain text
(``read_mrz(raw_lines)``, no probabilities) to show what the probabilities add on the same errors. An error
is a *classic confusion* when the pair is in the repair's confusion table (``O/Q/D↔0``, ``I/L↔1``,
``B↔8``, ``S↔5``, ``Z↔2``, ``G↔6``, ``K/X↔<``).

Outcomes per reading: **restored** (final lines equal the truth; *flagged* when a warning of the reading asks
for a look: a doubtful repair, a character read with low confidence), **refused** (left invalid or ambiguous:
a check digit still fails, nothing guessed), **wrong, flagged** (a wrong reading that the report marks with a
warning or error), **wrong, clean** (a wrong reading reported valid with nothing above information: the
failure that matters).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from machine import machine

REFERENCE = dt.date(2026, 1, 1)
CONDITIONS = ("phone", "flatbed")
CAP_PX = (6.0, 13.0)
"""Range of the MRZ character height after shrinking (pixels)."""
NOISE = (0.0, 10.0)
JPEG = (25, 75)

_state: dict[str, Any] = {}


def _init() -> None:
    from docverify.mrz.recognizer import MRZRecognizer

    _state["ocr"] = MRZRecognizer()


def degraded(seed: int) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    """Image ``seed`` (RGB uint8), its true MRZ lines and how it was made harder."""
    from docverify.synth.dataset import synthesize
    from docverify.synth.render import GEOMETRY

    formats = sorted(GEOMETRY, key=lambda f: f.value)
    rng = np.random.default_rng(seed)
    fmt = formats[seed % len(formats)]
    condition = CONDITIONS[(seed // len(formats)) % len(CONDITIONS)]
    shot = synthesize(seed, fmt, condition)
    image = shot.decoded()
    quads = [np.asarray(c.quad, dtype=np.float64) for c in shot.truth.mrz_chars]
    cap = float(np.median([np.hypot(*(q[3] - q[0])) for q in quads]))
    target = float(rng.uniform(*CAP_PX))
    scale = min(1.0, target / cap)
    h, w = image.shape[:2]
    image = cv2.resize(image, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)
    sigma = float(rng.uniform(*NOISE))
    noisy = image.astype(np.float32) + rng.normal(0.0, sigma, image.shape).astype(np.float32)
    image = np.clip(noisy, 0, 255).astype(np.uint8)
    quality = int(rng.integers(JPEG[0], JPEG[1] + 1))
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    image = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    info = {"format": fmt.value, "condition": condition, "cap_px": cap * scale, "noise": sigma, "jpeg": quality}
    return image, list(shot.truth.mrz_lines), info


def _errors(read: list[str], truth: list[str]) -> list[tuple[int, int, str, str]] | None:
    """(line, column, true, read) where the reading differs from the truth; ``None`` when the shapes differ."""
    if len(read) != len(truth) or any(len(a) != len(b) for a, b in zip(read, truth, strict=True)):
        return None
    return [
        (li, col, t, r)
        for li, (a, b) in enumerate(zip(read, truth, strict=True))
        for col, (r, t) in enumerate(zip(a, b, strict=True))
        if r != t
    ]


def _outcome(result: Any, truth: list[str]) -> str:
    """How a final reading ended (:data:`OUTCOMES`)."""
    flagged = any(f.severity.value != "info" for f in result.findings)
    if list(result.lines) == truth:
        return "restored, flagged" if flagged else "restored"
    if not result.valid:
        return "refused"
    return "wrong, flagged" if flagged else "wrong, clean"


def _one(seed: int) -> dict[str, Any]:
    from docverify.mrz.image import scan_image
    from docverify.mrz.parse import parse, protected_positions
    from docverify.mrz.reader import read_mrz
    from docverify.mrz.repair import CONFUSIONS
    from docverify.mrz.spec import LAYOUTS
    from docverify.results import MRZFormat

    image, truth, info = degraded(seed)
    start = time.perf_counter()
    reading = scan_image(image, _state["ocr"], reference_date=REFERENCE).reading
    row: dict[str, Any] = {"seed": seed, **info, "seconds": time.perf_counter() - start}
    if reading is None:
        return {**row, "read": False}
    raw = list(reading.raw_lines)
    errors = _errors(raw, truth)
    row.update(read=True, shape=errors is not None)
    if errors is None:
        return row
    classic = all(r in dict(CONFUSIONS.get(t, ())) for _, _, t, r in errors)
    covered = protected_positions(parse(LAYOUTS[MRZFormat(info["format"])], tuple(truth)))
    plain = read_mrz(raw, reference_date=REFERENCE)
    row.update(
        errors=len(errors),
        classic=classic,
        protected=all((li, col) in covered for li, col, _, _ in errors),
        where=[[li, col, t, r] for li, col, t, r in errors],
        with_probabilities=_outcome(reading.result, truth),
        plain_text=_outcome(plain, truth),
        final_exact=list(reading.result.lines) == truth,
    )
    return row


OUTCOMES = ("restored", "restored, flagged", "refused", "wrong, flagged", "wrong, clean")
"""``restored``: the final lines equal the truth (``, flagged``: with a warning — a doubtful repair, a
character read with low confidence — so the document is reviewed); ``refused``: left invalid or ambiguous;
``wrong, flagged``: wrong but with a warning or error; ``wrong, clean``: wrong, valid, and every finding
information."""


def _table(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    c = Counter(r[key] for r in rows)
    return {o: c.get(o, 0) for o in OUTCOMES}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    shaped = [r for r in rows if r.get("shape")]
    one = [r for r in shaped if r["errors"] == 1]
    groups = {
        "no error": [r for r in shaped if r["errors"] == 0],
        "one error, classic, protected": [r for r in one if r["classic"] and r["protected"]],
        "one error, classic, unprotected": [r for r in one if r["classic"] and not r["protected"]],
        "one error, other, protected": [r for r in one if not r["classic"] and r["protected"]],
        "one error, other, unprotected": [r for r in one if not r["classic"] and not r["protected"]],
        "two errors": [r for r in shaped if r["errors"] == 2],
        "three or more": [r for r in shaped if r["errors"] >= 3],
    }
    return {
        "images": len(rows),
        "read": sum(r["read"] for r in rows),
        "read with the true shape": len(shaped),
        "groups": {
            name: {
                "readings": len(g),
                "with probabilities": _table(g, "with_probabilities"),
                "plain text": _table(g, "plain_text"),
            }
            for name, g in groups.items()
        },
        "median seconds": float(np.median([r["seconds"] for r in rows])) if rows else 0.0,
    }


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f} %" if d else "—"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--count", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=31000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.count < 1 or args.workers < 1:
        ap.error("--count and --workers must be at least 1")
    if args.seed < 0:
        ap.error("--seed must be 0 or more (it seeds the generator)")
    seeds = range(args.seed, args.seed + args.count)
    with Pool(args.workers, initializer=_init) as pool:
        rows = pool.map(_one, seeds, chunksize=8)
    result = {"machine": machine(), "seed": args.seed, "count": args.count, **summarise(rows)}
    shaped = result["read with the true shape"]
    print(f"images {result['images']}, MRZ read {result['read']}, with the true shape {shaped}")
    for name, g in result["groups"].items():
        n = g["readings"]
        for how in ("with probabilities", "plain text"):
            t = g[how]
            cells = ", ".join(f"{o} {t[o]} ({_pct(t[o], n)})" for o in OUTCOMES)
            print(f"{name:30s} {n:5d}  {how:18s} {cells}")
    print(f"median seconds per image {result['median seconds']:.3f}")
    print(f"machine: {result['machine']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"result": result, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
