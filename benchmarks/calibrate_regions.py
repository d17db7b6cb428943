"""Calibrate the security-region models' thresholds (:class:`docverify.tamper.Thresholds`) on the
calibration split of the forgery benchmark (**synthetic**, seeds from 5100; the evaluation's seeds from
7300 are never used here).

    .venv/bin/python benchmarks/calibrate_regions.py [--count 300] [--forged 75] [--workers 2] [--json OUT]

For every genuine generated capture (``--count`` flatbed scans, twice as many phone photos) whose MRZ is
read, each model's logit on its region; the threshold of a model is the highest of its per-condition
quantiles at 1 − :data:`TARGET` (the share of genuine captures it may flag). Printed with the detection
those thresholds give on ``--forged`` portrait-substituted and reprinted captures of the same split, and
the ROC-AUC.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np

from bench_forgery import KINDS, OTHER_KINDS, auc, dataset
from machine import machine

TARGET = {"flatbed": 0.005, "phone": 0.005}
"""The share of genuine captures per condition one model may flag."""
FORGED = {"portrait": "portrait.substituted", "reprint": "reprint"}
_state: dict[str, Any] = {}


def _logits(path: str) -> dict[str, float] | None:
    from docverify.io import load_pages
    from docverify.mrz.image import scan_image
    from docverify.mrz.recognizer import MRZRecognizer
    from docverify.regions import reading_frame
    from docverify.tamper import MODELS, model_logit

    ocr = _state.setdefault("ocr", MRZRecognizer())
    image = load_pages(path)[0].image
    reading = scan_image(image, ocr, reference_date=dt.date(2026, 1, 1)).reading
    if reading is None:
        return None
    frame = reading_frame(reading)
    return {name: model_logit(name, image, frame)[0] for name in MODELS}


def logits(folder: Path, workers: int) -> list[dict[str, float]]:
    paths = sorted(str(p) for p in folder.iterdir() if p.suffix in (".jpg", ".png"))
    with Pool(workers) as pool:
        return [r for r in pool.map(_logits, paths, chunksize=4) if r is not None]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--forged", type=int, default=75)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from docverify.tamper import MODELS

    genuine = {
        c: logits(dataset("calibration", c, "genuine", args.count * (2 if c == "phone" else 1)), args.workers)
        for c in TARGET
    }
    forged: dict[str, dict[str, list[dict[str, float]]]] = {}
    for name, kind in FORGED.items():
        index = len(KINDS) + OTHER_KINDS.index(kind)
        forged[name] = {
            c: logits(dataset("calibration", c, kind, args.forged, index=index), args.workers) for c in TARGET
        }
    out: dict[str, Any] = {"machine": machine(), "target": TARGET, "models": {}}
    for name in MODELS:
        per = {c: np.array([r[name] for r in rows]) for c, rows in genuine.items()}
        threshold = max(float(np.quantile(v, 1 - TARGET[c])) for c, v in per.items())
        entry: dict[str, Any] = {"threshold": round(threshold, 3), "conditions": {}}
        for c, v in per.items():
            pos = np.array([r[name] for r in forged.get(name, {}).get(c, [])])
            entry["conditions"][c] = {
                "genuine": len(v),
                "flagged_genuine": int((v >= threshold).sum()),
                "genuine_logit_quantiles": {q: round(float(np.quantile(v, q)), 3) for q in (0.5, 0.9, 0.99, 1.0)},
                "forged": len(pos),
                "detected": int((pos >= threshold).sum()) if len(pos) else None,
                "auc": auc(v.tolist(), pos.tolist()) if len(pos) else None,
            }
        out["models"][name] = entry
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
