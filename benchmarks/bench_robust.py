"""Reading real documents under harder captures: the real specimens, each changed as a phone or scanner might.

Run: ``.venv/bin/python benchmarks/bench_robust.py [--kinds a,b,...] [--workers 2] [--json OUT]``

Every image of ``../shared/specimens`` with an MRZ is changed in one way at a time (the changes are
synthetic; the documents are real) and read by the whole check (``Verifier``, reference date 2026-01-01);
an image counts as read exactly when its MRZ text equals the ground truth; the documents are genuine, so an
authenticity finding above ``info`` on one is a false alarm (the original images have one, on
``fastmrz__passport_uk``, see RESULTS). The changes:

==============  =======================================================================================
``original``    the image as it is
``rot<A>``      turned by A degrees (the corners filled grey)
``half``        half the pixels on each side (``INTER_AREA``)
``blur``        Gaussian blur, sigma 1.5 px
``jpeg30``      stored as JPEG at quality 30
``noise``       Gaussian noise, sigma 12 grey levels
``dark``        45 % of the light
``gradient``    light falling from 110 % at the right edge to 35 % at the left
``shadow``      a sharp-edged shadow at 45 % of the light across the page, slanted
``soft-shadow`` the same with an edge 6 % of the width wide
``perspective`` seen at an angle (one corner moved in by 12 % of the sides)
``far<F>``      a 4,000 × 3,000 photo in which the document takes 1/F of the width (at most twice its
                own pixels), on a dull green surround; ``far<F>-dark`` on a near-black one
``cut-right``   the image cut off at 80 % of the MRZ's length, as found in the unchanged image (the end
                of every MRZ line outside the frame); ``cut-left`` likewise at 15 % (the start)
``mirror``      mirrored left to right (a webcam that mirrors its picture)
==============  =======================================================================================

Every row also records the verdict; for the ``cut`` changes an exact reading is impossible and the verdict
(``inconclusive``, a retake, rather than ``fail``) is what is measured.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import statistics
import sys
import time
import zlib
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from machine import machine

HERE = Path(__file__).resolve().parent
SPECIMENS = HERE.parent.parent / "shared" / "specimens"
REF = dt.date(2026, 1, 1)
KINDS = (
    "original",
    "rot90",
    "rot180",
    "rot7",
    "rot-23",
    "rot137",
    "half",
    "blur",
    "jpeg30",
    "noise",
    "dark",
    "gradient",
    "shadow",
    "soft-shadow",
    "perspective",
    "far2",
    "far3",
    "far4",
    "far5",
    "far3-dark",
    "far5-dark",
    "cut-right",
    "cut-left",
    "mirror",
)

Image = npt.NDArray[np.uint8]


def _turned(img: Image, angle: float) -> Image:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * s + w * c), int(h * c + w * s)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return np.asarray(cv2.warpAffine(img, m, (nw, nh), borderValue=(128, 128, 128)), dtype=np.uint8)


def _lit(img: Image, gain: npt.NDArray[np.float64]) -> Image:
    return np.asarray(np.clip(img * gain[..., None], 0, 255), dtype=np.uint8)


def _shadow(img: Image, soft: float) -> Image:
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    edge = (xx - w * 0.55) * 0.9 + (yy - h * 0.5) * 0.45
    return _lit(img, 0.45 + 0.55 / (1 + np.exp(np.clip(edge / max(2.0, soft * w), -50, 50))))


def _far(img: Image, share: int, surround: tuple[int, int, int]) -> Image:
    h, w = img.shape[:2]
    s = min(2.0, 4000 / share / w)
    small = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_CUBIC if s > 1 else cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    out = np.empty((max(3000, sh), 4000, 3), np.uint8)
    out[:] = surround
    y, x = (out.shape[0] - sh) // 2, (4000 - sw) // 2
    out[y : y + sh, x : x + sw] = small
    return out


def changed(img: Image, kind: str, rng: np.random.Generator) -> Image:
    """``img`` (H×W×3 BGR uint8) changed as ``kind`` says (see the module's table)."""
    h, w = img.shape[:2]
    if kind == "original":
        return img
    if kind.startswith("rot"):
        return _turned(img, float(kind[3:]))
    if kind == "half":
        return np.asarray(cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    if kind == "mirror":
        return np.ascontiguousarray(img[:, ::-1])
    if kind == "blur":
        return np.asarray(cv2.GaussianBlur(img, (0, 0), 1.5), dtype=np.uint8)
    if kind == "jpeg30":
        _, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 30])
        return np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), dtype=np.uint8)
    if kind == "noise":
        return np.asarray(np.clip(img + rng.normal(0, 12, img.shape), 0, 255), dtype=np.uint8)
    if kind == "dark":
        return _lit(img, np.full((h, w), 0.45))
    if kind == "gradient":
        return _lit(img, np.broadcast_to(np.linspace(0.35, 1.1, w)[None, :], (h, w)))
    if kind in ("shadow", "soft-shadow"):
        return _shadow(img, 0.01 if kind == "shadow" else 0.06)
    if kind == "perspective":
        d = 0.12
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        dst = np.array([[w * d, h * d * 0.5], [w * (1 - d * 0.3), 0], [w, h], [0, h * (1 - d * 0.2)]], np.float32)
        m = cv2.getPerspectiveTransform(src, dst)
        return np.asarray(cv2.warpPerspective(img, m, (w, h), borderValue=(128, 128, 128)), dtype=np.uint8)
    if kind.startswith("far"):
        share = int(kind[3:].split("-", maxsplit=1)[0])
        return _far(img, share, (30, 30, 30) if kind.endswith("-dark") else (90, 110, 100))
    raise ValueError(f"unknown change {kind!r}")


