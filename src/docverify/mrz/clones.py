"""Cloned MRZ characters: one character of the MRZ copied over another.

A forger who changes a letter of an MRZ without reprinting the line can copy a character from elsewhere in
the MRZ over it (a patch cut out and pasted, on paper or in the image). The copy brings what lies under the
source character with it: the security background printed beneath the MRZ and the paper's texture. Two
characters printed in their own places each have their own; a copy and its source share it, up to what the
capture adds (blur, noise, compression).

So for every pair of cells that read the same character (fillers left out), the background around the glyphs
is compared: each line crop (H×W uint8 gray, dark print on light paper, capitals about 32 px tall: see
:class:`~docverify.mrz.locate.LineCrop`) less its slowly changing light (a Gaussian mean of the paper alone,
the ink and a margin around it masked out), cut at each glyph's measured centre and baseline
(:class:`~docverify.mrz.conformity.LineMeasure`, crop pixels), and the two cuts correlated (normalised, over
the pixels that are paper in both). The test is relative: a document printed on plain paper, or an image
made on a computer (a mock-up renders every ``A`` alike), makes all its pairs alike or none; a copy makes one
pair stand out. :func:`find_clone` returns the most alike pair and how far it stands out from the most alike
pair that shares no cell with it (one source pasted twice makes three alike pairs, all sharing a cell; two
separate copies hide each other, and are not found), and how alike the paper just above and below the two
cells is: a pasted cell's likeness ends at its border, while a background pattern that happens to repeat between
two cells goes on around them (and so does a patch pasted far larger than the character, which is not found).

Pure numpy/OpenCV; a few milliseconds a document. It sees copies only where the background has detail that
survives the capture: on flatbed scans, hardly ever on phone photos (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import numpy.typing as npt

from docverify.mrz.locate import LineCrop
from docverify.mrz.spec import FILLER

if TYPE_CHECKING:
    from docverify.mrz.conformity import LineMeasure


NOMINAL_CAP = 32.0
"""The crops' nominal cap height (px), the scale of the lengths below."""
INK_LEVEL = 0.3
"""Ink (0…1, dark print high) above which a pixel is print, not background …"""
INK_LOCAL = 0.3
"""… or above this share of the darkest ink within a cap height around it: where the light falls off along
a line its glyphs are faint, and their own shape would otherwise count as background (the same for every
glyph of a character, so it would make them look like copies)."""
INK_MARGIN = 2.0
"""Pixels (at :data:`NOMINAL_CAP`) around the print left out too: the capture's blur spreads ink there."""
LIGHT_SIGMA = 3.0
"""Gaussian sigma (px at :data:`NOMINAL_CAP`) of the slowly changing light removed from the paper."""
PATCH_HEIGHT = 1.25
"""Height of a cell's cut, in cap heights (a pasted cell reaches a little above and below the capitals);
its width is one pitch."""
MIN_PAPER = 0.3
"""A pair is compared only when at least this share of the cut is paper in both cells (a cut pixel is paper
when at least half of what it was resampled from is)."""
BANDS = (0.12, 0.35)
"""The paper just above and below a cell compared too, from and to these many cap heights beyond the capitals
(within the crop's margin): a pasted cell's likeness ends at its border, a background that repeats does not."""
MIN_PIXELS = 40
"""… and at least this many pixels."""
MIN_PAIRS = 5
"""A document with fewer comparable pairs is not judged (no reference for "alike")."""


@dataclass(frozen=True, slots=True)
class Clone:
    """The most alike pair of same-character cells of one MRZ."""

    first: tuple[int, int]
    """(line, position) of one cell, 0-based, top line first."""
    second: tuple[int, int]
    """(line, position) of the other, after :attr:`first` in reading order."""
    char: str
    similarity: float
    """Normalised correlation of the two cells' background (−1…1)."""
    next_similarity: float
    """The same for the document's most alike pair that shares no cell with this one."""
    pairs: int
    """How many pairs were compared."""
    outside: float
    """Normalised correlation of the paper just above and below the two cells (:data:`BANDS`); NaN where too
    little paper shows there."""

    @property
    def margin(self) -> float:
        """How far the pair stands out: :attr:`similarity` less :attr:`next_similarity`."""
        return self.similarity - self.next_similarity

    @property
    def confinement(self) -> float:
        """How far the likeness ends at the cells' border: :attr:`similarity` less :attr:`outside` (NaN when
        that is unknown)."""
        return self.similarity - self.outside


