"""Find the MRZ in an image at any rotation, and cut out its lines upright.

Pure numpy/OpenCV, no model. Coordinates: pixels of the image passed in, x to the right, y down. An angle
θ (degrees) is a reading direction ``(cos θ, sin θ)`` in those coordinates, i.e. clockwise as displayed;
turning the image by θ with ``cv2.getRotationMatrix2D`` (counter-clockwise as displayed) makes it upright.

Steps: (1) a working copy about 1,100 px on its long side; (2) dark thin strokes by a morphological
black-hat, thresholded with Otsu; (3) the text orientation from the directions between neighbouring
character-sized components (mod 180°); (4) in the image turned upright, text lines by a horizontal
closing sized to the characters, and MRZ candidates as two or three long, equally wide, left-aligned
lines at the MRZ's line pitch; (5) the 180° ambiguity from the page layout (the MRZ is at the bottom of
a data page, so there is more print above it than below) — the reader can still try the other way
round when the text does not read.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

WORK_SIDE = 1100
"""Long side of the working copy, in pixels."""

Image = npt.NDArray[np.uint8]
Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class MRZLine:
    """One MRZ text line as a rotated rectangle in the original image: centre, size (along, across), angle."""

    center: Point
    length: float
    height: float
    angle: float
    """Reading direction θ in degrees: ``(cos θ, sin θ)`` in image coordinates; 0 is left to right."""

    def corners(self) -> tuple[Point, Point, Point, Point]:
        """Top-left, top-right, bottom-right, bottom-left in reading orientation."""
        return self.segment(-self.length / 2, self.length / 2, self.height / 2)

    def segment(self, start: float, end: float, half_height: float) -> tuple[Point, Point, Point, Point]:
        """Corners of the part of the line from ``start`` to ``end`` (offsets along it from its centre, px),
        ``half_height`` above and below its middle; same order as :meth:`corners`."""
        a = np.radians(self.angle)
        ux, uy = np.cos(a), np.sin(a)  # along the line
        vx, vy = -np.sin(a), np.cos(a)  # across, towards the bottom of the text
        cx, cy = self.center
        pts = [(start, -half_height), (end, -half_height), (end, half_height), (start, half_height)]
        return tuple((float(cx + p * ux + q * vx), float(cy + p * uy + q * vy)) for p, q in pts)  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class MRZLocation:
    """Where the MRZ is: its lines top to bottom, in original-image pixels."""

    lines: tuple[MRZLine, ...]
    angle: float
    char_height: float
    """Median character height in original-image pixels."""
    score: float

    @property
    def polygon(self) -> tuple[Point, Point, Point, Point]:
        """The MRZ's outline (top-left, top-right, bottom-right, bottom-left in reading orientation)."""
        first, last = self.lines[0].corners(), self.lines[-1].corners()
        return (first[0], first[1], last[2], last[3])

    def flipped(self) -> MRZLocation:
        """The same MRZ read the other way round (turned by 180°)."""
        lines = tuple(
            MRZLine(ln.center, ln.length, ln.height, (ln.angle + 180.0) % 360.0) for ln in reversed(self.lines)
        )
        return MRZLocation(lines, (self.angle + 180.0) % 360.0, self.char_height, self.score)


def _working_copy(gray: Image, side: int = WORK_SIDE) -> tuple[Image, float]:
    h, w = gray.shape[:2]
    scale = min(side / max(h, w), 4.0)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interp), scale


SHADE_FLOOR = 0.25
"""With ``even_light`` (:func:`_strokes`), light is evened out down to this share of the page's bright
paper; darker areas (a dark portrait, the scene beside the document) are not stretched further."""


