"""Build MRZ text from field values, and random fictitious documents for tests, benchmarks and specimens.

All data produced here is synthetic: names are random syllables, numbers random characters.

>>> data = MRZData(MRZFormat.TD3, "P", "UTO", "ERIKSSON", "ANNA MARIA", "L898902C3", "UTO",
...                "740812", "F", "120415", "ZE184226B")
>>> build_mrz(data)[1]
'L898902C36UTO7408122F1204159ZE184226B<<<<<10'
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from docverify.mrz import checkdigit
from docverify.mrz.parse import parse, protected_positions
from docverify.mrz.repair import CONFUSIONS
from docverify.mrz.spec import FILLER, LAYOUTS, FieldKind
from docverify.results import MRZFormat


@dataclass(frozen=True, slots=True)
class MRZData:
    """Field values of one document, as printed in the MRZ (``YYMMDD`` dates, no filler).

    Names are space-separated words of ``A-Z``; ``sex`` is ``M``, ``F``, ``X`` or ``<``. For the French
    ID card, ``optional_data`` is the six-character administrative code and ``document_number`` the
    twelve-character card number.
    """

    format: MRZFormat
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str
    sex: str
    expiry_date: str
    optional_data: str = ""
    optional_data_2: str = ""


def _pad(text: str, length: int) -> str:
    return (text + FILLER * length)[:length]


def name_field(surname: str, given_names: str, length: int) -> str:
    """An MRZ name field: surname components, ``<<``, given names, padded (or truncated) to ``length``."""
    primary = FILLER.join(surname.split())
    secondary = FILLER.join(given_names.split())
    text = primary + (FILLER * 2 + secondary if secondary else "")
    return _pad(text, length)


def _cd(data: str) -> str:
    return str(checkdigit.compute(data))


def build_mrz(d: MRZData) -> tuple[str, ...]:
    """The MRZ lines of ``d`` with every check digit computed."""
    lay = LAYOUTS[d.format]
    width = lay.line_length
    code = _pad(d.document_code, 2)
    state = _pad(d.issuing_state, 3)
    nat = _pad(d.nationality, 3)
    if d.format is MRZFormat.FRA_ID:
        number = _pad(d.document_number, 12)
        line1 = "ID" + "FRA" + _pad(FILLER.join(d.surname.split()), 25) + _pad(d.optional_data, 6)
        line2 = number + _cd(number) + _pad(FILLER.join(d.given_names.split()), 14)
        line2 += d.birth_date + _cd(d.birth_date) + d.sex
        return line1, line2 + _cd(line1 + line2)
    if d.format is MRZFormat.TD1:
        number, opt1 = _number_and_optional(d.document_number, d.optional_data, 15)
        line1 = code + state + number + opt1
        line2 = d.birth_date + _cd(d.birth_date) + d.sex + d.expiry_date + _cd(d.expiry_date) + nat
        line2 += _pad(d.optional_data_2, 11)
        composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
        return line1, line2 + _cd(composite), name_field(d.surname, d.given_names, 30)
    line1 = code + state + name_field(d.surname, d.given_names, width - 5)
    if d.format is MRZFormat.TD2:
        number, opt = _number_and_optional(d.document_number, d.optional_data, 7)
    else:
        number = _pad(d.document_number, 9) + _cd(_pad(d.document_number, 9))
        opt = ""
    line2 = number + nat + d.birth_date + _cd(d.birth_date) + d.sex + d.expiry_date + _cd(d.expiry_date)
    if d.format is MRZFormat.TD3:
        optional = _pad(d.optional_data, 14)
        opt_cd = FILLER if not d.optional_data else _cd(optional)
        line2 += optional + opt_cd
        return line1, line2 + _cd(line2[0:10] + line2[13:20] + line2[21:43])
    if d.format is MRZFormat.TD2:
        line2 += opt
        return line1, line2 + _cd(line2[0:10] + line2[13:20] + line2[21:35])
    return line1, line2 + _pad(d.optional_data, width - 28)  # MRV-A, MRV-B


def _number_and_optional(number: str, optional: str, opt_len: int) -> tuple[str, str]:
    """Document number with its check digit, and the optional field (holding a long number's rest)."""
    if len(number) <= 9:
        padded = _pad(number, 9)
        return padded + _cd(padded), _pad(optional, opt_len)
    rest = number[9:] + _cd(number) + FILLER
    return number[:9] + FILLER, _pad(rest + optional, opt_len)


# --- random fictitious documents ------------------------------------------------------------------

_SYLLABLES = (
    "AN BE CO DA EL FI GA HO IN JO KA LU MA NE OR PE QU RA SI TO UL VA WE XA YO ZU "
    "BRA CHE DRI FLO GRI KLA MIR NOV PRA SKO STE TRU VEL WIN ZAR"
).split()
_STATES = (
    "AUT BEL CAN CHE CZE D DNK ESP EST FIN FRA GBR GRC HRV HUN IRL ISL ITA LTU LUX LVA MLT NLD NOR POL "
    "PRT ROU SVK SVN SWE USA AUS NZL JPN KOR BRA ARG MEX ZAF IND CHN XXA"
).split()
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _word(rng: random.Random, lo: int = 1, hi: int = 4) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(lo, hi)))


