"""Train the MRZ cell model (``mrz_altered``: was this character cell altered after printing?) and export it
to ONNX. **An experiment, not shipped** (``README.md`` beside this script says why); the ONNX file goes to
``models/mrz_altered/.cache/``.

Reproducible from a seed, CPU only:

    .venv/bin/pip install -e ".[train]"
    .venv/bin/python models/mrz_altered/train.py --seed 51 --documents 1500 --validation 150 --epochs 8

Data (synthetic, generated here, cached in ``models/mrz_altered/.cache/``): for each seed ``seed·10⁶ + i`` one
fictitious document of ``docverify.synth`` (the five ICAO layouts in turn) is rendered and captured twice *with
the same capture stream* — genuine, and with MRZ characters scraped and printed again (``mrz.recomputed``
55 %, ``mrz.pitch_anomaly`` 25 %, ``mrz.broken_check_digit`` 20 %; each erases the old print in one of the
generator's four ways: the blank page restored, a background patch from elsewhere, a flat fill, inpainting) —
as a flatbed scan (40 %) or a phone photo (60 %), stored as its image file would be and decoded again. Each
capture goes through the reader (:func:`~docverify.mrz.image.scan_image`) and every line read exactly right
through :func:`docverify.mrz.conformity.measure_line`; every cell's window is cut by
:func:`cell_windows` below, as a run-time integration would. A cell is *altered* when its centre lies
in one of the forgery's recorded regions (the cells scraped and the ink printed). Training keeps every altered
cell, the unaltered cells beside them, four other cells of the forged capture and eight of the genuine one;
validation keeps every cell (document-level figures).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from docverify.io import load_pages
from docverify.models import detection_metrics
from docverify.mrz.conformity import measure_line
from docverify.mrz.image import scan_image
from docverify.mrz.recognizer import MRZRecognizer
from docverify.results import MRZFormat
from docverify.synth.capture import capture
from docverify.synth.dataset import _streams, apply_forgery, render_sample

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
FORMATS = [MRZFormat.TD1, MRZFormat.TD2, MRZFormat.TD3, MRZFormat.MRVA, MRZFormat.MRVB]
CONDITIONS = (("flatbed", 0.4), ("phone", 0.6))
KINDS = (("mrz.recomputed", 0.55), ("mrz.pitch_anomaly", 0.25), ("mrz.broken_check_digit", 0.2))
_OCR: dict[str, MRZRecognizer] = {}

# --- the model's input: pure pre-processing, as a run-time integration would use it ---------------------

CAP = 32.0
"""Capital height (px) every window is scaled to."""
WINDOW = (64, 96)
"""(height, width) of a cell's window: two capital heights (1.5 above the baseline, 0.5 below) by three,
centred on the cell."""
DETAIL_SIGMA = 2.0
"""Gaussian sigma (px at :data:`CAP`) of the light taken off for the detail channel."""
PAPER_INK = 0.1
"""Where a line's ink (:attr:`~docverify.mrz.conformity.LineMeasure.ink`) is under this, the pixel is paper
for the line's statistics."""


def line_channels(image: npt.NDArray[np.uint8], ink: npt.NDArray[Any], cap: float) -> npt.NDArray[np.float32]:
    """A line crop (H×W uint8 gray, dark print on light paper; ``ink`` H×W 0…1, ``cap`` its capitals' height in
    px) as the model's two channels (H×W×2 float32): the tone, 0 at the line's paper and −1 at its ink; and
    the detail (the crop less its light, σ :data:`DETAIL_SIGMA` at :data:`CAP`) over the line's spread of
    detail on paper (robust), clipped to ±4."""
    g = image.astype(np.float32)
    paper = ink < PAPER_INK if ink.shape == g.shape else np.ones(g.shape, bool)
    if paper.sum() < 50:
        paper = np.ones(g.shape, bool)
    level = float(np.percentile(g[paper], 60))
    dark = float(np.percentile(g, 2))
    tone = np.clip((g - level) / max(level - dark, 16.0), -1.5, 0.5)
    detail = g - cv2.GaussianBlur(g, (0, 0), DETAIL_SIGMA * cap / CAP)
    d = detail[paper]
    spread = 1.4826 * float(np.median(np.abs(d - np.median(d)))) + 0.5
    out = np.empty((*g.shape, 2), np.float32)
    out[..., 0] = tone
    out[..., 1] = np.clip(detail / spread, -4.0, 4.0)
    return out


