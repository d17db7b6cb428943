"""Check-digit-guided repair: confusions, ambiguity, recognizer alternatives, text clean-up."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from docverify import MRZFormat, MRZFormatError, Severity, read_mrz
from docverify.mrz.generate import MRZData, build_mrz
from docverify.mrz.repair import RepairConfig, normalize_characters, repair
from docverify.mrz.spec import LAYOUTS

REF = dt.date(2010, 1, 1)
TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")


def sub(line: str, col: int, ch: str) -> str:
    return line[:col] + ch + line[col + 1 :]


def test_classic_confusions_in_numeric_fields_are_repaired_and_reported() -> None:
    noisy = (TD3[0], "L8989O2C36UT07408I22F12O4159ZE184226B<<<<<1O")
    r = read_mrz(noisy, reference_date=REF)
    assert r.lines == TD3
    assert r.valid and r.repaired
    changed = {(c.line, c.column, c.original, c.corrected) for c in r.corrections}
    assert changed == {(1, 5, "O", "0"), (1, 12, "0", "O"), (1, 17, "I", "1"), (1, 23, "O", "0"), (1, 43, "O", "0")}
    findings = [f for f in r.findings if f.code == "mrz.repair.corrected"]
    assert len(findings) == len(changed)
    assert all(f.spans and f.spans[0].end - f.spans[0].start == 1 for f in findings)
    # a letter in a date confirmed by the check digits: info; 'O' is legal in a document number, so
    # changing it only to satisfy the check digits is a warning; the country code has no check digit
    by_col = {f.spans[0].start: f.severity for f in findings}
    assert by_col[17] is Severity.INFO and by_col[43] is Severity.INFO
    assert by_col[5] is Severity.WARNING and by_col[12] is Severity.WARNING
    forced = {c.column: c.forced for c in r.corrections}
    assert forced == {5: False, 12: True, 17: True, 23: True, 43: True}
    assert r.input_lines == noisy


def test_no_repair_leaves_text_untouched() -> None:
    noisy = (TD3[0], sub(TD3[1], 5, "O"))
    r = read_mrz(noisy, reference_date=REF, repair_text=False)
    assert r.lines == noisy and not r.repaired and not r.valid


def test_filler_read_as_k_in_name_and_optional_data() -> None:
    name = sub(TD3[0], 30, "K")
    line2 = sub(TD3[1], 39, "K")
    r = read_mrz((name, line2), reference_date=REF)
    assert r.lines == TD3
    assert r.valid


def test_lone_k_in_trailing_filler_is_flagged_without_repair() -> None:
    r = read_mrz((TD3[0], sub(TD3[1], 39, "K")), reference_date=REF, repair_text=False)
    assert "mrz.field.optional_data.filler" in {f.code for f in r.findings}
    assert all(c.ok for c in r.check_digits)  # K counts like '<' in check digits: only the layout shows it


def test_unreadable_digit_is_recovered_from_the_check_digit() -> None:
    # '#' has no confusable: the birth-date check digit alone fixes the one digit that fits
    r = read_mrz((TD3[0], sub(TD3[1], 16, "#")), reference_date=REF)
    assert r.lines == TD3


def test_ambiguous_repair_is_refused() -> None:
    # Two unreadable characters in the same alphanumeric field of a visa (no composite): many
    # readings satisfy the one check digit equally well, so nothing may be guessed.
    visa = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L8988901C4XXX4009078F96121096ZE184226B<<<<<<")
    noisy = (visa[0], sub(sub(visa[1], 2, "#"), 3, "#"))
    r = read_mrz(noisy, reference_date=REF)
    assert not r.valid
    f = next(f for f in r.findings if f.code == "mrz.repair.ambiguous")
    assert f.severity is Severity.ERROR
    assert r.lines[1][2:4] == "##"  # left as read


def test_repair_never_claims_a_reading_that_breaks_a_check_digit() -> None:
    # A genuinely wrong check digit with nothing confusable nearby: no reading within budget.
    bad = sub(TD3[1], 19, "3")
    r = read_mrz((TD3[0], bad), reference_date=REF)
    assert not r.valid
    assert all(c.ok for c in r.check_digits) or not any(c.verified for c in r.corrections)


def test_recognizer_alternatives_drive_the_repair() -> None:
    lines = (TD3[0], sub(TD3[1], 1, "6"))  # the recognizer's top choice is wrong at column 1
    alts: list[list[list[tuple[str, float]]]] = [[[(ch, 1.0)] for ch in line] for line in lines]
    alts[1][1] = [("6", 0.55), ("8", 0.45)]
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    assert r.lines == TD3
    corr = r.corrections[0]
    assert (corr.line, corr.column, corr.original, corr.corrected, corr.verified) == (1, 1, "6", "8", True)


def _confident(lines: tuple[str, ...]) -> list[list[list[tuple[str, float]]]]:
    return [[[(ch, 1.0)] for ch in line] for line in lines]


def test_unsure_characters_no_check_digit_covers_are_reported() -> None:
    alts = _confident(TD3)
    alts[0][20] = [("M", 0.5), ("N", 0.42)]  # a name letter: nothing else can confirm it
    alts[0][22] = [("R", 0.6), ("8", 0.4)]  # '8' is not allowed in a name: not a real doubt
    alts[1][14] = [("4", 0.5), ("7", 0.45)]  # the birth date: its check digit confirms it
    r = read_mrz(TD3, reference_date=REF, alternatives=alts)
    unsure = [f for f in r.findings if f.code == "mrz.read.low_confidence"]
    assert len(unsure) == 1 and unsure[0].severity is Severity.WARNING
    assert [(s.line, s.start) for s in unsure[0].spans] == [(0, 20)]
    assert "'M' (50%), or 'N' (42%)" in unsure[0].message
    assert r.lines == TD3 and not r.corrections


def test_confident_readings_raise_no_doubt() -> None:
    alts = _confident(TD3)
    alts[0][20] = [("M", 0.95), ("N", 0.05)]
    r = read_mrz(TD3, reference_date=REF, alternatives=alts)
    assert not any(f.code == "mrz.read.low_confidence" for f in r.findings)
    assert not any(f.code == "mrz.read.low_confidence" for f in read_mrz(TD3, reference_date=REF).findings)


def test_recognizer_alternatives_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="one entry per character"):
        repair(LAYOUTS[MRZFormat.TD3], TD3, alternatives=[[[("P", 1.0)]]])


def test_repair_cost_is_negative_log_probability() -> None:
    lines = (TD3[0], sub(TD3[1], 1, "6"))
    alts: list[list[list[tuple[str, float]]]] = [[[(ch, 1.0)] for ch in line] for line in lines]
    alts[1][1] = [("6", 0.6), ("8", 0.4)]
    out = repair(LAYOUTS[MRZFormat.TD3], lines, alternatives=alts)
    assert out.lines == TD3
    assert math.isclose(out.cost, -math.log(0.4), rel_tol=1e-9)


def test_max_cost_bounds_the_search() -> None:
    noisy = (TD3[0], "L8989O2C36UTO7408I22F12O4159ZE184226B<<<<<1O")
    r = read_mrz(noisy, reference_date=REF, config=RepairConfig(max_cost=1.5))
    assert not r.valid  # four confusions cost 4.0 > 1.5: no check-digit repair is accepted
    assert r.lines[1][5] == "O"  # legal in the document number: left as read
    # letters in date and check-digit fields are still mapped to digits, but never as verified
    assert r.lines[1][17] == "1" and r.lines[1][43] == "0"
    assert r.corrections and not any(c.verified for c in r.corrections)


def test_lower_case_and_look_alikes_are_normalised_and_reported() -> None:
    lowered = (TD3[0].lower(), TD3[1])
    r = read_mrz(lowered, reference_date=REF)
    assert r.lines == TD3 and r.valid
    assert {c.reason for c in r.corrections} == {"lower case"}
    cyr = (TD3[0].replace("A", "\u0410"), TD3[1])  # Cyrillic capital A
    r = read_mrz(cyr, reference_date=REF)
    assert r.lines == TD3
    assert all("U+0410" in c.reason for c in r.corrections)
    greek = (TD3[0].replace("A", "\u0391"), TD3[1])  # Greek capital alpha
    assert read_mrz(greek, reference_date=REF).lines == TD3
    lines, corrections = normalize_characters(("«P", "\u0441\u043e"))  # Cyrillic small es, o
    assert lines == ("<P", "CO") and corrections[0].original == "«"


def test_whitespace_and_extra_lines() -> None:
    text = "some header text\n  " + TD3[0][:10] + " " + TD3[0][10:] + "\n" + TD3[1] + "\n\n"
    r = read_mrz(text, reference_date=REF)
    assert r.lines == TD3
    found = {f.code for f in r.findings}
    assert {"mrz.input.whitespace", "mrz.input.extra_lines"} <= found


def test_invisible_characters_are_removed_with_a_note() -> None:
    """A zero-width space or a soft hyphen pasted into a line is not MRZ text; it is removed, and said so."""
    for invisible in ("\u200b", "\u00ad", "\u202e"):
        text = (TD3[0][:10] + invisible + TD3[0][10:], TD3[1])
        r = read_mrz(text, reference_date=REF, repair_text=False)
        assert r.lines == TD3 and r.input_lines == TD3
        assert "mrz.input.whitespace" in {f.code for f in r.findings}
    assert "mrz.input.whitespace" not in {f.code for f in read_mrz(TD3, reference_date=REF).findings}


def test_missing_filler_is_restored_when_check_digits_confirm() -> None:
    short = (TD3[0], TD3[1][:38] + TD3[1][39:])  # one '<' of the optional data's filler lost
    r = read_mrz(short, reference_date=REF)
    assert r.lines == TD3
    assert "mrz.input.length_repaired" in {f.code for f in r.findings}
    with pytest.raises(MRZFormatError):
        read_mrz(short, reference_date=REF, repair_text=False)


def test_long_number_marker_read_as_k() -> None:
    lines = ("I<UTOD23145890<7349<<<<<<<<<<<", "3407127M9507122UTO<<<<<<<<<<<2", "STEVENSON<<PETER<JOHN<<<<<<<<<")
    noisy = (sub(lines[0], 14, "K"), *lines[1:])
    r = read_mrz(noisy, reference_date=dt.date(1990, 1, 1))
    assert r.lines == lines
    assert r.fields.document_number == "D23145890734"


def test_td1_repair_uses_the_composite() -> None:
    noisy = (sub(TD1[0], 10, "S"), sub(TD1[1], 3, "B"), TD1[2])
    r = read_mrz(noisy, reference_date=REF)
    assert r.lines == TD1
    assert all(c.verified for c in r.corrections)


def test_optional_data_after_a_long_document_number_is_not_filler() -> None:
    """A 'K' that opens the optional data after a long number's '<' is data (found by hypothesis)."""
    data = MRZData(
        MRZFormat.TD1, "I", "AUT", "A", "", "0000000000", "AUT", "000101", "M", "260102", "K", ""
    )  # fmt: skip
    lines = build_mrz(data)
    assert lines[0][15:19] == "00<K"
    r = read_mrz(lines, reference_date=REF)
    assert r.valid and r.lines == lines and not r.corrections
    # the same 'K' where the filler of an ordinary number's optional data runs is still a misread '<'
    plain = (sub(TD1[0], 20, "K"), TD1[1], TD1[2])
    assert read_mrz(plain, reference_date=REF).lines[0][20] == "<"


