"""Security-feature regions of the data page, found from the MRZ's geometry alone (no per-country template).

The MRZ's fixed character pitch (2.54 mm) gives the scale, its lines the orientation, and ICAO 9303 the
page size and the MRZ's place on the page (:data:`PAGES`); from these :func:`page_frame` maps page
millimetres to image pixels, and :meth:`PageFrame.warp` cuts any page region upright. The regions the
authenticity models look at (:data:`REGIONS`) are boxes in that frame, in millimetres at TD3 print size
relative to the MRZ's first character and top edge, scaled with the format's visual-zone print size:

- ``portrait``: zone V, left of the visual-zone text, above the MRZ (where 9303 puts the photo);
- ``background``: the visual zone right of the portrait (printed fields over the background print).

An affine frame ignores perspective: on a photo taken at an angle, regions far from the MRZ are off by a
few millimetres, which the boxes' margins absorb.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from docverify.mrz.locate import MRZLocation
from docverify.results import MRZFormat

if TYPE_CHECKING:
    from docverify.mrz.image import ImageReading


@dataclass(frozen=True, slots=True)
class PageSpec:
    """Size of a format's page and where its MRZ starts (mm, ICAO 9303); ``scale``: VIZ print size
    relative to TD3."""

    width_mm: float
    height_mm: float
    left_mm: float
    bottom_mm: float
    scale: float


PAGES: dict[MRZFormat, PageSpec] = {
    MRZFormat.TD3: PageSpec(125.0, 88.0, 6.0, 4.8, 1.0),
    MRZFormat.MRVA: PageSpec(120.0, 80.0, 4.0, 4.5, 0.91),
    MRZFormat.TD2: PageSpec(105.0, 74.0, 4.0, 4.5, 0.84),
    MRZFormat.MRVB: PageSpec(105.0, 74.0, 4.0, 4.5, 0.84),
    MRZFormat.FRA_ID: PageSpec(105.0, 74.0, 4.0, 4.5, 0.84),
    MRZFormat.TD1: PageSpec(85.6, 53.98, 5.0, 3.0, 0.61),
}


@dataclass(frozen=True, slots=True)
class Region:
    """A page region: ``box`` (x0, y0, x1, y1) in mm at TD3 print size, x from the MRZ's first
    character's left edge, y from the MRZ's top edge (negative: above it); cut at ``px_per_mm`` (TD3
    scale) into an image of ``size`` (width, height) pixels."""

    name: str
    box: tuple[float, float, float, float]
    px_per_mm: float

    @property
    def size(self) -> tuple[int, int]:
        x0, y0, x1, y1 = self.box
        return round((x1 - x0) * self.px_per_mm), round((y1 - y0) * self.px_per_mm)


REGIONS: dict[str, Region] = {
    "portrait": Region("portrait", (-4.0, -60.0, 38.0, -3.0), 8.0),
    "background": Region("background", (42.0, -44.0, 106.0, -4.0), 8.0),
    # two zones of the portrait's size beside it: the page the portrait is compared with
    "beside portrait": Region("beside portrait", (44.0, -60.0, 86.0, -3.0), 8.0),
    "far beside portrait": Region("far beside portrait", (80.0, -60.0, 122.0, -3.0), 8.0),
}


@dataclass(frozen=True, slots=True)
class PageFrame:
    """The data page in the image: page millimetres (origin at the page's top-left corner as 9303 places
    it from the MRZ, x right, y down) → original-image pixels (x right, y down), an affine map."""

    format: MRZFormat
    spec: PageSpec
    origin: tuple[float, float]
    """Image pixel of page point (0, 0)."""
    u: tuple[float, float]
    """Image pixels per page millimetre along the page's x axis."""
    v: tuple[float, float]
    """Image pixels per page millimetre along the page's y axis."""
    mrz_top_mm: float
    """Page y of the MRZ's top edge."""

    @property
    def px_per_mm(self) -> float:
        return float(np.hypot(*self.u))

    def to_image(self, x: float, y: float) -> tuple[float, float]:
        """Image pixel of page point (``x``, ``y``) mm."""
        return (
            self.origin[0] + self.u[0] * x + self.v[0] * y,
            self.origin[1] + self.u[1] * x + self.v[1] * y,
        )

    def region_mm(self, region: Region) -> tuple[float, float, float, float]:
        """``region``'s box in page millimetres."""
        s = self.spec.scale
        x0, y0, x1, y1 = region.box
        left, top = self.spec.left_mm, self.mrz_top_mm
        return left + x0 * s, top + y0 * s, left + x1 * s, top + y1 * s

    def polygon(self, box_mm: tuple[float, float, float, float]) -> tuple[tuple[float, float], ...]:
        """The four image corners (clockwise from top-left) of a page box in mm."""
        x0, y0, x1, y1 = box_mm
        return (self.to_image(x0, y0), self.to_image(x1, y0), self.to_image(x1, y1), self.to_image(x0, y1))

    def matrix(self, box_mm: tuple[float, float, float, float], size: tuple[int, int]) -> npt.NDArray[np.float64]:
        """The 3×3 perspective matrix from image pixels to an upright ``size`` (width, height) image of
        the page box ``box_mm``."""
        w, h = size
        src = np.array(self.polygon(box_mm), dtype=np.float32)
        dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
        return np.asarray(cv2.getPerspectiveTransform(src, dst), dtype=np.float64)

    def warp(self, image: npt.NDArray[np.uint8], region: Region) -> npt.NDArray[np.uint8]:
        """``region`` cut upright from ``image`` (H×W or H×W×3, any colour order, kept) at the region's
        resolution; parts outside the image repeat its border."""
        return self._warp(image, self.region_mm(region), region.size, region.px_per_mm / self.spec.scale)

    @property
    def page_mm(self) -> tuple[float, float, float, float]:
        """The whole page as a box in page millimetres."""
        return 0.0, 0.0, self.spec.width_mm, self.spec.height_mm

    def page_size(self, px_per_mm: float) -> tuple[int, int]:
        """(width, height) in pixels of the whole page cut at ``px_per_mm`` (true millimetres)."""
        return round(self.spec.width_mm * px_per_mm), round(self.spec.height_mm * px_per_mm)

    def warp_page(self, image: npt.NDArray[np.uint8], px_per_mm: float) -> npt.NDArray[np.uint8]:
        """The whole page cut upright from ``image`` (colour order kept) at ``px_per_mm`` (true
        millimetres, the same for every format); parts outside the image repeat its border."""
        return self._warp(image, self.page_mm, self.page_size(px_per_mm), px_per_mm)

    def _warp(
        self,
        image: npt.NDArray[np.uint8],
        box_mm: tuple[float, float, float, float],
        size: tuple[int, int],
        out_px_mm: float,
    ) -> npt.NDArray[np.uint8]:
        """The page box ``box_mm`` cut upright to ``size`` (width, height) pixels, ``out_px_mm`` of them per
        page millimetre (area averaging when that shrinks the image)."""
        m = self.matrix(box_mm, size)
        flags = cv2.INTER_AREA if self.px_per_mm > out_px_mm else cv2.INTER_LINEAR
        return np.asarray(cv2.warpPerspective(image, m, size, flags=flags, borderMode=cv2.BORDER_REPLICATE))

    def inside(self, box_mm: tuple[float, float, float, float], shape: tuple[int, ...]) -> float:
        """The share (0–1) of the page box ``box_mm`` that lies inside an image of ``shape``."""
        h, w = shape[:2]
        poly = np.array(self.polygon(box_mm), dtype=np.float32)
        area = float(cv2.contourArea(poly))
        if area <= 0:
            return 0.0
        clip = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
        inter, _ = cv2.intersectConvexConvex(poly, clip)
        return float(inter) / area


