"""Train the security-region models (portrait substitution, reprint) and export them to ONNX.

Reproducible from a seed, CPU only:

    .venv/bin/pip install -e ".[train]"
    .venv/bin/python models/regions/train.py --seed 21 --documents 2000          # both shipped models

Data (synthetic, generated here, cached in ``models/regions/.cache/``): for each seed
``400000 + seed·100000 + i`` one fictitious document of ``docverify.synth`` (the five ICAO layouts in turn)
is rendered once and captured three times *with the same capture stream* — genuine, with its portrait
substituted (``portrait.substituted``) and reprinted (``reprint``) — as a flatbed scan (30 %), a rotated scan
(20 %) or a phone photo (50 %). So every forged image has a genuine twin that differs only by the forgery,
and a model cannot separate them by the document or the capture. Each capture is stored as its image file
would be (JPEG at the capture's quality with 4:2:0 chroma, or PNG) and decoded again; it then goes through
the reader's own
:func:`~docverify.mrz.image.scan_image`; its regions are cut with :func:`docverify.regions.page_frame`
exactly as at run time (an image whose MRZ is not read is left out). Validation documents use the next
block of seeds; the benchmarks use seeds below 10000.

Models (:data:`docverify.tamper.MODELS`): a small CNN (5 stride-2 conv blocks, mean and max pooled, one
logit) per region — ``portrait`` on the 336×456 portrait zone at 8 px/mm (trained on random 288×288 parts),
``reprint`` on the 512×320 visual zone at 8 px/mm (trained on random 256×256 parts); both run on the whole
region. Inputs RGB, each channel standardised over the crop (see :func:`docverify.tamper.model_input`).
Loss: binary cross-entropy.
Output: ``src/docverify/models/<name>.onnx``, its metrics in ``models/regions/<name>/metrics.json``, and the
registry entry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from docverify.io import load_pages
from docverify.models import detection_metrics, record_trained
from docverify.mrz.image import scan_image
from docverify.mrz.recognizer import MRZRecognizer
from docverify.regions import REGIONS, reading_frame
from docverify.results import MRZFormat
from docverify.synth import forgeries  # noqa: F401 - registers the forgeries
from docverify.synth.capture import capture
from docverify.synth.dataset import _streams, apply_forgery, render_sample
from docverify.tamper import MODELS, model_input

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = HERE / ".cache"
FORMATS = [MRZFormat.TD1, MRZFormat.TD2, MRZFormat.TD3, MRZFormat.MRVA, MRZFormat.MRVB]
CONDITIONS = (("flatbed", 0.3), ("rotated", 0.2), ("phone", 0.5))
KINDS = ("genuine", "portrait.substituted", "reprint")
TRAINED = {m.region: REGIONS[m.region] for m in MODELS.values()}
"""The regions the models read (not the reference zones they are compared with at run time)."""
_OCR: dict[str, MRZRecognizer] = {}


def _regions(image: np.ndarray) -> dict[str, np.ndarray] | None:
    ocr = _OCR.setdefault("ocr", MRZRecognizer())
    reading = scan_image(image, ocr, reference_date=dt.date(2026, 1, 1)).reading
    if reading is None:
        return None
    frame = reading_frame(reading)
    return {name: frame.warp(image, region) for name, region in TRAINED.items()}


NEEDS = {"genuine": ("portrait", "background"), "portrait.substituted": ("portrait",), "reprint": ("background",)}
"""The regions kept of each kind: a forgery's twin regions it does not touch add nothing."""


def _one(seed: int) -> list[tuple[str, str, dict[str, np.ndarray]]]:
    """The regions of document ``seed``: genuine and each forgery, same capture."""
    rng = np.random.default_rng(seed)
    fmt = FORMATS[seed % len(FORMATS)]
    names, weights = zip(*CONDITIONS, strict=True)
    condition = str(rng.choice(names, p=weights))
    doc = render_sample(seed, fmt)
    forge_rng = _streams(seed)[2]
    out = []
    for kind in KINDS:
        page = doc if kind == "genuine" else apply_forgery(doc, kind, forge_rng)
        shot = capture(page, condition, _streams(seed)[3])
        # through the image file, as at run time: JPEG (4:2:0) for photos and most scans
        regions = _regions(load_pages(shot.encode())[0].image)
        if regions is not None:
            out.append((kind, condition, {k: v for k, v in regions.items() if k in NEEDS[kind]}))
    return out


def build(first: int, count: int, workers: int) -> dict[str, np.ndarray]:
    """Regions of documents ``first``..``first+count`` (cached): per region ``<region>`` (N×H×W×3 uint8
    RGB), ``<region>_kind`` (index in :data:`KINDS`), ``<region>_condition``, ``<region>_seed``."""
    sizes = "-".join(f"{k}{r.px_per_mm:g}" for k, r in TRAINED.items())
    path = CACHE / f"regions-{first}-{count}-{sizes}-file.npz"
    if path.exists():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    CACHE.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    seeds = range(first, first + count)
    rows: dict[str, list[Any]] = {}
    with multiprocessing.Pool(workers) as pool:
        for i, (seed, items) in enumerate(zip(seeds, pool.imap(_one, seeds, chunksize=4), strict=True)):
            for kind, condition, regions in items:
                for k, v in regions.items():
                    rows.setdefault(k, []).append(v)
                    rows.setdefault(f"{k}_kind", []).append(KINDS.index(kind))
                    rows.setdefault(f"{k}_condition", []).append(condition)
                    rows.setdefault(f"{k}_seed", []).append(seed)
            if (i + 1) % 100 == 0:
                print(f"  {i + 1}/{count} documents, {time.time() - t0:.0f} s", flush=True)
    data = {k: np.stack(v) if k in TRAINED else np.asarray(v) for k, v in rows.items()}
    np.savez(path, **data)
    return data


