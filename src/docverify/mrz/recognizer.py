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

import cv2
import numpy as np
import numpy.typing as npt

from docverify.config import usable_cores
from docverify.errors import DependencyError
from docverify.mrz.cells import grid, normalise, patches, track
from docverify.mrz.ctc import decode_fixed, greedy
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

MODEL_THREADS = 2
"""Threads each model session computes with (onnxruntime's intra-op threads; fewer when the machine has
fewer usable cores). Two nearly halve the models' time on the reference machine (2 vCPUs; the line model 3.8 ->
2.1 ms for a two-line batch, the region models 3.3 -> 1.7 and 2.2 -> 1.1 ms) with the same output.
Processes that run beside each other (``docverify batch`` workers) take one each: :func:`set_model_threads`."""
_threads = MODEL_THREADS


def set_model_threads(count: int) -> None:
    """The threads model sessions created from now on compute with (at least 1). For processes that
    share the cores with others, e.g. one of several workers; sessions already created keep theirs."""
    global _threads  # noqa: PLW0603 - a per-process setting, read when a session is created
    with _lock:
        _threads = max(1, int(count))


def set_threads(count: int) -> None:
    """OpenCV's threads and those of model sessions created from now on (:func:`set_model_threads`): all of
    a check's computing on ``count`` threads, e.g. 1 in a process beside others."""
    cv2.setNumThreads(max(1, int(count)))
    set_model_threads(count)


def model_threads() -> int:
    """The threads a model session created now computes with: :func:`set_model_threads`' count (default
    :data:`MODEL_THREADS`), at most the cores this process may use."""
    return min(_threads, usable_cores())


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
        options.intra_op_num_threads = model_threads()
        options.inter_op_num_threads = 1
        # the threads stop spinning when a run returns: between the runs of one check, OpenCV and numpy
        # need the cores (spinning on, two model threads made a whole check slower, 58 -> 66 ms; off, 53 ms)
        options.add_session_config_entry("session.force_spinning_stop", "1")
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


LINE_MODEL_NAME = "mrz_line"
LINE_HEIGHT = 32
"""Input height of the line model: line crops with characters about 16 px tall."""
LINE_STRIDE = 4
"""Crop pixels per output frame of the line model."""
MAX_LENGTH_GAP = 4
"""A line whose best unconstrained reading is further than this from the asked count is not forced to it."""


UPSAMPLED = 0.25
"""A crop with fewer original pixels than this per crop pixel (characters under about 7 px tall in the
image, enlarged over four times) is smoothed before reading, see :func:`_line_input`."""


