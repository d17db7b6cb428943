"""Train the MRZ line recognizer (CNN + CTC over a whole line) and export it to ONNX.

Reproducible from a seed, CPU only:

    .venv/bin/pip install -e ".[train]"
    .venv/bin/python models/mrz_line/train.py --seed 11 --documents 2000 --epochs 10   # the shipped model

Data (synthetic, generated here, cached in ``models/mrz_line/.cache/``): fictitious documents from
``docverify.synth`` (all five ICAO layouts), each rendered once and captured twice (a phone photo, then in
turn flatbed, rotated, phone or none). With ``--other-fonts P`` (default 0: OCR-B only) a share P of the
documents has the MRZ, or one of its lines, retyped in another monospace font (:data:`TRAIN_FONTS`, those
installed; through the ``mrz.wrong_font`` forgery, text unchanged); Hack and Cousine are left out to measure
fonts never seen. The model card says why the shipped model is trained on OCR-B only.

Every MRZ line is cut upright from the *captured* image with the
reader's own :func:`~docverify.mrz.locate.cut_line` (characters about 16 px tall, crop 32 px high), twice,
from its ground-truth box disturbed as the locator disturbs it: height ×0.92–1.5, centre ±12 % of the
height across and a few pixels along, angle ±1.5°, 0–8 % extra length at each end. Seeds
``200000 + seed·100000 + i``; validation documents use the seed's next block; the benchmarks use others.
Augmentation during training: contrast, stroke weight (thicker or thinner), blur, width ×0.85–1.15,
Gaussian noise, and with ``--low-res P`` (default 0) for a share P of the lines a round trip through a lower
resolution with characters 6.5–13 px tall.

Model: 5 conv blocks (16/32/64/64/96 channels) that fold the 32-px height away and keep one frame per 4
px of width, a 1-D conv over frames, and a linear layer to 38 classes (``0-9 A-Z <`` and the CTC blank,
last). Trained with CTC loss. Output: ``src/docverify/models/mrz_line.onnx`` with its SHA-256, size and
metrics in ``metrics.json`` beside this file and the registry entry.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from docverify.models import record_trained
from docverify.mrz.cells import normalise
from docverify.mrz.glyphs import ALPHABET
from docverify.mrz.locate import MRZLine, cut_line
from docverify.results import MRZFormat
from docverify.synth import forgeries
from docverify.synth.capture import capture
from docverify.synth.dataset import render_sample

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "src" / "docverify" / "models" / "mrz_line.onnx"
CACHE = HERE / ".cache"
FORMATS = [MRZFormat.TD1, MRZFormat.TD2, MRZFormat.TD3, MRZFormat.MRVA, MRZFormat.MRVB]
SECOND = ["flatbed", "rotated", "phone", "none"]
CHAR_HEIGHT = 16
"""Character height in the crop (``cut_line(char_height=…)``); the crop is then 32 px high."""
HEIGHT = 32
STRIDE = 4
BLANK = len(ALPHABET)
TRAIN_FONTS = (
    "dejavu/DejaVuSansMono.ttf",
    "dejavu/DejaVuSansMono-Bold.ttf",
    "liberation/LiberationMono-Regular.ttf",
    "liberation/LiberationMono-Bold.ttf",
    "freefont/FreeMono.ttf",
    "freefont/FreeMonoBold.ttf",
    "noto/NotoSansMono-Regular.ttf",
    "noto/NotoMono-Regular.ttf",
)
"""Non-OCR-B monospace fonts a training MRZ may be retyped in (relative to ``forgeries.FONT_DIRS``; those
installed are used). Hack and Cousine, also in :data:`docverify.synth.forgeries.MRZ_WRONG_FONTS`, are held
out."""


def line_from_quad(quad: object, rng: np.random.Generator | None) -> MRZLine:
    """The MRZ line of a ground-truth quad, disturbed by ``rng`` the way the locator's lines differ."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    top = q[1] - q[0]
    length = float(np.hypot(*top))
    height = float(np.hypot(*(q[3] - q[0])))
    angle = float(np.degrees(np.arctan2(top[1], top[0])))
    cx, cy = float(q[:, 0].mean()), float(q[:, 1].mean())
    if rng is None:
        return MRZLine((cx, cy), length, height, angle)
    a = math.radians(angle)
    along = rng.uniform(-0.02, 0.02) * length
    across = rng.uniform(-0.12, 0.12) * height
    cx += along * math.cos(a) - across * math.sin(a)
    cy += along * math.sin(a) + across * math.cos(a)
    return MRZLine(
        (cx, cy),
        length * (1 + rng.uniform(0.0, 0.08)) + 2 * abs(along),
        height * rng.uniform(0.92, 1.5),
        angle + rng.uniform(-1.5, 1.5),
    )