def page_frame(location: MRZLocation, fmt: MRZFormat, count: int) -> PageFrame:
    """The page frame of an MRZ of format ``fmt`` with ``count`` characters per line found at
    ``location`` (original-image pixels)."""
    spec = PAGES[fmt]
    first, last = location.lines[0], location.lines[-1]
    px_mm = first.length / ((count - 0.3) * 2.54)
    a = np.radians(first.angle)
    u = np.array([np.cos(a), np.sin(a)]) * px_mm
    v = np.array([-np.sin(a), np.cos(a)]) * px_mm
    centre = np.array(first.center)
    top_left = centre - u * (first.length / px_mm) / 2 - v * (first.height / px_mm) / 2
    band_mm = float(np.dot(np.array(last.center) - centre, v)) / px_mm**2 + (first.height + last.height) / 2 / px_mm
    mrz_top = spec.height_mm - spec.bottom_mm - band_mm
    origin = top_left - u * spec.left_mm - v * mrz_top
    return PageFrame(
        fmt,
        spec,
        (float(origin[0]), float(origin[1])),
        (float(u[0]), float(u[1])),
        (float(v[0]), float(v[1])),
        mrz_top,
    )


def reading_frame(reading: ImageReading) -> PageFrame:
    """The page frame of an MRZ read from an image (:func:`page_frame` of its location and format)."""
    return page_frame(reading.location, reading.result.format, len(reading.result.lines[0]))


__all__ = ["PAGES", "REGIONS", "PageFrame", "PageSpec", "Region", "page_frame", "reading_frame"]
