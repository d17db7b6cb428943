"""Security-region models: the portrait zone and the visual zone, cut from the page frame
(:mod:`docverify.regions`), scored by small ONNX models for a substituted portrait and a reprint.

Pure pre-processing (:func:`model_input`), one onnxruntime call per region, pure post-processing (logit →
score → finding). Each model's threshold is calibrated on genuine generated captures (see
:class:`Thresholds`); a score at or above it gives a finding with the region's box on the image: info by
default (advisory: the models are trained on synthetic documents only), a warning that drives the verdict
with ``VerifierConfig.region_warnings``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from docverify.regions import REGIONS, PageFrame
from docverify.results import Category, Finding, Severity

STAGE = "regions"


@dataclass(frozen=True, slots=True)
class RegionModel:
    """A shipped region model: ONNX ``file`` (registry name = key of :data:`MODELS`), the
    :data:`~docverify.regions.REGIONS` entry it reads, the finding ``code`` of its cue and what the cue
    says (one sentence, no final stop); and the ``references``: regions of the same size on the same page
    the model also scores, whose highest logit is taken off the region's (:func:`model_logit`)."""

    file: str
    region: str
    code: str
    cue: str
    references: tuple[str, ...] = ()


MODELS: dict[str, RegionModel] = {
    "portrait": RegionModel(
        "portrait.onnx",
        "portrait",
        "portrait.substitution",
        "The portrait zone looks pasted in: its edges, sharpness, colour or print texture differ from the "
        "page around it",
        ("beside portrait", "far beside portrait"),
    ),
    "reprint": RegionModel(
        "reprint.onnx",
        "background",
        "print.reprint",
        "The visual zone looks reprinted: fine background lines blurred, a halftone dot screen or shifted "
        "colours instead of the issuer's print",
    ),
}


def model_input(region: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """A region crop (H×W×3 uint8, RGB) as the models' input: 1×3×H×W float32, each channel standardised
    over the crop (mean 0, standard deviation 1, floor 4 grey levels), so exposure and white balance do
    not count, while differences inside the crop do. The statistics are summed in double precision
    (``cv2.meanStdDev``; numpy's float32 sums over the transposed crop took four times as long), and each
    channel is written straight into its plane (half the time of converting and transposing the crop)."""
    region = np.ascontiguousarray(region)
    mean, std = cv2.meanStdDev(region)
    centre = mean.reshape(-1).astype(np.float32)
    spread = np.maximum(std.reshape(-1), 4.0).astype(np.float32)
    out = np.empty((1, region.shape[2], region.shape[0], region.shape[1]), np.float32)
    for k, channel in enumerate(cv2.split(region)):
        np.subtract(channel, centre[k], out=out[0, k], dtype=np.float32)
        out[0, k] /= spread[k]
    return out


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Logit at or above which a model's cue is reported. Calibrated by ``benchmarks/calibrate_regions.py``
    on the genuine captures of the calibration split (seeds from 5100, never the evaluation's): the higher
    of the 99.5th percentiles on 300 flatbed scans and 598 phone photos, so each model alone flags about
    0.5 % of genuine captures (figures in benchmarks/RESULTS.md). Recalibrated 2026-11-23 when the input's
    statistics came to be summed in double precision (:func:`model_input`), and the portrait's again when its
    logit came to be taken against zones of the same page (:func:`model_logit`; was 1.436)."""

    portrait: float = 1.876
    reprint: float = 2.027


THRESHOLDS = Thresholds()
MIN_INSIDE = 0.75
"""A region is scored only when at least this share of it lies inside the image."""


@dataclass(frozen=True, slots=True)
class RegionScore:
    """One model's verdict on its region: the raw ``logit``, ``score`` = sigmoid(logit − threshold) (0.5 at
    the calibrated threshold), and the region's polygon in original-image pixels."""

    model: str
    logit: float
    score: float
    polygon: tuple[tuple[float, float], ...]


def region_logit(name: str, crop: npt.NDArray[np.uint8]) -> float:
    """Model ``name``'s logit for a region crop (H×W×3 uint8 RGB, the region's size)."""
    from docverify.mrz.recognizer import session  # noqa: PLC0415 - onnxruntime loads on first use

    out = session(name).run(None, {"image": model_input(crop)})[0]
    return float(np.asarray(out).reshape(-1)[0])


def model_logit(name: str, image: npt.NDArray[np.uint8], frame: PageFrame) -> tuple[float, float | None]:
    """Model ``name``'s logit on its region of ``image`` (H×W×3 uint8 RGB, original pixels) placed by
    ``frame``, less the highest of its logits on its reference regions (:attr:`RegionModel.references`;
    parts outside the image repeat its border): a page that looks unlike the generated training pages
    everywhere, as real pages do, is not taken for an altered zone. Also that reference logit (``None``
    without references)."""
    spec = MODELS[name]
    own = region_logit(name, frame.warp(image, REGIONS[spec.region]))
    if not spec.references:
        return own, None
    reference = max(region_logit(name, frame.warp(image, REGIONS[r])) for r in spec.references)
    return own - reference, reference


ADVISORY = (
    " Advisory: the model is trained on synthetic documents and also flags some genuine ones, so this cue "
    "counts in the score but not in the verdict."
)


def _sigmoid(x: float) -> float:
    """1 / (1 + e^−x) without overflow for any finite ``x``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def score_regions(
    image: npt.NDArray[np.uint8],
    frame: PageFrame,
    thresholds: Thresholds = THRESHOLDS,
    *,
    severity: Severity = Severity.WARNING,
) -> tuple[tuple[RegionScore, ...], tuple[Finding, ...]]:
    """Each model's score on its region of ``image`` (H×W×3 uint8 RGB, original pixels) located by
    ``frame``, and the findings: one of ``severity`` per score at or above 0.5 (the pipeline makes them
    info unless asked, see ``VerifierConfig.region_warnings``), an info per region that lies too far
    outside the image to be scored."""
    scores: list[RegionScore] = []
    findings: list[Finding] = []
    for name, spec in MODELS.items():
        region = REGIONS[spec.region]
        box = frame.region_mm(region)
        polygon = frame.polygon(box)
        code = spec.code
        if frame.inside(box, image.shape) < MIN_INSIDE:
            findings.append(
                Finding(
                    f"{code}.not_assessed",
                    Severity.INFO,
                    Category.AUTHENTICITY,
                    f"The {region.name} zone, placed from the MRZ, lies partly outside the image; it was not "
                    "checked. Capture the whole page to check it.",
                    STAGE,
                )
            )
            continue
        logit, reference = model_logit(name, image, frame)
        score = _sigmoid(logit - getattr(thresholds, name))
        scores.append(RegionScore(name, logit, score, polygon))
        if score >= 0.5:
            findings.append(
                Finding(
                    code,
                    severity,
                    Category.AUTHENTICITY,
                    f"{spec.cue} (model score {score:.2f}, threshold 0.50). Examine the zone under magnification "
                    "and compare it with a genuine document of the same series."
                    + (ADVISORY if severity is Severity.INFO else ""),
                    STAGE,
                    box=polygon,
                    evidence=(("score", round(score, 3)), ("logit", round(logit, 3)))
                    + ((("reference_logit", round(reference, 3)),) if reference is not None else ()),
                )
            )
    return tuple(scores), tuple(findings)
