"""The visual-zone line reader's pure parts: labels, line finding, CTC scores, and the field matching built
on them (:func:`docverify.viz.compare_lines`)."""

from __future__ import annotations

import datetime as dt
import itertools
import time

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docverify import read_mrz
from docverify.viz import (
    NEIGHBOUR_NATS,
    SLIP_NATS,
    compare_lines,
    compared,
    date_targets,
    field_spans,
    findings_for_lines,
    name_targets,
    number_targets,
    row_runs,
    substring_edits,
    zone_matches,
)
from docverify.viz_reader import (
    BLANK,
    HEIGHT,
    LABELS,
    ReadLine,
    TextLine,
    best_score,
    crop_line,
    find_lines,
    forced_score,
    greedy_text,
    label_text,
    read_lines,
)

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


def test_labels_fold_case_accents_and_separators() -> None:
    assert label_text("Anne-Marie O'Neil") == "ANNE<MARIE<O<NEIL"
    assert label_text("12 AUG/AOÛT 74") == "12<AUG<AOUT<74"
    assert label_text(" Müller ") == "MULLER"
    assert label_text("Straße") == "STRASSE"
    assert label_text("...") == ""


def _log_probs(text: str, frames_per_char: int = 3, sure: float = 0.97, seed: int = 0) -> np.ndarray:
    """T × 38 log-probabilities whose best path reads ``text`` (blanks between characters)."""
    rng = np.random.default_rng(seed)
    rows = []
    for ch in text:
        for k in range(frames_per_char):
            cls = LABELS.index(ch) if k == 1 else BLANK
            p = rng.dirichlet(np.ones(BLANK + 1)) * (1 - sure)
            p[cls] += sure
            rows.append(p)
    return np.log(np.asarray(rows, dtype=np.float64)).astype(np.float32)


def test_forced_score_of_the_best_reading_is_the_best_score() -> None:
    lp = _log_probs("12<AUG<1974")
    assert greedy_text(lp) == "12<AUG<1974"
    assert forced_score(lp, "12<AUG<1974") == pytest.approx(best_score(lp), abs=1e-6)
    # another digit where the model is sure costs about log(0.97 / 0.0x) nats or more
    assert best_score(lp) - forced_score(lp, "12<AUG<1975") > 3.0
    assert forced_score(lp, "12<AUG<1974<EXTRA<TEXT<THAT<DOES<NOT<FIT") == float("-inf")
    # a round zero read as the letter O: a difference, unless look-alikes are allowed
    lo = _log_probs("L8O5")
    assert best_score(lo) - forced_score(lo, "L805") > 3.0
    assert forced_score(lo, "L805", alike=True) == pytest.approx(best_score(lo), abs=1e-6)


def test_forced_score_edges_and_look_alikes() -> None:
    lp = _log_probs("<<ERIKSSON<<")  # separators read at both ends, as greedy_text strips them
    assert greedy_text(lp) == "ERIKSSON"
    assert forced_score(lp, "ERIKSSON") == pytest.approx(best_score(lp), abs=1e-6)
    # look-alikes may stand for each other, but two of them never share one printed glyph
    wil = _log_probs("WILIAMSON", sure=1 - 1e-8)
    assert best_score(wil) - forced_score(wil, "WILLIAMSON", alike=True) > 15
    assert forced_score(np.zeros((0, BLANK + 1), np.float32), "A") == float("-inf")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<", min_size=1, max_size=12), st.integers(0, 99))
def test_forced_score_never_beats_the_best_path(text: str, seed: int) -> None:
    lp = _log_probs(text, seed=seed, sure=0.5)
    assert forced_score(lp, text) <= best_score(lp) + 1e-6


def test_substring_edits() -> None:
    assert substring_edits("ANNA", "XXANNAYY") == (0, 2, 6)
    assert substring_edits("ANNA", "XXANMAYY") == (1, 2, 6)
    assert substring_edits("40716777", "4O426877")[0] == pytest.approx(3.3)  # O for 0 is cheap
    edits, a, b = substring_edits("ERIKSSON", "ERIKSON")
    assert edits == 1 and (a, b) == (0, 7)
    assert substring_edits("", "ABC")[0] == 0


