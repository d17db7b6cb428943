"""Forgeries of synthetic documents, registered in :data:`~docverify.synth.dataset.FORGERIES` on import.

Each kind alters the rendered page before capture, the way a forger would, and draws every choice from the
generator it is given (so a forgery is deterministic for a given generator state and installed fonts).
Magnitudes, places, fonts and blend modes are randomised widely so that a model cannot learn one artefact.

======================== =============================================================================
kind                     what it does (parameters recorded in the ground truth)
======================== =============================================================================
mrz.broken_check_digit   one or two characters of the document number, birth or expiry date scraped
                         and reprinted in the document's OCR-B style; check digits left as printed, so
                         at least one of them fails (``field``, ``line``, ``columns``, ``old``, ``new``,
                         ``failing``, ``erase``, ``ink_shift``)
mrz.recomputed           birth date, expiry date, document number or name changed in the MRZ, every
                         affected check digit and the composite recomputed, all changed cells reprinted;
                         the VIZ keeps the genuine values (``fields``, ``<field>_old``/``_new``,
                         ``cells``, ``erase``, ``ink_shift``)
viz.altered              a VIZ value (surname, given names, document number, birth or expiry date)
                         painted over and retyped with another value in a near-miss font, slightly
                         misaligned; MRZ unchanged (``field``, ``old``, ``new``, ``font``, ``size_scale``,
                         ``tracking_em``, ``dx_mm``, ``dy_mm``, ``angle``, ``erase``, ``ink_shift``)
portrait.substituted     another drawn portrait pasted over the photo with a hard or feathered edge and
                         one or more of: seam line, drop shadow, blur or over-sharpening, colour and
                         brightness change, film grain, JPEG blocks, misplacement, rotation (``effects``,
                         ``edge``, ``feather_px``, ``size_scale``, ``dx_mm``, ``dy_mm``, ``angle`` and
                         each effect's magnitude)
mrz.wrong_font           the whole MRZ or one line scraped and retyped, cell by cell at the ICAO pitch,
                         in an installed non-OCR-B font (DejaVu Sans Mono, Liberation Mono, FreeMono …;
                         ``font``, ``lines``: ``all`` or the 1-based line, ``cap_scale``, ``erase`` …)
mrz.pitch_anomaly        a run of 3–12 characters of one line reprinted with another pitch (±4–15 %),
                         a baseline shift (±0.1–0.4 mm) and/or a rotation (±0.5–3°) (``line``, ``start``,
                         ``length``, ``modes``, ``pitch_scale``, ``baseline_mm``, ``angle``, ``erase``)
copy_move                a patch copied elsewhere on the page, optionally scaled and brightness-adjusted:
                         an MRZ cell over another cell, a VIZ digit over another digit (both change
                         the printed data), or a piece of security background over another
                         (``variant``, centres ``src_x``, ``src_y``, ``dst_x``, ``dst_y``, ``scale``,
                         ``gain``; cells or fields and ``old``/``new`` text when the data changed)
reprint                  the whole page reprinted: fine lines blurred, an AM halftone screen at a random
                         angle and frequency, colour shift and desaturation, optionally another paper
                         tone (``blur_mm``, ``screen_period_mm``, ``screen_angle``, ``screen_amount``,
                         ``saturation``, ``gain_r``/``_g``/``_b``, ``gamma``, ``paper`` …)
======================== =============================================================================

Images are RGB ``uint8`` ``(H, W, 3)`` pages; every region is a quad in page pixels (continuous
coordinates, see :mod:`.render`). Every local kind's regions cover every pixel it changed; ``reprint``
records the whole page. The returned ground truth holds what is now printed: ``mrz_lines`` and
``mrz_chars`` (characters, and the cells of moved characters) and the VIZ values and boxes;
``mrz_data`` keeps the genuine values.

>>> from docverify.results import MRZFormat
>>> from docverify.synth.dataset import render_sample
>>> doc = render_sample(4, MRZFormat.TD3, forgeries=["mrz.recomputed"])
>>> [f.kind for f in doc.truth.forgeries]
['mrz.recomputed']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from docverify.errors import DependencyError
from docverify.mrz import checkdigit
from docverify.mrz.parse import parse, resolve_date
from docverify.mrz.spec import DIGITS, FILLER, LAYOUTS, LETTERS, FieldKind, Layout
from docverify.results import MRZFormat
from docverify.synth.dataset import ForgeryResult, register_forgery
from docverify.synth.render import (
    ForgeryRecord,
    GroundTruth,
    Image8,
    MRZChar,
    ParamValue,
    PrintStyle,
    Quad,
    RenderedDocument,
    VizField,
    draw_portrait,
    mm_to_px,
    params,
    print_mrz_glyph,
    rect_quad,
    viz_date,
)

Box = tuple[int, int, int, int]
"""An integer pixel box ``(x0, y0, x1, y1)``, end exclusive, in page pixels."""
Float32Image = npt.NDArray[np.float32]
Cell = tuple[int, int]
"""An MRZ position ``(line, column)``, 0-based."""

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
MRZ_WRONG_FONTS = (
    "dejavu/DejaVuSansMono.ttf",
    "dejavu/DejaVuSansMono-Bold.ttf",
    "liberation/LiberationMono-Regular.ttf",
    "liberation/LiberationMono-Bold.ttf",
    "liberation2/LiberationMono-Regular.ttf",
    "liberation2/LiberationMono-Bold.ttf",
    "freefont/FreeMono.ttf",
    "freefont/FreeMonoBold.ttf",
    "noto/NotoSansMono-Regular.ttf",
    "noto/NotoMono-Regular.ttf",
    "ubuntu/UbuntuMono-R.ttf",
    "hack/Hack-Regular.ttf",
    "crosextra/Cousine-Regular.ttf",
    "croscore/Cousine-Regular.ttf",
    "urw-base35/NimbusMonoPS-Regular.otf",
)
"""Monospace fonts for ``mrz.wrong_font``, relative to :data:`FONT_DIRS`; those installed are used."""
MRZ_FALLBACK_FONTS = ("dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSans.ttf", "ocr-b/OCRBL.otf")
"""Used when no monospace font is installed: still not upright OCR-B (printed at the MRZ pitch anyway)."""
VIZ_NEAR_MISS_FONTS = (
    "dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSans-Bold.ttf",
    "dejavu/DejaVuSansCondensed.ttf",
    "dejavu/DejaVuSansCondensed-Bold.ttf",
    "dejavu/DejaVuSansMono-Bold.ttf",
    "liberation/LiberationSans-Bold.ttf",
    "liberation/LiberationSans-Regular.ttf",
    "liberation2/LiberationSans-Bold.ttf",
    "freefont/FreeSansBold.ttf",
    "freefont/FreeSans.ttf",
    "noto/NotoSans-Bold.ttf",
    "ubuntu/Ubuntu-B.ttf",
)
"""Sans fonts for ``viz.altered`` (the genuine VIZ is DejaVu Sans Bold: with that one, size or spacing
differ)."""
GENUINE_VIZ_FONT = "DejaVuSans-Bold.ttf"
ERASE_MODES = ("background", "shifted_background", "flat", "inpaint")
"""How a forger removes print: a perfect scrape (the blank page), a background patch taken from elsewhere
(guilloche discontinuity), a flat fill of the local paper colour, or inpainting from the surroundings."""
_ERASE_WEIGHTS = (0.35, 0.2, 0.2, 0.25)
VIZ_FIELDS = ("surname", "given_names", "document_number", "birth_date", "expiry_date")
_SYLLABLES = "AN BE CO DA EL FI GA HO IN KA LU MA NE OR PE RA SI TO VA ZU BRA KLA MIR NOV STE VEL".split()


# --- small helpers ---------------------------------------------------------------------------------


def _u8(a: Any) -> Image8:
    """Round and saturate to ``uint8``."""
    return np.asarray(np.clip(np.rint(a), 0, 255), dtype=np.uint8)


def _f32(a: Any) -> Float32Image:
    return np.asarray(a, dtype=np.float32)


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(0, len(items)))]


def _signed(rng: np.random.Generator, lo: float, hi: float) -> float:
    """A magnitude in ``[lo, hi]`` with a random sign."""
    return float(rng.uniform(lo, hi)) * (1.0 if rng.random() < 0.5 else -1.0)


def _clip_box(x0: float, y0: float, x1: float, y1: float, shape: tuple[int, ...]) -> Box:
    h, w = shape[:2]
    return max(0, math.floor(x0)), max(0, math.floor(y0)), min(w, math.ceil(x1)), min(h, math.ceil(y1))


def _quad_bounds(q: Quad) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in q], [p[1] for p in q]
    return min(xs), min(ys), max(xs), max(ys)


def _quad_box(q: Quad, pad: float, shape: tuple[int, ...]) -> Box:
    x0, y0, x1, y1 = _quad_bounds(q)
    return _clip_box(x0 - pad, y0 - pad, x1 + pad, y1 + pad, shape)


def _box_quad(b: Box) -> Quad:
    return rect_quad(float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _union(*boxes: Box | None) -> Box:
    real = [b for b in boxes if b is not None]
    return (
        min(b[0] for b in real),
        min(b[1] for b in real),
        max(b[2] for b in real),
        max(b[3] for b in real),
    )


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _nonzero_box(weight: Float32Image, x0: int, y0: int) -> Box | None:
    """The box of the pixels where ``weight`` (a window whose top-left is ``(x0, y0)``) is above zero."""
    ys, xs = np.nonzero(weight > 0)
    if len(xs) == 0:
        return None
    return x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1


def _blend(image: Image8, box: Box, alpha: Float32Image, colour: Float32Image | tuple[float, ...]) -> None:
    """In place: ``image[box] = image * (1 - alpha) + colour * alpha`` (``alpha`` ``(h, w)`` in [0, 1];
    ``colour`` an RGB triple or an ``(h, w, 3)`` array). Pixels with ``alpha == 0`` keep their value."""
    x0, y0, x1, y1 = box
    region = image[y0:y1, x0:x1].astype(np.float32)
    a = alpha[..., None]
    col = np.asarray(colour, dtype=np.float32)
    image[y0:y1, x0:x1] = _u8(region * (1.0 - a) + col * a)


def _ramp(h: int, w: int, feather: float) -> Float32Image:
    """An ``(h, w)`` alpha mask: 1 inside, falling linearly to 0 over ``feather`` pixels at the edges
    (all 1 for ``feather`` 0)."""
    if feather <= 0:
        return np.ones((h, w), np.float32)
    rx = np.minimum(np.arange(w) + 0.5, w - np.arange(w) - 0.5) / feather
    ry = np.minimum(np.arange(h) + 0.5, h - np.arange(h) - 0.5) / feather
    return _f32(np.clip(np.minimum(ry[:, None], rx[None, :]), 0.0, 1.0))


def _ink_shift(
    rng: np.random.Generator, ink: tuple[int, int, int], p: float, spread: int
) -> tuple[tuple[int, int, int], int]:
    """``ink`` unchanged (probability ``1 - p``) or shifted by up to ``spread`` grey levels (another
    printer); returns the ink and the shift."""
    if rng.random() >= p:
        return ink, 0
    shift = int(rng.integers(-spread, spread + 1))
    tint = rng.integers(-4, 5, size=3)
    r, g, b = (int(np.clip(c + shift + int(t), 0, 255)) for c, t in zip(ink, tint, strict=True))
    return (r, g, b), shift


@functools.lru_cache(maxsize=8)
def _installed(candidates: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for rel in candidates:
        for base in FONT_DIRS:
            path = base / rel
            if path.is_file():
                out.append(str(path))
                break
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _truetype(path: str, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


# --- erasing and printing -------------------------------------------------------------------------


def _erase_mode(rng: np.random.Generator) -> str:
    return str(ERASE_MODES[int(rng.choice(len(ERASE_MODES), p=_ERASE_WEIGHTS))])


def _erase(image: Image8, doc: RenderedDocument, box: Box, mode: str, rng: np.random.Generator) -> None:
    """Remove the print inside ``box`` (in place) the way :data:`ERASE_MODES` ``mode`` says; only pixels
    inside ``box`` change."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    if bw <= 0 or bh <= 0:
        return
    bg = doc.background
    h, w = image.shape[:2]
    if mode == "background":
        image[y0:y1, x0:x1] = bg[y0:y1, x0:x1]
    elif mode == "shifted_background":
        dist = mm_to_px(float(rng.uniform(0.6, 4.0)), doc.truth.dpi)
        angle = float(rng.uniform(0, 2 * math.pi))
        sx = int(np.clip(round(x0 + dist * math.cos(angle)), 0, max(0, w - bw)))
        sy = int(np.clip(round(y0 + dist * math.sin(angle)), 0, max(0, h - bh)))
        image[y0:y1, x0:x1] = bg[sy : sy + bh, sx : sx + bw]
    elif mode == "flat":
        colour = np.median(bg[y0:y1, x0:x1].reshape(-1, 3), axis=0) + rng.normal(0.0, 2.0, 3)
        grain = rng.normal(0.0, float(rng.uniform(0.0, 1.5)), (bh, bw, 1))
        image[y0:y1, x0:x1] = _u8(colour[None, None, :] + grain)
    elif mode == "inpaint":
        pad = 8
        wx0, wy0, wx1, wy1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
        crop = np.ascontiguousarray(image[wy0:wy1, wx0:wx1])
        diff = np.abs(crop.astype(np.int16) - bg[wy0:wy1, wx0:wx1].astype(np.int16)).max(axis=2)
        mask = np.asarray(cv2.dilate((diff > 10).astype(np.uint8) * 255, np.ones((3, 3), np.uint8)), np.uint8)
        inside = np.zeros_like(mask)
        inside[y0 - wy0 : y1 - wy0, x0 - wx0 : x1 - wx0] = 255
        mask = np.asarray(cv2.bitwise_and(mask, inside), np.uint8)
        if mask.any():
            flag = cv2.INPAINT_TELEA if rng.random() < 0.5 else cv2.INPAINT_NS
            out = np.asarray(cv2.inpaint(crop, mask, float(rng.uniform(2.0, 5.0)), flag), np.uint8)
            image[y0:y1, x0:x1] = out[y0 - wy0 : y1 - wy0, x0 - wx0 : x1 - wx0]
    else:
        raise ValueError(f"unknown erase mode {mode!r}")


