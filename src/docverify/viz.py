"""MRZ ↔ visual zone (VIZ) cross-check: find the MRZ's names, document number and dates in the printed
text of the data page, without a per-country template.

Stages, each pure except the OCR call:

1. :func:`page_transform` — the data page from the MRZ's geometry: the MRZ's fixed pitch (2.54 mm) gives
   the scale and its lines the orientation; ICAO 9303 gives the page size and the MRZ's place on it.
2. :func:`upright_page` — the page above the MRZ, warped upright (H×W uint8 gray, :data:`PX_PER_MM` per mm
   at TD3 print size); :func:`read_viz` reads it with tesseract (sparse text) into words, or
   :mod:`docverify.viz_reader` into scored lines (:func:`cross_check_lines`).
3. :func:`compare` — each MRZ field looked for in the words: names with ICAO transliterations and one
   OCR slip allowed, the document number with one slip, dates in any order and spelling (``12 AUG 1974``,
   ``12.08.1974``, ``12 AOÛT/AUG 74``, ``1974-08-12``…).
4. :func:`cross_check` — findings: a field the visual zone does not show, while others are found (so the
   zone was read), is the warning ``viz.mismatch.<field>``; a zone too poor to compare gives the info
   ``viz.not_compared``.

A match proves little (a forger can print both zones); a mismatch is a strong cue that one zone was
altered, or that OCR failed on that field: examiners compare the two by eye.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from docverify.mrz.locate import MRZLocation
from docverify.mrz.spec import LAYOUTS
from docverify.regions import page_frame
from docverify.results import Category, Finding, MRZFormat, MRZResult, Severity, Span
from docverify.viz_reader import ReadLine, best_score, find_lines, forced_score, join_lines, label_text, read_lines

STAGE = "viz"
PX_PER_MM = 8.0
"""Resolution of the upright page handed to OCR, at TD3 print size (smaller formats get more, see
:data:`docverify.regions.PAGES`): visual-zone text 2–3 mm tall becomes 16–24 px, what tesseract reads best."""
INK_RATIO = 0.5
"""A pixel is ink when darker than this fraction of the brightest pixel around it (2.6 mm window)."""
MIN_FOUND = 3
"""Fields that must be found before a missing one counts as a mismatch (else OCR simply failed)."""
MIN_FOUND_TWICE_CONTRADICTED = 2
"""With docverify's own reader: fields that must be found when two or more are contradicted (a forger who
changed two fields leaves three at most to find). Two independent confident contradictions are evidence
that one read cannot fake; chosen on the calibration split (benchmarks/RESULTS.md)."""


CHECKED_FIELDS = ("surname", "given_names", "document_number", "birth_date", "expiry_date")


@dataclass(frozen=True, slots=True)
class Word:
    """A word read in the visual zone: text as OCR gave it, confidence 0–100, box in page pixels."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]


def page_transform(
    location: MRZLocation, fmt: MRZFormat, count: int
) -> tuple[npt.NDArray[np.float64], tuple[int, int]]:
    """The 3×3 perspective matrix from original-image pixels to the upright page above the MRZ, and that
    page's size (width, height) in pixels. ``count`` is the number of characters per MRZ line."""
    frame = page_frame(location, fmt, count)
    spec = frame.spec
    box = (-2.0, -2.0, spec.width_mm + 2.0, frame.mrz_top_mm - 0.5)
    out = PX_PER_MM / spec.scale
    size = round((box[2] - box[0]) * out), round((box[3] - box[1]) * out)
    return frame.matrix(box, size), size


def read_viz(up: npt.NDArray[np.uint8]) -> list[Word]:
    """The words of the upright page (``up``: H×W uint8 gray, from :func:`upright_page`) read by tesseract."""
    import pytesseract  # noqa: PLC0415

    from docverify.errors import DependencyError  # noqa: PLC0415

    # Printed data are the darkest marks on the page: ink darker than half its local background stays,
    # guilloche, labels and security print go (tesseract reads faster and better without them).
    background = cv2.dilate(up, np.ones((21, 21), np.uint8))
    ink = up.astype(np.float32) < INK_RATIO * background.astype(np.float32)
    binary = np.where(ink, 0, 255).astype(np.uint8)
    try:
        data = pytesseract.image_to_data(
            binary, config="--psm 11 --oem 1", output_type=pytesseract.Output.DICT, timeout=10
        )
    except pytesseract.TesseractNotFoundError:
        raise DependencyError("tesseract is not installed (apt-get install tesseract-ocr)") from None
    except RuntimeError:  # pytesseract's timeout
        raise DependencyError("tesseract did not finish reading the visual zone within 10 s") from None
    except pytesseract.TesseractError as exc:
        raise DependencyError(f"tesseract failed on the visual zone ({exc.status})") from None
    words = []
    for text, conf, x, y, w, h in zip(
        data["text"], data["conf"], data["left"], data["top"], data["width"], data["height"], strict=True
    ):
        if text and text.strip():
            words.append(Word(text.strip(), float(conf), (int(x), int(y), int(x + w), int(y + h))))
    return words


# --- matching ----------------------------------------------------------------------------------------

_TRANSLIT = {"Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS", "Å": "AA", "Ø": "OE", "Æ": "AE", "Œ": "OE", "Þ": "TH"}
_MONTHS = {
    1: ("JAN", "JANV", "JÄN", "ENE", "GEN", "JANUARY", "JANVIER", "JANUAR", "ENERO"),
    2: ("FEB", "FEV", "FÉV", "FEBR", "FEBRUARY", "FEVRIER", "FÉVRIER", "FEBRUAR", "FEBRERO"),
    3: ("MAR", "MARS", "MÄR", "MRZ", "MARCH", "MÄRZ", "MARZO"),
    4: ("APR", "AVR", "ABR", "APRIL", "AVRIL", "ABRIL"),
    5: ("MAY", "MAI", "MAG", "MAYO", "MEI"),
    6: ("JUN", "JUIN", "GIU", "JUNE", "JUNI", "JUNIO"),
    7: ("JUL", "JUIL", "LUG", "JULY", "JUILLET", "JULI", "JULIO"),
    8: ("AUG", "AOU", "AOÛ", "AOUT", "AOÛT", "AGO", "AUGUST", "AGOSTO"),
    9: ("SEP", "SEPT", "SET", "SEPTEMBER", "SEPTEMBRE", "SEPTIEMBRE"),
    10: ("OCT", "OKT", "OTT", "OCTOBER", "OCTOBRE", "OKTOBER", "OCTUBRE"),
    11: ("NOV", "NOVEMBER", "NOVEMBRE", "NOVIEMBRE"),
    12: ("DEC", "DEZ", "DIC", "DÉC", "DECEMBER", "DECEMBRE", "DÉCEMBRE", "DEZEMBER", "DICIEMBRE"),
}


_SHORT_TRANSLIT = {"Ä": "A", "Ö": "O", "Ü": "U"}
"""The other spelling ICAO 9303 Part 3 allows for these letters (Ä → AE or A …)."""


