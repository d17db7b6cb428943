"""Train the visual-zone (VIZ) line recognizer (CNN + CTC over one printed text line) and export it to ONNX.

Reproducible from a seed, CPU only:

    .venv/bin/pip install -e ".[train]"
    .venv/bin/python models/viz_line/train.py --seed 21 --lines 60000 --epochs 6   # the shipped model

Data (synthetic, generated here by :func:`render_line`, cached in ``models/viz_line/.cache/``): single text
lines of the kinds a data page prints — names (1–3 words, letters drawn by English letter frequency or
uniformly, some accented, upper or title case), document numbers, dates in a dozen formats and languages,
bilingual field labels in mixed case, short codes and random character soup — each in one of the installed
TrueType/OpenType fonts (sans, serif, mono; regular, bold, italic: every font under
``/usr/share/fonts`` except OCR-B and symbol fonts), at a random size, tracking and ink colour, over a light
background with guilloche-like curves, rotated up to ±2°, sometimes with parts of the lines above and below,
then blurred, noised, optionally JPEG-compressed or seen at a low resolution, and cut the way the reader cuts
a line (:func:`docverify.viz_reader.crop_line`: the ink's box, padded, 32 px high). **No generator document
and nothing from ``../shared`` is used**: the benchmarks' documents (``docverify.synth``) are unseen layouts.

Labels use the MRZ alphabet: ``0-9``, ``A-Z`` (lower case read as upper case, accents dropped: ``É`` → ``E``)
and ``<`` for any run of spaces and punctuation (``12 AUG/AOÛT 74`` → ``12<AUG<AOUT<74``), so a name's words
line up with the MRZ's filler. 38 classes with the CTC blank last.

Model: as ``mrz_line`` (5 conv blocks folding the 32-px height, one frame per 4 px of width, a 1-D conv head),
wider (24/48/64/96/128 channels). Output: ``src/docverify/models/viz_line.onnx``, with SHA-256, size and
metrics in ``metrics.json`` beside this file and the registry entry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import multiprocessing
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import nn

from docverify.models import record_trained
from docverify.viz_reader import HEIGHT, LABELS, STRIDE, crop_line, label_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "src" / "docverify" / "models" / "viz_line.onnx"
CACHE = HERE / ".cache"
BLANK = len(LABELS)
FONT_ROOT = Path("/usr/share/fonts")
EXCLUDED = ("ocr", "math", "extralight")
LETTER_FREQ = "EEEEEEEEEEEEAAAAAAAARRRRRRRIIIIIIIOOOOOOOTTTTTTTNNNNNNNSSSSSSLLLLLCCCCUUUUDDDPPPMMMHHHGGBBFFYYWKVXZJQ"
ACCENTED = "ÄÖÜÉÈÊÁÍÓÚÑÇÅØÂÔÎËÏŠŽČĆ"
MONTHS = (
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    ("JANV", "FÉVR", "MARS", "AVR", "MAI", "JUIN", "JUIL", "AOÛT", "SEPT", "OCT", "NOV", "DÉC"),
    ("JAN", "FEV", "MAR", "AVR", "MAI", "JUN", "JUL", "AOU", "SEP", "OCT", "NOV", "DEC"),
    ("ENE", "FEB", "MAR", "ABR", "MAY", "JUN", "JUL", "AGO", "SEP", "OCT", "NOV", "DIC"),
    ("GEN", "FEB", "MAR", "APR", "MAG", "GIU", "LUG", "AGO", "SET", "OTT", "NOV", "DIC"),
    ("JAN", "FEB", "MÄR", "APR", "MAI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEZ"),
    ("JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER",
     "NOVEMBER", "DECEMBER"),
)  # fmt: skip


def fonts() -> list[str]:
    """Every installed outline font except OCR-B, maths and hairline faces (sorted: reproducible)."""
    out = [
        str(p)
        for p in sorted(FONT_ROOT.rglob("*"))
        if p.suffix.lower() in (".ttf", ".otf") and not any(e in p.name.lower() for e in EXCLUDED)
    ]
    if not out:
        raise SystemExit("no fonts under /usr/share/fonts (apt-get install fonts-dejavu-core fonts-liberation)")
    return out


# --- text -------------------------------------------------------------------------------------------


def _word(rng: np.random.Generator, lo: int, hi: int) -> str:
    n = int(rng.integers(lo, hi + 1))
    pool = LETTER_FREQ if rng.random() < 0.7 else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    chars = [pool[int(rng.integers(0, len(pool)))] for _ in range(n)]
    for i in range(n):
        if rng.random() < 0.04:
            chars[i] = ACCENTED[int(rng.integers(0, len(ACCENTED)))]
    return "".join(chars)


def _case(rng: np.random.Generator, text: str, upper: float) -> str:
    r = rng.random()
    if r < upper:
        return text.upper()
    if r < upper + (1 - upper) * 0.6:
        return text.title()
    return text.lower()


def _date(rng: np.random.Generator) -> str:
    d = dt.date(1920, 1, 1) + dt.timedelta(days=int(rng.integers(0, 45000)))
    months = MONTHS[int(rng.integers(0, len(MONTHS)))]
    mon = months[d.month - 1]
    other = MONTHS[int(rng.integers(0, len(MONTHS)))][d.month - 1]
    yy = f"{d.year % 100:02d}"
    forms = (
        f"{d.day:02d} {mon} {d.year}",
        f"{d.day:02d} {mon} {yy}",
        f"{d.day:02d} {mon}/{other} {yy}",
        f"{d.day:02d} {mon}/{other} {d.year}",
        f"{d.day} {mon} {d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.day:02d}-{d.month:02d}-{d.year}",
        f"{d.year}-{d.month:02d}-{d.day:02d}",
        f"{d.day:02d} {d.month:02d} {d.year}",
        f"{d.day:02d}.{d.month:02d}.{yy}",
        f"{d.day:02d}{mon}{yy}",
        f"{d.day:02d} {mon.title()} {d.year}",
    )
    return forms[int(rng.integers(0, len(forms)))]


def _number(rng: np.random.Generator) -> str:
    n = int(rng.integers(5, 11))
    kind = rng.random()
    digits = "".join(str(int(rng.integers(0, 10))) for _ in range(n))
    if kind < 0.35:
        return digits
    if kind < 0.7:
        k = int(rng.integers(1, 3))
        return "".join(chr(65 + int(rng.integers(0, 26))) for _ in range(k)) + digits[k:]
    return "".join(
        chr(65 + int(rng.integers(0, 26))) if rng.random() < 0.4 else str(int(rng.integers(0, 10))) for _ in range(n)
    )


def random_text(rng: np.random.Generator) -> str:
    """One line of data-page text (see the module docstring for the kinds and their shares)."""
    r = rng.random()
    if r < 0.3:
        sep = " " if rng.random() < 0.8 else "-"
        words = [_word(rng, 2, 11) for _ in range(int(rng.integers(1, 4)))]
        return _case(rng, sep.join(words), 0.85)
    if r < 0.45:
        return _number(rng)
    if r < 0.7:
        return _date(rng)
    if r < 0.82:
        words = [_case(rng, _word(rng, 2, 10), 0.1) for _ in range(int(rng.integers(1, 4)))]
        text = " ".join(words)
        if rng.random() < 0.5:
            text += " / " + " ".join(_case(rng, _word(rng, 2, 10), 0.1) for _ in range(int(rng.integers(1, 3))))
        return text
    if r < 0.88:
        return str(rng.choice(["P", "M", "F", "X", "M/M", "F/F", "UTO", "D", "I", "V", "PC", "1.75 m", "165 cm"]))
    pool = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ./-,'"
    n = int(rng.integers(1, 21))
    return "".join(pool[int(rng.integers(0, len(pool)))] for _ in range(n)).strip() or "A"


# --- rendering --------------------------------------------------------------------------------------


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A light page: a colour, a gradient and guilloche-like sine curves (RGB uint8, H×W×3)."""
    base = rng.uniform(170, 255, 3)
    img = np.ones((h, w, 3), np.float32) * base
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img += (rng.uniform(-20, 20) * xx / max(w, 1))[..., None]
    for _ in range(int(rng.integers(0, 4))):
        period = rng.uniform(4, 40)
        amp = rng.uniform(2, 30)
        phase = rng.uniform(0, 2 * math.pi)
        freq = rng.uniform(0.005, 0.05)
        colour = rng.uniform(-70, -10, 3)
        wave = np.sin((yy + amp * np.sin(xx * freq + phase)) * 2 * math.pi / period)
        img += (np.clip(wave, 0.85, 1.0) - 0.85)[..., None] / 0.15 * colour * rng.uniform(0.3, 1.0)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont, *,
    tracking: float, fill: tuple[int, ...],
) -> float:  # fmt: skip
    """Text drawn from its baseline's left end, character by character with extra ``tracking`` px."""
    x, y = xy
    for ch in text:
        draw.text((x, y), ch, font=font, fill=fill, anchor="ls")
        x += font.getlength(ch) + tracking
    return x