def test_name_targets_undo_transliterations() -> None:
    assert name_targets("MUELLER ANNE") == ["MUELLER<ANNE", "MULLER<ANNE"]
    assert name_targets("SMITH") == ["SMITH"]
    # ICAO9303.md: "the VIZ/MRZ comparison must accept any of the allowed spellings" — in every combination
    # (ØSTERGÅRD written OESTERGAARD in the MRZ, read OSTERGARD from the page: accents dropped)
    assert set(name_targets("OESTERGAARD")) == {"OESTERGAARD", "OSTERGAARD", "OESTERGARD", "OSTERGARD"}
    assert "SCHONBACHLER" in name_targets("SCHOENBAECHLER")
    many = name_targets("AEOE UEAA OEAE")  # beyond MAX_UNDONE: each kind, and all at once
    assert many[0] == "AEOE<UEAA<OEAE" and "AO<UA<OA" in many and len(many) <= 6


def _texts(text: str, date: dt.date) -> list[str]:
    return [wanted for wanted, _ in date_targets(text, date)]


def test_date_targets_keep_the_printed_format() -> None:
    d = dt.date(1974, 8, 12)
    assert date_targets("12<AUG<1975", d)[0] == ("12<AUG<1974", (12, 8, 75))
    assert "12<AUG1974" in _texts("12<AUG1975", d)  # the separators as printed
    assert _texts("12<JULI<1974", dt.date(1974, 6, 12))[0] == "12<JUNI<1974"  # the month in the print's language
    assert "12<AOUT<AUG<74" in _texts("03<AOUT<AUG<81", d)
    assert {"XX<12<08<1974", "XX<08<12<1974"} <= set(_texts("XX<13<07<1975", d))
    assert "01<MAR<2033" in _texts("O<MAR<2033", dt.date(2033, 3, 1))  # a digit the reader lost
    assert _texts("1975<07<13", d)[0] == "1974<08<12"
    assert _texts("ERIKSSON<ANNA", d) == []  # letters are not a date
    assert _texts("DA<MIRA<SILO", d) == []
    # a bilingual month whose slash was read as a letter
    assert date_targets("15<APRJAVR<12", dt.date(2012, 4, 15))[0] == ("15<APR<AVR<12", (15, 4, 12))
    assert date_targets("2O<JUN<19B1", d)[0][1] == (20, 6, 81)  # digit-like letters read as digits


_ROWS = itertools.count()


def _line(text: str, box: tuple[int, int, int, int] | None = None, sure: float = 1 - 1e-8) -> ReadLine:
    """A read line of ``text``; without ``box``, on a printed row of its own (below the last one made)."""
    if box is None:
        y = 30 * next(_ROWS)
        box = (0, y, 100, y + 20)
    lp = _log_probs(text, sure=sure)
    return ReadLine(box, lp, greedy_text(lp))


def test_compare_lines_finds_agreeing_fields_and_flags_a_confident_difference() -> None:
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    page = [_line("ERIKSSON"), _line("ANNA<MARIA"), _line("L898902C3"), _line("12<AUG<1974"), _line("15<APR<2012")]
    matches = compare_lines(mrz, page)
    assert all(m.found for m in matches.values()), matches
    changed = [*page[:3], _line("12<AUG<1975", box=(1, 2, 3, 4)), page[4]]
    m = compare_lines(mrz, changed)["birth_date"]
    assert m.found is False and m.box == (1, 2, 3, 4) and m.nats > SLIP_NATS
    # an unsure reading of the same change is an OCR slip, not evidence
    unsure = [*page[:3], _line("12<AUG<1975", sure=0.3), page[4]]
    assert compare_lines(mrz, unsure)["birth_date"].found is True
    # a name one letter apart, read with confidence, is a different name
    assert compare_lines(mrz, [_line("ERIKSSEN"), *page[1:]])["surname"].found is False
    # the birth date unread: a date of issue (10 years before expiry) is no evidence of another birth date
    issued = [*page[:3], _line("15<APR<2002"), page[4]]
    assert compare_lines(mrz, issued)["birth_date"].found is None
    # nor is a garbled run
    assert compare_lines(mrz, [*page[:3], _line("1Z<A<I9<XY"), page[4]])["birth_date"].found is not False
    # a word of the given names replaced: the other word anchors the line, which then contradicts
    assert compare_lines(mrz, [page[0], _line("ANNA<KOVELO"), *page[2:]])["given_names"].found is False
    # nothing like the name: cannot be told
    assert compare_lines(mrz, [_line("PASSPORT"), *page[1:]])["surname"].found is None


