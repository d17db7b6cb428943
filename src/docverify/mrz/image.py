"""Read the MRZ from an image: locate, cut the lines upright, OCR, place glyphs in their cells, repair.

The fixed pitch of the MRZ is used twice: it tells which character cell each OCR glyph belongs to (an
engine that drops a ``<`` or reads one ``<`` as two no longer shifts the rest of the line), and it
tells which layouts fit the lines' length.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from docverify.errors import InputError
from docverify.mrz.glyphs import ALPHABET, CellScores, score_cells
from docverify.mrz.locate import Image, LineCrop, MRZLocation, cut_line, iter_locations
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
    crops: tuple[LineCrop, ...] = ()
    """The upright line crops the text was read from, one per line of ``location`` (top to bottom)."""
    centres: tuple[tuple[float, ...], ...] = ()
    """Per line, the x centre of every character cell read, in the pixels of that line's crop."""


def _grid(glyphs: Sequence[Glyph], crop: LineCrop, count: int) -> npt.NDArray[np.float64]:
    """Centres of the ``count`` character cells in crop pixels.

    Starts from an even pitch between the text's ends and refines it on the glyphs' centres with a
    quadratic fit (index → x), which absorbs the foreshortening of a photo taken at an angle.
    """
    span = crop.text_end - crop.text_start
    pitch = span / (count - 0.3)  # the text ends one character width (about 0.7 pitch) into the last cell
    k_all = np.arange(count, dtype=np.float64)
    centres = np.array([g.center for g in glyphs], dtype=np.float64)
    if len(centres) >= 10:
        # Most neighbouring glyphs sit in neighbouring cells: their spacing is the pitch, even when the
        # located line was too short or too long.
        steps = np.diff(centres)
        measured = float(np.median(steps[steps > 0.5 * np.median(steps)]))
        if 0.6 * pitch < measured < 1.6 * pitch:
            pitch = measured
    grid = crop.text_start + 0.35 * pitch + pitch * k_all
    if len(centres) < max(8, count // 3):
        return grid
    for _ in range(3):
        k = np.clip(np.searchsorted(grid, centres), 1, count - 1)
        nearest = np.where(np.abs(grid[k - 1] - centres) <= np.abs(grid[k] - centres), k - 1, k)
        resid = np.abs(grid[nearest] - centres)
        keep = resid < 0.4 * pitch
        if keep.sum() < max(8, count // 3):
            break
        coef = np.polyfit(nearest[keep].astype(np.float64), centres[keep], 2 if keep.sum() >= 12 else 1)
        refined = np.asarray(np.polyval(coef, k_all), dtype=np.float64)
        if not np.all(np.diff(refined) > 0.5 * pitch):
            break  # a fit that folds back is not a character grid
        grid = refined
    return grid


def cells(glyphs: Sequence[Glyph], crop: LineCrop, count: int) -> str:
    """Place ``glyphs`` into ``count`` character cells along the crop's text; one character each.

    A cell with two glyphs keeps the one nearest its centre; an empty cell becomes ``<`` inside a run
    of fillers and :data:`UNREADABLE` elsewhere.
    """
    grid = _grid(glyphs, crop, count)
    pitch = float(np.median(np.diff(grid))) if count > 1 else 1.0
    best: dict[int, tuple[float, str]] = {}
    for g in glyphs:
        k = int(np.argmin(np.abs(grid - g.center)))
        off = abs(g.center - grid[k])
        if off > 0.6 * pitch:
            continue
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


_FILLER_LIKE = frozenset("KXSECL6G<" + UNREADABLE)


def _fillers_by_shape(text: str, shapes: CellScores) -> str:
    """Cells whose shape matches the OCR-B ``<`` clearly better than any other glyph become ``<`` (OCR
    engines read the chevron as K, X, S, E, 4, R …); unread cells take the best matching glyph."""
    filler = ALPHABET.index("<")
    out = list(text)
    for k, ch in enumerate(text):
        row = shapes.scores[k]
        order = np.argsort(-row)
        top, second = int(order[0]), int(order[1])
        if ch == UNREADABLE and row[top] >= 0.5:
            out[k] = ALPHABET[top]
        elif (
            top == filler
            and row[top] >= 0.5
            and (row[top] - row[second] >= 0.1 or (ch in _FILLER_LIKE and row[top] - row[second] >= 0.05))
        ):
            out[k] = "<"
    return "".join(out)


def _line_counts(n_lines: int) -> tuple[int, ...]:
    return (30,) if n_lines == 3 else (44, 36)


def _quality(result: MRZResult, fit: float) -> tuple[int, float, int, int]:
    """Ranks readings: valid first, then the cell fit (to 0.05), then check digits, then fewer errors."""
    checks_ok = sum(c.ok for c in result.check_digits)
    errors = sum(f.severity is Severity.ERROR for f in result.findings)
    return (int(result.valid), round(fit * 20) / 20, checks_ok - len(result.check_digits), -errors)


def read_mrz_image(
    image: Image,
    ocr: OCRBackend,
    *,
    reference_date: dt.date | None = None,
    config: RepairConfig | None = None,
) -> ImageReading | None:
    """Find and read the MRZ in ``image`` (H×W×3 RGB uint8). ``None`` when no MRZ is found or read."""
    return scan_image(image, ocr, reference_date=reference_date, config=config).reading


@dataclass(frozen=True, slots=True)
class ImageScan:
    """The outcome of :func:`scan_image`: the reading (``None`` when no MRZ was read) and whether the
    search stopped at its deadline before it had tried every place and reading it meant to."""

    reading: ImageReading | None
    timed_out: bool = False


MIN_SIDE = 8
"""Images with a side shorter than this (pixels) cannot hold two lines of text: they are not searched."""
MAX_ASPECT = 50.0
"""Nor are images more elongated than this (an MRZ alone is at most about 10 : 1): the locator works on a
copy about 1,100 pixels long, in which such an image would shrink to nothing."""


def scan_image(
    image: Image,
    ocr: OCRBackend,
    *,
    reference_date: dt.date | None = None,
    config: RepairConfig | None = None,
    deadline: float | None = None,
) -> ImageScan:
    """:func:`read_mrz_image`, stopping cooperatively at ``deadline`` (a :func:`time.monotonic` time):
    once it has passed, no further place or way of reading is tried, and the best reading so far (if any,
    never a valid one) is returned with ``timed_out`` set. The step under way when it passes is finished
    first."""
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE or max(height, width) > MAX_ASPECT * min(height, width):
        return ImageScan(None)
    if _passed(deadline):
        return ImageScan(None, timed_out=True)
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    best: _Scored | None = None
    locations = iter_locations(gray)  # gray once, for locating and cutting
    for _ in range(MAX_CANDIDATES):
        if _valid(best):
            break
        location = next(locations, None)
        if location is None:
            break
        if _passed(deadline):  # locating is most of the work: it may be what used up the time
            return ImageScan(None if best is None else best[1], timed_out=True)
        reading, timed_out = _read_location(gray, location, ocr, reference_date, config, deadline)
        # a later, less likely place replaces the first reading only when it reads as a valid MRZ
        if reading is not None and (best is None or reading[1].result.valid):
            best = reading
        if timed_out:
            return ImageScan(None if best is None else best[1], timed_out=True)
    return ImageScan(None if best is None else best[1])


def _valid(scored: _Scored | None) -> bool:
    return scored is not None and scored[1].result.valid


def _passed(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


MAX_CANDIDATES = 5
"""Places tried per image before giving up on a valid reading."""

_Scored = tuple[tuple[int, float, int, int], ImageReading]


def engines_of(ocr: OCRBackend) -> tuple[OCRBackend, ...]:
    """The engines behind ``ocr``, in the order they are tried: an OCR backend may carry a tuple of
    ``engines`` (a first reader and second opinions), otherwise it is its own only engine."""
    inner = getattr(ocr, "engines", None)
    return tuple(inner) if inner else (ocr,)


def _read_location(  # noqa: PLR0917 - an internal step of scan_image
    gray: Image,
    location: MRZLocation,
    ocr: OCRBackend,
    reference_date: dt.date | None,
    config: RepairConfig | None,
    deadline: float | None = None,
) -> tuple[_Scored | None, bool]:
    """The best reading of ``location``, tried both ways round and at every character count that fits;
    and whether ``deadline`` passed before every way was tried.

    With several engines (:func:`engines_of`), a later engine is asked only when the earlier ones found
    no valid reading, and its reading replaces theirs only when it is valid."""
    best: _Scored | None = None
    steps = 0
    crops_of: dict[int, list[LineCrop]] = {}
    for engine in engines_of(ocr):
        own: _Scored | None = None
        for turn, attempt in enumerate((location, location.flipped())):
            if steps and _passed(deadline):
                return _prefer(best, own), True
            if turn not in crops_of:
                crops_of[turn] = [cut_line(gray, line) for line in attempt.lines]
            crops = crops_of[turn]
            free_glyphs = None if engine.cell_aligned else engine.read_lines(crops)
            for count in _line_counts(len(crops)):
                if steps and _passed(deadline):
                    best = _prefer(best, own)
                    return best, not _valid(best)
                steps += 1
                scored = _read_count(engine, crops, free_glyphs, count, reference_date, config)
                if scored is None:
                    continue
                score, lines, result, centres = scored
                if own is None or score > own[0]:
                    own = (score, ImageReading(result, attempt, lines, tuple(crops), centres))
            if _valid(own):
                break
        best = _prefer(best, own)
        if _valid(best):
            break
    return best, False


def _prefer(first: _Scored | None, later: _Scored | None) -> _Scored | None:
    """An earlier engine's reading, unless there is none or a later engine's reading is valid."""
    if first is None or (later is not None and later[1].result.valid and not first[1].result.valid):
        return later if later is not None else first
    return first


def _read_count(  # noqa: PLR0917 - an internal step of _read_location
    engine: OCRBackend,
    crops: list[LineCrop],
    free_glyphs: list[list[Glyph]] | None,
    count: int,
    reference_date: dt.date | None,
    config: RepairConfig | None,
) -> tuple[tuple[int, float, int, int], tuple[str, ...], MRZResult, tuple[tuple[float, ...], ...]] | None:
    """One engine's reading of the crops as lines of ``count`` characters, repaired and ranked; ``None``
    when the lines cannot be read at that count."""
    alternatives: list[list[list[tuple[str, float]]]] | None = None
    if free_glyphs is None:
        # a cell reader: one glyph per cell, with its probabilities for the repair; the right
        # character count puts every cell on a glyph, where the recognizer is confident
        per_cell = engine.read_lines(crops, count)
        if not all(per_cell):
            return None  # a line that cannot be read as ``count`` characters
        lines = tuple("".join(g.char for g in row) for row in per_cell)
        alternatives = [[list(g.alternatives) for g in row] for row in per_cell]
        fit = float(np.mean([row[0][1] for line in alternatives for row in line if row]))
        centres = tuple(tuple(g.center for g in row) for row in per_cell)
    else:
        shapes = [score_cells(c.image, c.text_start, c.text_end, count) for c in crops]
        lines = tuple(
            _fillers_by_shape(cells(g, c, count), sh) for g, c, sh in zip(free_glyphs, crops, shapes, strict=True)
        )
        fit = float(np.mean([sh.scores.max(axis=1).mean() for sh in shapes]))
        centres = tuple(tuple(float(x) for x in sh.centers) for sh in shapes)
    try:
        result = read_mrz(lines, reference_date=reference_date, config=config, alternatives=alternatives)
    except InputError:
        return None
    return _quality(result, fit), lines, result, centres
