"""Split MRZ lines of a known layout into fields, and work out which check digits apply.

Parsing never fails on a document defect: it decodes what is printed and leaves judging to
:mod:`docverify.mrz.validate`. Dates are resolved to a century against a reference date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from docverify.mrz.spec import FILLER, CheckSpec, Layout
from docverify.results import MRZFields, MRZFormat, Span


@dataclass(frozen=True, slots=True)
class LongNumber:
    """A TD1/TD2 document number longer than nine characters, continued in the optional data."""

    continuation: Span
    """Where the extra characters stand (may be empty when the check digit follows at once)."""
    check: CheckSpec
    """The effective document-number check, covering positions 6–14 (TD1) plus the continuation."""
    check_with_filler: CheckSpec
    """The same check computed with the ``<`` in the usual check-digit position included: a known
    deviation of some issuers (see ``data/issuer_deviations.json``)."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """MRZ lines of a known layout with the effective check digits (long numbers resolved)."""

    layout: Layout
    lines: tuple[str, ...]
    checks: tuple[CheckSpec, ...]
    long_number: LongNumber | None
    texts: dict[str, str]
    """Every field's text by field name."""

    def raw(self, name: str) -> str:
        return self.texts[name]


def find_long_number(layout: Layout, lines: tuple[str, ...]) -> LongNumber | None:
    """Detect a long document number: ``<`` in the check-digit place and the optional data starting
    with the continuation, then its check digit, then ``<`` (ICAO 9303 Parts 5 and 6)."""
    if not layout.long_number:
        return None
    number = layout.field("document_number")
    check = layout.check("document_number")
    optional = layout.field("optional_data")
    if lines[check.line][check.column] != FILLER:
        return None
    text = optional.read(lines)
    if not text or text[0] == FILLER:
        return None
    run = text.find(FILLER) if FILLER in text else len(text)
    cd_col = optional.start + run - 1
    continuation = Span(optional.line, optional.start, cd_col)
    base = number.span
    effective = CheckSpec("document_number", optional.line, cd_col, (base, continuation))
    with_filler = CheckSpec(
        "document_number",
        optional.line,
        cd_col,
        (Span(base.line, base.start, base.end + 1), continuation),
    )
    return LongNumber(continuation, effective, with_filler)


def parse(layout: Layout, lines: tuple[str, ...]) -> Parsed:
    """Attach the effective check digits to ``lines``; ``lines`` must have the layout's shape."""
    long_number = find_long_number(layout, lines)
    checks = layout.checks
    if long_number is not None:
        checks = tuple(long_number.check if c.name == "document_number" else c for c in checks)
    texts = {f.name: lines[f.line][f.start : f.end] for f in layout.fields}
    return Parsed(layout, lines, checks, long_number, texts)


def protected_positions(parsed: Parsed) -> frozenset[tuple[int, int]]:
    """Every (line, column) a check digit covers, the check digits themselves included."""
    out = {(s.line, col) for c in parsed.checks for s in c.covers for col in range(s.start, s.end)}
    out |= {(c.line, c.column) for c in parsed.checks}
    return frozenset(out)


def check_data(check: CheckSpec, lines: tuple[str, ...]) -> str:
    """The characters a check digit is computed over, concatenated."""
    return "".join([lines[s.line][s.start : s.end] for s in check.covers])


# --- field decoding -------------------------------------------------------------------------------


def split_name(raw: str) -> tuple[str, str]:
    """Primary and secondary identifier of an MRZ name field, components joined by spaces.

    >>> split_name("ERIKSSON<<ANNA<MARIA<<<<<<<<")
    ('ERIKSSON', 'ANNA MARIA')
    >>> split_name("<<ANNA<MARIA<<<<")
    ('', 'ANNA MARIA')
    """
    sep = raw.find("<<")
    primary, secondary = (raw, "") if sep < 0 else (raw[:sep], raw[sep + 2 :])
    return _words(primary), _words(secondary)


def _words(text: str) -> str:
    return " ".join(w for w in text.split(FILLER) if w)


def resolve_date(raw: str, reference: dt.date, *, kind: str) -> dt.date | None:
    """The calendar date of a ``YYMMDD`` field, or ``None`` when it is not one.

    Birth dates are never after ``reference``; other dates (expiry, issue) fall within fifty years on
    either side of it.
    """
    if len(raw) != 6 or not raw.isdigit():
        return None
    yy, mm, dd = int(raw[:2]), int(raw[2:4]), int(raw[4:])
    year = reference.year // 100 * 100 + yy
    if kind == "birth":
        if (year, mm, dd) > (reference.year, reference.month, reference.day):
            year -= 100
    elif year > reference.year + 50:
        year -= 100
    elif year <= reference.year - 50:
        year += 100
    try:
        return dt.date(year, mm, dd)
    except ValueError:
        return None


def decode_fields(parsed: Parsed, reference: dt.date) -> MRZFields:
    """Decode every field of ``parsed``; never raises on document content."""
    lay = parsed.layout
    t = parsed.texts
    get = t.get
    extra: tuple[tuple[str, str], ...] = ()
    optional: str | None
    if lay.format is MRZFormat.FRA_ID:
        surname = _words(t["surname"])
        given = _words(t["given_names"])
        truncated = t["surname"][-1] != FILLER or t["given_names"][-1] != FILLER
        number = t["document_number"]
        extra = (
            ("issue_year_month", number[:4]),
            ("issuing_department", number[4:7]),
            ("administrative_code", t["administrative_code"].rstrip(FILLER)),
        )
        optional = None
    else:
        name = t["name"]
        surname, given = split_name(name)
        truncated = name[-1] != FILLER
        number = t["document_number"].rstrip(FILLER)
        optional = t["optional_data"].strip(FILLER)
        ln = parsed.long_number
        if ln is not None:
            cont = parsed.lines[ln.continuation.line][ln.continuation.start : ln.continuation.end]
            number = t["document_number"] + cont
            field = lay.field("optional_data")
            optional = parsed.lines[field.line][ln.check.column + 1 : field.end].strip(FILLER)

    birth_raw = t["birth_date"]
    expiry_raw = get("expiry_date")
    sex_raw = t["sex"]
    birth = resolve_date(birth_raw, reference, kind="birth")
    expiry = None if expiry_raw is None else resolve_date(expiry_raw, reference, kind="expiry")
    if birth is not None and expiry is not None and birth >= expiry and reference.year - birth.year + 100 <= 125:
        # The holder was born before the document expires: the previous century fits both dates
        # (unless that makes the holder implausibly old; then the dates stay in conflict).
        with contextlib.suppress(ValueError):
            birth = birth.replace(year=birth.year - 100)
    nationality = get("nationality")
    optional_2 = get("optional_data_2")
    return MRZFields(
        t["document_code"].rstrip(FILLER),
        t["issuing_state"].rstrip(FILLER),
        number,
        surname,
        given,
        None if nationality is None else nationality.strip(FILLER),
        birth,
        birth_raw,
        None if sex_raw == FILLER else sex_raw,
        expiry,
        expiry_raw,
        optional,
        None if optional_2 is None else optional_2.strip(FILLER),
        truncated,
        extra,
    )