def test_a_clearly_read_character_is_not_explained_away_by_a_look_alike() -> None:
    # A forged document number (…52521 → …25214: its check digit 4 belongs to the old number). With the
    # recognizer sure of every character, the only repair would change a clearly read '2' to 'Z', which the
    # recognizer did not propose: the image does not support it, so the check digit is left failing (an
    # altered digit or a misprint; the document fails) instead of being explained away.
    lines = ("I<CAN4798125214<<<<<<<<<<<<<<<", "0907051F2711254CAN3JNAPNUB3H31", "TOZAR<<XAGAQUXA<MIRWERANOV<<<<")
    alts = _confident(lines)
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    assert r.lines == lines and not r.corrections and not r.valid
    assert "mrz.check_digit.document_number" in {f.code for f in r.findings if f.severity is Severity.ERROR}
    # when the recognizer itself hesitated between the two, the check digits confirm its second choice
    alts[0][10] = [("2", 0.7), ("Z", 0.3)]
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    (corr,) = [f for f in r.findings if f.code == "mrz.repair.corrected"]
    assert corr.severity is Severity.INFO and r.lines[0][10] == "Z" and r.valid
    # less than sure (a runner-up at one chance in a hundred or more, even one it did not name): the look-alike
    # stays possible, as a warning, for the check digit alone supports it
    alts[0][10] = [("2", 0.98), ("7", 0.02)]
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    (corr,) = [f for f in r.findings if f.code == "mrz.repair.corrected"]
    assert corr.severity is Severity.WARNING and "changed to satisfy the check digits" in corr.message
    # both thresholds are knobs of the repair
    loose = repair(
        LAYOUTS[MRZFormat.TD1],
        lines,
        alternatives=_confident(lines),
        config=RepairConfig(evidence_probability=0.0, sure_probability=1.01),
    )
    assert loose.corrections and all(
        f.severity is Severity.INFO for f in loose.findings if f.code == "mrz.repair.corrected"
    )