def render_line(seed: int, font_list: list[str]) -> tuple[np.ndarray, str] | None:
    """One training line: (32×W uint8, ink high, as :func:`crop_line` cuts it; its label) or ``None``."""
    rng = np.random.default_rng(seed)
    text = random_text(rng)
    label = label_text(text)
    if not label:
        return None
    font_path = font_list[int(rng.integers(0, len(font_list)))]
    cap = rng.uniform(14, 34)
    try:
        probe = ImageFont.truetype(font_path, 100)
        cap_ratio = -probe.getbbox("H", anchor="ls")[1] / 100.0
        font = ImageFont.truetype(font_path, max(6, round(cap / max(cap_ratio, 0.3))))
    except OSError:
        return None
    tracking = rng.uniform(-0.03, 0.2) * cap if rng.random() < 0.4 else 0.0
    width = int(sum(font.getlength(c) for c in text) + tracking * len(text) + 6 * cap)
    h = int(cap * 6)
    page = Image.fromarray(_background(rng, h, width))
    draw = ImageDraw.Draw(page)
    ink = (
        tuple(int(v) for v in rng.uniform(0, 90, 3))
        if rng.random() < 0.7
        else tuple(int(v) for v in rng.uniform(0, 140, 3) * np.array([1.0, 0.6, 0.6])[rng.permutation(3)])
    )
    x0, base = 2.5 * cap, 3.5 * cap
    mask = Image.new("L", page.size, 0)
    _draw(ImageDraw.Draw(mask), (x0, base), text, font, tracking=tracking, fill=(255,))
    _draw(draw, (x0, base), text, font, tracking=tracking, fill=ink)
    if rng.random() < 0.35:  # lines above and below, partly inside the crop
        for dy in (-1, 1):
            if rng.random() < 0.6:
                other = random_text(rng)
                gap = rng.uniform(1.25, 2.2) * cap
                _draw(draw, (x0 + rng.uniform(-2, 2) * cap, base + dy * gap), other, font, tracking=0.0, fill=ink)
    img = np.asarray(page)
    m = np.asarray(mask)
    angle = rng.uniform(-2.0, 2.0)
    rot = cv2.getRotationMatrix2D((width / 2, h / 2), angle, 1.0)
    img = cv2.warpAffine(img, rot, (width, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    m = cv2.warpAffine(m, rot, (width, h), flags=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(m > 96)
    if len(xs) == 0:
        return None
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    # capture: low resolution, blur, noise, JPEG — at the size the text is printed here
    if rng.random() < 0.5:
        f = rng.uniform(0.25, 0.7)
        small = cv2.resize(gray, (max(8, round(width * f)), max(8, round(h * f))), interpolation=cv2.INTER_AREA)
        gray = cv2.resize(small, (width, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        gray = cv2.GaussianBlur(gray, (0, 0), rng.uniform(0.3, 0.06 * cap))
    noise = rng.normal(0, rng.uniform(0, 12), gray.shape)
    gray = np.clip(gray.astype(np.float32) * rng.uniform(0.6, 1.0) + rng.uniform(0, 60) + noise, 0, 255)
    gray = gray.astype(np.uint8)
    if rng.random() < 0.3:
        _, enc = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 90))])
        gray = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    pad = (rng.uniform(0.1, 0.35), rng.uniform(0.05, 0.3), rng.uniform(0.1, 0.35), rng.uniform(0.05, 0.3))
    out = crop_line(gray, box, pad=pad)
    if out.shape[1] // STRIDE < 2 * len(label) + 1:
        return None
    return out, label


def _render_job(args: tuple[int, int, list[str]]) -> list[tuple[np.ndarray, str]]:
    first, count, font_list = args
    out = []
    for s in range(first, first + count):
        item = render_line(s, font_list)
        if item is not None:
            out.append(item)
    return out


def make_data(seed: int, count: int) -> list[tuple[np.ndarray, str]]:
    path = CACHE / f"lines-{seed}-{count}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        widths, texts, flat = z["widths"], z["texts"], z["pixels"]  # each access would decompress again
        out, pos = [], 0
        for w, t in zip(widths, texts, strict=True):
            n = HEIGHT * int(w)
            out.append((flat[pos : pos + n].reshape(HEIGHT, int(w)), str(t)))
            pos += n
        return out
    font_list = fonts()
    base = seed * 10_000_000
    step = 500
    jobs = [(base + i, min(step, count - i), font_list) for i in range(0, count, step)]
    items: list[tuple[np.ndarray, str]] = []
    t0 = time.time()
    with multiprocessing.Pool(2) as pool:
        for rows in pool.imap(_render_job, jobs):
            items.extend(rows)
            print(f"  {len(items)} lines, {time.time() - t0:.0f} s", flush=True)
    CACHE.mkdir(exist_ok=True)
    np.savez(
        path,
        widths=np.array([im.shape[1] for im, _ in items]),
        texts=np.array([t for _, t in items]),
        pixels=np.concatenate([im.ravel() for im, _ in items]),
    )
    return items


# --- model ------------------------------------------------------------------------------------------


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

        self.features = nn.Sequential(
            *block(1, 24), nn.MaxPool2d(2),  # 16 × W/2
            *block(24, 48), nn.MaxPool2d(2),  # 8 × W/4
            *block(48, 64), *block(64, 96), nn.MaxPool2d((2, 1)),  # 4 × W/4
            *block(96, 128), nn.MaxPool2d((4, 1)),  # 1 × W/4
        )  # fmt: skip
        self.head = nn.Sequential(
            nn.Conv1d(128, 160, 3, padding=1), nn.ReLU(), nn.Conv1d(160, 160, 3, padding=1), nn.ReLU(),
            nn.Dropout(0.1), nn.Conv1d(160, BLANK + 1, 1),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N×1×32×W ink-high images → N×(W/4)×38 logits."""
        f = self.features(x).squeeze(2)
        return self.head(f).permute(0, 2, 1)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Contrast, stroke weight and noise changes on a batch (N×1×H×W, ink 0…1)."""
    n = x.shape[0]
    r = torch.rand(3, generator=gen).tolist()
    if r[0] < 0.2:
        x = torch.nn.functional.max_pool2d(x, 3, stride=1, padding=1) * 0.5 + x * 0.5
    elif r[0] < 0.35:
        x = -torch.nn.functional.max_pool2d(-x, 3, stride=1, padding=1) * 0.5 + x * 0.5
    gain = 0.6 + 0.8 * torch.rand(n, 1, 1, 1, generator=gen)
    x = x * gain + 0.1 * torch.rand(n, 1, 1, 1, generator=gen)
    x = x + 0.06 * r[1] * torch.randn(x.shape, generator=gen)
    return x.clamp(0, 1)


def batches(items: list[tuple[np.ndarray, str]], size: int, rng: np.random.Generator, *, train: bool):
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
            imgs.append(im)
        width = (max(im.shape[1] for im in imgs) + STRIDE - 1) // STRIDE * STRIDE
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
            out.append(LABELS[b])
        prev = b
    return "".join(out)


def _edit(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def evaluate(net: Net, items: list[tuple[np.ndarray, str]], rng: np.random.Generator) -> tuple[float, float]:
    """(line accuracy, character error rate) of greedy decoding."""
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--lines", type=int, default=60000)
    ap.add_argument("--validation", type=int, default=3000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--checkpoint", type=Path, help="default: models/viz_line/.cache/checkpoint-SEED.pt")
    args = ap.parse_args()
    args.checkpoint = args.checkpoint or CACHE / f"checkpoint-{args.seed}.pt"
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    t0 = time.time()
    train = make_data(args.seed, args.lines)
    val = make_data(args.seed + 1, args.validation)
    print(f"data: {len(train)} training lines, {len(val)} validation lines, {time.time() - t0:.0f} s", flush=True)
    net = Net()
    print(f"parameters: {sum(p.numel() for p in net.parameters())}", flush=True)
    steps = math.ceil(len(train) / args.batch)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.epochs * steps)
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
    line_acc, cer = 0.0, 1.0
    for epoch in range(start, args.epochs):
        net.train()
        total, n, te = 0.0, 0, time.time()
        for x, texts, _lengths in batches(train, args.batch, np.random.default_rng([args.seed, epoch]), train=True):
            out = net(augment(x, gen))
            log_probs = out.log_softmax(2).permute(1, 0, 2)
            targets = torch.tensor([LABELS.index(c) for t in texts for c in t], dtype=torch.long)
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
            if (n // len(texts)) % 250 == 0:
                print(f"  {n} lines, loss {total / n:.4f}, {time.time() - te:.0f} s", flush=True)
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
    dummy = torch.zeros(1, 1, HEIGHT, 400)
    torch.onnx.export(
        net, dummy, str(OUT), input_names=["lines"], output_names=["logits"],
        dynamic_axes={"lines": {0: "n", 3: "w"}, "logits": {0: "n", 1: "t"}}, opset_version=17, dynamo=False,
    )  # fmt: skip
    data = OUT.read_bytes()
    metrics = {
        "seed": args.seed,
        "lines": args.lines,
        "epochs": args.epochs,
        "training_lines": len(train),
        "validation_lines": len(val),
        "validation_line_accuracy_greedy": round(line_acc, 4),
        "validation_cer_greedy": round(cer, 5),
        "fonts": [Path(f).name for f in fonts()],
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "train_seconds": round(time.time() - t0),
        "labels": LABELS,
        "blank": BLANK,
        "input": [1, HEIGHT, "w"],
        "stride": STRIDE,
    }
    record_trained("viz_line", OUT, metrics, HERE)
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
