"""Read MRZ text end to end: split and clean the text, find the layout, repair, parse and validate.

>>> r = read_mrz(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
...               "L898902C36UTO7408122F1204159ZE184226B<<<<<10"], reference_date=dt.date(2010, 1, 1))
>>> r.format.value, r.valid, r.fields.document_number
('TD3', True, 'L898902C3')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from docverify.config import reference_day
from docverify.errors import InputError, InputTooLargeError, MRZFormatError
from docverify.mrz import checkdigit
from docverify.mrz.parse import parse
from docverify.mrz.repair import (
    Alternatives,
    RepairConfig,
    check_alternative_values,
    correction_finding,
    fits_shape,
    normalize_characters,
    repair,
)
from docverify.mrz.spec import (
    ALPHABET,
    CHARSETS,
    CLEAN_LINE,
    FILLER,
    LAYOUTS,
    SUPPORTED_SHAPES,
    FieldSpec,
    Layout,
    detect_format,
)
from docverify.mrz.validate import validate
from docverify.results import (
    UNRELIABLE,
    Category,
    CheckDigit,
    Correction,
    Finding,
    MRZFormat,
    MRZResult,
    Severity,
    Span,
)

STAGE = "mrz.read"
MAX_TEXT_CHARS = 10_000
"""Longest text accepted. An MRZ has at most 132 characters; OCR output with noise stays far below."""
MAX_LINES = 50
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\ufeff\u200b\u200c\u200d\u2060\u00ad\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    )
)
"""Byte-order mark, zero-width characters, soft hyphens and bidirectional marks (as pasted from a
right-to-left page): invisible, never part of an MRZ."""
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""Half a UTF-16 pair, or a byte that was not UTF-8 (Python decodes command-line bytes to these): not text.
Each is read as U+FFFD, so that it is reported as an illegal character and every output stays valid UTF-8."""
_SHAPES = sorted({(lay.line_count, lay.line_length) for lay in LAYOUTS.values()})


@dataclass(frozen=True, slots=True)
class _Prepared:
    format: MRZFormat
    lines: tuple[str, ...]
    given: tuple[str, ...]
    """The lines as given (white space and extra lines removed), before any change of character."""
    findings: tuple[Finding, ...]
    corrections: tuple[Correction, ...]


def split_text(text: str | Sequence[str], *, max_chars: int = MAX_TEXT_CHARS) -> tuple[tuple[str, ...], bool]:
    """Non-empty lines of ``text`` with all white space and invisible characters (:data:`_INVISIBLE`) removed,
    and whether any white space was removed inside a line or any invisible character anywhere in one.

    ``text`` is one string (lines separated by newlines) or a sequence of strings (one or more lines
    each). Raises :class:`InputTooLargeError` beyond ``max_chars`` characters and :class:`InputError`
    when there is no text at all.
    """
    parts = [text] if isinstance(text, str) else list(text)
    total = sum(len(p) for p in parts)
    if total > max_chars:
        raise InputTooLargeError(
            f"MRZ text too long: {total:,} characters (limit {max_chars:,}); an MRZ has at most "
            "3 lines of 44 characters"
        )
    lines: list[str] = []
    inner_ws = False
    for part in parts:
        if part and CLEAN_LINE.fullmatch(part):  # the common case: one clean line per item
            lines.append(part)
            continue
        for raw in _LONE_SURROGATE.sub("\ufffd", part).splitlines():
            visible = raw.translate(_INVISIBLE)
            stripped = visible.strip()
            if not stripped:
                continue
            cleaned = "".join(stripped.split())
            inner_ws |= cleaned != stripped or visible != raw
            lines.append(cleaned)
    if not lines:
        raise InputError("no MRZ text given (the input is empty or only white space)")
    if len(lines) > MAX_LINES:
        raise InputTooLargeError(f"too many lines: {len(lines)} (limit {MAX_LINES})")
    return tuple(lines), inner_ws


def _note(code: str, severity: Severity, category: Category, message: str) -> Finding:
    return Finding(code, severity, category, message, STAGE)


def _shape_text(lines: Sequence[str]) -> str:
    if len(lines) == 1:
        n = len(lines[0])
        return f"1 line of {n} character{'s' if n != 1 else ''}"
    lengths = [str(len(x)) for x in lines]
    return f"{len(lines)} lines of {', '.join(lengths[:-1])} and {lengths[-1]} characters"