def crop_line(gray: np.ndarray, line: MRZLine) -> np.ndarray:
    """The line as the recognizer sees it: cut upright, 32 px high, uint8 with ink high (255 = ink)."""
    crop = cut_line(gray, line, char_height=CHAR_HEIGHT)
    img = crop.image
    if img.shape[0] != HEIGHT:
        w = max(8, round(img.shape[1] * HEIGHT / img.shape[0]))
        img = cv2.resize(img, (w, HEIGHT), interpolation=cv2.INTER_AREA)
    return (normalise(img) * 255 + 0.5).astype(np.uint8)


def _document(args: tuple[int, int, bool, float]) -> list[tuple[np.ndarray, str]]:
    seed, i, jitter, other_fonts = args
    doc_seed = 200000 + seed * 100000 + i
    rng = np.random.default_rng(doc_seed)
    retyped = other_fonts > 0 and rng.random() < other_fonts
    forgeries.MRZ_WRONG_FONTS = TRAIN_FONTS  # the training fonts, not the forgery generator's list
    doc = render_sample(doc_seed, FORMATS[i % 5], forgeries=("mrz.wrong_font",) if retyped else ())
    out: list[tuple[np.ndarray, str]] = []
    for condition in ("phone", SECOND[(i // 5) % len(SECOND)]):
        cap = capture(doc, condition, rng)
        gray = cv2.cvtColor(cap.image, cv2.COLOR_RGB2GRAY)
        for li, quad in enumerate(cap.truth.mrz_line_quads):
            text = cap.truth.mrz_lines[li]
            for _ in range(2 if jitter else 1):
                img = crop_line(gray, line_from_quad(quad, rng if jitter else None))
                if img.shape[1] // STRIDE >= 2 * len(text):
                    out.append((img, text))
    return out


def make_data(
    seed: int, first: int, count: int, *, jitter: bool, other_fonts: float = 0.0
) -> list[tuple[np.ndarray, str]]:
    path = CACHE / f"lines-{seed}-{first}-{count}-{int(jitter)}-{other_fonts:g}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        widths, texts, flat = z["widths"], z["texts"], z["pixels"]
        out, pos = [], 0
        for w, t in zip(widths, texts, strict=True):
            n = HEIGHT * int(w)
            out.append((flat[pos : pos + n].reshape(HEIGHT, int(w)), str(t)))
            pos += n
        return out
    items: list[tuple[np.ndarray, str]] = []
    t0 = time.time()
    with multiprocessing.Pool(2) as pool:
        jobs = [(seed, i, jitter, other_fonts) for i in range(first, first + count)]
        for k, rows in enumerate(pool.imap(_document, jobs, chunksize=4)):
            items.extend(rows)
            if (k + 1) % 200 == 0:
                print(f"  {k + 1}/{count} documents, {len(items)} lines, {time.time() - t0:.0f} s", flush=True)
    CACHE.mkdir(exist_ok=True)
    np.savez(
        path,
        widths=np.array([im.shape[1] for im, _ in items]),
        texts=np.array([t for _, t in items]),
        pixels=np.concatenate([im.ravel() for im, _ in items]),
    )
    return items


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

        self.features = nn.Sequential(
            *block(1, 16), nn.MaxPool2d(2),  # 16 × W/2
            *block(16, 32), nn.MaxPool2d(2),  # 8 × W/4
            *block(32, 64), *block(64, 64), nn.MaxPool2d((2, 1)),  # 4 × W/4
            *block(64, 96), nn.MaxPool2d((4, 1)),  # 1 × W/4
        )  # fmt: skip
        self.head = nn.Sequential(
            nn.Conv1d(96, 128, 3, padding=1), nn.ReLU(), nn.Dropout(0.1), nn.Conv1d(128, BLANK + 1, 1),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×1×32×W ink-high images → N×(W/4)×38 logits."""
        f = self.features(x).squeeze(2)
        return self.head(f).permute(0, 2, 1)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Contrast, stroke weight, blur and noise changes on a batch (N×1×H×W, ink 0…1)."""
    n = x.shape[0]
    r = torch.rand(4, generator=gen).tolist()
    if r[0] < 0.25:
        x = torch.nn.functional.max_pool2d(x, 3, stride=1, padding=1) * 0.5 + x * 0.5  # bolder
    elif r[0] < 0.4:
        x = -torch.nn.functional.max_pool2d(-x, 3, stride=1, padding=1) * 0.5 + x * 0.5  # thinner
    if r[1] < 0.3:
        x = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1)
    gain = 0.55 + 0.9 * torch.rand(n, 1, 1, 1, generator=gen)
    offset = 0.15 * torch.rand(n, 1, 1, 1, generator=gen)
    x = x * gain + offset
    x = x + (0.02 + 0.08 * r[2]) * torch.randn(x.shape, generator=gen)
    return x.clamp(0, 1)


def low_res(im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The line through a lower resolution and back (characters 6.5–13 px tall instead of 16)."""
    f = rng.uniform(0.4, 0.8)
    h, w = im.shape
    small = cv2.resize(im, (max(4, round(w * f)), max(4, round(h * f))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def batches(items: list[tuple[np.ndarray, str]], size: int, rng: np.random.Generator, *, train: bool, low: float = 0.0):
    order = np.argsort([im.shape[1] for im, _ in items], kind="stable")
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    if train:
        rng.shuffle(chunks)
    for chunk in chunks:
        imgs = []
        for j in chunk:
            im = items[j][0]
            if train:
                sx = rng.uniform(0.85, 1.15)
                im = cv2.resize(im, (max(8, round(im.shape[1] * sx)), HEIGHT), interpolation=cv2.INTER_LINEAR)
                if low > 0 and rng.random() < low:
                    im = low_res(im, rng)
            imgs.append(im)
        width = max(im.shape[1] for im in imgs)
        width = (width + STRIDE - 1) // STRIDE * STRIDE
        x = np.zeros((len(imgs), 1, HEIGHT, width), np.float32)
        for k, im in enumerate(imgs):
            x[k, 0, :, : im.shape[1]] = im / 255.0
        texts = [items[j][1] for j in chunk]
        lengths = [im.shape[1] // STRIDE for im in imgs]
        yield torch.from_numpy(x), texts, lengths


def greedy(logits: np.ndarray, length: int) -> str:
    best = logits[:length].argmax(axis=1)
    out, prev = [], BLANK
    for b in best:
        if b not in (prev, BLANK):
            out.append(ALPHABET[b])
        prev = b
    return "".join(out)


def evaluate(net: Net, items: list[tuple[np.ndarray, str]], rng: np.random.Generator) -> tuple[float, float]:
    """(line accuracy, character error rate by position-wise edit distance) of greedy decoding."""
    net.eval()
    right = errors = chars = 0
    with torch.no_grad():
        for x, texts, lengths in batches(items, 64, rng, train=False):
            logits = net(x).numpy()
            for lg, t, n in zip(logits, texts, lengths, strict=True):
                g = greedy(lg, n)
                right += g == t
                errors += _edit(g, t)
                chars += len(t)
    return right / len(items), errors / chars


def _edit(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--validation", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--other-fonts", type=float, default=0.0, help="share of documents retyped in another font")
    ap.add_argument("--low-res", type=float, default=0.0, help="share of training lines seen at low resolution")
    ap.add_argument("--checkpoint", type=Path, help="default: models/mrz_line/.cache/checkpoint-SEED.pt")
    args = ap.parse_args()
    args.checkpoint = args.checkpoint or CACHE / f"checkpoint-{args.seed}.pt"
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    t0 = time.time()
    train = make_data(args.seed, 0, args.documents, jitter=True, other_fonts=args.other_fonts)
    val = make_data(args.seed + 1, 0, args.validation, jitter=False, other_fonts=args.other_fonts)
    print(f"data: {len(train)} training lines, {len(val)} validation lines, {time.time() - t0:.0f} s", flush=True)
    net = Net()
    steps_per_epoch = math.ceil(len(train) / args.batch)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.epochs * steps_per_epoch)
    start = 0
    if args.checkpoint.exists():
        state = torch.load(args.checkpoint, weights_only=False)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start = state["epoch"]
        print(f"resumed after epoch {start}", flush=True)
    ctc = nn.CTCLoss(blank=BLANK, zero_infinity=True)
    gen = torch.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    for _ in range(start):  # the same shuffles as an uninterrupted run would have drawn
        rng.permutation(1)
    line_acc, cer = 0.0, 1.0
    for epoch in range(start, args.epochs):
        net.train()
        total, n, te = 0.0, 0, time.time()
        epoch_rng = np.random.default_rng([args.seed, epoch])
        for x, texts, _lengths in batches(train, args.batch, epoch_rng, train=True, low=args.low_res):
            out = net(augment(x, gen))
            log_probs = out.log_softmax(2).permute(1, 0, 2)
            targets = torch.tensor([ALPHABET.index(c) for t in texts for c in t], dtype=torch.long)
            loss = ctc(
                log_probs,
                targets,
                torch.tensor([out.shape[1]] * len(texts), dtype=torch.long),
                torch.tensor([len(t) for t in texts], dtype=torch.long),
            )
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            sched.step()
            total += loss.item() * len(texts)
            n += len(texts)
        line_acc, cer = evaluate(net, val, rng)
        print(
            f"epoch {epoch + 1}: loss {total / n:.4f}, validation line accuracy {line_acc:.4f}, CER {cer:.4f}, "
            f"{time.time() - te:.0f} s",
            flush=True,
        )
        torch.save(
            {"net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": epoch + 1},
            args.checkpoint,
        )
    net.eval()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    dummy = torch.zeros(1, 1, HEIGHT, 400)
    torch.onnx.export(
        net, dummy, str(OUT), input_names=["lines"], output_names=["logits"],
        dynamic_axes={"lines": {0: "n", 3: "w"}, "logits": {0: "n", 1: "t"}}, opset_version=17, dynamo=False,
    )  # fmt: skip
    data = OUT.read_bytes()
    metrics = {
        "seed": args.seed,
        "documents": args.documents,
        "epochs": args.epochs,
        "other_fonts": args.other_fonts,
        "low_res": args.low_res,
        "training_lines": len(train),
        "validation_lines": len(val),
        "validation_line_accuracy_greedy": round(line_acc, 4),
        "validation_cer_greedy": round(cer, 5),
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "train_seconds": round(time.time() - t0),
        "labels": ALPHABET,
        "blank": BLANK,
        "input": [1, HEIGHT, "w"],
        "stride": STRIDE,
    }
    record_trained("mrz_line", OUT, metrics, HERE)
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