def _known_form(kind: str) -> bool:
    """Whether ``kind`` is ``rot<degrees>`` or ``far<F>`` / ``far<F>-dark`` with other numbers than the defaults."""
    if kind.startswith("rot"):
        try:
            float(kind[3:])
        except ValueError:
            return False
        return True
    share = kind[3:].removesuffix("-dark")
    return share.isdigit() and int(share) >= 1


_state: dict[str, Any] = {}


def _init() -> None:
    from docverify import Verifier, VerifierConfig

    _state["verifier"] = Verifier(config=VerifierConfig(reference_date=REF))


def _cut(img: Image, kind: str) -> Image | None:
    """``img`` cut through its MRZ (``cut-right``: at 80 % of its length; ``cut-left``: at 15 %), the MRZ
    found by reading the unchanged image; None when it is not read there."""
    _, data = cv2.imencode(".png", img)
    polygon = _state["verifier"].verify(data.tobytes()).mrz_polygon
    if not polygon:
        return None
    xs = [x for x, _ in polygon]
    x = round(min(xs) + (0.8 if kind == "cut-right" else 0.15) * (max(xs) - min(xs)))
    return np.ascontiguousarray(img[:, :x] if kind == "cut-right" else img[:, x:])


def _one(item: tuple[str, list[str], str]) -> dict[str, Any]:
    file, truth, kind = item
    img = cv2.imread(str(SPECIMENS / "images" / file), cv2.IMREAD_COLOR)
    rng = np.random.default_rng(zlib.crc32(f"{file} {kind}".encode()))
    if kind.startswith("cut-"):
        cut = _cut(img, kind)
        if cut is None:
            return {
                "file": file,
                "kind": kind,
                "read": False,
                "exact": False,
                "authenticity_warnings": [],
                "seconds": 0.0,
                "verdict": None,
            }
        _, data = cv2.imencode(".png", cut)
    else:
        _, data = cv2.imencode(".png", changed(img, kind, rng))
    start = time.perf_counter()
    report = _state["verifier"].verify(data.tobytes())
    seconds = time.perf_counter() - start
    lines = list(report.mrz.lines) if report.mrz is not None else None
    warned = sorted(
        {f.code for f in report.findings if f.category.value == "authenticity" and f.severity.value != "info"}
    )
    return {
        "file": file,
        "kind": kind,
        "read": lines is not None,
        "exact": lines == truth,
        "authenticity_warnings": warned,
        "seconds": seconds,
        "verdict": report.verdict.value,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated changes (default: all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if not (SPECIMENS / "ground_truth.json").exists():
        print(f"no specimens at {SPECIMENS}", file=sys.stderr)
        return 2
    truth = [r for r in json.loads((SPECIMENS / "ground_truth.json").read_text()) if r.get("mrz_lines")]
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = [k for k in kinds if k not in KINDS and not (k.startswith(("rot", "far")) and _known_form(k))]
    if args.workers < 1:
        ap.error("--workers must be at least 1")
    if not kinds or unknown:
        ap.error(f"unknown change(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(KINDS)}")
    items = [(r["file"], r["mrz_lines"], k) for k in kinds for r in truth]
    with Pool(args.workers, initializer=_init) as pool:
        rows = pool.map(_one, items, chunksize=2)
    result: dict[str, Any] = {"machine": machine(), "specimens": len(truth), "kinds": {}}
    for kind in kinds:
        mine = [r for r in rows if r["kind"] == kind]
        summary = {
            "exact": sum(r["exact"] for r in mine),
            "read": sum(r["read"] for r in mine),
            "images": len(mine),
            "median_s": round(statistics.median(r["seconds"] for r in mine), 3),
            "with_authenticity_warning": sum(bool(r["authenticity_warnings"]) for r in mine),
            "not_exact": sorted(r["file"] for r in mine if not r["exact"]),
            "verdicts": dict(collections.Counter(str(r["verdict"]) for r in mine)),
        }
        result["kinds"][kind] = summary
        print(
            f"{kind:12s} read exactly {summary['exact']:2d} / {summary['images']}  (an MRZ read: {summary['read']})"
            f"  authenticity warning {summary['with_authenticity_warning']:2d}  median {summary['median_s']:.2f} s"
            f"  verdicts {summary['verdicts']}"
        )
    print("machine:", result["machine"])
    if args.json:
        args.json.write_text(json.dumps({"result": result, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