class RegionNet(nn.Module):
    """5 conv blocks (3×3, stride 2, BN, ReLU; the first 5×5), mean- and max-pooled, one logit."""

    def __init__(self, widths: tuple[int, ...]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for i, w in enumerate(widths):
            k = 5 if i == 0 else 3
            layers += [nn.Conv2d(c, w, k, stride=2, padding=k // 2, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
            c = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(2 * c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x)
        return self.head(torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1))


WIDTHS = {"portrait": (24, 32, 48, 64, 96), "reprint": (16, 32, 48, 64, 96)}
POSITIVE = {"portrait": "portrait.substituted", "reprint": "reprint"}
TRAIN_CROP = {"portrait": 288, "reprint": 256}


def _batch(images: np.ndarray, crop: int | None, rng: np.random.Generator, *, augment: bool) -> torch.Tensor:
    out = []
    for image in images:
        img = image
        if crop is not None:
            h, w = img.shape[:2]
            y = int(rng.integers(0, h - crop + 1)) if augment else (h - crop) // 2
            x = int(rng.integers(0, w - crop + 1)) if augment else (w - crop) // 2
            img = img[y : y + crop, x : x + crop]
        if augment and rng.random() < 0.5:
            img = img[:, ::-1]
        out.append(model_input(np.ascontiguousarray(img))[0])
    return torch.from_numpy(np.stack(out))


def _labelled(data: dict[str, np.ndarray], name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    region = MODELS[name].region
    kind = data[f"{region}_kind"]
    return data[region], (kind != 0).astype(np.float32), data[f"{region}_condition"]


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, cond: np.ndarray) -> dict[str, Any]:
    """AUC and detection at the 1 % / 3 % false-alarm thresholds of these genuine images, per condition."""
    model.eval()
    with torch.no_grad():
        scores = np.concatenate(
            [
                model(_batch(x[i : i + 32], None, np.random.default_rng(0), augment=False))[:, 0].numpy()
                for i in range(0, len(x), 32)
            ]
        )
    out: dict[str, Any] = {}
    for c in ("all", *sorted(set(cond.tolist()))):
        m = np.ones(len(y), bool) if c == "all" else cond == c
        neg, pos = scores[m & (y == 0)], scores[m & (y == 1)]
        if len(neg) == 0 or len(pos) == 0:
            continue
        out[c] = {"genuine": len(neg), "forged": len(pos), **detection_metrics(neg, pos)}
    return out


def train(
    name: str, data: dict[str, np.ndarray], val: dict[str, np.ndarray], args: argparse.Namespace
) -> dict[str, Any]:
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x, y, _ = _labelled(data, name)
    vx, vy, vc = _labelled(val, name)
    model = RegionNet(WIDTHS[name])
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = args.epochs * (len(x) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    loss_fn = nn.BCEWithLogitsLoss()
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(x))
        total = 0.0
        for b in range(len(x) // args.batch):
            idx = order[b * args.batch : (b + 1) * args.batch]
            xb = _batch(x[idx], TRAIN_CROP[name], rng, augment=True)
            loss = loss_fn(model(xb)[:, 0], torch.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        metrics = evaluate(model, vx, vy, vc)
        print(
            f"{name} epoch {epoch + 1}: loss {total / (len(x) // args.batch):.4f} val {json.dumps(metrics.get('all'))} "
            f"{time.time() - t0:.0f} s",
            flush=True,
        )
        torch.save(model.state_dict(), CACHE / f"{name}-{args.seed}.pt")
    return {"validation": evaluate(model, vx, vy, vc), "train_images": len(x), "seconds": round(time.time() - t0)}


def export(name: str, model: nn.Module, metrics: dict[str, Any], args: argparse.Namespace) -> None:
    model.eval()
    out = ROOT / "src" / "docverify" / "models" / MODELS[name].file
    w, h = REGIONS[MODELS[name].region].size
    torch.onnx.export(
        model,
        (torch.zeros(1, 3, h, w),),
        str(out),
        input_names=["image"],
        output_names=["logit"],
        opset_version=17,
        dynamo=False,
    )
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    card = {
        "model": name,
        "sha256": digest,
        "size_bytes": out.stat().st_size,
        "labels": f"logit of {POSITIVE[name]}",
        "seed": args.seed,
        "documents": args.documents,
        "epochs": args.epochs,
        "input": [1, 3, h, w],
        **metrics,
    }
    (HERE / name).mkdir(exist_ok=True)
    record_trained(name, out, card, HERE / name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--validation", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--model", choices=("portrait", "reprint", "both"), default="both")
    args = ap.parse_args()
    torch.set_num_threads(args.workers)
    first = 400000 + args.seed * 100000
    data = build(first, args.documents, args.workers)
    val = build(first + args.documents + 50000, args.validation, args.workers)
    for name in ("portrait", "reprint") if args.model == "both" else (args.model,):
        model = RegionNet(WIDTHS[name])
        metrics = train(name, data, val, args)
        model.load_state_dict(torch.load(CACHE / f"{name}-{args.seed}.pt"))
        export(name, model, metrics, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