def test_the_other_mrz_date_misread_in_one_part_is_no_evidence() -> None:
    """The birth date's line unread, the expiry date ``15 APR 2012`` read with its month wrong (``15 AUG 2012``,
    sharing the birth date's month): one part away from the MRZ's other date, it is that date misread, not
    another birth date; a birth date printed with another year still contradicts."""
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    names = [_line("ERIKSSON"), _line("ANNA<MARIA"), _line("L898902C3")]
    assert compare_lines(mrz, [*names, _line("15<AUG<2012")])["birth_date"].found is None
    assert compare_lines(mrz, [*names, _line("12<AUG<1975"), _line("15<APR<2012")])["birth_date"].found is False


def _torn(text: str, rivals: dict[int, str]) -> ReadLine:
    """A line read as ``text`` whose characters at ``rivals``' positions were nearly read as the rival."""
    lp = np.exp(_log_probs(text).astype(np.float64))
    for i, ch in rivals.items():
        p = np.full(BLANK + 1, 0.05 / (BLANK - 1))
        p[LABELS.index(text[i])], p[LABELS.index(ch)] = 0.5, 0.45
        lp[3 * i + 1] = p
    return ReadLine(_line(text).box, np.log(lp).astype(np.float32), text)


def test_the_line_that_prints_one_mrz_date_is_no_evidence_against_the_other() -> None:
    """The birth date's line unread; the expiry date ``15 APR 2012`` read ``12 APR 2019`` but with ``15`` and
    ``2012`` nearly as likely: that line is where the expiry date is printed (an OCR slip), so its day, the
    birth date's, is no evidence of another birth date. A birth date printed with another year still
    contradicts."""
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    names = [_line("ERIKSSON"), _line("ANNA<MARIA"), _line("L898902C3")]
    expiry = _torn("12<APR<2019", {1: "5", 10: "2"})
    matches = compare_lines(mrz, [*names, expiry])
    assert matches["expiry_date"].found is True and matches["expiry_date"].nats > 0
    assert matches["birth_date"].found is None
    other = compare_lines(mrz, [*names, _line("12<AUG<1975"), expiry])
    assert other["birth_date"].found is False and other["expiry_date"].found is True


def test_a_date_under_its_label_contradicts_even_when_every_part_changed() -> None:
    """``03 MAR 1981`` shares no part with the MRZ's birth date ``12 AUG 1974``: unlabelled, it may be another
    date the page carries; under a label reading ``DATE<OF<BIRTH`` (or the French ``NAISSANCE``, one letter
    misread) it is the birth date's place and contradicts it. A label naming the expiry date does not make it
    the birth date's."""
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    rest = [_line("ERIKSSON"), _line("ANNA<MARIA"), _line("L898902C3"), _line("15<APR<2012")]
    date = _line("03<MAR<1981", box=(300, 520, 460, 540))
    assert compare_lines(mrz, [*rest, date])["birth_date"].found is None
    for label in ("DATE<OF<BIRTH", "DATE<DE<NAISSANGE"):
        labelled = [*rest, _line(label, box=(302, 500, 420, 512)), date]
        assert compare_lines(mrz, labelled)["birth_date"].found is False, label
    elsewhere = [*rest, _line("DATE<OF<BIRTH", box=(40, 500, 160, 512)), date]  # another column's label
    assert compare_lines(mrz, elsewhere)["birth_date"].found is None
    expiry = [*rest, _line("DATE<OF<EXPIRY", box=(302, 500, 420, 512)), date]
    assert compare_lines(mrz, expiry)["birth_date"].found is None