def _words(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(_word(rng) for _ in range(rng.randint(lo, hi)))


def _alnum(rng: random.Random, n: int, digits_only: bool = False) -> str:
    pool = "0123456789" if digits_only else _ALNUM
    return "".join(rng.choice(pool) for _ in range(n))


_DOC_NUMBER_PATTERNS = ("LLDDDDDDD", "LDDDDDDDD", "DDDDDDDDD", "LLDDDDDD", "DDDDDDDD", "AAAAAAAAA", "LDDDDDDLD")
"""Shapes of real document numbers: L letter, D digit, A either (as in German numbers)."""


def _document_number(rng: random.Random, length: int | None = None) -> str:
    pattern = rng.choice(_DOC_NUMBER_PATTERNS)
    if length is not None:
        pattern = (pattern * 2)[:length]
    pools = {"L": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "D": "0123456789", "A": "CFGHJKLMNPRTVWXYZ0123456789"}
    return "".join(rng.choice(pools[c]) for c in pattern)


def _personal_number(rng: random.Random, room: int) -> str:
    """Optional data as issuers fill it: empty, a personal number in digits, or digits and letters."""
    if room <= 0 or rng.random() < 0.45:
        return ""
    n = rng.randint(min(4, room), room)
    kind = rng.random()
    if kind < 0.6:
        return _alnum(rng, n, digits_only=True)
    if kind < 0.85:
        return _alnum(rng, n)
    cut = rng.randint(1, max(1, n - 2))
    return (_alnum(rng, cut, digits_only=True) + FILLER + _alnum(rng, n, digits_only=True))[:n]


def _date(d: dt.date) -> str:
    return d.strftime("%y%m%d")


def random_mrz_data(rng: random.Random, fmt: MRZFormat, *, reference: dt.date = dt.date(2026, 1, 1)) -> MRZData:
    """A random, fictitious, valid document of layout ``fmt`` (valid on ``reference``)."""
    birth = reference - dt.timedelta(days=rng.randint(365 * 1, 365 * 95))
    expiry = reference + dt.timedelta(days=rng.randint(1, 365 * 10))
    state = rng.choice(_STATES)
    nationality = state if rng.random() < 0.8 else rng.choice(_STATES)
    sex = rng.choice("MMMFFF<X")
    if fmt is MRZFormat.FRA_ID:
        issued = reference - dt.timedelta(days=rng.randint(30, 365 * 14))
        dept = rng.choice(["0", "1", "2", "3", "6", "7", "9"]) + _alnum(rng, 1, digits_only=True)
        number = issued.strftime("%y%m") + dept + rng.choice("0123456789AB") + _alnum(rng, 5, digits_only=True)
        return MRZData(
            fmt, "ID", "FRA", _words(rng, 1, 2), _words(rng, 1, 2), number, "FRA", _date(birth),
            rng.choice("MF"), "", dept + rng.choice("0123456789") + _alnum(rng, 3, digits_only=True),
        )  # fmt: skip
    code = {
        MRZFormat.TD3: rng.choice(["P", "P", "PD", "PO"]),
        MRZFormat.TD2: rng.choice(["I", "ID", "IR", "AC", "C"]),
        MRZFormat.TD1: rng.choice(["I", "ID", "IR", "AC", "C"]),
        MRZFormat.MRVA: rng.choice(["V", "VC", "VD"]),
        MRZFormat.MRVB: rng.choice(["V", "VC", "VD"]),
    }[fmt]
    long_number = fmt in (MRZFormat.TD1, MRZFormat.TD2) and rng.random() < 0.15
    if long_number:
        number = _document_number(rng, rng.randint(10, 12 if fmt is MRZFormat.TD2 else 14))
    else:
        number = _document_number(rng)
    opt_room = {MRZFormat.TD3: 14, MRZFormat.TD2: 7, MRZFormat.TD1: 15, MRZFormat.MRVA: 16, MRZFormat.MRVB: 8}[fmt]
    if long_number:
        opt_room -= len(number) - 9 + 2
    optional = _personal_number(rng, opt_room)
    optional2 = _personal_number(rng, 11) if fmt is MRZFormat.TD1 else ""
    return MRZData(
        fmt,
        code,
        state,
        _words(rng, 1, 2),
        _words(rng, 0, 3),
        number,
        nationality,
        _date(birth),
        sex,
        _date(expiry),
        optional,
        optional2,
    )


# --- synthetic OCR errors, for tests and benchmarks -----------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfusionTrial:
    """A generated document and a copy with one classic OCR confusion injected."""

    original: tuple[str, ...]
    corrupted: tuple[str, ...]
    line: int
    column: int
    kind: FieldKind
    protected: bool
    """Whether a check digit covers the corrupted position."""


def confusion_trial(rng: random.Random, *, reference: dt.date) -> ConfusionTrial:
    """One random document of a random layout, one character replaced by a classic confusion of it
    (``O``/``0``, ``<``/``K``, …), chosen uniformly among the positions holding a confusable character."""
    fmt = rng.choice(list(MRZFormat))
    lines = build_mrz(random_mrz_data(rng, fmt, reference=reference))
    layout = LAYOUTS[fmt]
    spots = [(li, col) for li, line in enumerate(lines) for col, ch in enumerate(line) if ch in CONFUSIONS]
    li, col = rng.choice(spots)
    bad = list(lines)
    bad[li] = lines[li][:col] + rng.choice(CONFUSIONS[lines[li][col]])[0] + lines[li][col + 1 :]
    protected = (li, col) in protected_positions(parse(layout, lines))
    return ConfusionTrial(lines, tuple(bad), li, col, layout.kind_at(li, col), protected)
