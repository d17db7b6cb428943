"""ICAO Doc 9303 MRZ layouts as data: field slices, charsets and check-digit coverage.

Positions here are 0-based and end-exclusive (ICAO's 1-based "positions 1–9" is ``slice(0, 9)``).
Logic elsewhere never hard-codes a slice: it asks the :class:`Layout` for a field or a check.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import Enum

from docverify.mrz import checkdigit
from docverify.results import MRZFormat, Span


@functools.cache
def _span(line: int, start: int, end: int) -> Span:
    return Span(line, start, end)


FILLER = "<"
DIGITS = frozenset("0123456789")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
ALPHABET = DIGITS | LETTERS | {FILLER}
"""The MRZ character set: ``0-9``, ``A-Z`` and the filler ``<``; nothing else is legal."""
LABELS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
"""The MRZ characters in a fixed order: the recognizer's output classes and tesseract's whitelist."""
CLEAN_LINE = re.compile("[0-9A-Z<]*")
"""Matches (``fullmatch``) a string made of MRZ characters only."""


class FieldKind(Enum):
    """What may stand in a field, and how it is decoded."""

    CODE = "code"  # document code: letters and filler
    COUNTRY = "country"  # ISO 3166-1 alpha-3 or an ICAO code, filler-padded
    NAME = "name"  # letters and filler, `<<` between primary and secondary identifier
    ALNUM = "alnum"  # document numbers and optional data
    DATE = "date"  # YYMMDD; `<` for unknown parts of a birth date
    CHECK = "check"  # a check digit
    SEX = "sex"  # M, F, < (and X)


CHARSETS: dict[FieldKind, frozenset[str]] = {
    FieldKind.CODE: LETTERS | {FILLER},
    FieldKind.COUNTRY: LETTERS | {FILLER},
    FieldKind.NAME: LETTERS | {FILLER},
    FieldKind.ALNUM: ALPHABET,
    FieldKind.DATE: DIGITS | {FILLER},
    FieldKind.CHECK: DIGITS | {FILLER},
    FieldKind.SEX: frozenset("MFX<"),
}
"""Characters a field may hold (the repair never proposes anything else)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field at ``line``, columns ``start``..``end`` (0-based, end exclusive)."""

    name: str
    line: int
    start: int
    end: int
    kind: FieldKind

    @property
    def span(self) -> Span:
        return _span(self.line, self.start, self.end)

    def read(self, lines: tuple[str, ...] | list[str]) -> str:
        return lines[self.line][self.start : self.end]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A check digit at (``line``, ``column``) computed over the concatenation of ``covers``.

    ``filler_allowed``: the digit may be ``<`` when everything it covers is filler (ICAO Part 4:
    the optional-data check digit of an unused field).
    """

    name: str
    line: int
    column: int
    covers: tuple[Span, ...]
    filler_allowed: bool = False

    @property
    def position(self) -> Span:
        return _span(self.line, self.column, self.column + 1)


@dataclass(frozen=True, slots=True)
class Layout:
    """One MRZ layout: its size, fields and check digits.

    ``long_number``: the document number may continue into the optional data (TD1 and TD2), signalled
    by ``<`` in place of the document-number check digit.
    """

    format: MRZFormat
    line_count: int
    line_length: int
    fields: tuple[FieldSpec, ...]
    checks: tuple[CheckSpec, ...]
    long_number: bool = False

    def field(self, name: str) -> FieldSpec:
        """The field called ``name``; ``KeyError`` when the layout has none."""
        return _FIELD_INDEX[self.format][name]

    def has_field(self, name: str) -> bool:
        return name in _FIELD_INDEX[self.format]

    def check(self, name: str) -> CheckSpec:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def kind_at(self, line: int, column: int) -> FieldKind:
        """The field kind of one character position."""
        return self._kinds[line][column]

    @property
    def _kinds(self) -> tuple[tuple[FieldKind, ...], ...]:
        return _KIND_MAPS[self.format]


def _f(name: str, line: int, start: int, end: int, kind: FieldKind) -> FieldSpec:
    return FieldSpec(name, line, start, end, kind)


def _c(name: str, line: int, column: int, *covers: tuple[int, int, int], filler: bool = False) -> CheckSpec:
    return CheckSpec(name, line, column, tuple(Span(*c) for c in covers), filler)


K = FieldKind

# Line 2 of TD3, MRV-A, TD2 and MRV-B shares its first 28 characters.
_LINE2_COMMON = (
    _f("document_number", 1, 0, 9, K.ALNUM),
    _f("document_number_check", 1, 9, 10, K.CHECK),
    _f("nationality", 1, 10, 13, K.COUNTRY),
    _f("birth_date", 1, 13, 19, K.DATE),
    _f("birth_date_check", 1, 19, 20, K.CHECK),
    _f("sex", 1, 20, 21, K.SEX),
    _f("expiry_date", 1, 21, 27, K.DATE),
    _f("expiry_date_check", 1, 27, 28, K.CHECK),
)
_CHECKS_LINE2 = (
    _c("document_number", 1, 9, (1, 0, 9)),
    _c("birth_date", 1, 19, (1, 13, 19)),
    _c("expiry_date", 1, 27, (1, 21, 27)),
)


