"""The only place that knows the order of the stages: load → locate and read the MRZ → validate → MRZ
print conformity → security regions (portrait, reprint models) → optional visual-zone cross-check →
decide. :func:`decide_verdict` and :func:`tamper_score` are the one place that turns findings and model
scores into the verdict and the score.

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
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from docverify._version import __version__
from docverify.config import Limits, reference_day
from docverify.errors import DependencyError
from docverify.io import Page, load_pages
from docverify.mrz.conformity import check_print
from docverify.mrz.image import ImageReading, ImageScan, reads_mirrored, scan_image
from docverify.mrz.locate import MRZLine
from docverify.mrz.recognizer import MRZRecognizer
from docverify.mrz.repair import RepairConfig
from docverify.ocr import OCRBackend
from docverify.regions import reading_frame
from docverify.results import (
    CUT_OFF,
    TIME_LIMIT,
    UNJUDGED_ERRORS,
    UNRELIABLE,
    Category,
    Finding,
    MRZFormat,
    MRZResult,
    Report,
    Severity,
    Verdict,
)
from docverify.tamper import RegionScore, score_regions

STAGE = "pipeline"
MIRRORED = "image.mirrored"
"""Finding code (info) of an image read left–right mirrored: its boxes are mapped back to the image as given."""
EDGE_PITCHES = 0.5
"""A line whose text ends closer to the image's edge than this many character pitches may go on beyond it
(ICAO 9303 leaves a margin around the MRZ; a crop to the MRZ alone usually keeps most of a character)."""


@dataclass(frozen=True, slots=True)
class VerifierConfig:
    """Settings of a :class:`Verifier`. ``reference_date`` (default: today) decides expiry."""

    reference_date: dt.date | None = None
    limits: Limits = field(default_factory=Limits)
    repair: RepairConfig = field(default_factory=RepairConfig)
    check_regions: bool = True
    """Score the portrait zone and the visual zone's print with the region models (about 10 ms)."""
    region_warnings: bool = False
    """Report a region model's score above its threshold as a warning (it then drives the verdict). Off by
    default: the models are trained on synthetic documents only and flag 6 of 43 real specimens at the
    threshold calibrated on generated captures (benchmarks/RESULTS.md), so their cues are info findings
    that count only in ``score``."""
    mrz_only: bool = False
    """Locate, read and validate the MRZ only (integrity, validity and quality findings): no forgery cues
    (print conformity, region models, visual zone), for a caller that only needs the MRZ's data fast, e.g.
    to fill in a form. The verdict then rests on the MRZ's rules and check digits alone; the report's
    ``engine.checks`` says which stages ran."""
    cross_check_viz: bool = False
    """Compare the MRZ with the printed visual zone (names, document number, dates)."""
    viz_reader: Literal["model", "tesseract"] = "model"
    """What reads the visual zone: ``model`` (docverify's line recognizer, :mod:`docverify.viz_reader`) or
    ``tesseract`` (slower, about 0.3–0.6 s a document, and weaker on phone photos)."""

    def __post_init__(self) -> None:
        """Checks every setting's type (a wrong one would fail only later, on every document), and takes a
        ``datetime`` reference date as its day."""
        object.__setattr__(self, "reference_date", reference_day(self.reference_date))
        for name, kind in (("limits", Limits), ("repair", RepairConfig)):
            value = getattr(self, name)
            if not isinstance(value, kind):
                raise TypeError(f"VerifierConfig.{name} must be a {kind.__name__}, not {type(value).__name__}")
        for name in ("check_regions", "region_warnings", "mrz_only", "cross_check_viz"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"VerifierConfig.{name} must be True or False, not {getattr(self, name)!r}")
        if self.viz_reader not in ("model", "tesseract"):
            raise ValueError(f"viz_reader must be 'model' or 'tesseract', not {self.viz_reader!r}")


