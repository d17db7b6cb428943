"""OCR-B glyph templates and a per-cell template matcher for MRZ lines.

The MRZ is printed in OCR-B at a fixed pitch, so each character occupies a known cell. Comparing a
cell with the 37 glyphs of the MRZ alphabet rendered from the OCR-B font (Debian's ``fonts-ocr-b``)
gives, per cell, a score for every character: probabilities the check-digit repair can use. It tells a
``<`` from a ``K`` by shape, which general-purpose OCR engines get wrong.

Line crops are H×W uint8 gray, dark text on light, upright (see :func:`docverify.mrz.locate.cut_line`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from docverify.errors import DependencyError
from docverify.mrz.cells import grid
from docverify.mrz.spec import LABELS

ALPHABET = LABELS
FONT_PATHS = (
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),
    Path("/usr/share/fonts/truetype/ocr-b/OCRB.ttf"),
)
PITCH_PER_CAP = 2.54 / 2.4
"""Character pitch divided by cap height (ICAO: 2.54 mm pitch, about 2.4 mm cap height)."""

Gray = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float32]


def font_path() -> Path:
    for path in FONT_PATHS:
        if path.exists():
            return path
    raise DependencyError("the OCR-B font is missing: install the Debian package fonts-ocr-b (scripts/setup.sh)")


@functools.lru_cache(maxsize=16)
def templates(cap_height: int) -> tuple[Floats, int, int]:
    """Glyph templates (37 × h × w, float32, ink = 1) for characters ``cap_height`` px tall, and the
    offset (x, y) of a cell's origin inside a template: templates are cells plus a margin."""
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415 - only needed when templates are built

    font = ImageFont.truetype(str(font_path()), size=100)
    box = font.getbbox("H")
    size = max(8, round(100 * cap_height / (box[3] - box[1])))
    font = ImageFont.truetype(str(font_path()), size=size)
    top = font.getbbox("H")[1]
    w = round(cap_height * PITCH_PER_CAP)
    h = round(cap_height * 1.25)
    out = np.zeros((len(ALPHABET), h, w), np.float32)
    for i, ch in enumerate(ALPHABET):
        img = Image.new("L", (w * 3, h * 3), 0)
        draw = ImageDraw.Draw(img)
        bbox = draw.textbbox((0, 0), ch, font=font)
        gx = (w * 3 - (bbox[2] - bbox[0])) / 2 - bbox[0]
        draw.text((gx, h + (h - cap_height) / 2 - top), ch, fill=255, font=font)
        out[i] = np.asarray(img, np.float32)[h : 2 * h, w : 2 * w] / 255.0
    return out, w, h


@dataclass(frozen=True, slots=True)
class CellScores:
    """Per cell, a score per character of :data:`ALPHABET` (correlation, −1…1) and the cell centres."""

    scores: Floats
    centers: npt.NDArray[np.float64]


CAP = 20
"""Cap height (px) at which cells are compared: small enough to be fast, large enough to tell glyphs apart."""


def _ink(crop: Gray) -> Floats:
    """Ink map 0…1 of a line crop (Otsu threshold, softened)."""
    blur = cv2.GaussianBlur(crop, (3, 3), 0)
    t, _ = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    ink = np.clip((t + 25.0 - blur.astype(np.float32)) / 50.0, 0.0, 1.0)
    return np.asarray(ink, dtype=np.float32)


def score_cells(crop: Gray, text_start: float, text_end: float, count: int) -> CellScores:
    """Template scores for ``count`` cells of a line crop whose text spans ``text_start``..``text_end``.

    The crop is scaled so capitals are :data:`CAP` px tall; each template is correlated once along the
    whole line (``cv2.matchTemplate``, normalised correlation) and each cell keeps its best match within
    a few pixels of its centre. Cell centres are returned in crop pixels.
    """
    ink = _ink(crop)
    rows_ink = ink.sum(axis=1)
    rows = np.nonzero(rows_ink > 0.15 * rows_ink.max())[0] if rows_ink.max() > 0 else np.array([], int)
    if len(rows) == 0:
        return CellScores(np.zeros((count, len(ALPHABET)), np.float32), np.zeros(count))
    cap = float(rows[-1] - rows[0] + 1)
    f = CAP / cap
    small = cv2.resize(ink, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    tmpl, w, h = templates(CAP)
    centers = grid(ink, text_start, text_end, count)
    pad = 3
    top = round(rows[0] * f - (h - CAP) / 2) - pad
    band = np.zeros((h + 2 * pad, small.shape[1] + w + 2 * pad), np.float32)
    y0, y1 = max(0, top), min(small.shape[0], top + h + 2 * pad)
    if y1 > y0:
        band[y0 - top : y1 - top, w // 2 + pad : w // 2 + pad + small.shape[1]] = small[y0:y1]
    lefts = np.round(centers * f).astype(np.int64)  # template left edge in band coords = centre in small
    scores = np.full((count, len(ALPHABET)), -1.0, np.float32)
    for i in range(len(ALPHABET)):
        res = cv2.matchTemplate(band, tmpl[i], cv2.TM_CCOEFF_NORMED).max(axis=0)
        res = np.nan_to_num(res, nan=-1.0)
        for k, left in enumerate(lefts):
            lo, hi = max(0, left), min(len(res), left + 2 * pad + 1)
            if hi > lo:
                scores[k, i] = float(res[lo:hi].max())
    return CellScores(scores, centers)