def test_a_long_label_split_by_the_line_finder_still_labels_its_date() -> None:
    """A bilingual label is longer than its value and may be read in pieces: ``DATE<OF`` over the value's start,
    ``NAISSANCE`` starting past two thirds of the value's width. The piece is still the value's label, so a
    birth date sharing nothing with the MRZ's contradicts it; a label piece beyond the value's reach does not."""
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    rest = [_line("ERIKSSON"), _line("ANNA<MARIA"), _line("L898902C3"), _line("15<APR<2012")]
    date = _line("03<MAR<1981", box=(300, 520, 460, 540))
    start = _line("DATE<OF", box=(302, 500, 360, 512))
    for x, expected in ((470, False), (560, None)):
        piece = _line("NAISSANCE", box=(x, 500, x + 70, 512))
        assert compare_lines(mrz, [*rest, start, piece, date])["birth_date"].found is expected, x


def test_a_month_name_read_with_a_digit_for_a_letter_is_a_month() -> None:
    """``0CT`` (a zero for the O) and ``N0V`` are October and November: the date is read, so a birth date
    changed in its month only (``12 OCT 1974`` for the MRZ's ``12 AUG 1974``) contradicts, and ``AU8`` is found as
    August; a month token of digits alone (``12<000<1974``) is no month name."""
    assert date_targets("22<0CT<1983", dt.date(1983, 10, 22))[0][1] == (22, 10, 83)
    assert date_targets("1<N0V<2031", dt.date(2031, 11, 1))[0][1] == (1, 11, 31)
    assert all(read is None for _, read in date_targets("12<000<1974", dt.date(1974, 8, 12)))
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    rest = [_line("ERIKSSON"), _line("ANNA<MARIA"), _line("L898902C3"), _line("15<APR<2012")]
    assert compare_lines(mrz, [*rest, _line("12<0CT<1974")])["birth_date"].found is False
    assert compare_lines(mrz, [*rest, _line("12<AU8<1974")])["birth_date"].found is True  # AUB: August, one letter off


def test_a_name_replaced_entirely_is_contradicted_beside_the_other_name() -> None:
    """Labels unread: ``PETROV`` printed just above the given names, in their column, is where ICAO 9303 puts
    the surname, and contradicts ``ERIKSSON``; so does ``KOVELO<IVA`` just below the surname for the given
    names ``ANNA MARIA``. A run elsewhere (another column, far below, a label-sized line) is not the name's
    place, a label is no name, and a line read with digits or the name cut short by its line's end
    (``ANNA<MA``) does not contradict."""
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    rest = [_line("L898902C3", (300, 300, 400, 320)), _line("12<AUG<1974", (300, 340, 420, 360))]
    given = _line("ANNA<MARIA", box=(300, 100, 420, 120))
    for box, expected in (
        ((302, 40, 380, 60), False),  # the value row above, a label row between them
        ((302, 75, 380, 85), None),  # label-sized
        ((520, 40, 600, 60), None),  # another column
        ((302, 10, 380, 30), None),  # too far above
        ((302, 140, 380, 160), None),  # below the given names
    ):
        match = compare_lines(mrz, [*rest, given, _line("PETROV", box=box)])["surname"]
        assert match.found is expected, box
        if expected is False:
            assert match.box == box
    assert compare_lines(mrz, [*rest, given, _line("SURNAME<NOM", (302, 40, 380, 60))])["surname"].found is None
    # read with a digit, the line is misread (a name holds none): no evidence
    assert compare_lines(mrz, [*rest, given, _line("PE7ROV4", (302, 40, 380, 60))])["surname"].found is None
    surname = _line("ERIKSSON", box=(300, 40, 400, 60))
    assert compare_lines(mrz, [*rest, surname, _line("KOVELO<IVA", (301, 100, 420, 120))])["given_names"].found is False
    assert compare_lines(mrz, [*rest, surname, _line("ANNA<MA", (301, 100, 380, 120))])["given_names"].found is None
    # the name as printed, read right, beside the other: found
    assert compare_lines(mrz, [*rest, surname, given])["given_names"].found is True
    # the surname misread in five places with some doubt (about 35 nats): at its place alone, not told
    misread = _line("FPIKZBOM", box=(302, 40, 380, 60), sure=0.97)
    match = compare_lines(mrz, [*rest, given, misread])["surname"]
    assert match.found is None and SLIP_NATS < match.nats < NEIGHBOUR_NATS, match


