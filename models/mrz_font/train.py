"""Train the MRZ font model (``mrz_font``: is this glyph printed in OCR-B?) and export it to ONNX.

Reproducible from a seed, CPU only:

    .venv/bin/pip install -e ".[train]"
    apt-get install fonts-liberation fonts-freefont-ttf fonts-noto-mono fonts-croscore fonts-urw-base35 \\
        fonts-inconsolata fonts-firacode fonts-jetbrains-mono fonts-go fonts-anonymous-pro
    .venv/bin/python models/mrz_font/train.py --seed 41 --documents 3000 --validation 400 --epochs 6
    apt-get remove fonts-liberation fonts-freefont-ttf fonts-noto-mono fonts-croscore fonts-urw-base35 \
        fonts-inconsolata fonts-firacode fonts-jetbrains-mono fonts-go fonts-anonymous-pro

(remove the fonts again: the generator draws every installed font of its lists, so with them installed the
tests' and benchmarks' generated forgeries are other documents).

Data (synthetic, generated here, cached in ``models/mrz_font/.cache/``): for each seed
``seed·10⁶ + i`` one fictitious document of ``docverify.synth`` (the five ICAO layouts in turn) is rendered
and captured twice *with the same capture stream* — genuine, and with its MRZ (or one line) retyped in another
font (``mrz.wrong_font``) — as a flatbed scan (40 %) or a phone photo (60 %), stored as its image file would be
and decoded again. Each capture goes through the reader (:func:`~docverify.mrz.image.scan_image`) and every
line read exactly right through :func:`docverify.mrz.conformity.measure_line`, which cuts every glyph aligned
on its OCR-B template (:attr:`~docverify.mrz.conformity.LineMeasure.glyphs`): those glyphs are the data, with
the line's label (retyped or not).

Fonts: the retyped lines of the training documents use :data:`TRAIN_FONTS`, of the validation documents
:data:`VALIDATION_FONTS` (a font the model never saw). DejaVu Sans Mono, the font of the benchmarks'
``mrz.wrong_font`` sets, and Hack (drawn from the same design, Bitstream Vera) are used nowhere here, so the
benchmark measures a font the model has never seen.
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

from docverify.io import load_pages
from docverify.models import detection_metrics
from docverify.mrz.conformity import measure_line
from docverify.mrz.glyphs import ALPHABET
from docverify.mrz.image import scan_image
from docverify.mrz.recognizer import MRZRecognizer
from docverify.results import MRZFormat
from docverify.synth import forgeries
from docverify.synth.capture import capture
from docverify.synth.dataset import _streams, apply_forgery, render_sample

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = HERE / ".cache"
FORMATS = [MRZFormat.TD1, MRZFormat.TD2, MRZFormat.TD3, MRZFormat.MRVA, MRZFormat.MRVB]
CONDITIONS = (("flatbed", 0.4), ("phone", 0.6))
FONTS = Path("/usr/share/fonts")
TRAIN_FONTS = (
    "truetype/liberation/LiberationMono-Regular.ttf",
    "truetype/liberation/LiberationMono-Bold.ttf",
    "truetype/croscore/Cousine-Regular.ttf",
    "truetype/croscore/Cousine-Bold.ttf",
    "truetype/freefont/FreeMono.ttf",
    "truetype/freefont/FreeMonoBold.ttf",
    "truetype/noto/NotoMono-Regular.ttf",
    "truetype/noto/NotoSansMono-Regular.ttf",
    "truetype/noto/NotoSansMono-Bold.ttf",
    "opentype/urw-base35/NimbusMonoPS-Regular.otf",
    "opentype/urw-base35/NimbusMonoPS-Bold.otf",
    "truetype/anonymous-pro/Anonymous Pro.ttf",
    "truetype/anonymous-pro/Anonymous Pro B.ttf",
    "truetype/firacode/FiraCode-Regular.ttf",
    "truetype/firacode/FiraCode-Bold.ttf",
    "truetype/jetbrains-mono/JetBrainsMono-Regular.ttf",
    "truetype/jetbrains-mono/JetBrainsMono-Bold.ttf",
    "truetype/inconsolata/Inconsolata.otf",
)
VALIDATION_FONTS = ("fonts-go/Go-Mono.ttf", "fonts-go/Go-Mono-Bold.ttf")
_OCR: dict[str, MRZRecognizer] = {}


def _glyphs(image: np.ndarray, lines: tuple[str, ...]) -> list[tuple[int, np.ndarray, np.ndarray, float]] | None:
    """Per line read exactly as ``lines``: (line index, glyphs N×h×w uint8, character indices, blur)."""
    ocr = _OCR.setdefault("ocr", MRZRecognizer())
    reading = scan_image(image, ocr, reference_date=dt.date(2026, 1, 1)).reading
    if reading is None or len(reading.crops) != len(lines):
        return None
    out = []
    for i, (crop, text, centres) in enumerate(zip(reading.crops, reading.result.lines, reading.centres, strict=True)):
        if text != lines[i]:
            continue
        m = measure_line(crop, text, centres)
        if m is None:
            continue
        idx = np.array([ALPHABET.index(ch) for ch in text], np.uint8)
        out.append((i, np.round(m.glyphs * 255).astype(np.uint8), idx, m.blur))
    return out


def _one(job: tuple[int, bool]) -> list[dict[str, Any]]:
    """The measured lines of document ``seed``, genuine and retyped, from one capture stream."""
    seed, validation = job
    rng = np.random.default_rng(seed)
    fmt = FORMATS[seed % len(FORMATS)]
    names, weights = zip(*CONDITIONS, strict=True)
    condition = str(rng.choice(names, p=weights))
    forgeries.MRZ_WRONG_FONTS = tuple(str(FONTS / f) for f in (VALIDATION_FONTS if validation else TRAIN_FONTS))
    doc = render_sample(seed, fmt)
    out = []
    for forged in (False, True):
        page = apply_forgery(doc, "mrz.wrong_font", _streams(seed)[2]) if forged else doc
        retyped: set[int] = set()
        if forged:
            which = str(dict(page.truth.forgeries[-1].params)["lines"])
            retyped = set(range(len(page.truth.mrz_lines))) if which == "all" else {int(which) - 1}
        shot = capture(page, condition, _streams(seed)[3])
        measured = _glyphs(load_pages(shot.encode())[0].image, tuple(page.truth.mrz_lines))
        for line, glyphs, idx, blur in measured or []:
            out.append(
                {
                    "glyphs": glyphs,
                    "chars": idx,
                    "blur": blur,
                    "label": int(line in retyped),
                    "condition": condition,
                    "seed": seed,
                    "line": line,
                }
            )
    return out


def build(first: int, count: int, workers: int, *, validation: bool) -> dict[str, np.ndarray]:
    """The lines of documents ``first``..``first+count`` (cached): ``glyphs`` (G×h×w uint8, ink high),
    ``chars`` (G, index in the MRZ alphabet), ``line_of`` (G, the glyph's line), and per line ``label``
    (1: retyped), ``blur``, ``condition``, ``seed``."""
    path = CACHE / f"lines-{first}-{count}{'-val' if validation else ''}.npz"
    if path.exists():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    CACHE.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    jobs = [(s, validation) for s in range(first, first + count)]
    glyphs, chars, line_of, label, blur, cond, seeds = [], [], [], [], [], [], []
    with multiprocessing.Pool(workers) as pool:
        for i, rows in enumerate(pool.imap(_one, jobs, chunksize=4)):
            for r in rows:
                glyphs.append(r["glyphs"])
                chars.append(r["chars"])
                line_of.append(np.full(len(r["chars"]), len(label), np.int32))
                label.append(r["label"])
                blur.append(r["blur"])
                cond.append(r["condition"])
                seeds.append(r["seed"])
            if (i + 1) % 100 == 0:
                print(f"  {i + 1}/{count} documents, {len(label)} lines, {time.time() - t0:.0f} s", flush=True)
    data = {
        "glyphs": np.concatenate(glyphs),
        "chars": np.concatenate(chars),
        "line_of": np.concatenate(line_of),
        "label": np.asarray(label, np.uint8),
        "blur": np.asarray(blur, np.float32),
        "condition": np.asarray(cond),
        "seed": np.asarray(seeds),
    }
    np.savez(path, **data)
    return data


# --- the model ---------------------------------------------------------------------------------------


def _torch() -> Any:
    import torch  # noqa: PLC0415 - training only

    return torch


def make_model(widths: tuple[int, ...] = (16, 32, 48, 64)) -> Any:
    """A small CNN on one glyph and the OCR-B template of the character read (2 × h × w): 3×3 convs, two of
    stride 2, mean- and max-pooled, one logit (retyped)."""
    torch = _torch()
    nn = torch.nn

    class FontNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[Any] = []
            c = 2
            for i, w in enumerate(widths):
                stride = 2 if i in (1, 2) else 1
                layers += [nn.Conv2d(c, w, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
                c = w
            self.features = nn.Sequential(*layers)
            self.head = nn.Linear(2 * c, 1)

        def forward(self, x: Any) -> Any:
            f = self.features(x)
            return self.head(torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1))

    return FontNet()


def model_input(glyphs: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Glyphs (G×h×w, uint8 ink 0…255 or float 0…1) and their characters' indices as the model's input:
    G×2×h×w float32, the glyph and the unblurred OCR-B template of its character, both ink 0…1."""
    from docverify.mrz.conformity import font_input  # noqa: PLC0415

    return font_input(glyphs, chars)


def _augment(glyphs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Training augmentation of raw glyphs (G×h×w float, ink 0…1), applied to both classes alike so that
    none of it can tell OCR-B from another font: stroke weight (grey dilation or erosion), blur, background
    print (a smooth field and fine texture), a scale change of up to 6 % in x and y, a shift of up to a
    pixel, contrast, level and noise."""
    import cv2  # noqa: PLC0415

    out = np.empty_like(glyphs, dtype=np.float32)
    h, w = glyphs.shape[1:]
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for i, glyph in enumerate(glyphs.astype(np.float32)):
        g = glyph
        r = rng.random(6)
        if r[0] < 0.5:
            grown = cv2.dilate(g, cross) if rng.random() < 0.5 else cv2.erode(g, cross)
            a = float(rng.uniform(0.2, 0.8))
            g = (1 - a) * g + a * grown
        if r[1] < 0.4:
            g = cv2.GaussianBlur(g, (0, 0), float(rng.uniform(0.3, 1.0)))
        if r[2] < 0.4:
            sx, sy = rng.uniform(0.94, 1.06, 2)
            m = np.array([[sx, 0, (1 - sx) * w / 2], [0, sy, (1 - sy) * h / 2]], np.float32)
            g = cv2.warpAffine(g, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if r[3] < 0.5:
            field = cv2.resize(rng.random((3, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
            texture = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 0.8)
            g = np.maximum(g, float(rng.uniform(0, 0.3)) * field + float(rng.uniform(0, 0.25)) * texture)
        if r[4] < 0.5:
            g = np.roll(g, (int(rng.integers(-1, 2)), int(rng.integers(-1, 2))), (0, 1))
        g = g * float(rng.uniform(0.6, 1.1)) + float(rng.uniform(-0.05, 0.1))
        if r[5] < 0.5:
            g = g + rng.normal(0, float(rng.uniform(0, 0.06)), g.shape).astype(np.float32)
        out[i] = np.clip(g, 0.0, 1.0)
    return out


def line_scores(glyph_logits: np.ndarray, line_of: np.ndarray, lines: int) -> np.ndarray:
    """Mean glyph logit of every line."""
    total = np.bincount(line_of, weights=glyph_logits, minlength=lines)
    count = np.bincount(line_of, minlength=lines)
    return total / np.maximum(count, 1)


def _logits(model: Any, x: np.ndarray) -> np.ndarray:
    torch = _torch()
    model.eval()
    with torch.no_grad():
        return np.concatenate([model(torch.from_numpy(x[i : i + 2048]))[:, 0].numpy() for i in range(0, len(x), 2048)])


def evaluate(model: Any, data: dict[str, np.ndarray]) -> dict[str, Any]:
    """Per condition: lines, AUC of the line score, detection at the 1 % / 3 % false-alarm levels of these
    genuine lines, and at the level of the genuine lines' maximum."""
    x = model_input(data["glyphs"], data["chars"])
    scores = line_scores(_logits(model, x), data["line_of"], len(data["label"]))
    y, cond = data["label"], data["condition"]
    out: dict[str, Any] = {}
    for c in ("all", *sorted(set(cond.tolist()))):
        m = np.ones(len(y), bool) if c == "all" else cond == c
        neg, pos = scores[m & (y == 0)], scores[m & (y == 1)]
        if len(neg) == 0 or len(pos) == 0:
            continue
        out[c] = {
            "genuine_lines": len(neg),
            "retyped_lines": len(pos),
            **detection_metrics(neg, pos),
            "detected_above_max": round(float((pos > neg.max()).mean()), 4),
        }
    return out


def train(
    data: dict[str, np.ndarray], val: dict[str, np.ndarray], args: argparse.Namespace
) -> tuple[Any, dict[str, Any]]:
    torch = _torch()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    raw, chars = data["glyphs"], data["chars"]
    y = data["label"][data["line_of"]].astype(np.float32)
    # balance the classes: retyped glyphs weigh as much as genuine ones in all
    w = np.where(y == 1, 0.5 / max(y.mean(), 1e-6), 0.5 / max(1 - y.mean(), 1e-6)).astype(np.float32)
    model = make_model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    per_epoch = len(raw) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.epochs * per_epoch)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(raw))
        total = 0.0
        for b in range(per_epoch):
            idx = order[b * args.batch : (b + 1) * args.batch]
            xb = torch.from_numpy(model_input(_augment(raw[idx] / np.float32(255), rng), chars[idx]))
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
        torch.save(model.state_dict(), CACHE / f"mrz_font-{args.seed}.pt")
    return model, {
        "validation": evaluate(model, val),
        "train_lines": len(data["label"]),
        "train_glyphs": len(raw),
        "seconds": round(time.time() - t0),
    }