def test_a_digit_in_a_name_replaced_by_the_recognizers_clear_letter_is_info() -> None:
    """No check digit covers a name: a '0' read there becomes the letter the recognizer clearly preferred
    among the letters (info, ``clear``); when two letters are about as likely, or the recognizer gave the
    letter next to nothing, or there are no probabilities at all, it stays a warning."""
    lines = (sub(TD3[0], 11, "0"), TD3[1])  # ERIKSS0N
    alts = _confident(lines)
    alts[0][11] = [("0", 0.6), ("O", 0.38), ("Q", 0.01)]
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    (corr,) = r.corrections
    (finding,) = [f for f in r.findings if f.code == "mrz.repair.corrected"]
    assert r.lines == TD3 and corr.clear and not corr.verified
    assert finding.severity is Severity.INFO and "clear choice" in finding.message
    assert corr.to_dict()["clear"] is True
    for unclear in ([("0", 0.5), ("O", 0.26), ("Q", 0.24)], [("0", 0.99), ("O", 0.01)]):
        alts[0][11] = unclear
        (finding,) = [
            f
            for f in read_mrz(lines, reference_date=REF, alternatives=alts).findings
            if f.code == "mrz.repair.corrected"
        ]
        assert finding.severity is Severity.WARNING, unclear
    plain = read_mrz(lines, reference_date=REF)
    assert plain.lines == TD3 and not plain.corrections[0].clear
    assert [f.severity for f in plain.findings if f.code == "mrz.repair.corrected"] == [Severity.WARNING]