def test_a_name_replaced_entirely_is_contradicted_under_its_label() -> None:
    """``PETROV`` is nothing like ``ERIKSSON``, so on its own it cannot be told apart from any other text; under
    a label reading ``SURNAME<NOM`` it is what the page prints as the surname and contradicts the MRZ. A label
    naming the surname and the given names together, or the given names alone, says nothing of the surname."""
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    rest = [_line("ANNA<MARIA"), _line("L898902C3"), _line("12<AUG<1974"), _line("15<APR<2012")]
    run = _line("PETROV", box=(300, 520, 400, 540))
    assert compare_lines(mrz, [*rest, run])["surname"].found is None
    label = _line("SURNAME<NOM", box=(302, 500, 400, 512))
    match = compare_lines(mrz, [*rest, label, run])["surname"]
    assert match.found is False and match.box == run.box
    # read with digits, the run under the label is misread (a name holds none): no evidence
    garbled = _line("EH0KS5", box=(300, 520, 400, 540))
    assert compare_lines(mrz, [*rest, label, garbled])["surname"].found is None
    for other in ("SURNAME<GIVEN<NAMES", "GIVEN<NAMES<PRENOMS", "DOCUMENT<NO", "NOM<D<USAGE<USUAL<NAME"):
        labelled = [*rest, _line(other, box=(302, 500, 400, 512)), run]
        assert compare_lines(mrz, labelled)["surname"].found is None, other
    # a visa's number of entries (French "nombre d'entrees") is not a given names' label
    label, multiple = _line("NOMBRE<D<ENTREES", box=(302, 500, 420, 512)), _line("MULTIPLE", box=(300, 520, 420, 540))
    entries = [_line("ERIKSSON"), *rest[1:], label, multiple]
    assert compare_lines(mrz, entries)["given_names"].found is None


def test_a_name_cut_short_by_the_line_is_not_contradicted() -> None:
    """``ANNA<MAR`` (the line finder stopped before ``IA``) and ``NA<MARIA`` (it missed ``AN``) are the given
    names cut short, not other names; ``ANNA<KOVELO`` (a word replaced) still contradicts them."""
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    rest = [_line("ERIKSSON"), _line("L898902C3"), _line("12<AUG<1974"), _line("15<APR<2012")]
    for cut in ("ANNA<MAR", "NA<MARIA"):
        assert compare_lines(mrz, [*rest, _line(cut)])["given_names"].found is None, cut
    assert compare_lines(mrz, [*rest, _line("ANNA<KOVELO")])["given_names"].found is False
    assert compare_lines(mrz, [*rest, _line("ANNA<MARIE")])["given_names"].found is False


def test_two_contradicted_fields_need_only_two_found() -> None:
    """A forger who changed two fields leaves three to find; two agreeing fields and two confident
    contradictions are compared, one contradiction needs three agreeing fields."""
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    spans = field_spans(mrz.format)
    eye = np.eye(3)
    page = [_line("ERIKSSON"), _line("ANNA<MARIA"), _line("L898902C3"), _line("12<AUG<1974"), _line("15<APR<2012")]
    two_changed = [page[0], page[2], _line("12<AUG<1975"), _line("15<APR<2013")]  # given names not printed
    matches = compare_lines(mrz, two_changed)
    assert [k for k, m in matches.items() if m.found] == ["surname", "document_number"]
    assert compared(matches) is True
    codes = sorted(f.code for f in findings_for_lines(matches, spans, eye))
    assert codes == ["viz.mismatch.birth_date", "viz.mismatch.expiry_date"]
    one_changed = [page[0], page[2], _line("12<AUG<1975"), page[4]]  # three found, one contradicted
    assert compared(compare_lines(mrz, one_changed)) is True
    few = [page[0], page[2], _line("12<AUG<1975")]  # two found, one contradicted: too little to compare
    matches = compare_lines(mrz, few)
    assert compared(matches) is None
    assert [f.code for f in findings_for_lines(matches, spans, eye)] == ["viz.not_compared"]
    assert compared(compare_lines(mrz, page)) is False