def _rotate_points(
    pts: Sequence[tuple[float, float]], pivot: tuple[float, float], angle: float
) -> list[tuple[float, float]]:
    """Points turned by ``angle`` degrees counter-clockwise as seen on screen (``y`` down) about ``pivot``,
    as :func:`cv2.getRotationMatrix2D` turns an image."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    px, py = pivot
    return [(px + c * (x - px) + s * (y - py), py - s * (x - px) + c * (y - py)) for x, y in pts]


def _print_glyphs(
    image: Image8,
    glyphs: Sequence[tuple[str, float, float]],
    style: PrintStyle,
    *,
    angle: float = 0.0,
    pivot: tuple[float, float] = (0.0, 0.0),
) -> Box | None:
    """Print MRZ ``glyphs`` (character, cell left, baseline; page pixels) in ``style`` with
    :func:`print_mrz_glyph`, turned by ``angle`` degrees about ``pivot``; in place. Returns the box of the
    pixels inked, ``None`` when none."""
    if not glyphs:
        return None
    pitch = mm_to_px(style.mrz_pitch_mm, style.dpi)
    char_h = style.mrz_char_height_px()
    corners: list[tuple[float, float]] = []
    for _, left, base in glyphs:
        top, bottom = base - char_h, base + 0.3 * char_h
        corners += [(left, top), (left + pitch, top), (left + pitch, bottom), (left, bottom)]
    if angle:
        corners += _rotate_points(corners, pivot, angle)
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    pad = 0.5 * pitch + 0.3 * char_h
    x0, y0, x1, y1 = _clip_box(min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad, image.shape)
    if x1 <= x0 or y1 <= y0:
        return None
    layer = Image.new("RGB", (x1 - x0, y1 - y0))
    draw = ImageDraw.Draw(layer)
    white = dataclasses.replace(style, mrz_ink=(255, 255, 255))
    for ch, left, base in glyphs:
        print_mrz_glyph(draw, ch, left - x0, base - y0, white)
    cover = _f32(np.asarray(layer)[..., 0]) * np.float32(1 / 255)
    if angle:
        m = cv2.getRotationMatrix2D((pivot[0] - x0 - 0.5, pivot[1] - y0 - 0.5), angle, 1.0)
        cover = _f32(cv2.warpAffine(cover, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=0.0))
    cover = np.clip(cover, 0.0, 1.0)
    _blend(image, (x0, y0, x1, y1), cover, tuple(float(v) for v in style.mrz_ink))
    return _nonzero_box(cover, x0, y0)


def _text_layer(text: str, font: Any, tracking: float) -> tuple[Float32Image, float, float]:
    """``text`` rendered as coverage (0–1, ``(h, w)`` float32) and the position of its origin (left end of
    the baseline) in that array; ``tracking`` pixels are added after each character."""
    ascent, descent = font.getmetrics()
    width = sum(font.getlength(c) for c in text) + tracking * max(0, len(text) - 1)
    pad = 4 + 0.2 * (ascent + descent)
    w = math.ceil(max(width, font.getlength(text)) + 2 * pad)
    h = math.ceil(ascent + descent + 2 * pad)
    layer = Image.new("L", (w, h))
    draw = ImageDraw.Draw(layer)
    ox, oy = pad, pad + ascent
    if tracking == 0:
        draw.text((ox, oy), text, font=font, fill=255, anchor="ls")
    else:
        x = ox
        for c in text:
            draw.text((x, oy), c, font=font, fill=255, anchor="ls")
            x += font.getlength(c) + tracking
    return _f32(np.asarray(layer)) * np.float32(1 / 255), ox, oy


def _stamp_text(
    image: Image8,
    text: str,
    font: Any,
    origin: tuple[float, float],
    ink: tuple[int, int, int],
    *,
    tracking: float = 0.0,
    angle: float = 0.0,
) -> tuple[Box | None, Quad]:
    """Print ``text`` with its origin (left end of the baseline) at ``origin`` (page pixels), turned by
    ``angle`` degrees about the origin; in place. Returns the inked box and the quad around the ink."""
    cover, ox, oy = _text_layer(text, font, tracking)
    h, w = cover.shape
    # integer placement of the layer, the fraction carried by a sub-pixel shift
    left, top = origin[0] - ox, origin[1] - oy
    ix, iy = math.floor(left), math.floor(top)
    fx, fy = left - ix, top - iy
    m = cv2.getRotationMatrix2D((ox - 0.5, oy - 0.5), angle, 1.0)
    m[0, 2] += fx
    m[1, 2] += fy
    cover = np.clip(_f32(cv2.warpAffine(cover, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0.0)), 0.0, 1.0)
    H, W = image.shape[:2]
    bx0, by0, bx1, by1 = max(0, ix), max(0, iy), min(W, ix + w), min(H, iy + h)
    if bx1 <= bx0 or by1 <= by0:
        return None, rect_quad(origin[0], origin[1], origin[0], origin[1])
    cover = cover[by0 - iy : by1 - iy, bx0 - ix : bx1 - ix]
    _blend(image, (bx0, by0, bx1, by1), cover, tuple(float(v) for v in ink))
    box = _nonzero_box(cover, bx0, by0)
    ys, xs = np.nonzero(cover > 0.25)
    if len(xs) == 0:
        return box, rect_quad(origin[0], origin[1], origin[0], origin[1])
    return box, rect_quad(
        float(bx0 + xs.min()), float(by0 + ys.min()), float(bx0 + xs.max() + 1), float(by0 + ys.max() + 1)
    )


# --- MRZ text ----------------------------------------------------------------------------------------


def _layout(truth: GroundTruth) -> Layout:
    return LAYOUTS[MRZFormat(truth.format)]


def _reference(truth: GroundTruth) -> dt.date:
    return dt.date.fromisoformat(truth.reference_date)


def _cells(truth: GroundTruth) -> dict[Cell, MRZChar]:
    return {(c.line, c.column): c for c in truth.mrz_chars}


def _cell_geometry(c: MRZChar) -> tuple[float, float, float, float]:
    """Cell left, top, right, baseline of an MRZ character (page pixels)."""
    x0, y0, x1, y1 = _quad_bounds(c.quad)
    return x0, y0, x1, y1


def _cell_box(c: MRZChar, style: PrintStyle, shape: tuple[int, ...]) -> Box:
    """The box to scrape to remove a character: its cell, with room for anti-aliasing and overshoot."""
    left, top, right, base = _cell_geometry(c)
    v = 1.0 + 0.06 * style.mrz_char_height_px()
    return _clip_box(left, top - v, right, base + v, shape)


def _with_char(lines: Sequence[str], cell: Cell, ch: str) -> list[str]:
    out = list(lines)
    li, col = cell
    out[li] = out[li][:col] + ch + out[li][col + 1 :]
    return out


def _failing_checks(layout: Layout, lines: Sequence[str]) -> list[str]:
    """Names of the check digits (the effective ones, long numbers included) printed wrong in ``lines``."""
    parsed = parse(layout, tuple(lines))
    bad = []
    for chk in parsed.checks:
        printed = lines[chk.line][chk.column]
        data = "".join(lines[s.line][s.start : s.end] for s in chk.covers)
        if printed == FILLER and chk.filler_allowed and set(data) <= {FILLER}:
            continue
        if printed != str(checkdigit.compute_lenient(data)):
            bad.append(chk.name)
    return bad


def _recompute(layout: Layout, lines: Sequence[str], changed: set[Cell]) -> tuple[list[str], set[Cell]]:
    """``lines`` with every check digit covering a ``changed`` cell recomputed (field checks before the
    composite, which covers them); returns the lines and the cells changed, check digits included."""
    out = list(lines)
    changed = set(changed)
    for chk in parse(layout, tuple(out)).checks:
        covered = {(s.line, col) for s in chk.covers for col in range(s.start, s.end)}
        if not covered & changed or out[chk.line][chk.column] == FILLER:
            continue
        digit = str(checkdigit.compute("".join(out[s.line][s.start : s.end] for s in chk.covers)))
        if digit != out[chk.line][chk.column]:
            out = _with_char(out, (chk.line, chk.column), digit)
            changed.add((chk.line, chk.column))
    return out, changed


def _mrz_truth(truth: GroundTruth, lines: Sequence[str], quads: dict[Cell, Quad] | None = None) -> GroundTruth:
    """``truth`` with ``lines`` as printed and the cells of ``quads`` moved."""
    quads = quads or {}
    chars = tuple(
        dataclasses.replace(c, char=lines[c.line][c.column], quad=quads.get((c.line, c.column), c.quad))
        for c in truth.mrz_chars
    )
    return dataclasses.replace(truth, mrz_lines=tuple(lines), mrz_chars=chars)


def _other(rng: np.random.Generator, ch: str) -> str:
    """Another character of the same class (digit for a digit, letter for a letter)."""
    pool = sorted((DIGITS if ch in DIGITS else LETTERS) - {ch})
    return str(_pick(rng, pool))


def _date_bounds(kind: str, reference: dt.date) -> tuple[dt.date, dt.date]:
    """Plausible dates of ``kind`` (``birth``/``expiry``) for a document valid on ``reference``."""
    if kind == "birth":
        return dt.date(reference.year - 98, 1, 1), reference - dt.timedelta(days=1)
    return reference + dt.timedelta(days=1), dt.date(reference.year + 10, reference.month, min(reference.day, 28))


def _other_date(rng: np.random.Generator, d: dt.date, lo: dt.date, hi: dt.date) -> dt.date:
    """A date in ``[lo, hi]`` other than ``d``, often a near miss (another year, month or day)."""
    for _ in range(100):
        mode = int(rng.integers(0, 4))
        try:
            if mode == 0:
                c = d.replace(year=d.year + round(_signed(rng, 1, 10)))
            elif mode == 1:
                c = d.replace(month=int(rng.integers(1, 13)))
            elif mode == 2:
                c = d.replace(day=int(rng.integers(1, 29)))
            else:
                c = d + dt.timedelta(days=int(rng.integers(-3000, 3001)))
        except ValueError:
            continue
        if lo <= c <= hi and c != d:
            return c
    c = lo + dt.timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))
    return c if c != d else (c + dt.timedelta(days=1) if c < hi else c - dt.timedelta(days=1))


def _alter_letters(rng: np.random.Generator, text: str, n: int) -> str:
    """``text`` with ``n`` letters of one word (``<`` or space separate words) replaced by others."""
    words: list[list[int]] = []
    cur: list[int] = []
    for i, ch in enumerate(text):
        if ch in LETTERS:
            cur.append(i)
        elif cur:
            words.append(cur)
            cur = []
    if cur:
        words.append(cur)
    if not words:
        return text
    word = words[int(rng.integers(0, len(words)))]
    picks = rng.choice(word, size=min(n, len(word)), replace=False)
    out = list(text)
    for i in picks:
        out[int(i)] = _other(rng, out[int(i)])
    return "".join(out)


def _alter_alnum(rng: np.random.Generator, text: str, n: int) -> str:
    """``text`` with ``n`` of its letters or digits replaced by another of the same class."""
    spots = [i for i, ch in enumerate(text) if ch in DIGITS or ch in LETTERS]
    if not spots:
        return text
    out = list(text)
    for i in rng.choice(spots, size=min(n, len(spots)), replace=False):
        out[int(i)] = _other(rng, out[int(i)])
    return "".join(out)


def _reprint_cells(
    doc: RenderedDocument,
    image: Image8,
    changes: dict[Cell, str],
    rng: np.random.Generator,
    *,
    erase: str,
    ink: tuple[int, int, int],
) -> list[Box]:
    """Scrape each changed MRZ cell and reprint its new character in the document's style (a little
    position jitter, ``ink``); in place. Returns one box per cell covering everything changed."""
    style = dataclasses.replace(doc.style, mrz_ink=ink)
    cells = _cells(doc.truth)
    jitter = mm_to_px(style.jitter_mm, style.dpi)
    boxes = []
    for cell in sorted(changes):
        c = cells[cell]
        box = _cell_box(c, style, image.shape)
        _erase(image, doc, box, erase, rng)
        left, _, _, base = _cell_geometry(c)
        dx, dy = (float(v) for v in np.clip(rng.normal(0.0, jitter, 2), -2.5 * jitter, 2.5 * jitter))
        inked = _print_glyphs(image, [(changes[cell], left + dx, base + dy)], style)
        boxes.append(_union(box, inked))
    return boxes


# --- MRZ data forgeries ----------------------------------------------------------------------------


def _data_positions(layout: Layout, lines: Sequence[str], name: str) -> list[Cell]:
    """Cells of field ``name`` holding a letter or digit (never the filler)."""
    if not layout.has_field(name):
        return []
    f = layout.field(name)
    return [(f.line, col) for col in range(f.start, f.end) if lines[f.line][col] != FILLER]


@register_forgery("mrz.broken_check_digit")
def broken_check_digit(doc: RenderedDocument, rng: np.random.Generator) -> ForgeryResult:
    """One or two characters of the document number, birth or expiry date changed in the MRZ (dates stay
    calendar dates when a digit allows it) and reprinted in OCR-B; the check digits no longer fit."""
    truth = doc.truth
    layout = _layout(truth)
    ref = _reference(truth)
    lines = list(truth.mrz_lines)
    names = [n for n in ("document_number", "birth_date", "expiry_date") if _data_positions(layout, lines, n)]
    new = lines
    name, picked = names[0], [_data_positions(layout, lines, names[0])[0]]
    for _ in range(50):
        name = str(_pick(rng, names))
        spots = _data_positions(layout, lines, name)
        n = 2 if rng.random() < 0.2 and len(spots) > 1 else 1
        start = int(rng.integers(0, len(spots) - n + 1))
        picked = spots[start : start + n]
        new = _replace_cells(rng, layout, lines, picked, name=name, ref=ref)
        if _failing_checks(layout, new):
            break
    changes = {cell: new[cell[0]][cell[1]] for cell in picked if new[cell[0]][cell[1]] != lines[cell[0]][cell[1]]}
    image = doc.image.copy()
    erase = _erase_mode(rng)
    ink, shift = _ink_shift(rng, doc.style.mrz_ink, 0.4, 14)
    boxes = _reprint_cells(doc, image, changes, rng, erase=erase, ink=ink)
    f = layout.field(name)
    record = ForgeryRecord(
        "mrz.broken_check_digit",
        params(
            field=name,
            line=f.line,
            columns=",".join(str(c) for _, c in sorted(changes)),
            old=f.read(lines),
            new=f.read(new),
            failing=",".join(_failing_checks(layout, new)),
            erase=erase,
            ink_shift=shift,
        ),
        tuple(_box_quad(b) for b in boxes),
    )
    return ForgeryResult(image, record, _mrz_truth(truth, new))


def _replace_cells(
    rng: np.random.Generator, layout: Layout, lines: Sequence[str], cells: Sequence[Cell], *, name: str, ref: dt.date
) -> list[str]:
    """``lines`` with every one of ``cells`` (in field ``name``) changed to another character of its class;
    in a date, to digits that keep a plausible calendar date when some do."""
    olds = [lines[li][col] for li, col in cells]
    if name in ("birth_date", "expiry_date"):
        f = layout.field(name)
        kind = "birth" if name == "birth_date" else "expiry"
        lo, hi = _date_bounds(kind, ref)
        good = []
        for digits in itertools.product(*(sorted(DIGITS - {c}) for c in olds)):
            trial = list(lines)
            for cell, d in zip(cells, digits, strict=True):
                trial = _with_char(trial, cell, d)
            when = resolve_date(f.read(trial), ref, kind=kind)
            if when is not None and lo <= when <= hi:
                good.append(trial)
        if good:
            return list(good[int(rng.integers(0, len(good)))])
    out = list(lines)
    for cell, c in zip(cells, olds, strict=True):
        out = _with_char(out, cell, _other(rng, c))
    return out


@register_forgery("mrz.recomputed")
def recomputed(doc: RenderedDocument, rng: np.random.Generator) -> ForgeryResult:
    """Birth date, expiry date, document number or a name changed in the MRZ with every affected check
    digit and the composite recomputed (a valid MRZ that disagrees with the VIZ)."""
    truth = doc.truth
    layout = _layout(truth)
    ref = _reference(truth)
    lines = list(truth.mrz_lines)
    names = [n for n in ("birth_date", "expiry_date", "document_number", "name") if _data_positions(layout, lines, n)]
    k = 2 if rng.random() < 0.25 else 1
    chosen = sorted(str(n) for n in rng.choice(names, size=k, replace=False))
    new = list(lines)
    extra: dict[str, ParamValue] = {}
    for name in chosen:
        f = layout.field(name)
        old = f.read(new)
        if name in ("birth_date", "expiry_date"):
            kind = "birth" if name == "birth_date" else "expiry"
            lo, hi = _date_bounds(kind, ref)
            when = resolve_date(old, ref, kind=kind) or lo
            value = _other_date(rng, when, lo, hi).strftime("%y%m%d")
        elif name == "document_number":
            value = _alter_alnum(rng, old, int(rng.integers(1, 4)))
        else:
            value = _alter_letters(rng, old, int(rng.integers(1, 4)))
        for col, ch in enumerate(value):
            new = _with_char(new, (f.line, f.start + col), ch)
        extra[f"{name}_old"], extra[f"{name}_new"] = old, value
    changed = {(li, col) for li, line in enumerate(new) for col, ch in enumerate(line) if ch != lines[li][col]}
    new, changed = _recompute(layout, new, changed)
    changes = {cell: new[cell[0]][cell[1]] for cell in changed}
    image = doc.image.copy()
    erase = _erase_mode(rng)
    ink, shift = _ink_shift(rng, doc.style.mrz_ink, 0.4, 14)
    boxes = _reprint_cells(doc, image, changes, rng, erase=erase, ink=ink)
    record = ForgeryRecord(
        "mrz.recomputed",
        params(fields=",".join(chosen), cells=len(changes), erase=erase, ink_shift=shift, **extra),
        tuple(_box_quad(b) for b in boxes),
    )
    return ForgeryResult(image, record, _mrz_truth(truth, new))


# --- MRZ print forgeries ---------------------------------------------------------------------------


def _wrong_font(rng: np.random.Generator) -> str:
    fonts = _installed(MRZ_WRONG_FONTS) or _installed(MRZ_FALLBACK_FONTS)
    if not fonts:
        raise DependencyError(
            "no font other than OCR-B is installed for the mrz.wrong_font forgery; install fonts-dejavu-core"
        )
    return str(_pick(rng, fonts))


@register_forgery("mrz.wrong_font")
def wrong_font(doc: RenderedDocument, rng: np.random.Generator) -> ForgeryResult:
    """The whole MRZ, or one line, scraped and retyped cell by cell at the ICAO pitch in a non-OCR-B font
    (cap height within ±7 % of the original)."""
    truth = doc.truth
    n_lines = len(truth.mrz_lines)
    which = list(range(n_lines)) if rng.random() < 0.55 else [int(rng.integers(0, n_lines))]
    font = _wrong_font(rng)
    cap_scale = float(rng.uniform(0.93, 1.07))
    ink, shift = _ink_shift(rng, doc.style.mrz_ink, 0.5, 16)
    style = dataclasses.replace(
        doc.style, mrz_font=font, mrz_cap_height_mm=doc.style.mrz_cap_height_mm * cap_scale, mrz_ink=ink
    )
    erase = _erase_mode(rng)
    jitter = mm_to_px(doc.style.jitter_mm, doc.style.dpi)
    image = doc.image.copy()
    boxes = []
    for li in which:
        chars = [c for c in truth.mrz_chars if c.line == li]
        band = _union(*(_cell_box(c, doc.style, image.shape) for c in chars))
        _erase(image, doc, band, erase, rng)
        glyphs = []
        for c in chars:
            left, _, _, base = _cell_geometry(c)
            dx, dy = (float(v) for v in np.clip(rng.normal(0.0, jitter, 2), -2.5 * jitter, 2.5 * jitter))
            glyphs.append((c.char, left + dx, base + dy))
        boxes.append(_union(band, _print_glyphs(image, glyphs, style)))
    record = ForgeryRecord(
        "mrz.wrong_font",
        params(
            font=Path(font).name,
            lines="all" if len(which) == n_lines else str(which[0] + 1),
            cap_scale=cap_scale,
            erase=erase,
            ink_shift=shift,
        ),
        tuple(_box_quad(b) for b in boxes),
    )
    return ForgeryResult(image, record)


@register_forgery("mrz.pitch_anomaly")
def pitch_anomaly(doc: RenderedDocument, rng: np.random.Generator) -> ForgeryResult:
    """A run of 3–12 characters of one MRZ line reprinted with another pitch (±4–15 %), a baseline shift
    (±0.1–0.4 mm) and/or a slight rotation (±0.5–3°); at least one of the three."""
    truth = doc.truth
    style = doc.style
    dpi = style.dpi
    li = int(rng.integers(0, len(truth.mrz_lines)))
    chars = [c for c in truth.mrz_chars if c.line == li]
    modes = [m for m in ("pitch", "baseline", "rotation") if rng.random() < 0.5] or [
        str(_pick(rng, ("pitch", "baseline", "rotation")))
    ]
    scale = 1.0 + (_signed(rng, 0.04, 0.15) if "pitch" in modes else 0.0)
    longest = 12
    if scale > 1.0:  # a wider run must not run into its neighbours by more than 0.3 pitch a side
        longest = max(3, min(12, int(0.6 / (scale - 1.0)) + 1))
    length = int(rng.integers(3, min(longest, len(chars)) + 1))
    start = int(rng.integers(0, len(chars) - length + 1))
    run = chars[start : start + length]
    shift = mm_to_px(_signed(rng, 0.1, 0.4), dpi) if "baseline" in modes else 0.0
    angle = _signed(rng, 0.5, 3.0) if "rotation" in modes else 0.0
    pitch = mm_to_px(style.mrz_pitch_mm, dpi)
    x0, _, _, _ = _cell_geometry(run[0])
    _, _, x1, _ = _cell_geometry(run[-1])
    centre = (x0 + x1) / 2
    bases = [_cell_geometry(c)[3] for c in run]
    pivot = (centre, sum(bases) / len(bases) + shift - style.mrz_char_height_px() / 2)
    image = doc.image.copy()
    erase = _erase_mode(rng)
    band = _union(*(_cell_box(c, style, image.shape) for c in run))
    _erase(image, doc, band, erase, rng)
    glyphs = []
    quads: dict[Cell, Quad] = {}
    for c in run:
        left, top, right, base = _cell_geometry(c)
        new_left = centre + (left + pitch / 2 - centre) * scale - pitch / 2
        glyphs.append((c.char, new_left, base + shift))
        corners = [(new_left, top + shift), (new_left + right - left, top + shift)]
        corners += [(new_left + right - left, base + shift), (new_left, base + shift)]
        r = _rotate_points(corners, pivot, angle) if angle else corners
        quads[(c.line, c.column)] = (r[0], r[1], r[2], r[3])
    inked = _print_glyphs(image, glyphs, style, angle=angle, pivot=pivot)
    record = ForgeryRecord(
        "mrz.pitch_anomaly",
        params(
            line=li,
            start=start,
            length=length,
            modes=",".join(modes),
            pitch_scale=scale,
            baseline_mm=shift * 25.4 / dpi,
            angle=angle,
            erase=erase,
        ),
        (_box_quad(_union(band, inked)),),
    )
    return ForgeryResult(image, record, _mrz_truth(truth, truth.mrz_lines, quads))


# --- visual zone -----------------------------------------------------------------------------------


def _viz_value(rng: np.random.Generator, f: VizField, ref: dt.date) -> str:
    """Another plausible value for VIZ field ``f``."""
    if f.name in ("birth_date", "expiry_date"):
        kind = "birth" if f.name == "birth_date" else "expiry"
        lo, hi = _date_bounds(kind, ref)
        old = _parse_viz_date(f.value, ref, kind) or lo
        return viz_date(_other_date(rng, old, lo, hi).strftime("%y%m%d"), birth=kind == "birth", reference=ref)
    if f.name == "document_number":
        return _alter_alnum(rng, f.value, int(rng.integers(1, 4)))
    if rng.random() < 0.25:
        words = f.value.split()
        i = int(rng.integers(0, len(words)))
        new_word = "".join(str(_pick(rng, _SYLLABLES)) for _ in range(int(rng.integers(1, 4))))
        if new_word != words[i]:
            words[i] = new_word
            return " ".join(words)
    return _alter_letters(rng, f.value, int(rng.integers(1, 3)))


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _parse_viz_date(text: str, ref: dt.date, kind: str) -> dt.date | None:
    """The date of a VIZ date as :func:`viz_date` prints it (``12 AUG 1974``), ``None`` if it is not."""
    parts = text.split()
    if len(parts) != 3 or parts[1] not in _MONTHS or not (parts[0].isdigit() and parts[2].isdigit()):
        return None
    try:
        return dt.date(int(parts[2]), _MONTHS.index(parts[1]) + 1, int(parts[0]))
    except ValueError:
        return None


def _viz_font(rng: np.random.Generator, cap_px: float) -> tuple[Any, str, float, float]:
    """A near-miss font for a VIZ value whose capitals are ``cap_px`` high: the font, its file name, the
    size relative to a matched cap height, and extra tracking in em."""
    fonts = _installed(VIZ_NEAR_MISS_FONTS)
    scale = float(rng.uniform(0.88, 1.12))
    tracking = float(rng.uniform(-0.03, 0.08)) if rng.random() < 0.5 else 0.0
    if not fonts:
        size = max(6.0, cap_px * scale / 0.73)
        return ImageFont.load_default(size), "default", scale, tracking
    path = str(_pick(rng, fonts))
    if Path(path).name == GENUINE_VIZ_FONT and abs(scale - 1.0) < 0.05 and abs(tracking) < 0.03:
        tracking = float(rng.uniform(0.04, 0.09))  # the same face: the spacing gives it away
    probe = _truetype(path, 100.0)
    cap = -float(probe.getbbox("H", anchor="ls")[1]) / 100.0
    size = round(max(6.0, cap_px * scale / max(cap, 0.3)), 1)
    return _truetype(path, size), Path(path).name, scale, tracking


def _viz_metrics(f: VizField) -> tuple[float, float]:
    """Cap height and baseline (page pixels) of a genuine VIZ value, from its ink box and the genuine
    font's metrics (descenders such as DejaVu's ``J`` reach below the baseline)."""
    _, y0, _, y1 = _quad_bounds(f.value_quad)
    fonts = _installed(("dejavu/" + GENUINE_VIZ_FONT,))
    if not fonts or not f.value.strip():
        return y1 - y0, y1
    probe = _truetype(fonts[0], 100.0)
    _, top, _, bottom = probe.getbbox(f.value, anchor="ls")
    cap = -float(probe.getbbox("H", anchor="ls")[1])
    px = (y1 - y0) / max(1.0, float(bottom - top))  # pixels per unit of the 100 px probe
    return cap * px, y1 - float(bottom) * px


def _free_box(target: Box, inner: Box, others: Sequence[Box]) -> Box:
    """``target`` (which holds ``inner``) shrunk so that it overlaps none of ``others``."""
    x0, y0, x1, y1 = target
    for o in others:
        if not _overlaps((x0, y0, x1, y1), o) or _overlaps(o, inner):
            continue
        if o[3] <= inner[1]:
            y0 = max(y0, o[3])
        elif o[1] >= inner[3]:
            y1 = min(y1, o[1])
        elif o[2] <= inner[0]:
            x0 = max(x0, o[2])
        else:
            x1 = min(x1, o[0])
    return x0, y0, x1, y1


@register_forgery("viz.altered")
def viz_altered(doc: RenderedDocument, rng: np.random.Generator) -> ForgeryResult:
    """A VIZ value painted over and retyped with another value in a near-miss font (another sans face,
    size, weight or spacing), slightly off the original baseline and start; the MRZ is unchanged."""
    truth = doc.truth
    dpi = truth.dpi
    ref = _reference(truth)
    candidates = [f for f in truth.viz_fields if f.name in VIZ_FIELDS and f.value]
    f = candidates[int(rng.integers(0, len(candidates)))]
    value = _viz_value(rng, f, ref)
    for _ in range(10):
        if value != f.value:
            break
        value = _viz_value(rng, f, ref)
    image = doc.image.copy()
    vx0, vy0, vx1, vy1 = _quad_bounds(f.value_quad)
    inner = _clip_box(vx0, vy0, vx1, vy1, image.shape)
    pads = [mm_to_px(float(rng.uniform(0.1, 0.45)), dpi) for _ in range(4)]
    target = _clip_box(vx0 - pads[0], vy0 - pads[1], vx1 + pads[2], vy1 + pads[3], image.shape)
    others = [
        _quad_box(q, 1.0, image.shape) for g in truth.viz_fields if g is not f for q in (g.label_quad, g.value_quad)
    ]
    others += [_quad_box(f.label_quad, 1.0, image.shape)]
    others += [_quad_box(q, 1.0, image.shape) for q in (truth.portrait_quad, truth.mrz_quad)]
    erase_box = _free_box(target, inner, others)
    erase = _erase_mode(rng)
    _erase(image, doc, erase_box, erase, rng)
    cap_px, baseline = _viz_metrics(f)
    font, font_name, scale, tracking_em = _viz_font(rng, cap_px)
    size = float(getattr(font, "size", vy1 - vy0))
    tracking = tracking_em * size
    width = sum(font.getlength(c) for c in value) + tracking * max(0, len(value) - 1)
    room = (vx1 - vx0) * 1.15 + mm_to_px(2.0, dpi)
    if width > room and isinstance(font, ImageFont.FreeTypeFont):  # keep it in its column
        font = _truetype(str(font.path), round(max(6.0, size * room / width), 1))
        tracking *= room / width
    dx = float(rng.uniform(-0.4, 0.4))
    dy = _signed(rng, 0.05, 0.35)
    angle = _signed(rng, 0.2, 1.2) if rng.random() < 0.3 else 0.0
    ink, shift = _ink_shift(rng, doc.style.text_ink, 0.6, 25)
    inked, quad = _stamp_text(
        image,
        value,
        font,
        (vx0 + mm_to_px(dx, dpi), baseline + mm_to_px(dy, dpi)),
        ink,
        tracking=tracking,
        angle=angle,
    )
    fields = tuple(dataclasses.replace(g, value=value, value_quad=quad) if g is f else g for g in truth.viz_fields)
    record = ForgeryRecord(
        "viz.altered",
        params(
            field=f.name,
            old=f.value,
            new=value,
            font=font_name,
            size_scale=scale,
            tracking_em=tracking_em,
            dx_mm=dx,
            dy_mm=dy,
            angle=angle,
            erase=erase,
            ink_shift=shift,
        ),
        (_box_quad(_union(erase_box, inked)),),
    )
    return ForgeryResult(image, record, dataclasses.replace(truth, viz_fields=fields))


# --- portrait --------------------------------------------------------------------------------------


def _jpeg(img: Image8, quality: int) -> Image8:
    bgr = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - only on an OpenCV build without codecs
        raise RuntimeError("OpenCV could not encode JPEG")
    return np.asarray(cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB), np.uint8)


@register_forgery("portrait.substituted")
def portrait_substituted(doc: RenderedDocument, rng: np.random.Generator) -> ForgeryResult:
    """Another (drawn) portrait pasted over the photo: hard or feathered edge, and one or more of a seam
    line, a drop shadow, blur or over-sharpening, a colour/brightness change, film grain, JPEG blocks;
    often slightly misplaced, scaled or rotated."""
    truth = doc.truth
    dpi = truth.dpi
    k = dpi / 300
    image = doc.image.copy()
    px0, py0, px1, py1 = _quad_bounds(truth.portrait_quad)
    size_scale = float(rng.uniform(0.96, 1.06))
    nw, nh = max(8, round((px1 - px0) * size_scale)), max(8, round((py1 - py0) * size_scale))
    misplaced = rng.random() < 0.6
    dx = mm_to_px(float(rng.uniform(-0.8, 0.8)), dpi) if misplaced else 0.0
    dy = mm_to_px(float(rng.uniform(-0.8, 0.8)), dpi) if misplaced else 0.0
    angle = _signed(rng, 0.3, 2.5) if rng.random() < 0.4 else 0.0
    patch = draw_portrait(nw, nh, rng).astype(np.float32)
    effects = [e for e in ("seam", "shadow", "sharpness", "colour", "grain", "jpeg") if rng.random() < 0.4]
    if not effects:
        effects = [str(_pick(rng, ("sharpness", "colour", "jpeg", "seam")))]
    p: dict[str, ParamValue] = {}
    if "colour" in effects:
        gains = rng.uniform(0.85, 1.15, 3) * float(rng.uniform(0.9, 1.1))
        offset, gamma = float(rng.uniform(-18, 18)), float(rng.uniform(0.8, 1.25))
        patch = 255.0 * (patch / 255.0) ** gamma * gains[None, None, :].astype(np.float32) + offset
        p |= {"gain_r": float(gains[0]), "gain_g": float(gains[1]), "gain_b": float(gains[2])}
        p |= {"offset": offset, "gamma": gamma}
    if "sharpness" in effects:
        if rng.random() < 0.55:
            sigma = float(rng.uniform(0.8, 2.2)) * k
            patch = _f32(cv2.GaussianBlur(patch, (0, 0), sigma))
            p["blur_sigma"] = sigma
        else:
            amount = float(rng.uniform(0.6, 1.8))
            patch = patch + amount * (patch - _f32(cv2.GaussianBlur(patch, (0, 0), 1.2 * k)))
            p["sharpen_amount"] = amount
    if "grain" in effects:
        grain = float(rng.uniform(2.0, 7.0))
        patch = patch + rng.normal(0.0, grain, patch.shape[:2])[..., None].astype(np.float32)
        p["grain_sigma"] = grain
    patch_u8 = _u8(patch)
    if "jpeg" in effects:
        quality = int(rng.integers(12, 51))
        patch_u8 = _jpeg(patch_u8, quality)
        p["jpeg_quality"] = quality
    feathered = rng.random() < 0.5
    feather = float(rng.uniform(1.5, 5.0)) * k if feathered else 0.0
    alpha = _ramp(nh, nw, feather)
    # affine map patch pixels -> page pixels: turn about the patch centre, centre on the (moved) photo
    cx, cy = (px0 + px1) / 2 + dx, (py0 + py1) / 2 + dy
    corners = _rotate_points(
        [(-nw / 2, -nh / 2), (nw / 2, -nh / 2), (nw / 2, nh / 2), (-nw / 2, nh / 2)], (0.0, 0.0), angle
    )
    corners = [(cx + x, cy + y) for x, y in corners]
    shadow_off = (
        (float(rng.uniform(1.0, 3.0)) * k, float(rng.uniform(1.0, 3.0)) * k) if "shadow" in effects else (0.0, 0.0)
    )
    shadow_sigma = float(rng.uniform(1.0, 2.5)) * k
    pad = 4 + abs(shadow_off[0]) + abs(shadow_off[1]) + 4 * shadow_sigma
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    wx0, wy0, wx1, wy1 = _clip_box(min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad, image.shape)
    ww, wh = wx1 - wx0, wy1 - wy0
    m = cv2.getRotationMatrix2D(((nw - 1) / 2, (nh - 1) / 2), angle, 1.0)
    m[0, 2] += cx - 0.5 - (nw - 1) / 2 - wx0
    m[1, 2] += cy - 0.5 - (nh - 1) / 2 - wy0
    warped = _f32(cv2.warpAffine(patch_u8, m, (ww, wh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    a = np.clip(_f32(cv2.warpAffine(alpha, m, (ww, wh), flags=cv2.INTER_LINEAR, borderValue=0.0)), 0.0, 1.0)
    changed = a > 0
    box = (wx0, wy0, wx1, wy1)
    if "shadow" in effects:
        hard = np.clip(_f32(cv2.warpAffine(np.ones((nh, nw), np.float32), m, (ww, wh), borderValue=0.0)), 0.0, 1.0)
        shifted = _f32(cv2.warpAffine(hard, np.array([[1.0, 0.0, shadow_off[0]], [0.0, 1.0, shadow_off[1]]]), (ww, wh)))
        strength = float(rng.uniform(0.15, 0.35))
        shadow = np.clip(_f32(cv2.GaussianBlur(shifted, (0, 0), shadow_sigma)) * strength * (1.0 - a), 0.0, 1.0)
        shadow[shadow < 1e-3] = 0.0
        _blend(image, box, shadow, (0.0, 0.0, 0.0))
        changed |= shadow > 0
        p |= {"shadow_strength": strength}
    _blend(image, box, a, warped)
    if "seam" in effects:
        canvas = np.zeros((wh, ww), np.uint8)
        pts = np.array([[(x - wx0 - 0.5) * 16, (y - wy0 - 0.5) * 16] for x, y in corners], np.int32)
        cv2.polylines(
            canvas, [pts.reshape(-1, 1, 2)], True, 255, max(1, round(k * float(rng.uniform(0.8, 2.0)))), cv2.LINE_AA, 4
        )
        strength = float(rng.uniform(0.3, 0.8))
        seam = _f32(canvas) * np.float32(strength / 255)
        tone = float(rng.uniform(30, 90)) if rng.random() < 0.6 else float(rng.uniform(225, 250))
        _blend(image, box, seam, (tone, tone, tone))
        changed |= seam > 0
        p |= {"seam_strength": strength, "seam_tone": tone}
    region = _nonzero_box(changed.astype(np.float32), wx0, wy0) or box
    record = ForgeryRecord(
        "portrait.substituted",
        params(
            effects=",".join(effects),
            edge="feathered" if feathered else "hard",
            feather_px=feather,
            size_scale=size_scale,
            dx_mm=dx * 25.4 / dpi,
            dy_mm=dy * 25.4 / dpi,
            angle=angle,
            **p,
        ),
        (_box_quad(region),),
    )
    return ForgeryResult(image, record)


# --- copy-move -------------------------------------------------------------------------------------


def _paste(
    image: Image8,
    source: Image8,
    src: Box,
    centre: tuple[float, float],
    *,
    scale: float = 1.0,
    gain: float = 1.0,
    offset: float = 0.0,
    feather: float = 0.0,
) -> Box:
    """Copy ``source[src]`` (scaled, ``* gain + offset``) centred on ``centre``, edges feathered over
    ``feather`` pixels; in place. Returns the box written."""
    x0, y0, x1, y1 = src
    patch = _f32(source[y0:y1, x0:x1])
    if scale != 1.0:
        size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
        patch = _f32(cv2.resize(patch, size, interpolation=cv2.INTER_LINEAR))
    patch = patch * gain + offset
    ph, pw = int(patch.shape[0]), int(patch.shape[1])
    dx0, dy0 = round(centre[0] - pw / 2), round(centre[1] - ph / 2)
    H, W = image.shape[:2]
    bx0, by0, bx1, by1 = max(0, dx0), max(0, dy0), min(W, dx0 + pw), min(H, dy0 + ph)
    patch = patch[by0 - dy0 : by1 - dy0, bx0 - dx0 : bx1 - dx0]
    alpha = _ramp(by1 - by0, bx1 - bx0, feather)
    _blend(image, (bx0, by0, bx1, by1), alpha, patch)
    return bx0, by0, bx1, by1


def _ink_map(doc: RenderedDocument) -> npt.NDArray[np.bool_]:
    """Where anything was printed over the security background (text, portrait), dilated by 2 px."""
    diff = np.abs(doc.image.astype(np.int16) - doc.background.astype(np.int16)).max(axis=2)
    ink = (diff > 12).astype(np.uint8)
    return np.asarray(cv2.dilate(ink, np.ones((5, 5), np.uint8)), bool)


def _viz_glyphs(doc: RenderedDocument, f: VizField) -> list[Box] | None:
    """The ink boxes of the characters of a VIZ value (spaces skipped), found as runs of inked columns;
    ``None`` when the runs do not match the characters one to one (touching glyphs)."""
    x0, y0, x1, y1 = _quad_box(f.value_quad, 0.0, doc.image.shape)
    diff = np.abs(doc.image[y0:y1, x0:x1].astype(np.int16) - doc.background[y0:y1, x0:x1].astype(np.int16))
    cols = (diff.max(axis=2) > 40).any(axis=0)
    runs: list[Box] = []
    start = None
    for i, on in enumerate([*cols.tolist(), False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            runs.append((x0 + start, y0, x0 + i, y1))
            start = None
    return runs if len(runs) == len(f.value.replace(" ", "")) else None


def _copy_mrz_cell(
    doc: RenderedDocument, image: Image8, rng: np.random.Generator
) -> tuple[Box, Box, dict[str, ParamValue], GroundTruth] | None:
    truth = doc.truth
    letters = rng.random() < 0.3
    pool = LETTERS if letters else DIGITS
    layout = _layout(truth)
    cells = [c for c in truth.mrz_chars if c.char in pool]
    targets = [c for c in cells if layout.kind_at(c.line, c.column) not in (FieldKind.CODE, FieldKind.COUNTRY)]
    pairs = [(s, d) for s in cells for d in targets if s.char != d.char]
    if not pairs:
        return None
    same_line = [(s, d) for s, d in pairs if s.line == d.line]
    src, dst = _pick(rng, same_line if same_line and rng.random() < 0.7 else pairs)
    sbox = _cell_box(src, doc.style, image.shape)
    sl, _, _, sb = _cell_geometry(src)
    dl, _, _, db = _cell_geometry(dst)
    scale = float(rng.uniform(1.0, 1.05)) if rng.random() < 0.3 else 1.0
    gain = float(rng.uniform(0.93, 1.07)) if rng.random() < 0.3 else 1.0
    centre = ((sbox[0] + sbox[2]) / 2 + (dl - sl), (sbox[1] + sbox[3]) / 2 + (db - sb))
    out = _paste(image, doc.image, sbox, centre, scale=scale, gain=gain)
    lines = _with_char(truth.mrz_lines, (dst.line, dst.column), src.char)
    extra: dict[str, ParamValue] = {
        "src_line": src.line,
        "src_column": src.column,
        "dst_line": dst.line,
        "dst_column": dst.column,
        "old": dst.char,
        "new": src.char,
        "scale": scale,
        "gain": gain,
    }
    return sbox, out, extra, _mrz_truth(truth, lines)


def _copy_viz_digit(
    doc: RenderedDocument, image: Image8, rng: np.random.Generator
) -> tuple[Box, Box, dict[str, ParamValue], GroundTruth] | None:
    truth = doc.truth
    glyphs: list[tuple[VizField, int, Box]] = []  # field, index in value, ink box
    for f in truth.viz_fields:
        if f.name not in ("birth_date", "expiry_date", "document_number"):
            continue
        runs = _viz_glyphs(doc, f)
        if runs is None:
            continue
        idx = [i for i, ch in enumerate(f.value) if ch != " "]
        glyphs += [(f, i, r) for i, r in zip(idx, runs, strict=True) if f.value[i] in DIGITS]
    pairs = [
        (s, d)
        for s in glyphs
        for d in glyphs
        if s[0].value[s[1]] != d[0].value[d[1]] and abs((s[2][3] - s[2][1]) - (d[2][3] - d[2][1])) <= 1
    ]
    if not pairs:
        return None
    same = [(s, d) for s, d in pairs if s[0] is d[0]]
    (sf, si, sb), (df, di, db) = _pick(rng, same if same and rng.random() < 0.6 else pairs)
    width = max(sb[2] - sb[0], db[2] - db[0]) + 2
    scx, dcx = (sb[0] + sb[2]) / 2, (db[0] + db[2]) / 2
    sx0 = round(scx - width / 2)
    src = _clip_box(sx0, sb[1] - 2, sx0 + width, sb[3] + 2, image.shape)
    gain = float(rng.uniform(0.93, 1.07)) if rng.random() < 0.3 else 1.0
    centre = ((src[0] + src[2]) / 2 + dcx - scx, (src[1] + src[3]) / 2 + (db[3] - sb[3]))
    out = _paste(image, doc.image, src, centre, gain=gain)
    new_value = df.value[:di] + sf.value[si] + df.value[di + 1 :]
    fields = tuple(dataclasses.replace(g, value=new_value) if g is df else g for g in truth.viz_fields)
    extra: dict[str, ParamValue] = {
        "src_field": sf.name,
        "dst_field": df.name,
        "old": df.value,
        "new": new_value,
        "scale": 1.0,
        "gain": gain,
    }
    return src, out, extra, dataclasses.replace(truth, viz_fields=fields)


def _copy_background(
    doc: RenderedDocument, image: Image8, rng: np.random.Generator
) -> tuple[Box, Box, dict[str, ParamValue], GroundTruth] | None:
    dpi = doc.truth.dpi
    H, W = image.shape[:2]
    ink = _ink_map(doc)
    integral = np.pad(ink.astype(np.int32).cumsum(0).cumsum(1), ((1, 0), (1, 0)))

    def free(b: Box) -> bool:
        x0, y0, x1, y1 = b
        return int(integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]) == 0

    for attempt in range(80):
        side = mm_to_px(float(rng.uniform(1.5, 6.0)) * (0.97**attempt), dpi)
        bw, bh = max(4, round(side * float(rng.uniform(0.7, 1.4)))), max(4, round(side))
        if bw >= W or bh >= H:
            continue
        sx, sy = int(rng.integers(0, W - bw)), int(rng.integers(0, H - bh))
        tx, ty = int(rng.integers(0, W - bw)), int(rng.integers(0, H - bh))
        src, dst = (sx, sy, sx + bw, sy + bh), (tx, ty, tx + bw, ty + bh)
        if abs(sx - tx) < bw and abs(sy - ty) < bh:
            continue
        if free(src) and free(dst) and doc.mask[ty : ty + bh, tx : tx + bw].min() == 255:
            scale = float(rng.uniform(0.92, 1.08)) if rng.random() < 0.4 else 1.0
            gain = float(rng.uniform(0.94, 1.06)) if rng.random() < 0.4 else 1.0
            offset = float(rng.uniform(-6, 6)) if rng.random() < 0.3 else 0.0
            feather = float(rng.uniform(1.0, 3.0)) if rng.random() < 0.4 else 0.0
            out = _paste(
                image,
                doc.image,
                src,
                (tx + bw / 2, ty + bh / 2),
                scale=scale,
                gain=gain,
                offset=offset,
                feather=feather,
            )
            extra: dict[str, ParamValue] = {"scale": scale, "gain": gain, "offset": offset, "feather": feather}
            return src, out, extra, doc.truth
    return None


@register_forgery("copy_move")
def copy_move(doc: RenderedDocument, rng: np.random.Generator) -> ForgeryResult:
    """A patch copied to another place on the page (optionally scaled, brightness-adjusted, feathered):
    an MRZ character cell over another (``mrz_cell``), a VIZ digit over another (``viz_digit``; both
    change the printed data), or a piece of security background over another (``background``)."""
    variants: dict[str, Callable[..., Any]] = {
        "mrz_cell": _copy_mrz_cell,
        "viz_digit": _copy_viz_digit,
        "background": _copy_background,
    }
    first = str(rng.choice(list(variants), p=[0.4, 0.3, 0.3]))
    image = doc.image.copy()
    for variant in [first, *(v for v in variants if v != first)]:
        result = variants[variant](doc, image, rng)
        if result is not None:
            src, dst, extra, truth = result
            record = ForgeryRecord(
                "copy_move",
                params(
                    variant=variant,
                    src_x=(src[0] + src[2]) / 2,
                    src_y=(src[1] + src[3]) / 2,
                    dst_x=(dst[0] + dst[2]) / 2,
                    dst_y=(dst[1] + dst[3]) / 2,
                    **extra,
                ),
                (_box_quad(dst),),
            )
            return ForgeryResult(image, record, truth)
    raise ValueError("copy_move found nothing to copy")  # pragma: no cover - the MRZ always has digits


# --- reprint ---------------------------------------------------------------------------------------


@register_forgery("reprint")
def reprint(doc: RenderedDocument, rng: np.random.Generator) -> ForgeryResult:
    """The whole page reprinted on a colour printer: fine lines blurred, a CMY AM halftone screen (period
    0.17–0.42 mm, random angle, partly blended), desaturation, per-channel colour shift and gamma, and
    optionally another paper tone, a second light blur and noise."""
    dpi = doc.truth.dpi
    img = _f32(doc.image)
    h, w = img.shape[:2]
    blur_mm = float(rng.uniform(0.03, 0.12))
    img = _f32(cv2.GaussianBlur(img, (0, 0), mm_to_px(blur_mm, dpi)))
    period_mm = float(rng.uniform(0.17, 0.42))
    period = mm_to_px(period_mm, dpi)
    angle = float(rng.uniform(0.0, 90.0))
    amount = float(rng.uniform(0.3, 0.85))
    soft = float(rng.uniform(0.08, 0.3))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + np.float32(0.5)
    out = np.empty_like(img)
    for ch, extra in enumerate((15.0, 75.0, 0.0)):  # cyan, magenta, yellow screen angles
        a = math.radians(angle + extra)
        u = (xx * math.cos(a) + yy * math.sin(a)) * np.float32(2 * math.pi / period)
        v = (yy * math.cos(a) - xx * math.sin(a)) * np.float32(2 * math.pi / period)
        threshold = 0.5 - 0.25 * (np.cos(u) + np.cos(v))  # 0 at the dot centres, 1 between dots
        cover = 1.0 - img[..., ch] / 255.0
        dots = np.clip((cover * (1.0 + soft) - threshold) / soft, 0.0, 1.0)
        out[..., ch] = img[..., ch] * (1.0 - amount) + 255.0 * (1.0 - dots) * amount
    saturation = float(rng.uniform(0.55, 1.0))
    grey = out @ np.array([0.299, 0.587, 0.114], np.float32)
    out = grey[..., None] + (out - grey[..., None]) * saturation
    gains = rng.uniform(0.93, 1.06, 3).astype(np.float32)
    gamma = float(rng.uniform(0.85, 1.2))
    out = 255.0 * (np.clip(out, 0.0, 255.0) / 255.0) ** gamma * gains
    paper = "same"
    if rng.random() < 0.5:
        tone = float(rng.uniform(232, 252))
        tint = rng.uniform(-6, 6, 3)
        colour = np.clip(tone + tint, 0, 255).astype(np.float32)
        out = out * colour / 255.0
        paper = "#{:02x}{:02x}{:02x}".format(*(round(float(c)) for c in colour))
    second = float(rng.uniform(0.3, 0.7)) * dpi / 300 if rng.random() < 0.5 else 0.0
    if second:
        out = _f32(cv2.GaussianBlur(_f32(out), (0, 0), second))
    noise = float(rng.uniform(0.5, 2.0))
    out = out + rng.normal(0.0, noise, (h, w, 1)).astype(np.float32)
    record = ForgeryRecord(
        "reprint",
        params(
            blur_mm=blur_mm,
            screen_period_mm=period_mm,
            screen_angle=angle,
            screen_amount=amount,
            screen_softness=soft,
            saturation=saturation,
            gain_r=float(gains[0]),
            gain_g=float(gains[1]),
            gain_b=float(gains[2]),
            gamma=gamma,
            paper=paper,
            second_blur_px=second,
            noise_sigma=noise,
        ),
        (doc.truth.document_quad,),
    )
    return ForgeryResult(_u8(out), record)


KINDS = (
    "mrz.broken_check_digit",
    "mrz.recomputed",
    "viz.altered",
    "portrait.substituted",
    "mrz.wrong_font",
    "mrz.pitch_anomaly",
    "copy_move",
    "reprint",
)
"""The kinds this module registers."""
LOCAL_KINDS = tuple(k for k in KINDS if k != "reprint")
"""The kinds that change only the pixels inside their recorded regions."""

__all__ = [
    "ERASE_MODES",
    "KINDS",
    "LOCAL_KINDS",
    "MRZ_WRONG_FONTS",
    "VIZ_NEAR_MISS_FONTS",
    "broken_check_digit",
    "copy_move",
    "pitch_anomaly",
    "portrait_substituted",
    "recomputed",
    "reprint",
    "viz_altered",
    "wrong_font",
]