def decide_verdict(mrz: MRZResult | None, findings: Iterable[Finding]) -> Verdict:
    """``inconclusive`` without a readable MRZ, when the time limit stopped the search before a valid
    reading (finding ``image.time_limit``), when an MRZ that is not valid runs off the image (finding
    ``image.mrz.cut_off``: what was read may be incomplete, so its errors prove nothing) or when the reading's
    errors may all be misreadings (finding ``mrz.read.unreliable``: on characters the recognizer was unsure of,
    ambiguous repairs only, or a garbled reading; they prove nothing either) and no forgery cue warns — with
    one, ``review`` (an MRZ not printed in OCR-B is read with doubt: ``print.mrz.font``); ``fail`` on any other
    error (a broken check digit read clearly, of an MRZ clear of the image's edge, always fails); ``review`` on
    any warning; else ``pass``."""
    findings = tuple(findings)
    if mrz is None or any(f.code in (TIME_LIMIT, CUT_OFF) for f in findings):
        return Verdict.INCONCLUSIVE
    if any(f.code == UNRELIABLE for f in findings):
        cue = any(f.category is Category.AUTHENTICITY and f.severity.rank >= Severity.WARNING.rank for f in findings)
        return Verdict.REVIEW if cue else Verdict.INCONCLUSIVE
    worst = max((f.severity.rank for f in findings), default=-1)
    if worst >= Severity.ERROR.rank:
        return Verdict.FAIL
    if worst >= Severity.WARNING.rank:
        return Verdict.REVIEW
    return Verdict.PASS


SCORE_FLOOR = {Severity.WARNING: 0.5, Severity.ERROR: 0.9}
"""The least tampering score an integrity or authenticity finding of this severity implies."""


def tamper_score(findings: Iterable[Finding], scores: Iterable[RegionScore] = ()) -> float:
    """The report's ``score`` (0–1, likelihood of tampering): the strongest cue. A region model counts with
    its calibrated score (0.5 at the threshold that gives its stated false-alarm rate); an integrity or
    authenticity finding with at least :data:`SCORE_FLOOR` of its severity. A score of 0.5 or more always
    comes with a finding that explains it (a warning, or an info for a region model's advisory cue).
    Validity (expiry, specimen) and quality findings do not count: they are not forgery cues; nor do
    integrity findings of an MRZ cut off by the image's edge (``image.mrz.cut_off``) or of a reading whose
    errors may all be misreadings (``mrz.read.unreliable``)."""
    findings = tuple(findings)
    counted = (
        (Category.AUTHENTICITY,)
        if any(f.code in UNJUDGED_ERRORS for f in findings)
        else (Category.INTEGRITY, Category.AUTHENTICITY)
    )
    out = max((s.score for s in scores), default=0.0)
    for f in findings:
        if f.category in counted:
            out = max(out, SCORE_FLOOR.get(f.severity, 0.0))
    return round(out, 4)


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
    """The provenance recorded in every report: what is needed to reproduce its decision, as key/value pairs;
    ``models`` and ``limits`` are pairs too (objects in the JSON form), ``checks`` a tuple (a list there)."""
    from docverify.mrz.recognizer import model_hashes  # noqa: PLC0415

    limits = tuple((f.name, getattr(config.limits, f.name)) for f in dataclasses.fields(config.limits))
    checks = checks_run(config)
    return (  # immutable all through (objects as tuples of pairs): a report's provenance cannot be changed
        ("docverify", __version__),
        ("ocr", ocr.name),
        ("models", tuple(model_hashes().items())),
        ("reference_date", reference.isoformat()),
        ("limits", limits),
        ("checks", checks),
        *([("viz_reader", config.viz_reader)] if "viz" in checks else []),
    )


def checks_run(config: VerifierConfig) -> tuple[str, ...]:
    """The checking stages ``config`` runs on a document whose MRZ is read: ``mrz`` (reading, check digits,
    rules), ``print`` (MRZ print conformity), ``regions`` (portrait and reprint models), ``viz`` (the visual
    zone cross-check)."""
    if config.mrz_only:
        return ("mrz",)
    return ("mrz", "print", *["regions"] * config.check_regions, *["viz"] * config.cross_check_viz)


