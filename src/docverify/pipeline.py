"""The only place that knows the order of the stages: load → locate and read the MRZ → validate →
decide. :func:`decide_verdict` is the one place that turns findings into a verdict.

>>> verifier = Verifier()                                    # doctest: +SKIP
>>> report = verifier.verify("samples/images/td3_flatbed.jpg")  # doctest: +SKIP
>>> report.verdict.value                                     # doctest: +SKIP
'pass'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from docverify._version import __version__
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


Source = str | os.PathLike[str] | bytes | npt.NDArray[np.generic]
"""What can be checked: a file path, the bytes of a file, or an H×W×3 RGB uint8 array."""


def engine_info(ocr: OCRBackend, config: VerifierConfig, reference: dt.date) -> tuple[tuple[str, Any], ...]:
    """The provenance recorded in every report: what is needed to reproduce its decision."""
    from docverify.mrz.recognizer import model_hashes  # noqa: PLC0415

    limits = {f.name: getattr(config.limits, f.name) for f in dataclasses.fields(config.limits)}
    return (
        ("docverify", __version__),
        ("ocr", ocr.name),
        ("models", model_hashes()),
        ("reference_date", reference.isoformat()),
        ("limits", limits),
    )


class Verifier:
    """Checks document images. Reusable and thread-safe: it holds only immutable settings and an OCR
    backend that is itself safe to share; models are loaded once per process, on first use."""

    def __init__(self, *, ocr: OCRBackend | None = None, config: VerifierConfig | None = None) -> None:
        self._ocr: OCRBackend = CellRecognizer() if ocr is None else ocr
        self._config = config or VerifierConfig()

    @property
    def config(self) -> VerifierConfig:
        return self._config

    @property
    def ocr(self) -> OCRBackend:
        return self._ocr

    def verify(self, source: Source, *, name: str | None = None) -> Report:
        """The report of one document: its pages are read in order and the first page whose MRZ is read
        is judged (the first page when none is). ``name`` labels bytes and arrays in the report.

        Raises :class:`~docverify.errors.InputError` when the input cannot be loaded.
        """
        return self.verify_with_image(source, name=name)[0]

    def verify_with_image(self, source: Source, *, name: str | None = None) -> tuple[Report, npt.NDArray[np.uint8]]:
        """:meth:`verify`, and the judged page as an H×W×3 RGB uint8 array (upright as loaded, EXIF
        applied) in whose pixel space the report's polygons lie, e.g. to annotate it."""
        t0 = time.perf_counter()
        pages = load_pages(source, limits=self._config.limits, name=name)
        load_ms = (time.perf_counter() - t0) * 1000 / max(len(pages), 1)
        first: tuple[Report, npt.NDArray[np.uint8]] | None = None
        for page in pages:
            report = self.verify_page(page, load_ms=load_ms)
            if report.mrz is not None:
                return report, page.image
            first = first or (report, page.image)
        assert first is not None  # load_pages returns at least one page or raises
        return first

    def verify_pages(self, source: Source, *, name: str | None = None) -> list[Report]:
        """One report per page of ``source`` (every page judged on its own)."""
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
            pages_total=page.pages_total,
            engine=engine_info(self._ocr, self._config, reference),
        )


_default_verifiers: dict[tuple[str, VerifierConfig], Verifier] = {}
_default_lock = threading.Lock()


def verify(
    source: Source,
    *,
    reference_date: dt.date | None = None,
    ocr: str = "model",
    limits: Limits | None = None,
    name: str | None = None,
) -> Report:
    """Check one document image (see :meth:`Verifier.verify`) with a shared, cached :class:`Verifier`.

    ``ocr`` is ``"model"`` (docverify's ONNX recognizer) or ``"tesseract"``.

    >>> import docverify                                                       # doctest: +SKIP
    >>> docverify.verify("passport.jpg", reference_date=dt.date(2026, 1, 1)).verdict  # doctest: +SKIP
    <Verdict.PASS: 'pass'>
    """
    if ocr not in ("model", "tesseract"):
        raise ValueError(f"ocr must be 'model' or 'tesseract', not {ocr!r}")
    config = VerifierConfig(reference_date=reference_date, limits=limits or Limits())
    with _default_lock:
        verifier = _default_verifiers.get((ocr, config))
        if verifier is None:
            from docverify.ocr import TesseractBackend  # noqa: PLC0415

            verifier = Verifier(ocr=CellRecognizer() if ocr == "model" else TesseractBackend(), config=config)
            if len(_default_verifiers) > 32:
                _default_verifiers.clear()
            _default_verifiers[(ocr, config)] = verifier
    return verifier.verify(source, name=name)
