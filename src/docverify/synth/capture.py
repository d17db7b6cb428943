"""Capture simulation: put a rendered document in front of a scanner or a phone camera.

A condition is a function ``(RenderedDocument, numpy Generator) -> Captured`` registered by name in
:data:`CONDITIONS`. Every parameter is drawn from the generator (so a capture is deterministic given its
seed) and recorded in the ground truth, and every geometric transform is applied to the ground truth too:
its quads stay on the printed features, and ``document_to_image`` gives the full homography.

========== ==================================================================================================
condition  what it simulates
========== ==================================================================================================
none       the rendered page itself, lossless
flatbed    the document on a white or grey scanner page, rotated ±3°, a faint edge shadow, mild blur and
           noise, JPEG quality 85–95
rotated    the same scan turned by any angle in 0–360° (exactly 90, 180 or 270 in 40 % of cases), JPEG 88–95
phone      a photo: perspective tilt up to 30°, any roll now and then, the document smaller in a larger
           frame over a busy background, uneven illumination, a glare spot, defocus or motion blur, white
           balance, sensor noise, JPEG quality 55–90; the mean MRZ character height is 12–40 px
========== ==================================================================================================

Images are RGB ``uint8`` ``(H, W, 3)``; coordinates are continuous pixels (see :mod:`.render`).

>>> import datetime as dt, random
>>> from docverify.mrz.generate import random_mrz_data
>>> from docverify.results import MRZFormat
>>> from docverify.synth.render import render_document
>>> doc = render_document(random_mrz_data(random.Random(2), MRZFormat.TD1), np.random.default_rng(2))
>>> shot = capture(doc, "rotated", np.random.default_rng(2))
>>> shot.truth.capture.condition, shot.jpeg_quality is not None
('rotated', True)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from docverify.synth.render import (
    CaptureRecord,
    GroundTruth,
    Image8,
    ParamValue,
    RenderedDocument,
    mm_to_px,
    params,
    transform_quads,
)

Matrix = npt.NDArray[np.float64]
Float32Image = npt.NDArray[np.float32]


def _as_u8(a: Any) -> Image8:
    """An OpenCV result as a ``uint8`` array (no copy; OpenCV's stubs type results loosely)."""
    return np.asarray(a, dtype=np.uint8)


def _as_f32(a: Any) -> Float32Image:
    return np.asarray(a, dtype=np.float32)


@dataclass(frozen=True, slots=True, eq=False)
class Captured:
    """A captured image (RGB ``uint8`` ``(H, W, 3)``, before compression) and its ground truth.

    ``jpeg_quality`` is the quality the image is meant to be stored at (``None``: lossless PNG); use
    :meth:`encode` to get the file bytes and :meth:`decoded` to get the pixels a reader of the file sees.
    """

    image: Image8
    truth: GroundTruth
    jpeg_quality: int | None

    @property
    def suffix(self) -> str:
        """``.jpg`` or ``.png``."""
        return ".png" if self.jpeg_quality is None else ".jpg"

    def encode(self) -> bytes:
        """The image file: JPEG at :attr:`jpeg_quality` (4:2:0, like cameras), or PNG."""
        bgr = _as_u8(cv2.cvtColor(self.image, cv2.COLOR_RGB2BGR))
        if self.jpeg_quality is None:
            ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 6])
        else:
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:  # pragma: no cover - only on an OpenCV build without codecs
            raise RuntimeError("OpenCV could not encode the image")
        return bytes(buf.tobytes())

    def decoded(self) -> Image8:
        """The pixels of :meth:`encode` read back (RGB)."""
        bgr = _as_u8(cv2.imdecode(np.frombuffer(self.encode(), np.uint8), cv2.IMREAD_COLOR))
        return _as_u8(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


CaptureFn = Callable[[RenderedDocument, np.random.Generator], Captured]


# --- geometry helpers ------------------------------------------------------------------------------


def _translate(tx: float, ty: float) -> Matrix:
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def _rotation(deg: float) -> Matrix:
    """Counter-clockwise as seen on screen (``y`` down), exact at multiples of 90°."""
    if deg % 90 == 0:
        k = int(deg // 90) % 4
        c, s = (1.0, 0.0, -1.0, 0.0)[k], (0.0, 1.0, 0.0, -1.0)[k]
    else:
        c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def _to_cv(matrix: Matrix) -> Matrix:
    """A homography in continuous coordinates as OpenCV wants it (pixel centres at integers)."""
    out: Matrix = _translate(-0.5, -0.5) @ matrix @ _translate(0.5, 0.5)
    return out


def _apply(matrix: Matrix, pts: npt.ArrayLike) -> npt.NDArray[np.float64]:
    p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    h = np.hstack([p, np.ones((len(p), 1))]) @ matrix.T
    out: npt.NDArray[np.float64] = h[:, :2] / h[:, 2:3]
    return out


def _local_scale(matrix: Matrix, x: float, y: float) -> float:
    """Linear scale of ``matrix`` around ``(x, y)`` (square root of the Jacobian determinant)."""
    p = _apply(matrix, [(x, y), (x + 1.0, y), (x, y + 1.0)])
    j = np.array([p[1] - p[0], p[2] - p[0]])
    return float(math.sqrt(abs(np.linalg.det(j))))


def _composite(canvas: Image8, doc: RenderedDocument, matrix: Matrix) -> tuple[Image8, Float32Image]:
    """``doc`` mapped by ``matrix`` over ``canvas``; also returns the warped coverage (0–1, float32).

    A strong reduction is done first with area averaging, so that the fine guilloche does not alias. The
    page is warped with replicated borders and blended through its warped mask: no dark fringe.
    """
    h, w = canvas.shape[:2]
    src, mask = doc.image, doc.mask
    dh, dw = src.shape[:2]
    m = matrix
    scale = _local_scale(matrix, dw / 2, dh / 2)
    if scale < 0.75:
        f = scale * 1.3
        sw, sh = max(8, round(dw * f)), max(8, round(dh * f))
        src = _as_u8(cv2.resize(src, (sw, sh), interpolation=cv2.INTER_AREA))
        mask = _as_u8(cv2.resize(mask, (sw, sh), interpolation=cv2.INTER_AREA))
        m = matrix @ np.diag([dw / sw, dh / sh, 1.0])
    mcv = _to_cv(m)
    warped = _as_u8(cv2.warpPerspective(src, mcv, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    alpha = _as_f32(
        cv2.warpPerspective(
            mask.astype(np.float32) * np.float32(1 / 255),
            mcv,
            (w, h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
        )
    )
    out = _as_u8(cv2.blendLinear(warped, canvas, alpha, 1.0 - alpha))
    return out, alpha


def _scale_towards(img: Image8, weight: Float32Image, value: int) -> Image8:
    """``img * weight + value * (1 - weight)`` per pixel (``weight`` in [0, 1], one channel)."""
    other = np.full_like(img, value)
    return _as_u8(cv2.blendLinear(img, other, weight, 1.0 - weight))


def _finish(
    doc: RenderedDocument,
    image: Image8,
    matrix: Matrix,
    condition: str,
    jpeg_quality: int | None,
    **kw: ParamValue,
) -> Captured:
    h, w = image.shape[:2]
    truth = doc.truth.transformed(matrix, (w, h))
    if jpeg_quality is not None:
        kw["jpeg_quality"] = jpeg_quality
    truth = dataclasses.replace(truth, capture=CaptureRecord(condition, params(**kw)))
    return Captured(image, truth, jpeg_quality)


# --- image effects ---------------------------------------------------------------------------------


def _gaussian(img: Image8, sigma: float) -> Image8:
    if sigma <= 0.05:
        return img
    return _as_u8(cv2.GaussianBlur(img, (0, 0), sigma))


def _defocus(img: Image8, radius: float) -> Image8:
    """Blur with a uniform disk (an out-of-focus lens) of ``radius`` pixels."""
    r = max(1, math.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float32)
    k = np.clip(radius + 0.5 - np.hypot(xx, yy), 0.0, 1.0)
    return _as_u8(cv2.filter2D(img, -1, k / k.sum(), borderType=cv2.BORDER_REFLECT))


def _motion(img: Image8, length: float, angle_deg: float) -> Image8:
    """Blur along a line of ``length`` pixels at ``angle_deg`` (camera shake)."""
    n = max(3, math.ceil(length) | 1)
    k = np.zeros((n, n), np.float32)
    c = n // 2
    dx, dy = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    half = length / 2
    cv2.line(k, (round(c - dx * half), round(c - dy * half)), (round(c + dx * half), round(c + dy * half)), 1.0, 1)
    return _as_u8(cv2.filter2D(img, -1, k / max(float(k.sum()), 1.0), borderType=cv2.BORDER_REFLECT))


def _u8(img: Float32Image) -> Image8:
    """Round and saturate to ``uint8`` (OpenCV does it several times faster than ``np.clip``)."""
    zero: Any = 0.0 if img.ndim == 2 else (0.0, 0.0, 0.0, 0.0)
    return _as_u8(cv2.add(img, zero, dtype=cv2.CV_8U))


def _noise(img: Image8, sigma: float, rng: np.random.Generator) -> Image8:
    """Gaussian sensor noise of ``sigma`` grey levels in luminance, plus a third of it per channel.

    OpenCV's generator is several times faster than numpy's here; it is seeded from ``rng`` just before
    use (it is thread-local), so the result stays a function of ``rng``.
    """
    h, w = img.shape[:2]
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    mean: Any = 0.0  # typed Any: OpenCV's stubs do not admit scalars and tuples here
    sd: Any = sigma
    lum = np.empty((h, w), np.float32)
    cv2.randn(lum, mean, sd)
    means: Any = (0.0, 0.0, 0.0)
    sds: Any = (sigma / 3,) * 3
    chroma = np.empty((h, w, 3), np.int16)
    cv2.randn(chroma, means, sds)
    noise = cv2.add(cv2.cvtColor(lum, cv2.COLOR_GRAY2RGB), chroma, dtype=cv2.CV_16S)
    return _as_u8(cv2.add(img, noise, dtype=cv2.CV_8U))


def _smooth_field(h: int, w: int, rng: np.random.Generator, cells: int, channels: int = 1) -> Float32Image:
    """Low-frequency random field in [0, 1], ``(h, w, channels)``."""
    gh, gw = max(2, round(cells * h / max(h, w))), max(2, round(cells * w / max(h, w)))
    small = rng.random((gh, gw, channels), dtype=np.float32)
    big = _as_f32(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC))
    out: Float32Image = np.clip(big.reshape(h, w, channels), 0.0, 1.0)
    return out


def _page(h: int, w: int, rng: np.random.Generator) -> tuple[Image8, ParamValue]:
    """A scanner page or lid: white to light grey, slightly tinted, with faint unevenness."""
    grey = float(rng.uniform(222, 252))
    tint = rng.uniform(-4, 4, size=3).astype(np.float32)
    small = (
        grey
        + tint[None, None, :]
        - _smooth_field(max(2, h // 16), max(2, w // 16), rng, 4, 3) * float(rng.uniform(2, 8))
    )
    page = _as_u8(cv2.resize(_u8(small), (w, h), interpolation=cv2.INTER_LINEAR))
    return page, round(grey)


def _edge_shadow(canvas: Image8, coverage: Float32Image, rng: np.random.Generator, dpi: int) -> Image8:
    """Darken the page just outside the document edge (the lid does not press it perfectly flat)."""
    off = mm_to_px(float(rng.uniform(0.1, 0.4)), dpi)
    angle = float(rng.uniform(0, 2 * math.pi))
    m = np.array([[1, 0, off * math.cos(angle)], [0, 1, off * math.sin(angle)]], np.float64)
    h, w = coverage.shape
    shadow = _as_f32(cv2.GaussianBlur(cv2.warpAffine(coverage, m, (w, h)), (0, 0), max(0.8, off)))
    return _scale_towards(canvas, 1.0 - np.float32(rng.uniform(0.1, 0.3)) * shadow, 0)


# --- conditions ------------------------------------------------------------------------------------


def capture_none(doc: RenderedDocument, rng: np.random.Generator) -> Captured:
    """The rendered page as it is (corners outside a rounded card become white), lossless."""
    image = doc.image
    if int(doc.mask.min()) < 255:
        a = doc.mask.astype(np.float32)[..., None] / 255.0
        image = _u8(image * a + 255.0 * (1 - a))
    return _finish(doc, image, np.eye(3), "none", None)


def _scan(
    doc: RenderedDocument, rng: np.random.Generator, angle: float, margin_mm: tuple[float, float]
) -> tuple[Image8, Matrix, dict[str, ParamValue]]:
    dpi = doc.truth.dpi
    dh, dw = doc.image.shape[:2]
    rot = _rotation(angle)
    corners = _apply(rot, [(0, 0), (dw, 0), (dw, dh), (0, dh)])
    mx = round(mm_to_px(float(rng.uniform(*margin_mm)), dpi))
    my = round(mm_to_px(float(rng.uniform(*margin_mm)), dpi))
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    w = math.ceil(x1 - x0 - 1e-9) + 2 * mx
    h = math.ceil(y1 - y0 - 1e-9) + 2 * my
    matrix = _translate(mx - math.floor(x0 + 1e-9), my - math.floor(y0 + 1e-9)) @ rot
    page, grey = _page(h, w, rng)
    image, coverage = _composite(page, doc, matrix)
    image = _edge_shadow(image, coverage, rng, dpi)
    sigma = float(rng.uniform(0.3, 0.8))
    noise = float(rng.uniform(0.8, 2.5))
    image = _noise(_gaussian(image, sigma * dpi / 300), noise, rng)
    return image, matrix, {"angle": angle, "page_grey": grey, "blur_sigma": sigma, "noise_sigma": noise}


def capture_flatbed(doc: RenderedDocument, rng: np.random.Generator) -> Captured:
    """A flatbed scan: small rotation (±3°), page margin 3–15 mm, edge shadow, mild blur, JPEG 85–95."""
    angle = float(rng.uniform(-3.0, 3.0))
    image, matrix, kw = _scan(doc, rng, angle, (3.0, 15.0))
    return _finish(doc, image, matrix, "flatbed", int(rng.integers(85, 96)), **kw)


def capture_rotated(doc: RenderedDocument, rng: np.random.Generator) -> Captured:
    """A scan at any angle in 0–360° (exactly 90, 180 or 270 in 40 % of cases), JPEG 88–95."""
    right = rng.random() < 0.4
    angle = float(rng.choice([90.0, 180.0, 270.0])) if right else float(rng.uniform(0.0, 360.0))
    image, matrix, kw = _scan(doc, rng, angle, (2.0, 10.0))
    return _finish(doc, image, matrix, "rotated", int(rng.integers(88, 96)), **kw)


def _busy_background(h: int, w: int, rng: np.random.Generator) -> Image8:
    """A desk or a table: smooth colour fields, a texture, shapes, lines and stray text.

    Drawn at half resolution and enlarged: it is out of the focal plane anyway.
    """
    full = (w, h)
    h, w = max(2, h // 2), max(2, w // 2)
    colours = _smooth_field(h, w, rng, int(rng.integers(2, 6)), 3) * 200.0 + 25.0
    kind = int(rng.integers(0, 3))
    if kind == 0:  # wood-like grain
        yy = np.arange(h, dtype=np.float32)[:, None]
        xx = np.arange(w, dtype=np.float32)[None, :]
        theta = float(rng.uniform(0, math.pi))
        period = float(rng.uniform(3, 15))
        warp = _smooth_field(h, w, rng, 6)[..., 0] * float(rng.uniform(3, 20))
        grain = np.sin((xx * math.cos(theta) + yy * math.sin(theta) + warp) * (2 * math.pi / period))
        colours = colours * (1.0 + 0.12 * grain[..., None]).astype(np.float32)
    elif kind == 1:  # fabric or carpet speckle
        speck = cv2.GaussianBlur(rng.standard_normal((h, w), dtype=np.float32), (0, 0), 0.7)
        colours = colours * (1.0 + 0.25 * speck[..., None])
    img = np.ascontiguousarray(_u8(colours.astype(np.float32)))
    diag = math.hypot(w, h)
    for _ in range(int(rng.integers(4, 16))):
        colour = tuple(int(v) for v in rng.integers(0, 256, size=3))
        shape = int(rng.integers(0, 5))
        cx, cy = float(rng.uniform(0, w)), float(rng.uniform(0, h))
        size = diag * float(rng.uniform(0.03, 0.3))
        if shape == 0:  # a sheet, a book, a phone
            quad = cv2.boxPoints(((cx, cy), (size, size * float(rng.uniform(0.3, 1.5))), float(rng.uniform(0, 180))))
            cv2.fillPoly(img, [np.round(quad).astype(np.int32)], colour, cv2.LINE_AA)
        elif shape == 1:  # a mug, a coin
            cv2.circle(img, (round(cx), round(cy)), round(size / 2), colour, -1, cv2.LINE_AA)
        elif shape == 2:  # cables, pens, edges
            ex, ey = cx + float(rng.normal(0, size)), cy + float(rng.normal(0, size))
            thick = int(rng.integers(1, max(2, round(diag / 150))))
            cv2.line(img, (round(cx), round(cy)), (round(ex), round(ey)), colour, thick, cv2.LINE_AA)
        elif shape == 3:  # an irregular blob
            n = int(rng.integers(3, 8))
            pts = np.stack([cx + rng.normal(0, size / 2, n), cy + rng.normal(0, size / 2, n)], axis=1)
            cv2.fillPoly(img, [np.round(pts).astype(np.int32)], colour, cv2.LINE_AA)
        else:  # printed matter: random letters and digits, sometimes MRZ-like
            chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<" if rng.random() < 0.5 else "abcdefghijklmnopqrstuvwxyz  "
            for row in range(int(rng.integers(1, 6))):
                text = "".join(chars[int(i)] for i in rng.integers(0, len(chars), size=int(rng.integers(5, 30))))
                scale = diag / 1500 * float(rng.uniform(0.5, 1.5))
                org = (round(cx), round(cy + row * 30 * scale))
                font = int(rng.integers(0, 8))
            cv2.putText(img, text, org, font, scale, colour, max(1, round(scale * 1.5)), cv2.LINE_AA)
    img = _as_u8(cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.3, 1.5))))
    return _as_u8(cv2.resize(img, full, interpolation=cv2.INTER_LINEAR))


def _camera_quad(w: float, h: float, rng: np.random.Generator) -> tuple[npt.NDArray[np.float64], dict[str, ParamValue]]:
    """Corners of a ``w × h`` document seen by a pinhole camera: tilt about both axes, roll, distance."""
    tilt_x = float(rng.uniform(-30, 30))
    tilt_y = float(rng.uniform(-30, 30))
    roll = float(rng.normal(0, 8)) if rng.random() < 0.85 else float(rng.uniform(-180, 180))
    focal = math.hypot(w, h) * float(rng.uniform(0.9, 2.2))
    ax, ay, az = (math.radians(v) for v in (tilt_x, tilt_y, roll))
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), math.sin(az), 0], [-math.sin(az), math.cos(az), 0], [0, 0, 1]])
    pts = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
    cam = pts @ (rz @ ry @ rx).T + np.array([0.0, 0.0, focal])
    proj = focal * cam[:, :2] / cam[:, 2:3]
    return proj, {"tilt_x": tilt_x, "tilt_y": tilt_y, "roll": roll, "focal_ratio": focal / math.hypot(w, h)}


