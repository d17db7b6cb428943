"""Scraped MRZ characters: the background print missing under some cells and present around them.

A forger who changes characters of a printed MRZ must first remove them: scrape or bleach the paper, paint
over them, or in an image fill their cells with the paper's colour, and then print the new characters. The
security background printed under the MRZ (fine lines, a guilloche) goes with the old ink, so under the new
characters the paper is bare, while just above and below them, outside the cells, the background goes on.

So for every cell the detail of its paper is measured: each line crop (H×W uint8 gray, dark print on light
paper, capitals about 32 px tall: see :class:`~docverify.mrz.locate.LineCrop`) less its slowly changing light,
with the print and a margin around it masked out (:func:`docverify.mrz.clones.background`), lightly smoothed
against sensor noise, and the root mean square taken over the paper of the cell (one pitch wide, the capitals'
height and a little more: what a scraper must clear; less a margin at its sides, where the smoothing brings in
the neighbours' background), and over the bands just above and below it
(:data:`~docverify.mrz.clones.BANDS`). The test is relative, cell by cell: a page printed on plain paper, or a
background that is faint everywhere, has as little detail around a cell as in it, so nothing stands out; a
background that thins out somewhere thins out around the cell too (the smaller of the two bands is the
reference).

Pure numpy/OpenCV; about 3 ms a document with :func:`~docverify.mrz.clones.papers`, which the clone search
shares. It sees a scraped cell where the capture keeps the background's fine lines (it is looked for only in a
sharp capture: flatbed scans, a few phone photos) and only a removal that leaves bare paper, not one that restores
or copies back the pattern; runs of three or more such cells are found far more often than one or two
(benchmarks/RESULTS.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from docverify.mrz.clones import BANDS, NOMINAL_CAP, Papers, papers
from docverify.mrz.locate import LineCrop

if TYPE_CHECKING:
    from docverify.mrz.conformity import LineMeasure


SMOOTH = 1.0
"""Gaussian sigma (px at :data:`~docverify.mrz.clones.NOMINAL_CAP`) of the smoothing against sensor noise:
the background's lines are wider than a pixel, the noise is not."""
CELL_MARGIN = 0.06
"""The cell's cut reaches this many cap heights above and below the capitals (anti-aliasing and overshoot:
what a scraper clears), and no further: :data:`~docverify.mrz.clones.BANDS` begin beyond it."""
INSET = 3.0
"""The cell's cut leaves this many pixels (at :data:`~docverify.mrz.clones.NOMINAL_CAP`, three times
:data:`SMOOTH`) out on either side: the smoothing carries the neighbouring cells' background that far into the
cell, and a glyph's paper lies mostly at the cell's sides (without it one scraped cell between printed ones
measured 0.31 instead of 0.19 in the tests' synthetic scan)."""
MIN_PIXELS = 30
"""A cell (or a band) is measured only with at least this many paper pixels."""


@dataclass(frozen=True, slots=True)
class CellDetail:
    """How much background detail one MRZ cell's paper shows, and the paper around it."""

    line: int
    """0-based, top line first."""
    position: int
    """0-based position in the line."""
    char: str
    inside: float
    """Root mean square (grey levels) of the cell's paper less its light."""
    around: float
    """The same for the band just above or just below the cell, whichever shows less."""

    @property
    def ratio(self) -> float:
        """:attr:`inside` over :attr:`around` (about 1 where the background runs on under the cell; near 0
        where the cell's paper is bare and the paper around it is not)."""
        return self.inside / self.around if self.around > 0 else float("nan")


