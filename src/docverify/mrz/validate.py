"""ICAO 9303 rules over a parsed MRZ. Every rule runs and records its findings; nothing short-circuits.

Each rule is a small function ``(ctx) -> Iterable[Finding]``; :func:`validate` runs them all in a fixed
order. Finding codes are stable and documented in the README's catalogue.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

from docverify.mrz import checkdigit, countries
from docverify.mrz.parse import Parsed, check_data, decode_fields
from docverify.mrz.spec import ALPHABET, CHARSETS, FILLER, LAYOUTS, CheckSpec, FieldKind, FieldSpec, Layout, conforms
from docverify.results import Category, CheckDigit, Finding, MRZFields, MRZFormat, Severity, Span

STAGE = "mrz.validate"
MAX_AGE_YEARS = 125
MAX_VALIDITY_YEARS = 20
"""An expiry further ahead than this is implausible (passports run 10 years, some cards 15)."""

_FIELD_LABELS = {
    "document_number": "document number",
    "birth_date": "birth date",
    "expiry_date": "expiry date",
    "optional_data": "optional data",
    "optional_data_2": "optional data (line 2)",
    "composite": "composite",
    "issuing_state": "issuing state",
    "nationality": "nationality",
    "document_code": "document code",
    "name": "name",
    "surname": "surname",
    "given_names": "given names",
    "sex": "sex",
    "administrative_code": "administrative code",
}


def label(name: str) -> str:
    """Plain-language name of a field or check."""
    return _FIELD_LABELS.get(name.removesuffix("_check"), name.replace("_", " "))


@dataclass(frozen=True, slots=True)
class Deviation:
    id: str
    rule: str
    issuers: frozenset[str]
    formats: frozenset[str]
    description: str
    evidence: str


@functools.cache
def deviations() -> tuple[Deviation, ...]:
    """The known issuer deviations from ``data/issuer_deviations.json``."""
    raw = json.loads(resources.files("docverify.mrz").joinpath("data/issuer_deviations.json").read_text())
    return tuple(
        Deviation(
            d["id"],
            d["rule"],
            frozenset(d["issuers"]),
            frozenset(d["formats"]),
            d["description"],
            d["evidence"],
        )
        for d in raw["deviations"]
    )


@dataclass(frozen=True, slots=True)
class SpecimenMarkers:
    states: frozenset[str]
    document_numbers: frozenset[str]
    document_number_prefixes: tuple[str, ...]
    name_words: frozenset[str]


@functools.cache
def specimen_markers() -> SpecimenMarkers:
    raw = json.loads(resources.files("docverify.mrz").joinpath("data/specimen_markers.json").read_text())
    return SpecimenMarkers(
        frozenset(raw["states"]),
        frozenset(raw["document_numbers"]),
        tuple(raw["document_number_prefixes"]),
        frozenset(raw["name_words"]),
    )


class Context(NamedTuple):
    """What every rule may read."""

    parsed: Parsed
    fields: MRZFields
    reference: dt.date


Rule = Callable[[Context], Iterable[Finding]]


def _finding(
    code: str,
    severity: Severity,
    category: Category,
    message: str,
    spans: Iterable[Span] = (),
    **evidence: str | int | float | bool,
) -> Finding:
    return Finding(code, severity, category, message, STAGE, tuple(spans), tuple(sorted(evidence.items())))


# --- check digits ---------------------------------------------------------------------------------


_DIGIT_TEXT = "0123456789"


def evaluate_check(check: CheckSpec, lines: tuple[str, ...]) -> CheckDigit:
    """Printed versus computed value of one check digit."""
    data = check_data(check, lines)
    printed = lines[check.line][check.column]
    try:
        computed = _DIGIT_TEXT[checkdigit.compute(data)]
    except KeyError:
        computed = "?"  # a character outside the MRZ alphabet
    ok = (printed == computed and computed != "?") or (
        check.filler_allowed and printed == FILLER and set(data) <= {FILLER}
    )
    return CheckDigit(check.name, printed, computed, ok, check.position, check.covers)


def _deviation_applies(dev: Deviation, ctx: Context) -> bool:
    fmt = ctx.parsed.layout.format.value
    return ctx.fields.issuing_state in dev.issuers and fmt in dev.formats


def check_digits(ctx: Context) -> tuple[tuple[CheckDigit, ...], list[Finding]]:
    """Evaluate every check digit, accepting known issuer deviations, and report each failure."""
    results: list[CheckDigit] = []
    findings: list[Finding] = []
    for check in ctx.parsed.checks:
        res = evaluate_check(check, ctx.parsed.lines)
        if not res.ok:
            accepted = _accept_deviation(ctx, res)
            if accepted is not None:
                res, note = accepted
                findings.append(note)
        results.append(res)
        if res.ok:
            if res.printed == FILLER:
                findings.append(_unused_note(res.name, res.position))
            continue
        if res.computed == "?":
            detail = "cannot be computed because the data holds characters outside the MRZ alphabet"
        elif res.printed not in "0123456789":
            detail = f"is '{res.printed}', which is not a digit; the data gives '{res.computed}'"
        else:
            detail = f"is '{res.printed}' but the data gives '{res.computed}'"
        findings.append(
            _finding(
                f"mrz.check_digit.{res.name}",
                Severity.ERROR,
                Category.INTEGRITY,
                f"The {label(res.name)} check digit ({res.position.human()}) {detail}.",
                [res.position, *res.covers],
                printed=res.printed,
                computed=res.computed,
            )
        )
    return tuple(results), findings


@functools.lru_cache(maxsize=64)
def _unused_note(name: str, position: Span) -> Finding:
    return _finding(
        f"mrz.check_digit.{name}.unused",
        Severity.INFO,
        Category.INTEGRITY,
        f"The {label(name)} check digit is '<' because the field is empty, as ICAO 9303 allows for an "
        "unused optional field.",
        [position],
    )


def _accept_deviation(ctx: Context, res: CheckDigit) -> tuple[CheckDigit, Finding] | None:
    """A failed check that a known issuer deviation explains, re-evaluated under that deviation."""
    ln = ctx.parsed.long_number
    if res.name != "document_number" or ln is None:
        return None
    for dev in deviations():
        if dev.rule != "long_number_check_includes_filler" or not _deviation_applies(dev, ctx):
            continue
        alt = evaluate_check(ln.check_with_filler, ctx.parsed.lines)
        if alt.ok:
            note = _finding(
                f"mrz.deviation.{dev.id}",
                Severity.INFO,
                Category.VALIDITY,
                f"Known issuer deviation: {dev.description} Accepted for {ctx.fields.issuing_state} ({dev.evidence}).",
                [alt.position, *alt.covers],
                printed=res.printed,
                computed_icao=res.computed,
            )
            return alt, note
    return None


# --- rules ----------------------------------------------------------------------------------------


def rule_charset(ctx: Context) -> Iterator[Finding]:
    """Only ``0-9 A-Z <`` anywhere; per field only what its kind allows."""
    lay = ctx.parsed.layout
    lines = ctx.parsed.lines
    if conforms(lay, lines):
        return
    illegal: list[Span] = []
    shown: list[str] = []
    for li, line in enumerate(lines):
        if set(line) <= ALPHABET:
            continue
        for col, ch in enumerate(line):
            if ch not in ALPHABET:
                illegal.append(Span(li, col, col + 1))
                shown.append(f"'{ch}' (U+{ord(ch):04X})")
    if illegal:
        yield _finding(
            "mrz.charset.illegal",
            Severity.ERROR,
            Category.INTEGRITY,
            f"Characters outside the MRZ alphabet (0-9, A-Z, <): {', '.join(shown[:8])}"
            + (" …" if len(shown) > 8 else "")
            + f" at {', '.join(s.human() for s in illegal[:8])}.",
            illegal,
        )
    long_cd = ctx.parsed.long_number.check.position if ctx.parsed.long_number else None
    for f in lay.fields:
        if f.kind is FieldKind.CHECK:
            continue  # judged by the check-digit evaluation
        allowed = CHARSETS[f.kind]
        if set(f.read(lines)) <= allowed:
            continue
        bad = [
            Span(f.line, c, c + 1)
            for c in range(f.start, f.end)
            if lines[f.line][c] in ALPHABET and lines[f.line][c] not in allowed
        ]
        if long_cd is not None and long_cd in bad:
            bad.remove(long_cd)
        if bad:
            what = {
                FieldKind.DATE: "digits",
                FieldKind.NAME: "letters and '<'",
                FieldKind.COUNTRY: "letters and '<'",
                FieldKind.CODE: "letters and '<'",
                FieldKind.SEX: "M, F or '<'",
            }.get(f.kind, "0-9, A-Z and '<'")
            chars = ", ".join(f"'{lines[s.line][s.start]}' at {s.human()}" for s in bad)
            yield _finding(
                f"mrz.field.{f.name}.charset",
                Severity.ERROR,
                Category.INTEGRITY,
                f"The {label(f.name)} may hold only {what}; found {chars}.",
                bad,
            )


_CODE_FIRST: dict[MRZFormat, str] = {
    MRZFormat.TD1: "ACI",
    MRZFormat.TD2: "ACI",
    MRZFormat.TD3: "P",
    MRZFormat.MRVA: "V",
    MRZFormat.MRVB: "V",
    MRZFormat.FRA_ID: "I",
}


def rule_document_code(ctx: Context) -> Iterable[Finding]:
    return _document_code_findings(ctx.parsed.layout.format, ctx.parsed.raw("document_code"))


@functools.lru_cache(maxsize=1024)
def _document_code_findings(fmt: MRZFormat, raw: str) -> tuple[Finding, ...]:
    """Findings of a document code: they depend on the layout and the code alone, so they are cached."""
    return tuple(_document_code_rule(LAYOUTS[fmt], raw))


def _document_code_rule(lay: Layout, raw: str) -> Iterator[Finding]:
    span = lay.field("document_code").span
    first, second = raw[0], raw[1]
    fmt = lay.format
    if fmt is MRZFormat.FRA_ID:
        return
    if first not in _CODE_FIRST[fmt]:
        if fmt is MRZFormat.TD2 and first == "P":
            yield _finding(
                "mrz.document_code.td2_passport",
                Severity.WARNING,
                Category.VALIDITY,
                "Document code P in the TD2 layout: a passport in ID-2 size, which some issuers use.",
                [span],
            )
        elif fmt is MRZFormat.TD3 and first in "ACI":
            yield _finding(
                "mrz.document_code.unusual",
                Severity.WARNING,
                Category.VALIDITY,
                f"Document code {first} in the TD3 (passport) layout: an identity or official document "
                "in passport format.",
                [span],
            )
        else:
            expected = " or ".join(_CODE_FIRST[fmt])
            yield _finding(
                "mrz.document_code.invalid",
                Severity.ERROR,
                Category.INTEGRITY,
                f"The document code of a {fmt.value} MRZ must start with {expected}; it starts with '{first}'.",
                [span],
            )
    if fmt in (MRZFormat.TD1, MRZFormat.TD2):
        if second == "V":
            yield _finding(
                "mrz.document_code.invalid",
                Severity.ERROR,
                Category.INTEGRITY,
                "The second character of a TD1/TD2 document code must not be V (reserved for visas).",
                [span],
            )
        elif first == "A" and second == "C":
            yield _finding(
                "mrz.document_code.crew_member",
                Severity.INFO,
                Category.VALIDITY,
                "Document code AC: a crew member certificate.",
                [span],
            )
        elif first == "A" and second == "I":
            yield _finding(
                "mrz.document_code.invalid",
                Severity.ERROR,
                Category.INTEGRITY,
                "Document code AI is not allowed: I must not follow A in a TD1/TD2 document code.",
                [span],
            )


def rule_country_codes(ctx: Context) -> Iterator[Finding]:
    fmt = ctx.parsed.layout.format
    for name in ("issuing_state", "nationality"):
        raw = ctx.parsed.texts.get(name)
        if raw is not None:
            yield from _country_findings(fmt, name, raw)


@functools.lru_cache(maxsize=4096)
def _country_findings(fmt: MRZFormat, name: str, raw: str) -> tuple[Finding, ...]:
    return tuple(_country_rule(LAYOUTS[fmt].field(name), raw))


def _country_rule(spec: FieldSpec, raw: str) -> Iterator[Finding]:
    name = spec.name
    code = raw.rstrip(FILLER)
    status = countries.status(code) if code and FILLER not in code else countries.CodeStatus.UNKNOWN
    if status is countries.CodeStatus.UNKNOWN:
        yield _finding(
            f"mrz.country.{name}.unknown",
            Severity.ERROR,
            Category.VALIDITY,
            f"The {label(name)} '{raw}' is neither an ISO 3166-1 alpha-3 code nor an ICAO code.",
            [spec.span],
            value=raw,
        )
    elif status is countries.CodeStatus.DEPRECATED:
        yield _finding(
            f"mrz.country.{name}.deprecated",
            Severity.WARNING,
            Category.VALIDITY,
            f"The {label(name)} {code} is a deprecated code: {countries.describe(code)}.",
            [spec.span],
            value=code,
        )
    elif status is countries.CodeStatus.ICAO_SPECIAL and code != "D":
        yield _finding(
            f"mrz.country.{name}.icao_code",
            Severity.INFO,
            Category.VALIDITY,
            f"The {label(name)} {code} is an ICAO code: {countries.describe(code)}.",
            [spec.span],
            value=code,
        )


def _known_parts_valid(raw: str) -> bool:
    """Whether a birth date with unknown parts (``YYMMDD``, a whole part printed ``<<``) is a calendar date in
    the parts it gives: a month 01–12, a day that month can have (29 February when the year is unknown or
    could be a leap year; 31 when the month is unknown). A part that is half ``<`` is not a date."""
    parts = (raw[0:2], raw[2:4], raw[4:6])
    if any(FILLER in p and p != FILLER * 2 for p in parts):
        return False
    yy, mm, dd = (None if p == FILLER * 2 else int(p) for p in parts)
    if mm is not None and not 1 <= mm <= 12:
        return False
    if dd is None:
        return True
    if mm is None:
        most = 31
    elif mm == 2:
        most = 29 if yy is None or yy % 4 == 0 else 28  # 00: 2000 was a leap year
    else:
        most = calendar.monthrange(2001, mm)[1]
    return 1 <= dd <= most


def rule_dates(ctx: Context) -> Iterator[Finding]:
    lay = ctx.parsed.layout
    fields = ctx.fields
    ref = ctx.reference
    for name in ("birth_date", "expiry_date"):
        if not lay.has_field(name):
            continue
        spec = lay.field(name)
        raw = spec.read(ctx.parsed.lines)
        value = fields.birth_date if name == "birth_date" else fields.expiry_date
        if value is not None:
            continue
        if (
            name == "birth_date"
            and FILLER in raw
            and all(c.isdigit() or c == FILLER for c in raw)
            and _known_parts_valid(raw)
        ):
            yield _finding(
                "mrz.date.birth_date.unknown_parts",
                Severity.INFO,
                Category.VALIDITY,
                f"The birth date '{raw}' has unknown parts (printed '<'), as ICAO allows.",
                [spec.span],
            )
            continue
        yield _finding(
            f"mrz.date.{name}.invalid",
            Severity.ERROR,
            Category.INTEGRITY,
            f"The {label(name)} '{raw}' ({spec.span.human()}) is not a calendar date (YYMMDD).",
            [spec.span],
        )
    birth, expiry = fields.birth_date, fields.expiry_date
    if expiry is not None:
        span = lay.field("expiry_date").span
        if expiry < ref:
            yield _finding(
                "mrz.validity.expired",
                Severity.WARNING,
                Category.VALIDITY,
                f"The document expired on {expiry.isoformat()} (reference date {ref.isoformat()}).",
                [span],
                expiry=expiry.isoformat(),
                reference_date=ref.isoformat(),
            )
        elif expiry.year - ref.year > MAX_VALIDITY_YEARS:
            yield _finding(
                "mrz.validity.expiry_implausible",
                Severity.WARNING,
                Category.VALIDITY,
                f"The expiry date {expiry.isoformat()} is more than {MAX_VALIDITY_YEARS} years after the "
                f"reference date {ref.isoformat()}; no travel document is valid that long.",
                [span],
            )
    if birth is not None:
        span = lay.field("birth_date").span
        age = ref.year - birth.year - ((ref.month, ref.day) < (birth.month, birth.day))
        if birth > ref:
            yield _finding(
                "mrz.validity.birth_in_future",
                Severity.ERROR,
                Category.VALIDITY,
                f"The birth date {birth.isoformat()} is after the reference date {ref.isoformat()}.",
                [span],
            )
        else:
            # Two-digit years resolve to an age under 100 on the reference date, so an implausible
            # age shows at expiry: a document that outlives any holder.
            at_expiry = None if expiry is None else expiry.year - birth.year
            if age > MAX_AGE_YEARS or (at_expiry is not None and at_expiry > MAX_AGE_YEARS):
                oldest = max(age, at_expiry or 0)
                yield _finding(
                    "mrz.validity.implausible_age",
                    Severity.ERROR,
                    Category.VALIDITY,
                    f"The holder would be {oldest} years old "
                    + ("on the reference date" if oldest == age else "when the document expires")
                    + f"; more than {MAX_AGE_YEARS} is implausible.",
                    [span],
                    age=oldest,
                )
        if expiry is not None and expiry <= birth:
            yield _finding(
                "mrz.validity.expiry_before_birth",
                Severity.ERROR,
                Category.VALIDITY,
                f"The expiry date {expiry.isoformat()} is not after the birth date {birth.isoformat()}.",
                [span, lay.field("expiry_date").span],
            )
    if lay.format is MRZFormat.FRA_ID:
        yield from _french_issue_date(ctx)


def _french_issue_date(ctx: Context) -> Iterator[Finding]:
    spec = ctx.parsed.layout.field("document_number")
    yymm = spec.read(ctx.parsed.lines)[:4]
    issued = None
    if yymm.isdigit():
        year = 2000 + int(yymm[:2])
        if year > ctx.reference.year:
            year -= 100
        month = int(yymm[2:])
        issued = (year, month) if 1 <= month <= 12 else None
    span = Span(spec.line, spec.start, spec.start + 4)
    if issued is None:
        yield _finding(
            "mrz.date.issue_date.invalid",
            Severity.ERROR,
            Category.INTEGRITY,
            f"The issue year and month '{yymm}' at the start of the card number are not a valid YYMM.",
            [span],
        )
    elif issued > (ctx.reference.year, ctx.reference.month):
        yield _finding(
            "mrz.validity.not_yet_valid",
            Severity.WARNING,
            Category.VALIDITY,
            f"The card was issued in {issued[0]}-{issued[1]:02d}, after the reference date "
            f"{ctx.reference.isoformat()}.",
            [span],
        )


def rule_sex(ctx: Context) -> Iterable[Finding]:
    return _sex_findings(ctx.parsed.layout.format, ctx.parsed.raw("sex"))


@functools.lru_cache(maxsize=256)
def _sex_findings(fmt: MRZFormat, raw: str) -> tuple[Finding, ...]:
    return tuple(_sex_rule(LAYOUTS[fmt].field("sex"), raw))


def _sex_rule(spec: FieldSpec, raw: str) -> Iterator[Finding]:
    if raw == "X":
        yield _finding(
            "mrz.sex.x",
            Severity.INFO,
            Category.VALIDITY,
            "Sex printed as X; ICAO 9303 uses '<' for unspecified, but several issuers print X.",
            [spec.span],
        )
    elif raw not in "MF<":
        yield _finding(
            "mrz.sex.invalid",
            Severity.ERROR,
            Category.INTEGRITY,
            f"The sex field holds '{raw}'; only M, F or '<' (and X) are allowed.",
            [spec.span],
        )


def rule_names(ctx: Context) -> Iterator[Finding]:
    lay = ctx.parsed.layout
    names = ("surname", "given_names") if lay.format is MRZFormat.FRA_ID else ("name",)
    for name in names:
        spec = lay.field(name)
        raw = spec.read(ctx.parsed.lines)
        body = raw.rstrip(FILLER)
        if not body:
            if name != "given_names":
                yield _finding(
                    f"mrz.name.{name}.empty",
                    Severity.ERROR,
                    Category.INTEGRITY,
                    f"The {label(name)} field is empty.",
                    [spec.span],
                )
            continue
        if raw.startswith(FILLER) and name != "given_names":
            yield _finding(
                "mrz.name.no_primary_identifier",
                Severity.WARNING,
                Category.VALIDITY,
                "The name starts with '<': no primary identifier (surname) is given.",
                [spec.span],
            )
        trailing = raw.find("<<<", 1)
        if trailing >= 0 and raw[trailing:].strip(FILLER):
            col = spec.start + trailing + len(raw[trailing:]) - len(raw[trailing:].lstrip(FILLER))
            yield _finding(
                "mrz.name.syntax",
                Severity.WARNING,
                Category.INTEGRITY,
                "Letters follow the trailing filler of the name ('<<<'); name components are separated "
                "by a single '<' and the identifiers by '<<'.",
                [Span(spec.line, col, spec.end)],
            )
        elif name == "name" and raw.count("<<", 0, len(body)) > 1 and "<<<" not in body:
            yield _finding(
                "mrz.name.syntax",
                Severity.WARNING,
                Category.INTEGRITY,
                "The name holds more than one '<<' separator; only one may separate the primary from "
                "the secondary identifier.",
                [spec.span],
            )
        if raw[-1] != FILLER:
            yield _finding(
                "mrz.name.truncated",
                Severity.INFO,
                Category.VALIDITY,
                f"The {label(name)} fills the field to its last position and may be truncated.",
                [Span(spec.line, spec.end - 1, spec.end)],
            )


_FILLER_LOOKALIKES = frozenset("KX")


def rule_filler(ctx: Context) -> Iterator[Finding]:
    """A lone K or X after a number's or optional field's filler: almost surely a misread '<'.

    Check digits cannot see it (K has the value 20, which counts as the filler's 0).
    """
    lines = ctx.parsed.lines
    if not any("K" in line or "X" in line for line in lines):
        return
    for f in ctx.parsed.layout.fields:
        if f.kind is not FieldKind.ALNUM:
            continue
        text = f.read(lines)
        if "K" not in text and "X" not in text:
            continue
        for i in range(1, len(text)):
            if text[i] in _FILLER_LOOKALIKES and text[i - 1] == FILLER and set(text[i + 1 :]) <= {FILLER}:
                span = Span(f.line, f.start + i, f.start + i + 1)
                yield _finding(
                    f"mrz.field.{f.name}.filler",
                    Severity.WARNING,
                    Category.INTEGRITY,
                    f"'{text[i]}' at {span.human()} stands alone in the {label(f.name)}'s trailing filler; "
                    "it is probably a misread '<'.",
                    [span],
                )


def rule_long_number(ctx: Context) -> Iterator[Finding]:
    """A TD1/TD2 document number longer than 9 characters (``<`` in its check-digit place, the rest at the start
    of the optional data, then its check digit and a ``<``): an info finding, and a warning where the layout
    breaks that syntax — nothing continues the number (a 9-character number's check digit belongs in its own
    place), or the check digit ends the optional data with no ``<`` after it."""
    ln = ctx.parsed.long_number
    if ln is None:
        return
    lay = ctx.parsed.layout
    opt = lay.field("optional_data")
    own = lay.check("document_number")
    if ln.continuation.end == ln.continuation.start:
        yield _finding(
            "mrz.document_number.long_syntax",
            Severity.WARNING,
            Category.INTEGRITY,
            f"The document number's check-digit place ({own.position.human()}) holds '<', which marks a number "
            f"longer than 9 characters, but nothing continues it: the check digit stands at "
            f"{ln.check.position.human()} instead. A 9-character number has its check digit in its own place.",
            [own.position, ln.check.position],
        )
        return
    yield _finding(
        "mrz.document_number.long",
        Severity.INFO,
        Category.INTEGRITY,
        f"The document number has {len(ctx.fields.document_number)} characters; positions beyond the "
        f"ninth continue in the optional data ({ln.continuation.human()}), with the check digit at "
        f"{ln.check.position.human()}.",
        [lay.field("document_number").span, ln.continuation, ln.check.position],
    )
    if ln.check.column == opt.end - 1:
        yield _finding(
            "mrz.document_number.long_syntax",
            Severity.WARNING,
            Category.INTEGRITY,
            "The check digit of a long document number must be followed by '<', but it ends the optional data "
            f"({ln.check.position.human()}).",
            [ln.check.position],
        )


def rule_specimen(ctx: Context) -> Iterator[Finding]:
    m = specimen_markers()
    f = ctx.fields
    reasons: list[str] = []
    if f.issuing_state in m.states or (f.nationality or "") in m.states:
        reasons.append("the specimen state code UTO")
    if f.document_number in m.document_numbers or f.document_number.startswith(m.document_number_prefixes):
        reasons.append(f"the example document number {f.document_number}")
    words = set(f"{f.surname} {f.given_names}".split())
    hits = sorted(words & m.name_words)
    if hits:
        reasons.append(f"the specimen name word{'s' if len(hits) > 1 else ''} {', '.join(hits)}")
    if reasons:
        yield _finding(
            "mrz.specimen",
            Severity.WARNING,
            Category.VALIDITY,
            f"This is a specimen document ({'; '.join(reasons)}). Specimens are not valid for travel; "
            "this is not a forgery cue.",
        )


RULES: tuple[Rule, ...] = (
    rule_charset,
    rule_document_code,
    rule_country_codes,
    rule_dates,
    rule_sex,
    rule_names,
    rule_filler,
    rule_long_number,
    rule_specimen,
)


class Validation(NamedTuple):
    fields: MRZFields
    check_digits: tuple[CheckDigit, ...]
    findings: tuple[Finding, ...]


def validate(parsed: Parsed, reference: dt.date) -> Validation:
    """Run every rule on ``parsed``; the findings come check digits first, then in rule order."""
    fields = decode_fields(parsed, reference)
    ctx = Context(parsed, fields, reference)
    results, findings = check_digits(ctx)
    for rule in RULES:
        findings.extend(rule(ctx))
    return Validation(fields, results, tuple(findings))