def background(
    image: npt.NDArray[np.uint8], ink: npt.NDArray[np.floating[Any]], cap: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """A line crop's paper (``image`` H×W uint8 gray, ``ink`` H×W 0…1 dark print high, ``cap`` its capitals'
    height in px) less its slowly changing light (float32 grey levels, zero where it is not paper), and
    where it is paper (H×W bool: no print within :data:`INK_MARGIN`)."""
    k = 2 * max(1, round(INK_MARGIN * cap / NOMINAL_CAP)) + 1
    side = max(3, round(cap))
    darkest = cv2.dilate(ink.astype(np.float32), np.ones((side, side), np.uint8))
    print_ = (ink > INK_LEVEL) | (ink > INK_LOCAL * darkest)
    paper = cv2.dilate(print_.astype(np.uint8), np.ones((k, k), np.uint8)) == 0
    w = paper.astype(np.float32)
    g = image.astype(np.float32)
    s = LIGHT_SIGMA * cap / NOMINAL_CAP
    light = cv2.GaussianBlur(g * w, (0, 0), s) / (cv2.GaussianBlur(w, (0, 0), s) + 1e-3)
    return np.asarray((g - light) * w, dtype=np.float32), paper


@dataclass(frozen=True, slots=True)
class Papers:
    """The paper of one MRZ's line crops (:func:`background`), measured once for the cues that look at it
    (copies here, scraped cells in :mod:`docverify.mrz.erasure`)."""

    cap: float
    """The document's median cap height (crop px)."""
    pitch: float
    """The document's median pitch (crop px)."""
    lines: tuple[tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]] | None, ...]
    """Per line, :func:`background`'s paper less its light and where it is paper (``None``: a line whose ink
    map does not fit its crop)."""


def papers(crops: Sequence[LineCrop], measures: Sequence[LineMeasure]) -> Papers | None:
    """:func:`background` of every line (``crops`` H×W uint8 gray and their ``measures``, top line first) at
    the document's median cap height; ``None`` when no cap height or pitch was measured."""
    if not measures:
        return None
    caps = np.concatenate([m.cap for m in measures])
    pitches = np.concatenate([m.pitch for m in measures])
    caps, pitches = caps[np.isfinite(caps)], pitches[np.isfinite(pitches)]
    if not (caps.size and pitches.size):
        return None
    cap, pitch = float(np.median(caps)), float(np.median(pitches))
    if cap < 4 or pitch < 4:
        return None
    lines = tuple(
        background(crop.image, m.ink, cap) if m.ink.shape == crop.image.shape[:2] else None
        for crop, m in zip(crops, measures, strict=True)
    )
    return Papers(cap, pitch, lines)