class Verifier:
    """Checks document images. Reusable and thread-safe: it holds only immutable settings and an OCR
    backend that is itself safe to share; models are loaded once per process, on first use."""

    def __init__(self, *, ocr: OCRBackend | None = None, config: VerifierConfig | None = None) -> None:
        if config is not None and not isinstance(config, VerifierConfig):
            raise TypeError(f"config must be a VerifierConfig, not {type(config).__name__}")
        if ocr is not None and not all(hasattr(ocr, a) for a in ("name", "cell_aligned", "read_lines")):
            raise TypeError(
                f"ocr must be an OCR backend (MRZRecognizer(), TesseractBackend()), not {type(ocr).__name__}"
            )
        self._ocr: OCRBackend = MRZRecognizer() if ocr is None else ocr
        self._config = config or VerifierConfig()

    @property
    def config(self) -> VerifierConfig:
        return self._config

    @property
    def ocr(self) -> OCRBackend:
        return self._ocr

    def verify(self, source: Source, *, name: str | None = None) -> Report:
        """The report of one document: its pages are read in order and the first page whose MRZ is read
        is judged (the first page when none is; the page on which the time limit,
        :attr:`Limits.max_seconds <docverify.config.Limits.max_seconds>`, was reached when it was reached
        first). ``name`` labels bytes and arrays in the report.

        Raises :class:`~docverify.errors.InputError` when the input cannot be loaded.
        """
        return self.verify_with_image(source, name=name)[0]

    def verify_with_image(self, source: Source, *, name: str | None = None) -> tuple[Report, npt.NDArray[np.uint8]]:
        """:meth:`verify`, and the judged page as an H×W×3 RGB uint8 array (upright as loaded, EXIF
        applied) in whose pixel space the report's polygons lie, e.g. to annotate it."""
        t0 = time.perf_counter()
        pages = load_pages(source, limits=self._config.limits, name=name)
        load_ms = (time.perf_counter() - t0) * 1000 / max(len(pages), 1)
        deadline = time.monotonic() + self._config.limits.max_seconds
        first: tuple[Report, npt.NDArray[np.uint8]] | None = None
        for page in pages:
            report = self.verify_page(page, load_ms=load_ms, deadline=deadline)
            if report.mrz is not None or _timed_out(report):
                return report, page.image
            first = first or (report, page.image)
        assert first is not None  # load_pages returns at least one page or raises
        return first

    def verify_pages(self, source: Source, *, name: str | None = None) -> list[Report]:
        """One report per page of ``source`` (every page judged on its own, within one time limit)."""
        t0 = time.perf_counter()
        pages = load_pages(source, limits=self._config.limits, name=name)
        load_ms = (time.perf_counter() - t0) * 1000 / max(len(pages), 1)
        deadline = time.monotonic() + self._config.limits.max_seconds
        return [self.verify_page(page, load_ms=load_ms, deadline=deadline) for page in pages]

    def verify_page(self, page: Page, *, load_ms: float = 0.0, deadline: float | None = None) -> Report:
        """The report for one loaded page. ``deadline`` (a :func:`time.monotonic` time; default: now plus
        ``Limits.max_seconds``) stops the search for the MRZ: see :func:`~docverify.mrz.image.scan_image`."""
        t0 = time.perf_counter()
        reference = self._config.reference_date or dt.date.today()
        limit = self._config.limits.max_seconds
        until = time.monotonic() + limit if deadline is None else deadline
        scan = scan_image(page.image, self._ocr, reference_date=reference, config=self._config.repair, deadline=until)
        image, mirrored = page.image, False
        first = scan.reading
        if _maybe_mirrored(scan) and first and reads_mirrored(first, self._ocr, reference, self._config.repair):
            flipped = np.ascontiguousarray(page.image[:, ::-1])
            again = scan_image(flipped, self._ocr, reference_date=reference, config=self._config.repair, deadline=until)
            if again.reading is not None and again.reading.result.valid and not again.timed_out:
                scan, image, mirrored = again, flipped, True
        reading = scan.reading
        t1 = time.perf_counter()
        findings: tuple[Finding, ...]
        mrz = None if reading is None else reading.result
        polygon: tuple[tuple[float, float], ...] = () if reading is None else reading.location.polygon
        if scan.timed_out:
            findings = (_time_limit_finding(limit, read=reading is not None),)
            if reading is not None:
                findings = (*_with_boxes(reading.result.findings, reading), *findings)
        elif reading is None:
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
            findings = _with_boxes(reading.result.findings, reading)
            if _cut_off(reading, page.width, page.height):
                findings = (*findings, _cut_off_finding(reading))
        # the stages after reading: the ones checks_run names, on a reading the time limit left whole
        stages = checks_run(self._config) if reading is not None and not scan.timed_out else ()
        print_ms = regions_ms = viz_ms = 0.0  # a stage that does not run takes no time
        scores: tuple[RegionScore, ...] = ()
        if reading is not None:
            if "print" in stages:
                t_stage = time.perf_counter()
                valid = reading.result.valid
                print_findings = check_print(
                    reading.crops,
                    reading.result.lines,
                    reading.centres,
                    valid=valid or _misread_only(findings),
                    typeface_only=not valid,
                )
                findings = (*findings, *print_findings)
                print_ms = (time.perf_counter() - t_stage) * 1000
            if "regions" in stages:
                t_stage = time.perf_counter()
                frame = reading_frame(reading)
                severity = Severity.WARNING if self._config.region_warnings else Severity.INFO
                scores, region_findings = score_regions(image, frame, severity=severity)
                findings = (*findings, *region_findings)
                regions_ms = (time.perf_counter() - t_stage) * 1000
            if "viz" in stages:
                t_stage = time.perf_counter()
                viz_findings = _viz_findings(
                    image, reading, self._config.viz_reader, unreliable=any(f.code == UNRELIABLE for f in findings)
                )
                findings = (*findings, *_with_boxes(viz_findings, reading))
                viz_ms = (time.perf_counter() - t_stage) * 1000
        h, w = page.image.shape[:2]
        if mirrored:  # the boxes back into the image as given
            findings = (*(dataclasses.replace(f, box=_flip_x(f.box, w)) for f in findings), _mirrored_finding())
            polygon = _flip_x(polygon, w)
        verdict = decide_verdict(mrz, findings)
        total = load_ms + (time.perf_counter() - t0) * 1000
        return Report(
            source=page.source,
            page=page.index,
            verdict=verdict,
            score=tamper_score(findings, scores),
            mrz=mrz,
            mrz_polygon=polygon,
            findings=findings,
            timings_ms=(
                ("load", load_ms),
                ("mrz", (t1 - t0) * 1000),
                ("print", print_ms),
                ("regions", regions_ms),
                ("viz", viz_ms),
                ("total", total),
            ),
            image_size=(w, h),
            pages_total=page.pages_total,
            engine=engine_info(self._ocr, self._config, reference),
        )