def _line1(length: int) -> tuple[FieldSpec, ...]:
    return (
        _f("document_code", 0, 0, 2, K.CODE),
        _f("issuing_state", 0, 2, 5, K.COUNTRY),
        _f("name", 0, 5, length, K.NAME),
    )


TD3 = Layout(
    MRZFormat.TD3,
    2,
    44,
    (
        *_line1(44),
        *_LINE2_COMMON,
        _f("optional_data", 1, 28, 42, K.ALNUM),
        _f("optional_data_check", 1, 42, 43, K.CHECK),
        _f("composite_check", 1, 43, 44, K.CHECK),
    ),
    (
        *_CHECKS_LINE2,
        _c("optional_data", 1, 42, (1, 28, 42), filler=True),
        _c("composite", 1, 43, (1, 0, 10), (1, 13, 20), (1, 21, 43)),
    ),
)

TD2 = Layout(
    MRZFormat.TD2,
    2,
    36,
    (
        *_line1(36),
        *_LINE2_COMMON,
        _f("optional_data", 1, 28, 35, K.ALNUM),
        _f("composite_check", 1, 35, 36, K.CHECK),
    ),
    (*_CHECKS_LINE2, _c("composite", 1, 35, (1, 0, 10), (1, 13, 20), (1, 21, 35))),
    long_number=True,
)

MRVA = Layout(
    MRZFormat.MRVA,
    2,
    44,
    (*_line1(44), *_LINE2_COMMON, _f("optional_data", 1, 28, 44, K.ALNUM)),
    _CHECKS_LINE2,
)

MRVB = Layout(
    MRZFormat.MRVB,
    2,
    36,
    (*_line1(36), *_LINE2_COMMON, _f("optional_data", 1, 28, 36, K.ALNUM)),
    _CHECKS_LINE2,
)

TD1 = Layout(
    MRZFormat.TD1,
    3,
    30,
    (
        _f("document_code", 0, 0, 2, K.CODE),
        _f("issuing_state", 0, 2, 5, K.COUNTRY),
        _f("document_number", 0, 5, 14, K.ALNUM),
        _f("document_number_check", 0, 14, 15, K.CHECK),
        _f("optional_data", 0, 15, 30, K.ALNUM),
        _f("birth_date", 1, 0, 6, K.DATE),
        _f("birth_date_check", 1, 6, 7, K.CHECK),
        _f("sex", 1, 7, 8, K.SEX),
        _f("expiry_date", 1, 8, 14, K.DATE),
        _f("expiry_date_check", 1, 14, 15, K.CHECK),
        _f("nationality", 1, 15, 18, K.COUNTRY),
        _f("optional_data_2", 1, 18, 29, K.ALNUM),
        _f("composite_check", 1, 29, 30, K.CHECK),
        _f("name", 2, 0, 30, K.NAME),
    ),
    (
        _c("document_number", 0, 14, (0, 5, 14)),
        _c("birth_date", 1, 6, (1, 0, 6)),
        _c("expiry_date", 1, 14, (1, 8, 14)),
        _c("composite", 1, 29, (0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)),
    ),
    long_number=True,
)

FRA_ID = Layout(
    MRZFormat.FRA_ID,
    2,
    36,
    (
        _f("document_code", 0, 0, 2, K.CODE),
        _f("issuing_state", 0, 2, 5, K.COUNTRY),
        _f("surname", 0, 5, 30, K.NAME),
        _f("administrative_code", 0, 30, 36, K.ALNUM),
        _f("document_number", 1, 0, 12, K.ALNUM),
        _f("document_number_check", 1, 12, 13, K.CHECK),
        _f("given_names", 1, 13, 27, K.NAME),
        _f("birth_date", 1, 27, 33, K.DATE),
        _f("birth_date_check", 1, 33, 34, K.CHECK),
        _f("sex", 1, 34, 35, K.SEX),
        _f("composite_check", 1, 35, 36, K.CHECK),
    ),
    (
        _c("document_number", 1, 12, (1, 0, 12)),
        _c("birth_date", 1, 33, (1, 27, 33)),
        _c("composite", 1, 35, (0, 0, 36), (1, 0, 35)),
    ),
)

LAYOUTS: dict[MRZFormat, Layout] = {lay.format: lay for lay in (TD1, TD2, TD3, MRVA, MRVB, FRA_ID)}


