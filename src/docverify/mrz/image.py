"""Read the MRZ from an image: locate, cut the lines upright, OCR, place glyphs in their cells, repair.

The fixed pitch of the MRZ is used twice: it tells which character cell each OCR glyph belongs to (an
engine that drops a ``<`` or reads one ``<`` as two no longer shifts the rest of the line), and it
tells which layouts fit the lines' length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import cv2

from docverify.errors import InputError
from docverify.mrz.locate import Image, LineCrop, MRZLocation, cut_line, locate_mrz
from docverify.mrz.reader import read_mrz
from docverify.mrz.repair import RepairConfig
from docverify.ocr import Glyph, OCRBackend
from docverify.results import MRZResult, Severity

UNREADABLE = "?"
"""Placed in a cell where no glyph was read and no filler run suggests '<'; the repair treats it as unknown."""


@dataclass(frozen=True, slots=True)
class ImageReading:
    """The MRZ read from an image: the result, where it is, and what the OCR saw."""

    result: MRZResult
    location: MRZLocation
    raw_lines: tuple[str, ...]


def cells(glyphs: Sequence[Glyph], crop: LineCrop, count: int) -> str:
    """Place ``glyphs`` into ``count`` equal character cells spanning the crop's text; one character each.

    A cell with two glyphs keeps the one nearest its centre; an empty cell becomes ``<`` inside a run
    of fillers and :data:`UNREADABLE` elsewhere.
    """
    span = crop.text_end - crop.text_start
    pitch = span / (count - 0.3)  # the text ends one character width (about 0.7 pitch) into the last cell
    centre0 = crop.text_start + 0.35 * pitch
    best: dict[int, tuple[float, str]] = {}
    for g in glyphs:
        k = round((g.center - centre0) / pitch)
        if not 0 <= k < count:
            continue
        off = abs(g.center - (centre0 + k * pitch))
        if k not in best or off < best[k][0]:
            best[k] = (off, g.char)
    chars = [best[k][1] if k in best else "" for k in range(count)]
    for k, ch in enumerate(chars):
        if ch:
            continue
        left = next((c for c in reversed(chars[:k]) if c), "<")
        right = next((c for c in chars[k + 1 :] if c), "<")
        chars[k] = "<" if left == "<" or right == "<" else UNREADABLE
    return "".join(chars)


def _line_counts(n_lines: int) -> tuple[int, ...]:
    return (30,) if n_lines == 3 else (44, 36)


def _quality(result: MRZResult) -> tuple[int, int, int]:
    checks_ok = sum(c.ok for c in result.check_digits)
    errors = sum(f.severity is Severity.ERROR for f in result.findings)
    return (int(result.valid), checks_ok - len(result.check_digits), -errors)


def read_mrz_image(
    image: Image,
    ocr: OCRBackend,
    *,
    reference_date: dt.date | None = None,
    config: RepairConfig | None = None,
) -> ImageReading | None:
    """Find and read the MRZ in ``image`` (H×W×3 RGB uint8). ``None`` when no MRZ is found or read."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    location = locate_mrz(image)
    if location is None:
        return None
    best: tuple[tuple[int, int, int], ImageReading] | None = None
    for attempt in (location, location.flipped()):
        crops = [cut_line(gray, line) for line in attempt.lines]
        glyphs = ocr.read_lines([c.image for c in crops])
        for count in _line_counts(len(crops)):
            lines = tuple(cells(g, c, count) for g, c in zip(glyphs, crops, strict=True))
            try:
                result = read_mrz(lines, reference_date=reference_date, config=config)
            except InputError:
                continue
            score = _quality(result)
            if best is None or score > best[0]:
                best = (score, ImageReading(result, attempt, lines))
        if best is not None and best[1].result.valid:
            break
    return None if best is None else best[1]