def test_a_date_split_into_runs_is_read_as_one_row() -> None:
    """The line finder may split a date printed with wide spacing (``26``, ``AUG``, ``2032``): runs of one
    row are joined for the dates, so the date is found, or contradicted when another is printed."""
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    names = [
        _line("ERIKSSON", (0, 0, 80, 20)),
        _line("ANNA<MARIA", (0, 40, 100, 60)),
        _line("L898902C3", (0, 80, 90, 100)),
    ]

    def split(day: str, month: str, year: str, y: int) -> list[ReadLine]:
        return [
            _line(day, (0, y, 20, y + 20)),
            _line(month, (30, y + 1, 60, y + 21)),
            _line(year, (70, y, 110, y + 20)),
        ]

    runs = split("12", "AUG", "1974", 120)
    assert [r.text for r in row_runs(runs)] == ["12<AUG", "12<AUG<1974", "AUG<1974"]
    page = [*names, *runs, *split("15", "APR", "2012", 160)]
    matches = compare_lines(mrz, page)
    assert matches["birth_date"].found is True and matches["expiry_date"].found is True
    changed = compare_lines(mrz, [*names, *split("12", "AUG", "1975", 120), *split("15", "APR", "2012", 160)])
    assert changed["birth_date"].found is False and changed["birth_date"].box == (0, 120, 110, 141)
    # runs of different rows, or far apart on one row, are not joined
    assert row_runs([_line("12", (0, 0, 20, 20)), _line("AUG", (30, 30, 60, 50))]) == []
    assert row_runs([_line("12", (0, 0, 20, 20)), _line("AUG", (60, 0, 90, 20))]) == []


def test_a_number_printed_with_a_space_after_its_prefix_is_found() -> None:
    """Issuers often set a number's letters apart from its digits (``PL 0000000``): each such split is a target."""
    assert number_targets("PL0000000") == ["PL0000000", "PL<0000000"]
    assert number_targets("L898902C3") == ["L898902C3", "L<898902C3", "L898902<C3", "L898902C<3"]
    assert number_targets("123456") == ["123456"]
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    spaced = [_line("ERIKSSON"), _line("ANNA<MARIA"), _line("L<898902C3"), _line("12<AUG<1974")]
    assert compare_lines(mrz, spaced)["document_number"].found is True


def test_light_print_on_a_dark_band_is_read_before_a_number_counts_as_contradicted() -> None:
    """A page whose number is printed light on a dark band, with another number (a passport number on a visa)
    in dark print: the dark print alone contradicts the MRZ's number; read on the negative page too, the band
    shows it. A date is not looked for there: only names and numbers (the negative page's noise can spell a
    date), and the band cannot make a field contradicted that was not."""
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    rows = ["ERIKSSON", "ANNA MARIA", "12 AUG 1974", "15 APR 2012", "L898912C3"]
    page = _page_with([*rows, ""])
    assert compare_lines(mrz, read_lines(page, find_lines(page)))["document_number"].found is False
    assert zone_matches(page, mrz)["document_number"].found is False  # nothing light on dark to find
    cv2.rectangle(page, (10, 40 * 5 + 12), (300, 40 * 6 + 12), (60,), -1)
    cv2.putText(page, "L 898902C3", (20, 40 + 40 * 5), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (240,), 2)
    matches = zone_matches(page, mrz)
    assert matches["document_number"].found is True
    assert all(m.found for m in matches.values()), matches


