"""docverify's own visual-zone (VIZ) text reader: text lines found on the upright data page and read by the
``viz_line`` ONNX model (CNN + CTC), with no tesseract.

Stages, pure around the model:

1. :func:`find_lines` — ink boxes of printed text lines on the upright page (H×W uint8 gray).
2. :func:`crop_line` — one line cut as the model sees it: the ink's box padded, 32 px high, ink high.
3. :func:`read_lines` — per-frame log-probabilities (T×38) for each line, in batches of similar width.

Labels are the MRZ alphabet (``0-9 A-Z <``): lower case reads as upper case, accents are dropped and ``<``
stands for any run of spaces and punctuation, so a printed ``12 AUG/AOÛT 74`` reads ``12<AUG<AOUT<74`` and a
printed name's words line up with the MRZ's filler (:func:`label_text` maps printed text the same way).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from docverify.mrz.cells import normalise

HEIGHT = 32
"""Height of a line crop handed to the model (px)."""
STRIDE = 4
"""Pixels of crop width per output frame."""
LABELS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
"""The model's classes (the CTC blank is one more, last)."""
BLANK = len(LABELS)
PAD = (0.22, 0.18, 0.22, 0.18)
"""Padding of a line's ink box (left, top, right, bottom) as fractions of its height: the middle of the
ranges the model was trained on (``models/viz_line/train.py``)."""

_SEPARATORS = set(" \t.,/-'’:;()+_")
_SPECIAL = {"ß": "SS", "Æ": "AE", "Œ": "OE", "Ø": "O", "Đ": "D", "Ł": "L", "Þ": "TH", "ı": "I"}

Gray = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]


def label_text(text: str) -> str:
    """Printed text in the model's labels: upper case, accents dropped, separators as one ``<``; other
    characters dropped. ``"Anne-Marie O'Neil"`` → ``"ANNE<MARIE<O<NEIL"``."""
    out: list[str] = []
    for ch in text:
        if ch in _SEPARATORS:
            if out and out[-1] != "<":
                out.append("<")
            continue
        up = _SPECIAL.get(ch.upper(), _SPECIAL.get(ch, ch.upper()))
        for c in unicodedata.normalize("NFKD", up):
            if c in LABELS and c != "<":
                out.append(c)
    return "".join(out).strip("<")