def _select_window(lines: tuple[str, ...]) -> tuple[tuple[str, ...], int] | None:
    """The one run of consecutive lines with a supported shape, and how many lines were left out."""
    found: list[tuple[str, ...]] = []
    for count, length in _SHAPES:
        for i in range(len(lines) - count + 1):
            window = lines[i : i + count]
            if all(len(x) == length for x in window):
                found.append(window)
    if len(found) == 1:
        return found[0], len(lines) - len(found[0])
    return None


@dataclass(frozen=True, slots=True)
class _LengthFix:
    text: str
    note: str
    at: int = 0
    """Columns at or after ``at`` of the original line moved by ``shift``."""
    shift: int = 0


def _length_variants(line: str, target: int) -> list[_LengthFix]:
    """Ways to bring ``line`` to ``target`` characters by adding or removing ``<`` in a filler run."""
    delta = target - len(line)
    if delta == 0:
        return [_LengthFix(line, "")]
    out: list[_LengthFix] = []
    for m in re.finditer("<+", line):
        start, end = m.start(), m.end()
        if delta > 0:
            text = line[:end] + FILLER * delta + line[end:]
            out.append(_LengthFix(text, f"inserted {delta} '<' at position {end + 1}", end, delta))
        elif end - start >= -delta:
            text = line[: end + delta] + line[end:]
            out.append(_LengthFix(text, f"removed {-delta} '<' at position {end + delta + 1}", end, delta))
    if delta < 0 and line.endswith(FILLER * -delta):
        out.append(_LengthFix(line[:delta], f"removed {-delta} trailing '<'"))
    return out


def _repair_lengths(lines: tuple[str, ...], reference: dt.date, config: RepairConfig) -> tuple[_LengthFix, ...] | None:
    """Lines off by one or two characters, fixed in their filler runs so that every check digit holds.

    Returns ``None`` unless exactly one cheapest such fix leaves every check digit valid.
    """
    best: list[tuple[float, tuple[_LengthFix, ...]]] = []
    for count, length in _SHAPES:
        if count != len(lines) or any(abs(len(x) - length) > 2 for x in lines):
            continue
        options = [_length_variants(x, length) for x in lines]
        for combo in itertools.islice(itertools.product(*options), 256):
            candidate = tuple(fix.text for fix in combo)
            fmt = detect_format(candidate)
            if fmt is None or any(ch not in ALPHABET for x in candidate for ch in x):
                continue
            layout = LAYOUTS[fmt]
            outcome = repair(layout, candidate, config=config)
            if outcome.ambiguous:
                continue
            checks = validate(parse(layout, outcome.lines), reference).check_digits
            if all(c.ok for c in checks):
                best.append((outcome.cost, combo))
    best.sort(key=lambda b: b[0])
    if not best or (len(best) > 1 and best[1][0] - best[0][0] < config.tie_margin):
        return None
    return best[0][1]


def _prepare(text: str | Sequence[str], *, do_repair: bool, reference: dt.date, config: RepairConfig) -> _Prepared:
    lines, inner_ws = split_text(text)
    findings: list[Finding] = []
    if inner_ws:
        findings.append(
            _note(
                "mrz.input.whitespace",
                Severity.INFO,
                Category.QUALITY,
                "Spaces or invisible characters (zero-width, soft hyphens, direction marks) in the lines were removed.",
            )
        )
    fmt = detect_format(lines)
    if fmt is None:
        window = _select_window(lines)
        if window is not None:
            lines, dropped = window
            findings.append(
                _note(
                    "mrz.input.extra_lines",
                    Severity.INFO,
                    Category.QUALITY,
                    f"Ignored {dropped} line{'s' if dropped != 1 else ''} that are not part of the MRZ.",
                )
            )
    given = lines
    corrections: tuple[Correction, ...] = ()
    if do_repair:
        lines, corrections = normalize_characters(lines)
    if fmt is None or corrections:
        fmt = detect_format(lines)
    if fmt is not None:
        return _Prepared(fmt, lines, given, tuple(findings), corrections)
    if do_repair:
        fixes = _repair_lengths(lines, reference, config)
        if fixes is not None:
            lines = tuple(fix.text for fix in fixes)
            notes = [f"line {i + 1}: {fix.note}" for i, fix in enumerate(fixes) if fix.note]
            findings.append(
                _note(
                    "mrz.input.length_repaired",
                    Severity.WARNING,
                    Category.QUALITY,
                    "Line lengths were repaired in filler runs (" + "; ".join(notes) + "); every check "
                    "digit holds after the change.",
                )
            )
            corrections = tuple(_shift(c, fixes[c.line]) for c in corrections)
            fmt = detect_format(lines)
            if fmt is not None:
                return _Prepared(fmt, lines, given, tuple(findings), corrections)
    raise MRZFormatError(f"not an MRZ: got {_shape_text(lines)}; expected {SUPPORTED_SHAPES}")