def test_a_runner_up_with_one_chance_in_ten_is_low_confidence() -> None:
    """Far from a tie, but a name letter the recognizer gives 20 % of being another (on small, noisy images it
    reads letters wrongly at 64–92 %, bench_repair_ocr) is worth a look; 5 % is not."""
    alts = _confident(TD3)
    alts[0][20] = [("M", 0.8), ("N", 0.2)]
    (unsure,) = [
        f for f in read_mrz(TD3, reference_date=REF, alternatives=alts).findings if f.code == "mrz.read.low_confidence"
    ]
    assert unsure.severity is Severity.WARNING and "'M' (80%), or 'N' (20%)" in unsure.message
    alts[0][20] = [("M", 0.8), ("8", 0.2)]  # not a letter: a name cannot hold it, so no doubt
    assert not any(
        f.code == "mrz.read.low_confidence" for f in read_mrz(TD3, reference_date=REF, alternatives=alts).findings
    )


def test_a_doubt_the_check_digit_cannot_settle_is_low_confidence_where_it_passes() -> None:
    """'6' and 'G' have the same check value (6 and 16): a passing check digit says nothing between them, so a
    doubt there is reported; between '6' and '8' it does, so none is."""
    data = MRZData(
        MRZFormat.TD3, "P", "UTO", "ERIKSSON", "ANNA MARIA", "L896902C3", "UTO", "740812", "F", "120415", "", ""
    )
    lines = build_mrz(data)
    assert lines[1][3] == "6" and read_mrz(lines, reference_date=REF).valid
    alts = _confident(lines)
    alts[1][3] = [("6", 0.8), ("G", 0.2)]
    found = read_mrz(lines, reference_date=REF, alternatives=alts).findings
    (unsure,) = [f for f in found if f.code == "mrz.read.low_confidence"]
    assert [(s.line, s.start) for s in unsure.spans] == [(1, 3)] and "'6' (80%), or 'G' (20%)" in unsure.message
    alts[1][3] = [("6", 0.8), ("8", 0.2)]
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    assert not any(f.code == "mrz.read.low_confidence" for f in r.findings) and r.lines == lines