def _strokes(gray: Image, *, even_light: bool = False) -> Image:
    """Binary mask (255 = ink) of dark strokes thinner than about 13 px, background removed.

    ``even_light``: each stroke's contrast is taken against the paper around it (the black-hat over the
    closing, raised where the paper is darker than most of the page's, never lowered), so that a shadow
    across a phone photo or a page lit from one side leaves the strokes in its dark part as strong as
    elsewhere. A second try only (:func:`docverify.mrz.image.scan_image`): it also raises the texture of a
    dark, busy scene around a document, which can then hide the MRZ's lines."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (13, 13))
    closed = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, kernel)
    blackhat = cv2.subtract(closed, gray)  # cv2.MORPH_BLACKHAT, with the closing kept
    counts = cv2.calcHist([blackhat], [0], None, [256], [0, 256]).ravel()
    # On a noisy photo of a document with fine background print, Otsu's level falls between paper and
    # the faint background lines, which then glue the characters together; the strongest strokes (the
    # top half percent of the image, mostly print) set a floor under it.
    level = max(float(_otsu(counts)), 0.45 * _percentile(counts, 99.5))
    if even_light:
        # the level stays the one of the contrasts as captured: where the paper is as bright as most of
        # the page's, nothing changes
        paper = max(1.0, _percentile(cv2.calcHist([closed], [0], None, [256], [0, 256]).ravel(), 90))
        light = np.clip(closed, max(1.0, SHADE_FLOOR * paper), paper).astype(np.uint8)
        blackhat = cv2.divide(blackhat, light, scale=paper)
    _, binary = cv2.threshold(blackhat, level, 255, cv2.THRESH_BINARY)
    return np.asarray(binary, dtype=np.uint8)


def stroke_share(image: Image, work_side: int = WORK_SIDE) -> float:
    """The share of the working copy's pixels that :func:`_strokes` marks as ink (0…1) in ``image`` (H×W
    gray uint8): under 0.12 on the real specimens and on 400 generated captures measured, about a half on
    noise or a dense texture, where no MRZ can be found."""
    work, _ = _working_copy(image, work_side)
    return float(np.count_nonzero(_strokes(work))) / max(work.size, 1)


_FLT_EPSILON = float(np.finfo(np.float32).eps)


def _otsu(counts: npt.NDArray[np.float32]) -> int:
    """Otsu's threshold of a uint8 image from its 256-bin histogram: the level ``cv2.threshold`` with
    ``THRESH_OTSU`` picks (the same arithmetic in the same order, so the same level; compared with
    OpenCV's in the tests), without building the histogram a second time."""
    hist = [int(c) for c in counts.tolist()]
    scale = 1.0 / max(sum(hist), 1)
    mu = 0.0
    for i, c in enumerate(hist):  # a plain loop: sum() of floats rounds differently from Python 3.12 on
        mu += i * float(c)
    mu *= scale
    mu1 = q1 = max_sigma = 0.0
    level = 0
    for i, c in enumerate(hist):
        p = c * scale
        mu1 *= q1
        q1 += p
        q2 = 1.0 - q1
        if min(q1, q2) < _FLT_EPSILON or max(q1, q2) > 1.0 - _FLT_EPSILON:
            continue
        mu1 = (mu1 + i * p) / q1
        mu2 = (mu - q1 * mu1) / q2
        sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2)
        if sigma > max_sigma:
            max_sigma, level = sigma, i
    return level


def _percentile(counts: npt.NDArray[np.float32], q: float) -> float:
    """The ``q``-th percentile of a uint8 image's values from its 256-bin histogram ``counts`` (as
    ``np.percentile`` with linear interpolation, at a tenth of the time)."""
    cumulative = np.cumsum(counts.astype(np.float64))
    rank = q / 100.0 * (cumulative[-1] - 1)
    below = int(np.searchsorted(cumulative, rank, side="right"))  # the value at rank ⌊rank⌋
    above = int(np.searchsorted(cumulative, rank + 1, side="right")) if rank % 1 else below
    above = min(above, 255)
    return float(below + (above - below) * (rank % 1))