def _kind_map(layout: Layout) -> tuple[tuple[FieldKind, ...], ...]:
    grid: list[list[FieldKind | None]] = [[None] * layout.line_length for _ in range(layout.line_count)]
    for f in layout.fields:
        for col in range(f.start, f.end):
            if grid[f.line][col] is not None:
                raise ValueError(f"{layout.format.value}: fields overlap at {f.line}:{col}")
            grid[f.line][col] = f.kind
    for i, row in enumerate(grid):
        missing = [c for c, k in enumerate(row) if k is None]
        if missing:
            raise ValueError(f"{layout.format.value}: line {i} columns {missing} belong to no field")
    return tuple(tuple(k for k in row if k is not None) for row in grid)


_FIELD_INDEX: dict[MRZFormat, dict[str, FieldSpec]] = {
    fmt: {f.name: f for f in lay.fields} for fmt, lay in LAYOUTS.items()
}

_KIND_MAPS: dict[MRZFormat, tuple[tuple[FieldKind, ...], ...]] = {fmt: _kind_map(lay) for fmt, lay in LAYOUTS.items()}


_CLASS = {
    FieldKind.CODE: "[A-Z<]",
    FieldKind.COUNTRY: "[A-Z<]",
    FieldKind.NAME: "[A-Z<]",
    FieldKind.ALNUM: "[0-9A-Z<]",
    FieldKind.DATE: "[0-9<]",
    FieldKind.CHECK: "[0-9<]",
    FieldKind.SEX: "[MFX<]",
}


def _line_pattern(layout: Layout, line: int) -> re.Pattern[str]:
    """A regex that matches a line exactly when every character fits its field's charset."""
    runs: list[list[str | int]] = []
    for kind in layout._kinds[line]:
        cls = _CLASS[kind]
        if runs and runs[-1][0] == cls:
            runs[-1][1] = int(runs[-1][1]) + 1
        else:
            runs.append([cls, 1])
    return re.compile("".join(f"{cls}{{{n}}}" for cls, n in runs))


_LINE_PATTERNS: dict[MRZFormat, tuple[re.Pattern[str], ...]] = {
    fmt: tuple(_line_pattern(lay, i) for i in range(lay.line_count)) for fmt, lay in LAYOUTS.items()
}


def conforms(layout: Layout, lines: tuple[str, ...] | list[str]) -> bool:
    """True when every character is allowed by its field's charset (a fast whole-MRZ test)."""
    for pattern, line in zip(_LINE_PATTERNS[layout.format], lines, strict=True):
        if pattern.fullmatch(line) is None:
            return False
    return True


def detect_format(lines: tuple[str, ...] | list[str]) -> MRZFormat | None:
    """The layout of ``lines`` from their shape and first characters, or ``None`` for no known shape.

    Length alone is not enough: 2 × 36 is TD2, MRV-B (first character ``V``) or the French ID card
    (``IDFRA``); 2 × 44 is TD3 or MRV-A (``V``).
    """
    if not lines or len({len(x) for x in lines}) != 1:
        return None
    shape = (len(lines), len(lines[0]))
    first = lines[0][:1]
    if shape == (3, 30):
        return MRZFormat.TD1
    if shape == (2, 44):
        return MRZFormat.MRVA if first == "V" else MRZFormat.TD3
    if shape == (2, 36):
        if first == "V":
            return MRZFormat.MRVB
        if _FRA_ID_START.match(lines[0]):
            fra, td2 = conforms(FRA_ID, lines), conforms(TD2, lines)
            if fra != td2:
                return MRZFormat.FRA_ID if fra else MRZFormat.TD2
            if _fit(FRA_ID, lines) >= _fit(TD2, lines):
                return MRZFormat.FRA_ID
        return MRZFormat.TD2
    return None


_FRA_ID_START = re.compile("[I1L][D0O]FRA")
"""``IDFRA``, also when read with the classic OCR confusions (I/1/L, D/0/O)."""


def _fit(layout: Layout, lines: tuple[str, ...] | list[str]) -> int:
    """How well ``lines`` fit ``layout``: characters their field allows, plus five per check digit that
    holds (a chance match is 1 in 10; a misplaced layout breaks dozens of field charsets).

    Tells look-alike layouts apart (the French ID card and TD2) even when OCR errors break a check.
    """
    checks = 0
    for c in layout.checks:
        data = "".join(lines[s.line][s.start : s.end] for s in c.covers)
        value = checkdigit.compute_lenient(data)
        checks += value is not None and lines[c.line][c.column] == str(value)
    kinds = _KIND_MAPS[layout.format]
    fitting = sum(ch in CHARSETS[k] for li, line in enumerate(lines) for ch, k in zip(line, kinds[li], strict=True))
    return 5 * checks + fitting


SUPPORTED_SHAPES = "3 × 30 (TD1), 2 × 36 (TD2, MRV-B, French ID card) or 2 × 44 (TD3, MRV-A)"
