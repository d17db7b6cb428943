"""Train the MRZ character recognizer (per-cell OCR-B classifier) and export it to ONNX.

Reproducible from a seed, CPU only:

    .venv/bin/pip install -e ".[train]"
    .venv/bin/python models/mrz_char/train.py --seed 7 --documents 600 --epochs 6

Data (synthetic, generated here): fictitious documents from ``docverify.synth`` (all five ICAO layouts;
captures: none, flatbed, rotated, phone), MRZ lines cut upright from the *captured* image with the same
``cut_line`` the reader uses, each character cell cut as a PATCH_H × PATCH_W patch around its
ground-truth centre, with jitter of ±20 % of a pitch sideways and ±3 px up and down (the reader places
cells from the ink, not from ground truth). Seeds 100000 and up; the benchmarks use other seeds.
Model: a 3-block CNN (16/32/64 channels) → 37 classes (0-9, A-Z, <). Output:
``src/docverify/models/mrz_char.onnx`` and its SHA-256, size and metrics in ``metrics.json`` beside this file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from docverify.models import record_trained
from docverify.mrz.cells import CROP_CHAR_HEIGHT, PATCH_H, PATCH_W, normalise, patches
from docverify.mrz.glyphs import ALPHABET
from docverify.mrz.locate import MRZLine, cut_line
from docverify.results import MRZFormat
from docverify.synth.dataset import synthesize

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "src" / "docverify" / "models" / "mrz_char.onnx"
FORMATS = [MRZFormat.TD1, MRZFormat.TD2, MRZFormat.TD3, MRZFormat.MRVA, MRZFormat.MRVB]
CONDITIONS = ["flatbed", "rotated", "phone", "phone", "none"]


def line_from_quad(quad: object) -> MRZLine:
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    top = q[1] - q[0]
    length = float(np.hypot(*top))
    height = float(np.hypot(*(q[3] - q[0])))
    angle = float(np.degrees(np.arctan2(top[1], top[0])))
    return MRZLine((float(q[:, 0].mean()), float(q[:, 1].mean())), length, height / 0.85 * 0.85, angle)


def make_data(n_docs: int, seed: int, jitters: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xs: list[np.ndarray] = []
    ys: list[int] = []
    for i in range(n_docs):
        cap = synthesize(100000 + seed * 10000 + i, FORMATS[i % 5], CONDITIONS[(i // 5) % len(CONDITIONS)])
        gray = cv2.cvtColor(cap.image, cv2.COLOR_RGB2GRAY)
        truth = cap.truth
        for li, quad in enumerate(truth.mrz_line_quads):
            line = line_from_quad(quad)
            crop = cut_line(gray, line, char_height=CROP_CHAR_HEIGHT)
            forward = cv2.invertAffineTransform(crop.to_original)
            norm = normalise(crop.image)
            chars = [c for c in truth.mrz_chars if c.line == li]
            pitch = (crop.text_end - crop.text_start) / max(len(chars) - 0.3, 1)
            for c in chars:
                q = np.asarray(c.quad, dtype=np.float64).reshape(4, 2).mean(axis=0)
                cx, cy = forward @ np.array([q[0], q[1], 1.0])
                for _ in range(jitters):
                    jx = cx + rng.uniform(-0.2, 0.2) * pitch
                    jy = cy + rng.uniform(-3, 3)
                    xs.append(patches(norm, [jx], jy)[0])
                    ys.append(ALPHABET.index(c.char))
        if (i + 1) % 50 == 0:
            print(f"  {i + 1}/{n_docs} documents, {len(ys)} patches", flush=True)
    return np.stack(xs), np.array(ys, dtype=np.int64)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Contrast, stroke weight and noise changes on a batch (N×1×H×W, ink 0…1)."""
    n = x.shape[0]
    gain = 0.6 + 0.8 * torch.rand(n, 1, 1, 1, generator=gen)
    x = x * gain
    if torch.rand(1, generator=gen).item() < 0.5:
        x = torch.nn.functional.max_pool2d(x, 3, stride=1, padding=1) * 0.5 + x * 0.5  # bolder
    x = x + 0.08 * torch.randn(x.shape, generator=gen)
    return x.clamp(0, 1)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.2), nn.Linear(64 * (PATCH_H // 8) * (PATCH_W // 8), 128), nn.ReLU(),
            nn.Linear(128, len(ALPHABET)),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--documents", type=int, default=600)
    ap.add_argument("--epochs", type=int, default=6)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    t0 = time.time()
    x, y = make_data(args.documents, args.seed)
    print(f"data: {len(y)} patches from {args.documents} documents in {time.time() - t0:.0f} s", flush=True)
    idx = np.random.default_rng(args.seed).permutation(len(y))
    n_val = len(y) // 10
    val, tr = idx[:n_val], idx[n_val:]
    xt, yt = torch.from_numpy(x[tr]), torch.from_numpy(y[tr])
    xv, yv = torch.from_numpy(x[val]), torch.from_numpy(y[val])
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.epochs * ((len(tr) + 255) // 256))
    gen = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        net.train()
        perm = torch.randperm(len(tr), generator=gen)
        total = 0.0
        for b in range(0, len(tr), 256):
            j = perm[b : b + 256]
            out = net(augment(xt[j], gen))
            loss = nn.functional.cross_entropy(out, yt[j])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(j)
        net.eval()
        with torch.no_grad():
            acc = float((net(xv).argmax(1) == yv).float().mean())
        print(f"epoch {epoch + 1}: loss {total / len(tr):.4f}, validation accuracy {acc:.4f}", flush=True)
    net.eval()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.zeros(1, 1, PATCH_H, PATCH_W)
    torch.onnx.export(
        net, dummy, str(OUT), input_names=["patches"], output_names=["logits"],
        dynamic_axes={"patches": {0: "n"}, "logits": {0: "n"}}, opset_version=17, dynamo=False,
    )  # fmt: skip
    data = OUT.read_bytes()
    metrics = {
        "seed": args.seed,
        "documents": args.documents,
        "epochs": args.epochs,
        "patches": len(y),
        "validation_accuracy": round(acc, 4),
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "train_seconds": round(time.time() - t0),
        "labels": ALPHABET,
        "input": [1, PATCH_H, PATCH_W],
    }
    record_trained("mrz_char", OUT, metrics, HERE)
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