def crop_line(gray: Gray, box: Box, *, pad: tuple[float, float, float, float] = PAD, angle: float = 0.0) -> Gray:
    """The line whose ink spans ``box`` (x0, y0, x1, y1; image pixels, exclusive ends, measured along the
    line when ``angle`` is set) cut from ``gray`` (H×W uint8) with ``pad`` × its height around it, turned by
    ``-angle`` degrees about the box's centre (a line rising to the right has a negative angle, y down) and
    scaled to :data:`HEIGHT` px high: uint8, ink high (dark text → 255), contrast stretched per line."""
    x0, y0, x1, y1 = box
    h = max(1, y1 - y0)
    left, top = x0 - pad[0] * h, y0 - pad[1] * h
    right, bottom = x1 + pad[2] * h, y1 + pad[3] * h
    scale = HEIGHT / (bottom - top)
    out_w = max(STRIDE * 2, round((right - left) * scale))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    a = np.radians(angle)
    cos, sin = float(np.cos(a)), float(np.sin(a))
    # output (u, v) -> page: x = cx + cos·(u/s + left - cx) - sin·(v/s + top - cy), y likewise
    inv = np.array(
        [
            [cos / scale, -sin / scale, cx + cos * (left - cx) - sin * (top - cy)],
            [sin / scale, cos / scale, cy + sin * (left - cx) + cos * (top - cy)],
        ],
        dtype=np.float64,
    )
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    crop = cv2.warpAffine(
        gray, inv, (out_w, HEIGHT), flags=interp | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(normalise(crop) * 255 + 0.5, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class TextLine:
    """A printed text line on the page: its ink box (x0, y0, x1, y1; page pixels, exclusive ends) and
    its tilt in degrees (y down: negative when it rises to the right). With a tilt, the box is the
    line's extent measured along and across it, centred where its ink is."""

    box: Box
    angle: float = 0.0

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


BLACKHAT_PX = 13
"""Width of the black-hat window (1.6 mm at 8 px/mm): wider than any stroke of printed text."""
INK_SHARE = 9 / 20
"""A pixel is ink when its black-hat response reaches this share of the strongest print within
:data:`LOCAL_PX` (so grey print keeps its strokes while guilloche beside black print drops out) ..."""
GLOBAL_SHARE = 0.3
"""... and this share of the page's strongest print (99.5th percentile), and at least :data:`MIN_INK`."""
LOCAL_PX = 31
MIN_INK = 18
MIN_CHAR_PX = 7
"""Smallest character height (page pixels) a line may have: 0.9 mm at the page's 8 px/mm."""
MAX_CHAR_PX = 64
"""Largest: 8 mm (bigger marks are the portrait, emblems or the page edge)."""


def ink_mask(page: Gray) -> npt.NDArray[np.uint8]:
    """Printed marks of the upright page (H×W uint8 gray) as a 0/255 mask: strokes darker than their
    surroundings (a morphological black-hat) by a share of the strongest print near them and on the page,
    so that grey print under glare stays while guilloche drops out."""
    bh = cv2.morphologyEx(page, cv2.MORPH_BLACKHAT, np.ones((BLACKHAT_PX, BLACKHAT_PX), np.uint8))
    counts = np.bincount(bh.ravel(), minlength=256)
    strongest = int(np.searchsorted(np.cumsum(counts), 0.995 * bh.size))  # the 99.5th percentile
    floor = max(MIN_INK, math.ceil(GLOBAL_SHARE * strongest))
    local = cv2.dilate(bh, np.ones((LOCAL_PX, LOCAL_PX), np.uint8))
    # bh >= INK_SHARE · local, in integers (INK_SHARE = 9 / 20)
    ink = cv2.compare(bh.astype(np.uint16) * 20, local.astype(np.uint16) * 9, cv2.CMP_GE)
    return np.asarray(cv2.bitwise_and(ink, cv2.compare(bh, floor, cv2.CMP_GE)), dtype=np.uint8)


def find_lines(page: Gray, *, max_lines: int = 48) -> list[TextLine]:
    """Printed text lines of the upright page (H×W uint8 gray, text horizontal), top to bottom.

    Character-sized ink marks (:data:`MIN_CHAR_PX`–:data:`MAX_CHAR_PX` tall) are chained left to right
    when they overlap vertically by half the smaller height, their heights differ by at most 2.2× and the
    gap is at most the left mark's height (a word space, not a column gap). Chains of one small mark are
    dropped; at most ``max_lines`` (the widest) are kept, each with its tilt fitted to its marks' centres."""
    mask = ink_mask(page)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return []
    x, y, w, h, area = (stats[1:, k].astype(np.int64) for k in range(5))
    keep = (h >= MIN_CHAR_PX) & (h <= MAX_CHAR_PX) & (w <= 3 * h + 4) & (area >= 0.08 * w * h)
    idx = np.flatnonzero(keep)
    if len(idx) == 0:
        return []
    order = idx[np.argsort(x[idx], kind="stable")]
    xs, ys, ws, hs = x[order], y[order], w[order], h[order]
    parent = list(range(len(order)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    x1 = xs + ws
    for i in range(len(order)):
        # candidates to the right within one height, sorted by x already
        reach = x1[i] + hs[i]
        j = i + 1
        while j < len(order) and xs[j] <= reach:
            top, bottom = max(ys[i], ys[j]), min(ys[i] + hs[i], ys[j] + hs[j])
            lo, hi = min(hs[i], hs[j]), max(hs[i], hs[j])
            if bottom - top >= 0.5 * lo and hi <= 2.2 * lo and xs[j] - x1[i] <= hi:
                parent[root(j)] = root(i)
            j += 1
    groups: dict[int, list[int]] = {}
    for i in range(len(order)):
        groups.setdefault(root(i), []).append(i)
    chains = [np.asarray(m) for m in groups.values() if len(m) > 1 or hs[m[0]] >= 2 * MIN_CHAR_PX]
    chains.sort(key=lambda m: int(x1[m].max() - xs[m].min()), reverse=True)
    chains = chains[:max_lines]
    cxs, cys = xs + ws / 2, ys + hs / 2
    slopes = [_slope(cxs[m], cys[m], ws[m]) for m in chains]
    long = [sl for sl, m in zip(slopes, chains, strict=True) if sl is not None and len(m) >= 4]
    page_slope = float(np.median(long)) if long else 0.0
    lines = []
    for m, sl in zip(chains, slopes, strict=True):
        slope = sl if sl is not None and len(m) >= 3 else page_slope
        lines.append(_tilted_line(xs[m], ys[m], ws[m], hs[m], slope))
    lines.sort(key=lambda t: (t.box[1], t.box[0]))
    return lines


MAX_TILT = 0.14
"""Steepest line slope accepted (8°): the page is warped upright from the MRZ, so lines are nearly level."""


def _slope(cx: npt.NDArray[np.int64], cy: npt.NDArray[np.int64], w: npt.NDArray[np.int64]) -> float | None:
    """Least-squares slope of the characters' centres (weighted by width), ``None`` for a single mark."""
    if len(cx) < 2 or np.ptp(cx) < 1:
        return None
    x, y, wt = cx.astype(np.float64), cy.astype(np.float64), w.astype(np.float64)
    mx, my = np.average(x, weights=wt), np.average(y, weights=wt)
    var = float(np.average((x - mx) ** 2, weights=wt))
    if var <= 0:
        return None
    return float(np.clip(np.average((x - mx) * (y - my), weights=wt) / var, -MAX_TILT, MAX_TILT))


def _tilted_line(
    x: npt.NDArray[np.int64], y: npt.NDArray[np.int64], w: npt.NDArray[np.int64], h: npt.NDArray[np.int64], slope: float
) -> TextLine:
    """The line of character boxes (x, y, w, h) along ``slope``: its extent turned level about its
    centre, and its angle."""
    angle = float(np.degrees(np.arctan(slope)))
    a = np.radians(angle)
    cos, sin = float(np.cos(a)), float(np.sin(a))
    corners_x = np.concatenate([x, x + w, x, x + w]).astype(np.float64)
    corners_y = np.concatenate([y, y, y + h, y + h]).astype(np.float64)
    cx = (corners_x.min() + corners_x.max()) / 2
    cy = (corners_y.min() + corners_y.max()) / 2
    u = cos * (corners_x - cx) + sin * (corners_y - cy)  # along the line
    v = -sin * (corners_x - cx) + cos * (corners_y - cy)  # across it
    box = (round(cx + u.min()), round(cy + v.min()), round(cx + u.max()), round(cy + v.max()))
    return TextLine(box, angle)


@dataclass(frozen=True, slots=True)
class ReadLine:
    """A text line read by the model: its box and tilt (as :class:`TextLine`: page pixels, measured along
    the line, turned by ``angle`` degrees about the box's centre), the per-frame log-probabilities (T × 38,
    float32, blank last) and the greedy text in :data:`LABELS`."""

    box: Box
    log_probs: npt.NDArray[np.float32]
    text: str
    angle: float = 0.0


_SEPARATOR = np.full((2, BLANK + 1), -30.0, np.float32)
_SEPARATOR[0, LABELS.index("<")] = 0.0
_SEPARATOR[1, BLANK] = 0.0


def join_lines(left: ReadLine, right: ReadLine) -> ReadLine:
    """Two runs of one printed row read as one line, a separator ``<`` between them (two frames that
    read it for certain; the text is the joined frames' greedy reading): the boxes' union, ``left``'s
    tilt."""
    box = (
        min(left.box[0], right.box[0]),
        min(left.box[1], right.box[1]),
        max(left.box[2], right.box[2]),
        max(left.box[3], right.box[3]),
    )
    log_probs = np.concatenate([left.log_probs, _SEPARATOR, right.log_probs])
    return ReadLine(box, log_probs, greedy_text(log_probs), left.angle)


def read_lines(page: Gray, lines: list[TextLine]) -> list[ReadLine]:
    """Each line of ``page`` (H×W uint8 gray) read by the ``viz_line`` model, in one batch."""
    from docverify.mrz.recognizer import session  # noqa: PLC0415 - onnxruntime loads on first use

    lines = [t for t in lines if t.box[2] - t.box[0] >= 1.5 * t.height]  # one character: no field
    if not lines:
        return []
    crops = [crop_line(page, t.box, angle=t.angle) for t in lines]
    logits: dict[int, npt.NDArray[np.float32]] = {}
    order = sorted(range(len(crops)), key=lambda k: crops[k].shape[1])
    while order:  # batches of similar widths: padding every line to the widest would waste most of the work
        first = crops[order[0]].shape[1]
        group = [k for k in order if crops[k].shape[1] <= 1.3 * first + 2 * STRIDE]
        order = order[len(group) :]
        width = (max(crops[k].shape[1] for k in group) + STRIDE - 1) // STRIDE * STRIDE
        batch = np.zeros((len(group), 1, HEIGHT, width), np.float32)
        for i, k in enumerate(group):
            batch[i, 0, :, : crops[k].shape[1]] = crops[k] / np.float32(255.0)
        out_group = session("viz_line").run(None, {"lines": batch})[0]
        for i, k in enumerate(group):
            logits[k] = out_group[i, : crops[k].shape[1] // STRIDE]
    out = []
    for k, t in enumerate(lines):
        lg = logits[k]
        lp = lg.astype(np.float32) - lg.max(axis=1, keepdims=True)
        lp = lp - np.log(np.exp(lp).sum(axis=1, keepdims=True))
        out.append(ReadLine(t.box, lp, greedy_text(lp), t.angle))
    return out


def greedy_text(log_probs: npt.NDArray[np.float32]) -> str:
    """Best-path decoding of T × 38 log-probabilities into :data:`LABELS` text."""
    best = log_probs.argmax(axis=1)
    out = []
    prev = BLANK
    for b in best.tolist():
        if b not in (prev, BLANK):
            out.append(LABELS[b])
        prev = b
    return "".join(out).strip("<")


LOOK_ALIKES = ("0OQD", "1IL", "2Z", "5S", "8B", "6G")
"""Characters that many typefaces print (nearly) alike: with ``alike=True`` :func:`forced_score` lets the
print show any of a group where the text has one (a ``0`` printed as round as an ``O`` is still a ``0``)."""
_ALIKE = {c: group for group in LOOK_ALIKES for c in group}


def forced_score(log_probs: npt.NDArray[np.float32], text: str, *, alike: bool = False) -> float:
    """Log-probability of the best CTC alignment of ``text`` (:data:`LABELS`) with all T frames (Viterbi);
    ``-inf`` when it does not fit. Frames before and after the text may be blank or ``<`` (the line's
    ends carry no label). With ``alike``, a character also matches its :data:`LOOK_ALIKES`."""
    lp = log_probs.astype(np.float64)
    full = "<" + text + "<" if text else "<"
    # the emission of each extended state: blank, l1, blank, l2, …, blank; the outer "<" may be skipped
    columns = [lp[:, BLANK]]
    ext = [BLANK]
    for c in full:
        group = _ALIKE.get(c, c) if alike else c
        idx = [LABELS.index(g) for g in group]
        columns += [lp[:, idx].max(axis=1) if len(idx) > 1 else lp[:, idx[0]], lp[:, BLANK]]
        ext += [LABELS.index(c), BLANK]
    emit = np.stack(columns, axis=1)  # T × S
    if len(emit) == 0:
        return float("-inf")
    s_count = len(ext)
    groups = [set(_ALIKE.get(LABELS[e], LABELS[e])) if alike and e != BLANK else {e} for e in ext]
    skip = np.zeros(s_count, bool)  # s may be entered from s-2 (a label no glyph of s-2 could also show)
    for s in range(2, s_count):
        skip[s] = ext[s] != BLANK and not groups[s] & groups[s - 2]
    neg = -1e30
    alpha = np.full(s_count, neg)
    # start: the leading blank, the optional "<", its blank, or the first real label
    for s in (0, 1, 2, 3):
        if s < s_count:
            alpha[s] = emit[0, s]
    for t in range(1, len(lp)):
        prev = alpha
        best = prev.copy()
        best[1:] = np.maximum(best[1:], prev[:-1])
        two = np.full(s_count, neg)
        two[2:] = prev[:-2]
        best = np.where(skip, np.maximum(best, two), best)
        # the optional leading "<" (state 1) may be skipped (state 3 from state 0) or repeated after a blank
        # (state 1 from state 2), and so may the trailing one (state S-2 from the last blank, S-1)
        if s_count > 3:
            best[3] = max(best[3], prev[0])
            best[1] = max(best[1], prev[2])
            best[s_count - 2] = max(best[s_count - 2], prev[s_count - 1])
        alpha = best + emit[t]
    ends = [s_count - 1, s_count - 2, s_count - 3, s_count - 4]
    score = max(alpha[s] for s in ends if s >= 0)
    return float(score) if score > neg / 2 else float("-inf")


def best_score(log_probs: npt.NDArray[np.float32]) -> float:
    """Log-probability of the best path (each frame's most likely class)."""
    return float(log_probs.max(axis=1).astype(np.float64).sum())