def _viz_findings(
    image: npt.NDArray[np.uint8], reading: ImageReading, reader: str, *, unreliable: bool
) -> tuple[Finding, ...]:
    """The MRZ ↔ visual-zone findings; an info finding instead when tesseract cannot run, or when the reading
    is ``unreliable`` (``mrz.read.unreliable``: its values may be misread, and a misread name is not what the
    visual zone prints). (The opt-in stage's modules load on its first use, not at every start.)"""
    from docverify.viz import STAGE as VIZ_STAGE  # noqa: PLC0415
    from docverify.viz import cross_check, cross_check_lines  # noqa: PLC0415

    def not_compared(why: str) -> tuple[Finding, ...]:
        message = f"The printed visual zone was not compared with the MRZ: {why}."
        return (Finding("viz.not_compared", Severity.INFO, Category.AUTHENTICITY, message, VIZ_STAGE),)

    if unreliable:
        return not_compared("the MRZ's reading may be a misreading, so its values may not be what is printed")
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    try:
        if reader == "model":
            return cross_check_lines(gray, reading.result, reading.location)
        return cross_check(gray, reading.result, reading.location)
    except DependencyError as exc:
        return not_compared(str(exc))


def _time_limit_finding(limit: float, *, read: bool) -> Finding:
    what = "no valid reading of the machine readable zone was found" if read else "no machine readable zone was read"
    return Finding(
        TIME_LIMIT,
        Severity.WARNING,
        Category.QUALITY,
        f"Reading stopped at the time limit of {limit:g} seconds per document before every place and reading "
        f"was tried; {what} by then, so the document could not be judged. Try again with a longer limit or "
        "a cleaner image.",
        STAGE,
        evidence=(("max_seconds", limit),),
    )


SHORTENED = "mrz.document_code.td2_passport"
"""A passport code in the 2 × 36 layout: what a 2 × 44 passport MRZ cut after 36 characters reads as (its
check digits for the number and dates all lie within the first 28; the composite holds by chance)."""


