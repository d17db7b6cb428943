"""The only place that knows the order of the stages: load → locate and read the MRZ → validate →
decide. :func:`decide_verdict` is the one place that turns findings into a verdict.

>>> verifier = Verifier()                                    # doctest: +SKIP
>>> [report] = verifier.verify("samples/images/td3_flatbed.jpg")  # doctest: +SKIP
>>> report.verdict.value                                     # doctest: +SKIP
'pass'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from docverify.config import Limits
from docverify.io import Page, load_pages
from docverify.mrz.image import ImageReading, read_mrz_image
from docverify.mrz.locate import MRZLine
from docverify.mrz.recognizer import CellRecognizer
from docverify.mrz.repair import RepairConfig
from docverify.ocr import OCRBackend
from docverify.results import Category, Finding, MRZResult, Report, Severity, Verdict

STAGE = "pipeline"


@dataclass(frozen=True, slots=True)
class VerifierConfig:
    """Settings of a :class:`Verifier`. ``reference_date`` (default: today) decides expiry."""

    reference_date: dt.date | None = None
    limits: Limits = field(default_factory=Limits)
    repair: RepairConfig = field(default_factory=RepairConfig)


def decide_verdict(mrz: MRZResult | None, findings: Iterable[Finding]) -> Verdict:
    """``inconclusive`` without a readable MRZ; ``fail`` on any error (a broken check digit always
    fails); ``review`` on any warning; else ``pass``."""
    if mrz is None:
        return Verdict.INCONCLUSIVE
    worst = max((f.severity.rank for f in findings), default=-1)
    if worst >= Severity.ERROR.rank:
        return Verdict.FAIL
    if worst >= Severity.WARNING.rank:
        return Verdict.REVIEW
    return Verdict.PASS


def _span_polygon(line: MRZLine, start: int, end: int, count: int) -> tuple[tuple[float, float], ...]:
    """The image polygon around characters ``start``..``end`` (exclusive) of an MRZ line of ``count``."""
    pitch = line.length / (count - 0.3)
    x0 = -line.length / 2 + start * pitch - 0.1 * pitch
    x1 = -line.length / 2 + (end - 1) * pitch + 0.8 * pitch
    return line.segment(x0, x1, line.height * 0.65)


def _with_boxes(findings: Iterable[Finding], reading: ImageReading) -> tuple[Finding, ...]:
    """MRZ findings with their characters' polygon on the image."""
    lines = reading.location.lines
    count = len(reading.result.lines[0])
    out = []
    for finding in findings:
        s = finding.spans[0] if finding.spans else None
        if s is not None and not finding.box and s.line < len(lines):
            out.append(dataclasses.replace(finding, box=_span_polygon(lines[s.line], s.start, s.end, count)))
        else:
            out.append(finding)
    return tuple(out)


class Verifier:
    """Checks document images. Reusable and thread-safe: it holds only immutable settings and an OCR
    backend that is itself safe to share."""

    def __init__(self, *, ocr: OCRBackend | None = None, config: VerifierConfig | None = None) -> None:
        self._ocr: OCRBackend = CellRecognizer() if ocr is None else ocr
        self._config = config or VerifierConfig()

    @property
    def config(self) -> VerifierConfig:
        return self._config

    def verify(
        self, source: str | os.PathLike[str] | bytes | npt.NDArray[np.generic], *, name: str | None = None
    ) -> list[Report]:
        """One report per page of ``source`` (a path, the bytes of a file, or an H×W×3 RGB array).

        Raises :class:`~docverify.errors.InputError` when the input cannot be loaded.
        """
        t0 = time.perf_counter()
        pages = load_pages(source, limits=self._config.limits, name=name)
        load_ms = (time.perf_counter() - t0) * 1000 / max(len(pages), 1)
        return [self.verify_page(page, load_ms=load_ms) for page in pages]

    def verify_page(self, page: Page, *, load_ms: float = 0.0) -> Report:
        """The report for one loaded page."""
        t0 = time.perf_counter()
        reference = self._config.reference_date or dt.date.today()
        reading = read_mrz_image(page.image, self._ocr, reference_date=reference, config=self._config.repair)
        t1 = time.perf_counter()
        findings: tuple[Finding, ...]
        if reading is None:
            mrz = None
            polygon: tuple[tuple[float, float], ...] = ()
            findings = (
                Finding(
                    "image.mrz.not_found",
                    Severity.WARNING,
                    Category.QUALITY,
                    "No machine readable zone could be found or read in this image; nothing was checked. "
                    "Retake the image: the whole document, in focus, without glare on the MRZ.",
                    STAGE,
                ),
            )
        else:
            mrz = reading.result
            polygon = reading.location.polygon
            findings = _with_boxes(mrz.findings, reading)
        verdict = decide_verdict(mrz, findings)
        total = load_ms + (time.perf_counter() - t0) * 1000
        h, w = page.image.shape[:2]
        source = page.source if page.pages_total == 1 else f"{page.source}#page={page.index + 1}"
        return Report(
            source=source,
            page=page.index,
            verdict=verdict,
            score=0.0,
            mrz=mrz,
            mrz_polygon=polygon,
            findings=findings,
            timings_ms=(("load", load_ms), ("mrz", (t1 - t0) * 1000), ("total", total)),
            image_size=(w, h),
        )