def _line_input(crops: Sequence[LineCrop]) -> tuple[npt.NDArray[np.float32], list[int], list[float]]:
    """Crops as one N × 1 × 32 × W batch (ink high, padded with paper), their frame counts, and the factor
    from model-input x back to crop x.

    A crop cut from a thumbnail (:data:`UPSAMPLED`) is first smoothed with a Gaussian of 0.15 original
    pixels: enlarged that much, the cubic interpolation of ``cut_line`` leaves blocky, ringing strokes that
    the model, trained on larger captures, reads worse than a soft edge (on real specimens of 272–275 px:
    ``D`` read ``O`` in a name)."""
    images, frames, back = [], [], []
    for c in crops:
        h, w = c.image.shape[:2]
        width = max(LINE_STRIDE * 2, round(w * LINE_HEIGHT / h))
        source = float(np.sqrt(abs(np.linalg.det(c.to_original[:, :2]))))  # original px per crop px
        image = c.image if source >= UPSAMPLED or source <= 0 else cv2.GaussianBlur(c.image, (0, 0), 0.15 / source)
        small = cv2.resize(image, (width, LINE_HEIGHT), interpolation=cv2.INTER_AREA)
        images.append(normalise(small))
        frames.append(width // LINE_STRIDE)
        back.append(w / width)
    width = -(-max(im.shape[1] for im in images) // LINE_STRIDE) * LINE_STRIDE
    batch = np.zeros((len(images), 1, LINE_HEIGHT, width), np.float32)
    for i, im in enumerate(images):
        batch[i, 0, :, : im.shape[1]] = im
    return batch, frames, back


def _smooth_centres(frames: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Character centres (frame units) from the frames where each character was read: a quadratic in the
    character's index fitted to them, outliers dropped (a line's pitch changes smoothly, even under
    perspective; a single frame is only good to a few pixels)."""
    n = len(frames)
    if n < 6:
        return frames
    k = np.arange(n, dtype=np.float64)
    keep = np.ones(n, bool)
    fitted = frames
    for _ in range(3):
        coef = np.polyfit(k[keep], frames[keep], 2)
        fitted = np.asarray(np.polyval(coef, k), dtype=np.float64)
        resid = np.abs(frames - fitted)
        limit = max(1.0, 3.0 * float(np.median(resid[keep])))
        new = resid <= limit
        if new.sum() < n // 2 or np.array_equal(new, keep):
            break
        keep = new
    if np.all(np.diff(fitted) > 0):
        return np.asarray(fitted, dtype=np.float64)
    return frames


_recent = threading.local()


def _line_logits(crops: Sequence[LineCrop]) -> tuple[npt.NDArray[np.float32], list[int], list[float]]:
    """The line model's logits (N × T × 38) for ``crops``, with :func:`_line_input`'s frame counts and
    scales. The reader asks for the same crops once per possible character count: the last batch of each
    thread is kept (with the crops themselves, so identity cannot be reused) and not run again."""
    last = getattr(_recent, "entry", None)
    if last is not None and len(last[0]) == len(crops) and all(a is b for a, b in zip(last[0], crops, strict=True)):
        return last[1], last[2], last[3]
    batch, frames, back = _line_input(crops)
    logits = np.asarray(session(LINE_MODEL_NAME).run(None, {"lines": batch})[0], dtype=np.float32)
    _recent.entry = (tuple(crops), logits, frames, back)
    return logits, frames, back


@dataclass(frozen=True, slots=True)
class LineRecognizer:
    """An :class:`~docverify.ocr.OCRBackend` that reads whole MRZ lines with a CNN + CTC model.

    No cell grid is placed: the model finds the characters along the line itself, so a pitch that changes
    under perspective or a line located a little too long does not shift them. The frames are decoded into
    exactly ``count`` characters (:func:`docverify.mrz.ctc.decode_fixed`); each glyph carries the
    probabilities of its most certain frame as alternatives for the check-digit repair. A line whose
    reading is more than :data:`MAX_LENGTH_GAP` characters away from ``count`` comes back empty.
    """

    top_k: int = 4
    name: str = "docverify-ctc"
    cell_aligned: bool = True

    def read_lines(self, crops: Sequence[LineCrop], count: int | None = None) -> list[list[Glyph]]:
        """``count`` glyphs per crop (or none for a line that cannot have that many), left to right."""
        if count is None:
            raise ValueError("the line recognizer needs the number of characters per line")
        if not crops:
            return []
        logits, frames, back = _line_logits(crops)
        blank = len(ALPHABET)
        out: list[list[Glyph]] = []
        for i, n_frames in enumerate(frames):
            z = logits[i, :n_frames]
            z = z - z.max(axis=1, keepdims=True)
            log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            if abs(len(greedy(log_probs, blank)) - count) > MAX_LENGTH_GAP:
                out.append([])
                continue
            decoded = decode_fixed(log_probs, count, blank)
            if not decoded.labels:
                out.append([])
                continue
            probs = np.exp(log_probs[:, :blank])
            xs = _smooth_centres(np.asarray(decoded.frames, dtype=np.float64) + 0.5) * LINE_STRIDE * back[i]
            glyphs = []
            for label, t, x in zip(decoded.labels, decoded.frames, xs, strict=True):
                row = probs[t]  # not renormalised: a character forced onto a blank frame stays unlikely
                order = np.argsort(-row)[: self.top_k]
                if order[0] != label:  # the path's character leads (it may differ from the frame's arg-max)
                    order = np.concatenate([[label], order[order != label]])[: self.top_k]
                alts = tuple((ALPHABET[j], float(row[j])) for j in order)
                glyphs.append(Glyph(ALPHABET[label], x - 1, x + 1, alts))
            out.append(glyphs)
        return out


@dataclass(frozen=True, slots=True)
class MRZRecognizer:
    """docverify's MRZ reader (the default ``ocr="model"``): its ``engines`` in turn, a later one asked
    only where the earlier ones read no valid MRZ (see :func:`docverify.mrz.image.engines_of`).

    By default the line model alone: the cell model as a second opinion
    (``MRZRecognizer(engines=(LineRecognizer(), CellRecognizer()))``) read no more documents in
    ``benchmarks/bench_read.py`` (generated scans and phone photos, real specimens) and doubled the p95
    time, so it is not asked."""

    name: str = "docverify"
    cell_aligned: bool = True
    engines: tuple[LineRecognizer | CellRecognizer, ...] = (LineRecognizer(),)

    def read_lines(self, crops: Sequence[LineCrop], count: int | None = None) -> list[list[Glyph]]:
        """The first engine's reading (see :class:`LineRecognizer`)."""
        return self.engines[0].read_lines(crops, count)