def _shift(c: Correction, fix: _LengthFix) -> Correction:
    if fix.shift and c.column >= fix.at:
        return dataclasses.replace(c, column=c.column + fix.shift)
    return c


def read_mrz(
    text: str | Iterable[str],
    *,
    reference_date: dt.date | None = None,
    repair_text: bool = True,
    alternatives: Alternatives | None = None,
    config: RepairConfig | None = None,
) -> MRZResult:
    """Read, repair and validate MRZ text.

    ``text``: the MRZ as one string with newlines, or as lines (any iterable of str: a list, a file object).
    ``reference_date`` (default: today) resolves centuries and decides expiry. ``repair_text`` enables case and
    look-alike normalisation, length repair and the check-digit-guided repair; ``alternatives``
    (per line, per column: ``(char, probability)``) feed that repair from a recognizer.

    Raises :class:`~docverify.errors.InputError` when the text is empty, too large or has no MRZ shape;
    every defect of the document itself is a finding in the result. Raises :class:`TypeError` for arguments of
    the wrong type and :class:`ValueError` for a reference date outside
    :data:`~docverify.config.REFERENCE_YEARS` or alternatives that are not single characters with
    probabilities in 0–1.
    """
    reference = reference_day(reference_date) or dt.date.today()
    if config is not None and not isinstance(config, RepairConfig):
        raise TypeError(f"config must be a RepairConfig, not {type(config).__name__}")
    given: object = text  # what a caller passed, whatever the annotation says
    source: str | list[str]
    if isinstance(given, str):
        source = given
    else:
        if isinstance(given, bytes | bytearray | memoryview) or not isinstance(given, Sequence | Iterator):
            raise TypeError("text must be a str or lines of str in order (decode bytes first; not a set)")
        source = list(given)  # a file object or a generator of lines too, read once
        if not all(isinstance(t, str) for t in source):
            raise TypeError("text must be a str or lines of str (decode bytes first)")
    if alternatives is not None:
        check_alternative_values(alternatives)
    cfg = config or RepairConfig()
    prepared = _prepare(source, do_repair=repair_text, reference=reference, config=cfg)
    lines = prepared.lines
    fmt = prepared.format
    layout = LAYOUTS[fmt]
    findings = list(prepared.findings)
    corrections = list(prepared.corrections)
    validation = validate(parse(layout, lines), reference)
    if repair_text and (alternatives is not None or _needs_repair(validation.check_digits, validation.findings)):
        outcome = repair(layout, lines, alternatives=alternatives, config=cfg)
        corrections = _merge(corrections, outcome.corrections)
        findings.extend(f for f in outcome.findings if f.code != "mrz.repair.corrected")
        if outcome.lines != lines:
            lines = outcome.lines
            validation = validate(parse(layout, lines), reference)
    findings[len(prepared.findings) : len(prepared.findings)] = [correction_finding(c) for c in corrections]
    findings.extend(validation.findings)
    if alternatives is not None:
        findings.extend(_low_confidence(layout, lines, alternatives, validation.check_digits, corrections))
        findings.extend(
            _unreliable(layout, lines, alternatives, findings, corrections=corrections, checks=validation.check_digits)
        )
    return MRZResult(
        format=fmt,
        lines=lines,
        input_lines=prepared.given,
        valid=not any(f.severity is Severity.ERROR for f in findings),
        fields=validation.fields,
        check_digits=validation.check_digits,
        corrections=tuple(corrections),
        findings=tuple(findings),
        reference_date=reference,
        repaired=lines != prepared.given,
    )


LOW_CONFIDENCE_MARGIN = 0.25
"""A character is read with low confidence when the recognizer gave a runner-up the field allows a probability
within this margin of the character's own, or at least :data:`LOW_CONFIDENCE_RIVAL`."""
LOW_CONFIDENCE_RIVAL = 0.1
"""A runner-up with at least this probability makes a character low-confidence whatever the margin: one
chance in ten that a name's letter is another. Chosen on
``benchmarks/bench_repair_ocr.py``'s small, noisy generated images, where the recognizer read letters wrongly
at 64–92 % (the true letter its runner-up at 8–36 %): this rule warns on 24 of the 30 readings that came out
wrong with no warning, and on 13 of 989 right ones; on the calibration split's 600 genuine phone photos it
adds a warning to 3 that had none (on the evaluation split's, measured after the choice: 5; 2026-11-24, figures
in benchmarks/RESULTS.md)."""


