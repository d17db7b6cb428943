"""Fuzzing (issue 7): hostile text into the MRZ engine, damaged files into the input stage and the pipeline.

The contract under test: whatever the input, docverify returns a result or raises
:class:`~docverify.errors.InputError` (or a subclass) with a one-line message; never another exception,
never a hang, never unbounded memory. Every run is deterministic (``derandomize=True``; fixed seeds).

* MRZ text: arbitrary Unicode, arbitrary lists of lines, and valid MRZs damaged with look-alike letters
  (Cyrillic, Greek, full-width forms), invisible characters (zero-width spaces, bidirectional marks),
  odd line breaks, insertions, deletions and extra lines; and recognizer alternatives.
* Images: the seed corpus in ``tests/corpus/`` (the MRZ of a bundled sample, a few KB in each format)
  mutated by ``tests/mutate.py`` (bit flips, truncation, insertions, format-aware header changes), through
  :func:`docverify.io.load_pages` and :meth:`docverify.Verifier.verify`, at the default limits; and
  hand-made header extremes in a child process whose memory is measured.

The long run is ``benchmarks/fuzz.py`` (figures in ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mutate
from docverify import InputError, MRZFormat, MRZResult, Severity, read_mrz
from docverify.config import Limits
from docverify.errors import InputTooLargeError
from docverify.io import load_pages
from docverify.mrz.generate import build_mrz, random_mrz_data
from docverify.mrz.reader import MAX_TEXT_CHARS
from docverify.pipeline import Verifier, VerifierConfig
from docverify.results import Verdict

REF = dt.date(2026, 1, 1)
TIME_BOUND_S = 10.0
"""Most seconds one call (load or verify) may take on any input, on a shared 2-core machine."""
MEMORY_BOUND_MIB = 1024
"""Most the peak resident memory may grow over a fuzz run at the default limits. The largest page they
let through (50 megapixels) takes about 600 MiB at its peak: the decoded frame, the RGB array and copies."""

MRZ_SETTINGS = settings(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""Examples per property: the profile's (300 by default, 5,000 with ``HYPOTHESIS_PROFILE=long``)."""
IMAGE_SETTINGS = settings(
    MRZ_SETTINGS,
    max_examples=max(20, settings().max_examples // 3),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""Each image example decodes and reads a page (up to ~0.2 s): a third of the profile's examples."""


# --- the MRZ engine ----------------------------------------------------------------------------------------


def read_or_refuse(text: str | Sequence[str], **kwargs: object) -> MRZResult | None:
    """``read_mrz(text)``, which must return a consistent result or raise InputError with a one-line message."""
    try:
        result = read_mrz(text, reference_date=REF, **kwargs)  # type: ignore[arg-type]
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return None
    assert len({len(line) for line in result.lines}) == 1
    assert result.valid == (not any(f.severity is Severity.ERROR for f in result.findings))
    json.dumps(result.to_dict())  # the JSON form always serialises
    return result


@MRZ_SETTINGS
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    read_or_refuse(text)


@MRZ_SETTINGS
@given(st.lists(st.text(max_size=60), max_size=8), st.booleans())
def test_arbitrary_line_lists(lines: list[str], repair: bool) -> None:
    read_or_refuse(lines, repair_text=repair)


def test_text_over_the_size_limit_is_refused() -> None:
    with pytest.raises(InputTooLargeError, match="too long"):
        read_mrz("<" * (MAX_TEXT_CHARS + 1))
    assert read_or_refuse(["x" * 100] * 60) is None  # too many lines: refused, not parsed


LOOK_ALIKES = {
    "A": "\u0410\u0391\uff21",  # Cyrillic А, Greek Α, full-width Ａ
    "B": "\u0412\u0392",
    "C": "\u0421\u216d",  # Cyrillic С, Roman numeral Ⅽ
    "E": "\u0415\u0395",
    "H": "\u041d\u0397",
    "K": "\u041a\u039a",
    "M": "\u041c\u039c",
    "O": "\u041e\u039f\u2c9e",  # Cyrillic О, Greek Ο, Coptic Ⲟ
    "P": "\u0420\u03a1",
    "T": "\u0422\u03a4",
    "X": "\u0425\u03a7",
    "0": "\uff10\u041e",
    "1": "\uff11\u0406",  # full-width １, Cyrillic І
    "<": "\uff1c\u2039\u00ab",  # full-width ＜, ‹, «
}
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2069"
"""Zero-width characters, soft hyphen, and bidirectional marks, embeddings, overrides and isolates."""
JUNK = "\u0301\u00a0\u3000\t#*oilI|\U0001f600\ud7ff\x00\x1b"
BREAKS = ("\n", "\r\n", "\r", "\u2028", "\x0b", "\x0c", "\x1c", "\x85", " ")


@st.composite
def near_mrz(draw: st.DrawFn) -> str | list[str]:
    """A valid MRZ of any layout with a few hostile edits, as one string or as a list of lines."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    lines = list(build_mrz(random_mrz_data(rng, draw(st.sampled_from(list(MRZFormat))), reference=REF)))
    for _ in range(draw(st.integers(0, 6))):
        li = draw(st.integers(0, len(lines) - 1))
        line = lines[li]
        col = draw(st.integers(0, len(line)))
        op = draw(st.sampled_from(["look-alike", "invisible", "junk", "delete", "lower", "split", "noise"]))
        if op == "look-alike" and col < len(line) and line[col] in LOOK_ALIKES:
            line = line[:col] + draw(st.sampled_from(LOOK_ALIKES[line[col]])) + line[col + 1 :]
        elif op == "invisible":
            line = line[:col] + draw(st.sampled_from(INVISIBLE)) + line[col:]
        elif op == "junk":
            line = line[:col] + draw(st.sampled_from(JUNK)) + line[col:]
        elif op == "delete":
            line = line[:col] + line[col + 1 :]
        elif op == "lower":
            line = line.lower()
        elif op == "split":
            lines[li : li + 1] = [line[:col], line[col:]]
            continue
        else:
            lines.insert(li, draw(st.text(max_size=50)))
            continue
        lines[li] = line
    if draw(st.booleans()):
        return lines
    return draw(st.sampled_from(BREAKS)).join(lines)


@MRZ_SETTINGS
@given(near_mrz(), st.booleans())
def test_near_mrz_text(text: str | list[str], repair: bool) -> None:
    read_or_refuse(text, repair_text=repair)


@MRZ_SETTINGS
@given(st.integers(0, 2**32 - 1), st.sampled_from(list(MRZFormat)), st.data())
def test_recognizer_alternatives(seed: int, fmt: MRZFormat, data: st.DataObject) -> None:
    """A recognizer's lines (exact MRZ shape, any characters it may propose) with arbitrary alternatives
    and probabilities: a result or InputError, never anything else."""
    rng = random.Random(seed)
    lines = list(build_mrz(random_mrz_data(rng, fmt, reference=REF)))
    pool = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<?oO\u0410\u041e\uff10#"
    for _ in range(data.draw(st.integers(0, 8))):
        li, col = rng.randrange(len(lines)), rng.randrange(len(lines[0]))
        lines[li] = lines[li][:col] + rng.choice(pool) + lines[li][col + 1 :]
    probability = st.sampled_from([0.0, 1.0, 0.5, 1e-300, 0.999999]) | st.floats(0, 1)
    cell = st.lists(st.tuples(st.sampled_from(pool), probability), max_size=3)
    alternatives = [[data.draw(cell) for _ in line] for line in lines]
    read_or_refuse(lines, alternatives=alternatives)


# --- images ------------------------------------------------------------------------------------------------

SEEDS = mutate.seeds()
VERIFIER = Verifier(config=VerifierConfig(reference_date=REF, limits=Limits()))
SEED_MRZ = ("P<D<<NEANWIN<<SIZUSTEMIR<ELZARVELRA<<<<<<<<<", "J499386800D<<8107318F2907022<<<<<<<<<<<<<<<0")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@pytest.fixture
def memory_guard() -> Iterator[None]:
    """Fails the test when the process's peak resident memory grew by more than MEMORY_BOUND_MIB in it."""
    before = peak_rss_mib()
    yield
    assert peak_rss_mib() - before < MEMORY_BOUND_MIB


def load_and_verify(data: bytes) -> str:
    """Both entry points on ``data``: each succeeds or raises InputError, they agree, each within the time
    bound, and memory stays bounded. Returns the outcome (a verdict or the error's class name)."""
    start = time.monotonic()
    try:
        pages = load_pages(data)
        loaded: InputError | None = None
    except InputError as exc:
        loaded = exc
    assert time.monotonic() - start < TIME_BOUND_S
    start = time.monotonic()
    try:
        report = VERIFIER.verify(data)
    except InputError as exc:
        assert loaded is not None and type(exc) is type(loaded) and str(exc) == str(loaded)
        assert "\n" not in str(exc) and str(exc).startswith("<bytes>")
        outcome = type(exc).__name__
    else:
        assert loaded is None, loaded
        assert report.verdict in set(Verdict)
        assert report.image_size in {(p.width, p.height) for p in pages}
        json.dumps(report.to_dict())
        outcome = report.verdict.value
    assert time.monotonic() - start < TIME_BOUND_S
    return outcome


def test_seed_corpus_is_small_and_every_seed_reads() -> None:
    assert {name.split(".")[1] for name in SEEDS} == {
        *("jpg", "png", "tif", "webp", "bmp", "gif", "pdf", "jp2", "avif", "heic")
    }
    for name, data in SEEDS.items():
        assert len(data) <= 10_000, name
        report = VERIFIER.verify(data, name=name)
        assert report.mrz is not None and report.mrz.lines == SEED_MRZ, name
        assert report.verdict is Verdict.PASS, name
    assert load_pages(SEEDS["seed.jpg"])[0].orientation_applied == 6  # EXIF orientation exercised
    assert load_pages(SEEDS["seed.heic"])[0].orientation_applied == 6  # HEIF's own turn (irot) applied
    assert len(load_pages(SEEDS["seed.tif"])) == 2  # a multi-page TIFF


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_mutated_seeds(name: str, memory_guard: None) -> None:
    """A fixed sweep: 16 mutations of each seed (half of them format-aware)."""
    outcomes = []
    for i in range(16):
        data, _ = mutate.mutate(SEEDS[name], name.split(".")[1], random.Random(f"{name}/{i}"))
        outcomes.append(load_and_verify(data))
    assert "InputError" in outcomes or "InputTooLargeError" in outcomes  # the sweep reached the error paths


@IMAGE_SETTINGS
@given(st.sampled_from(sorted(SEEDS)), st.integers(0, 2**64 - 1))
def test_mutated_images(name: str, seed: int) -> None:
    before = peak_rss_mib()
    data, _ = mutate.mutate(SEEDS[name], name.split(".")[1], random.Random(seed))
    load_and_verify(data)
    assert peak_rss_mib() - before < MEMORY_BOUND_MIB


def test_each_mutator_changes_its_format(memory_guard: None) -> None:
    """The format-aware mutators change the header they target (not only random bytes) and every change
    still gives a result or InputError."""
    for name, data in SEEDS.items():
        kind = name.split(".")[1]
        mutator = mutate.BY_FORMAT[kind]
        changed = [mutator(data, random.Random(i)) for i in range(6)]
        assert sum(c != data for c in changed) >= 3, name
        for damaged in changed:
            load_and_verify(damaged)


def test_pages_too_thin_or_too_elongated_for_an_mrz_are_not_searched() -> None:
    """Regression: a 24 × 53,894 page (from a fuzzed TIFF) shrank to zero pixels in the locator, and OpenCV
    raised an assertion error instead of a report."""
    for shape in ((53_894, 24, 3), (24, 53_894, 3), (5, 300, 3), (1, 1, 3), (7, 7, 3)):
        report = VERIFIER.verify(np.full(shape, 255, np.uint8))
        assert report.verdict is Verdict.INCONCLUSIVE, shape
        assert report.findings[0].code == "image.mrz.not_found"


_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import mutate
from docverify.errors import InputError
from docverify.pipeline import Verifier, VerifierConfig
import datetime as dt
verifier = Verifier(config=VerifierConfig(reference_date=dt.date(2026, 1, 1)))
verifier.verify(mutate.seeds()["seed.png"])  # warm: the model and every decoder loaded
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {"baseline_mib": rss(), "cases": {}}
for name, data in mutate.header_extremes().items():
    start = time.monotonic()
    try:
        outcome = verifier.verify(data).verdict.value
    except InputError as exc:
        outcome = type(exc).__name__
    except Exception as exc:
        outcome = "UNEXPECTED " + repr(exc)
    out["cases"][name] = {"outcome": outcome, "seconds": time.monotonic() - start}
out["peak_mib"] = rss()
print(json.dumps(out))
"""


def test_header_extremes_stay_within_time_and_memory() -> None:
    """Headers claiming huge or zero sizes and directory loops, in a fresh process whose peak memory is
    measured: refused before decoding when over the limits, and otherwise decoded within the bounds."""
    tests = str(Path(__file__).resolve().parent)
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", _CHILD, tests],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    cases = result["cases"]
    assert set(cases) == set(mutate.header_extremes())
    for name, case in cases.items():
        assert case["outcome"] in {"pass", "review", "fail", "inconclusive", "InputError", "InputTooLargeError"}, (
            name,
            case,
        )
        assert case["seconds"] < TIME_BOUND_S, (name, case)
    over_limit = ("jpeg_sof_65535x65535", "png_ihdr_60000x60000", "tiff_size_65535x65535", "gif_screen_65535")
    for over in (*over_limit, "jp2_size_60000x60000", "avif_ispe_60000x60000", "heic_ispe_60000x60000"):
        assert cases[over]["outcome"] == "InputTooLargeError", over
        assert cases[over]["seconds"] < 0.5, over  # refused from the header, nothing decoded
    assert cases["jpeg_sof_under_limit"]["outcome"] == "inconclusive"  # 50 MP decoded, searched, no MRZ
    assert result["peak_mib"] - result["baseline_mib"] < MEMORY_BOUND_MIB, result
