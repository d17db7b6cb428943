"""Annotated evidence images: the MRZ outlined, each finding's box numbered, and a legend below."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from docverify.render import box_numbers
from docverify.results import Finding, Report, Severity

_COLOURS = {  # BGR
    Severity.ERROR: (40, 40, 220),
    Severity.WARNING: (0, 150, 240),
    Severity.INFO: (200, 140, 0),
}
_RANK = (Severity.INFO, Severity.WARNING, Severity.ERROR)
"""Severities from the least to the most severe: a shared box takes its most severe finding's colour."""


def annotate(image: npt.NDArray[np.uint8], report: Report) -> npt.NDArray[np.uint8]:
    """An annotated copy of ``image`` (H×W×3 RGB uint8); returns H'×W'×3 RGB with the legend appended below
    (W' = W unless a legend line is wider than the image: the image is then padded with white on the right,
    its pixels where they were)."""
    canvas = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    scale = max(canvas.shape[:2]) / 1000.0
    thick = max(1, round(2 * scale))
    if report.mrz_polygon:
        pts = np.array(report.mrz_polygon, np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [pts], True, (60, 170, 60), thick + 1)
    legend: list[tuple[str, tuple[int, int, int]]] = [(f"verdict: {report.verdict.value}", (30, 30, 30))]
    for f, n in zip(report.findings, box_numbers(bool(f.box) for f in report.findings), strict=True):
        if n is not None:
            legend.append((f"{n}. {f.severity.value}: {f.code}", _COLOURS[f.severity]))
        elif f.severity is not Severity.INFO:
            legend.append((f"-. {f.severity.value}: {f.code}", _COLOURS[f.severity]))
    label_scale = 0.6 * scale + 0.3
    placed: list[tuple[int, int, int, int]] = []  # the labels drawn so far (x0, y0, x1, y1)
    for box, label, severity in box_labels(report.findings):
        colour = _COLOURS[severity]
        cv2.polylines(canvas, [np.array(box, np.int32).reshape(-1, 1, 2)], True, colour, thick)
        x, y = (int(v) for v in np.min(np.array(box), axis=0))
        (w, h), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, label_scale, thick)
        base = max(h + 2, y - 4)
        for _ in range(4):  # lifted a line at a time above labels of neighbouring boxes it would cover
            rect = (x, base - h - 2, x + w, base + 2)
            if not any(r[0] < rect[2] and rect[0] < r[2] and r[1] < rect[3] and rect[1] < r[3] for r in placed):
                break
            base = max(h + 2, base - h - 4)
        placed.append((x, base - h - 2, x + w, base + 2))
        cv2.putText(canvas, label, (x, base), cv2.FONT_HERSHEY_SIMPLEX, label_scale, colour, thick)
    font_scale = 0.5 * max(scale, 0.8)
    weight = max(1, thick - 1)
    row = int(26 * max(scale, 0.8))
    needed = max(cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, weight)[0][0] for text, _ in legend) + 16
    width = max(canvas.shape[1], needed)  # a legend wider than the image widens the picture, never cut off
    if width > canvas.shape[1]:
        pad = np.full((canvas.shape[0], width - canvas.shape[1], 3), 255, np.uint8)
        canvas = np.hstack([canvas, pad])
    panel = np.full((row * (len(legend) + 1), width, 3), 255, np.uint8)
    for i, (text, colour) in enumerate(legend):
        cv2.putText(panel, text, (8, row * (i + 1)), cv2.FONT_HERSHEY_SIMPLEX, font_scale, colour, weight)
    return np.asarray(cv2.cvtColor(np.vstack([canvas, panel]), cv2.COLOR_BGR2RGB), dtype=np.uint8)


def box_labels(findings: Sequence[Finding]) -> list[tuple[tuple[tuple[int, int], ...], str, Severity]]:
    """The boxes to draw for ``findings``: each distinct box (original-image pixels, rounded) once, labelled
    with the numbers (1, 2, … over the findings that have a box, as in the legend) of every finding it
    belongs to — "1, 2" for a run both off its baseline and turned — and the most severe of their severities."""
    boxes: dict[tuple[tuple[int, int], ...], list[tuple[int, Severity]]] = {}
    for f, n in zip(findings, box_numbers(bool(f.box) for f in findings), strict=True):
        if n is not None:
            boxes.setdefault(tuple((round(x), round(y)) for x, y in f.box), []).append((n, f.severity))
    return [
        (box, ", ".join(str(k) for k, _ in numbered), max((s for _, s in numbered), key=_RANK.index))
        for box, numbered in boxes.items()
    ]


def write_png(path: Path, image: npt.NDArray[np.uint8]) -> None:
    """Write an RGB image as PNG; raises :class:`OSError` when the file cannot be written (an output's failure,
    not the input's)."""
    try:
        ok = cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    except cv2.error:
        ok = False
    if not ok:
        raise OSError(f"{path}: cannot write the annotated image (does the folder exist, may it be written?)")
