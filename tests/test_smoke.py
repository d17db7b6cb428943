import datetime as dt

from docverify import read_mrz


def test_icao_td3_specimen_reads_valid() -> None:
    r = read_mrz(
        ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"],
        reference_date=dt.date(2010, 1, 1),
    )
    assert r.valid
    assert r.fields.document_number == "L898902C3"