def _components(binary: Image) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centroids (N×2) and sizes (N) of character-sized ink components."""
    _, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8, ltype=_label_type(binary))
    stats, centroids = stats[1:], centroids[1:]
    size = np.maximum(stats[:, 2], stats[:, 3]).astype(np.float64)
    keep = (size >= 5) & (size <= 120) & (stats[:, 4] >= 10)
    return centroids[keep], size[keep]


def _label_type(binary: Image) -> int:
    """16-bit component labels when there cannot be more components than that (a third of the time of
    32-bit ones), else 32-bit."""
    return int(cv2.CV_16U) if cv2.countNonZero(binary) < 65_000 else int(cv2.CV_32S)


MAX_DIRECTIONS = 4
"""Text directions examined per image, strongest first (each with the direction across it)."""
PER_DIRECTION = 3
"""Places handed out per direction (with the direction across it), best first."""


def _orientations(centroids: npt.NDArray[np.float64], size: npt.NDArray[np.float64]) -> list[float]:
    """Candidate text directions (degrees in [0, 180)), strongest first, from neighbour directions."""
    if len(size) < 8:
        return []
    if len(size) > 1200:
        idx = np.random.default_rng(0).choice(len(size), 1200, replace=False)
        centroids, size = centroids[idx], size[idx]
    i, j = _near_pairs(centroids, size)
    if len(i) < 8:
        return []
    d = centroids[i] - centroids[j]
    angles = np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 180.0
    hist, _ = np.histogram(angles, bins=180, range=(0.0, 180.0))
    smooth = np.convolve(np.concatenate([hist[-2:], hist, hist[:2]]), np.ones(5), "valid")
    peaks: list[float] = []
    strongest = float(smooth.max())
    for _ in range(MAX_DIRECTIONS):
        k = int(np.argmax(smooth))
        if smooth[k] <= 0 or smooth[k] < 0.2 * strongest:
            break
        # refine to a fraction of a degree: circular mean (period 180°) of the directions near the peak
        diff = (angles - k + 90.0) % 180.0 - 90.0
        near_peak = np.abs(diff) <= 3.0
        peaks.append(float((k + diff[near_peak].mean()) % 180.0))
        # a line is found up to about 3.5° off the working angle: the next direction is further away (an
        # MRZ under perspective may run a few degrees off the visual zone's text above it)
        for off in range(-6, 7):
            smooth[(k + off) % 180] = 0
    return peaks


def _near_pairs(
    centroids: npt.NDArray[np.float64], size: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Index pairs ``i < j`` (ordered by ``i``, then ``j``) of components of similar size (ratio under 1.6)
    whose centres are closer than 1.8 times the larger size, in single precision. Only pairs whose x
    distance is under 1.8 times the largest size are measured (found by sorting on x), not all N²."""
    x, y, s = (v.astype(np.float32) for v in (centroids[:, 0], centroids[:, 1], size))
    order = np.argsort(x, kind="stable")
    xs = x[order]
    n = len(xs)
    last = np.searchsorted(xs, xs + np.float32(1.8) * s.max(), side="right")  # exclusive, in sorted order
    counts = np.maximum(last - np.arange(n) - 1, 0)
    a = np.repeat(np.arange(n), counts)
    b = np.arange(len(a)) - np.repeat(np.cumsum(counts) - counts, counts) + a + 1
    i, j = np.minimum(order[a], order[b]), np.maximum(order[a], order[b])
    dx, dy = x[i] - x[j], y[i] - y[j]
    reach = np.float32(1.8) * np.maximum(s[i], s[j])
    ratio = s[i] / s[j]
    near = (dx * dx + dy * dy < reach * reach) & (ratio < 1.6) & (ratio > 1 / 1.6)
    i, j = i[near], j[near]
    first = np.lexsort((j, i))
    return i[first], j[first]


def _rotate(image: Image, angle: float) -> tuple[Image, npt.NDArray[np.float64]]:
    """``image`` turned by ``angle`` degrees on a canvas that holds all of it, and the 2×3 matrix used."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * s + w * c) + 2, int(h * c + w * s) + 2
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(image, m, (nw, nh), flags=cv2.INTER_NEAREST), m


@dataclass(frozen=True, slots=True)
class _Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


MAX_HEIGHTS = 6
"""Character heights tried per direction: small print (many components) must not crowd out a large MRZ."""


def _char_heights(heights: npt.NDArray[np.int32]) -> list[float]:
    """Character heights worth trying: the heights shared by many components (an MRZ has 60–88)."""
    hist = np.bincount(np.clip(heights, 0, 130), minlength=131).astype(float)
    # heights in bands of about ±15 %, the most populated first, at most MAX_HEIGHTS
    counted: list[tuple[float, float]] = []
    h = 6.0
    while h <= 100:
        lo, hi = int(np.floor(h * 0.87)), int(np.ceil(h * 1.15))
        n = hist[lo : hi + 1].sum()
        if n >= 25:
            counted.append((n, h))
        h *= 1.25
    return [h for _, h in sorted(counted, reverse=True)[:MAX_HEIGHTS]]


def _text_lines(binary: Image, deadline: float | None = None) -> list[tuple[_Box, float]]:
    """Long text-line boxes in an upright binary image, each with the character height it was found at;
    those found so far once ``deadline`` (a :func:`time.monotonic` time) has passed."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8, ltype=_label_type(binary))
    hs, areas = stats[:, 3], stats[:, 4]
    found: list[tuple[_Box, float]] = []
    selected: list[tuple[float, npt.NDArray[np.bool_]]] = []
    for ch in _char_heights(hs[1:]):
        lo, hi, least = math.ceil(0.45 * ch), math.floor(1.35 * ch), math.ceil(0.08 * ch * ch)
        chars = (hs >= lo) & (hs <= hi) & (areas >= least)  # runs of "<" merge: any width
        chars[0] = False
        if chars.sum() >= 20:
            selected.append((ch, chars))
    if not selected:
        return []
    # every pixel's character heights as bits (at most MAX_HEIGHTS ≤ 8), in one table lookup over the labels
    # of the part of the image that holds any of these characters, with room for the widest closing
    bits = np.zeros(len(stats), dtype=np.uint8)
    for bit, (_, chars) in enumerate(selected):
        bits[chars] |= 1 << bit
    room = max(3, round(max(ch for ch, _ in selected) * 1.3))
    ux0, uy0, ux1, uy1 = _extent(stats[bits > 0], room, binary.shape[1])
    bits_of = np.take(bits, labels[uy0:uy1, ux0:ux1])  # twice as fast as bits[labels]
    for bit, (ch, chars) in enumerate(selected):
        if deadline is not None and time.monotonic() >= deadline:
            break
        # only the part that holds these characters (and room for the closing) is worked on
        width = max(3, round(ch * 1.3))
        x0, y0, x1, y1 = _extent(stats[chars], width, binary.shape[1])
        part = bits_of[y0 - uy0 : y1 - uy0, x0 - ux0 : x1 - ux0]
        mask = cv2.compare(cv2.bitwise_and(part, 1 << bit), 0, cv2.CMP_GT)
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (width, 1))
        closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
        # a piece under 3 character heights long neither joins others (_merge_pieces) nor is a line itself
        st = _blobs(closed, min_width=math.ceil(3 * ch)) + np.array([x0, y0, 0, 0, 0])
        for x, y, w, h, area in _merge_pieces(st, ch, binary):
            # a line up to about 3.5° off the working angle still counts (in a phone photo the MRZ's
            # lines are not quite parallel to the rest of the text): the tilt refinement straightens it
            if (
                0.6 * ch <= h <= 2.0 * ch + 0.06 * w
                and w >= 12 * min(h, 2.0 * ch)
                and area >= 0.2 * w * min(h, 1.5 * ch)
            ):
                found.append((_Box(int(x), int(y), int(w), int(h)), ch))
    return found + _across_heights(found)