def fold(text: str, *, short: bool = False) -> str:
    """Upper case, ICAO transliterations (Ä → AE …; with ``short``, the other allowed spelling Ä → A, Ö → O,
    Ü → U), other accents dropped: how names appear in an MRZ."""
    out = []
    for ch in text.upper():
        if short and ch in _SHORT_TRANSLIT:
            out.append(_SHORT_TRANSLIT[ch])
            continue
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
            continue
        base = unicodedata.normalize("NFKD", ch)
        out.append("".join(c for c in base if not unicodedata.combining(c)))
    return "".join(out)


_FOLDED_MONTHS: tuple[tuple[int, str], ...] = tuple(
    dict.fromkeys((m, fold(n)) for m, names in _MONTHS.items() for n in names)
)
"""Every (month, name) of :data:`_MONTHS`, folded once."""


def _months(token: str) -> set[int]:
    """The months a word may name: exactly, or (3–5 letters) with one letter misread (``JUT``: June or
    July)."""
    token = fold(token)
    exact = {m for m, n in _FOLDED_MONTHS if n == token}
    if exact or not 3 <= len(token) <= 5:
        return exact
    return {
        m for m, n in _FOLDED_MONTHS if len(n) == len(token) and sum(a != b for a, b in zip(n, token, strict=True)) == 1
    }


_CONFUSABLE = {
    frozenset(p)
    for p in (
        "O0",
        "Q0",
        "D0",
        "OQ",
        "OD",
        "I1",
        "L1",
        "IL",
        "J1",
        "Z2",
        "S5",
        "B8",
        "G6",
        "T7",
        "A4",
        "UV",
        "MN",
        "CG",
    )
}
"""Character pairs OCR confuses: a substitution between them costs :data:`SLIP`, not 1."""
SLIP = 0.3
NOISE = "?"
"""Stands for a character OCR read that cannot be in a name, number or date (``)``, ``|``…)."""


def _sub(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if NOISE in (a, b) or frozenset((a, b)) in _CONFUSABLE:
        return SLIP
    return 1.0


def find_cost(needle: str, text: str) -> float:
    """The cheapest edit (OCR slips :data:`SLIP`, other substitutions, insertions and deletions 1) that
    turns some part of ``text`` into ``needle``: 0 when ``needle`` appears as it is."""
    if not needle:
        return 0.0
    if needle in text:
        return 0.0
    prev = [0.0] * (len(text) + 1)  # a match may start anywhere in text
    for i, ch in enumerate(needle, 1):
        cur = [float(i)] + [0.0] * len(text)
        for j, tj in enumerate(text, 1):
            cur[j] = min(prev[j - 1] + _sub(ch, tj), prev[j] + 1.0, cur[j - 1] + 1.0)
        prev = cur
    return min(prev)


def _tolerance(n: int) -> float:
    """Edits allowed in a name word of ``n`` letters: OCR slips only (a changed letter is a change) below
    9 letters, one real error from 9."""
    return 0.6 if n < 9 else 1.0


ABSENT = 2.5
"""Edit cost above which a name word counts as not printed at all (rather than misread)."""
SURE = 85.0
"""Tesseract confidence (0–100) from which a word that differs from the MRZ counts as evidence of a
different value; below it, a difference is put down to OCR."""


def _best(needle: str, words: Sequence[tuple[str, float]]) -> tuple[float, float]:
    """The lowest :func:`find_cost` of ``needle`` over ``words`` (text, confidence) of about its length,
    and that word's confidence; ``(inf, 0)`` without such words."""
    best = (float("inf"), 0.0)
    for text, conf in words:
        if not 0.75 * len(needle) <= len(text) <= 1.5 * len(needle) + 1:
            continue  # not the same field
        cost = (
            find_cost(needle, text) if len(text) >= len(needle) else find_cost(text, needle) + len(needle) - len(text)
        )
        if cost < best[0] or (cost == best[0] and conf > best[1]):
            best = (cost, conf)
    return best


def name_found(mrz_name: str, words: Sequence[tuple[str, float]], *, truncated: bool = False) -> bool | None:
    """Whether the name appears among ``words`` (folded OCR words, letters only, with confidences).

    True when every word of 4 letters or more and at least half of all its words (2 letters or more)
    are found (allowing :func:`_tolerance`). False when a word of 4 letters or more is not printed at all
    (nothing within :data:`ABSENT`) while another word of the name was found (the name was read), or when
    a close printed word was read with confidence (:data:`SURE`) yet differs. ``None`` when that cannot be
    told (OCR often drops short words and garbles others)."""
    parts = [p for p in mrz_name.split() if len(p) >= 2]
    if not parts:
        return None
    hits = 0
    long_missing = contradicted = False
    for i, part in enumerate(parts):
        cost, conf = _best(part, words)
        last = truncated and i == len(parts) - 1
        if cost <= _tolerance(len(part)) or (last and any(w.startswith(part) for w, _ in words)):
            hits += 1
        elif len(part) >= 4:
            if cost > ABSENT:
                long_missing = True  # nothing like it is printed
            else:  # something like it is printed: a change when read with confidence one letter apart
                contradicted |= conf >= SURE and cost <= 1.0
    if not long_missing and hits * 2 >= len(parts):
        return True
    if contradicted or (long_missing and hits > 0):
        return False
    return None


def number_found(number: str, words: Sequence[tuple[str, float]], compact: str) -> bool | None:
    """Whether the document number appears: True when ``compact`` (all OCR text, folded, ``?`` for
    noise) holds it with OCR slips only (less than one real error); False when the closest printed word
    was read with confidence yet differs; ``None`` otherwise."""
    if find_cost(number, compact) < 1.0:
        return True
    cost, conf = _best(number, words)
    if len(number) >= 6 and conf >= SURE and cost <= len(number) / 3:
        return False
    return None


_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2}|\d{4})([./\- ])(\d{1,2})\2(\d{2,4})(?!\d)")
_NAMED_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*([A-ZÀ-Ý]{3,9})(?:\s*/\s*[A-ZÀ-Ý]{3,9})?\s*(\d{2,4})(?!\d)")


def _digits(text: str) -> str:
    """Digit-like letters (O, I, S, …) next to digits read as the digits they resemble."""
    return re.sub(r"(?<=[\d ./\-])[OQDILZSBGJ]|[OQDILZSBGJ](?=\d)", lambda x: x.group(0).translate(_DIGIT_LIKE), text)