def find_clone(crops: Sequence[LineCrop], measures: Sequence[LineMeasure], paper: Papers | None = None) -> Clone | None:
    """The most alike pair of cells reading the same character (see the module's docstring). Per line, top
    line first: ``crops`` (H×W uint8 gray) and their ``measures`` (glyph centres, baselines, cap heights and
    pitch in crop pixels; :attr:`~docverify.mrz.conformity.LineMeasure.ink` of the crop's shape); ``paper``:
    their :func:`papers` when already measured. ``None`` when fewer than :data:`MIN_PAIRS` pairs could be
    compared."""
    paper = paper if paper is not None else papers(crops, measures)
    if paper is None:
        return None
    cap, pitch = paper.cap, paper.pitch
    # odd sizes: the cut's centre pixel is the glyph's centre
    w, h = round(pitch) | 1, round(PATCH_HEIGHT * cap) | 1
    cells: dict[str, list[tuple[tuple[int, int], npt.NDArray[np.float32], npt.NDArray[np.bool_]]]] = {}
    by_line: dict[int, tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]] = {}
    for li, (crop, m, line) in enumerate(zip(crops, measures, paper.lines, strict=True)):
        if line is None:
            continue
        paper_grey, mask = line[0], line[1].astype(np.float32)
        by_line[li] = (paper_grey, mask)
        height, width = crop.image.shape[:2]
        for i, ch in enumerate(m.chars):
            x, y = float(m.x[i]), float(m.baseline[i] - m.cap[i] / 2)
            if ch == FILLER or not (0 <= x < width and 0 <= y < height):  # also NaN
                continue
            patch = cv2.getRectSubPix(paper_grey, (w, h), (x, y))
            where = cv2.getRectSubPix(mask, (w, h), (x, y)) >= 0.5
            cells.setdefault(ch, []).append(((li, i), patch.ravel(), where.ravel()))
    least = max(MIN_PIXELS, MIN_PAPER * w * h)
    scored: list[tuple[float, tuple[int, int], tuple[int, int], str]] = []
    for ch, group in cells.items():
        if len(group) < 2:
            continue
        corr, n = _correlations(np.stack([c[1] for c in group]), np.stack([c[2] for c in group]))
        a, b = np.triu_indices(len(group), 1)
        ok = (n[a, b] >= least) & np.isfinite(corr[a, b])
        scored += [(float(corr[a[k], b[k]]), group[a[k]][0], group[b[k]][0], ch) for k in np.flatnonzero(ok)]
    if len(scored) < MIN_PAIRS:
        return None
    scored.sort(key=lambda s: -s[0])
    top = scored[0]
    apart = [s for s in scored[1:] if not {s[1], s[2]} & {top[1], top[2]}]
    if not apart:
        return None
    around = [_bands(by_line[li], measures[li], i, cap, w) for li, i in (top[1], top[2])]
    corr, n = _correlations(np.stack([g for g, _ in around]), np.stack([v for _, v in around]))
    outside = float(corr[0, 1]) if n[0, 1] >= MIN_PIXELS else float("nan")
    return Clone(top[1], top[2], top[3], top[0], apart[0][0], len(scored), outside)


def _correlations(
    values: npt.NDArray[np.floating[Any]], paper: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Normalised correlation of every two of k cuts (``values`` k × P, flattened) over the pixels that are
    paper in both (``paper`` k × P), and how many those are: two k × k arrays (NaN where undefined)."""
    p = values.astype(np.float64)
    v = paper.astype(np.float64)
    vp = v * p
    n = v @ v.T  # pixels that are paper in both cuts of a pair
    sx = vp @ v.T  # [i, j]: cut i's values summed over the pair's paper
    sxx = (vp * p) @ v.T
    sxy = vp @ vp.T
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / n
        var = sxx - sx * sx / n
        return cov / np.sqrt(var * var.T), n


def _bands(
    paper: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]], m: LineMeasure, i: int, cap: float, w: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """The paper (less its light) in the bands above and below glyph ``i`` of a line (:data:`BANDS`, one pitch
    ``w`` wide), flattened, and where it is paper; ``paper``: the line's :func:`background` and its mask."""
    grey, mask = paper
    lo, hi = BANDS
    h = max(3, round((hi - lo) * cap)) | 1
    x, base = float(m.x[i]), float(m.baseline[i])
    values, where = [], []
    for y in (base - float(m.cap[i]) - (lo + hi) / 2 * cap, base + (lo + hi) / 2 * cap):
        values.append(cv2.getRectSubPix(grey, (w, h), (x, y)).ravel())
        rows = y - (h - 1) / 2 + np.arange(h)
        inside = (rows >= 0) & (rows <= grey.shape[0] - 1)  # rows past the crop's edge would be repeated
        where.append(((cv2.getRectSubPix(mask, (w, h), (x, y)) >= 0.5) & inside[:, None]).ravel())
    return np.concatenate(values), np.concatenate(where)