def test_a_repair_the_check_digits_cannot_tell_from_another_is_a_warning() -> None:
    """Two readings that satisfy the same check digits (here: an 'O' read for '0' in the document number,
    or a '9' read for '5' two places before it; both columns have weight 1 in the number's and the composite's
    check digit). The recognizer alone chooses between them; on a poor image it can be confidently wrong, so
    the change is a warning (``doubtful``) unless the other reading is far less likely."""
    lines = (TD3[0], sub(TD3[1], 5, "O"))  # L898902C3 read as L8989O2C3
    alts = _confident(lines)
    alts[1][5] = [("O", 0.99), ("0", 0.008)]
    alts[1][2] = [("9", 0.64), ("5", 0.36)]
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    (corr,) = r.corrections
    assert (corr.column, corr.corrected) == (2, "5")  # the recognizer's choice: wrong, and not confirmed
    assert corr.verified and corr.forced and corr.doubtful and corr.to_dict()["doubtful"] is True
    (finding,) = [f for f in r.findings if f.code == "mrz.repair.corrected"]
    assert finding.severity is Severity.WARNING and "nearly as well" in finding.message
    # the other reading far less likely (beyond RepairConfig.doubt_margin): the check digits confirm it
    alts[1][5] = [("O", 0.6), ("0", 0.4)]
    alts[1][2] = [("9", 0.999), ("5", 0.001)]
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    (corr,) = r.corrections
    assert r.lines == TD3 and (corr.column, corr.corrected) == (5, "0") and not corr.doubtful
    assert [f.severity for f in r.findings if f.code == "mrz.repair.corrected"] == [Severity.INFO]
    # and the margin is a knob of the repair
    alts[1][5] = [("O", 0.99), ("0", 0.008)]
    alts[1][2] = [("9", 0.64), ("5", 0.36)]
    sure = repair(LAYOUTS[MRZFormat.TD3], lines, alternatives=alts, config=RepairConfig(doubt_margin=0.0))
    assert not any(c.doubtful for c in sure.corrections)


def _broken_number() -> tuple[str, str]:
    """TD3 with its document number's '0' printed as '6': the number's check digit and the composite fail."""
    broken = (TD3[0], TD3[1][:5] + "6" + TD3[1][6:])
    assert not read_mrz(broken, reference_date=REF, repair_text=False).valid
    return broken


