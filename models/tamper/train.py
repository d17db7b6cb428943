"""Train the local-tampering model (a map of where the data page was altered) and export it to ONNX.

An experiment, not shipped: on real genuine documents it flags most pages (see README.md). CPU only:

    .venv/bin/pip install -e ".[train]"
    .venv/bin/python models/tamper/train.py --seed 31 --documents 2500 --epochs 40
    .venv/bin/python models/tamper/train.py --seed 31 --documents 2500 --from-checkpoint --specimens DIR

Data (synthetic, generated here, cached in ``models/tamper/.cache/``): for each seed
``600000 + seed·100000 + i`` one fictitious document of ``docverify.synth`` (the five ICAO layouts in turn),
its visual zone printed in a type family of :data:`FAMILIES`, is rendered once and captured *with the same
capture stream* genuine and with :data:`PER_DOCUMENT` forgeries drawn from :data:`FORGED` (a VIZ value
painted over and retyped), as a flatbed scan (30 %), a rotated scan (20 %) or a phone photo (50 %). So every
forged image has a genuine twin that differs only by the forgery. Each capture is stored as its image file
would be (JPEG 4:2:0 or PNG), decoded, read by :func:`~docverify.mrz.image.scan_image`, and the whole page is
cut upright from the MRZ's geometry at :data:`PAGE_PX_PER_MM`
(:meth:`docverify.regions.PageFrame.warp_page`); an image whose MRZ is not read is left out. The target is
the forgery's own regions (ground truth quads, through the capture and the page cut) as the share of each
output cell they cover. Validation documents use the next block of seeds; the benchmarks use seeds below
10000.

Model (:class:`TamperNet`): fully convolutional, three stride-2 blocks and two dilated blocks (receptive
field 111 px = 18 mm), one logit per 8 × 8 pixel cell (1.33 mm). Input RGB, each channel standardised over
the whole page (:func:`docverify.tamper.model_input`). Trained on 192 × 192 windows (most around a forged
region, the rest anywhere, genuine twins alike); loss: binary cross-entropy per cell, cells partly covered
(under half) ignored. Page score: the highest cell logit. Output: ``models/tamper/.cache/tamper.onnx`` (any
page size) and ``models/tamper/metrics.json``; ``--specimens`` also counts the real genuine documents of a
folder that the page score flags at the validation's 1 % false-alarm threshold.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import multiprocessing
import pickle
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from docverify.errors import InputError
from docverify.io import load_pages
from docverify.models import record_trained
from docverify.mrz.image import scan_image
from docverify.mrz.recognizer import MRZRecognizer
from docverify.regions import reading_frame
from docverify.results import MRZFormat
from docverify.synth import forgeries, render  # noqa: F401 - registers the forgeries
from docverify.synth.capture import capture
from docverify.synth.dataset import _streams, apply_forgery, render_sample
from docverify.tamper import model_input

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = HERE / ".cache"
FORMATS = [MRZFormat.TD1, MRZFormat.TD2, MRZFormat.TD3, MRZFormat.MRVA, MRZFormat.MRVB]
CONDITIONS = (("flatbed", 0.3), ("rotated", 0.2), ("phone", 0.5))
FORGED = (("viz.altered", 1.0),)
"""The forgeries drawn for the forged pages, with their weights."""
KINDS = ("genuine", *(k for k, _ in FORGED))
PER_DOCUMENT = 1
"""Forgeries per document, each on its own copy of the genuine page."""
FONT_DIR = Path("/usr/share/fonts/truetype")
FAMILIES = (
    ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    ("dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSansCondensed-Bold.ttf"),
    ("dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Bold.ttf"),
    ("liberation/LiberationSans-Regular.ttf", "liberation/LiberationSans-Bold.ttf"),
    ("liberation/LiberationSansNarrow-Regular.ttf", "liberation/LiberationSansNarrow-Bold.ttf"),
    ("liberation/LiberationSerif-Regular.ttf", "liberation/LiberationSerif-Bold.ttf"),
    ("freefont/FreeSans.ttf", "freefont/FreeSansBold.ttf"),
    ("freefont/FreeSerif.ttf", "freefont/FreeSerifBold.ttf"),
    ("croscore/Arimo-Regular.ttf", "croscore/Arimo-Bold.ttf"),
    ("croscore/Tinos-Regular.ttf", "croscore/Tinos-Bold.ttf"),
)
"""Type families (regular, bold) the genuine pages' visual zone is printed in, one drawn per document (those
installed): the generator always prints DejaVu Sans, and a model trained on that alone learns "another
font" instead of "altered" (it flagged 38 of 42 real specimens)."""
PAGE_PX_PER_MM = 6.0
"""Resolution of the whole-page cut (true millimetres, every format)."""
CELL = 8
"""One logit per CELL × CELL pixels of the page cut (1.33 mm)."""
_OCR: dict[str, MRZRecognizer] = {}