def dates_in(text: str, *, full_years: bool = False) -> set[tuple[int, int, int]]:
    """Every (day, month, year % 100) a line of folded OCR text may print, reading digit-like letters
    (O, I, S, …) as digits inside numbers and trying day/month orders both ways. With ``full_years``,
    only dates printed with four-digit years (fewer chance readings)."""
    found: set[tuple[int, int, int, int]] = set()
    joined = re.sub(r"(?<=\b\d{2}) (?=\d{2}\b)", "", text)  # a year split by OCR: "20 27"
    for source in (text, _digits(text), joined):
        for m in _NAMED_DATE.finditer(source):
            for month in _months(m.group(2)):
                found.add((int(m.group(1)), month, int(m.group(3)) % 100, len(m.group(3))))
    for m in _NUMERIC_DATE.finditer(_digits(text)):
        a, b, c = m.group(1), m.group(3), m.group(4)
        if len(a) == 4:  # year first: 1974-08-12
            found.add((int(c), int(b), int(a) % 100, 4))
        else:
            found.add((int(a), int(b), int(c) % 100, len(c)))  # 12.08.1974
            found.add((int(b), int(a), int(c) % 100, len(c)))  # 08/12/1974 (US order)
    return {
        (d, m, y) for d, m, y, n in found if 1 <= d <= 31 and 1 <= m <= 12 and (n == 4 or (n == 2 and not full_years))
    }


def date_found(
    date: dt.date | None, dates: set[tuple[int, int, int]], others: set[tuple[int, int, int]]
) -> bool | None:
    """True when the visual zone prints ``date``; False when it does not but prints another date that no
    MRZ date explains (``others``: a different value stands where this one should); else ``None``."""
    if date is None:
        return None
    if (date.day, date.month, date.year % 100) in dates:
        return True
    return False if others else None


_DIGIT_LETTERS = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "J": "1", "Z": "2", "S": "5", "B": "8", "G": "6"}
"""Letters OCR reads where a digit is printed, and that digit."""
_DIGIT_LIKE = str.maketrans(_DIGIT_LETTERS)


_LETTER_LIKE = str.maketrans({"!": "I", "|": "I", "1": "I", "0": "O", "5": "S", "8": "B", "$": "S", "€": "E"})


