"""Character cells of an upright MRZ line crop: where they are, and the patches a recognizer reads.

Shared by the recognizer's training data (cells placed from ground truth) and by inference (cells
placed from the ink), so both see patches cut the same way. Crops come from
:func:`docverify.mrz.locate.cut_line` with characters about :data:`CROP_CHAR_HEIGHT` px tall.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

CROP_CHAR_HEIGHT = 32
PATCH_H = 40
"""Patch height in crop pixels (and recognizer input height)."""
PATCH_W = 32
"""Patch width in crop pixels (and recognizer input width): about 1.2 character pitches."""

Gray = npt.NDArray[np.uint8]


def normalise(crop: Gray) -> npt.NDArray[np.float32]:
    """A line crop as float32 0…1 with ink high: dark text → 1, paper → 0, contrast stretched per line."""
    f = crop.astype(np.float32)
    lo, hi = np.percentile(f, (1, 70))
    if hi - lo < 8:
        hi = lo + 8
    return np.asarray(np.clip((hi - f) / (hi - lo), 0.0, 1.0), dtype=np.float32)


def patches(line: npt.NDArray[np.float32], centres_x: npt.ArrayLike, centre_y: float) -> npt.NDArray[np.float32]:
    """Patches (N × 1 × PATCH_H × PATCH_W) centred on each cell of a normalised line (see :func:`normalise`)."""
    xs = np.asarray(centres_x, dtype=np.float64)
    out = np.zeros((len(xs), 1, PATCH_H, PATCH_W), np.float32)
    for i, cx in enumerate(xs):
        m = np.array([[1, 0, PATCH_W / 2 - cx], [0, 1, PATCH_H / 2 - centre_y]], dtype=np.float32)
        out[i, 0] = cv2.warpAffine(line, m, (PATCH_W, PATCH_H), flags=cv2.INTER_LINEAR, borderValue=0.0)
    return out


def grid(line: npt.NDArray[np.float32], text_start: float, text_end: float, count: int) -> npt.NDArray[np.float64]:
    """Centres (x, crop pixels) of ``count`` evenly pitched cells fitted to the ink between the text's ends.

    The pitch and offset are searched around the values the text's ends give, maximising the ink under
    the cell centres and minimising it at the cell borders.
    """
    profile = cv2.GaussianBlur(line.sum(axis=0).reshape(1, -1), (0, 0), 1.5).ravel()
    pitch0 = (text_end - text_start) / (count - 0.3)
    best = (-np.inf, text_start + 0.35 * pitch0, pitch0)
    k = np.arange(count)
    n = len(profile)
    for dp in np.linspace(-0.06, 0.06, 13):
        p = pitch0 * (1 + dp)
        for dx in np.linspace(-0.5, 0.5, 11):
            start = text_start + (0.35 + dx) * p
            centres = start + p * k
            borders = centres + p / 2
            ci = np.clip(np.round(centres).astype(np.int64), 0, n - 1)
            bi = np.clip(np.round(borders).astype(np.int64), 0, n - 1)
            score = float(profile[ci].sum() - profile[bi].sum())
            if score > best[0]:
                best = (score, start, p)
    _, start, p = best
    return np.asarray(start + p * k, dtype=np.float64)


def track(line: npt.NDArray[np.float32], text_start: float, text_end: float, count: int) -> npt.NDArray[np.float64]:
    """Centres (x, crop pixels) of ``count`` cells found one by one along the ink (dynamic programming).

    Unlike :func:`grid`, the spacing may vary from cell to cell (±15 % of the mean pitch), so a line
    photographed at an angle, whose pitch shrinks towards the far end, is followed to its last character.
    Each centre is scored by the ink under it minus the ink at the borders half a pitch away.
    """
    profile = cv2.GaussianBlur(line.sum(axis=0).reshape(1, -1), (0, 0), 1.5).ravel().astype(np.float64)
    n = len(profile)
    pitch = (text_end - text_start) / (count - 0.3)
    half = max(1, round(pitch / 2))
    padded = np.pad(profile, half, mode="edge")
    score = profile - 0.5 * (padded[:n] + padded[2 * half : 2 * half + n])
    lo, hi = max(1, int(pitch * 0.85)), max(2, int(np.ceil(pitch * 1.15)))
    neg = -1e18
    first = np.full(n, neg)
    a, b = max(0, int(text_start - 0.3 * pitch)), min(n, int(text_start + 1.0 * pitch) + 1)
    first[a:b] = score[a:b]
    total = first
    back = np.zeros((count, n), np.int32)
    for k in range(1, count):
        best = np.full(n, neg)
        arg = np.zeros(n, np.int32)
        for d in range(lo, hi + 1):
            shifted = np.full(n, neg)
            shifted[d:] = total[: n - d]
            better = shifted > best
            best = np.where(better, shifted, best)
            arg = np.where(better, d, arg)
        total = best + score
        back[k] = arg
    end_lo, end_hi = int(text_end - 1.5 * pitch), min(n, int(text_end + 0.5 * pitch) + 1)
    window = total[max(0, end_lo) : end_hi]
    if len(window) == 0 or window.max() <= neg / 2:
        return grid(line, text_start, text_end, count)
    x = max(0, end_lo) + int(np.argmax(window))
    out = np.zeros(count, np.float64)
    for k in range(count - 1, -1, -1):
        out[k] = x
        x -= int(back[k, x])
    return out