def _unreliable_in(lines: tuple[str, ...], alts: list[list[list[tuple[str, float]]]] | None) -> bool:
    return any(f.code == "mrz.read.unreliable" for f in read_mrz(lines, reference_date=REF, alternatives=alts).findings)


def test_errors_only_on_characters_read_with_doubt_make_the_reading_unreliable() -> None:
    """A failing check digit whose field holds a character the recognizer was unsure of (its runner-up, one
    the field allows, at one chance in ten or more) may be the recognizer's misreading, not the document's
    defect: the reading says so (``mrz.read.unreliable``, naming the character) and stays invalid."""
    lines = _broken_number()
    alts = _confident(lines)
    alts[1][1] = [("8", 0.7), ("3", 0.3)]  # neither '8' nor '3' there satisfies the check: nothing to repair
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    assert not r.valid and r.lines == lines
    (unreliable,) = [f for f in r.findings if f.code == "mrz.read.unreliable"]
    assert unreliable.severity is Severity.WARNING and unreliable.category.value == "quality"
    assert "'8' (70%) or '3' (30%)" in unreliable.message
    assert [(s.line, s.start) for s in unreliable.spans] == [(1, 1)]


def test_an_error_on_characters_read_clearly_is_evidence() -> None:
    """The same broken check digit read with confidence, or with doubt only outside the failing fields (a name
    letter), or a runner-up too weak to count: every error must lie on a doubtful character, so a clearly read
    broken digit keeps the reading judged as it is; so does plain text."""
    lines = _broken_number()
    alts = _confident(lines)
    assert not _unreliable_in(lines, alts)
    alts[0][20] = [("M", 0.5), ("N", 0.45)]  # a doubt, but in the name, which no failing check digit covers
    assert not _unreliable_in(lines, alts)
    alts[1][1] = [("8", 0.95), ("3", 0.05)]  # a runner-up of one in twenty is no doubt
    assert not _unreliable_in(lines, alts)
    assert not _unreliable_in(lines, None)


def test_misread_shaped_errors_alone_do_not_make_a_reading_unreliable() -> None:
    """An unknown state code read clearly is judged (it could be the document's); beside a check digit that
    fails on a doubtful character, it is what a misreading also gives and does not keep the reading judged."""
    clean = read_mrz(TD3, reference_date=REF)
    assert clean.valid
    unknown = (TD3[0][:2] + "QQQ" + TD3[0][5:], TD3[1])
    alts = _confident(unknown)
    r = read_mrz(unknown, reference_date=REF, alternatives=alts)
    assert "mrz.country.issuing_state.unknown" in {f.code for f in r.findings}
    assert not any(f.code == "mrz.read.unreliable" for f in r.findings)
    both = (unknown[0], _broken_number()[1])
    alts = _confident(both)
    alts[1][1] = [("8", 0.7), ("3", 0.3)]
    codes = {f.code for f in read_mrz(both, reference_date=REF, alternatives=alts).findings}
    assert {"mrz.country.issuing_state.unknown", "mrz.check_digit.document_number", "mrz.read.unreliable"} <= codes


def test_a_garbled_reading_is_unreliable_however_confident() -> None:
    """A line read shifted by a lost first character, read with full confidence: the nationality, both dates and
    the sex hold values no genuine MRZ prints, so its failing check digits prove nothing (``mrz.read.unreliable``
    naming the fields, spans on them); impossible values in two fields beside a clearly read broken check digit
    are what an alteration can give, and the reading stays judged."""
    shifted = (TD3[0], TD3[1][1:] + "<")
    r = read_mrz(shifted, reference_date=REF, alternatives=_confident(shifted))
    assert not r.valid and any(f.code.startswith("mrz.check_digit.") for f in r.findings)
    (unreliable,) = [f for f in r.findings if f.code == "mrz.read.unreliable"]
    assert unreliable.message.startswith("The reading is garbled:")
    assert "nationality" in unreliable.message and "birth date" in unreliable.message
    spans = {(s.line, s.start, s.end) for s in unreliable.spans}
    assert (1, 10, 13) in spans and (1, 13, 19) in spans and len(spans) >= 3
    assert not _unreliable_in(shifted, None)  # typed text is not a capture: nothing was misread
    # a birth date and a sex made impossible, and the document number's check digit broken, read clearly
    two = (TD3[0], TD3[1][:5] + "6" + TD3[1][6:13] + "749912" + TD3[1][19] + "Q" + TD3[1][21:])
    r = read_mrz(two, reference_date=REF, alternatives=_confident(two))
    codes = {f.code for f in r.findings}
    assert {"mrz.date.birth_date.invalid", "mrz.sex.invalid", "mrz.check_digit.document_number"} <= codes
    assert "mrz.read.unreliable" not in codes


