"""Synthetic data sets: render → forge → capture → write, each image with one line of ground truth.

The order of the stages lives here and only here:

1. :func:`docverify.mrz.generate.random_mrz_data` draws a fictitious person and document;
2. :func:`~docverify.synth.render.render_document` prints the data page;
3. each requested forgery (a function registered in :data:`FORGERIES`) alters the page and is recorded in
   the ground truth;
4. a capture condition (:data:`~docverify.synth.capture.CONDITIONS`) puts the page in front of a scanner
   or a camera, transforming the ground truth with the image.

Every stage draws from its own stream of one seed (:class:`numpy.random.SeedSequence`), so
``synthesize(seed, fmt, condition)`` gives the same bytes every time, and a ground-truth line's ``seed``
reproduces its image.

**Adding a forgery.** A forgery is a function ``(RenderedDocument, numpy Generator) -> ForgeryResult``
registered under a stable name::

    @register_forgery("mrz.altered_digit")
    def altered_digit(doc: RenderedDocument, rng: np.random.Generator) -> ForgeryResult:
        ...  # erase a digit cell with doc.background, reprint with print_mrz_glyph and doc.style
        return ForgeryResult(image, ForgeryRecord("mrz.altered_digit", params(line=1, column=3), (cell,)),
                             truth=dataclasses.replace(doc.truth, mrz_lines=new_lines))

It receives the page before capture (image, mask, blank background, print style, ground truth in page
pixels) and returns the altered image, its :class:`ForgeryRecord` (kind, parameters, changed regions as
quads) and, when it changes what is printed, the updated ground truth. :func:`apply_forgery` appends the
record; the capture then transforms its regions along with everything else.

>>> shot = synthesize(7, MRZFormat.TD3, "flatbed")
>>> shot.truth.format, shot.truth.capture.condition, shot.truth.genuine
('TD3', 'flatbed', True)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from docverify.mrz.generate import random_mrz_data
from docverify.results import MRZFormat
from docverify.synth.capture import CONDITIONS, DEFAULT_CONDITIONS, Captured, capture
from docverify.synth.render import (
    GENERATOR_REVISION,
    GEOMETRY,
    RENDERABLE_FORMATS,
    ForgeryRecord,
    GroundTruth,
    Image8,
    RenderedDocument,
    render_document,
)

GROUND_TRUTH_FILE = "ground_truth.jsonl"
REFERENCE_DATE = dt.date(2026, 1, 1)
"""Documents are valid on this date (births before it, expiry after it) unless another is given."""
SLUGS = {
    MRZFormat.TD1: "td1",
    MRZFormat.TD2: "td2",
    MRZFormat.TD3: "td3",
    MRZFormat.MRVA: "mrva",
    MRZFormat.MRVB: "mrvb",
}
"""Short lower-case names of the formats, for file names and the command line."""


# --- forgeries -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class ForgeryResult:
    """What a forgery returns: the altered page image (same shape and dtype), the record of what it did,
    and the updated ground truth when it changed something the ground truth describes (``None``: unchanged;
    the record is appended by :func:`apply_forgery` either way)."""

    image: Image8
    record: ForgeryRecord
    truth: GroundTruth | None = None


Forgery = Callable[[RenderedDocument, np.random.Generator], ForgeryResult]
FORGERIES: dict[str, Forgery] = {}
"""Registered forgeries by kind. Empty until the forgery modules register theirs."""


def register_forgery(kind: str) -> Callable[[Forgery], Forgery]:
    """Decorator: register a forgery under ``kind`` (a stable dotted name); ``ValueError`` if taken."""

    def add(fn: Forgery) -> Forgery:
        if kind in FORGERIES:
            raise ValueError(f"forgery {kind!r} is already registered")
        FORGERIES[kind] = fn
        return fn

    return add


def apply_forgery(doc: RenderedDocument, kind: str, rng: np.random.Generator) -> RenderedDocument:
    """``doc`` altered by the registered forgery ``kind``, its record appended to the ground truth."""
    try:
        fn = FORGERIES[kind]
    except KeyError:
        known = ", ".join(sorted(FORGERIES)) or "none registered"
        raise ValueError(f"unknown forgery {kind!r} (known: {known})") from None
    result = fn(doc, rng)
    if result.record.kind != kind:
        raise ValueError(f"forgery {kind!r} returned a record of kind {result.record.kind!r}")
    if result.image.shape != doc.image.shape or result.image.dtype != np.uint8:
        raise ValueError(f"forgery {kind!r} changed the image shape or dtype")
    truth = result.truth if result.truth is not None else doc.truth
    truth = dataclasses.replace(truth, forgeries=(*doc.truth.forgeries, result.record))
    return dataclasses.replace(doc, image=result.image, truth=truth)


# --- one sample ------------------------------------------------------------------------------------


def _streams(seed: int) -> tuple[random.Random, np.random.Generator, np.random.Generator, np.random.Generator]:
    data, render, forge, cap = np.random.SeedSequence(seed).spawn(4)
    return (
        random.Random(int(data.generate_state(1)[0])),
        np.random.default_rng(render),
        np.random.default_rng(forge),
        np.random.default_rng(cap),
    )


def render_sample(
    seed: int,
    fmt: MRZFormat,
    *,
    dpi: int = 300,
    forgeries: Sequence[str] = (),
    reference_date: dt.date = REFERENCE_DATE,
) -> RenderedDocument:
    """The page of sample ``seed`` (random fictitious data of ``fmt``), forgeries applied, before capture."""
    if fmt not in GEOMETRY:
        raise ValueError(f"cannot render format {fmt.value}; renderable: {', '.join(f.value for f in GEOMETRY)}")
    data_rng, render_rng, forge_rng, _ = _streams(seed)
    data = random_mrz_data(data_rng, fmt, reference=reference_date)
    doc = render_document(data, render_rng, dpi=dpi, reference_date=reference_date, seed=seed)
    for kind in forgeries:
        doc = apply_forgery(doc, kind, forge_rng)
    return doc


def synthesize(
    seed: int,
    fmt: MRZFormat,
    condition: str,
    *,
    dpi: int = 300,
    forgeries: Sequence[str] = (),
    reference_date: dt.date = REFERENCE_DATE,
) -> Captured:
    """Sample ``seed``: rendered (:func:`render_sample`) and captured under ``condition``. Deterministic."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown capture condition {condition!r}; known: {', '.join(CONDITIONS)}")
    doc = render_sample(seed, fmt, dpi=dpi, forgeries=forgeries, reference_date=reference_date)
    return capture(doc, condition, _streams(seed)[3])