def _coverage(quads: list[np.ndarray], matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The share of each CELL × CELL cell of the page cut (``size`` = width, height) that ``quads``
    (image pixels) cover, float16 (ceil(h / CELL) × ceil(w / CELL))."""
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    for q in quads:
        pts = cv2.perspectiveTransform(np.asarray(q, np.float64).reshape(-1, 1, 2), matrix)
        cv2.fillPoly(mask, [np.round(pts.reshape(-1, 2) * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    gh, gw = -(-h // CELL), -(-w // CELL)
    padded = np.zeros((gh * CELL, gw * CELL), np.float32)
    padded[:h, :w] = mask
    return padded.reshape(gh, CELL, gw, CELL).mean((1, 3)).astype(np.float16)


def _page(image: np.ndarray, quads: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    ocr = _OCR.setdefault("ocr", MRZRecognizer())
    reading = scan_image(image, ocr, reference_date=dt.date(2026, 1, 1)).reading
    if reading is None:
        return None
    frame = reading_frame(reading)
    size = frame.page_size(PAGE_PX_PER_MM)
    page = frame.warp_page(image, PAGE_PX_PER_MM)
    return page, _coverage(quads, frame.matrix(frame.page_mm, size), size)


def _print_family(seed: int) -> None:
    """Make the generator print the visual zone of the next document in a family of :data:`FAMILIES`
    drawn from ``seed`` (its own stream: the document's other draws do not change)."""
    installed = [f for f in FAMILIES if all((FONT_DIR / p).is_file() for p in f)]
    if not installed:
        return
    regular, bold = installed[int(np.random.default_rng([seed, 0xF0]).integers(0, len(installed)))]

    def sans(is_bold: bool, size: float) -> Any:
        return render._font(str(FONT_DIR / (bold if is_bold else regular)), size)

    render._sans = sans  # type: ignore[assignment]  # training-time only; workers are separate processes


def _one(seed: int) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """Document ``seed``: (kind, condition, page RGB uint8, cell coverage) genuine and forged, same
    capture."""
    rng = np.random.default_rng(seed)
    _print_family(seed)
    fmt = FORMATS[seed % len(FORMATS)]
    names, weights = zip(*CONDITIONS, strict=True)
    condition = str(rng.choice(names, p=weights))
    kinds, kp = zip(*FORGED, strict=True)
    chosen = rng.choice(kinds, size=PER_DOCUMENT, replace=False, p=np.asarray(kp) / sum(kp))
    doc = render_sample(seed, fmt)
    forge_rng = _streams(seed)[2]
    out = []
    for kind in ("genuine", *(str(k) for k in chosen)):
        try:
            page = doc if kind == "genuine" else apply_forgery(doc, kind, forge_rng)
        except ValueError:  # a forgery that finds nothing to alter on this document
            continue
        shot = capture(page, condition, _streams(seed)[3])
        quads = [np.asarray(q) for f in shot.truth.forgeries for q in f.regions]
        cut = _page(load_pages(shot.encode())[0].image, quads)
        if cut is not None:
            out.append((kind, condition, *cut))
    return out


def build(first: int, count: int, workers: int) -> list[tuple[str, str, int, np.ndarray, np.ndarray]]:
    """Pages of documents ``first``..``first+count`` (cached): (kind, condition, seed, page, coverage)."""
    path = CACHE / f"pages-{first}-{count}-{PAGE_PX_PER_MM:g}-families.pkl"
    if path.exists():
        with path.open("rb") as fh:
            return list(pickle.load(fh))
    CACHE.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    seeds = range(first, first + count)
    rows = []
    with multiprocessing.Pool(workers) as pool:
        for i, (seed, items) in enumerate(zip(seeds, pool.imap(_one, seeds, chunksize=4), strict=True)):
            rows += [(kind, cond, seed, page, cov) for kind, cond, page, cov in items]
            if (i + 1) % 100 == 0:
                print(f"  {i + 1}/{count} documents, {time.time() - t0:.0f} s", flush=True)
    with path.open("wb") as fh:
        pickle.dump(rows, fh, protocol=5)
    return rows


class TamperNet(nn.Module):
    """3 × (3×3 conv stride 2, BN, ReLU) then 2 dilated 3×3 blocks (dilation 2, 4) and a 1×1 conv: one
    logit per 8 × 8 pixel cell."""

    def __init__(self, widths: tuple[int, int, int, int] = (16, 32, 48, 48)) -> None:
        super().__init__()
        a, b, c, d = widths

        def block(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> list[nn.Module]:
            conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)
            return [conv, nn.BatchNorm2d(cout), nn.ReLU()]

        self.body = nn.Sequential(
            *block(3, a, 2), *block(a, b, 2), *block(b, c, 2), *block(c, d, dilation=2), *block(d, d, dilation=4)
        )
        self.head = nn.Conv2d(d, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


WINDOW = 192
"""Training window, pixels (a multiple of CELL)."""


def _stats(page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's mean and spread over the whole page, as :func:`docverify.tamper.model_input` takes
    them (3×1×1 float32 each)."""
    mean, std = cv2.meanStdDev(np.ascontiguousarray(page))
    return mean.reshape(3, 1, 1).astype(np.float32), np.maximum(std.reshape(3, 1, 1), 4.0).astype(np.float32)


def _window(
    page: np.ndarray,
    stats: tuple[np.ndarray, np.ndarray],
    cov: np.ndarray,
    rng: np.random.Generator,
    *,
    around: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """A WINDOW-pixel part of ``page`` (H×W×3 uint8 RGB), standardised with the whole page's ``stats``
    (3×WINDOW×WINDOW float32, zero outside the page), and its cell targets (1 altered, 0 not, -1 ignored),
    aligned to cells; around a covered cell when ``around`` and there is one."""
    g = WINDOW // CELL
    gh, gw = cov.shape
    hot = np.argwhere(cov >= 0.5) if around else np.zeros((0, 2), int)
    if len(hot):
        cy, cx = hot[int(rng.integers(0, len(hot)))]
        gy = int(np.clip(cy - rng.integers(2, g - 2), 0, max(0, gh - g)))
        gx = int(np.clip(cx - rng.integers(2, g - 2), 0, max(0, gw - g)))
    else:
        gy, gx = int(rng.integers(0, max(1, gh - g + 1))), int(rng.integers(0, max(1, gw - g + 1)))
    out = np.zeros((3, WINDOW, WINDOW), np.float32)
    part = page[gy * CELL : gy * CELL + WINDOW, gx * CELL : gx * CELL + WINDOW].transpose(2, 0, 1)
    out[:, : part.shape[1], : part.shape[2]] = (part.astype(np.float32) - stats[0]) / stats[1]
    target = np.full((g, g), -1.0, np.float32)  # -1: ignored (outside the page)
    c = cov[gy : gy + g, gx : gx + g].astype(np.float32)
    target[: c.shape[0], : c.shape[1]] = np.where(c >= 0.5, 1.0, np.where(c > 0, -1.0, 0.0))
    return out, target


def page_scores(model: nn.Module, pages: list[np.ndarray]) -> list[np.ndarray]:
    """The cell logit maps of whole pages."""
    model.eval()
    with torch.no_grad():
        return [model(torch.from_numpy(model_input(p)))[0, 0].numpy() for p in pages]


def _page_max(cells: np.ndarray) -> float:
    return float(cells.max())


def _page_relative(cells: np.ndarray) -> float:
    return float(cells.max() - np.quantile(cells, 0.99))


PAGE_SCORES = {"max": _page_max, "max_minus_q99": _page_relative}
"""Page scores from the cell logits: the highest, and the highest less the page's own 99th percentile (an
area that stands out from the rest of the same page, not from a learnt idea of genuine print)."""


def evaluate(model: nn.Module, rows: list[Any]) -> dict[str, Any]:
    """Per page score of :data:`PAGE_SCORES`, kind and condition: AUC against the genuine pages, and
    detection at the genuine pages' 1 % / 0.5 % false-alarm thresholds; whether the hottest cell of a
    detected forged page lies on its forgery (within 2 cells)."""
    maps = page_scores(model, [r[3] for r in rows])
    kind = np.array([r[0] for r in rows])
    cond = np.array([r[1] for r in rows])
    result: dict[str, Any] = {}
    for name, fn in PAGE_SCORES.items():
        score = np.array([fn(m.ravel()) for m in maps])
        out: dict[str, Any] = {}
        neg_all = score[kind == "genuine"]
        t1, t05 = float(np.quantile(neg_all, 0.99)), float(np.quantile(neg_all, 0.995))
        out["threshold_1pct"], out["threshold_05pct"] = round(t1, 3), round(t05, 3)
        for k in KINDS[1:]:
            for c in ("all", *sorted(set(cond.tolist()))):
                m = (kind == k) & ((cond == c) if c != "all" else True)
                neg = score[(kind == "genuine") & ((cond == c) if c != "all" else True)]
                pos = score[m]
                if len(pos) == 0 or len(neg) == 0:
                    continue
                auc = float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
                located = []
                for i in np.flatnonzero(m & (score > t1)):
                    iy, ix = np.unravel_index(int(np.argmax(maps[i])), maps[i].shape)
                    cov = rows[i][4].astype(np.float32)
                    near = cov[max(0, iy - 2) : iy + 3, max(0, ix - 2) : ix + 3]
                    located.append(bool(near.max() > 0) if near.size else False)
                out[f"{k}/{c}"] = {
                    "genuine": len(neg),
                    "forged": len(pos),
                    "auc": round(auc, 4),
                    "detected_at_1pct": round(float((pos > t1).mean()), 4),
                    "detected_at_05pct": round(float((pos > t05).mean()), 4),
                    "located": round(float(np.mean(located)), 4) if located else None,
                }
        result[name] = out
    return result


def specimens(model: nn.Module, folder: Path, thresholds: dict[str, float]) -> dict[str, Any]:
    """Each page score of :data:`PAGE_SCORES` (over the cells inside the image) of every image in ``folder``
    whose MRZ is read, and how many reach that score's ``thresholds`` entry (real genuine documents: each
    one is a false alarm)."""
    ocr = _OCR.setdefault("ocr", MRZRecognizer())
    scores: dict[str, dict[str, float]] = {name: {} for name in PAGE_SCORES}
    for path in sorted(folder.iterdir()):
        try:
            image = load_pages(str(path))[0].image
        except InputError:  # not an image (the ground-truth file): skipped
            continue
        reading = scan_image(image, ocr, reference_date=dt.date(2026, 1, 1)).reading
        if reading is None:
            continue
        frame = reading_frame(reading)
        size = frame.page_size(PAGE_PX_PER_MM)
        logits = page_scores(model, [frame.warp_page(image, PAGE_PX_PER_MM)])[0]
        inside = cv2.warpPerspective(
            np.full(image.shape[:2], 255, np.uint8), frame.matrix(frame.page_mm, size), size, flags=cv2.INTER_NEAREST
        )
        cells = cv2.resize(inside, (logits.shape[1], logits.shape[0]), interpolation=cv2.INTER_NEAREST) > 0
        for name, fn in PAGE_SCORES.items():
            scores[name][path.name] = round(fn(logits[cells]), 3) if cells.any() else float("nan")
    out: dict[str, Any] = {}
    for name, per in scores.items():
        values = [v for v in per.values() if not math.isnan(v)]
        out[name] = {
            "images": len(per),
            "threshold": thresholds[name],
            "flagged": sum(v >= thresholds[name] for v in values),
            "median_score": round(float(np.median(values)), 3) if values else None,
            "scores": per,
        }
    return out


def train(rows: list[Any], val: list[Any], args: argparse.Namespace) -> tuple[nn.Module, dict[str, Any]]:
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    stats = [_stats(r[3]) for r in rows]
    forged = np.array([r[0] != "genuine" for r in rows])
    model = TamperNet()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    per_epoch = len(rows) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.epochs * per_epoch)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    t0 = time.time()
    metrics: dict[str, Any] = {}
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(rows))
        total = 0.0
        for b in range(per_epoch):
            idx = order[b * args.batch : (b + 1) * args.batch]
            wins = [
                _window(rows[i][3], stats[i], rows[i][4], rng, around=bool(forged[i]) and rng.random() < 0.8)
                for i in idx
            ]
            xb = torch.from_numpy(np.stack([w for w, _ in wins]))
            if rng.random() < 0.5:
                xb = torch.flip(xb, (3,))
                tb = torch.from_numpy(np.stack([t[:, ::-1].copy() for _, t in wins]))
            else:
                tb = torch.from_numpy(np.stack([t for _, t in wins]))
            logits = model(xb)[:, 0]
            keep = tb >= 0
            weight = torch.where(tb > 0.5, torch.tensor(args.pos_weight), torch.tensor(1.0)) * keep
            loss = (loss_fn(logits, tb.clamp(min=0)) * weight).sum() / weight.sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        metrics = evaluate(model, val)
        brief = {k: (v["auc"], v["detected_at_1pct"]) for k, v in metrics["max"].items() if k.endswith("/all")}
        print(f"epoch {epoch + 1}: loss {total / per_epoch:.4f} val {brief} {time.time() - t0:.0f} s", flush=True)
        torch.save(model.state_dict(), CACHE / f"tamper-{args.seed}.pt")
    validation = metrics or evaluate(model, val)  # the last epoch's evaluation is the final one
    return model, {"validation": validation, "train_images": len(rows), "seconds": round(time.time() - t0)}


def export(model: nn.Module, metrics: dict[str, Any], args: argparse.Namespace) -> None:
    model.eval()
    out = CACHE / "tamper.onnx"  # an experiment: not shipped (see README.md)
    torch.onnx.export(
        model,
        (torch.zeros(1, 3, 528, 750),),
        str(out),
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {2: "height", 3: "width"}, "logits": {2: "rows", 3: "columns"}},
        opset_version=17,
        dynamo=False,
    )
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    card = {
        "model": "tamper",
        "sha256": digest,
        "size_bytes": out.stat().st_size,
        "labels": "logit per 8 x 8 pixel cell that the page was altered there",
        "seed": args.seed,
        "documents": args.documents,
        "epochs": args.epochs,
        "input": [1, 3, "height", "width"],
        "px_per_mm": PAGE_PX_PER_MM,
        **metrics,
    }
    record_trained("tamper", out, card, HERE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--documents", type=int, default=1500)
    ap.add_argument("--validation", type=int, default=250)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--pos-weight", type=float, default=4.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data-only", action="store_true", help="build the cached data and stop")
    ap.add_argument(
        "--from-checkpoint",
        action="store_true",
        help="evaluate and export the last checkpoint of this seed instead of training",
    )
    ap.add_argument(
        "--specimens",
        type=Path,
        default=None,
        help="a folder of real genuine documents (e.g. ../shared/specimens/images) to count false alarms on",
    )
    ap.add_argument(
        "--kinds",
        default=",".join(KINDS[1:]),
        help="forgeries (comma-separated) whose pages train the model beside the genuine ones; the others "
        "are only evaluated",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.workers)
    first = 600000 + args.seed * 100000
    val = build(first + args.documents + 50000, args.validation, args.workers)
    rows = [] if args.from_checkpoint else build(first, args.documents, args.workers)
    if args.data_only:
        return 0
    kinds = set(args.kinds.split(","))
    if args.from_checkpoint:
        model = TamperNet()
        model.load_state_dict(torch.load(CACHE / f"tamper-{args.seed}.pt"))
        metrics = json.loads((HERE / "metrics.json").read_text()) if (HERE / "metrics.json").exists() else {}
        metrics["validation"] = evaluate(model, val)
    else:
        model, metrics = train([r for r in rows if r[0] == "genuine" or r[0] in kinds], val, args)
    metrics["trained_on"] = sorted(kinds)
    if args.specimens is not None:
        thresholds = {name: v["threshold_1pct"] for name, v in metrics["validation"].items()}
        metrics["real_specimens"] = specimens(model, args.specimens, thresholds)
    export(model, metrics, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