def _char_heights(truth: GroundTruth, matrix: Matrix) -> npt.NDArray[np.float64]:
    quads = transform_quads([c.quad for c in truth.mrz_chars], matrix)
    q = np.asarray(quads, dtype=np.float64)
    left = np.hypot(*(q[:, 3] - q[:, 0]).T)
    right = np.hypot(*(q[:, 2] - q[:, 1]).T)
    out: npt.NDArray[np.float64] = (left + right) / 2
    return out


def capture_phone(doc: RenderedDocument, rng: np.random.Generator) -> Captured:
    """A phone photo; see the module table. The frame is at most 2000 px on its long side."""
    dh, dw = doc.image.shape[:2]
    src = np.array([(0, 0), (dw, 0), (dw, dh), (0, dh)], np.float64)
    quad, kw = _camera_quad(dw, dh, rng)
    unit = cv2.getPerspectiveTransform(src.astype(np.float32), quad.astype(np.float32)).astype(np.float64)
    target = math.exp(float(rng.uniform(math.log(12.0), math.log(40.0))))
    quad = quad * (target / float(np.mean(_char_heights(doc.truth, unit))))
    bw, bh = np.ptp(quad, axis=0)
    frac = float(rng.uniform(0.45, 0.85))
    landscape = (bw >= bh) != (rng.random() < 0.2)
    aspect = 0.75
    if landscape:
        fw = max(bw / frac, bh / (aspect * 0.95))
        size = (fw, fw * aspect)
    else:
        fh = max(bh / frac, bw / (aspect * 0.95))
        size = (fh * aspect, fh)
    limit = 2000.0 / max(size)
    if limit < 1.0:
        quad, size = quad * limit, (size[0] * limit, size[1] * limit)
    fw_i, fh_i = max(320, round(size[0])), max(240, round(size[1]))
    lo = quad.min(axis=0)
    hi = quad.max(axis=0)
    margin = 0.02 * max(fw_i, fh_i)
    tx = float(rng.uniform(margin - lo[0], max(margin - lo[0], fw_i - margin - hi[0])))
    ty = float(rng.uniform(margin - lo[1], max(margin - lo[1], fh_i - margin - hi[1])))
    quad = quad + np.array([tx, ty])
    matrix = cv2.getPerspectiveTransform(src.astype(np.float32), quad.astype(np.float32)).astype(np.float64)

    image, _ = _composite(_busy_background(fh_i, fw_i, rng), doc, matrix)
    # uneven illumination (a gradient and a vignette, times a white balance) and a glare spot, usually on
    # the document; all smooth, so computed on a grid 8 times coarser
    gh, gw = max(2, fh_i // 8), max(2, fw_i // 8)
    yy = (np.arange(gh, dtype=np.float32)[:, None] + 0.5) * (fh_i / gh)
    xx = (np.arange(gw, dtype=np.float32)[None, :] + 0.5) * (fw_i / gw)
    theta = float(rng.uniform(0, 2 * math.pi))
    u = ((xx - fw_i / 2) * math.cos(theta) + (yy - fh_i / 2) * math.sin(theta)) / max(fw_i, fh_i)
    strength = float(rng.uniform(0.1, 0.45))
    vignette = float(rng.uniform(0.0, 0.35))
    r2 = ((xx - fw_i / 2) ** 2 + (yy - fh_i / 2) ** 2) / ((fw_i / 2) ** 2 + (fh_i / 2) ** 2)
    light = (1.0 + strength * u) * (1.0 - vignette * r2) * float(rng.uniform(0.8, 1.05))
    balance = rng.uniform(0.9, 1.1, size=3).astype(np.float32)
    if rng.random() < 0.75:
        gx, gy = (float(v) for v in rng.dirichlet(np.ones(4)) @ quad)
    else:
        gx, gy = float(rng.uniform(0, fw_i)), float(rng.uniform(0, fh_i))
    g_radius = float(rng.uniform(0.04, 0.15)) * math.hypot(fw_i, fh_i)
    g_strength = float(rng.uniform(0.2, 0.7))
    glare = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * g_radius**2)) * g_strength
    exposure = float(max(1.0, float(light.max())))
    lut = np.clip(np.arange(256, dtype=np.float32)[:, None] * balance[None, :] * exposure + 0.5, 0, 255)
    image = _as_u8(cv2.LUT(image, lut.astype(np.uint8).reshape(256, 1, 3)))
    shade = _as_f32(cv2.resize((light / exposure).astype(np.float32), (fw_i, fh_i), interpolation=cv2.INTER_LINEAR))
    image = _scale_towards(image, shade, 0)
    shine = _as_f32(cv2.resize(glare.astype(np.float32), (fw_i, fh_i), interpolation=cv2.INTER_LINEAR))
    image = _scale_towards(image, 1.0 - shine, 255)
    # optics: defocus, camera shake or a soft lens
    blur_kind = ("defocus", "motion", "gaussian")[int(rng.integers(0, 3))]
    blur = float(rng.uniform(0.3, min(2.5, 0.1 * target) + 0.3))
    if blur_kind == "defocus":
        image = _defocus(image, blur)
    elif blur_kind == "motion":
        blur = blur * 2.5
        image = _motion(image, blur, float(rng.uniform(0, 180)))
    else:
        image = _gaussian(image, blur * 0.7)
    noise = float(rng.uniform(2.0, 8.0))
    image = _noise(image, noise, rng)
    heights = _char_heights(doc.truth, matrix)
    kw.update(
        frame_width=fw_i,
        frame_height=fh_i,
        mrz_char_height_px=float(np.mean(heights)),
        mrz_char_height_min_px=float(np.min(heights)),
        illumination_gradient=strength,
        vignette=vignette,
        glare_x=gx,
        glare_y=gy,
        glare_radius=g_radius,
        glare_strength=g_strength,
        blur=blur_kind,
        blur_size=blur,
        noise_sigma=noise,
    )
    return _finish(doc, image, matrix, "phone", int(rng.integers(55, 91)), **kw)


CONDITIONS: dict[str, CaptureFn] = {
    "none": capture_none,
    "flatbed": capture_flatbed,
    "rotated": capture_rotated,
    "phone": capture_phone,
}
"""Capture conditions by name. Add one by adding a function of the same signature."""
DEFAULT_CONDITIONS = ("flatbed", "rotated", "phone")


def capture(doc: RenderedDocument, condition: str, rng: np.random.Generator) -> Captured:
    """Capture ``doc`` under the named ``condition`` (a key of :data:`CONDITIONS`); ``ValueError`` for an
    unknown name."""
    try:
        fn = CONDITIONS[condition]
    except KeyError:
        raise ValueError(f"unknown capture condition {condition!r}; known: {', '.join(CONDITIONS)}") from None
    return fn(doc, rng)


__all__ = [
    "CONDITIONS",
    "DEFAULT_CONDITIONS",
    "CaptureFn",
    "Captured",
    "capture",
    "capture_flatbed",
    "capture_none",
    "capture_phone",
    "capture_rotated",
]
