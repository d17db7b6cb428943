"""The MRZ character recognizer: a small CNN (ONNX, shipped in the package) that reads each character cell
of an upright MRZ line and gives a probability for every character of the MRZ alphabet.

Pre-processing (:mod:`docverify.mrz.cells`: normalise, place the cell grid, cut patches) and
post-processing (arg-max, top-k alternatives) are pure numpy; the model runs on onnxruntime through one
lazily created session per process, created on first use from bytes whose SHA-256 is checked first.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from docverify.errors import DependencyError
from docverify.mrz.cells import grid, normalise, patches, track
from docverify.mrz.glyphs import ALPHABET
from docverify.mrz.locate import LineCrop
from docverify.ocr import Glyph

MODEL_NAME = "mrz_char"
TRACK_HANDICAP = 0.01
"""Mean confidence by which a tracked cell placement must beat the even grid to be used."""


class ModelIntegrityError(DependencyError):
    """A shipped model file is missing or does not match its recorded SHA-256."""


@functools.cache
def _registry() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("docverify.models").joinpath("registry.json").read_text())
    return data


def model_hashes() -> dict[str, str]:
    """The recorded SHA-256 of every shipped model, by name (files are checked against it on load)."""
    return {name: str(entry["sha256"]) for name, entry in _registry().items()}


_lock = threading.Lock()
_sessions: dict[str, Any] = {}


def session(name: str = MODEL_NAME) -> Any:
    """The onnxruntime session of a shipped model (created once, after checking the file's SHA-256)."""
    with _lock:
        if name in _sessions:
            return _sessions[name]
        entry = _registry().get(name)
        if entry is None:
            raise ModelIntegrityError(f"no model named {name!r} is registered")
        try:
            data = resources.files("docverify.models").joinpath(entry["file"]).read_bytes()
        except OSError as exc:
            raise ModelIntegrityError(f"model file {entry['file']} is missing from the package") from exc
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            raise ModelIntegrityError(
                f"model file {entry['file']} is damaged or was replaced: SHA-256 {digest[:12]}…, "
                f"expected {entry['sha256'][:12]}…; reinstall docverify"
            )
        # onnxruntime's Linux wheels carry Microsoft 1DS telemetry: importing it writes a session file
        # (.ses) into the temp folder, and it may upload usage events. docverify is offline and leaves no
        # files behind; a caller who wants telemetry sets ORT_DISABLE_TELEMETRY=0 first.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime as ort  # noqa: PLC0415 - loaded on first use, not at import time

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        _sessions[name] = ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
        return _sessions[name]


def softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)


@dataclass(frozen=True, slots=True)
class CellRecognizer:
    """An :class:`~docverify.ocr.OCRBackend` that reads fixed-pitch cells (so it needs the count)."""

    top_k: int = 4
    name: str = "docverify-cnn"
    cell_aligned: bool = True

    def read_lines(self, crops: Sequence[LineCrop], count: int | None = None) -> list[list[Glyph]]:
        """Glyphs at the centres of ``count`` cells per crop, each with its top alternatives."""
        if count is None:
            raise ValueError("the cell recognizer needs the number of characters per line")
        lines = [normalise(c.image) for c in crops]
        # Two ways to place the cells: an even pitch fitted to the whole line (robust on scans), and a
        # cell-by-cell track of the ink (follows a pitch that changes under perspective). Each line keeps
        # the placement the recognizer is more confident about.
        candidates: list[npt.NDArray[np.float64]] = []
        for line, c in zip(lines, crops, strict=True):
            for placed in (grid(line, c.text_start, c.text_end, count), track(line, c.text_start, c.text_end, count)):
                # one extra cell at each end: a line found a character too long or short still has its
                # true window of ``count`` cells inside, and the confidence picks it
                candidates.append(np.concatenate([[2 * placed[0] - placed[1]], placed, [2 * placed[-1] - placed[-2]]]))
        batch = np.concatenate(
            [patches(lines[i // 2], g, lines[i // 2].shape[0] / 2) for i, g in enumerate(candidates)]
        )
        logits = session().run(None, {"patches": batch})[0]
        probs = softmax(np.asarray(logits, dtype=np.float32))
        n = count + 2
        out: list[list[Glyph]] = []
        for li in range(len(lines)):
            best: tuple[float, int, int] | None = None  # (confidence, candidate, window start)
            for ci in (2 * li, 2 * li + 1):
                confidence = probs[ci * n : (ci + 1) * n].max(axis=1)
                # the even grid is the safer guess: the track must be clearly more convincing
                handicap = TRACK_HANDICAP if ci % 2 else 0.0
                for start in range(3):
                    mean = float(confidence[start : start + count].mean()) - handicap
                    if best is None or mean > best[0]:
                        best = (mean, ci, start)
            assert best is not None
            _, ci, start = best
            row, placed = probs[ci * n : (ci + 1) * n], candidates[ci]
            glyphs = []
            for k in range(start, start + count):
                order = np.argsort(-row[k])[: self.top_k]
                alts = tuple((ALPHABET[j], float(row[k, j])) for j in order)
                glyphs.append(Glyph(ALPHABET[order[0]], float(placed[k]) - 1, float(placed[k]) + 1, alts))
            out.append(glyphs)
        return out