def _low_confidence(
    layout: Layout,
    lines: tuple[str, ...],
    alternatives: Alternatives,
    checks: Sequence[CheckDigit],
    corrections: Sequence[Correction],
) -> list[Finding]:
    """A warning naming the characters the recognizer was unsure of that no passing check digit covers
    (names, codes, sex, unprotected optional data): nothing else would catch a misread there. Only rivals
    the field allows count (a name's 'O' is not in doubt because the recognizer also saw a '0'). Where a
    passing check digit does cover a character, only rivals of the same check value count: the digit cannot
    tell ``6`` from ``G`` or ``0`` from ``K`` (values equal mod 10), so a doubt between them stays a doubt.

    ``alternatives``: per line, per column ``(char, probability)`` as given to the repair; a reading whose
    shape differs from ``lines`` (a line was lengthened or shortened) is not judged."""
    if not fits_shape(alternatives, lines):
        return []
    covered = _confirmed(checks)
    corrected = {(c.line, c.column) for c in corrections}  # each already has its own finding
    unsure: list[tuple[int, int, str, float, str, float]] = []
    for li, (text, row) in enumerate(zip(lines, alternatives, strict=True)):
        for col, (ch, options) in enumerate(zip(text, row, strict=True)):
            if (li, col) in corrected or not options:
                continue
            own = dict(options).get(ch, 0.0)
            allowed = CHARSETS[layout.kind_at(li, col)]
            if (li, col) in covered:
                value = checkdigit.VALUES[ch] % 10 if ch in checkdigit.VALUES else None
                allowed = frozenset(c for c in allowed if checkdigit.VALUES[c] % 10 == value)
            doubt = _doubt(ch, options, allowed)
            if doubt is not None:
                unsure.append((li, col, ch, own, *doubt))
    if not unsure:
        return []
    spans = tuple(Span(li, col, col + 1) for li, col, *_ in unsure)
    listed = "; ".join(
        f"{Span(li, col, col + 1).human()}: '{ch}' ({own:.0%}), or '{rival}' ({rival_p:.0%})"
        for li, col, ch, own, rival, rival_p in unsure[:6]
    )
    return [
        Finding(
            "mrz.read.low_confidence",
            Severity.WARNING,
            Category.QUALITY,
            f"Characters read with low confidence where no check digit can confirm them ({listed}"
            + ("; …" if len(unsure) > 6 else "")
            + "). Compare them with the printed MRZ and the visual zone.",
            STAGE,
            spans,
        )
    ]


def _confirmed(checks: Sequence[CheckDigit]) -> set[tuple[int, int]]:
    """(line, column) of every character a passing check digit covers, and of that digit: it vouches for them,
    up to swaps of the same check value (``6`` for ``G``, ``0`` for ``K``)."""
    out: set[tuple[int, int]] = set()
    for c in checks:
        if c.ok:
            out.add((c.position.line, c.position.start))
            out |= {(s.line, col) for s in c.covers for col in range(s.start, s.end)}
    return out


def _doubt(ch: str, options: Sequence[tuple[str, float]], allowed: frozenset[str]) -> tuple[str, float] | None:
    """The strongest runner-up to ``ch`` among ``allowed`` characters, ``(char, probability)``, when it makes
    ``ch`` low-confidence (within :data:`LOW_CONFIDENCE_MARGIN` of its probability, or at least
    :data:`LOW_CONFIDENCE_RIVAL`); else ``None``."""
    own = dict(options).get(ch, 0.0)
    rival, rival_p = max(
        ((c, p) for c, p in options if c != ch and c in allowed), key=lambda o: o[1], default=("", 0.0)
    )
    if rival and (own - rival_p < LOW_CONFIDENCE_MARGIN or rival_p >= LOW_CONFIDENCE_RIVAL):
        return rival, rival_p
    return None


_IMPOSSIBLE = r"field\.\w+\.charset|sex\.invalid|date\.\w+\.invalid|country\.\w+\.unknown"
"""Code tails (after ``mrz.``) of the errors that say a field's value is impossible."""

