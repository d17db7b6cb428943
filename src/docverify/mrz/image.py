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
from docverify.mrz.locate import WORK_SIDE, Image, LineCrop, MRZLocation, cut_line, iter_locations, stroke_share
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
    """:func:`read_mrz_image`: the searches of :func:`search_plan` in turn until an MRZ reads as valid,
    stopping cooperatively at ``deadline`` (a :func:`time.monotonic` time): once it has passed, no further
    place or way of reading is tried, and the best reading so far (if any, never a valid one) is returned
    with ``timed_out`` set. The step under way when it passes is finished first."""
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE or max(height, width) > MAX_ASPECT * min(height, width):
        return ImageScan(None)
    if _passed(deadline):
        return ImageScan(None, timed_out=True)
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    best: _Scored | None = None
    scale = 0.0  # of the working copy searched last
    tried: list[MRZLocation] = []
    zoom_until: float | None = None  # the zooms' own time limit, set when the first one starts
    busy: bool | None = None  # whether the image is too busy to search again (measured when needed)
    for step, (side, even_light) in enumerate(search_plan(height, width)):
        if _valid(best):
            break
        if _passed(deadline):
            return ImageScan(None if best is None else best[1], timed_out=True)
        if step and busy is None:
            busy = stroke_share(gray) > BUSY_INK
        if busy:
            break  # noise or a dense texture: searched again, it would only cost time
        if side != WORK_SIDE:
            if not _worth_zooming(best, scale):
                break
            if zoom_until is None:
                zoom_until = time.monotonic() + ZOOM_SECONDS
                zoom_until = zoom_until if deadline is None else min(zoom_until, deadline)
            if _passed(zoom_until):
                break
        scale = min(side / max(height, width), 4.0)
        limit = deadline if side == WORK_SIDE else zoom_until
        locations = iter_locations(gray, work_side=side, even_light=even_light, deadline=limit)  # gray once
        for _ in range(MAX_CANDIDATES):
            if _valid(best):
                break
            location = next(locations, None)
            if location is None:
                break
            if any(_same_place(location, before) for before in tried):
                continue  # read already, the same way
            tried.append(location)
            if _passed(deadline):  # locating is most of the work: it may be what used up the time
                return ImageScan(None if best is None else best[1], timed_out=True)
            reading, timed_out = _read_location(gray, location, ocr, reference_date, config, deadline)
            # a later, less likely place replaces the first reading only when it reads as a valid MRZ
            if reading is not None and (best is None or reading[1].result.valid):
                best = reading
            if timed_out:
                return ImageScan(None if best is None else best[1], timed_out=True)
    return ImageScan(None if best is None else best[1], timed_out=_passed(deadline) and not _valid(best))


ZOOMS = (2, 4)
"""When no MRZ was read at the locator's usual scale (a working copy :data:`WORK_SIDE` px long), or only an
invalid one of small characters (:data:`ZOOM_BELOW_PX`), the image is searched again at these multiples of
that scale, never beyond its own pixels: a document that fills a third of a 12-megapixel photo has
characters 3–7 px tall in the usual working copy, too small to find or to place exactly (filling a fifth of
such a photo, 27 of the 42 real specimens were read exactly before, 38 with the zooms; benchmarks/RESULTS.md)."""
ZOOM_BELOW_PX = 12.0
"""An invalid reading is searched again closer only when its characters were shorter than this in the
working copy (px); taller ones were placed exactly, and a closer look costs time without reading better.
Documents framed as usual have characters 14–36 px tall there."""
BUSY_INK = 0.15
"""No search after the usual one when more than this share of its working copy is dark strokes
(:func:`~docverify.mrz.locate.stroke_share`: at most 0.12 on the real specimens and 400 generated captures
measured, about 0.5 on noise or a dense texture, which a closer search would labour over for seconds)."""
ZOOM_SECONDS = 1.5
"""Time the closer searches may take together (seconds; within :class:`~docverify.config.Limits`'s
``max_seconds``): one at four times the usual scale takes about 0.3 s on a document, and several seconds
on a busy scene."""


def search_sides(height: int, width: int) -> list[int]:
    """The working-copy sizes (long side, px) the search tries in turn for an image of this size: the usual
    one, then each zoom (:data:`ZOOMS`) that shows at least a quarter more of the image's own pixels."""
    longest = max(height, width)
    sides = [WORK_SIDE]
    for zoom in ZOOMS:
        side = min(WORK_SIDE * zoom, longest)
        if side >= 1.25 * sides[-1]:
            sides.append(side)
    return sides


def search_plan(height: int, width: int) -> list[tuple[int, bool]]:
    """The searches :func:`scan_image` makes in turn until an MRZ reads as valid, as (working-copy side,
    ``even_light``) for :func:`~docverify.mrz.locate.iter_locations`: the usual one; the same with the light
    evened out (a shadow across the page); then closer (:func:`search_sides`), only while nothing was read
    or only an invalid MRZ of small characters (:data:`ZOOM_BELOW_PX`). Every later search costs time only
    where the usual one found no valid MRZ."""
    sides = search_sides(height, width)
    return [(sides[0], False), (sides[0], True), *((side, False) for side in sides[1:])]


def _worth_zooming(best: _Scored | None, scale: float) -> bool:
    """Whether a closer search (:data:`ZOOMS`) may read better than ``best``, found in a working copy at
    ``scale``: nothing was read, or an invalid MRZ whose characters were small there."""
    if best is None:
        return True
    reading = best[1]
    return not reading.result.valid and reading.location.char_height * scale < ZOOM_BELOW_PX


def _same_place(a: MRZLocation, b: MRZLocation) -> bool:
    """Whether two locations would cut the same crops: as many lines, each within a tenth of a character's
    height and a degree of the other's, equally long within 2 %."""
    if len(a.lines) != len(b.lines):
        return False
    tol = 0.1 * max(a.char_height, b.char_height)
    return all(
        abs(p.center[0] - q.center[0]) <= tol
        and abs(p.center[1] - q.center[1]) <= tol
        and abs((p.angle - q.angle + 180.0) % 360.0 - 180.0) <= 1.0
        and abs(p.length - q.length) <= 0.02 * max(p.length, q.length)
        and abs(p.height - q.height) <= tol
        for p, q in zip(a.lines, b.lines, strict=True)
    )


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


def reads_mirrored(
    reading: ImageReading, ocr: OCRBackend, reference_date: dt.date | None, config: RepairConfig | None
) -> bool:
    """Whether the line crops of ``reading`` read as a valid MRZ once mirrored left to right (each crop flipped
    and read again; and flipped top to bottom, lines in reverse order, for a reading taken the other way round):
    a cheap test, a few line reads, of an image that shows the MRZ mirrored, before the whole image is searched
    again mirrored."""
    engine = engines_of(ocr)[0]
    # the crops' to_original is left as it was: these crops are only read here, never placed on the image
    across = [
        LineCrop(
            np.ascontiguousarray(c.image[:, ::-1]),
            c.image.shape[1] - c.text_end,
            c.image.shape[1] - c.text_start,
            c.to_original,
        )
        for c in reading.crops
    ]
    upside = [
        LineCrop(np.ascontiguousarray(c.image[::-1, :]), c.text_start, c.text_end, c.to_original)
        for c in reversed(reading.crops)
    ]
    for crops in (across, upside):
        free_glyphs = None if engine.cell_aligned else engine.read_lines(crops)
        for count in _line_counts(len(crops)):
            scored = _read_count(engine, crops, free_glyphs, count, reference_date, config)
            if scored is not None and scored[2].valid:
                return True
    return False


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
