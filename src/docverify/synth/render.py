"""Render synthetic ICAO 9303 documents (TD1, TD2, TD3, MRV-A, MRV-B) with their ground truth.

Everything drawn here is fictitious: the state names are invented, the people come from
:func:`docverify.mrz.generate.random_mrz_data` and the portrait is a procedural cartoon (ellipses), never a
real face. Images are RGB ``uint8`` arrays of shape ``(H, W, 3)``. Coordinates are image pixels, ``x`` to
the right and ``y`` down, continuous: pixel ``(row i, column j)`` covers ``[j, j + 1) × [i, i + 1)``, so its
centre is ``(j + 0.5, i + 0.5)`` and a ``W × H`` image spans ``(0, 0)``–``(W, H)``.

Every box of the ground truth is a :data:`Quad`: four corners in the document's reading order (top-left,
top-right, bottom-right, bottom-left as printed), so it stays meaningful after rotation or perspective.

>>> import datetime as dt, random
>>> from docverify.mrz.generate import random_mrz_data
>>> data = random_mrz_data(random.Random(1), MRZFormat.TD3, reference=dt.date(2026, 1, 1))
>>> doc = render_document(data, np.random.default_rng(1), reference_date=dt.date(2026, 1, 1))
>>> doc.image.shape, doc.truth.format, len(doc.truth.mrz_chars)
((1039, 1476, 3), 'TD3', 88)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from docverify.errors import DependencyError
from docverify.mrz.generate import MRZData, build_mrz
from docverify.results import MRZFormat

Image8 = npt.NDArray[np.uint8]
"""An RGB ``uint8`` image, shape ``(H, W, 3)`` (or a ``(H, W)`` mask)."""
Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]
"""Four corners in reading order of the printed document: top-left, top-right, bottom-right, bottom-left."""
ParamValue = str | int | float | bool
Params = tuple[tuple[str, ParamValue], ...]
"""Scalar parameters as sorted key/value pairs (frozen, hashable; a JSON object in the ground truth)."""

GROUND_TRUTH_VERSION = "1"
"""Version of the ground-truth JSON. Bumped on any incompatible change."""
GENERATOR_REVISION = 2
"""Revision of the rendering, written into every ground-truth record (``generator``): caches of generated
images made by another revision are stale. 2 (2026-11-24): MRZ glyphs placed to a quarter pixel; Pillow
rounds text positions to whole pixels, which had moved each glyph up to half a pixel (0.04 mm at 300 dpi)
off the position and print jitter drawn for it."""
MM_PER_INCH = 25.4
MRZ_PITCH_MM = 2.54
"""OCR-B size 1 is printed at a fixed pitch of 10 characters per inch."""
OCRB_PATH = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
"""OCR-B as installed by the Debian package ``fonts-ocr-b``."""
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FICTITIOUS_STATES = (
    "REPUBLIC OF UTOPIA",
    "KINGDOM OF VELORIA",
    "FEDERATION OF ZARNOVIA",
    "REPUBLIC OF OSTRELIA",
    "GRAND DUCHY OF MIRAVEL",
    "UNITED PROVINCES OF KALDORIA",
    "COMMONWEALTH OF BRAVINIA",
    "ISLAND REPUBLIC OF SELUNE",
)
"""Invented state names for the page header (a test checks that none is a real country)."""
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def mm_to_px(mm: float, dpi: float) -> float:
    """Millimetres to pixels at ``dpi``."""
    return mm * dpi / MM_PER_INCH


# --- ground truth -----------------------------------------------------------------------------------


def params(**kwargs: ParamValue) -> Params:
    """Keyword arguments as sorted :data:`Params` (floats rounded to 4 decimals for stable JSON)."""
    return tuple(sorted((k, round(v, 4) if isinstance(v, float) else v) for k, v in kwargs.items()))


def _quad_list(q: Quad) -> list[list[float]]:
    return [[round(x, 2), round(y, 2)] for x, y in q]


def _quad_from(data: Sequence[Sequence[float]]) -> Quad:
    if len(data) != 4:
        raise ValueError(f"a quad has 4 points, not {len(data)}")
    p = [(float(x), float(y)) for x, y in data]
    return p[0], p[1], p[2], p[3]


def rect_quad(x0: float, y0: float, x1: float, y1: float) -> Quad:
    """The axis-aligned box ``[x0, x1] × [y0, y1]`` as a quad."""
    return (x0, y0), (x1, y0), (x1, y1), (x0, y1)


def transform_quads(quads: Sequence[Quad], matrix: npt.NDArray[np.float64]) -> list[Quad]:
    """``quads`` mapped by the 3 × 3 homography ``matrix`` (continuous pixel coordinates)."""
    if not quads:
        return []
    pts = np.asarray(quads, dtype=np.float64).reshape(-1, 2)
    hom = np.hstack([pts, np.ones((len(pts), 1))]) @ matrix.T
    xy = hom[:, :2] / hom[:, 2:3]
    out: list[Quad] = []
    for i in range(len(quads)):
        q = xy[4 * i : 4 * i + 4]
        out.append(
            (
                (float(q[0, 0]), float(q[0, 1])),
                (float(q[1, 0]), float(q[1, 1])),
                (float(q[2, 0]), float(q[2, 1])),
                (float(q[3, 0]), float(q[3, 1])),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class MRZChar:
    """One MRZ character and its cell: ``pitch`` wide, from the top of the tallest glyph to the baseline."""

    char: str
    line: int
    column: int
    quad: Quad

    def to_dict(self) -> dict[str, Any]:
        return {"char": self.char, "line": self.line, "column": self.column, "quad": _quad_list(self.quad)}


@dataclass(frozen=True, slots=True)
class VizField:
    """A labelled field of the visual zone: ``name`` is a stable key (``birth_date``), ``label`` the
    printed caption, ``value`` the printed text; both boxes are tight around the ink of the text."""

    name: str
    label: str
    value: str
    label_quad: Quad
    value_quad: Quad

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "label_quad": _quad_list(self.label_quad),
            "value_quad": _quad_list(self.value_quad),
        }


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """How the image was captured: a condition name (``flatbed``, ``rotated``, ``phone``, ``none``) and
    the parameters drawn for it."""

    condition: str
    params: Params = ()

    def to_dict(self) -> dict[str, Any]:
        return {"condition": self.condition, "params": dict(self.params)}


@dataclass(frozen=True, slots=True)
class ForgeryRecord:
    """One forgery applied to the rendered document: its registered ``kind``, its parameters, and the
    regions it changed (quads, transformed with the rest of the ground truth into image pixels). Coordinates
    among the parameters (``copy_move``'s ``src_x``/``src_y``, ``dst_x``/``dst_y``) stay in the rendered
    document's pixels: :attr:`GroundTruth.document_to_image` maps them."""

    kind: str
    params: Params = ()
    regions: tuple[Quad, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": dict(self.params), "regions": [_quad_list(q) for q in self.regions]}


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """Everything known about one synthetic image. JSON form: :meth:`to_dict`; back: :meth:`from_dict`.

    ``mrz_lines`` are the lines as printed (after any forgery); ``mrz_data`` are the genuine field values.
    ``document_to_image`` is the 3 × 3 homography from the rendered document's pixels to this image's pixels
    (identity before capture); all quads are in this image's pixels. ``print_params`` record the print
    geometry drawn for the document (MRZ cap height, pitch, margins, ink), in millimetres where named so.
    """

    format: str
    seed: int
    dpi: int
    reference_date: str
    image_size: tuple[int, int]
    """``(width, height)`` of the image in pixels."""
    mrz_lines: tuple[str, ...]
    mrz_data: Params
    state_name: str
    document_quad: Quad
    mrz_quad: Quad
    mrz_line_quads: tuple[Quad, ...]
    mrz_chars: tuple[MRZChar, ...]
    portrait_quad: Quad
    viz_fields: tuple[VizField, ...]
    print_params: Params
    document_to_image: tuple[tuple[float, float, float], ...]
    capture: CaptureRecord = CaptureRecord("none")
    forgeries: tuple[ForgeryRecord, ...] = ()
    file: str = ""
    generator: int = GENERATOR_REVISION
    """The revision of the generator that made the image (:data:`GENERATOR_REVISION`; 1 for a ground truth
    written before the revision was recorded)."""

    @property
    def genuine(self) -> bool:
        """True when no forgery was applied."""
        return not self.forgeries

    def param(self, name: str) -> ParamValue:
        """A print parameter by name (``mrz_cap_height_mm``, ``mrz_left_mm`` …)."""
        return dict(self.print_params)[name]

    def quads(self) -> list[Quad]:
        """Every quad, in a fixed order (used to transform them all at once)."""
        out: list[Quad] = [self.document_quad, self.mrz_quad, self.portrait_quad, *self.mrz_line_quads]
        out.extend(c.quad for c in self.mrz_chars)
        for f in self.viz_fields:
            out.extend((f.label_quad, f.value_quad))
        for g in self.forgeries:
            out.extend(g.regions)
        return out

    def transformed(self, matrix: npt.NDArray[np.float64], image_size: tuple[int, int]) -> GroundTruth:
        """This ground truth after the image was mapped by the homography ``matrix`` into an image of
        ``image_size`` ``(width, height)``."""
        q = iter(transform_quads(self.quads(), matrix))
        doc, mrz, portrait = next(q), next(q), next(q)
        lines = tuple(next(q) for _ in self.mrz_line_quads)
        chars = tuple(dataclasses.replace(c, quad=next(q)) for c in self.mrz_chars)
        fields = tuple(dataclasses.replace(f, label_quad=next(q), value_quad=next(q)) for f in self.viz_fields)
        forgeries = tuple(dataclasses.replace(g, regions=tuple(next(q) for _ in g.regions)) for g in self.forgeries)
        total = matrix @ np.asarray(self.document_to_image, dtype=np.float64)
        total = total / total[2, 2]
        return dataclasses.replace(
            self,
            image_size=image_size,
            document_quad=doc,
            mrz_quad=mrz,
            portrait_quad=portrait,
            mrz_line_quads=lines,
            mrz_chars=chars,
            viz_fields=fields,
            forgeries=forgeries,
            document_to_image=_matrix_tuple(total),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "docverify.synth.ground_truth",
            "version": GROUND_TRUTH_VERSION,
            "generator": self.generator,
            "file": self.file,
            "format": self.format,
            "seed": self.seed,
            "dpi": self.dpi,
            "reference_date": self.reference_date,
            "image_size": list(self.image_size),
            "genuine": self.genuine,
            "mrz_lines": list(self.mrz_lines),
            "mrz_data": dict(self.mrz_data),
            "state_name": self.state_name,
            "document_quad": _quad_list(self.document_quad),
            "mrz_quad": _quad_list(self.mrz_quad),
            "mrz_line_quads": [_quad_list(q) for q in self.mrz_line_quads],
            "mrz_chars": [c.to_dict() for c in self.mrz_chars],
            "portrait_quad": _quad_list(self.portrait_quad),
            "viz_fields": [f.to_dict() for f in self.viz_fields],
            "print_params": dict(self.print_params),
            "document_to_image": [[round(v, 8) for v in row] for row in self.document_to_image],
            "capture": self.capture.to_dict(),
            "forgeries": [g.to_dict() for g in self.forgeries],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GroundTruth:
        """The inverse of :meth:`to_dict` (quads come back rounded to 0.01 px)."""
        if d.get("version") != GROUND_TRUTH_VERSION:
            raise ValueError(f"unsupported ground-truth version {d.get('version')!r}")

        def p(obj: Mapping[str, ParamValue]) -> Params:
            return tuple(sorted(obj.items()))

        w, h = d["image_size"]
        return cls(
            format=d["format"],
            seed=int(d["seed"]),
            dpi=int(d["dpi"]),
            reference_date=d["reference_date"],
            image_size=(int(w), int(h)),
            mrz_lines=tuple(d["mrz_lines"]),
            mrz_data=p(d["mrz_data"]),
            state_name=d["state_name"],
            document_quad=_quad_from(d["document_quad"]),
            mrz_quad=_quad_from(d["mrz_quad"]),
            mrz_line_quads=tuple(_quad_from(q) for q in d["mrz_line_quads"]),
            mrz_chars=tuple(MRZChar(c["char"], c["line"], c["column"], _quad_from(c["quad"])) for c in d["mrz_chars"]),
            portrait_quad=_quad_from(d["portrait_quad"]),
            viz_fields=tuple(
                VizField(f["name"], f["label"], f["value"], _quad_from(f["label_quad"]), _quad_from(f["value_quad"]))
                for f in d["viz_fields"]
            ),
            print_params=p(d["print_params"]),
            document_to_image=_matrix_tuple(np.asarray(d["document_to_image"], dtype=np.float64)),
            capture=CaptureRecord(d["capture"]["condition"], p(d["capture"]["params"])),
            forgeries=tuple(
                ForgeryRecord(g["kind"], p(g["params"]), tuple(_quad_from(q) for q in g["regions"]))
                for g in d["forgeries"]
            ),
            file=d.get("file", ""),
            generator=int(d.get("generator") or 1),
        )


def _matrix_tuple(m: npt.NDArray[np.float64]) -> tuple[tuple[float, float, float], ...]:
    return tuple((float(r[0]), float(r[1]), float(r[2])) for r in m)


_IDENTITY = _matrix_tuple(np.eye(3))


@dataclass(frozen=True, slots=True, eq=False)
class RenderedDocument:
    """A rendered document page before capture.

    ``image``: RGB ``uint8`` ``(H, W, 3)``; ``mask``: ``uint8`` ``(H, W)``, 255 on the document and 0 outside
    its rounded corners; ``background``: the page before any text or portrait was printed (guilloche and
    tint only), so that a forgery can erase a region the way a forger would scrape it; ``style``: the
    random print choices, so that a forgery can reprint in the same ink and font.
    """

    image: Image8
    mask: Image8
    background: Image8
    truth: GroundTruth
    style: PrintStyle


# --- formats ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormatGeometry:
    """Page size and zone layout of a format, in millimetres.

    ``mrz_left_mm``: left page edge to the left edge of the first character cell (ICAO 9303);
    ``mrz_bottom_mm``: bottom page edge to the baseline of the last MRZ line.
    """

    width_mm: float
    height_mm: float
    mrz_left_mm: float
    mrz_line_pitch_mm: float
    mrz_bottom_mm: float
    header_mm: float
    portrait_height_mm: tuple[float, float]
    portrait_width_mm: tuple[float, float]
    corner_radius_mm: float
    line_count: int
    line_length: int

    @property
    def scale(self) -> float:
        """Size of the visual-zone print relative to TD3."""
        return self.height_mm / 88.0


GEOMETRY: dict[MRZFormat, FormatGeometry] = {
    MRZFormat.TD3: FormatGeometry(125.0, 88.0, 6.0, 6.35, 4.8, 13.0, (35.0, 42.0), (28.0, 33.0), 0.0, 2, 44),
    MRZFormat.MRVA: FormatGeometry(120.0, 80.0, 4.0, 6.35, 4.5, 12.0, (32.0, 38.0), (26.0, 30.0), 2.0, 2, 44),
    MRZFormat.TD2: FormatGeometry(105.0, 74.0, 4.0, 6.35, 4.5, 11.0, (30.0, 35.0), (24.0, 28.0), 3.18, 2, 36),
    MRZFormat.MRVB: FormatGeometry(105.0, 74.0, 4.0, 6.35, 4.5, 11.0, (30.0, 35.0), (24.0, 28.0), 2.0, 2, 36),
    MRZFormat.TD1: FormatGeometry(85.6, 53.98, 5.0, 4.2, 3.0, 8.0, (22.0, 26.0), (18.0, 21.0), 3.18, 3, 30),
}
"""Layouts of the five ICAO formats. Page sizes, first-character margins and line pitches follow ICAO 9303
(TD2 takes the two-line pitch of TD3, which 9303 does not state separately); header heights and portrait
sizes are plausible choices inside the zone limits (TD3 portrait 32–45 × 26–35 mm, scaled for the others)."""
RENDERABLE_FORMATS = tuple(GEOMETRY)
_TITLES = {"P": "PASSPORT", "I": "IDENTITY CARD", "A": "IDENTITY CARD", "C": "IDENTITY CARD", "V": "VISA"}


# --- fonts -----------------------------------------------------------------------------------------


def ocrb_font_path() -> Path:
    """The OCR-B font file; :class:`DependencyError` when it is not installed."""
    if not OCRB_PATH.is_file():
        raise DependencyError(
            f"the OCR-B font is missing ({OCRB_PATH}); install the Debian package fonts-ocr-b "
            "(apt-get install fonts-ocr-b) to render synthetic documents"
        )
    return OCRB_PATH


@functools.lru_cache(maxsize=64)
def _font(path: str, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=64)
def _sans(bold: bool, size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _DEJAVU / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if path.is_file():
        return _font(str(path), size)
    return ImageFont.load_default(size)


@dataclass(frozen=True, slots=True)
class FontMetrics:
    """Ink metrics of an MRZ font, as fractions of the em size."""

    cap_height: float
    """Height of ``H`` above the baseline."""
    max_height: float
    """Height of the tallest MRZ character above the baseline (OCR-B digits stand above the capitals)."""
    advance: float


@functools.lru_cache(maxsize=8)
def font_metrics(path: str) -> FontMetrics:
    """Ink metrics of the font at ``path``, measured on glyphs rendered at 1000 px."""
    font = _font(path, 1000.0)
    cap = -font.getbbox("H", anchor="ls")[1]
    tallest = max(-font.getbbox(c, anchor="ls")[1] for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<")
    return FontMetrics(cap / 1000.0, tallest / 1000.0, font.getlength("H") / 1000.0)


# --- print style ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrintStyle:
    """Random print choices of one document (colours RGB; lengths in millimetres)."""

    mrz_font: str
    mrz_cap_height_mm: float
    mrz_pitch_mm: float
    mrz_line_pitch_mm: float
    mrz_left_mm: float
    mrz_bottom_mm: float
    mrz_ink: tuple[int, int, int]
    jitter_mm: float
    text_ink: tuple[int, int, int]
    label_ink: tuple[int, int, int]
    dpi: int

    def mrz_font_px(self) -> float:
        """Em size of the MRZ font in pixels, for the chosen cap height."""
        return mm_to_px(self.mrz_cap_height_mm, self.dpi) / font_metrics(self.mrz_font).cap_height

    def mrz_char_height_px(self) -> float:
        """Height of a character cell (tallest glyph) in pixels."""
        return self.mrz_font_px() * font_metrics(self.mrz_font).max_height

    def to_params(self) -> Params:
        return params(
            mrz_font=Path(self.mrz_font).name,
            mrz_cap_height_mm=self.mrz_cap_height_mm,
            mrz_char_height_mm=self.mrz_char_height_px() * MM_PER_INCH / self.dpi,
            mrz_pitch_mm=self.mrz_pitch_mm,
            mrz_line_pitch_mm=self.mrz_line_pitch_mm,
            mrz_left_mm=self.mrz_left_mm,
            mrz_bottom_mm=self.mrz_bottom_mm,
            mrz_ink="#{:02x}{:02x}{:02x}".format(*self.mrz_ink),
            jitter_mm=self.jitter_mm,
        )


def _ink(rng: np.random.Generator, lo: int, hi: int) -> tuple[int, int, int]:
    g = int(rng.integers(lo, hi + 1))
    tint = rng.integers(-6, 7, size=3)
    r, gg, b = (int(np.clip(g + t, 0, 255)) for t in tint)
    return r, gg, b


def draw_style(fmt: MRZFormat, rng: np.random.Generator, *, dpi: int = 300, mrz_font: Path | None = None) -> PrintStyle:
    """Random print choices for a document of ``fmt``: cap height 2.40–2.50 mm, ink darkness, registration
    offsets of ±0.25 mm, per-character jitter of about 0.03 mm."""
    geo = GEOMETRY[fmt]
    font = str(mrz_font if mrz_font is not None else ocrb_font_path())
    return PrintStyle(
        mrz_font=font,
        mrz_cap_height_mm=float(rng.uniform(2.40, 2.50)),
        mrz_pitch_mm=MRZ_PITCH_MM,
        mrz_line_pitch_mm=geo.mrz_line_pitch_mm,
        mrz_left_mm=geo.mrz_left_mm + float(rng.uniform(-0.25, 0.25)),
        mrz_bottom_mm=geo.mrz_bottom_mm + float(rng.uniform(-0.25, 0.25)),
        mrz_ink=_ink(rng, 10, 75),
        jitter_mm=float(rng.uniform(0.015, 0.04)),
        text_ink=_ink(rng, 10, 60),
        label_ink=_ink(rng, 60, 110),
        dpi=dpi,
    )


# --- background ------------------------------------------------------------------------------------


def _hsv_rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    hsv = np.array([[[round(h * 179.0), round(s * 255.0), round(v * 255.0)]]], dtype=np.uint8)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0]
    return int(rgb[0]), int(rgb[1]), int(rgb[2])


def guilloche(height: int, width: int, rng: np.random.Generator, dpi: int) -> Image8:
    """A light tinted security background: two crossing families of sine lines and one or two rosettes.

    Returns RGB ``uint8`` ``(height, width, 3)``; every parameter comes from ``rng``.
    """
    px = dpi / MM_PER_INCH
    hue = float(rng.uniform(0, 1))
    hue2 = (hue + float(rng.uniform(0.08, 0.3))) % 1.0
    c0 = np.array(_hsv_rgb(hue, float(rng.uniform(0.04, 0.14)), float(rng.uniform(0.93, 0.985))), np.float32)
    c1 = np.array(_hsv_rgb(hue2, float(rng.uniform(0.04, 0.14)), float(rng.uniform(0.93, 0.985))), np.float32)
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    img = np.ascontiguousarray(np.broadcast_to(c0 * (1 - ramp) + c1 * ramp, (height, width, 3)).astype(np.uint8))
    thick = max(1, round(dpi / 300))
    shift = 4  # sub-pixel precision of cv2 polylines: coordinates in 1/16 px

    def draw(curves: list[npt.NDArray[np.float64]], colour: tuple[int, int, int]) -> None:
        pts = [np.round(c * (1 << shift)).astype(np.int32).reshape(-1, 1, 2) for c in curves]
        cv2.polylines(img, pts, False, colour, thick, cv2.LINE_AA, shift)

    xs = np.linspace(-0.05 * width, 1.05 * width, max(120, width // 6))
    for family in range(2):
        hue_f = hue if family == 0 else hue2
        colour = _hsv_rgb(hue_f, float(rng.uniform(0.15, 0.35)), float(rng.uniform(0.72, 0.86)))
        spacing = float(rng.uniform(0.9, 1.8)) * px
        wl1, wl2 = float(rng.uniform(12, 40)) * px, float(rng.uniform(4, 12)) * px
        a1, a2 = float(rng.uniform(1.5, 5.0)) * px, float(rng.uniform(0.3, 1.2)) * px
        ph1, ph2 = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(0, 2 * math.pi))
        d1, d2 = float(rng.uniform(0.02, 0.2)), float(rng.uniform(-0.3, 0.3))
        n = int((height + 12 * px) / spacing) + 1
        curves = []
        for k in range(n):
            ys = (
                -6 * px
                + k * spacing
                + a1 * np.sin(2 * math.pi * xs / wl1 + ph1 + k * d1)
                + a2 * np.sin(2 * math.pi * xs / wl2 + ph2 + k * d2)
            )
            curves.append(np.stack([xs, ys], axis=1))
        draw(curves, colour)
    t = np.linspace(0, 2 * math.pi, 720)
    for _ in range(int(rng.integers(1, 3))):
        cx, cy = float(rng.uniform(0.3, 0.9)) * width, float(rng.uniform(0.2, 0.7)) * height
        r0 = float(rng.uniform(0.12, 0.3)) * height
        amp = r0 * float(rng.uniform(0.1, 0.35))
        lobes = int(rng.integers(5, 13))
        copies = int(rng.integers(16, 36))
        colour = _hsv_rgb(float(rng.uniform(0, 1)), float(rng.uniform(0.15, 0.35)), float(rng.uniform(0.72, 0.86)))
        curves = []
        for j in range(copies):
            phase = 2 * math.pi * j / (copies * lobes)
            r = r0 + amp * np.sin(lobes * t)
            curves.append(np.stack([cx + r * np.cos(t + phase), cy + r * np.sin(t + phase)], axis=1))
        draw(curves, colour)
    return img


def _rounded_mask(height: int, width: int, radius: float) -> Image8:
    mask = np.full((height, width), 255, np.uint8)
    r = round(radius)
    if r < 1:
        return mask
    yy, xx = np.mgrid[0:r, 0:r].astype(np.float32) + 0.5
    inside = np.clip(r - np.hypot(r - xx, r - yy) + 0.5, 0.0, 1.0)
    corner = (inside * 255).astype(np.uint8)
    mask[:r, :r] = corner
    mask[:r, width - r :] = corner[:, ::-1]
    mask[height - r :, :r] = corner[::-1, :]
    mask[height - r :, width - r :] = corner[::-1, ::-1]
    return mask


# --- portrait --------------------------------------------------------------------------------------

_SKIN = np.array([[255, 224, 196], [234, 192, 160], [198, 145, 110], [141, 95, 66], [92, 60, 42]], np.float32)
_HAIR = ((20, 18, 16), (60, 40, 25), (110, 75, 40), (200, 165, 100), (160, 160, 160), (140, 60, 30))


def _colour(rng: np.random.Generator, lo: int, hi: int) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(lo, hi, size=3))
    return r, g, b


def draw_portrait(width: int, height: int, rng: np.random.Generator) -> Image8:
    """A procedural head-and-shoulders picture (ellipses; never a real face), RGB ``uint8``
    ``(height, width, 3)``. Skin, hair, clothing and background colours and the proportions are random."""
    ss = 2  # drawn at twice the size, then reduced: smooth edges
    w, h = width * ss, height * ss
    top = np.array(_colour(rng, 185, 250), np.float32)
    bottom = np.array(_colour(rng, 150, 235), np.float32)
    ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    img = np.ascontiguousarray(np.broadcast_to(top * (1 - ramp) + bottom * ramp, (h, w, 3)).astype(np.uint8))
    k = float(rng.uniform(0, len(_SKIN) - 1))
    lo = int(k)
    skin_f = _SKIN[lo] * (1 - (k - lo)) + _SKIN[min(lo + 1, len(_SKIN) - 1)] * (k - lo)
    skin = tuple(int(v) for v in skin_f)
    shade = tuple(int(v * 0.82) for v in skin_f)
    hair = _HAIR[int(rng.integers(0, len(_HAIR)))]
    cloth = _colour(rng, 20, 160)
    cx = w / 2 + float(rng.uniform(-0.04, 0.04)) * w
    head_cy = h * float(rng.uniform(0.40, 0.46))
    ax, ay = w * float(rng.uniform(0.24, 0.30)), h * float(rng.uniform(0.23, 0.28))
    style = int(rng.integers(0, 4))  # 0 short, 1 long, 2 bald, 3 bun

    def ell(c: Point, axes: Point, colour: Sequence[int], a0: float = 0, a1: float = 360) -> None:
        cv2.ellipse(
            img,
            (round(c[0]), round(c[1])),
            (max(1, round(axes[0])), max(1, round(axes[1]))),
            0,
            a0,
            a1,
            tuple(int(v) for v in colour),
            -1,
            cv2.LINE_AA,
        )

    if style == 1:  # long hair behind the head and shoulders
        ell((cx, head_cy + ay * 0.5), (ax * 1.25, ay * 1.35), hair)
    ell((cx, h * 1.0), (w * float(rng.uniform(0.42, 0.5)), h * float(rng.uniform(0.25, 0.32))), cloth)
    neck_w = ax * 0.55
    cv2.rectangle(img, (round(cx - neck_w), round(head_cy)), (round(cx + neck_w), round(h * 0.86)), shade, -1)
    ell((cx, h * 0.82), (neck_w * 1.1, h * 0.05), shade, 0, 180)
    for side in (-1, 1):
        ell((cx + side * ax * 0.98, head_cy + ay * 0.05), (ax * 0.16, ay * 0.22), shade)
    if style != 2:
        ell((cx, head_cy - ay * 0.12), (ax * 1.1, ay * 1.05), hair)
    ell((cx, head_cy), (ax, ay), skin)
    if style != 2:
        ell((cx, head_cy - ay * 0.35), (ax * 1.02, ay * float(rng.uniform(0.55, 0.75))), hair, 180, 360)
    if style == 3:
        ell((cx, head_cy - ay * 1.15), (ax * 0.4, ay * 0.3), hair)
    eye_y = head_cy + ay * float(rng.uniform(-0.02, 0.12))
    eye_dx = ax * float(rng.uniform(0.36, 0.46))
    iris = _colour(rng, 20, 120)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        ell((ex, eye_y), (ax * 0.16, ay * 0.07), (245, 245, 240))
        ell((ex, eye_y), (ax * 0.07, ay * 0.065), iris)
        brow_y = eye_y - ay * 0.2
        cv2.line(
            img,
            (round(ex - ax * 0.18), round(brow_y)),
            (round(ex + ax * 0.18), round(brow_y)),
            hair,
            max(1, round(ay * 0.045)),
            cv2.LINE_AA,
        )
    nose_top, nose_bot = eye_y + ay * 0.1, eye_y + ay * 0.38
    nose_w = max(1, round(ax * 0.04))
    cv2.line(img, (round(cx), round(nose_top)), (round(cx + ax * 0.05), round(nose_bot)), shade, nose_w)
    mouth_y = head_cy + ay * float(rng.uniform(0.55, 0.65))
    lips = (int(skin_f[0] * 0.7), int(skin_f[1] * 0.45), int(skin_f[2] * 0.45))
    cv2.ellipse(
        img,
        (round(cx), round(mouth_y)),
        (round(ax * float(rng.uniform(0.25, 0.4))), round(ay * 0.08)),
        0,
        0,
        180,
        lips,
        max(1, round(ay * 0.04)),
        cv2.LINE_AA,
    )
    if rng.random() < 0.2:  # glasses
        for side in (-1, 1):
            centre = (round(cx + side * eye_dx), round(eye_y))
            cv2.circle(img, centre, round(ax * 0.26), (40, 40, 40), 2 * ss, cv2.LINE_AA)
    blurred = cv2.GaussianBlur(img, (0, 0), 0.6 * ss)
    return np.asarray(cv2.resize(blurred, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8)


# --- visual zone -----------------------------------------------------------------------------------


def viz_date(yymmdd: str, *, birth: bool, reference: dt.date) -> str:
    """An MRZ date as the visual zone prints it (``740812`` → ``12 AUG 1974``); the century of a birth date
    is the latest not after ``reference``, expiry dates are in 20YY. Unknown parts print as ``XX``."""
    yy, mm, dd = yymmdd[0:2], yymmdd[2:4], yymmdd[4:6]
    if not yymmdd.isdigit():
        return f"{dd.replace('<', 'X')} {mm.replace('<', 'X')} {yy.replace('<', 'X')}"
    year = 2000 + int(yy)
    if birth:
        try:
            if dt.date(year, int(mm), int(dd)) > reference:
                year -= 100
        except ValueError:
            year = year - 100 if year > reference.year else year
    month = _MONTHS[int(mm) - 1] if 1 <= int(mm) <= 12 else mm
    return f"{dd} {month} {year}"


_LABELS: dict[str, tuple[str, ...]] = {
    "surname": ("Surname", "Surname / Nom"),
    "given_names": ("Given names", "Given names / Prénoms"),
    "nationality": ("Nationality", "Nationality / Nationalité"),
    "birth_date": ("Date of birth", "Date of birth / Date de naissance"),
    "sex": ("Sex", "Sex / Sexe"),
    "expiry_date": ("Date of expiry", "Date of expiry / Date d'expiration"),
    "document_number": ("Document no.", "Document no. / N° du document"),
    "issuing_state": ("Issuing state", "Issuing state / État émetteur"),
}


def viz_values(data: MRZData, reference: dt.date) -> dict[str, str]:
    """The visual-zone values of ``data`` by field name (consistent with the MRZ)."""
    return {
        "surname": data.surname,
        "given_names": data.given_names,
        "nationality": data.nationality,
        "birth_date": viz_date(data.birth_date, birth=True, reference=reference),
        "sex": "X" if data.sex in ("<", "X") else data.sex,
        "expiry_date": viz_date(data.expiry_date, birth=False, reference=reference),
        "document_number": data.document_number,
        "issuing_state": data.issuing_state,
    }


def _text_quad(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: Any) -> Quad:
    x0, y0, x1, y1 = draw.textbbox(xy, text, font=font, anchor="ls")
    return rect_quad(float(x0), float(y0), float(x1), float(y1))


def _fit_font(text: str, bold: bool, size: float, max_width: float) -> Any:
    font = _sans(bold, round(size, 1))
    width = font.getlength(text)
    if width > max_width > 0:
        font = _sans(bold, round(max(size * 0.45, size * max_width / width * 0.98), 1))
    return font


# --- MRZ -------------------------------------------------------------------------------------------


GLYPH_SUPERSAMPLE = 4
"""MRZ glyphs are drawn this many times larger and reduced by averaging (:func:`print_mrz_glyph`), so that
they land within a quarter pixel of where they are asked."""


def print_mrz_glyph(draw: ImageDraw.ImageDraw, char: str, cell_left: float, baseline: float, style: PrintStyle) -> None:
    """Print one MRZ character centred in its cell (``cell_left`` and ``baseline`` in pixels, fractions
    honoured) onto a Pillow RGB image: the fixed pitch comes from the cell, never from the font's advance.
    The glyph is drawn :data:`GLYPH_SUPERSAMPLE` times larger at its sub-pixel offset and averaged down, as
    a printer of several times the image's resolution would place it."""
    k = GLYPH_SUPERSAMPLE
    big = _font(style.mrz_font, round(style.mrz_font_px() * k, 2))
    pitch = mm_to_px(style.mrz_pitch_mm, style.dpi)
    x = cell_left + (pitch - big.getlength(char) / k) / 2
    left, top, right, bottom = big.getbbox(char, anchor="ls")
    ix, iy = math.floor(x), math.floor(baseline)
    pad_x, pad_y = math.ceil(-left / k) + 2, math.ceil(-top / k) + 2  # canvas pixels before the origin
    w, h = pad_x + math.ceil(right / k) + 3, pad_y + math.ceil(bottom / k) + 3
    canvas = Image.new("L", (w * k, h * k), 0)
    origin = ((pad_x + x - ix) * k, (pad_y + baseline - iy) * k)
    ImageDraw.Draw(canvas).text(origin, char, font=big, fill=255, anchor="ls")
    cover = np.asarray(canvas, np.float32).reshape(h, k, w, k).mean(axis=(1, 3))
    mask = Image.fromarray(np.clip(cover + 0.5, 0, 255).astype(np.uint8), "L")
    draw.bitmap((ix - pad_x, iy - pad_y), mask, fill=style.mrz_ink)


def _print_mrz(
    draw: ImageDraw.ImageDraw, lines: Sequence[str], style: PrintStyle, page_h: int, rng: np.random.Generator
) -> tuple[list[Quad], list[MRZChar], Quad]:
    dpi = style.dpi
    pitch = mm_to_px(style.mrz_pitch_mm, dpi)
    left = mm_to_px(style.mrz_left_mm, dpi)
    char_h = style.mrz_char_height_px()
    jitter = mm_to_px(style.jitter_mm, dpi)
    n = len(lines)
    line_quads: list[Quad] = []
    chars: list[MRZChar] = []
    xs0, ys0, xs1, ys1 = [], [], [], []
    for li, text in enumerate(lines):
        baseline = page_h - mm_to_px(style.mrz_bottom_mm + (n - 1 - li) * style.mrz_line_pitch_mm, dpi)
        offsets = np.clip(rng.normal(0.0, jitter, size=(len(text), 2)), -2.5 * jitter, 2.5 * jitter)
        for col, ch in enumerate(text):
            cx = left + col * pitch + float(offsets[col, 0])
            by = baseline + float(offsets[col, 1])
            print_mrz_glyph(draw, ch, cx, by, style)
            quad = rect_quad(cx, by - char_h, cx + pitch, by)
            chars.append(MRZChar(ch, li, col, quad))
            xs0.append(cx)
            xs1.append(cx + pitch)
            ys0.append(by - char_h)
            ys1.append(by)
        line_chars = chars[-len(text) :]
        lx0 = min(c.quad[0][0] for c in line_chars)
        lx1 = max(c.quad[1][0] for c in line_chars)
        ly0 = min(c.quad[0][1] for c in line_chars)
        ly1 = max(c.quad[2][1] for c in line_chars)
        line_quads.append(rect_quad(lx0, ly0, lx1, ly1))
    return line_quads, chars, rect_quad(min(xs0), min(ys0), max(xs1), max(ys1))


# --- the page --------------------------------------------------------------------------------------


def render_document(
    data: MRZData,
    rng: np.random.Generator,
    *,
    dpi: int = 300,
    reference_date: dt.date = dt.date(2026, 1, 1),
    seed: int = 0,
    mrz_font: Path | None = None,
    specimen_mark: bool = True,
) -> RenderedDocument:
    """Render the data page of ``data`` at ``dpi``: guilloche background, header with an invented state
    name, portrait in zone V, labelled visual-zone fields, and the MRZ in OCR-B at the ICAO geometry.

    Deterministic given the state of ``rng``. ``seed`` is only recorded in the ground truth.
    ``mrz_font`` replaces OCR-B (the "non-OCR-B font" forgery); ``specimen_mark`` prints "SPECIMEN" in the
    header. Raises :class:`DependencyError` when OCR-B is not installed, ``ValueError`` for a format that
    has no page layout here (the French ID card).
    """
    if data.format not in GEOMETRY:
        raise ValueError(f"no page layout for format {data.format.value}")
    geo = GEOMETRY[data.format]
    style = draw_style(data.format, rng, dpi=dpi, mrz_font=mrz_font)
    lines = build_mrz(data)
    s = geo.scale
    W, H = round(mm_to_px(geo.width_mm, dpi)), round(mm_to_px(geo.height_mm, dpi))
    background = guilloche(H, W, rng, dpi)
    mask = _rounded_mask(H, W, mm_to_px(geo.corner_radius_mm, dpi))
    page = Image.fromarray(background.copy())
    draw = ImageDraw.Draw(page)

    # zone V: portrait
    mrz_top_mm = geo.height_mm - style.mrz_bottom_mm - (geo.line_count - 1) * geo.mrz_line_pitch_mm - 2.8
    ph_mm = float(rng.uniform(*geo.portrait_height_mm))
    pw_mm = float(rng.uniform(*geo.portrait_width_mm))
    room = mrz_top_mm - 2.0 * s - geo.header_mm
    ph_mm = min(ph_mm, room)
    px_mm = geo.mrz_left_mm + float(rng.uniform(-0.5, 1.0))
    py_mm = geo.header_mm + float(rng.uniform(0.1, 0.6)) * (room - ph_mm)
    p0x, p0y = round(mm_to_px(px_mm, dpi)), round(mm_to_px(py_mm, dpi))
    pw, ph = round(mm_to_px(pw_mm, dpi)), round(mm_to_px(ph_mm, dpi))
    page.paste(Image.fromarray(draw_portrait(pw, ph, rng)), (p0x, p0y))
    portrait_quad = rect_quad(p0x, p0y, p0x + pw, p0y + ph)

    # zone I: header
    state_name = FICTITIOUS_STATES[int(rng.integers(0, len(FICTITIOUS_STATES)))]
    title = _TITLES.get(data.document_code[:1], "TRAVEL DOCUMENT")
    head_ink = _hsv_rgb(float(rng.uniform(0, 1)), float(rng.uniform(0.4, 0.8)), float(rng.uniform(0.3, 0.5)))
    hx0 = p0x + pw
    hcx = (hx0 + W) / 2
    big = _fit_font(state_name, True, mm_to_px(3.6 * s, dpi), (W - hx0) * 0.92)
    draw.text((hcx, mm_to_px(geo.header_mm * 0.45, dpi)), state_name, font=big, fill=head_ink, anchor="ms")
    small = _sans(False, round(mm_to_px(2.4 * s, dpi), 1))
    draw.text((hcx, mm_to_px(geo.header_mm * 0.85, dpi)), title, font=small, fill=head_ink, anchor="ms")
    if specimen_mark:
        mark = _sans(True, round(mm_to_px(1.8 * s, dpi), 1))
        draw.text(
            (W - mm_to_px(3.0, dpi), mm_to_px(geo.header_mm * 0.85, dpi)),
            "SPECIMEN",
            font=mark,
            fill=(190, 40, 40),
            anchor="rs",
        )
    draw.text(
        (mm_to_px(geo.mrz_left_mm, dpi), mm_to_px(geo.header_mm * 0.85, dpi)),
        data.issuing_state,
        font=small,
        fill=head_ink,
        anchor="ls",
    )

    # zones II/III: labelled fields, right of the portrait
    values = viz_values(data, reference_date)
    names = ["surname", "given_names", "nationality", "birth_date", "sex", "expiry_date", "document_number"]
    if rng.random() < 0.5:
        names.append("issuing_state")
    names = [n for n in names if values[n]]
    bilingual = rng.random() < 0.5
    fx0 = p0x + pw + mm_to_px(float(rng.uniform(3.0, 5.0)) * s, dpi)
    fx1 = W - mm_to_px(3.0 * s, dpi)
    fy0 = mm_to_px(geo.header_mm + 1.0 * s, dpi)
    fy1 = mm_to_px(mrz_top_mm - 1.5 * s, dpi)
    full = [n for n in names if n in ("surname", "given_names")]
    pairs = [n for n in names if n not in full]
    rows: list[list[str]] = [[n] for n in full] + [pairs[i : i + 2] for i in range(0, len(pairs), 2)]
    label_em, value_em = mm_to_px(1.7 * s, dpi), mm_to_px(2.9 * s, dpi)
    row_h = min((fy1 - fy0) / len(rows), mm_to_px(7.2 * s, dpi))
    col_w = (fx1 - fx0) / 2
    fields: list[VizField] = []
    for r, row in enumerate(rows):
        y = fy0 + r * row_h
        for c, name in enumerate(row):
            x = fx0 + c * col_w
            width = (fx1 - fx0 if len(row) == 1 and name in full else col_w) - mm_to_px(1.0, dpi)
            label = _LABELS[name][1 if bilingual else 0]
            lfont = _fit_font(label, False, label_em, width)
            vfont = _fit_font(values[name], True, value_em, width)
            ly = y + label_em * 0.8
            vy = ly + value_em * 1.05
            draw.text((x, ly), label, font=lfont, fill=style.label_ink, anchor="ls")
            draw.text((x, vy), values[name], font=vfont, fill=style.text_ink, anchor="ls")
            fields.append(
                VizField(
                    name,
                    label,
                    values[name],
                    _text_quad(draw, (x, ly), label, lfont),
                    _text_quad(draw, (x, vy), values[name], vfont),
                )
            )

    # zone VII: MRZ
    line_quads, chars, mrz_quad = _print_mrz(draw, lines, style, H, rng)
    image: Image8 = np.asarray(page, dtype=np.uint8).copy()
    truth = GroundTruth(
        format=data.format.value,
        seed=seed,
        dpi=dpi,
        reference_date=reference_date.isoformat(),
        image_size=(W, H),
        mrz_lines=tuple(lines),
        mrz_data=mrz_data_params(data),
        state_name=state_name,
        document_quad=rect_quad(0.0, 0.0, float(W), float(H)),
        mrz_quad=mrz_quad,
        mrz_line_quads=tuple(line_quads),
        mrz_chars=tuple(chars),
        portrait_quad=portrait_quad,
        viz_fields=tuple(fields),
        print_params=style.to_params(),
        document_to_image=_IDENTITY,
    )
    return RenderedDocument(image, mask, background, truth, style)


def mrz_data_params(data: MRZData) -> Params:
    """The fields of ``data`` as :data:`Params` (the format by its value)."""
    out: dict[str, ParamValue] = {}
    for f in dataclasses.fields(data):
        v = getattr(data, f.name)
        out[f.name] = v.value if isinstance(v, MRZFormat) else v
    return tuple(sorted(out.items()))


def mrz_data_from_params(p: Params) -> MRZData:
    """The inverse of :func:`mrz_data_params`."""
    d = {k: str(v) for k, v in p}
    fmt = MRZFormat(d.pop("format"))
    return MRZData(fmt, **d)


__all__ = [
    "FICTITIOUS_STATES",
    "GENERATOR_REVISION",
    "GEOMETRY",
    "GLYPH_SUPERSAMPLE",
    "GROUND_TRUTH_VERSION",
    "MRZ_PITCH_MM",
    "OCRB_PATH",
    "RENDERABLE_FORMATS",
    "CaptureRecord",
    "FontMetrics",
    "ForgeryRecord",
    "FormatGeometry",
    "GroundTruth",
    "MRZChar",
    "PrintStyle",
    "Quad",
    "RenderedDocument",
    "VizField",
    "draw_portrait",
    "draw_style",
    "font_metrics",
    "guilloche",
    "mm_to_px",
    "ocrb_font_path",
    "params",
    "print_mrz_glyph",
    "rect_quad",
    "render_document",
    "transform_quads",
    "viz_date",
    "viz_values",
]