MISREAD_SHAPED = re.compile(rf"mrz\.(?:{_IMPOSSIBLE}|repair\.ambiguous)")
"""Error codes of the kinds a misreading makes on its own — a character outside its field's alphabet, an
impossible date or sex, an unknown state code, two repairs equally likely — and that say nothing of an
alteration (a forger prints valid-looking values): :func:`_unreliable` neither needs doubt on them nor
lets them alone make a reading unreliable — unless they are only ambiguous repairs (:func:`_undecided`) or
put impossible values in several fields at once (:func:`_garbled`)."""

GARBLED = re.compile(rf"mrz\.(?:{_IMPOSSIBLE})")
"""The :data:`MISREAD_SHAPED` codes that say a field's value is impossible (not an ambiguous repair)."""

GARBLED_FIELDS = 3
"""How many fields holding impossible values make a reading garbled (:func:`_garbled`). Chosen on the
calibration split (2026-11-24): the genuine MRZs read so, mostly a line read shifted by a character or two,
had 3–5 such fields; the forgeries at most 1 (a digit copied over the sex, an altered date)."""


def _garbled(layout: Layout, findings: Sequence[Finding]) -> list[FieldSpec]:
    """The fields (in layout order) holding values no genuine MRZ prints — a character outside the
    field's alphabet, a date that is not a calendar date, an impossible sex, an unknown state code — by the
    spans of :data:`GARBLED` findings; empty when fewer than :data:`GARBLED_FIELDS`. A forger alters a value or
    two and keeps them plausible; a reading with many impossible values at once was misaligned or misread."""
    spans = [s for f in findings if GARBLED.fullmatch(f.code) for s in f.spans]
    cells = {(s.line, col) for s in spans for col in range(s.start, s.end)}
    hit = [f for f in layout.fields if any((f.line, col) in cells for col in range(f.start, f.end))]
    return hit if len(hit) >= GARBLED_FIELDS else []


def _unreliable(
    layout: Layout,
    lines: tuple[str, ...],
    alternatives: Alternatives,
    findings: Sequence[Finding],
    *,
    corrections: Sequence[Correction],
    checks: Sequence[CheckDigit],
) -> list[Finding]:
    """A warning when the reading has errors other than :data:`MISREAD_SHAPED` ones and each of them covers
    (in its ``spans``: a check digit's field and digit, a field's characters) a character the recognizer
    was unsure of — a runner-up the field allows, as :func:`_doubt` says, and for a failing check digit one of
    another check value, since only such a misread could break it — or one the repair changed from what the
    recognizer read; characters a passing check digit covers never count (it confirms them). A misread
    character breaks a check digit just as a forger's does; only an error on characters read with confidence
    is evidence about the document. An error without spans, or
    one on confident characters only (a broken check digit read clearly), keeps the reading judged as it
    is, and so does a reading whose only errors are misread-shaped (an unknown state code read clearly) —
    but not one whose only errors are ambiguous repairs (:func:`_undecided`), nor a garbled one, with
    impossible values in :data:`GARBLED_FIELDS` fields or more (:func:`_garbled`), whatever its confidence.

    ``alternatives``: per line, per column ``(char, probability)`` as given to the repair; a reading whose
    shape differs from ``lines`` is not judged."""
    errors = [f for f in findings if f.severity is Severity.ERROR and not MISREAD_SHAPED.fullmatch(f.code)]
    if not errors:
        return _undecided(findings)
    garbled = _garbled(layout, findings)
    if garbled:
        named = ", ".join(f.name.replace("_", " ") for f in garbled)
        return [
            Finding(
                UNRELIABLE,
                Severity.WARNING,
                Category.QUALITY,
                f"The reading is garbled: {len(garbled)} fields hold values no genuine MRZ prints ({named}: "
                "characters outside their field's alphabet, dates that are not calendar dates, an impossible sex "
                "or unknown state codes). A line read shifted by a lost or extra character, or badly misread, gives "
                "that; an alteration does not (a forger keeps the values plausible). Its other errors, failing "
                "check digits included, may be misreadings too, so they prove nothing. Retake the image (the "
                "whole MRZ, sharp, close enough, square on); if a sharp image gives the same, examine the MRZ "
                "itself.",
                STAGE,
                tuple(f.span for f in garbled),
            )
        ]
    if not fits_shape(alternatives, lines):
        return []
    corrected = {(c.line, c.column): c for c in corrections}
    confirmed = _confirmed(checks)

    def unsure(li: int, col: int, *, check: bool) -> str | None:
        """How the character at (li, col) is in doubt, in words; ``None`` when it was read with confidence or a
        passing check digit confirms it. ``check``: the error is a failing check digit, which only a rival of
        another check value (not ``<`` for ``K``, ``6`` for ``G``) could explain."""
        if not (0 <= li < len(lines) and 0 <= col < len(lines[li])) or (li, col) in confirmed:
            return None
        ch, options = lines[li][col], alternatives[li][col]
        where = Span(li, col, col + 1).human()
        if (li, col) in corrected:
            return f"{where}: read '{corrected[(li, col)].original}', taken as '{ch}'"
        allowed = CHARSETS[layout.kind_at(li, col)]
        if check and ch in checkdigit.VALUES:
            allowed = frozenset(c for c in allowed if checkdigit.VALUES[c] % 10 != checkdigit.VALUES[ch] % 10)
        doubt = _doubt(ch, options, allowed) if options else None
        if doubt is None:
            return None
        return f"{where}: '{ch}' ({dict(options).get(ch, 0.0):.0%}) or '{doubt[0]}' ({doubt[1]:.0%})"

    blamed: dict[str, Span] = {}
    for f in errors:
        check = f.code.startswith("mrz.check_digit.")
        cells = [(s.line, col) for s in f.spans for col in range(s.start, s.end)]
        hit = next(((li, col, why) for li, col in cells if (why := unsure(li, col, check=check)) is not None), None)
        if hit is None:
            return []
        blamed.setdefault(hit[2], Span(hit[0], hit[1], hit[1] + 1))
    listed = "; ".join(list(blamed)[:4]) + ("; …" if len(blamed) > 4 else "")
    return [
        Finding(
            UNRELIABLE,
            Severity.WARNING,
            Category.QUALITY,
            "Every error of this reading that could show an alteration (a failing check digit) lies on a "
            f"character the reader was unsure of ({listed}); any others are of the kinds a misreading makes. "
            "They may be misreadings rather than defects of the document, so they prove nothing. Retake the "
            "image (sharp, close enough, evenly lit); if a sharp image gives the same, look at the MRZ's print "
            "itself: characters not printed in OCR-B are read with doubt too.",
            STAGE,
            tuple(blamed.values()),
        )
    ]