def _joined(words: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """The words, and each run of two or three neighbours joined (OCR splits names: ``GABEA N``)."""
    out = [w for w in words if w[0]]
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            run = words[i : i + n]
            if all(t for t, _ in run):
                out.append(("".join(t for t, _ in run), min(c for _, c in run)))
    return out


def compare(mrz: MRZResult, words: Sequence[Word]) -> dict[str, bool | None]:
    """For each field of :data:`CHECKED_FIELDS`: found in the visual zone (True), evidently different
    (False), or cannot be told (None: empty in the MRZ, or OCR too unsure)."""
    folded = [re.sub(r"[^A-Z0-9./\-]", " ", fold(w.text)).strip() for w in words]
    lines = " ".join(folded)
    compact = "".join(re.sub(r"[^A-Z0-9]", NOISE, fold(w.text)) for w in words)
    letters = _joined([(re.sub(r"[^A-Z]", "", fold(w.text).translate(_LETTER_LIKE)), w.confidence) for w in words])
    seen = set(letters)  # ... and in the other allowed spelling (MULLER for MÜLLER as well as MUELLER)
    short = [(re.sub(r"[^A-Z]", "", fold(w.text, short=True).translate(_LETTER_LIKE)), w.confidence) for w in words]
    letters += [entry for entry in _joined(short) if entry not in seen]
    alnum = [(re.sub(r"[^A-Z0-9]", "", t), w.confidence) for t, w in zip(folded, words, strict=True)]
    dates = dates_in(lines)
    sure = " ".join(t if w.confidence >= SURE else "|" for t, w in zip(folded, words, strict=True))
    f = mrz.fields
    mrz_dates = {(d.day, d.month, d.year % 100) for d in (f.birth_date, f.expiry_date) if d is not None}
    others = dates_in(sure, full_years=True) - mrz_dates
    return {
        "surname": name_found(f.surname, letters),
        "given_names": name_found(f.given_names, letters, truncated=f.names_truncated),
        "document_number": number_found(f.document_number, alnum, compact) if f.document_number else None,
        "birth_date": date_found(f.birth_date, dates, others),
        "expiry_date": date_found(f.expiry_date, dates, others),
    }


_SPAN_FIELD = {"surname": "name", "given_names": "name"}
"""The MRZ field holding each checked field (both names are in the one name field)."""


def field_spans(fmt: MRZFormat) -> dict[str, Span]:
    """Where each checked field stands in the MRZ lines of ``fmt``."""
    layout = LAYOUTS[fmt]
    out = {}
    for name in CHECKED_FIELDS:
        key = _SPAN_FIELD.get(name, name)
        if layout.has_field(key):
            out[name] = layout.field(key).span
    return out


def cross_check(gray: npt.NDArray[np.uint8], mrz: MRZResult, location: MRZLocation) -> tuple[Finding, ...]:
    """The MRZ ↔ visual-zone findings for an MRZ read at ``location`` in ``gray`` (the original image as
    H×W uint8). TD1 cards usually carry the visual zone on the other side: a TD1 whose page shows too
    little text gives the info ``viz.not_compared``, never a mismatch."""
    up = upright_page(gray, mrz, location)
    if up is None:
        return ()
    return findings_for(compare(mrz, read_viz(up[0])), field_spans(mrz.format))


def _not_compared(found: int, of: int) -> Finding:
    """The info finding for a visual zone read too poorly to compare (``found`` of ``of`` fields)."""
    return Finding(
        "viz.not_compared",
        Severity.INFO,
        Category.AUTHENTICITY,
        "The printed visual zone could not be read well enough to compare it with the MRZ "
        f"({found} of {of} fields found); compare them by eye.",
        STAGE,
    )


def findings_for(matches: dict[str, bool | None], spans: dict[str, Span]) -> tuple[Finding, ...]:
    """The findings of one comparison (see the module docstring)."""
    found = [k for k, v in matches.items() if v]
    missing = [k for k, v in matches.items() if v is False]
    if len(found) < MIN_FOUND:
        return (_not_compared(len(found), len(found) + len(missing)),)
    out = []
    seen = ", ".join(x.replace("_", " ") for x in found)
    for name in missing:
        label = name.replace("_", " ")
        span = spans.get(name)
        out.append(
            Finding(
                f"viz.mismatch.{name}",
                Severity.WARNING,
                Category.AUTHENTICITY,
                f"The MRZ's {label} was not found in the printed visual zone, where {seen} were. "
                "One of the two zones may have been altered, or the print could not be read there: "
                "compare them by eye.",
                STAGE,
                spans=(span,) if span else (),
                evidence=(("fields_found", len(found)), ("fields_missing", len(missing))),
            )
        )
    return tuple(out)


# --- comparison with docverify's own reader (no tesseract) -----------------------------------------

SLIP_NATS = 20.0
"""How much less likely (natural log) than the model's own best reading of a line the MRZ's value may be
and still count as printed there (an OCR slip); beyond it, the line prints something else."""


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """How one MRZ field compares with the visual zone read by :mod:`docverify.viz_reader`.

    ``found``: printed there (True), something else printed where it should be (False), or cannot be
    told (None). ``nats``: how much less likely the MRZ's value is than what the line shows (0 when read
    as it is; ``inf`` when nothing like it is printed). ``box`` and ``angle``: the line it was compared on
    (see :class:`docverify.viz_reader.ReadLine`)."""

    found: bool | None
    nats: float
    box: tuple[int, int, int, int] | None = None
    angle: float = 0.0


_SLIP_PAIRS = frozenset(frozenset(p) for p in ("O0", "Q0", "D0", "OQ", "OD", "I1", "L1", "IL", "Z2", "S5", "B8", "G6"))
"""Character pairs a reader confuses in many fonts (``0``/``O`` above all): a cheap edit when looking for a
field, so that the scoring (:func:`docverify.viz_reader.forced_score`) decides, not the greedy text."""
CHEAP = 0.3


def substring_edits(needle: str, text: str) -> tuple[float, int, int]:
    """(edits, start, end): the cheapest substitutions (:data:`CHEAP` between look-alikes, else 1),
    insertions and deletions (1) that turn ``text[start:end]`` into ``needle`` (a match may start and end
    anywhere in ``text``)."""
    if not needle:
        return 0.0, 0, 0
    i = text.find(needle)
    if i >= 0:
        return 0.0, i, i + len(needle)
    n = len(text)
    prev = [0.0] * (n + 1)
    start = list(range(n + 1))
    for k, ch in enumerate(needle, 1):
        cur = [float(k)] + [0.0] * n
        cur_start = [0] * (n + 1)
        for j in range(1, n + 1):
            tj = text[j - 1]
            cost = 0.0 if ch == tj else (CHEAP if frozenset((ch, tj)) in _SLIP_PAIRS else 1.0)
            sub = prev[j - 1] + cost
            dele = prev[j] + 1
            ins = cur[j - 1] + 1
            if sub <= dele and sub <= ins:
                cur[j], cur_start[j] = sub, start[j - 1]
            elif dele <= ins:
                cur[j], cur_start[j] = dele, start[j]
            else:
                cur[j], cur_start[j] = ins, cur_start[j - 1]
        prev, start = cur, cur_start
    end = min(range(n + 1), key=lambda j: (prev[j], -j))
    return prev[end], start[end], end


MIN_CONTRADICT = 4
"""Characters a name or number needs before a printed near miss may contradict it: a two- or three-letter
name is one edit away from many printed runs."""


def _anchored(target: str, text: str) -> bool:
    """Whether ``text`` prints a whole word of ``target`` (3 letters or more) as it is: then the run
    around it is the field's place even when the rest of the value differs more than a near miss."""
    words = set(text.split("<"))
    return any(len(w) >= 3 and w in words for w in target.split("<")) and len(target.split("<")) > 1


def _cut_short(target: str, text: str, a: int, b: int) -> bool:
    """Whether the run ``text[a:b]``, shorter than ``target``, is the target cut short by the line's end or
    start (the rest on another line, or unread): the line ends where the run ends and the run is the
    target's beginning, or the line starts where it starts and it is the target's end, within one edit."""
    run = text[a:b]
    n = len(run)
    if not run or n >= len(target) - 1:
        return False
    at_end = b == len(text) and substring_edits(target[:n], run)[0] <= 1
    at_start = a == 0 and substring_edits(target[-n:], run)[0] <= 1
    return at_end or at_start


def _near(lines: Sequence[ReadLine], targets: Sequence[str], allowed: float, *, anchors: bool = False) -> FieldMatch:
    """The best place of any of ``targets`` (label text) in ``lines``: found as read, an OCR slip
    (the image supports the target within :data:`SLIP_NATS`) or a near miss that the line contradicts.
    Only a printed run about as long as the target (of :data:`MIN_CONTRADICT` characters or more) may
    contradict it: a shorter one is a line cut short (or split by the line finder), not another value.
    With ``anchors`` (names), a run that prints one of the target's words as it is counts as its place
    however much the other words differ (a word replaced), unless it is the target cut short at the line's
    end or start (:func:`_cut_short`: ``ZARCO<VAGACH`` for ``ZARCO<VAGACHEFLO``, the rest found apart)."""
    near: list[tuple[ReadLine, str, bool]] = []
    for line in lines:
        for t in targets:
            if len(line.text) < 0.5 * len(t):
                continue
            edits, a, b = substring_edits(t, line.text)
            if edits == 0:
                return FieldMatch(True, 0.0, line.box, line.angle)
            anchored = anchors and _anchored(t, line.text)
            if edits <= allowed or (anchored and edits <= 0.75 * len(t)):
                whole = len(t) >= MIN_CONTRADICT and b - a >= len(t) - 1
                replaced = anchored and b - a >= 0.75 * len(t) and not _cut_short(t, line.text, a, b)
                near.append((line, line.text[:a] + t + line.text[b:], whole or replaced))
    return _scored(near)


MAX_SCORED = 24
"""Most near misses scored per field (each a CTC alignment, about 0.3 ms): bounds the time on pages full of
numbers; the closest by :func:`_rough` are kept."""


def _rough(wanted: str, text: str) -> int:
    """A cheap distance between a line's text and the same text with the MRZ's value put in."""
    return abs(len(wanted) - len(text)) + sum(a != b for a, b in zip(wanted, text, strict=False))


def _scored(near: Sequence[tuple[ReadLine, str, bool]]) -> FieldMatch:
    """The verdict on the near misses (line, the line's text with the MRZ's value put in, whether it may
    contradict): found when the closest is within :data:`SLIP_NATS`, else contradicted by the closest of
    those that may contradict, else not told."""
    if len(near) > MAX_SCORED:  # a page full of numbers: score the runs closest to the MRZ's value only
        near = sorted(near, key=lambda x: _rough(x[1], x[0].text))[:MAX_SCORED]
    scored = [
        (best_score(line.log_probs) - forced_score(line.log_probs, wanted, alike=True), line, may)
        for line, wanted, may in near
    ]
    if not scored:
        return FieldMatch(None, float("inf"))
    nats, line, _ = min(scored, key=lambda x: x[0])
    if nats <= SLIP_NATS:
        return FieldMatch(True, nats, line.box, line.angle)
    against = [x for x in scored if x[2] and math.isfinite(x[0])]  # a value that cannot fit the line: no evidence
    if not against:
        return FieldMatch(None, nats)
    nats, line, _ = min(against, key=lambda x: x[0])
    return FieldMatch(False, nats, line.box, line.angle)


_REVERSE_TRANSLIT = (("AE", "A"), ("OE", "O"), ("UE", "U"), ("AA", "A"))
_TRANSLITERATED = re.compile("|".join(long for long, _ in _REVERSE_TRANSLIT))
MAX_UNDONE = 3
"""Most transliterations undone in every combination (2³ targets); beyond, each kind is undone everywhere at once."""


def name_targets(name: str) -> list[str]:
    """A name of the MRZ (words separated by spaces) as the visual zone may print it, in reader labels (which
    drop accents): as is, and with ICAO transliterations undone in every combination (``MUELLER`` for
    ``MÜLLER`` read as ``MULLER``; ``OESTERGAARD`` for ``ØSTERGÅRD`` read as ``OSTERGARD``)."""
    base = "<".join(name.split())
    short = dict(_REVERSE_TRANSLIT)
    found = list(_TRANSLITERATED.finditer(base))
    if len(found) > MAX_UNDONE:
        kinds = [base.replace(long, s) for long, s in _REVERSE_TRANSLIT if long in base]
        every = base
        for long, s in _REVERSE_TRANSLIT:
            every = every.replace(long, s)
        return list(dict.fromkeys([base, *kinds, every]))
    out = []
    for undo in itertools.product((False, True), repeat=len(found)):
        parts, last = [], 0
        for m, u in zip(found, undo, strict=True):
            parts += [base[last : m.start()], short[m.group()] if u else m.group()]
            last = m.end()
        out.append("".join([*parts, base[last:]]))
    return list(dict.fromkeys(out))


_DIGITISH_LETTERS = {**_DIGIT_LETTERS, "T": "7", "A": "4"}
"""With the line model's own slips on digits (a ``7`` read ``T``, a ``4`` read ``A``)."""
_DIGITISH = str.maketrans(_DIGITISH_LETTERS)
_DATE_TOKEN = "[0-9" + "".join(_DIGITISH_LETTERS) + "]"
_MONTH_TOKEN = "[A-Z0158]"
"""A month name's characters as read: letters, or digits read for a look-alike letter (``0CT``, ``N0V``)."""
_NAMED = re.compile(
    rf"(?<![0-9A-Z])({_DATE_TOKEN}{{1,2}})(<?)({_MONTH_TOKEN}{{3,9}})(?:<({_MONTH_TOKEN}{{3,9}}))?(<?)"
    rf"({_DATE_TOKEN}{{2,4}})(?![0-9A-Z])"
)
_NUMERIC = re.compile(rf"(?<![0-9A-Z])({_DATE_TOKEN}{{1,4}})<({_DATE_TOKEN}{{1,2}})<({_DATE_TOKEN}{{2,4}})(?![0-9A-Z])")


def _month_names(token: str, month: int) -> list[str]:
    """The (at most two) names of ``month``, in reader labels, closest to the printed month ``token``: the
    same language and spelling when the token is a month name (``JULI`` → ``JUNI`` for June)."""
    names = {label_text(n) for n in _MONTHS[month]} - {""}
    return sorted(names, key=lambda c: (substring_edits(c, token)[0] + abs(len(c) - len(token)), c))[:2]


def _split_months(token: str) -> tuple[int, str, str] | None:
    """A bilingual month read as one word (``APRJAVR``: the slash read as a letter): (month, first name,
    second name), each name as printed, or ``None``."""
    for i in range(3, len(token) - 2):
        for gap in (0, 1):
            first, second = token[:i], token[i + gap :]
            common = _months(first) & _months(second)
            if len(common) == 1 and len(second) >= 3:
                return next(iter(common)), first, second
    return None


def _forms(value: int, read: str) -> list[str]:
    """``value`` (a day or month number) written as the printed token ``read`` may have it: two digits,
    and one digit when it fits."""
    forms = [f"{value:02d}"]
    if value < 10:
        forms.append(str(value))
    return forms if len(read) <= 2 else forms[:1]


def _years(year: int, read: str) -> list[str]:
    full, short = f"{year:04d}", f"{year % 100:02d}"
    return [full] if len(read) >= 4 else ([short] if len(read) <= 2 else [full, short])


DayMonthYear = tuple[int, int, int]
"""A date as (day, month, year % 100): what a printed date with a two-digit year still tells."""


def _number(token: str) -> int | None:
    digits = token.translate(_DIGITISH)
    return int(digits) if digits.isdigit() else None


def _read(day: str, month: int | None, year: str) -> DayMonthYear | None:
    d, y = _number(day), _number(year)
    if d is None or y is None or month is None or not 1 <= d <= 31 or not 1 <= month <= 12:
        return None
    return d, month, y % 100


def date_targets(text: str, date: dt.date) -> list[tuple[str, DayMonthYear | None]]:
    """``text`` (a read line) with each date-like run replaced by ``date`` written the same way (order,
    digits, month language, two- or four-digit year), each with the date the run itself reads as (``None``
    when it does not read as one date)."""
    out: list[tuple[str, DayMonthYear | None]] = []
    for m in _NAMED.finditer(text):
        day, sep1, mon, mon2, sep2, year = m.groups()
        months_read = [mon, mon2] if mon2 else [mon]
        if not _date_like(day, year) or any(sum(c.isalpha() for c in t) < 2 for t in months_read):
            continue  # not a date, or a month token of digits (two letters at least make a month name)
        mon, mon2 = mon.translate(_LETTER_LIKE), mon2.translate(_LETTER_LIKE) if mon2 else mon2
        named = _months(mon)
        split = _split_months(mon) if not mon2 and not named else None
        if split is not None:
            read_month: int | None = split[0]
            spellings = [
                f"{a}<{b}" for a in _month_names(split[1], date.month) for b in _month_names(split[2], date.month)
            ]
        else:
            found = named & _months(mon2) if mon2 else named
            read_month = next(iter(found)) if len(found) == 1 else None
            firsts = _month_names(mon, date.month)
            spellings = [f"{a}<{b}" for a in firsts for b in _month_names(mon2, date.month)] if mon2 else firsts
        read = _read(day, read_month, year)
        for months in spellings:
            for d in _forms(date.day, day):
                for y in _years(date.year, year):
                    out.append((text[: m.start()] + f"{d}{sep1}{months}{sep2}{y}" + text[m.end() :], read))
    for m in _NUMERIC.finditer(text):
        a, b, c = m.group(1), m.group(2), m.group(3)
        if sum(ch.isdigit() for ch in a + b + c) < 4:
            continue
        if len(a) >= 3:  # year first
            read = _read(c, _number(b), a)
            bodies = [
                f"{y}<{mm}<{dd}"
                for y in _years(date.year, a)
                for mm in _forms(date.month, b)
                for dd in _forms(date.day, c)
            ]
        else:
            dmy = _read(a, _number(b), c)
            mdy = _read(b, _number(a), c)
            read = dmy if mdy is None or dmy == _dmy(date) else (mdy if dmy is None or mdy == _dmy(date) else dmy)
            bodies = [
                f"{x}<{z}<{y}"
                for y in _years(date.year, c)
                for first, second in ((date.day, date.month), (date.month, date.day))
                for x in _forms(first, a)
                for z in _forms(second, b)
            ]
        out.extend((text[: m.start()] + body + text[m.end() :], read) for body in dict.fromkeys(bodies))
    return out


def _dmy(date: dt.date) -> DayMonthYear:
    return date.day, date.month, date.year % 100


def _date_like(day: str, year: str) -> bool:
    """A run is taken for a date when its day and year hold at least two real digits and the year one."""
    return sum(c.isdigit() for c in day + year) >= 2 and any(c.isdigit() for c in year)


MIN_SHARED = 1
"""Parts (day, month, year) a printed date must share with the MRZ's to contradict it: real pages carry
other dates (of issue, of a visa's validity) that an unread date line would otherwise be compared with; a
forger's edit usually keeps some parts (another year, month or day)."""


def _lost_digit(read: DayMonthYear, want: DayMonthYear) -> bool:
    """A printed day that is the last digit of the MRZ's (``3`` for ``23``) with the rest equal: a digit
    the reader lost at the line's start, not another date."""
    return read[1:] == want[1:] and read[0] < 10 <= want[0] and want[0] % 10 == read[0]


def explained_dates(birth: dt.date | None, expiry: dt.date | None) -> set[DayMonthYear]:
    """Printed dates that a visual zone may hold besides the one looked for: the MRZ's two dates and a
    date of issue 5 or 10 years (to the day, or a day either side) before the expiry date, the usual
    validity of passports and cards."""
    out = {_dmy(d) for d in (birth, expiry) if d is not None}
    if expiry is not None:
        for years in (5, 10):
            try:
                issue = expiry.replace(year=expiry.year - years)
            except ValueError:  # 29 February
                issue = expiry.replace(year=expiry.year - years, day=28)
            out |= {_dmy(issue), _dmy(issue + dt.timedelta(days=1)), _dmy(issue - dt.timedelta(days=1))}
    return out


def date_match(
    lines: Sequence[ReadLine],
    date: dt.date | None,
    explained: set[DayMonthYear],
    *,
    mrz_dates: Sequence[DayMonthYear] = (),
    taken: tuple[int, int, int, int] | None = None,
    labels: Sequence[str] = (),
) -> FieldMatch:
    """Where ``date`` is printed: each date-like run of each line rewritten as ``date`` and scored.

    Found when a run reads as ``date`` or is within :data:`SLIP_NATS` of it. Contradicted only by a run
    that reads as one definite other date sharing :data:`MIN_SHARED` parts with ``date``, not one of
    ``explained`` (the MRZ's other date, a date of issue) and not one part away from another of ``mrz_dates``
    (the MRZ's dates, as (day, month, year)): a garbled run, another date the page is expected to carry, or the
    MRZ's other date misread in one part (``12 JUL 2029`` read ``12 YOV 2029``, taken for November), is no
    evidence. (On the calibration split that rule removed one false mismatch on a genuine visual zone, and one
    detection of an altered expiry date that had come from the printed birth date.) Nor is a run on the line
    ``taken`` (page pixels), where the MRZ's other date was found: one printed date is not two. A run whose
    label (:func:`_labelled`) holds one of ``labels`` is the field's place, so it contradicts sharing no part
    with ``date`` too (a birth date changed in day, month and year)."""
    if date is None:
        return FieldMatch(None, float("inf"))
    near = [(line, wanted, read) for line in lines for wanted, read in date_targets(line.text, date)]
    want = _dmy(date)
    for line, wanted, read in near:
        if wanted == line.text or read == want:
            return FieldMatch(True, 0.0, line.box, line.angle)
    others = [d for d in mrz_dates if d != want]
    return _scored(
        [
            (
                line,
                wanted,
                read is not None
                and read not in explained
                and (_shared(read, want) >= MIN_SHARED or _labelled(line, lines, labels))
                and not _lost_digit(read, want)
                and not any(_shared(read, other) == 2 for other in others)
                and not (taken is not None and _same_place(line.box, taken)),
            )
            for line, wanted, read in near
        ]
    )


BIRTH_LABELS = ("BIRTH", "NAISSANCE", "NACIMIENTO")
"""Words of a birth date's label in the languages ICAO 9303 asks every passport and card to label in besides its
own (English, French, Spanish: *date of birth / de naissance / de nacimiento*)."""
EXPIRY_LABELS = ("EXPIRY", "EXPIRATION", "CADUCIDAD", "VENCIMIENTO", "UNTIL", "JUSQU")
"""The same for an expiry date (*date of expiry / d'expiration / de caducidad*; a visa's *valid until / jusqu'au*)."""


SURNAME_LABELS = ("SURNAME", "APELLIDO", "<NOM<")
"""The same for a surname (*surname / nom / apellidos*; ``NOM`` as a word of its own, not in *prénoms*)."""
GIVEN_LABELS = ("GIVEN", "PRENOM")
"""The same for given names (*given names / prénoms*; not the Spanish *nombre*, which is French for "number": a
visa's *nombre d'entrées* labels its number of entries)."""


OTHER_NAME_LABELS = ("USAGE",)
"""Words of labels of other names printed under a name's label word (a French card's *nom d'usage*, the name in
use, beside its *nom*)."""


def _label_above(line: ReadLine, lines: Sequence[ReadLine]) -> str:
    """The text of the lines just above ``line`` (their bottom within 1.5 of its heights over its top, starting
    from a height left of its start to 1.2 of its widths right of it: a label, often longer than its value, may
    be read in pieces), joined with ``<``: where a field's label is printed."""
    x0, y0, x1, y1 = line.box
    h = y1 - y0
    return "<".join(
        other.text
        for other in lines
        if other is not line
        and y0 - 1.5 * h <= other.box[3] <= y0 + 0.3 * h
        and x0 - h <= other.box[0] <= x0 + max(h, 1.2 * (x1 - x0))
    )


def _names(text: str, words: Sequence[str]) -> bool:
    """Whether ``text`` holds one of the label ``words`` (one letter may be misread in words of five or more)."""
    text = f"<{text}<"
    return any(w in text or (len(w.strip("<")) >= 5 and substring_edits(w, text)[0] <= 1) for w in words)


def _labelled(line: ReadLine, lines: Sequence[ReadLine], words: Sequence[str]) -> bool:
    """Whether the label of ``line`` holds one of ``words``: the lines just above it (:func:`_label_above`) or
    its own text (a label printed before the value on the same row)."""
    return bool(words) and _names(f"{_label_above(line, lines)}<{line.text}", words)


def labelled_name(
    lines: Sequence[ReadLine], targets: Sequence[str], own: Sequence[str], other: Sequence[str]
) -> FieldMatch:
    """A name looked for where its label says it is printed: the runs (two letters or more, no label words
    themselves) under a label holding one of ``own`` and none of ``other`` (a label *surname, given names*
    names both), each scored against ``targets`` as a whole (:func:`_scored`; a run may contradict unless it
    was read with a digit, which no name holds: such a line is misread): found within :data:`SLIP_NATS`, else
    contradicted by the closest run that may; not told without one or when no target fits one."""
    runs = [
        line
        for line in lines
        if sum(c.isalpha() for c in line.text) >= 2
        and (above := _label_above(line, lines))
        and _names(above, own)
        and not _names(above, other)
        and not _names(line.text, (*own, *other))
    ]
    return _scored([(line, t, not _has_digit(line.text)) for line in runs for t in targets])


def _has_digit(text: str) -> bool:
    """Whether a line was read with a digit: at a name's place, then, it is misread (names hold none)."""
    return any(c.isdigit() for c in text)


NAME_ROWS = 3.5
"""How far (in the found name's line heights, top to top) the other name's line may lie from it: the next
value printed in its column, a row of labels between them."""
NAME_HEIGHTS = (0.7, 1.6)
"""The other name's line is this many times as tall as the found name's: a retyped name may be smaller or
larger, a label (about 0.6 of a value's height) is left out."""
NEIGHBOUR_NATS = 60.0
"""A name's line found by its place alone contradicts the MRZ only beyond this many nats (three times
:data:`SLIP_NATS`): nothing in its text says it is the name, so a genuine name misread on a phone photo must
not be taken for another one. Chosen on the calibration split with ``--viz``: the genuine names misread so
scored up to 46 nats there, the names retyped or recomputed 64 and more."""


def neighbour_name(
    lines: Sequence[ReadLine],
    targets: Sequence[str],
    found: tuple[int, int, int, int],
    *,
    below: bool,
    taken: Sequence[tuple[int, int, int, int]] = (),
) -> FieldMatch:
    """A name looked for where ICAO 9303 prints it beside the other name, which was found at ``found`` (a line
    box): the surname is the value printed just above the given names, the given names the one just below the
    surname (``below``), in the same column. The nearest line so placed — starting within a line height of
    ``found``'s start, as tall as :data:`NAME_HEIGHTS` allows, within :data:`NAME_ROWS` heights, mostly
    letters, holding no label word and not where another field was found (``taken``: line boxes) — is scored
    against ``targets`` (:func:`_scored`): found within :data:`SLIP_NATS`; contradicted beyond
    :data:`NEIGHBOUR_NATS` when the line holds three quarters of a target's characters or more, no digit (a name
    has none: read with one, the line is misread) and is not the name cut short by its line's end or start
    (:func:`_cut_short`; a shorter run is the name cut or misread in part); else not told, as without such a
    line."""
    x0, y0, _, y1 = found
    h = y1 - y0
    words = (*SURNAME_LABELS, *GIVEN_LABELS, *OTHER_NAME_LABELS, *BIRTH_LABELS, *EXPIRY_LABELS)
    best: tuple[float, ReadLine] | None = None
    for line in lines:
        bx0, by0, _, by1 = line.box
        rise = by0 - y0 if below else y0 - by0
        if (
            line.box == found
            or line.box in taken
            or not 0.5 * h <= rise <= NAME_ROWS * h
            or abs(bx0 - x0) > h
            or not NAME_HEIGHTS[0] * h <= by1 - by0 <= NAME_HEIGHTS[1] * h
            or sum(c.isalpha() for c in line.text) < max(2, 0.5 * len(line.text.replace("<", "")))
            or _names(line.text, words)
        ):
            continue
        if best is None or rise < best[0]:
            best = (rise, line)
    if best is None:
        return FieldMatch(None, float("inf"))
    line = best[1]
    text = line.text
    may = not _has_digit(text)
    near = [(line, t, may and len(text) >= 0.75 * len(t) and not _cut_short(t, text, 0, len(text))) for t in targets]
    match = _scored(near)
    return match if match.found is not False or match.nats > NEIGHBOUR_NATS else FieldMatch(None, match.nats)


def _same_place(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two line boxes (x0, y0, x1, y1) cover each other by half of the smaller one or more."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w > 0 and h > 0 and w * h >= 0.5 * smaller


def _shared(a: DayMonthYear, b: DayMonthYear) -> int:
    """How many parts (day, month, year) two dates share."""
    return sum(x == y for x, y in zip(a, b, strict=True))


def number_targets(number: str) -> list[str]:
    """A document number as the visual zone may print it, in reader labels: as it is, and with a space where
    letters and digits meet (``PL 0000000``: issuers often set a prefix apart)."""
    breaks = [i for i in range(1, len(number)) if number[i - 1].isdigit() != number[i].isdigit()]
    return [number, *(number[:i] + "<" + number[i:] for i in breaks)]


def compare_lines(mrz: MRZResult, lines: Sequence[ReadLine]) -> dict[str, FieldMatch]:
    """Each field of :data:`CHECKED_FIELDS` compared with the lines of the visual zone."""
    f = mrz.fields
    out: dict[str, FieldMatch] = {}
    names: dict[str, list[str]] = {}
    for key, name in (("surname", f.surname), ("given_names", f.given_names)):
        targets = names[key] = name_targets(name) if len(name.replace(" ", "")) >= 2 else []
        out[key] = (
            _near(lines, targets, max(1.0, 0.4 * len(targets[0])), anchors=True)
            if targets
            else FieldMatch(None, float("inf"))
        )
        if targets and out[key].found is None:  # nothing like it: what is printed under its label?
            own, rival = (SURNAME_LABELS, GIVEN_LABELS) if key == "surname" else (GIVEN_LABELS, SURNAME_LABELS)
            out[key] = labelled_name(lines, targets, own, (*rival, *OTHER_NAME_LABELS))
    number = f.document_number
    if number and len(number) >= 4:
        compact = [line for line in lines if number in line.text.replace("<", "")]
        out["document_number"] = (
            FieldMatch(True, 0.0, compact[0].box, compact[0].angle)
            if compact
            else _near(lines, number_targets(number), max(1.0, 0.4 * len(number)))
        )
    else:
        out["document_number"] = FieldMatch(None, float("inf"))
    explained = explained_dates(f.birth_date, f.expiry_date)
    rows = [*lines, *row_runs(lines)]  # dates only: joined runs would give numbers and names near misses
    mrz_dates = [_dmy(d) for d in (f.birth_date, f.expiry_date) if d is not None]
    dates = {"birth_date": (f.birth_date, BIRTH_LABELS), "expiry_date": (f.expiry_date, EXPIRY_LABELS)}
    for key, (date, labels) in dates.items():
        out[key] = date_match(rows, date, explained, mrz_dates=mrz_dates, labels=labels)
    for key, other in (("birth_date", "expiry_date"), ("expiry_date", "birth_date")):
        if out[key].found is False and out[other].found and out[other].box is not None:
            date, labels = dates[key]
            out[key] = date_match(rows, date, explained, mrz_dates=mrz_dates, taken=out[other].box, labels=labels)
    taken = [m.box for m in out.values() if m.found and m.box is not None]
    for key, other, below in (("surname", "given_names", False), ("given_names", "surname", True)):
        found = out[other]
        if names[key] and out[key].found is None and found.found and found.box is not None:
            out[key] = neighbour_name(lines, names[key], found.box, below=below, taken=taken)
    return out


def _next_on_row(line: ReadLine, lines: Sequence[ReadLine]) -> ReadLine | None:
    """The closest line starting right of ``line`` on the same printed row (vertical overlap of 60 % of
    the lower one's height, heights within 1.5 times, a gap under 1.5 heights), or ``None``."""
    _, y0, x1, y1 = line.box
    h = y1 - y0
    best: tuple[int, ReadLine] | None = None
    for other in lines:
        bx0, by0, _, by1 = other.box
        hb = by1 - by0
        if other is line or min(y1, by1) - max(y0, by0) < 0.6 * min(h, hb) or max(h, hb) > 1.5 * min(h, hb):
            continue
        gap = bx0 - x1
        if -0.2 * h <= gap <= 1.5 * h and (best is None or gap < best[0]):
            best = (gap, other)
    return None if best is None else best[1]


def row_runs(lines: Sequence[ReadLine]) -> list[ReadLine]:
    """Runs of one printed row that the line finder split, joined (:func:`~docverify.viz_reader.join_lines`):
    a date printed ``26 AUG 2032`` and found as ``26``, ``AUG``, ``2032`` is also read as one line. Each
    line with the next on its row, and those pairs with the next again (up to three runs)."""
    following = {id(a): _next_on_row(a, lines) for a in lines}
    out = []
    for a in lines:
        b = following[id(a)]
        if b is None:
            continue
        pair = join_lines(a, b)
        out.append(pair)
        c = following[id(b)]
        if c is not None and c is not a:
            out.append(join_lines(pair, c))
    return out


def upright_page(
    gray: npt.NDArray[np.uint8], mrz: MRZResult, location: MRZLocation
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64]] | None:
    """The data page above the MRZ, upright (H×W uint8 gray, :data:`PX_PER_MM` per mm at TD3 size), and
    the 3×3 matrix from original-image pixels to it; ``None`` when the page would be degenerate."""
    matrix, size = page_transform(location, mrz.format, len(mrz.lines[0]))
    if size[0] * size[1] > 4_000_000 or min(size) < 16:
        return None
    page = cv2.warpPerspective(gray, matrix, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return page, matrix


def _image_box(
    box: tuple[int, int, int, int], angle: float, matrix: npt.NDArray[np.float64]
) -> tuple[tuple[float, float], ...]:
    """A line's box (page pixels, measured along a line tilted by ``angle`` degrees about its centre) as a
    polygon in original-image pixels."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    a = math.radians(angle)
    cos, sin = math.cos(a), math.sin(a)
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    turned = [[cx + cos * (x - cx) - sin * (y - cy), cy + sin * (x - cx) + cos * (y - cy)] for x, y in corners]
    pts = np.array([turned], dtype=np.float64)
    back = cv2.perspectiveTransform(pts, np.linalg.inv(matrix))[0]
    return tuple((float(x), float(y)) for x, y in back)


def cross_check_lines(gray: npt.NDArray[np.uint8], mrz: MRZResult, location: MRZLocation) -> tuple[Finding, ...]:
    """The MRZ ↔ visual-zone findings with docverify's own line reader (:mod:`docverify.viz_reader`):
    ``gray`` is the original image (H×W uint8)."""
    up = upright_page(gray, mrz, location)
    if up is None:
        return ()
    page, matrix = up
    return findings_for_lines(zone_matches(page, mrz), field_spans(mrz.format), matrix)


NEGATIVE_FIELDS = ("surname", "given_names", "document_number")
"""The fields looked for again in light print on a dark ground before they count as contradicted. A name or a
number is found only as a long run of its own characters, which the negative page's noise (the gaps between
dark strokes, read as strokes) does not spell; a date is found in many spellings from few digits, which that
noise can give (on the calibration split it hid three altered dates)."""


def zone_matches(page: npt.NDArray[np.uint8], mrz: MRZResult) -> dict[str, FieldMatch]:
    """:func:`compare_lines` on the lines of the upright data page (H×W uint8 gray, :func:`upright_page`). A
    name or number (:data:`NEGATIVE_FIELDS`) that the dark print contradicts is looked for in the light print
    on dark grounds too — a number in a coloured band, which the line finder, looking for dark strokes, does
    not see — by reading the negative page; found there, it is found. Nothing else changes. A value shorter than
    :data:`MIN_CONTRADICT` characters is not looked for there: the negative page's noise spells such runs."""
    lines = read_lines(page, find_lines(page))
    matches = compare_lines(mrz, lines)
    f = mrz.fields
    values = {"surname": f.surname, "given_names": f.given_names, "document_number": f.document_number}
    again = [
        k
        for k in NEGATIVE_FIELDS
        if matches[k].found is False and len(values[k].replace(" ", "")) >= MIN_CONTRADICT  # short: noise spells it
    ]
    if again:
        negative = cv2.bitwise_not(page)
        more = compare_lines(mrz, [*lines, *read_lines(negative, find_lines(negative))])
        matches.update({k: more[k] for k in again if more[k].found})
    return matches


def compared(matches: dict[str, FieldMatch]) -> bool | None:
    """The own reader's decision on one comparison: ``None`` when too few fields were found to compare
    (:data:`MIN_FOUND`, or :data:`MIN_FOUND_TWICE_CONTRADICTED` when two or more are contradicted), else
    whether any field is contradicted."""
    found = sum(1 for m in matches.values() if m.found)
    missing = sum(1 for m in matches.values() if m.found is False)
    if found < (MIN_FOUND_TWICE_CONTRADICTED if missing >= 2 else MIN_FOUND):
        return None
    return missing > 0


def findings_for_lines(
    matches: dict[str, FieldMatch], spans: dict[str, Span], matrix: npt.NDArray[np.float64]
) -> tuple[Finding, ...]:
    """The findings of one comparison by the own reader: ``viz.not_compared`` (info) when too few fields
    were found (:func:`compared`), else a ``viz.mismatch.<field>`` warning for each contradicted field,
    boxed on its printed line (``matrix``: original image → upright page)."""
    found = [k for k, v in matches.items() if v.found]
    missing = [k for k, v in matches.items() if v.found is False]
    if compared(matches) is None:
        return (_not_compared(len(found), len(matches)),)
    out = []
    seen = ", ".join(x.replace("_", " ") for x in found)
    for name in missing:
        m = matches[name]
        label = name.replace("_", " ")
        span = spans.get(name)
        out.append(
            Finding(
                f"viz.mismatch.{name}",
                Severity.WARNING,
                Category.AUTHENTICITY,
                f"The printed visual zone shows a different {label} from the MRZ, read with confidence "
                f"(difference score {m.nats:.0f}; an OCR slip scores {SLIP_NATS:g} or less), while {seen} agree. "
                "One of the two zones may have been altered: compare them by eye.",
                STAGE,
                spans=(span,) if span else (),
                evidence=(("fields_found", len(found)), ("nats", round(m.nats, 1))),
                box=_image_box(m.box, m.angle, matrix) if m.box is not None else (),
            )
        )
    return tuple(out)
