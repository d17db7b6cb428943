"""Reading the MRZ from images: docverify (and, with --peers, PassportEye and FastMRZ) on the same images.

Run: ``.venv/bin/python benchmarks/bench_read.py [--generated N] [--seed S] [--peers] [--json OUT]``

Image sets:
- ``../shared/specimens`` (real specimen images with MRZ ground truth; skipped when absent);
- generated documents (synthetic, ``docverify.synth``) per capture condition: flatbed, rotated, phone,
  ``N`` per condition, with a seed; written to a temporary folder so every engine reads the same files.

Measured per engine and set: MRZ found, all key fields right (document number, birth and expiry dates,
nationality, issuing state, sex, names), character accuracy on the MRZ text (when the line shape matches),
"check digits valid but data wrong", median / p95 seconds per image (the whole check, file to result,
warm), and for docverify the recognition time per image (model and decoding, all tries). Peers run in their own virtual
environment (``benchmarks/.peers/venv``, created by ``--peers``), never as docverify dependencies.

docverify runs as shipped (the whole check, every forgery cue) and as ``--mrz-only`` (locate, read, repair,
validate: the job the peers do). Run the command with ``OMP_THREAD_LIMIT=1``: the peers' tesseract is fastest with
one thread (its OpenMP threads busy-wait against each other on a small machine); ``--cv-threads 1`` also keeps
docverify on one thread (OpenCV and the models).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from machine import machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
REF = dt.date(2026, 1, 1)
KEY_FIELDS = ("document_number", "birth_date_raw", "expiry_date_raw", "nationality", "issuing_state", "sex")


def key_fields(lines: list[str]) -> dict[str, Any] | None:
    """The key fields of MRZ lines, decoded by docverify's parser without repair (the judge)."""
    from docverify import InputError, read_mrz

    try:
        r = read_mrz(lines, reference_date=REF, repair_text=False)
    except InputError:
        return None
    f = r.fields
    out: dict[str, Any] = {k: getattr(f, k) for k in KEY_FIELDS}
    out["names"] = (f.surname, f.given_names)
    out["format"] = r.format.value
    out["check_digits_ok"] = all(c.ok for c in r.check_digits)
    return out


def score(truth: list[str], read: list[str] | None) -> dict[str, Any]:
    found = bool(read)
    exact = found and read == truth
    t, g = key_fields(truth), (key_fields(read) if read else None)
    fields_right = bool(t and g and all(t[k] == g[k] for k in (*KEY_FIELDS, "names")))
    chars = correct = 0
    if read and len(read) == len(truth) and all(len(a) == len(b) for a, b in zip(read, truth, strict=True)):
        chars = sum(len(x) for x in truth)
        correct = sum(a == b for x, y in zip(read, truth, strict=True) for a, b in zip(x, y, strict=True))
    else:
        chars = sum(len(x) for x in truth)
    cd_valid_wrong = bool(g and g["check_digits_ok"] and not fields_right)
    return {
        "found": found,
        "exact": exact,
        "fields_right": fields_right,
        "chars": chars,
        "chars_correct": correct,
        "cd_valid_data_wrong": cd_valid_wrong,
    }


class Timed:
    """An OCR backend that adds the time spent in ``read_lines`` (the recognition proper: model and
    decoding, for every line, character count and direction tried) to ``clock[0]``."""

    def __init__(self, inner: Any, clock: list[float]) -> None:
        self.inner, self.clock = inner, clock
        self.name, self.cell_aligned = inner.name, inner.cell_aligned
        inner_engines = getattr(inner, "engines", None)
        self.engines = tuple(Timed(e, clock) for e in inner_engines) if inner_engines else None

    def read_lines(self, crops: Any, count: int | None = None) -> Any:
        t0 = time.perf_counter()
        try:
            return self.inner.read_lines(crops, count)
        finally:
            self.clock[0] += time.perf_counter() - t0


RECOGNITION: dict[str, list[float]] = {}
"""Recognition seconds per image of the last docverify run, by engine (for the summary)."""