def test_a_reading_wrong_only_where_two_characters_are_equally_likely_is_unreliable() -> None:
    """Every check digit passes and every field is possible, but at a name's filler the recognizer gave two
    letters equal odds and neither what was read: the repair cannot decide (``mrz.repair.ambiguous``), which is
    a fact about the reading, so the reading is unreliable, naming the place. A digit read clearly in the sex
    field is ambiguous too (``M`` or ``F``?) but also impossible there: that is what a pasted digit gives, and
    the reading stays judged."""
    alts = _confident(TD3)
    alts[0][40] = [("V", 0.5), ("L", 0.5)]
    r = read_mrz(TD3, reference_date=REF, alternatives=alts)
    assert [f.code for f in r.findings if f.severity is Severity.ERROR] == ["mrz.repair.ambiguous"]
    (unreliable,) = [f for f in r.findings if f.code == "mrz.read.unreliable"]
    assert [(s.line, s.start) for s in unreliable.spans] == [(0, 40)] and "line 1, position 41" in unreliable.message
    pasted = (TD3[0], TD3[1][:20] + "1" + TD3[1][21:])
    codes = {f.code for f in read_mrz(pasted, reference_date=REF, alternatives=_confident(pasted)).findings}
    assert {"mrz.repair.ambiguous", "mrz.sex.invalid"} <= codes and "mrz.read.unreliable" not in codes


def test_a_doubt_that_cannot_explain_the_failing_check_digit_excuses_nothing() -> None:
    """A forged composite check digit (``…<10`` printed ``…<15``) read clearly: a doubt between ``<`` and ``K`` in
    the filler it covers (both have check value 0), or a corrected ``O`` in a birth date its own passing check
    digit confirms, cannot be what broke it, so the reading is judged (it fails); a doubt on the composite digit
    itself can, so that reading is not."""
    lines = (TD3[0], TD3[1][:-1] + "5")
    alts = _confident(lines)
    alts[1][39] = [("<", 0.85), ("K", 0.15)]
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    assert "mrz.check_digit.composite" in {f.code for f in r.findings} and not _unreliable_in(lines, alts)
    misread = (lines[0], lines[1][:15] + "O" + lines[1][16:])  # birth date 740812 read 74O812
    alts = _confident(misread)
    r = read_mrz(misread, reference_date=REF, alternatives=alts)
    assert any(c.column == 15 for c in r.corrections) and not r.valid
    assert not _unreliable_in(misread, alts)
    alts = _confident(lines)
    alts[1][43] = [("5", 0.7), ("0", 0.3)]
    r = read_mrz(lines, reference_date=REF, alternatives=alts)
    assert r.valid or _unreliable_in(lines, alts)  # repaired with the runner-up, or left failing as a doubt


def _td3_with_name(surname: str, given: str) -> tuple[str, ...]:
    data = MRZData(MRZFormat.TD3, "P", "UTO", surname, given, "L898902C3", "UTO", "740812", "F", "120415", "ZE184226B")
    return build_mrz(data)


