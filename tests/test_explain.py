"""`docverify explain`: every finding code docverify emits has an explanation with all three answers."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
from pathlib import Path

from click.testing import CliRunner

from docverify import MRZFormat, MRZFormatError, read_mrz
from docverify.cli import main
from docverify.explain import CATALOGUE, VIZ_FIELDS, Explanation, explain, known_codes
from docverify.mrz.generate import build_mrz, random_mrz_data

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "mrz-vectors" / "mrz_vectors.json"
PIPELINE_CODES = [
    "image.mrz.not_found",
    "image.mrz.cut_off",
    "image.mirrored",
    "mrz.read.unreliable",
    "image.time_limit",
    "viz.not_compared",
    "viz.mismatch.surname",
    "print.mrz.font",
    "print.mrz.pitch",
    "print.mrz.baseline",
    "print.mrz.tilt",
    "print.mrz.cloned",
    "print.mrz.erased",
    "portrait.substitution",
    "portrait.substitution.not_assessed",
    "print.reprint",
    "print.reprint.not_assessed",
]


def emitted_codes() -> set[str]:
    rng = random.Random(3)
    texts = [list(v["lines"]) for v in json.loads(VECTORS.read_text()) if v.get("lines")]
    for fmt in (MRZFormat.TD1, MRZFormat.TD2, MRZFormat.TD3, MRZFormat.MRVA, MRZFormat.MRVB):
        for _ in range(40):
            lines = list(build_mrz(random_mrz_data(rng, fmt)))
            li = rng.randrange(len(lines))
            col = rng.randrange(len(lines[li]))
            lines[li] = lines[li][:col] + rng.choice("0O1I<KX8B#a") + lines[li][col + 1 :]
            texts.append(lines)
    codes: set[str] = set()
    for lines in texts:
        for ref in (dt.date(2010, 1, 1), dt.date(2026, 1, 1), dt.date(2090, 1, 1)):
            with contextlib.suppress(MRZFormatError):  # non-ICAO layouts in the corpus
                codes.update(f.code for f in read_mrz(lines, reference_date=ref).findings)
    return codes


def test_every_emitted_code_is_explained() -> None:
    codes = emitted_codes() | set(PIPELINE_CODES)
    assert len(codes) > 25
    missing = sorted(c for c in codes if explain(c) is None)
    assert not missing
    for entry in CATALOGUE:
        assert entry.title and entry.meaning and entry.confirm and entry.cannot_prove, entry.pattern
    assert _entry("mrz.check_digit.optional_data.unused").pattern == "mrz.check_digit.*.unused"
    assert explain("no.such.code") is None
    assert _entry("print.reprint.not_assessed").title != _entry("print.reprint").title
    assert _entry("portrait.substitution.not_assessed").title != _entry("portrait.substitution").title


def test_only_emitted_codes_are_explained() -> None:
    """A code that matches a pattern but that docverify never emits is unknown, not explained by analogy."""
    from docverify.viz import CHECKED_FIELDS

    assert VIZ_FIELDS == CHECKED_FIELDS
    assert emitted_codes() | set(PIPELINE_CODES) <= known_codes()
    for made_up in ("mrz.date.[/x]", "mrz.date.foo", "viz.mismatch.bogus", "mrz.check_digit.name", "print.mrz.x"):
        assert explain(made_up) is None, made_up
    for real in ("mrz.date.expiry_date.invalid", "mrz.field.optional_data_2.charset", "mrz.name.surname.empty"):
        assert explain(real) is not None, real
    assert explain("mrz.check_digit.optional_data.unused") is not None
    assert explain("mrz.check_digit.composite.unused") is None  # the composite is never '<'
    answer = CliRunner().invoke(main, ["explain", "mrz.date.[/x]"])
    assert answer.exit_code == 2 and "unknown finding code" in answer.stderr


def _entry(code: str) -> Explanation:
    """The catalogue entry of ``code``, which must have one."""
    entry = explain(code)
    assert entry is not None, code
    return entry


def test_explain_command() -> None:
    result = CliRunner().invoke(main, ["explain", "viz.mismatch.birth_date"])
    assert result.exit_code == 0
    for part in ("What it means", "How to confirm it", "What it cannot prove", "UV"):
        assert part in result.output
    listing = CliRunner().invoke(main, ["explain"])
    assert listing.exit_code == 0 and listing.output.count("\n") >= len(CATALOGUE)
    unknown = CliRunner().invoke(main, ["explain", "nope"])
    assert unknown.exit_code == 2 and "unknown finding code" in unknown.stderr