def export(model: Any, metrics: dict[str, Any], args: argparse.Namespace, shape: tuple[int, int]) -> None:
    from docverify.models import record_trained  # noqa: PLC0415

    torch = _torch()
    model.eval()
    out = ROOT / "src" / "docverify" / "models" / "mrz_font.onnx"
    h, w = shape
    torch.onnx.export(
        model,
        (torch.zeros(1, 2, h, w),),
        str(out),
        input_names=["glyphs"],
        output_names=["logit"],
        dynamic_axes={"glyphs": {0: "n"}, "logit": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    card = {
        "model": "mrz_font",
        "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
        "size_bytes": out.stat().st_size,
        "labels": "logit of a glyph not printed in OCR-B",
        "seed": args.seed,
        "documents": args.documents,
        "validation_documents": args.validation,
        "epochs": args.epochs,
        "input": [1, 2, h, w],
        **metrics,
    }
    record_trained("mrz_font", out, card, HERE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=41)
    ap.add_argument("--documents", type=int, default=3000)
    ap.add_argument("--validation", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--build-only", action="store_true")
    args = ap.parse_args()
    missing = [f for f in (*TRAIN_FONTS, *VALIDATION_FONTS) if not (FONTS / f).is_file()]
    if missing:  # the generator would fall back to DejaVu, the benchmark's font: refuse
        raise SystemExit(f"train.py: fonts missing ({', '.join(missing)}); install them (see the docstring)")
    first = args.seed * 1_000_000
    data = build(first, args.documents, args.workers, validation=False)
    val = build(first + args.documents, args.validation, args.workers, validation=True)
    if args.build_only:
        return 0
    _torch().set_num_threads(args.workers)
    model, metrics = train(data, val, args)
    export(model, metrics, args, data["glyphs"].shape[1:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