@pytest.mark.parametrize(
    ("surname", "given", "col", "digit"),
    [
        ("ADAMS", "JOHN", 6, "0"),  # A0A: ADA far more often than AOA
        ("DAVIS", "ANNA", 5, "0"),  # <0A: a name starts with DA far more often than with OA
        ("HOLT", "DANIEL", 16, "1"),  # E1<: a name ends in EL far more often than in EI
        ("SMITH", "JOHN", 13, "0"),  # J0H: the O stays O
        ("NOUR", "ALI", 6, "0"),  # N0U: NDU is likelier than NOU by the letters, not by 15 to 1 as a misread
    ],
)
def test_a_digit_in_a_name_is_read_as_the_letter_its_neighbours_make_likely(
    surname: str, given: str, col: int, digit: str
) -> None:
    lines = _td3_with_name(surname, given)
    noisy = (sub(lines[0], col, digit), lines[1])
    r = read_mrz(noisy, reference_date=REF)
    assert r.lines == lines
    fix = next(c for c in r.corrections if (c.line, c.column) == (0, col))
    assert fix.original == digit and not fix.verified  # no check digit covers a passport's name
    assert "likeliest between the letters beside it" in fix.reason
    assert any(f.code == "mrz.repair.corrected" and f.severity is Severity.WARNING for f in r.findings)


def test_a_check_digit_over_a_name_outweighs_the_neighbours_letter_statistics() -> None:
    # A French ID card's composite covers the surname: of O, D and Q only Q satisfies it. The neighbours
    # (O_U) make D likelier, but a likelier letter plus one more change must never beat the letter the check
    # digits single out (the letter costs stay within the classic confusions' spread).
    fields = ("ID", "FRA", "STETOQU COFLOJO", "LUVATONE", "2105196227209", "FRA", "951028", "F", "", "KA<LUV")
    lines = build_mrz(MRZData(MRZFormat.FRA_ID, *fields))
    assert lines[0][10] == "Q"
    r = read_mrz((sub(lines[0], 10, "0"), lines[1]), reference_date=REF)
    assert r.lines == lines and r.valid


@pytest.mark.parametrize(("line", "col"), [(1, 18), (0, 15)])
def test_a_filler_read_as_x_at_the_start_of_an_empty_field_is_restored_not_doubled(line: int, col: int) -> None:
    # 'UTOX<<<…': the X breaks the check digits; 'XX' also satisfies them (33·(7+3) ≡ 0 mod 10), but a letter
    # that lengthens the data into the filler is less likely than one misread '<'.
    noisy = list(TD1)
    noisy[line] = sub(TD1[line], col, "X")
    r = read_mrz(tuple(noisy), reference_date=REF)
    assert r.lines == TD1 and r.valid


def test_a_french_card_number_starts_with_digits() -> None:
    # The card number starts with the issue year and month; 'L' for '1' there leaves every check digit
    # satisfied (L = 21 ≡ 1 mod 10), but YYMM holds digits only.
    lines = ("IDFRASI<ANSITRUVEL<<<<<<<<<<<<048064", "1710042944707PRAULEL<DRI<<<7412213F1")
    r = read_mrz((lines[0], sub(lines[1], 0, "L")), reference_date=REF)
    assert r.lines == lines and r.valid
    assert [(c.line, c.column, c.original, c.corrected) for c in r.corrections] == [(1, 0, "L", "1")]


def test_the_filler_after_a_long_numbers_check_digit_read_as_x_is_restored() -> None:
    # TD1 long number UW3130862VQ410, check digit 7, then '<' (read 'X'), then optional data: read as is, the
    # continuation seems to run on to the next '<' and every check digit fails.
    lines = ("ACSWEUW3130862<VQ4107<41102<<<", "1405288F3401055SWE<<<<<<<<<<<4", "GRI<<XAQUKA<<<<<<<<<<<<<<<<<<<")
    r = read_mrz((sub(lines[0], 21, "X"), lines[1], lines[2]), reference_date=REF)
    assert r.lines == lines and r.valid
    fix = next(c for c in r.corrections if (c.line, c.column) == (0, 21))
    assert fix.reason == "long document number marker"
