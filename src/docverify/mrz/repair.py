"""Check-digit-guided repair of OCR'd MRZ text.

The repair looks for the most probable MRZ that fits every field's charset and satisfies every check
digit (the field digits and the composite), given per-position candidate characters with costs
(``-ln p``). Candidates come either from a recognizer (``alternatives``: per line, per column, a list
of ``(char, probability)``) or, for plain text, from a table of classic OCR confusions.

The search is exact: a dynamic programme over check-digit residues (mod 10) keeps the two cheapest
readings per state, so the best and the runner-up reading are both known. When they are equally
likely, nothing is guessed: the result is reported as ambiguous. Every changed character becomes a
:class:`~docverify.results.Correction` and a finding; nothing changes silently.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
import numbers
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from docverify.mrz import checkdigit, countries
from docverify.mrz.name_letters import ambiguous_digits, letter_costs
from docverify.mrz.parse import find_long_number, parse
from docverify.mrz.spec import ALPHABET, CHARSETS, CLEAN_LINE, DIGITS, FILLER, CheckSpec, FieldKind, FieldSpec, Layout
from docverify.results import Category, Correction, Finding, MRZFormat, Severity, Span

STAGE = "mrz.repair"

Alternatives = Sequence[Sequence[Sequence[tuple[str, float]]]]
"""Per line, per column: candidate characters with probabilities (need not sum to 1)."""

Pos = tuple[int, int]

# (a, b, cost): a read as b and b read as a. Cost ≈ -ln(relative likelihood); 1.0 is a classic confusion.
_CONFUSION_PAIRS: tuple[tuple[str, str, float], ...] = (
    ("O", "0", 1.0),
    ("Q", "0", 1.5),
    ("D", "0", 1.5),
    ("I", "1", 1.0),
    ("L", "1", 1.5),
    ("B", "8", 1.0),
    ("S", "5", 1.0),
    ("Z", "2", 1.0),
    ("G", "6", 1.0),
    ("K", FILLER, 1.0),
    ("X", FILLER, 1.0),
)
"""The classic OCR-B confusions. Anything else illegal in its field is treated as unreadable: every
legal character becomes a candidate at ``RepairConfig.unknown_cost``, and the check digits decide."""

CONFUSIONS: dict[str, tuple[tuple[str, float], ...]] = {}
for _a, _b, _cost in _CONFUSION_PAIRS:
    CONFUSIONS[_a] = (*CONFUSIONS.get(_a, ()), (_b, _cost))
    CONFUSIONS[_b] = (*CONFUSIONS.get(_b, ()), (_a, _cost))

# Letters of other scripts that look like MRZ characters, mapped one to one (lower case is folded
# first). Cyrillic: А В Е К М Н О Р С Т Х У І Ј Ѕ; Greek: Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ; angle marks as '<'.
_HOMOGLYPHS = {
    **dict(zip("\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423\u0406\u0408\u0405",
               "ABEKMHOPCTXYIJS", strict=True)),
    **dict(zip("\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7",
               "ABEZHIKMNOPTYX", strict=True)),
    **dict.fromkeys("\u00ab\u2039\u3008\uff1c\u2264", FILLER),
}  # fmt: skip


DOCUMENT_CODE_FIRST: dict[MRZFormat, str] = {
    MRZFormat.TD1: "ICA",
    MRZFormat.TD2: "ICAP",
    MRZFormat.TD3: "PIAC",
    MRZFormat.MRVA: "V",
    MRZFormat.MRVB: "V",
    MRZFormat.FRA_ID: "I",
}
"""First characters a repair may give the document code, most usual first (ICAO 9303 Parts 4–7; the
validator still reports the unusual ones)."""


@dataclass(frozen=True, slots=True)
class RepairConfig:
    """Knobs of the repair. Costs are negative log-likelihoods."""

    max_cost: float = 6.0
    """Readings costlier than this are not accepted (too many changes to be a repair)."""
    max_unforced: int = 1
    """Without recognizer probabilities, at most this many legal characters may be changed to satisfy
    the check digits (more would let the repair explain away a genuinely wrong check digit)."""
    tie_margin: float = 1e-6
    """Readings whose costs differ by less than this are equally likely."""
    unknown_cost: float = 4.0
    """Cost of each guess at a character that is illegal in its field and has no confusable."""
    min_probability: float = 1e-4
    """Recognizer alternatives below this probability are ignored."""
    confusion_prior_cost: float = 2.5
    """With recognizer alternatives: extra cost of a classic confusion the recognizer did not propose."""
    evidence_probability: float = 0.05
    """With recognizer alternatives: a legal character changed to satisfy the check digits counts as
    evidenced (an info finding) only when the recognizer gave the new character at least this probability.
    Below it the image shows the character read clearly, and the check digit disagrees: a misread, a
    misprint, or an altered digit or check digit; a warning, so the document is reviewed."""
    clear_ratio: float = 10.0
    """With recognizer alternatives, where no check digit covers a position (names): a character not allowed
    there (a ``0`` in a name) replaced by an allowed character the recognizer gave at least
    :attr:`evidence_probability` and this many times the probability of any other allowed character is a
    clear correction (an info finding); otherwise a warning."""
    sure_probability: float = 0.99
    """With recognizer alternatives: a character allowed in its field that the recognizer gave at least this
    probability (every runner-up under one chance in a hundred) is not changed into a classic confusion the
    recognizer did not propose (below :attr:`min_probability`): the image shows that character clearly, so a
    check digit that disagrees is left failing — an altered digit, a misprint — instead of being explained
    away by a look-alike (a forger's clear ``1`` read back as ``I``). Chosen on the calibration split (2026-11-24,
    seventeenth session): 22 broken-check-digit and copy-move forgeries had been "repaired" so against first
    choices of 0.994–1.0 (their new characters under 0.0003), no genuine capture's correction; figures in
    benchmarks/RESULTS.md."""
    doubt_margin: float = 4.6
    """With recognizer alternatives: when the best reading that does not make a change (and satisfies the same
    check digits) is less than this much costlier than the chosen one (``-ln p``; 4.6 is 100 times less likely),
    that change is doubtful (a warning, not info): the recognizer's confidence alone picked between two readings
    that the check digits both accept, and a recognizer can be confidently wrong on a poor image."""


@dataclass(frozen=True, slots=True)
class RepairOutcome:
    """The repaired lines and what was done to them."""

    lines: tuple[str, ...]
    corrections: tuple[Correction, ...]
    findings: tuple[Finding, ...]
    ambiguous: bool
    cost: float
    solved: bool = False
    """True when every check-digit block found a reading (the corrections there are verified)."""


# --- text normalisation ---------------------------------------------------------------------------


def normalize_characters(lines: Sequence[str]) -> tuple[tuple[str, ...], tuple[Correction, ...]]:
    """Map lower case, full-width forms and look-alike letters of other scripts to the MRZ alphabet,
    one character for one, so positions stay put. Each change is returned as a correction."""
    out: list[str] = []
    corrections: list[Correction] = []
    if all(CLEAN_LINE.fullmatch(line) for line in lines):
        return tuple(lines), ()
    for li, line in enumerate(lines):
        chars = list(line)
        for col, ch in enumerate(chars):
            if ch in ALPHABET:
                continue
            mapped = _map_char(ch)
            if mapped is None:
                continue
            reason = "lower case" if ch.isascii() else f"look-alike character U+{ord(ch):04X}"
            corrections.append(Correction(li, col, ch, mapped, reason, verified=False, forced=True))
            chars[col] = mapped
        out.append("".join(chars))
    return tuple(out), tuple(corrections)


def _map_char(ch: str) -> str | None:
    up = ch.upper()
    if len(up) == 1 and up in ALPHABET:
        return up
    folded = unicodedata.normalize("NFKC", ch).upper()
    if len(folded) == 1 and folded in ALPHABET:
        return folded
    return _HOMOGLYPHS.get(ch) or _HOMOGLYPHS.get(up)


# --- candidates -----------------------------------------------------------------------------------


def _candidates_from_text(
    layout: Layout,
    lines: tuple[str, ...],
    pos: Pos,
    charset: frozenset[str],
    config: RepairConfig,
) -> list[tuple[str, float]]:
    li, col = pos
    ch = lines[li][col]
    kind = layout.kind_at(li, col)
    if ch != FILLER and kind is FieldKind.DATE:
        charset = charset - {FILLER}  # '<' in a date is a rare "unknown part", never a repair
    in_filler = _in_trailing_filler(layout, lines, pos)
    if ch in charset:
        confusions = [(alt, cost) for alt, cost in CONFUSIONS.get(ch, ()) if alt in charset]
        if in_filler and ch != FILLER and any(alt == FILLER for alt, _ in confusions):
            # Only '<' belongs in a field's trailing filler: a letter there is a misread '<'.
            return [(FILLER, 0.0), (ch, 2.0)]
        if in_filler and ch == FILLER:
            # ... and a '<' there is very unlikely to be a misread letter.
            confusions = [(alt, cost + 4.0) for alt, cost in confusions]
        elif kind in (FieldKind.ALNUM, FieldKind.NAME):
            field = _field_at(layout, pos)
            text = lines[li][field.start : field.end]
            if ch == FILLER and set(text[col - field.start + 1 :]) <= {FILLER}:
                # A '<' with only '<' after it in its field: a letter there would lengthen the data into the
                # filler, which is less likely than the letter before it being a misread '<' (fillers are
                # common, K and X in data rare).
                confusions = [(alt, cost + _FILLER_END_COST) for alt, cost in confusions]
            elif ch != FILLER and kind is FieldKind.ALNUM:
                confusions = [
                    (alt, cost + (_run_prior(text, col - field.start, alt) if alt != FILLER else 0.0))
                    for alt, cost in confusions
                ]
        return [(ch, 0.0), *confusions]
    alts = [(alt, cost) for alt, cost in CONFUSIONS.get(ch, ()) if alt in charset]
    if len(alts) > 1 and kind is FieldKind.NAME:
        return _name_letters(layout, lines, pos, alts)
    if alts:
        return alts
    return [(c, config.unknown_cost) for c in sorted(charset)]


_NAME_LETTER_SPREAD = 0.5
"""Most a less likely letter costs over the likeliest in :func:`_name_letters`: the spread of the classic
confusion costs (``O`` 1.0, ``D`` 1.5), under the 1.0 of any further change."""

_NAME_DIGIT_LOOKS: dict[str, float] = {"D": 2.75, "Q": 2.75, "L": 0.5}
"""``-ln`` of how much less often a ``0`` (``1``) is read for this letter than for ``O`` (``I``), in
:func:`_name_letters`. ``D``, ``Q``: measured on the recognizer's own errors (`benchmarks/bench_repair_ocr.py
--count 1200 --seed 31000`, 2026-11-24): ``O`` read ``0`` 146 times in about 2,260 ``O``, ``D`` 4 times in
about 970, ``Q`` never in about 240 — 15.6 times less often, ``ln`` 2.75. ``L``: too few ``1`` errors to
measure (``L`` once, ``I`` never); the classic confusions' spread of 0.5 is kept."""


def _name_letters(
    layout: Layout, lines: tuple[str, ...], pos: Pos, alts: list[tuple[str, float]]
) -> list[tuple[str, float]]:
    """The letters a digit read in a name may be (``0``: ``O``, ``D``, ``Q``), costed by how alike the digit
    and each letter look (:data:`_NAME_DIGIT_LOOKS`) and by the letters beside it
    (:func:`docverify.mrz.name_letters.letter_costs`): the likeliest costs what the cheapest classic confusion
    costs, each other one its log-odds more, up to :data:`_NAME_LETTER_SPREAD` more: where a check digit covers
    the name (the French ID card's composite), a letter the check digits single out must still cost less than a
    likelier letter plus one more change."""
    li, col = pos
    field = _field_at(layout, pos)
    line = lines[li]
    left = line[col - 1] if col > field.start else FILLER
    right = line[col + 1] if col + 1 < field.end else FILLER
    costs = letter_costs(line[col], left, right)
    if costs is None or any(a not in costs for a, _ in alts):
        return alts
    total = {a: costs[a] + _NAME_DIGIT_LOOKS.get(a, 0.0) for a, _ in alts}
    base = min(cost for _, cost in alts)
    best = min(total.values())
    return sorted(((a, base + min(total[a] - best, _NAME_LETTER_SPREAD)) for a in total), key=lambda ac: ac[1])


_FILLER_END_COST = 0.5
"""Extra cost of reading a letter for a '<' that only '<' follows in its field (a number, optional data, a name)."""


def _run_prior(text: str, i: int, alt: str) -> float:
    """Cost adjustment for reading ``alt`` at index ``i`` of a number field ``text``, from its neighbours.

    Numbers come in runs of digits and runs of letters: a digit between two digits (or a letter
    between two letters) is a little more likely than the other class there; at the field's edge the
    one neighbour counts half.
    """
    neighbours = [c for c in (text[i - 1 : i], text[i + 1 : i + 2]) if c.isalnum()]
    if not neighbours or len({c.isdigit() for c in neighbours}) != 1:
        return 0.0
    step = 0.5 if len(neighbours) == 2 else 0.25
    return -step if alt.isdigit() == neighbours[0].isdigit() else step


def _field_at(layout: Layout, pos: Pos) -> FieldSpec:
    li, col = pos
    return next(f for f in layout.fields if f.line == li and f.start <= col < f.end)


def _in_trailing_filler(layout: Layout, lines: tuple[str, ...], pos: Pos) -> bool:
    """Whether ``pos`` lies in the trailing filler of its field, judged from its neighbours.

    Names: after ``<<<`` or after a second ``<<``. Numbers and optional data: a ``<`` on the left and
    only ``<`` (or the field's end) on the right.
    """
    li, col = pos
    kind = layout.kind_at(li, col)
    if kind not in (FieldKind.NAME, FieldKind.ALNUM):
        return False
    field = _field_at(layout, pos)
    line = lines[li]
    if kind is FieldKind.NAME:
        text = line[field.start : col]
        first = text.find("<<")
        return text.find("<<<", 1) >= 0 or (first >= 0 and text.find("<<", first + 2) >= 0)
    start = field.start
    ln = find_long_number(layout, lines) if layout.long_number else None
    if ln is not None and ln.check.line == li and field.start <= ln.check.column < col:
        start = ln.check.column + 2  # the optional data proper starts after the long number and its '<'
    left = line[col - 1] if col > start else ""  # a lone first character may be real data
    return left == FILLER and set(line[col + 1 : field.end]) <= {FILLER}


def _candidates_from_alternatives(
    alts: Sequence[tuple[str, float]], observed: str, charset: frozenset[str], config: RepairConfig
) -> list[tuple[str, float]]:
    best: dict[str, float] = {}
    for ch, p in alts:
        if ch in charset and p >= config.min_probability:
            cost = -math.log(min(p, 1.0))
            if cost < best.get(ch, math.inf):
                best[ch] = cost
    # The classic confusions of the recognizer's first choice stay possible, at a low prior: a
    # recognizer that is sure of a '0' inside a name still leaves the 'O' a name needs. The prior is a
    # ceiling on the cost also of a confusion the recognizer proposed at a tiny probability (an 'O' at
    # 0.3 % must not lose to a 'D' it gave no probability at all).
    top, top_p = alts[0] if alts else (observed, 0.0)  # the recognizer's first choice comes first (repair's contract)
    if top in charset and top_p >= config.sure_probability:
        confusions: tuple[tuple[str, float], ...] = ()  # read clearly and legal there: no look-alike fallback
    else:
        confusions = CONFUSIONS.get(top, ())
    for alt, cost in confusions:
        if alt in charset:
            best[alt] = min(best.get(alt, math.inf), config.confusion_prior_cost + cost)
    if not best:
        return [(observed, 0.0)] if observed in charset else [(c, config.unknown_cost) for c in sorted(charset)]
    return sorted(best.items(), key=lambda kv: kv[1])


# --- search ---------------------------------------------------------------------------------------

Entry = tuple[float, tuple[tuple[Pos, str], ...]]
"""A partial reading: its cost and the characters chosen, as (position, char) pairs."""

_K = 2  # readings kept per state: the best and the runner-up
_Key = TypeVar("_Key", int, tuple[int, int, bool])


def _push(table: dict[_Key, list[Entry]], key: _Key, entry: Entry) -> None:
    """Keep ``entry`` in ``table[key]`` if it is among the :data:`_K` (= 2) cheapest there, cheapest first;
    of equal costs the earlier stays ahead (as a stable sort would keep them). The innermost step of the
    repair's search: written out for two."""
    bucket = table.get(key)
    if bucket is None:
        table[key] = [entry]
    elif entry[0] < bucket[0][0]:
        bucket.insert(0, entry)
        del bucket[_K:]
    elif len(bucket) < _K:
        bucket.append(entry)
    elif entry[0] < bucket[1][0]:
        bucket[1] = entry


def _weights(check: CheckSpec) -> dict[Pos, int]:
    out: dict[Pos, int] = {}
    i = 0
    for span in check.covers:
        for col in range(span.start, span.end):
            out[(span.line, col)] = checkdigit.WEIGHTS[i % 3]
            i += 1
    return out


def _group_table(
    check: CheckSpec,
    cands: dict[Pos, list[tuple[str, float]]],
    comp_w: dict[Pos, int],
) -> dict[int, list[Entry]]:
    """Readings of one field check (data and digit) that satisfy it, by composite residue."""
    own_w = _weights(check)
    table: dict[tuple[int, int, bool], list[Entry]] = {(0, 0, True): [(0.0, ())]}
    for pos, w in own_w.items():
        cw = comp_w.get(pos, 0)
        nxt: dict[tuple[int, int, bool], list[Entry]] = {}
        for (own, comp, all_filler), entries in table.items():
            for ch, cost in cands[pos]:
                v = checkdigit.VALUES[ch]
                nkey = ((own + w * v) % 10, (comp + cw * v) % 10, all_filler and ch == FILLER)
                for ecost, chosen in entries:
                    _push(nxt, nkey, (ecost + cost, (*chosen, (pos, ch))))
        table = nxt
    digit_pos = (check.line, check.column)
    dw = comp_w.get(digit_pos, 0)
    out: dict[int, list[Entry]] = {}
    for (own, comp, all_filler), entries in table.items():
        for ch, cost in cands[digit_pos]:
            if ch == FILLER:
                if not (check.filler_allowed and all_filler):
                    continue
            elif checkdigit.VALUES[ch] != own:
                continue
            ncomp = (comp + dw * checkdigit.VALUES[ch]) % 10
            for ecost, chosen in entries:
                _push(out, ncomp, (ecost + cost, (*chosen, (digit_pos, ch))))
    return out


def _free_table(pos: Pos, cands: list[tuple[str, float]], weight: int) -> dict[int, list[Entry]]:
    table: dict[int, list[Entry]] = {}
    for ch, cost in cands:
        _push(table, (weight * checkdigit.VALUES[ch]) % 10, (cost, ((pos, ch),)))
    return table


def _combine(a: dict[int, list[Entry]], b: dict[int, list[Entry]]) -> dict[int, list[Entry]]:
    out: dict[int, list[Entry]] = {}
    for ra, ea in a.items():
        for rb, eb in b.items():
            key = (ra + rb) % 10
            for ca, xa in ea:
                for cb, xb in eb:
                    _push(out, key, (ca + cb, xa + xb))
    return out


def _best_two(entries: Iterable[Entry]) -> list[Entry]:
    return heapq.nsmallest(2, entries, key=lambda e: e[0])


@dataclass(frozen=True, slots=True)
class _Solution:
    chosen: dict[Pos, str]
    cost: float
    ambiguous_positions: tuple[Pos, ...]


def _solve_checks(
    checks: tuple[CheckSpec, ...],
    cands: dict[Pos, list[tuple[str, float]]],
    config: RepairConfig,
) -> list[_Solution | None]:
    """One solution per independent block of checks (all of them when a composite ties them together).

    ``None`` for a block with no reading within budget.
    """
    composite = next((c for c in checks if c.name == "composite"), None)
    field_checks = [c for c in checks if c.name != "composite"]
    if composite is None:
        return [_pick(_group_table(c, cands, {}).get(0, []), config) for c in field_checks]
    comp_w = _weights(composite)
    in_groups: set[Pos] = set()
    total: dict[int, list[Entry]] = {0: [(0.0, ())]}
    for c in field_checks:  # every field check lies inside the composite in every layout
        in_groups |= set(_weights(c)) | {(c.line, c.column)}
        total = _combine(total, _group_table(c, cands, comp_w))
    for pos, w in comp_w.items():
        if pos not in in_groups:
            total = _combine(total, _free_table(pos, cands[pos], w))
    digit = (composite.line, composite.column)
    finals: list[Entry] = []
    for residue, entries in total.items():
        for ch, cost in cands[digit]:
            if ch != FILLER and checkdigit.VALUES[ch] == residue:
                finals.extend((e + cost, (*x, (digit, ch))) for e, x in entries)
    return [_pick(finals, config)]


def _pick(entries: Iterable[Entry], config: RepairConfig) -> _Solution | None:
    top = _best_two(entries)
    if not top or top[0][0] > config.max_cost:
        return None
    best_cost, best = top[0]
    chosen = dict(best)
    ambiguous: tuple[Pos, ...] = ()
    if len(top) > 1 and top[1][0] - best_cost < config.tie_margin:
        other = dict(top[1][1])
        ambiguous = tuple(sorted(p for p in chosen if chosen[p] != other.get(p)))
    return _Solution(chosen, best_cost, ambiguous)


def repair(
    layout: Layout,
    lines: tuple[str, ...],
    *,
    alternatives: Alternatives | None = None,
    config: RepairConfig | None = None,
) -> RepairOutcome:
    """The most probable reading of ``lines`` (already in ``layout``'s shape) that satisfies its rules.

    ``alternatives``, when given, must match ``lines`` in shape; its first candidate per position need
    not equal the character in ``lines``. Returns the input unchanged (with no corrections) when it is
    already consistent or when no acceptable reading exists.
    """
    cfg = config or RepairConfig()
    if alternatives is not None:
        _check_alternatives_shape(alternatives, lines)
    outcome = _repair_core(layout, lines, alternatives, cfg)
    if outcome.solved and outcome.cost == 0.0:
        return outcome
    # A '<' of a long document number's structure may have been read as K or X: try that structure too.
    marker_cost = 1.0
    tried: list[tuple[float, Pos, RepairOutcome]] = []
    for li, col in _long_number_markers(layout, lines):
        variant = list(lines)
        variant[li] = lines[li][:col] + FILLER + lines[li][col + 1 :]
        alt = _repair_core(layout, tuple(variant), alternatives, cfg)
        if alt.solved:
            tried.append((alt.cost + marker_cost, (li, col), alt))
    tried.sort(key=lambda t: t[0])
    if not tried or (len(tried) > 1 and tried[1][0] - tried[0][0] < cfg.tie_margin):
        return outcome  # none fits, or two structures fit equally well: nothing is guessed
    cost, (li, col), alt = tried[0]
    if outcome.solved and outcome.cost <= cost:
        return outcome
    fix = Correction(li, col, lines[li][col], FILLER, "long document number marker", verified=True, forced=True)
    return RepairOutcome(
        alt.lines,
        (fix, *alt.corrections),
        (correction_finding(fix), *alt.findings),
        alt.ambiguous,
        cost,
        alt.solved,
    )


def _long_number_markers(layout: Layout, lines: tuple[str, ...]) -> list[Pos]:
    """Where a long-number '<' may have been misread as K or X: in the document-number check digit's place,
    with the optional data starting with characters; or, where that place holds '<' (a long number), just
    after the continuation's check digit — any K or X in the optional data's first run from its third
    character on (the continuation has one character or more, then its check digit)."""
    if not layout.long_number:
        return []
    check = layout.check("document_number")
    optional = layout.field("optional_data")
    line = lines[optional.line]
    if line[optional.start] == FILLER:
        return []
    place = lines[check.line][check.column]
    if place in "KX":
        return [(check.line, check.column)]
    if place != FILLER:
        return []
    out: list[Pos] = []
    for col in range(optional.start + 2, optional.end):
        if line[col] == FILLER:
            break
        if line[col] in "KX":
            out.append((optional.line, col))
    return out


def _repair_core(
    layout: Layout, lines: tuple[str, ...], alternatives: Alternatives | None, cfg: RepairConfig
) -> RepairOutcome:
    parsed = parse(layout, lines)
    checks = parsed.checks
    filler_ok = {(c.line, c.column) for c in checks if c.filler_allowed}
    # A long document number's structure stays as read: the '<' in the usual check-digit place and the
    # '<' after its check digit, and no filler inside the continuation (that would move the digit).
    must_fill: set[Pos] = set()
    no_fill: set[Pos] = set()
    ln = parsed.long_number
    if ln is not None:
        number_check = layout.check("document_number")
        must_fill.add((number_check.line, number_check.column))
        after = (ln.check.line, ln.check.column + 1)
        if after[1] < layout.field("optional_data").end:
            must_fill.add(after)
        no_fill |= {(ln.continuation.line, c) for c in range(ln.continuation.start, ln.continuation.end)}

    cands: dict[Pos, list[tuple[str, float]]] = {}
    for li, line in enumerate(lines):
        for col, ch in enumerate(line):
            pos = (li, col)
            charset = CHARSETS[layout.kind_at(li, col)]
            if pos in must_fill:
                charset = frozenset(FILLER)
            elif pos in no_fill:
                charset = charset - {FILLER}
            elif layout.kind_at(li, col) is FieldKind.CHECK and pos not in filler_ok:
                charset = DIGITS
            if pos == (0, 0):
                charset = frozenset(DOCUMENT_CODE_FIRST[layout.format])
            elif layout.format is MRZFormat.FRA_ID and li == 1 and col < 4:
                charset = DIGITS  # the French card number starts with the issue year and month (YYMM)
            if alternatives is not None:
                cands[pos] = _candidates_from_alternatives(alternatives[li][col], ch, charset, cfg)
            else:
                cands[pos] = _candidates_from_text(layout, lines, pos, charset, cfg)
            if pos == (0, 0) and ch not in charset and all(cost >= cfg.unknown_cost for _, cost in cands[pos]):
                # An unreadable first character: the layout allows only a few, the usual one first.
                order = DOCUMENT_CODE_FIRST[layout.format]
                cands[pos] = [(c, cfg.unknown_cost + 0.3 * order.index(c)) for c in order]

    checked: set[Pos] = set()
    data_positions: set[Pos] = set()
    for c in checks:
        data_positions |= set(_weights(c))
        checked |= set(_weights(c)) | {(c.line, c.column)}
    # A guessed check digit that no other check covers (the composite, or a visa's digits) is merely
    # recomputed from the data: nothing independent confirms it.
    unconfirmable = {pos for pos in checked - data_positions if all(cost >= cfg.unknown_cost for _, cost in cands[pos])}

    chosen: dict[Pos, str] = {}
    verified: set[Pos] = set()
    clear: set[Pos] = set()
    doubtful: set[Pos] = set()
    ambiguous: list[Pos] = []
    cost = 0.0
    legal = {pos for pos, options in cands.items() if lines[pos[0]][pos[1]] in {c for c, _ in options}}
    solutions = _solve_checks(checks, cands, cfg)
    if alternatives is None:
        solutions = [
            None
            if sol is not None
            and sum(1 for p, c in sol.chosen.items() if p in legal and c != lines[p[0]][p[1]]) > cfg.max_unforced
            else sol
            for sol in solutions
        ]
    solved = all(sol is not None and not sol.ambiguous_positions for sol in solutions)
    for sol in solutions:
        if sol is None:
            continue
        if sol.ambiguous_positions:
            ambiguous.extend(sol.ambiguous_positions)
            continue
        chosen.update(sol.chosen)
        verified |= set(sol.chosen)
        cost += sol.cost
        if alternatives is not None:
            doubtful |= _doubtful(sol, lines, checks, cands, cfg)
    # Country codes: the reading must be a known code ("1VA" is LVA, not IVA).
    for field in layout.fields:
        if field.kind is FieldKind.COUNTRY and not any(
            (field.line, c) in checked for c in range(field.start, field.end)
        ):
            chosen.update(_country_reading(field, lines, cands, cfg))
    # Positions no check covers, and checked positions of blocks left unsolved: charset repair only.
    for pos, options in cands.items():
        if pos in chosen:
            continue
        observed = lines[pos[0]][pos[1]]
        top = sorted(options, key=lambda o: o[1])[:2]
        if pos in checked and observed in {c for c, _ in options}:
            continue  # an unsolved check block keeps what was read
        if len(top) > 1 and top[1][1] - top[0][1] < cfg.tie_margin:
            if observed not in {c for c, _ in top}:
                ambiguous.append(pos)
            continue
        chosen[pos] = top[0][0]
        if alternatives is None or pos in legal or pos in checked:
            continue
        if _clear_choice(alternatives[pos[0]][pos[1]], top[0][0], {c for c, _ in options}, cfg):
            clear.add(pos)  # a misfit no check digit reaches, with the recognizer's clear replacement

    new_lines = [list(line) for line in lines]
    corrections: list[Correction] = []
    for (li, col), ch in sorted(chosen.items()):
        original = lines[li][col]
        if ch == original:
            continue
        ok = (li, col) in verified and (li, col) not in unconfirmable
        reason = _reason(layout, lines, (li, col), original, checked=ok, plain=alternatives is None)
        forced = (li, col) not in legal or (
            alternatives is not None and sum(p for c, p in alternatives[li][col] if c == ch) >= cfg.evidence_probability
        )
        corrections.append(
            Correction(
                li, col, original, ch, reason, ok, forced, clear=(li, col) in clear, doubtful=(li, col) in doubtful
            )
        )
        new_lines[li][col] = ch
    findings = [correction_finding(c) for c in corrections]
    if ambiguous:
        spans = tuple(Span(li, col, col + 1) for li, col in sorted(set(ambiguous)))
        findings.append(
            Finding(
                "mrz.repair.ambiguous",
                Severity.ERROR,
                Category.INTEGRITY,
                "The text cannot be repaired with confidence: two readings are equally likely at "
                + ", ".join(s.human() for s in spans[:6])
                + ". The characters there are left as read.",
                STAGE,
                spans,
            )
        )
    return RepairOutcome(
        tuple("".join(chars) for chars in new_lines),
        tuple(corrections),
        tuple(findings),
        bool(ambiguous),
        cost,
        solved,
    )


def _doubtful(
    sol: _Solution,
    lines: tuple[str, ...],
    checks: tuple[CheckSpec, ...],
    cands: dict[Pos, list[tuple[str, float]]],
    cfg: RepairConfig,
) -> set[Pos]:
    """The changes of ``sol`` (one block's reading) that the check digits do not single out: for each changed
    position, the best reading that puts anything else there is solved again; when it costs less than
    :attr:`RepairConfig.doubt_margin` more than ``sol``, only the recognizer's confidence chose between the two."""
    out: set[Pos] = set()
    reach = dataclasses.replace(cfg, max_cost=sol.cost + cfg.doubt_margin)  # the budget is not the question here
    for pos, ch in sol.chosen.items():
        if ch == lines[pos[0]][pos[1]]:
            continue
        without = {**cands, pos: [o for o in cands[pos] if o[0] != ch]}
        if not without[pos]:
            continue
        for other in _solve_checks(checks, without, reach):
            if other is not None and pos in other.chosen and other.cost - sol.cost < cfg.doubt_margin:
                out.add(pos)
    return out


def _clear_choice(alternatives: Sequence[tuple[str, float]], chosen: str, allowed: set[str], cfg: RepairConfig) -> bool:
    """Whether the recognizer's own probabilities (``alternatives`` at one position) make ``chosen`` the clear
    choice among the ``allowed`` characters (:attr:`RepairConfig.clear_ratio`). A character it did not list
    may have had up to the smallest probability it listed."""
    given = sum(p for c, p in alternatives if c == chosen)
    listed = [p for _, p in alternatives]
    rival = max([p for c, p in alternatives if c != chosen and c in allowed] + [min(listed, default=0.0)])
    return given >= cfg.evidence_probability and given >= cfg.clear_ratio * rival


def _country_reading(
    field: FieldSpec, lines: tuple[str, ...], cands: dict[Pos, list[tuple[str, float]]], cfg: RepairConfig
) -> dict[Pos, str]:
    """The cheapest reading of a country field that is a known code; empty when there is none or a tie."""
    positions = [(field.line, c) for c in range(field.start, field.end)]
    if all(lines[li][c] in {ch for ch, _ in cands[(li, c)]} for li, c in positions):
        observed = field.read(lines).rstrip(FILLER)
        if not observed:
            return {}  # read as left empty (some issuers do): the validator reports it; no code is made up
        if FILLER not in observed and countries.status(observed) is not countries.CodeStatus.UNKNOWN:
            return {}  # already a known code
    readings: list[tuple[float, tuple[str, ...]]] = []
    for combo in itertools.product(*(cands[p][:4] for p in positions)):
        code = "".join(ch for ch, _ in combo).rstrip(FILLER)
        if code and FILLER not in code and countries.status(code) is not countries.CodeStatus.UNKNOWN:
            readings.append((sum(cost for _, cost in combo), tuple(ch for ch, _ in combo)))
    top = heapq.nsmallest(2, readings)
    if not top or (len(top) > 1 and top[1][0] - top[0][0] < cfg.tie_margin):
        return {}
    return dict(zip(positions, top[0][1], strict=True))


def _reason(
    layout: Layout, lines: tuple[str, ...], pos: Pos, original: str, *, checked: bool, plain: bool = False
) -> str:
    """Why a character was changed, in words (``plain``: without recognizer probabilities)."""
    kind = layout.kind_at(*pos)
    allowed = CHARSETS[kind]
    if checked:
        return "check-digit repair"
    if original not in allowed:
        letters = ambiguous_digits().get(original)
        if plain and kind is FieldKind.NAME and letters:
            return f"not allowed in a name field; of {', '.join(letters)} the likeliest between the letters beside it"
        return f"not allowed in a {kind.value} field"
    if _in_trailing_filler(layout, lines, pos):
        return "letter inside the name's trailing filler"
    return "most likely reading"


def correction_finding(c: Correction) -> Finding:
    """The finding that reports one correction.

    Info when the check digits confirm a change that had to be made (the character read was not
    allowed there, or a recognizer gave the new character at least
    :attr:`RepairConfig.evidence_probability`), or when a character not allowed where no check digit
    reaches was replaced by the recognizer's clear choice (:attr:`Correction.clear`), unless another
    reading satisfies the check digits nearly as well (:attr:`Correction.doubtful`); a warning otherwise:
    a legal character changed only to satisfy the check digits may hide a genuinely wrong digit, or an
    altered one, an unclear choice of letter in a name may be the wrong one, and of two readings the check
    digits both accept the recognizer may have preferred the wrong one.
    """
    span = Span(c.line, c.column, c.column + 1)
    if c.doubtful:
        how = (
            "another reading satisfies the check digits nearly as well, and only the recognizer's confidence "
            "chose between them; compare with the document"
        )
    elif c.verified and c.forced:
        how = "confirmed by the check digits"
    elif c.verified:
        how = "a legal character changed to satisfy the check digits; compare with the document"
    elif c.clear:
        how = "the recognizer's clear choice of the characters allowed there; no check digit covers it"
    else:
        how = "not confirmed by a check digit"
    return Finding(
        "mrz.repair.corrected",
        Severity.INFO if ((c.verified and c.forced) or c.clear) and not c.doubtful else Severity.WARNING,
        Category.QUALITY,
        f"Read '{c.original}' at {span.human()}, corrected to '{c.corrected}' ({c.reason}; {how}).",
        STAGE,
        (span,),
        (
            ("forced", c.forced),
            ("from", c.original),
            ("reason", c.reason),
            ("to", c.corrected),
            ("verified", c.verified),
        ),
    )


def fits_shape(alternatives: Alternatives, lines: Sequence[str]) -> bool:
    """Whether ``alternatives`` has one entry per character of every line of ``lines``."""
    return len(alternatives) == len(lines) and all(
        len(a) == len(line) for a, line in zip(alternatives, lines, strict=True)
    )


def check_alternative_values(alternatives: Alternatives) -> None:
    """Raises :class:`ValueError` unless every alternative is one character with a probability in 0–1 (a NaN
    from a recognizer would turn every comparison into a "correction")."""
    try:
        for line in alternatives:
            for cell in line:
                for char, p in cell:
                    given: object = p  # a recognizer's number may be a NumPy one, or not a number at all
                    real = isinstance(given, numbers.Real) and not isinstance(given, bool)
                    if not (isinstance(char, str) and len(char) == 1 and real and 0.0 <= float(p) <= 1.0):
                        raise ValueError(
                            f"alternatives must be (character, probability in 0–1) pairs, got {(char, p)!r}"
                        )
    except TypeError:
        raise ValueError("alternatives must be lines of cells of (character, probability) pairs") from None


def _check_alternatives_shape(alternatives: Alternatives, lines: tuple[str, ...]) -> None:
    if not fits_shape(alternatives, lines):
        raise ValueError("alternatives must have one entry per character of every line")
