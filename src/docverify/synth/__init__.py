"""Synthetic travel documents with ground truth, for tests, benchmarks and training.

All content is fictitious: invented state names, random people (:mod:`docverify.mrz.generate`), drawn
portraits. Stages: :mod:`.render` prints the data page, forgeries (:mod:`.forgeries`, registered in
:mod:`.dataset`) alter it, :mod:`.capture` simulates a scanner or a phone, :mod:`.dataset` writes images
and ``ground_truth.jsonl``; :mod:`.command` is the ``docverify samples`` command.

Importing this package loads OpenCV and Pillow; nothing is rendered until asked.
"""

import docverify.synth.forgeries  # noqa: F401 - importing it registers the forgery kinds
from docverify.synth.capture import CONDITIONS, DEFAULT_CONDITIONS, Captured, capture
from docverify.synth.dataset import (
    FORGERIES,
    GROUND_TRUTH_FILE,
    ForgeryResult,
    apply_forgery,
    generate,
    is_current,
    load_ground_truth,
    register_forgery,
    render_sample,
    synthesize,
    write_sample_set,
)
from docverify.synth.render import (
    GEOMETRY,
    CaptureRecord,
    ForgeryRecord,
    GroundTruth,
    MRZChar,
    PrintStyle,
    RenderedDocument,
    VizField,
    render_document,
)

__all__ = [
    "CONDITIONS",
    "DEFAULT_CONDITIONS",
    "FORGERIES",
    "GEOMETRY",
    "GROUND_TRUTH_FILE",
    "CaptureRecord",
    "Captured",
    "ForgeryRecord",
    "ForgeryResult",
    "GroundTruth",
    "MRZChar",
    "PrintStyle",
    "RenderedDocument",
    "VizField",
    "apply_forgery",
    "capture",
    "generate",
    "is_current",
    "load_ground_truth",
    "register_forgery",
    "render_document",
    "render_sample",
    "synthesize",
    "write_sample_set",
]
