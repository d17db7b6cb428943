"""ICAO 9303 rules, one by one, on the ICAO specimens and small variations of them."""

from __future__ import annotations

import datetime as dt

import pytest

from docverify import MRZFormat, Severity, read_mrz
from docverify.mrz import checkdigit
from docverify.mrz.spec import LAYOUTS, detect_format

REF = dt.date(2010, 1, 1)  # the ICAO specimens are valid on this date

TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
MRVA = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L8988901C4XXX4009078F96121096ZE184226B<<<<<<")
MRVB = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<")
FRA = ("IDFRABERTHIER<<<<<<<<<<<<<<<<<<<<<<<", "8806923102858CORINNE<<<<<<<6512068F6")


def codes(result: object) -> set[str]:
    return {f.code for f in result.findings}  # type: ignore[attr-defined]


def with_check(line: str, start: int, end: int, cd_pos: int) -> str:
    """``line`` with the check digit at ``cd_pos`` recomputed over ``line[start:end]``."""
    cd = str(checkdigit.compute(line[start:end]))
    return line[:cd_pos] + cd + line[cd_pos + 1 :]


@pytest.mark.parametrize(
    ("lines", "fmt"),
    [(TD3, MRZFormat.TD3), (TD2, MRZFormat.TD2), (TD1, MRZFormat.TD1), (MRVA, MRZFormat.MRVA),
     (MRVB, MRZFormat.MRVB), (FRA, MRZFormat.FRA_ID)],
)  # fmt: skip
def test_icao_specimens_are_valid_in_every_format(lines: tuple[str, ...], fmt: MRZFormat) -> None:
    r = read_mrz(lines, reference_date=dt.date(1995, 1, 1), repair_text=False)
    assert r.format is fmt
    assert r.valid, [f.message for f in r.findings]
    assert all(c.ok for c in r.check_digits)
    assert not r.repaired


def test_td3_fields_decoded() -> None:
    f = read_mrz(TD3, reference_date=REF).fields
    assert (f.document_code, f.issuing_state, f.document_number) == ("P", "UTO", "L898902C3")
    assert (f.surname, f.given_names, f.nationality, f.sex) == ("ERIKSSON", "ANNA MARIA", "UTO", "F")
    assert f.birth_date == dt.date(1974, 8, 12)
    assert f.expiry_date == dt.date(2012, 4, 15)
    assert f.optional_data == "ZE184226B"


def test_td3_check_digit_values_match_icao_worked_example() -> None:
    r = read_mrz(TD3, reference_date=REF)
    printed = {c.name: c.printed for c in r.check_digits}
    assert printed == {
        "document_number": "6",
        "birth_date": "2",
        "expiry_date": "9",
        "optional_data": "1",
        "composite": "0",
    }


@pytest.mark.parametrize("index", [i for i, c in enumerate(TD3[1]) if c.isdigit()])
def test_every_single_digit_change_in_td3_line2_is_caught(index: int) -> None:
    """Changing any digit of line 2 to another digit is caught (ICAO: single digit changes always are)."""
    line = TD3[1]
    for d in "0123456789":
        if d == line[index]:
            continue
        bad = line[:index] + d + line[index + 1 :]
        r = read_mrz((TD3[0], bad), reference_date=REF, repair_text=False)
        assert not r.valid, (index, d)
        assert any(c.startswith("mrz.check_digit.") for c in codes(r)), (index, d)


def test_wrong_check_digit_reports_printed_and_computed_with_spans() -> None:
    bad = TD3[1][:19] + "3" + TD3[1][20:]
    r = read_mrz((TD3[0], bad), reference_date=REF, repair_text=False)
    f = next(f for f in r.findings if f.code == "mrz.check_digit.birth_date")
    assert f.severity is Severity.ERROR and f.category.value == "integrity"
    assert dict(f.evidence) == {"printed": "3", "computed": "2"}
    assert f.spans[0].line == 1 and f.spans[0].start == 19 and f.spans[0].end == 20
    assert "line 2, position 20" in f.message
    # every check runs: the composite is reported too, nothing short-circuits
    assert "mrz.check_digit.composite" in codes(r)