def _extent(stats: npt.NDArray[np.int32], room: int, width: int) -> tuple[int, int, int, int]:
    """``x0, y0, x1, y1``: the rows of the components ``stats`` (x, y, w, h, area rows; at least one) and
    their columns widened by ``room`` on each side, within an image ``width`` wide."""
    x0, y0 = int(stats[:, 0].min()), int(stats[:, 1].min())
    x1, y1 = int((stats[:, 0] + stats[:, 2]).max()), int((stats[:, 1] + stats[:, 3]).max())
    return max(0, x0 - room), y0, min(width, x1 + room), y1


MANY_CONTOURS = 1000
"""Above this many contours :func:`_blobs` labels the image instead (its Python loop costs about 2 µs a contour)."""


def _blobs(mask: Image, min_width: int = 1) -> npt.NDArray[np.int64]:
    """``x, y, w, h, area`` (N×5) of the 8-connected components of a binary image (255 = set) at least
    ``min_width`` pixels wide, as ``cv2.connectedComponentsWithStats`` gives them without the background
    row, in another order, at a fifth of the time on a sparse image: from the components' outer and hole
    contours (Pick's theorem turns a contour through pixel centres into a pixel count)."""
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return np.zeros((0, 5), dtype=np.int64)
    if len(contours) > MANY_CONTOURS:  # a speckled image: the loop below would take longer than a labelling
        _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=_label_type(mask))
        return np.asarray(stats[1:][stats[1:, 2] >= min_width], dtype=np.int64)
    parents = hierarchy[0][:, 3]
    rows: list[list[float]] = []
    row_of: dict[int, int] = {}
    # an outer contour runs along the component's top and back along its bottom: at least 2 (w - 1) points
    shortest = 2 * (min_width - 1)
    for i, contour in enumerate(contours):
        if parents[i] < 0 and len(contour) >= shortest:  # a component's outer boundary: its pixels and inside
            x, y, w, h = cv2.boundingRect(contour)
            if w >= min_width:
                row_of[i] = len(rows)
                n = len(contour)
                rows.append([x, y, w, h, cv2.contourArea(contour) + n / 2 + 1 if n > 1 else 1.0])
    if not rows:
        return np.zeros((0, 5), dtype=np.int64)
    for i, contour in enumerate(contours):
        if parents[i] >= 0 and int(parents[i]) in row_of:  # a hole's boundary: the unset pixels inside it
            rows[row_of[int(parents[i])]][4] -= cv2.contourArea(contour) - len(contour) / 2 + 1
    return np.asarray(np.rint(np.array(rows)), dtype=np.int64)


def _across_heights(found: list[tuple[_Box, float]]) -> list[tuple[_Box, float]]:
    """Lines of a photo taken at a steep angle: its characters shrink along the line, so no one character
    height finds the whole line, only pieces of it at neighbouring heights. Collinear pieces found at two
    different heights (overlapping vertically by half the smaller, no more than 3 characters apart) give
    their union, which adds at least 2 characters of length, listed at both heights so that the lines of
    one MRZ meet at one of them."""
    out: list[tuple[_Box, float]] = []
    for (a, cha), (b, chb) in itertools.combinations(found, 2):
        if cha == chb or not 0.7 < cha / chb < 1.45:
            continue
        small = min(cha, chb)
        if min(a.y + a.h, b.y + b.h) - max(a.y, b.y) < 0.5 * min(a.h, b.h):
            continue
        if max(a.x, b.x) - min(a.x + a.w, b.x + b.w) > 3.0 * small:
            continue
        x0, x1 = min(a.x, b.x), max(a.x + a.w, b.x + b.w)
        if x1 - x0 < max(a.w, b.w) + 2.0 * small:
            continue
        y0, y1 = min(a.y, b.y), max(a.y + a.h, b.y + b.h)
        union = _Box(x0, y0, x1 - x0, y1 - y0)
        out.extend((union, ch) for ch in (cha, chb) if union.h <= 2.0 * ch + 0.06 * union.w)
    return out