def run_docverify(images: list[Path], engine: str = "model") -> list[tuple[list[str] | None, float]]:
    from docverify.mrz.recognizer import CellRecognizer, LineRecognizer, MRZRecognizer
    from docverify.ocr import OCRBackend, TesseractBackend
    from docverify.pipeline import Verifier, VerifierConfig

    backends: dict[str, OCRBackend] = {
        "model": MRZRecognizer(),  # the default: the line model
        "line+cell": MRZRecognizer(engines=(LineRecognizer(), CellRecognizer())),
        "cell": CellRecognizer(),
        "tesseract": TesseractBackend(),
    }
    clock = [0.0]
    base = engine.removesuffix("-mrz-only")  # the same reader without the forgery-cue stages
    config = VerifierConfig(reference_date=REF, mrz_only=base != engine)
    verifier = Verifier(ocr=Timed(backends[base], clock), config=config)
    verifier.verify(images[0])  # warm: models loaded, sessions created (a library user's steady state)
    out: list[tuple[list[str] | None, float]] = []
    RECOGNITION[engine] = []
    for path in images:
        t0 = time.perf_counter()
        clock[0] = 0.0
        try:
            mrz = verifier.verify(path).mrz
            lines = list(mrz.lines) if mrz is not None else None
        except Exception:
            lines = None
        out.append((lines, time.perf_counter() - t0))
        RECOGNITION[engine].append(clock[0])
    return out


PEER_WORKER = r"""
import json, sys, time
engine, tessdata = sys.argv[1], sys.argv[2]
paths = json.loads(sys.stdin.read())
results = []
if engine == "passporteye":
    from passporteye import read_mrz
    extra = f"--tessdata-dir {tessdata} -l mrz" if tessdata else ""
    for p in paths:
        t = time.perf_counter()
        try:
            m = read_mrz(p, extra_cmdline_params=extra) if extra else read_mrz(p)
            lines = [x for x in m.aux.get("raw_text", "").split("\n") if x] if m is not None else None
        except Exception:
            lines = None
        results.append([lines, time.perf_counter() - t])
elif engine == "fastmrz":
    from fastmrz import FastMRZ
    fm = FastMRZ(tessdata_path=tessdata) if tessdata else FastMRZ()
    for p in paths:
        t = time.perf_counter()
        try:
            text = fm.get_details(p, input_type="imagepath", ignore_parse=True)
            lines = [x for x in str(text).replace(" ", "").splitlines() if x] if text else None
        except Exception:
            lines = None
        results.append([lines, time.perf_counter() - t])
print(json.dumps(results))
"""


def run_peer(engine: str, images: list[Path], tessdata: str) -> list[tuple[list[str] | None, float]]:
    py = HERE / ".peers" / "venv" / "bin" / "python"
    env = dict(os.environ)
    # tesseract's OpenMP threads busy-wait against each other on a small machine: one thread is the peers'
    # best configuration (PassportEye 0.18 s against 0.85 s a specimen here, measured 2026-11-23)
    env.setdefault("OMP_THREAD_LIMIT", "1")
    if tessdata:
        env["TESSDATA_PREFIX"] = tessdata
    proc = subprocess.run(
        [str(py), "-c", PEER_WORKER, engine, tessdata],
        input=json.dumps([str(p) for p in images]),
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
        check=False,
    )
    if proc.returncode != 0:
        print(f"{engine} failed: {proc.stderr[-2000:]}", file=sys.stderr)
        return [(None, 0.0) for _ in images]
    return [(r[0], r[1]) for r in json.loads(proc.stdout)]


def ensure_peers() -> None:
    venv = HERE / ".peers" / "venv"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "passporteye", "fastmrz"], check=True, timeout=1800)


def summarise(rows: list[dict[str, Any]], times: list[float]) -> dict[str, Any]:
    n = len(rows)
    chars = sum(r["chars"] for r in rows)
    ordered = sorted(times)
    return {
        "images": n,
        "mrz_found": sum(r["found"] for r in rows),
        "all_key_fields_right": sum(r["fields_right"] for r in rows),
        "exact_mrz": sum(r["exact"] for r in rows),
        "char_accuracy": round(sum(r["chars_correct"] for r in rows) / chars, 4) if chars else None,
        "cd_valid_but_data_wrong": sum(r["cd_valid_data_wrong"] for r in rows),
        "median_s": round(statistics.median(ordered), 3) if ordered else None,
        "p95_s": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3) if ordered else None,
    }