def test_optional_data_check_digit_filler_is_valid_when_field_empty() -> None:
    # Genuine AT/CH/DE passports print '<' as the check digit of an empty personal number.
    lines = ("P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<", "C01X0006H1D<<6408125F1710319<<<<<<<<<<<<<<<0")
    r = read_mrz(lines, reference_date=REF)
    assert r.valid
    assert "mrz.check_digit.optional_data.unused" in codes(r)
    assert r.fields.issuing_state == "D" and r.fields.nationality == "D"
    assert not any(c.startswith("mrz.country") for c in codes(r))


def test_optional_data_check_digit_filler_is_invalid_when_field_used() -> None:
    line = TD3[1][:42] + "<" + TD3[1][43]
    r = read_mrz((TD3[0], line), reference_date=REF, repair_text=False)
    assert "mrz.check_digit.optional_data" in codes(r)
    assert not r.valid


def test_td1_long_document_number() -> None:
    lines = ("I<UTOD23145890<7349<<<<<<<<<<<", "3407127M9507122UTO<<<<<<<<<<<2", "STEVENSON<<PETER<JOHN<<<<<<<<<")
    r = read_mrz(lines, reference_date=dt.date(1990, 1, 1))
    assert r.valid
    assert r.fields.document_number == "D23145890734"
    doc = next(c for c in r.check_digits if c.name == "document_number")
    assert doc.ok and doc.position.start == 18 and doc.printed == "9"
    assert "mrz.document_number.long" in codes(r)


def test_td2_long_document_number() -> None:
    line2 = "D23145890<UTO7408122F1204159734<<<<<"
    number = "D23145890734"
    line2 = line2[:28] + "734" + str(checkdigit.compute(number)) + "<<<" + line2[35:]
    comp = checkdigit.compute(line2[0:10] + line2[13:20] + line2[21:35])
    line2 = line2[:35] + str(comp)
    r = read_mrz((TD2[0], line2), reference_date=REF)
    assert r.valid, [f.message for f in r.findings]
    assert r.fields.document_number == number