BRIDGE = 8.0
"""Widest gap (character heights) between two pieces of one line that still join when the gap is inked."""


def _merge_pieces(stats: npt.NDArray[np.integer], ch: float, binary: Image) -> list[tuple[int, int, int, int, int]]:
    """Boxes ``(x, y, w, h, area)`` of closed text pieces, with pieces of one line joined: a line broken by
    glare or by a wider gap at the near end of a tilted photo comes back whole. Pieces join when they
    overlap vertically by half the smaller height and the gap between them is under 3 character heights,
    or under :data:`BRIDGE` when ink of ``binary`` (the upright binary image, 255 = ink) runs along the gap
    at the line's height (:func:`_inked`): characters broken into fragments by faint print, a background
    pattern or light, too small to count as characters, but not the empty space between two columns of
    text."""
    joinable = (stats[:, 3] >= 0.6 * ch) & (stats[:, 3] <= 2.5 * ch) & (stats[:, 2] >= 3 * ch)
    pieces = sorted(map(tuple, stats[joinable].tolist()))
    out: list[list[int]] = []
    for x, y, w, h, area in pieces:
        for box in out[:-40:-1]:  # the last pieces started are the only ones near enough
            bx, by, bw, bh, _ = box
            overlap = min(by + bh, y + h) - max(by, y)
            gap = x - (bx + bw)
            if x < bx or overlap < 0.5 * min(bh, h):
                continue
            if gap <= 3.0 * ch or (
                gap <= BRIDGE * ch and _inked(binary, bx + bw, x, max(by, y), max(by, y) + overlap, ch=ch)
            ):
                nx1, ny0, ny1 = max(bx + bw, x + w), min(by, y), max(by + bh, y + h)
                box[:] = [bx, ny0, nx1 - bx, ny1 - ny0, box[4] + area]
                break
        else:
            out.append([x, y, w, h, area])
    other = stats[~joinable].tolist()
    return [(b[0], b[1], b[2], b[3], b[4]) for b in out] + [(o[0], o[1], o[2], o[3], o[4]) for o in other]


def _inked(binary: Image, x0: int, x1: int, y0: int, y1: int, *, ch: float) -> bool:
    """Whether ink of ``binary`` between rows ``y0..y1`` runs all along the columns ``x0..x1``: no stretch of
    empty columns longer than 1.5 character heights ``ch`` (the fragments of broken characters recur at the
    pitch; the space between two columns of text is empty)."""
    if x1 <= x0 or y1 <= y0:
        return False
    inked = np.count_nonzero(binary[max(0, y0) : y1, max(0, x0) : x1], axis=0) > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[1], inked.astype(np.int8), [1]])))
    longest_empty = int(np.max(edges[1::2] - edges[::2])) if len(edges) else 0
    return longest_empty <= 1.5 * ch


WIDTH_SLACK = 0.65
"""MRZ lines are printed equally long, but glare, a shadow, faint print over a security feature (a printed
ring crossing the MRZ) or the wider spacing at the near end of a tilted photo can break one short:
left- or right-aligned lines this much shorter still group (the score prefers equal ones, and every line
of a group is read over the longest's extent). 0.4 until 2026-11-23; 0.65 chosen on the calibration split's
phone photos, where 2 of the 4 MRZs not found then read (0.6: 1; 0.75: 2), with no reading changed on 242
other images (benchmarks/RESULTS.md)."""