def item_seed(seed: int, index: int) -> int:
    """The seed of image ``index`` of a data set generated with ``seed`` (independent streams)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


_MIX_STREAM = 0x6D6978
"""Tags the stream that draws an image's forgery in mixed mode (apart from its four synthesis streams)."""


def forgery_choice(seed: int, kinds: Sequence[str], genuine_share: float, *, mixed: bool) -> tuple[str, ...]:
    """The forgeries of the image of seed ``seed``: none with probability ``genuine_share``; otherwise all
    of ``kinds`` in order, or with ``mixed`` one of them (every registered kind when ``kinds`` is empty)
    drawn at random. Drawn from the seed, so a data set is reproducible."""
    pool = sorted(FORGERIES) if mixed and not kinds else list(kinds)
    if not pool or (not mixed and genuine_share <= 0):
        return tuple(pool)
    rng = np.random.default_rng([seed, _MIX_STREAM])
    if rng.random() < genuine_share:
        return ()
    return (pool[int(rng.integers(0, len(pool)))],) if mixed else tuple(pool)


# --- data sets -------------------------------------------------------------------------------------


def _write(out_dir: Path, name: str, shot: Captured) -> tuple[Path, GroundTruth]:
    path = out_dir / (name + shot.suffix)
    path.write_bytes(shot.encode())
    return path, dataclasses.replace(shot.truth, file=path.name)