def _maybe_mirrored(scan: ImageScan) -> bool:
    """Whether an image may show the MRZ mirrored (a camera that mirrors its frames, a wrong EXIF
    orientation): a reading made in time that is not valid and whose errors may all be misreadings — OCR-B
    read backwards is read with doubt. Only then are its lines read mirrored (:func:`reads_mirrored`), and only
    when they read as valid is the whole image searched again mirrored (about 0.2 s)."""
    if scan.timed_out or scan.reading is None or scan.reading.result.valid:
        return False
    return any(f.code == UNRELIABLE for f in scan.reading.result.findings)


def _flip_x(points: tuple[tuple[float, float], ...], width: int) -> tuple[tuple[float, float], ...]:
    """Points of the left–right mirrored image in the image as given (pixel coordinates, x right)."""
    return tuple((width - x, y) for x, y in points)


def _mirrored_finding() -> Finding:
    return Finding(
        MIRRORED,
        Severity.INFO,
        Category.QUALITY,
        "The image is mirrored left to right (a camera that mirrors its picture, or a wrong orientation in the "
        "file); the MRZ was read from the image flipped back. Boxes are drawn on the image as given.",
        STAGE,
    )


def _misread_only(findings: Iterable[Finding]) -> bool:
    """Whether the reading's errors may all be misreadings (``mrz.read.unreliable``) of an MRZ the image does not
    cut off: its typeface is still judged. An MRZ printed in another typeface is read with doubt, so its check
    digits fail on doubtful characters, and its glyphs still show the typeface (on the calibration split the font
    cue warned on 122 of the 123 wrong-font MRZs read so and not on the one genuine capture read so; on the
    real specimens changed as a capture changes them, on none of eleven such readings of genuine MRZs and on both
    captures of the one mock-up whose MRZ is not printed in OCR-B, ``77_card-cmw``)."""
    codes = {f.code for f in findings}
    return UNRELIABLE in codes and CUT_OFF not in codes


def _cut_off(reading: ImageReading, width: int, height: int) -> bool:
    """Whether the image may cut the MRZ short: a reading that is not valid with a line reaching the image's edge
    (:func:`_runs_off_image`), or a valid reading in a 2 × 36 layout whose lines' ends reach it — a passport
    (``mrz.document_code.td2_passport``) or a visa (MRV-B) in 2 × 36 is what a 2 × 44 passport or visa (MRV-A)
    line cut after 36 characters reads as (their check digits lie within the first 28)."""
    result = reading.result
    if not result.valid:
        return _runs_off_image(reading, width, height)
    if result.format is MRZFormat.MRVB or any(f.code == SHORTENED for f in result.findings):
        return _runs_off_image(reading, width, height, ends_only=True)
    return False


def _runs_off_image(reading: ImageReading, width: int, height: int, *, ends_only: bool = False) -> bool:
    """Whether a line of the MRZ reaches the image's edge: one of its ends, carried on by
    :data:`EDGE_PITCHES` character pitches along the line, or a corner of its box lies outside the image
    (pixel centres 0 … width − 1, 0 … height − 1; original-image pixels). ``ends_only``: only the end of
    each line (in reading order), carried on so, counts."""
    for line, text in zip(reading.location.lines, reading.result.lines, strict=False):
        reach = line.length / 2 + EDGE_PITCHES * line.length / max(len(text), 1)
        ends = line.segment(-reach, reach, 0.0)[:2]  # the middle of the line, carried on at both ends
        points = (ends[1],) if ends_only else (*ends, *line.corners())
        for x, y in points:
            if not (-0.5 <= x <= width - 0.5 and -0.5 <= y <= height - 0.5):
                return True
    return False


def _cut_off_finding(reading: ImageReading) -> Finding:
    return Finding(
        CUT_OFF,
        Severity.WARNING,
        Category.QUALITY,
        "The machine readable zone runs to the edge of the image and what was read does not hold together (it is "
        "not valid, or it is a passport or a visa in the 2 × 36 layout, as a 2 × 44 line cut short reads): part of "
        "it may be cut off, so what was read may be incomplete and its errors prove nothing. Retake the image "
        "with the whole document in it.",
        STAGE,
        box=reading.location.polygon,
    )


def _timed_out(report: Report) -> bool:
    return any(f.code == TIME_LIMIT for f in report.findings)


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

            verifier = Verifier(ocr=MRZRecognizer() if ocr == "model" else TesseractBackend(), config=config)
            if len(_default_verifiers) > 32:
                _default_verifiers.clear()
            _default_verifiers[(ocr, config)] = verifier
    return verifier.verify(source, name=name)