def _groups(lines: list[tuple[_Box, float]]) -> list[tuple[list[_Box], float, float]]:
    """Groups of 2 or 3 lines that look like an MRZ, best first: (lines, score, character height)."""
    found: dict[tuple[int, int], tuple[list[_Box], float, float]] = {}
    by_height: dict[float, list[_Box]] = {}
    for box, ch in lines:
        by_height.setdefault(ch, []).append(box)
    for ch, boxes in by_height.items():
        boxes.sort(key=lambda b: b.cy)
        for i, first in enumerate(boxes):
            group = [first]
            for other in boxes[i + 1 :]:
                pitch = other.cy - group[-1].cy
                if pitch < 1.3 * ch:
                    continue
                if pitch > 3.6 * ch:
                    break
                # MRZ lines are left-aligned: on the left, or on the right when the page is upside down
                aligned = min(abs(other.x - first.x), abs(other.x + other.w - first.x - first.w)) <= 1.5 * ch
                if not aligned or abs(other.w - first.w) > WIDTH_SLACK * max(first.w, other.w):
                    continue
                group.append(other)
                if len(group) == 3:
                    break
            if len(group) == 3:
                p1, p2 = group[1].cy - group[0].cy, group[2].cy - group[1].cy
                if abs(p1 - p2) > 0.15 * max(p1, p2) or max(p1, p2) > 2.2 * np.mean([b.h for b in group]):
                    group = group[:2]  # three lines only at TD1's even, narrow line pitch
            if len(group) < 2:
                continue
            widths = np.array([b.w for b in group], dtype=float)
            ratio = widths.mean() / ch
            score = len(group) * widths.mean() * (1.0 - widths.std() / widths.mean()) * min(ratio / 25.0, 1.0)
            key = (group[0].x // 8, int(group[0].cy) // 8)
            if key not in found or score > found[key][1]:
                found[key] = (group, score, ch)
    return sorted(found.values(), key=lambda f: -f[1])


def _ink(binary: Image, x0: int, x1: int, y0: int, y1: int) -> int:
    h, w = binary.shape
    y0, y1 = max(0, y0), min(h, y1)
    x0, x1 = max(0, x0), min(w, x1)
    if y1 <= y0 or x1 <= x0:
        return 0
    return int(np.count_nonzero(binary[y0:y1, x0:x1]))


def iter_locations(
    image: Image, *, work_side: int = WORK_SIDE, even_light: bool = False, deadline: float | None = None
) -> Iterator[MRZLocation]:
    """Places in ``image`` (H×W×3 RGB or H×W gray, uint8) that look like an MRZ, most likely first.

    Lazy: the reader stops at the first that reads as a valid MRZ, so later text directions are only
    examined when needed. Lines are in reading order and original-image pixels, upright as far as the
    page layout tells; the caller may still try :meth:`MRZLocation.flipped`. ``work_side``: the long side
    of the working copy searched (:data:`WORK_SIDE`; larger finds a document that is small in a large
    photo, at about the square of the cost); ``even_light``: strokes judged against the light around them
    (:func:`_strokes`); ``deadline`` (a :func:`time.monotonic` time): nothing more is looked for once it
    has passed (the step under way stops at its next character height).
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    work, scale = _working_copy(gray, work_side)
    binary = _strokes(work, even_light=even_light)
    centroids, size = _components(binary)
    tried: set[int] = set()
    for base in _orientations(centroids, size):
        # The text direction first; when its best place is not the MRZ, the places across it (TD1 lines
        # are close; an open passport's other page may be printed sideways) compete by score with its rest.
        rest: list[_Place] = []
        handed = 0
        for angle in (base, base + 90.0):
            key = round(angle * 2) % 360  # half-degree buckets, mod 180°
            if key in tried:
                continue
            tried.add(key)
            if deadline is not None and time.monotonic() >= deadline:
                return
            found = _find_at(binary, angle, scale, deadline=deadline)
            if angle == base and found:
                yield found[0].build()
                handed, found = 1, found[1:]
            rest.extend(found)
        # a direction's weaker places give way to the next direction (the stripes of a wood grain or a
        # fabric can fill a strong direction with line-like places)
        for place in sorted(rest, key=lambda p: -p.score)[: PER_DIRECTION - handed]:
            yield place.build()


def locate_mrz(image: Image) -> MRZLocation | None:
    """The most likely MRZ in ``image`` (see :func:`iter_locations`), or ``None`` when there is none."""
    return next(iter_locations(image), None)


@dataclass(frozen=True, slots=True)
class _Place:
    """A candidate MRZ by its score; its lines are measured (:func:`_location`) only when it is tried."""

    score: float
    build: Callable[[], MRZLocation]


def _find_at(
    binary: Image,
    angle: float,
    scale: float,
    *,
    refine: bool = True,
    within: npt.NDArray[np.float64] | None = None,
    deadline: float | None = None,
) -> list[_Place]:
    """MRZ candidates with text at ``angle``, best first; only inside the polygon ``within`` (N×2 points of
    ``binary``) when given; those found by ``deadline`` (see :func:`_text_lines`)."""
    upright, m = _rotate(binary, angle)
    lines = _text_lines(upright, deadline) if within is None else _text_lines_within(upright, m, within, deadline)
    groups = _groups(lines)
    places = [_Place(g[1], functools.partial(_location, upright, m, angle, scale, *g)) for g in groups]
    if refine and lines:
        # The text direction from neighbour links is good to a degree or so; over a 44-character line
        # that is enough to break it. Measure the residual slope on the longest lines and try again:
        # around the best place only when there is one (the rest of the image stays as it was).
        longest = groups[0][0] if groups else sorted({b for b, _ in lines}, key=lambda b: -b.w)[:4]
        tilt = _tilt(upright, longest)
        if abs(tilt) > 0.15:
            around = _surroundings(m, longest, groups[0][2]) if groups else None
            better = _find_at(binary, angle + tilt, scale, refine=False, within=around, deadline=deadline)
            if better and (not groups or better[0].score >= groups[0][1]):
                return better + places[1:] if groups else better
    return places


def _surroundings(m: npt.NDArray[np.float64], group: list[_Box], char_h: float) -> npt.NDArray[np.float64]:
    """The corners (4×2, points of the image ``m`` turned upright) of the area around ``group``'s lines in
    the upright image: an MRZ's height above and below, and a tenth of its length (at least 4 characters)
    to the sides, where pieces of its lines broken at a slightly wrong angle may lie."""
    x0, x1 = min(b.x for b in group), max(b.x + b.w for b in group)
    y0, y1 = min(b.y for b in group), max(b.y + b.h for b in group)
    dx, dy = max(4.0 * char_h, 0.1 * (x1 - x0)), max(float(y1 - y0), 3.0 * char_h)
    corners = np.array([[x0 - dx, y0 - dy], [x1 + dx, y0 - dy], [x1 + dx, y1 + dy], [x0 - dx, y1 + dy]])
    inverse = cv2.invertAffineTransform(m)
    return np.asarray(corners @ inverse[:, :2].T + inverse[:, 2], dtype=np.float64)


def _text_lines_within(
    upright: Image, m: npt.NDArray[np.float64], within: npt.NDArray[np.float64], deadline: float | None = None
) -> list[tuple[_Box, float]]:
    """:func:`_text_lines` of the part of ``upright`` (turned upright by ``m``) inside the polygon ``within``
    (points of the image before turning), with boxes in ``upright``'s coordinates."""
    pts = within @ m[:, :2].T + m[:, 2]
    h, w = upright.shape[:2]
    x0, y0 = max(0, int(np.floor(pts[:, 0].min()))), max(0, int(np.floor(pts[:, 1].min())))
    x1, y1 = min(w, int(np.ceil(pts[:, 0].max()))), min(h, int(np.ceil(pts[:, 1].max())))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return []
    found = _text_lines(upright[y0:y1, x0:x1], deadline)
    return [(_Box(b.x + x0, b.y + y0, b.w, b.h), ch) for b, ch in found]


def _location(  # noqa: PLR0917 - an internal step of _find_at
    upright: Image,
    m: npt.NDArray[np.float64],
    angle: float,
    scale: float,
    group: list[_Box],
    score: float,
    char_h: float,
) -> MRZLocation:
    x0 = min(b.x for b in group)
    x1 = max(b.x + b.w for b in group)
    top, bottom = group[0].y, group[-1].y + group[-1].h
    span = bottom - top
    above = _ink(upright, x0, x1, top - 4 * span, top - span // 4)
    below = _ink(upright, x0, x1, bottom + span // 4, bottom + 4 * span)
    inverse = cv2.invertAffineTransform(m)
    out: list[MRZLine] = []
    # MRZ lines are equally long and left-aligned: a line whose trailing '<' run came apart from the rest
    # is given the full extent.
    cx = (x0 + x1) / 2
    fits = [_line_fit(upright, b, cx) for b in group]
    least = min(h for _, h, _ in fits)
    for b, fit in zip(group, fits, strict=True):
        cy, height, tilt = fit if fit[1] <= SWOLLEN * least else _densest_band(upright, b, least, fit)
        ox = inverse[0, 0] * cx + inverse[0, 1] * cy + inverse[0, 2]
        oy = inverse[1, 0] * cx + inverse[1, 1] * cy + inverse[1, 2]
        out.append(MRZLine((ox / scale, oy / scale), (x1 - x0) / scale, height / scale, (angle + tilt) % 360.0))
    location = MRZLocation(tuple(out), angle % 360.0, char_h / scale, score)
    return location.flipped() if below > above else location


SWOLLEN = 1.5
"""A line measured this many times taller than the group's shortest took in print just above or below it."""


def _densest_band(
    upright: Image, box: _Box, height: float, fit: tuple[float, float, float]
) -> tuple[float, float, float]:
    """A line whose box took in print just above or below it (a row of microprint, a signature): its middle
    at the band of ``height`` rows (the other lines' height) in the box with the most ink, its height
    ``height``; the slope of ``fit`` (:func:`_line_fit`) kept."""
    rows = np.count_nonzero(upright[box.y : box.y + box.h, box.x : box.x + box.w], axis=1).astype(np.float64)
    span = max(1, min(len(rows), round(height)))
    sums = np.convolve(rows, np.ones(span), mode="valid")
    top = int(np.argmax(sums))
    return box.y + top + span / 2, float(height), fit[2]


def _line_fit(upright: Image, box: _Box, cx: float) -> tuple[float, float, float]:
    """One line's own middle (y at ``cx``), height across its ink and residual slope (degrees, as
    :func:`_tilt`) in the upright image. In a phone photo the lines of one MRZ are not quite parallel:
    a line's box then grows with its slant, and a crop cut from the box shrinks its characters."""
    ys, xs = np.nonzero(upright[box.y : box.y + box.h, box.x : box.x + box.w])
    if len(xs) < 20:
        return box.cy, float(box.h), 0.0
    if len(xs) > 1000:  # a sample of the ink is enough
        pick = np.linspace(0, len(xs) - 1, 1000).astype(np.int64)
        xs, ys = xs[pick], ys[pick]
    vx, vy, px, py = _fit_line(xs, ys)
    if abs(vx) < 0.9:  # not a text line after all: keep the box
        return box.cy, float(box.h), 0.0
    slope = float(vy / vx)
    resid = ys - (py + slope * (xs - px))
    lo, hi = np.percentile(resid, [2.0, 98.0])
    height = float(np.clip(hi - lo + 1.0, 0.5 * box.h, box.h))
    mid = float(py + slope * (cx - box.x - px) + (lo + hi) / 2) + box.y
    return mid, height, float(np.degrees(np.arctan(slope)))


HUBER = 1.345
"""Huber's constant (pixels) of :func:`_fit_line`: points further from the line count proportionally less."""


def _fit_line(
    xs: npt.NDArray[np.integer], ys: npt.NDArray[np.integer], iterations: int = 5
) -> tuple[float, float, float, float]:
    """A robust straight line through points (x, y): ``(vx, vy, px, py)``, a unit direction with ``vx >= 0``
    and a point on the line. Total least squares reweighted with Huber's weights (as OpenCV's
    ``fitLine(DIST_HUBER)``, whose own iteration takes a thousand times longer on a thousand points)."""
    pts = np.column_stack([xs, ys]).astype(np.float64)
    weights = np.ones(len(pts))
    direction, centre = np.array([1.0, 0.0]), pts.mean(axis=0)
    for _ in range(iterations):
        centre = weights @ pts / weights.sum()
        d = pts - centre
        cov = (d * weights[:, None]).T @ d
        _, vecs = np.linalg.eigh(cov)
        direction = vecs[:, 1]
        dist = np.abs(d[:, 0] * direction[1] - d[:, 1] * direction[0])
        weights = HUBER / np.maximum(dist, HUBER)
    if direction[0] < 0:
        direction = -direction
    return float(direction[0]), float(direction[1]), float(centre[0]), float(centre[1])


def _tilt(upright: Image, group: list[_Box]) -> float:
    """Residual slope of the MRZ lines in the upright image, in degrees (positive: falling to the right)."""
    slopes = []
    for b in group:
        ys, xs = np.nonzero(upright[b.y : b.y + b.h, b.x : b.x + b.w])
        if len(xs) < 20:
            continue
        if len(xs) > 1500:  # a sample of the ink is enough for a slope
            pick = np.linspace(0, len(xs) - 1, 1500).astype(np.int64)
            xs, ys = xs[pick], ys[pick]
        vx, vy, _, _ = _fit_line(xs, ys)
        slopes.append(float(np.degrees(np.arctan2(vy, vx))))
    if not slopes:
        return 0.0
    t = float(np.median(slopes))
    return (t + 90.0) % 180.0 - 90.0


@dataclass(frozen=True, slots=True)
class LineCrop:
    """An upright line image (H×W uint8 gray) and where the text starts and ends in it (x, crop pixels)."""

    image: Image
    text_start: float
    text_end: float
    to_original: npt.NDArray[np.float64]
    """2×3 affine matrix mapping crop pixels back to original-image pixels."""


def cut_line(gray: Image, line: MRZLine, *, char_height: int = 32, pad: float = 0.35, extend: float = 0.0) -> LineCrop:
    """The line cut out upright from ``gray`` (H×W uint8), scaled so characters are ``char_height`` px tall.

    ``pad`` adds that fraction of the line height above and below; the ends get the same plus
    ``extend`` of the line's length, in case the located line fell short of the printed one.
    """
    scale = char_height / max(line.height * 0.85, 1.0)
    margin = pad * line.height + extend * line.length
    out_w = round((line.length + 2 * margin) * scale)
    out_h = round(line.height * (1 + 2 * pad) * scale)
    m = cv2.getRotationMatrix2D(line.center, line.angle, scale)
    m[0, 2] += out_w / 2 - line.center[0]
    m[1, 2] += out_h / 2 - line.center[1]
    crop = cv2.warpAffine(gray, m, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    start = margin * scale
    return LineCrop(crop, start, start + line.length * scale, cv2.invertAffineTransform(m))