ENGINE_KEYS = {
    "docverify (default: line model)": "model",
    "docverify (default, --mrz-only)": "model-mrz-only",
    "docverify (line model, cell model 2nd)": "line+cell",
    "docverify (cell model only)": "cell",
    "docverify (--ocr tesseract)": "tesseract",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--generated", type=int, default=40, help="generated images per capture condition")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--peers", action="store_true", help="also run PassportEye and FastMRZ (own venv)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--only", default="", help="run only the image sets whose name contains this text")
    ap.add_argument("--engines", default="", help="comma-separated parts of docverify engine names to run")
    ap.add_argument(
        "--cv-threads",
        type=int,
        default=None,
        help="OpenCV's and the models' threads for docverify (default: OpenCV's own choice, one per core, and "
        "the models' 2; 1 = one core, as the peers' tesseract runs with OMP_THREAD_LIMIT=1)",
    )
    args = ap.parse_args()
    import cv2

    from docverify.mrz.recognizer import model_threads, set_threads

    if args.cv_threads is not None:
        set_threads(args.cv_threads)

    sets: dict[str, list[tuple[Path, list[str]]]] = {}
    spec = SHARED / "specimens"
    if (spec / "ground_truth.json").exists():
        truth = json.loads((spec / "ground_truth.json").read_text())
        sets["specimens (real)"] = [(spec / "images" / r["file"], r["mrz_lines"]) for r in truth if r["mrz_lines"]]
    tmp = Path(tempfile.mkdtemp(prefix="docverify-bench-"))
    from docverify.results import MRZFormat
    from docverify.synth.dataset import synthesize

    formats = [MRZFormat.TD1, MRZFormat.TD2, MRZFormat.TD3, MRZFormat.MRVA, MRZFormat.MRVB]
    for condition in ("flatbed", "rotated", "phone"):
        items = []
        for i in range(args.generated):
            seed = args.seed + i
            cap = synthesize(seed, formats[i % len(formats)], condition)
            path = tmp / f"{condition}_{i:04d}{cap.suffix}"
            path.write_bytes(cap.encode())
            items.append((path, list(cap.truth.mrz_lines)))
        sets[f"generated {condition} (synthetic)"] = items

    sets = {k: v for k, v in sets.items() if args.only in k}
    engines: dict[str, Any] = {name: functools.partial(run_docverify, engine=key) for name, key in ENGINE_KEYS.items()}
    if args.engines:
        engines = {k: v for k, v in engines.items() if any(e in k for e in args.engines.split(","))}
    if args.peers:
        ensure_peers()
        tessdata = str(SHARED / "tessdata") if (SHARED / "tessdata" / "mrz.traineddata").exists() else ""
        engines["passporteye (mrz.traineddata)"] = lambda imgs: run_peer("passporteye", imgs, tessdata)
        engines["fastmrz (mrz.traineddata)"] = lambda imgs: run_peer("fastmrz", imgs, tessdata)

    result: dict[str, Any] = {
        "machine": machine(),
        "reference_date": REF.isoformat(),
        "opencv_threads": cv2.getNumThreads(),
        "model_threads": model_threads(),
        "results": {},
    }
    for engine, fn in engines.items():
        for name, items in sets.items():
            outs = fn([p for p, _ in items])
            rows = [score(t, read) for (_, t), (read, _) in zip(items, outs, strict=True)]
            summary = summarise(rows, [s for _, s in outs])
            engine_key = ENGINE_KEYS.get(engine)
            if engine_key in RECOGNITION:
                rec = sorted(RECOGNITION.pop(engine_key))
                summary["recognition_ms_median"] = round(1000 * statistics.median(rec), 1)
                summary["recognition_ms_p95"] = round(1000 * rec[min(len(rec) - 1, int(0.95 * len(rec)))], 1)
            result["results"].setdefault(name, {})[engine] = summary
            print(f"{engine:48s} {name:34s} {json.dumps(summary)}", flush=True)
    print(f"machine: {result['machine']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