def _truth_line(truth: GroundTruth) -> str:
    """One image's line of :data:`GROUND_TRUTH_FILE`."""
    return json.dumps(truth.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"


def _write_truth(out_dir: Path, truths: Iterable[GroundTruth]) -> Path:
    path = out_dir / GROUND_TRUTH_FILE
    text = "".join(_truth_line(t) for t in truths)
    path.write_text(text, encoding="utf-8")
    return path


def generate(
    out_dir: Path | str,
    count: int,
    seed: int = 0,
    formats: Sequence[MRZFormat] = RENDERABLE_FORMATS,
    conditions: Sequence[str] = DEFAULT_CONDITIONS,
    *,
    dpi: int = 300,
    forgeries: Sequence[str] = (),
    mixed: bool = False,
    genuine_share: float | None = None,
) -> list[Path]:
    """Write ``count`` images to ``out_dir`` (created if needed) and :data:`GROUND_TRUTH_FILE` beside them,
    one JSON line per image in the same order; returns the image paths.

    Image ``i`` has format ``formats[i % len(formats)]`` and condition
    ``conditions[(i // len(formats)) % len(conditions)]`` (so every pair occurs), seed
    ``item_seed(seed, i)``, and is named like ``00004_td3_phone.jpg``. Files are JPEG at the quality the
    condition drew, PNG for ``none``. An existing ground-truth file in ``out_dir`` is removed before the first
    image is written, and each image's line is written as soon as the image is, to ``ground_truth.jsonl.partial``,
    renamed to the ground truth when the set is complete (an interrupted run leaves the images written so far
    and the partial file with their lines).

    Every image gets all ``forgeries`` in order; with ``mixed``, one of them (of every registered kind
    when none is given) drawn per image. A share ``genuine_share`` of the images (default 0.3 when
    ``mixed``, else 0) stays genuine. See :func:`forgery_choice`.
    """
    if count < 0:
        raise ValueError("count must be 0 or more")
    if seed < 0:
        raise ValueError("seed must be 0 or more")
    if not formats or not conditions:
        raise ValueError("give at least one format and one condition")
    for fmt in formats:
        if fmt not in GEOMETRY:
            raise ValueError(f"cannot render format {fmt.value}")
    for cond in conditions:
        if cond not in CONDITIONS:
            raise ValueError(f"unknown capture condition {cond!r}; known: {', '.join(CONDITIONS)}")
    for kind in forgeries:
        if kind not in FORGERIES:
            raise ValueError(f"unknown forgery {kind!r}")
    share = (0.3 if mixed else 0.0) if genuine_share is None else genuine_share
    if not 0.0 <= share <= 1.0:
        raise ValueError("genuine_share must be between 0 and 1")
    if mixed and not (forgeries or FORGERIES):
        raise ValueError("no forgery is registered")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    # the old answer key goes first, and each image's line is written with the image into a partial file that
    # becomes the ground truth when the set is complete: an interrupted run leaves neither new images under an
    # old ground truth nor a partial set that looks complete (is_current), only GROUND_TRUTH_FILE.partial
    final, partial = out / GROUND_TRUTH_FILE, out / f"{GROUND_TRUTH_FILE}.partial"
    final.unlink(missing_ok=True)
    with partial.open("w", encoding="utf-8") as truth_file:
        for i in range(count):
            fmt = formats[i % len(formats)]
            cond = conditions[(i // len(formats)) % len(conditions)]
            item = item_seed(seed, i)
            kinds = forgery_choice(item, forgeries, share, mixed=mixed)
            shot = synthesize(item, fmt, cond, dpi=dpi, forgeries=kinds)
            path, truth = _write(out, f"{i:05d}_{SLUGS[fmt]}_{cond}", shot)
            truth_file.write(_truth_line(truth))
            truth_file.flush()
            paths.append(path)
    partial.replace(final)
    return paths


GENERATED_NAME: Final = re.compile(r"\d{5}_[a-z0-9]+_[a-z]+\.(?:jpg|png)")
"""How :func:`generate` names its images (``00004_td3_phone.jpg``)."""


def leftovers(out_dir: Path | str, paths: Iterable[Path]) -> list[Path]:
    """Images in ``out_dir`` named as :func:`generate` names them that are not among ``paths`` (the set just
    written): an earlier, larger set's, which the new ground truth does not describe."""
    keep = {Path(p).name for p in paths}
    return sorted(
        p for p in Path(out_dir).iterdir() if GENERATED_NAME.fullmatch(p.name) and p.name not in keep and p.is_file()
    )


def is_current(folder: Path | str) -> bool:
    """Whether ``folder`` holds a data set written by this revision of the generator
    (:data:`~docverify.synth.render.GENERATOR_REVISION`, read from its first ground-truth record): a cache
    of generated images made by an older one is stale and should be generated again."""
    path = Path(folder) / GROUND_TRUTH_FILE
    if not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8") as f:
            first = json.loads(f.readline())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(first, dict) and first.get("generator") == GENERATOR_REVISION


def load_ground_truth(path: Path | str) -> list[GroundTruth]:
    """The ground truth of a data set: a ``ground_truth.jsonl`` file, or the folder holding one."""
    p = Path(path)
    if p.is_dir():
        p = p / GROUND_TRUTH_FILE
    return [GroundTruth.from_dict(json.loads(line)) for line in p.read_text(encoding="utf-8").splitlines() if line]


# --- the committed sample set ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SampleSpec:
    """One image of the committed sample set."""

    format: MRZFormat
    condition: str
    seed: int


SAMPLE_SET = (
    SampleSpec(MRZFormat.TD3, "flatbed", 11),
    SampleSpec(MRZFormat.TD3, "phone", 12),
    SampleSpec(MRZFormat.TD1, "flatbed", 13),
    SampleSpec(MRZFormat.TD1, "phone", 14),
    SampleSpec(MRZFormat.TD2, "rotated", 15),
    SampleSpec(MRZFormat.MRVA, "phone", 16),
    SampleSpec(MRZFormat.MRVB, "flatbed", 17),
    SampleSpec(MRZFormat.TD1, "rotated", 18),
)
"""The images of ``samples/images/`` (regenerate with :func:`write_sample_set`)."""


def sample_name(spec: SampleSpec, shot: Captured) -> str:
    """``td3_flatbed``, ``td2_rotated_137`` …: format, condition and, for rotations, the angle."""
    name = f"{SLUGS[spec.format]}_{spec.condition}"
    if spec.condition == "rotated":
        name += f"_{round(float(dict(shot.truth.capture.params)['angle'])) % 360}"
    return name


def write_sample_set(out_dir: Path | str, specs: Sequence[SampleSpec] = SAMPLE_SET) -> list[Path]:
    """Write the committed sample set (descriptive names) and its ground truth to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    truths: list[GroundTruth] = []
    for spec in specs:
        shot = synthesize(spec.seed, spec.format, spec.condition)
        path, truth = _write(out, sample_name(spec, shot), shot)
        paths.append(path)
        truths.append(truth)
    _write_truth(out, truths)
    return paths


__all__ = [
    "FORGERIES",
    "GROUND_TRUTH_FILE",
    "REFERENCE_DATE",
    "SAMPLE_SET",
    "SLUGS",
    "Forgery",
    "ForgeryResult",
    "SampleSpec",
    "apply_forgery",
    "forgery_choice",
    "generate",
    "is_current",
    "item_seed",
    "leftovers",
    "load_ground_truth",
    "register_forgery",
    "render_sample",
    "sample_name",
    "synthesize",
    "write_sample_set",
]