def test_long_number_syntax_is_checked() -> None:
    """ICAO9303.md, TD1 long number: "the remaining characters start at 16, followed by the CD (somewhere in
    17–29) and a '<'". A '<' in the number's check-digit place with nothing continuing the number, and a check
    digit that ends the optional data, are warnings; the well-formed long number is an info finding alone."""

    def td1(line1: str) -> tuple[str, ...]:
        line2 = "7408122F3404159BEL<<<<<<<<<<<0"
        comp = checkdigit.compute(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
        return line1, line2[:29] + str(comp), "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"

    def warned(r: object) -> bool:
        return any(
            f.code == "mrz.document_number.long_syntax" and f.severity is Severity.WARNING
            for f in r.findings  # type: ignore[attr-defined]
        )

    good = td1("I<BELABC123456<DEF" + str(checkdigit.compute("ABC123456DEF")) + "<<<<<<<<<<<")
    r = read_mrz(good, reference_date=REF, repair_text=False)
    assert r.valid and r.fields.document_number == "ABC123456DEF"
    assert "mrz.document_number.long" in codes(r) and not warned(r)
    to_the_end = "ABC123456DEFGHIJKLMNOPQ"
    r = read_mrz(td1("I<BEL" + to_the_end[:9] + "<" + to_the_end[9:] + str(checkdigit.compute(to_the_end))),
                 reference_date=REF, repair_text=False)  # fmt: skip
    assert r.fields.document_number == to_the_end and warned(r)
    nothing = td1("I<BELABC123456<" + str(checkdigit.compute("ABC123456")) + "<<<<<<<<<<<<<<")
    r = read_mrz(nothing, reference_date=REF, repair_text=False)
    assert warned(r) and "mrz.document_number.long" not in codes(r)
    assert not any("positions beyond the ninth" in f.message for f in r.findings)


def test_belgian_long_number_deviation_is_info_not_error() -> None:
    lines = ("IDBEL000590240<6013<<<<<<<<<<<", "8512017F1311048BEL851201002007", "REINARTZ<<ULRIKE<KATIA<E<<<<<<")
    r = read_mrz(lines, reference_date=REF)
    assert r.valid
    dev = next(f for f in r.findings if f.code.startswith("mrz.deviation."))
    assert dev.severity is Severity.INFO
    # the same card from another issuer is an error: the deviation is issuer-specific data
    other = (lines[0].replace("BEL", "NLD"), lines[1].replace("BEL", "NLD"), lines[2])
    r2 = read_mrz(other, reference_date=REF, repair_text=False)
    assert "mrz.check_digit.document_number" in codes(r2)


def test_french_id_card_is_not_misread_as_td2() -> None:
    assert detect_format(FRA) is MRZFormat.FRA_ID
    r = read_mrz(FRA, reference_date=REF)
    assert r.format is MRZFormat.FRA_ID and r.valid
    assert r.fields.surname == "BERTHIER" and r.fields.given_names == "CORINNE"
    assert r.fields.birth_date == dt.date(1965, 12, 6)
    assert dict(r.fields.extra)["issue_year_month"] == "8806"
    # a TD2 from France with valid TD2 check digits stays TD2
    td2 = ("IDFRAERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
    assert detect_format(td2) is MRZFormat.TD2


def test_french_id_issued_after_reference_is_not_yet_valid() -> None:
    r = read_mrz(FRA, reference_date=dt.date(1988, 1, 1))
    assert "mrz.validity.not_yet_valid" in codes(r)


def test_expired_and_expiry_relative_to_reference_date() -> None:
    assert "mrz.validity.expired" not in codes(read_mrz(TD3, reference_date=dt.date(2012, 4, 15)))
    r = read_mrz(TD3, reference_date=dt.date(2012, 4, 16))
    f = next(f for f in r.findings if f.code == "mrz.validity.expired")
    assert f.severity is Severity.WARNING and f.category.value == "validity"
    assert r.valid  # expiry is a validity warning, not an integrity error


def test_century_resolution() -> None:
    r = read_mrz(TD3, reference_date=dt.date(2026, 11, 22))
    assert r.fields.birth_date == dt.date(1974, 8, 12)
    assert r.fields.expiry_date == dt.date(2012, 4, 15)
    # a birth date in the "future" two-digit year resolves to the previous century
    line = TD3[1][:13] + "300101" + str(checkdigit.compute("300101")) + TD3[1][20:]
    line = line[:43] + str(checkdigit.compute(line[0:10] + line[13:20] + line[21:43]))
    r = read_mrz((TD3[0], line), reference_date=dt.date(2026, 1, 1))
    assert r.fields.birth_date == dt.date(1930, 1, 1)


def _td3_with(birth: str | None = None, expiry: str | None = None, sex: str | None = None) -> tuple[str, str]:
    line = TD3[1]
    if birth is not None:
        line = line[:13] + birth + str(checkdigit.compute(birth)) + line[20:]
    if sex is not None:
        line = line[:20] + sex + line[21:]
    if expiry is not None:
        line = line[:21] + expiry + str(checkdigit.compute(expiry)) + line[28:]
    line = line[:43] + str(checkdigit.compute(line[0:10] + line[13:20] + line[21:43]))
    return TD3[0], line


def test_calendar_invalid_dates_are_errors() -> None:
    r = read_mrz(_td3_with(birth="110229"), reference_date=REF)
    assert "mrz.date.birth_date.invalid" in codes(r) and not r.valid
    r = read_mrz(_td3_with(expiry="120431"), reference_date=REF)
    assert "mrz.date.expiry_date.invalid" in codes(r)
    assert r.fields.expiry_date is None and r.fields.expiry_date_raw == "120431"
    # 29 February of a leap year is fine
    assert read_mrz(_td3_with(birth="000229"), reference_date=REF).fields.birth_date == dt.date(2000, 2, 29)


def test_unknown_birth_date_parts() -> None:
    r = read_mrz(_td3_with(birth="74<<<<"), reference_date=REF)
    assert "mrz.date.birth_date.unknown_parts" in codes(r)
    assert r.valid and r.fields.birth_date is None


@pytest.mark.parametrize(
    ("birth", "ok"),
    [("7413<<", False), ("74<<32", False), ("<<0230", False), ("7402<<", True), ("<<0229", True),
     ("7<0812", False), ("74<<31", True), ("<<<<<<", True), ("<<<<30", True), ("7302<<", True)],
)  # fmt: skip
def test_known_parts_of_a_partly_unknown_birth_date_are_calendar_checked(birth: str, ok: bool) -> None:
    """ICAO9303.md: "Unknown parts of a birth date are '<' … Validate the calendar": the parts given must be a
    month 01–12 and a day that month can have; a part half '<' is no date part."""
    r = read_mrz(_td3_with(birth=birth), reference_date=REF, repair_text=False)
    assert ("mrz.date.birth_date.unknown_parts" in codes(r)) is ok
    assert ("mrz.date.birth_date.invalid" in codes(r)) is not ok
    assert r.valid is ok


def test_implausible_age_and_expiry_before_birth() -> None:
    r = read_mrz(_td3_with(birth="000101"), reference_date=dt.date(2026, 1, 1))
    assert r.fields.birth_date == dt.date(2000, 1, 1)
    r = read_mrz(_td3_with(birth="990101", expiry="300101"), reference_date=dt.date(2026, 1, 1))
    assert "mrz.validity.implausible_age" not in codes(r)
    # two-digit years always give an age under 100 on the reference date; a document that would
    # outlive any holder is the implausible case
    old = read_mrz(_td3_with(birth="271231", expiry="600101"), reference_date=dt.date(2026, 1, 1))
    assert old.fields.birth_date == dt.date(1927, 12, 31)
    assert "mrz.validity.implausible_age" in codes(old)
    assert read_mrz(_td3_with(birth="000101"), reference_date=dt.date(2126, 6, 1)).fields.birth_date == dt.date(
        2100, 1, 1
    )
    # a birth date after the expiry date moves to the previous century when that fits both ...
    moved = read_mrz(_td3_with(birth="200101", expiry="150101"), reference_date=dt.date(2026, 1, 1))
    assert moved.fields.birth_date == dt.date(1920, 1, 1)
    assert "mrz.validity.expiry_before_birth" not in codes(moved)
    # ... and stays in conflict when the holder would be older than 125
    both = read_mrz(_td3_with(birth="000101", expiry="990101"), reference_date=dt.date(2026, 1, 1))
    assert both.fields.birth_date == dt.date(2000, 1, 1) and both.fields.expiry_date == dt.date(1999, 1, 1)
    assert "mrz.validity.expiry_before_birth" in codes(both)


def test_expiry_implausibly_far_ahead() -> None:
    r = read_mrz(_td3_with(expiry="700101"), reference_date=dt.date(2026, 1, 1))
    assert "mrz.validity.expiry_implausible" in codes(r)


@pytest.mark.parametrize(("sex", "code", "valid"), [("M", None, True), ("<", None, True), ("X", "mrz.sex.x", True),
                                                      ("Q", "mrz.field.sex.charset", False)])  # fmt: skip
def test_sex_field(sex: str, code: str | None, valid: bool) -> None:
    r = read_mrz(_td3_with(sex=sex), reference_date=REF, repair_text=False)
    assert r.valid is valid
    if code:
        assert code in codes(r)
    assert r.fields.sex == (None if sex == "<" else sex)


@pytest.mark.parametrize(
    ("state", "code"),
    [("D<<", None), ("XXA", "mrz.country.issuing_state.icao_code"), ("EUE", "mrz.country.issuing_state.icao_code"),
     ("ANT", "mrz.country.issuing_state.deprecated"), ("BOS", "mrz.country.issuing_state.unknown"),
     ("SWE", None), ("ZZZ", "mrz.country.issuing_state.unknown")],
)  # fmt: skip
def test_country_codes(state: str, code: str | None) -> None:
    r = read_mrz((TD3[0][:2] + state + TD3[0][5:], TD3[1]), reference_date=REF, repair_text=False)
    found = {c for c in codes(r) if c.startswith("mrz.country.issuing_state")}
    assert found == ({code} if code else set())
    assert r.valid is (code is None or not code.endswith("unknown"))


def test_document_code_rules() -> None:
    bad = ("X" + TD3[0][1:], TD3[1])
    assert "mrz.document_code.invalid" in codes(read_mrz(bad, reference_date=REF, repair_text=False))
    # ICAO9303.md: "TD1/TD2 second character: not V; after A not C (except crew member certificates) and not I"
    for code in ("IV", "AV", "CV", "AI"):
        for doc in (TD1, TD2):
            r = read_mrz((code + doc[0][2:], *doc[1:]), reference_date=REF, repair_text=False)
            assert any(f.code == "mrz.document_code.invalid" and f.severity is Severity.ERROR for f in r.findings)
            assert not r.valid, code
    crew = ("AC" + TD1[0][2:], *TD1[1:])
    assert "mrz.document_code.crew_member" in codes(read_mrz(crew, reference_date=REF))


def test_name_rules() -> None:
    full = "P<UTO" + "A" * 39
    r = read_mrz((full, TD3[1]), reference_date=REF)
    assert "mrz.name.truncated" in codes(r)
    nop = read_mrz(("P<UTO<<ANNA" + "<" * 33, TD3[1]), reference_date=REF)
    assert "mrz.name.no_primary_identifier" in codes(nop)
    assert nop.fields.surname == "" and nop.fields.given_names == "ANNA"
    junk = read_mrz(("P<UTOERIKSSON<<ANNA<<<<<<<<<<<<<ZZ<<<<<<<<<<", TD3[1]), reference_date=REF, repair_text=False)
    assert "mrz.name.syntax" in codes(junk)
    empty = read_mrz(("P<UTO" + "<" * 39, TD3[1]), reference_date=REF)
    assert "mrz.name.name.empty" in codes(empty) and not empty.valid


def test_specimen_detection_is_validity_not_authenticity() -> None:
    r = read_mrz(TD3, reference_date=REF)
    f = next(f for f in r.findings if f.code == "mrz.specimen")
    assert f.category.value == "validity" and f.severity is Severity.WARNING
    assert not any(x.category.value == "authenticity" for x in r.findings)


def test_illegal_characters_are_flagged_without_repair() -> None:
    bad = TD3[1][:3] + "?" + TD3[1][4:]
    r = read_mrz((TD3[0], bad), reference_date=REF, repair_text=False)
    assert "mrz.charset.illegal" in codes(r) and not r.valid
    f = next(f for f in r.findings if f.code == "mrz.charset.illegal")
    assert f.spans[0].start == 3 and "U+003F" in f.message


def test_layout_tables_cover_every_position_exactly_once() -> None:
    for layout in LAYOUTS.values():
        for li in range(layout.line_count):
            for col in range(layout.line_length):
                owners = [f for f in layout.fields if f.line == li and f.start <= col < f.end]
                assert len(owners) == 1, (layout.format, li, col)


def test_unreadable_check_digit_never_counts_as_ok() -> None:
    """'?' printed where the data cannot be computed is not a match (regression)."""
    line = TD3[1][:3] + "?" + TD3[1][4:9] + "?" + TD3[1][10:]
    r = read_mrz((TD3[0], line), reference_date=REF, repair_text=False)
    doc = next(c for c in r.check_digits if c.name == "document_number")
    assert doc.computed == "?" and not doc.ok
