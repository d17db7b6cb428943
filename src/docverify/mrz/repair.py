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

import heapq
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from docverify.mrz import checkdigit
from docverify.mrz.parse import parse
from docverify.mrz.spec import ALPHABET, CHARSETS, DIGITS, FILLER, CheckSpec, FieldKind, Layout
from docverify.results import Category, Correction, Finding, Severity, Span

STAGE = "mrz.repair"

Alternatives = Sequence[Sequence[Sequence[tuple[str, float]]]]
"""Per line, per column: candidate characters with probabilities (need not sum to 1)."""

Pos = tuple[int, int]

# (a, b, cost): a read as b and b read as a. Cost ≈ -ln(relative likelihood); 1.0 is a classic confusion.
_CONFUSION_PAIRS: tuple[tuple[str, str, float], ...] = (
    ("O", "0", 1.0),
    ("Q", "0", 1.5),
    ("D", "0", 1.5),
    ("U", "0", 2.5),
    ("C", "0", 2.5),
    ("I", "1", 1.0),
    ("L", "1", 1.5),
    ("T", "1", 2.0),
    ("J", "1", 2.5),
    ("B", "8", 1.0),
    ("S", "5", 1.0),
    ("Z", "2", 1.0),
    ("G", "6", 1.0),
    ("A", "4", 1.5),
    ("T", "7", 2.0),
    ("E", "3", 2.5),
    ("K", FILLER, 1.0),
    ("X", FILLER, 1.5),
    ("C", FILLER, 2.0),
    ("L", FILLER, 2.5),
)

CONFUSIONS: dict[str, tuple[tuple[str, float], ...]] = {}
for _a, _b, _cost in _CONFUSION_PAIRS:
    CONFUSIONS[_a] = (*CONFUSIONS.get(_a, ()), (_b, _cost))
    CONFUSIONS[_b] = (*CONFUSIONS.get(_b, ()), (_a, _cost))

# Letters from other scripts that look like MRZ letters, mapped one to one.
_HOMOGLYPHS = dict(
    zip(
        "АВЕКМНОРСТХУІЈЅԁАВΕΖΗΙΚΜΝΟΡΤΥΧ«‹〈＜≤",
        "ABEKMHOPCTXYIJSDABEZHIKMNOPTYX<<<<<",
        strict=True,
    )
)


@dataclass(frozen=True, slots=True)
class RepairConfig:
    """Knobs of the repair. Costs are negative log-likelihoods."""

    max_cost: float = 9.0
    """Readings costlier than this are not accepted (too many changes to be a repair)."""
    tie_margin: float = 1e-6
    """Readings whose costs differ by less than this are equally likely."""
    unknown_cost: float = 4.0
    """Cost of each guess at a character that is illegal in its field and has no confusable."""
    min_probability: float = 1e-4
    """Recognizer alternatives below this probability are ignored."""


@dataclass(frozen=True, slots=True)
class RepairOutcome:
    """The repaired lines and what was done to them."""

    lines: tuple[str, ...]
    corrections: tuple[Correction, ...]
    findings: tuple[Finding, ...]
    ambiguous: bool
    cost: float


# --- text normalisation ---------------------------------------------------------------------------


def normalize_characters(lines: Sequence[str]) -> tuple[tuple[str, ...], tuple[Correction, ...]]:
    """Map lower case, full-width forms and look-alike letters of other scripts to the MRZ alphabet,
    one character for one, so positions stay put. Each change is returned as a correction."""
    out: list[str] = []
    corrections: list[Correction] = []
    if all(set(line) <= ALPHABET for line in lines):
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
            corrections.append(Correction(li, col, ch, mapped, reason, verified=False))
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
    if ch in charset:
        cands = [(ch, 0.0)]
        if _in_trailing_filler(layout, lines, pos) and FILLER in charset:
            # After a name's '<<<' only filler may follow: a letter there is a misread '<'.
            return [(FILLER, 0.0), (ch, 2.0)] if ch in dict(CONFUSIONS.get(FILLER, ())) else cands
        cands.extend((alt, cost) for alt, cost in CONFUSIONS.get(ch, ()) if alt in charset)
        return cands
    alts = [(alt, cost) for alt, cost in CONFUSIONS.get(ch, ()) if alt in charset]
    if alts:
        return alts
    return [(c, config.unknown_cost) for c in sorted(charset)]


def _in_trailing_filler(layout: Layout, lines: tuple[str, ...], pos: Pos) -> bool:
    li, col = pos
    if layout.kind_at(li, col) is not FieldKind.NAME:
        return False
    field = next(f for f in layout.fields if f.line == li and f.start <= col < f.end)
    text = lines[li][field.start : col]
    # Trailing filler starts at '<<<', or at a second '<<' after the primary/secondary separator.
    first = text.find("<<")
    return text.find("<<<", 1) >= 0 or (first >= 0 and text.find("<<", first + 2) >= 0)


