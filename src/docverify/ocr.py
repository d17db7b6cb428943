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
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from docverify.errors import DependencyError

log = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
MRZ_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"


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

    name: str

    def read_lines(self, crops: Sequence[Image]) -> list[list[Glyph]]:
        """The glyphs of each crop, left to right."""
        ...


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
    """Tesseract's LSTM engine restricted to the MRZ alphabet, dictionaries off, one call per document.

    The line crops are stacked into one image (a process start costs more than the recognition).
    """

    lang: str = "eng"
    timeout: float = 20.0
    name: str = "tesseract"

    def read_lines(self, crops: Sequence[Image]) -> list[list[Glyph]]:
        import pytesseract  # noqa: PLC0415

        _tesseract_version()
        if not crops:
            return []
        gap = 16
        width = max(c.shape[1] for c in crops)
        rows: list[Image] = []
        bands: list[tuple[int, int]] = []
        y = 0
        for crop in crops:
            top = np.full((gap, width), 255, np.uint8)
            padded = np.full((crop.shape[0], width), 255, np.uint8)
            padded[:, : crop.shape[1]] = crop
            rows.extend([top, padded])
            y += gap
            bands.append((y, y + crop.shape[0]))
            y += crop.shape[0]
        rows.append(np.full((gap, width), 255, np.uint8))
        sheet = np.vstack(rows)
        height = sheet.shape[0]
        config = f"--psm 6 --oem 1 -c tessedit_char_whitelist={MRZ_ALPHABET} -c load_system_dawg=0 -c load_freq_dawg=0"
        try:
            boxes = pytesseract.image_to_boxes(sheet, lang=self.lang, config=config, timeout=self.timeout)
        except RuntimeError as exc:  # pytesseract raises RuntimeError on timeout
            raise DependencyError(f"tesseract did not finish within {self.timeout:.0f} s") from exc
        except pytesseract.TesseractError as exc:
            raise DependencyError(f"tesseract failed: {exc.message}") from exc
        out: list[list[Glyph]] = [[] for _ in crops]
        for row in boxes.splitlines():
            parts = row.split()
            if len(parts) < 5 or parts[0] not in MRZ_ALPHABET:
                continue
            x0, y0, x1, y1 = (int(v) for v in parts[1:5])
            cy = height - (y0 + y1) / 2  # tesseract counts y from the bottom
            for i, (top_y, bottom_y) in enumerate(bands):
                if top_y - gap / 2 <= cy < bottom_y + gap / 2:
                    out[i].append(Glyph(parts[0], float(x0), float(x1)))
                    break
        for glyphs in out:
            glyphs.sort(key=lambda g: g.x0)
        return out