def _undecided(findings: Sequence[Finding]) -> list[Finding]:
    """For :func:`_unreliable`, a reading whose only errors are ambiguous repairs (``mrz.repair.ambiguous``): every
    check digit passes and every field holds a possible value, but the reader could not tell which of two
    characters is printed at some place no check digit decides. That is a fact about the reading, not the
    document: a warning naming the places (the ambiguity's spans); else nothing."""
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if not errors or any(f.code != "mrz.repair.ambiguous" for f in errors):
        return []
    spans = tuple(s for f in errors for s in f.spans)
    where = ", ".join(s.human() for s in spans[:4]) + (", …" if len(spans) > 4 else "")
    return [
        Finding(
            UNRELIABLE,
            Severity.WARNING,
            Category.QUALITY,
            f"The reader could not tell which character is printed at {where}: two readings are equally likely "
            "and no check digit decides between them. Nothing else in the reading is wrong (every check digit "
            "passes), so the undecided characters prove nothing about the document. Retake the image (sharp, "
            "close enough, evenly lit), or read those characters on the document.",
            STAGE,
            spans,
        )
    ]


def _merge(first: list[Correction], second: Sequence[Correction]) -> list[Correction]:
    """Corrections of two passes as one per position (``o`` → ``O`` → ``0`` becomes ``o`` → ``0``)."""
    merged = {(c.line, c.column): c for c in first}
    for c in second:
        prior = merged.get((c.line, c.column))
        if prior is None:
            merged[(c.line, c.column)] = c
        else:
            merged[(c.line, c.column)] = dataclasses.replace(
                c, original=prior.original, reason=f"{prior.reason}, then {c.reason}", forced=True
            )
    return [merged[k] for k in sorted(merged)]


def _needs_repair(checks: Sequence[CheckDigit], findings: Sequence[Finding]) -> bool:
    """Does anything a repair could fix look wrong (a check digit, a charset, the name's filler, the French card
    number's issue month)?"""
    return not all(c.ok for c in checks) or any(
        f.code.endswith((".charset", ".filler", ".unknown"))
        or f.code in ("mrz.charset.illegal", "mrz.name.syntax", "mrz.date.issue_date.invalid")
        for f in findings
    )