def _candidates_from_alternatives(
    alts: Sequence[tuple[str, float]], observed: str, charset: frozenset[str], config: RepairConfig
) -> list[tuple[str, float]]:
    best: dict[str, float] = {}
    for ch, p in alts:
        if ch in charset and p >= config.min_probability:
            cost = -math.log(min(p, 1.0))
            if cost < best.get(ch, math.inf):
                best[ch] = cost
    if not best:
        return (
            [(observed, 0.0)] if observed in charset else [(c, config.unknown_cost) for c in sorted(charset)]
        )
    return sorted(best.items(), key=lambda kv: kv[1])


# --- search ---------------------------------------------------------------------------------------

Entry = tuple[float, tuple[tuple[Pos, str], ...]]
"""A partial reading: its cost and the characters chosen, as (position, char) pairs."""

_K = 2  # readings kept per state: the best and the runner-up
_Key = TypeVar("_Key", int, tuple[int, int, bool])


def _push(table: dict[_Key, list[Entry]], key: _Key, entry: Entry) -> None:
    bucket = table.setdefault(key, [])
    bucket.append(entry)
    if len(bucket) > _K:
        bucket.sort(key=lambda e: e[0])
        del bucket[_K:]


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
    checks = parse(layout, lines).checks
    filler_ok = {(c.line, c.column) for c in checks if c.filler_allowed}
    long_cd = {(c.line, c.column) for c in layout.checks} - {(c.line, c.column) for c in checks}

    cands: dict[Pos, list[tuple[str, float]]] = {}
    for li, line in enumerate(lines):
        for col, ch in enumerate(line):
            pos = (li, col)
            charset = CHARSETS[layout.kind_at(li, col)]
            if pos in long_cd:
                charset = frozenset(FILLER)  # the '<' that marks a long document number stays
            elif layout.kind_at(li, col) is FieldKind.CHECK and pos not in filler_ok:
                charset = DIGITS
            if alternatives is not None:
                cands[pos] = _candidates_from_alternatives(alternatives[li][col], ch, charset, cfg)
            else:
                cands[pos] = _candidates_from_text(layout, lines, pos, charset, cfg)

    checked: set[Pos] = set()
    for c in checks:
        checked |= set(_weights(c)) | {(c.line, c.column)}

    chosen: dict[Pos, str] = {}
    verified: set[Pos] = set()
    ambiguous: list[Pos] = []
    cost = 0.0
    for sol in _solve_checks(checks, cands, cfg):
        if sol is None:
            continue
        if sol.ambiguous_positions:
            ambiguous.extend(sol.ambiguous_positions)
            continue
        chosen.update(sol.chosen)
        verified |= set(sol.chosen)
        cost += sol.cost
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

    new_lines = [list(line) for line in lines]
    corrections: list[Correction] = []
    for (li, col), ch in sorted(chosen.items()):
        original = lines[li][col]
        if ch == original:
            continue
        ok = (li, col) in verified
        reason = _reason(layout, lines, (li, col), original, checked=ok)
        corrections.append(Correction(li, col, original, ch, reason, ok))
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
    )


def _reason(layout: Layout, lines: tuple[str, ...], pos: Pos, original: str, *, checked: bool) -> str:
    kind = layout.kind_at(*pos)
    allowed = CHARSETS[kind]
    if checked:
        return "check-digit repair"
    if original not in allowed:
        return f"not allowed in a {kind.value} field"
    if _in_trailing_filler(layout, lines, pos):
        return "letter inside the name's trailing filler"
    return "most likely reading"


def correction_finding(c: Correction) -> Finding:
    """The finding that reports one correction: info when check digits confirm it, else a warning."""
    span = Span(c.line, c.column, c.column + 1)
    how = "confirmed by the check digits" if c.verified else "not confirmed by a check digit"
    return Finding(
        "mrz.repair.corrected",
        Severity.INFO if c.verified else Severity.WARNING,
        Category.QUALITY,
        f"Read '{c.original}' at {span.human()}, corrected to '{c.corrected}' ({c.reason}; {how}).",
        STAGE,
        (span,),
        (("from", c.original), ("reason", c.reason), ("to", c.corrected), ("verified", c.verified)),
    )


def _check_alternatives_shape(alternatives: Alternatives, lines: tuple[str, ...]) -> None:
    if len(alternatives) != len(lines) or any(
        len(a) != len(line) for a, line in zip(alternatives, lines, strict=True)
    ):
        raise ValueError("alternatives must have one entry per character of every line")