def cell_details(
    crops: Sequence[LineCrop], measures: Sequence[LineMeasure], paper: Papers | None = None
) -> list[CellDetail]:
    """Every cell whose paper and both bands around it could be measured, in reading order. Per line, top
    line first: ``crops`` (H×W uint8 gray) and their ``measures`` (glyph centres, baselines, cap heights and
    pitch in crop pixels; :attr:`~docverify.mrz.conformity.LineMeasure.ink` of the crop's shape); ``paper``:
    their :func:`~docverify.mrz.clones.papers` when already measured."""
    paper = paper if paper is not None else papers(crops, measures)
    if paper is None:
        return []
    cap, pitch = paper.cap, paper.pitch
    s = SMOOTH * cap / NOMINAL_CAP
    inset = INSET * cap / NOMINAL_CAP
    lo, hi = BANDS
    out: list[CellDetail] = []
    for li, (m, line) in enumerate(zip(measures, paper.lines, strict=True)):
        if line is None:
            continue
        grey, where = line
        weight = where.astype(np.float32)
        smooth = cv2.GaussianBlur(grey, (0, 0), s) / (cv2.GaussianBlur(weight, (0, 0), s) + 1e-3) * weight
        squares = np.asarray(smooth, dtype=np.float64) ** 2
        sums = cv2.integral(squares, sdepth=cv2.CV_64F)
        counts = cv2.integral(where.astype(np.uint8), sdepth=cv2.CV_64F)
        x, base = m.x.astype(np.float64), m.baseline.astype(np.float64)
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(base))
        cols = (x[ok] - pitch / 2, x[ok] + pitch / 2)
        top, base = base[ok] - cap, base[ok]
        inside = _rms(
            sums, counts, (top - CELL_MARGIN * cap, base + CELL_MARGIN * cap), (cols[0] + inset, cols[1] - inset)
        )
        above = _rms(sums, counts, (top - hi * cap, top - lo * cap), cols)
        below = _rms(sums, counts, (base + lo * cap, base + hi * cap), cols)
        for k, i in enumerate(ok):
            if np.isfinite(inside[k]) and np.isfinite(above[k]) and np.isfinite(below[k]):
                out.append(CellDetail(li, int(i), m.chars[i], float(inside[k]), float(min(above[k], below[k]))))
    return out


def _rms(
    sums: npt.NDArray[np.float64],
    counts: npt.NDArray[np.float64],
    rows: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
    cols: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
) -> npt.NDArray[np.float64]:
    """Root mean square over the paper of each box (``rows``: y0, y1 and ``cols``: x0, x1 per cell; exclusive
    ends, rounded and clipped to the crop), from the integral images of the squared values on the paper
    (``sums``) and of the paper (``counts``), both (H+1)×(W+1); NaN where fewer than :data:`MIN_PIXELS` paper
    pixels lie in the box."""
    height, width = sums.shape[0] - 1, sums.shape[1] - 1
    r0, r1 = (np.clip(np.round(r), 0, height).astype(np.intp) for r in rows)
    c0, c1 = (np.clip(np.round(c), 0, width).astype(np.intp) for c in cols)

    def box(table: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0], dtype=np.float64)

    n = box(counts) * ((r1 > r0) & (c1 > c0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n >= MIN_PIXELS, np.sqrt(np.maximum(box(sums), 0.0) / n), np.nan)


def scraped_runs(
    details: Sequence[CellDetail], *, one: float, two: float, floor: float, share: float
) -> list[tuple[CellDetail, ...]]:
    """The runs of cells of ``details`` (all measured cells, reading order) that look scraped, in reading order.

    A cell is bare when its :attr:`~CellDetail.ratio` is under ``two`` and the paper around it shows at least
    ``floor`` grey levels of detail. Bare cells next to each other on a line form a run (a cell that could not
    be measured between two bare ones does not split it). A run of two or more is reported, and a single bare
    cell only under ``one``: a scraper clears neighbouring characters together, while a background that
    happens to thin out leaves single cells scattered over the MRZ. A line on which more than ``share`` of the
    measured cells are bare is left out: a background that stops along a whole line is the page's design (a
    clear band for the MRZ), and a retyped line is for the font and pitch cues."""
    seen = {(d.line, d.position) for d in details}
    measured = Counter(d.line for d in details)
    bare = [d for d in details if d.around >= floor and d.ratio < two]
    per_line = Counter(d.line for d in bare)
    bare = [d for d in bare if per_line[d.line] <= share * measured[d.line]]
    runs: list[list[CellDetail]] = []
    for d in sorted(bare, key=lambda d: (d.line, d.position)):
        last = runs[-1][-1] if runs else None
        gap = d.position - last.position if last is not None and last.line == d.line else 0
        if gap == 1 or (gap == 2 and (d.line, d.position - 1) not in seen):
            runs[-1].append(d)
        else:
            runs.append([d])
    return [tuple(run) for run in runs if len(run) >= 2 or run[0].ratio < one]


__all__ = ["CELL_MARGIN", "INSET", "MIN_PIXELS", "SMOOTH", "CellDetail", "cell_details", "scraped_runs"]