def cell_windows(
    crops: Sequence[Any], measures: Sequence[Any]
) -> tuple[npt.NDArray[np.float32], list[tuple[int, int]]]:
    """Every measured cell's window (N×2×h×w float32, :data:`WINDOW`, channels of :func:`line_channels`) and
    its (line, position), reading order. Per line, top line first: ``crops`` (H×W uint8 gray) and their
    ``measures`` (glyph centres, baselines and cap heights in crop pixels; the ink map)."""
    h, w = WINDOW
    windows: list[npt.NDArray[np.float32]] = []
    where: list[tuple[int, int]] = []
    for li, (crop, m) in enumerate(zip(crops, measures, strict=True)):
        caps = m.cap[np.isfinite(m.cap)]
        if caps.size == 0:
            continue
        cap = float(np.median(caps))
        if cap < 4:
            continue
        channels = line_channels(crop.image, m.ink, cap)
        k = CAP / cap
        for i, (x, base) in enumerate(zip(m.x, m.baseline, strict=True)):
            if not (np.isfinite(x) and np.isfinite(base)):
                continue
            centre_y = float(base) - 0.5 * cap
            mat = np.array([[k, 0.0, w / 2 - k * float(x)], [0.0, k, h / 2 - k * centre_y]], np.float64)
            win = cv2.warpAffine(channels, mat, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            windows.append(np.ascontiguousarray(np.transpose(win, (2, 0, 1))))
            where.append((li, i))
    if not windows:
        return np.zeros((0, 2, h, w), np.float32), []
    return np.stack(windows).astype(np.float32), where


def _cells(
    image: np.ndarray, lines: tuple[str, ...], regions: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Windows (N×2×h×w float16) and labels (N, 1: altered) of every cell of the lines read exactly as
    ``lines``; ``regions``: the forgery's quads in image pixels."""
    ocr = _OCR.setdefault("ocr", MRZRecognizer())
    reading = scan_image(image, ocr, reference_date=dt.date(2026, 1, 1)).reading
    if reading is None or len(reading.crops) != len(lines):
        return None
    crops, measures = [], []
    for i, (crop, text, centres) in enumerate(zip(reading.crops, reading.result.lines, reading.centres, strict=True)):
        if text != lines[i]:
            continue
        m = measure_line(crop, text, centres)
        if m is not None:
            crops.append(crop)
            measures.append(m)
    if not measures:
        return None
    windows, where = cell_windows(crops, measures)
    labels = np.zeros(len(where), np.uint8)
    for k, (li, pos) in enumerate(where):
        m, crop = measures[li], crops[li]
        cap = float(np.nanmedian(m.cap))
        x, y = float(m.x[pos]), float(m.baseline[pos]) - 0.5 * cap
        ox, oy = crop.to_original @ np.array([x, y, 1.0])
        labels[k] = any(cv2.pointPolygonTest(q, (float(ox), float(oy)), False) >= 0 for q in regions)
    return windows.astype(np.float16), labels


def _one(job: tuple[int, bool]) -> dict[str, Any] | None:
    """The cells of document ``seed``, genuine and altered, from one capture stream."""
    seed, validation = job
    rng = np.random.default_rng(seed)
    fmt = FORMATS[seed % len(FORMATS)]
    names, weights = zip(*CONDITIONS, strict=True)
    condition = str(rng.choice(names, p=weights))
    kinds, kw = zip(*KINDS, strict=True)
    kind = str(rng.choice(kinds, p=kw))
    doc = render_sample(seed, fmt)
    forged = apply_forgery(doc, kind, _streams(seed)[2])
    out: dict[str, Any] = {
        "windows": [],
        "labels": [],
        "forged": [],
        "seed": seed,
        "condition": condition,
        "kind": kind,
    }
    for is_forged, page in ((False, doc), (True, forged)):
        shot = capture(page, condition, _streams(seed)[3])
        regions = [np.array(q, np.float32) for q in shot.truth.forgeries[-1].regions] if is_forged else []
        got = _cells(load_pages(shot.encode())[0].image, tuple(page.truth.mrz_lines), regions)
        if got is None:
            continue
        windows, labels = got
        if not validation:
            keep = set(np.flatnonzero(labels).tolist())
            for i in list(keep):
                keep |= {j for j in (i - 1, i + 1) if 0 <= j < len(labels)}
            others = np.setdiff1d(np.arange(len(labels)), list(keep))
            keep |= set(rng.choice(others, size=min(len(others), 4 if is_forged else 8), replace=False).tolist())
            idx = np.array(sorted(keep), np.intp)
            windows, labels = windows[idx], labels[idx]
        out["windows"].append(windows)
        out["labels"].append(labels)
        out["forged"].append(np.full(len(labels), is_forged, np.uint8))
    return out if out["windows"] else None


def build(first: int, count: int, workers: int, *, validation: bool) -> dict[str, np.ndarray]:
    """The cells of documents ``first``..``first+count`` (cached): ``windows`` (N×2×h×w float16), ``label``
    (N, 1: altered), ``capture`` (N, index of the capture: a document's genuine and forged captures are two),
    ``forged`` (per capture), ``condition`` and ``kind`` (per capture)."""
    path = CACHE / f"cells-{first}-{count}{'-val' if validation else ''}.npz"
    if path.exists():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    CACHE.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    windows, labels, capture_of, forged, cond, kinds = [], [], [], [], [], []
    jobs = [(s, validation) for s in range(first, first + count)]
    with multiprocessing.Pool(workers) as pool:
        for i, row in enumerate(pool.imap(_one, jobs, chunksize=2)):
            for w, lab, f in zip(row["windows"], row["labels"], row["forged"], strict=True) if row else ():
                windows.append(w)
                labels.append(lab)
                capture_of.append(np.full(len(lab), len(forged), np.int32))
                forged.append(int(f[0]))
                cond.append(row["condition"])
                kinds.append(row["kind"] if f[0] else "genuine")
            if (i + 1) % 100 == 0:
                n = sum(len(x) for x in labels)
                print(f"  {i + 1}/{count} documents, {n} cells, {time.time() - t0:.0f} s", flush=True)
    data = {
        "windows": np.concatenate(windows),
        "label": np.concatenate(labels),
        "capture": np.concatenate(capture_of),
        "forged": np.asarray(forged, np.uint8),
        "condition": np.asarray(cond),
        "kind": np.asarray(kinds),
    }
    np.savez(path, **data)
    return data


# --- the model ---------------------------------------------------------------------------------------


def _torch() -> Any:
    import torch  # noqa: PLC0415 - training only

    return torch


def make_model(widths: tuple[int, ...] = (16, 32, 48, 64)) -> Any:
    """A small CNN on one cell's window (2 × h × w): 3×3 convs, the last three of stride 2, mean- and
    max-pooled, one logit (altered)."""
    torch = _torch()
    nn = torch.nn

    class CellNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[Any] = []
            c = 2
            for i, w in enumerate(widths):
                stride = 1 if i == 0 else 2
                layers += [nn.Conv2d(c, w, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
                c = w
            self.features = nn.Sequential(*layers)
            self.head = nn.Linear(2 * c, 1)

        def forward(self, x: Any) -> Any:
            f = self.features(x)
            return self.head(torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1))

    return CellNet()


def _augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Training augmentation (both classes alike): left–right flips, a shift of up to two pixels, a little
    noise on the detail channel."""
    out = x.astype(np.float32)
    flip = rng.random(len(out)) < 0.5
    out[flip] = out[flip, :, :, ::-1]
    dx, dy = (int(v) for v in rng.integers(-2, 3, 2))
    out = np.roll(out, (dy, dx), (2, 3))
    out[:, 1] += rng.normal(0, 0.15, out[:, 1].shape).astype(np.float32)
    return np.ascontiguousarray(out)


def _logits(model: Any, x: np.ndarray) -> np.ndarray:
    torch = _torch()
    model.eval()
    with torch.no_grad():
        return np.concatenate(
            [model(torch.from_numpy(x[i : i + 1024].astype(np.float32)))[:, 0].numpy() for i in range(0, len(x), 1024)]
        )


def evaluate(model: Any, data: dict[str, np.ndarray]) -> dict[str, Any]:
    """Cell-level ROC-AUC, and per condition the document score (the highest cell logit of a capture): AUC
    and detection at the 1 % false-alarm level of the genuine captures, per forgery kind."""
    logits = _logits(model, data["windows"])
    y = data["label"]
    out: dict[str, Any] = {"cells": detection_metrics(logits[y == 0], logits[y == 1])}
    n = len(data["forged"])
    top = np.full(n, -np.inf)
    np.maximum.at(top, data["capture"], logits)
    cond, kind = data["condition"], data["kind"]
    for c in sorted(set(cond.tolist())):
        neg = top[(cond == c) & (kind == "genuine")]
        entry: dict[str, Any] = {"genuine": len(neg)}
        for k in sorted(set(kind.tolist()) - {"genuine"}):
            pos = top[(cond == c) & (kind == k)]
            if len(neg) and len(pos):
                entry[k] = {"captures": len(pos), **detection_metrics(neg, pos)}
        out[c] = entry
    return out


def train(
    data: dict[str, np.ndarray], val: dict[str, np.ndarray], args: argparse.Namespace
) -> tuple[Any, dict[str, Any]]:
    torch = _torch()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x, y = data["windows"], data["label"].astype(np.float32)
    w = np.where(y == 1, 0.5 / max(y.mean(), 1e-6), 0.5 / max(1 - y.mean(), 1e-6)).astype(np.float32)
    model = make_model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    per_epoch = len(x) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.epochs * per_epoch)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(x))
        total = 0.0
        for b in range(per_epoch):
            idx = np.sort(order[b * args.batch : (b + 1) * args.batch])
            xb = torch.from_numpy(_augment(x[idx], rng))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                model(xb)[:, 0], torch.from_numpy(y[idx]), weight=torch.from_numpy(w[idx])
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        metrics = evaluate(model, val)
        print(
            f"epoch {epoch + 1}: loss {total / per_epoch:.4f} val {json.dumps(metrics)} {time.time() - t0:.0f} s",
            flush=True,
        )
        torch.save(model.state_dict(), CACHE / f"mrz_altered-{args.seed}.pt")
    return model, {
        "validation": evaluate(model, val),
        "train_cells": len(y),
        "train_altered_cells": int(y.sum()),
        "seconds": round(time.time() - t0),
    }


def export(model: Any, metrics: dict[str, Any], args: argparse.Namespace) -> None:
    from docverify.models import record_trained  # noqa: PLC0415

    torch = _torch()
    model.eval()
    out = CACHE / "mrz_altered.onnx"  # an experiment: not shipped (see README.md)
    h, w = WINDOW
    torch.onnx.export(
        model,
        (torch.zeros(1, 2, h, w),),
        str(out),
        input_names=["cells"],
        output_names=["logit"],
        dynamic_axes={"cells": {0: "n"}, "logit": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    card = {
        "model": "mrz_altered",
        "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
        "size_bytes": out.stat().st_size,
        "labels": "logit of an MRZ cell altered after printing",
        "seed": args.seed,
        "documents": args.documents,
        "validation_documents": args.validation,
        "epochs": args.epochs,
        "input": [1, 2, h, w],
        **metrics,
    }
    record_trained("mrz_altered", out, card, HERE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=51)
    ap.add_argument("--documents", type=int, default=1500)
    ap.add_argument("--validation", type=int, default=150)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--build-only", action="store_true")
    args = ap.parse_args()
    first = args.seed * 1_000_000
    data = build(first, args.documents, args.workers, validation=False)
    val = build(first + args.documents, args.validation, args.workers, validation=True)
    if args.build_only:
        return 0
    _torch().set_num_threads(args.workers)
    model, metrics = train(data, val, args)
    export(model, metrics, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
