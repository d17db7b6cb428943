"""OCR engines behind one interface. Tesseract (through pytesseract) is the first; a trained recognizer
plugs in through the same :class:`OCRBackend` protocol.

Input: upright line crops, H×W uint8 gray, dark text on light, characters about 32 px tall.
Output: per line, the glyphs read with their horizontal extent in crop pixels, so that the caller can
place each glyph in its MRZ character cell (OCR engines drop and invent characters; the fixed MRZ pitch
tells which cell a glyph belongs to).
"""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from docverify.errors import DependencyError
from docverify.mrz.locate import LineCrop
from docverify.mrz.spec import LABELS

log = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Glyph:
    """One character read: ``char`` spanning ``x0``..``x1`` (crop pixels); ``alternatives`` when known."""

    char: str
    x0: float
    x1: float
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


class OCRBackend(Protocol):
    """Reads MRZ line crops. Implementations are immutable and safe to share between threads."""

    @property
    def name(self) -> str:
        """A short engine name, recorded in reports."""
        ...

    @property
    def cell_aligned(self) -> bool:
        """True for readers of fixed-pitch cells: they need ``count`` and return one glyph per cell."""
        ...

    def read_lines(self, crops: Sequence[LineCrop], count: int | None = None) -> list[list[Glyph]]:
        """The glyphs of each crop, left to right (one per cell when ``cell_aligned``)."""
        ...


def _whiten(crop: Image) -> Image:
    """Stretch a crop's contrast so its background is white and its ink black (percentiles 1 / 60)."""
    lo, hi = np.percentile(crop, (1, 60))
    if hi - lo < 10:
        return crop
    out = (crop.astype(np.float32) - lo) * (255.0 / (hi - lo))
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)


@functools.cache
def _tesseract_version() -> str:
    import pytesseract  # noqa: PLC0415 - imported on first use, not at import time

    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise DependencyError(
            "tesseract is not installed: install the Debian package tesseract-ocr (scripts/setup.sh does it)"
        )
    return str(pytesseract.get_tesseract_version())


@dataclass(frozen=True, slots=True)
class TesseractBackend:
    """Tesseract's LSTM engine restricted to the MRZ alphabet, dictionaries off, one line per call."""

    lang: str = "eng"
    timeout: float = 20.0
    name: str = "tesseract"
    cell_aligned: bool = False

    def read_lines(self, crops: Sequence[LineCrop], count: int | None = None) -> list[list[Glyph]]:
        del count  # tesseract reads free text; the caller places glyphs in cells
        _tesseract_version()
        if not crops:
            return []
        # One single-line call per crop (page segmentation of a stacked sheet is slower and merges
        # lines); the calls run in parallel processes.
        with ThreadPoolExecutor(max_workers=min(len(crops), 3)) as pool:
            return list(pool.map(self._read_one, [c.image for c in crops]))

    def _read_one(self, crop: Image) -> list[Glyph]:
        import pytesseract  # noqa: PLC0415

        line = _whiten(crop)
        config = f"--psm 7 --oem 1 -c tessedit_char_whitelist={LABELS} -c load_system_dawg=0 -c load_freq_dawg=0"
        try:
            boxes = pytesseract.image_to_boxes(line, lang=self.lang, config=config, timeout=self.timeout)
        except RuntimeError as exc:  # pytesseract raises RuntimeError on timeout
            raise DependencyError(f"tesseract did not finish within {self.timeout:.0f} s") from exc
        except pytesseract.TesseractError as exc:
            raise DependencyError(f"tesseract failed: {exc.message}") from exc
        glyphs: list[Glyph] = []
        for row in boxes.splitlines():
            parts = row.split()
            if len(parts) < 5 or parts[0] not in LABELS:
                continue
            x0, _, x1, _ = (int(v) for v in parts[1:5])
            glyphs.append(Glyph(parts[0], float(x0), float(x1)))
        glyphs.sort(key=lambda g: g.x0)
        return glyphs
