"""Reading MRZs from thumbnails: generated documents (synthetic) shrunk to 260–380 px wide (MRZ capitals about
4–7 px), read with and without the smoothing of strongly enlarged line crops
(:data:`docverify.mrz.recognizer.UPSAMPLED`).

    .venv/bin/python benchmarks/bench_thumbnails.py [--count 80] [--seed 930000]

Prints, per setting: MRZ found, exact MRZ, and "valid but wrong" (every check digit holds, the text differs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import cv2


def main() -> int:
    from docverify.mrz import recognizer
    from docverify.pipeline import Verifier, VerifierConfig
    from docverify.results import MRZFormat
    from docverify.synth.dataset import synthesize

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=80)
    ap.add_argument("--seed", type=int, default=930000)
    args = ap.parse_args()
    formats = [MRZFormat.TD1, MRZFormat.TD2, MRZFormat.TD3, MRZFormat.MRVA, MRZFormat.MRVB]
    images = []
    for i in range(args.count):
        cap = synthesize(args.seed + i, formats[i % len(formats)], "flatbed")
        h, w = cap.image.shape[:2]
        width = 260 + (i % 4) * 40
        small = cv2.resize(cap.image, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
        _, buf = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
        images.append((buf.tobytes(), list(cap.truth.mrz_lines)))
    shipped = recognizer.UPSAMPLED
    for label, threshold in (("smoothed (shipped)", shipped), ("not smoothed", 0.0)):
        recognizer.UPSAMPLED = threshold
        recognizer._recent.entry = None  # no logits cached from the other setting
        verifier = Verifier(config=VerifierConfig(reference_date=dt.date(2025, 1, 1)))
        found = exact = wrong = 0
        for data, truth in images:
            report = verifier.verify(data)
            if report.mrz is None:
                continue
            found += 1
            exact += list(report.mrz.lines) == truth
            wrong += report.mrz.valid and list(report.mrz.lines) != truth
        print(f"{label:20s} found {found}, exact {exact}, valid but wrong {wrong}, of {len(images)} (synthetic)")
    recognizer.UPSAMPLED = shipped
    return 0


if __name__ == "__main__":
    sys.exit(main())