def test_a_short_name_is_not_looked_for_on_the_negative_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """The surname ``LI`` under its label reads ``XU``: contradicted. The negative page's noise (gaps between
    strokes read as strokes) spells two- and three-letter runs, so ``LI`` found there is no evidence; a name of
    four letters or more is looked for there as before."""
    rest = [_line("ANNA<MARIA"), _line("L898902C3"), _line("12<AUG<1974"), _line("15<APR<2012")]
    label = _line("SURNAME<NOM", box=(302, 500, 400, 512))
    for surname, printed, rescued in (("LI", "XU", False), ("LIND", "XUAN", True)):
        mrz = read_mrz([f"P<UTO{surname}<<ANNA<MARIA".ljust(44, "<"), TD3[1]], reference_date=dt.date(2010, 1, 1))
        dark = [*rest, label, _line(printed, box=(300, 520, 400, 540))]
        noise = [_line(surname, box=(600, 40, 640, 60))]
        monkeypatch.setattr("docverify.viz.find_lines", lambda page: [])
        read = lambda page, found, d=dark, n=noise: d if page[0, 0] > 128 else n  # noqa: E731 - the negative is dark
        monkeypatch.setattr("docverify.viz.read_lines", read)
        page = np.full((10, 10), 200, np.uint8)
        assert compare_lines(mrz, dark)["surname"].found is False, surname
        assert zone_matches(page, mrz)["surname"].found is rescued, surname


def _page_with(text_rows: list[str]) -> np.ndarray:
    page = np.full((40 * len(text_rows) + 40, 400), 235, np.uint8)
    for i, t in enumerate(text_rows):
        cv2.putText(page, t, (20, 40 + 40 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (20,), 2)
    return page


def test_find_lines_and_crops() -> None:
    page = _page_with(["ERIKSSON ANNA", "12 AUG 1974", "L898902C3"])
    lines = find_lines(page)
    assert len(lines) == 3
    assert [t.box[1] for t in lines] == sorted(t.box[1] for t in lines)
    assert all(15 <= t.height <= 30 for t in lines)
    crop = crop_line(page, lines[0].box)
    assert crop.shape[0] == HEIGHT and crop.dtype == np.uint8
    assert crop.max() > 200 and np.median(crop) < 60  # ink high, paper low
    assert find_lines(np.full((100, 100), 200, np.uint8)) == []


def test_odd_pages_never_crash_the_reader() -> None:
    """Noise, flat, tiny and stripe pages: lines (maybe none) come back, and every field is told or not."""
    rng = np.random.default_rng(5)
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    pages = [
        rng.integers(0, 256, (300, 500), dtype=np.uint8),
        np.zeros((40, 40), np.uint8),
        np.full((16, 16), 255, np.uint8),
        np.tile(np.array([0, 255], np.uint8), (200, 150)),
        (rng.random((240, 640)) < 0.02).astype(np.uint8) * 255,
        cv2.GaussianBlur(rng.integers(0, 256, (300, 500), dtype=np.uint8), (0, 0), 2),  # blobs: many lines
    ]
    assert len(find_lines(pages[-1])) > 5
    for page in pages:
        lines = read_lines(page, find_lines(page))
        assert all(np.isfinite(line.log_probs).all() for line in lines)
        matches = compare_lines(mrz, lines)
        assert set(matches) == {"surname", "given_names", "document_number", "birth_date", "expiry_date"}
    assert read_lines(pages[0], [TextLine((10, 10, 11, 30))]) == []  # one narrow mark: not a field


def test_a_page_full_of_dates_is_compared_in_bounded_time() -> None:
    """45 lines of two numeric dates each: every run is a candidate for both MRZ dates, but only the
    closest MAX_SCORED per field are aligned (1.6 s before the bound, about 30 ms with it)."""
    rng = np.random.default_rng(1)
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))

    def date() -> str:
        return f"{rng.integers(1, 29):02d}<{rng.integers(1, 13):02d}<{rng.integers(1950, 2030)}"

    lines = [_line(f"{date()}<{date()}") for _ in range(45)]
    t0 = time.perf_counter()
    compare_lines(mrz, lines)
    assert time.perf_counter() - t0 < 0.6
