"""MRZ ↔ visual-zone cross-check: the matching rules on words, and end to end on generated documents
(a genuine page and its twin with the MRZ changed and check digits recomputed)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

import pytest

from docverify import read_mrz
from docverify.pipeline import Verifier, VerifierConfig
from docverify.synth import generate
from docverify.viz import Word, compare, dates_in, find_cost, findings_for, fold, name_found

REF = dt.date(2026, 1, 1)
TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


def words(text: str, confidence: float = 95.0) -> list[Word]:
    return [Word(t, confidence, (0, 0, 1, 1)) for t in text.split()]


def test_dates_in_any_common_spelling() -> None:
    for text in ("12 AUG 1974", "12.08.1974", "1974-08-12", "12/08/74", "12 AOÛT/AUG 74", "12 JUL 1974"):
        found = dates_in(fold(text))
        assert (12, 8, 74) in found or (text == "12 JUL 1974" and (12, 7, 74) in found), text
    assert (12, 7, 74) in dates_in("12 JUT 1974")  # one misread letter: June or July
    assert dates_in("L898902C3 1974") == set()  # numbers without separators are not dates


def test_find_cost_forgives_ocr_slips_not_changes() -> None:
    assert find_cost("L898902C3", "NOL898902C3X") == 0
    assert find_cost("L898902C3", "L8989O2C3") < 1  # O for 0: an OCR slip
    assert find_cost("L898902C3", "L898912C3") >= 1  # 0 → 1 is a different number
    assert find_cost("ERIKSSON", "ERIKSSON") == 0


def test_name_rules() -> None:
    letters = [("ERIKSSON", 95.0), ("ANNA", 95.0), ("MARIA", 95.0)]
    assert name_found("ERIKSSON", letters) is True
    assert name_found("ANNA MARIA", letters) is True
    assert name_found("ERIKSSAN", letters) is False  # printed clearly, and one letter different
    assert name_found("ANNA BEATRIX", letters) is False  # the name was read, one long word is not printed
    assert name_found("ERIKSSAN", [("ERIKSSON", 40.0)]) is None  # a blurry word may be a misread
    assert name_found("JO", [("X", 95.0)]) is None  # short words are often missed by OCR
    assert name_found("", letters) is None


def test_either_allowed_transliteration_matches_the_printed_name() -> None:
    """ICAO9303.md: Ü → UE or U (and Ä, Ö alike); "the VIZ/MRZ comparison must accept any of the allowed
    spellings": an MRZ that writes MÜLLER as MULLER or as MUELLER agrees with the printed MÜLLER."""
    for surname in ("MULLER", "MUELLER"):
        line1 = f"P<UTO{surname}<<ANNA<MARIA".ljust(44, "<")
        mrz = read_mrz([line1, TD3[1]], reference_date=dt.date(2010, 1, 1))
        printed = words("PASSPORT UTOPIA MÜLLER ANNA MARIA 12 AUG 1974 15 APR 2012 L898902C3")
        assert compare(mrz, printed)["surname"] is True, surname
        assert findings_for(compare(mrz, printed), {}) == ()
    mrz = read_mrz(["P<UTOSCHONBACHLER<<ANNA".ljust(44, "<"), TD3[1]], reference_date=dt.date(2010, 1, 1))
    assert compare(mrz, words("SCHÖNBÄCHLER ANNA 12 AUG 1974 15 APR 2012 L898902C3"))["surname"] is True
    mrz = read_mrz(["P<UTOMALLER<<ANNA".ljust(44, "<"), TD3[1]], reference_date=dt.date(2010, 1, 1))
    assert compare(mrz, words("MÜLLER ANNA 12 AUG 1974 15 APR 2012 L898902C3"))["surname"] is False


def test_compare_and_findings() -> None:
    mrz = read_mrz(TD3, reference_date=dt.date(2010, 1, 1))
    same = words("PASSPORT UTOPIA ERIKSSON ANNA MARIA 12 AUG 1974 15 APR 2012 L898902C3")
    assert all(v for v in compare(mrz, same).values())
    assert findings_for(compare(mrz, same), {}) == ()
    changed = words("PASSPORT UTOPIA ERIKSSON ANNA MARIA 21 AUG 1974 15 APR 2012 L898902C3")
    result = compare(mrz, changed)
    assert result["birth_date"] is False and result["expiry_date"] is True
    [finding] = findings_for(result, {})
    assert finding.code == "viz.mismatch.birth_date" and finding.severity.value == "warning"
    assert finding.category.value == "authenticity"
    unsure = words("PASSPORT UTOPIA ERIKSSON ANNA MARIA 2I AUG I974 15 APR 2012 L898902C3", confidence=40)
    assert compare(mrz, unsure)["birth_date"] is None  # a garbled date is not evidence of another
    nothing = words("@@ ## !!")
    assert [f.code for f in findings_for(compare(mrz, nothing), {})] == ["viz.not_compared"]


@pytest.mark.parametrize("reader", ["model", "tesseract"])
def test_recomputed_mrz_is_caught_and_its_genuine_twin_passes(
    tmp_path: Path, reader: Literal["model", "tesseract"]
) -> None:
    verifier = Verifier(config=VerifierConfig(reference_date=REF, cross_check_viz=True, viz_reader=reader))
    genuine = generate(tmp_path / "g", 3, seed=31, conditions=["flatbed"])
    forged = generate(tmp_path / "f", 3, seed=31, conditions=["flatbed"], forgeries=["mrz.recomputed"])
    truth = [json.loads(line) for line in (tmp_path / "f" / "ground_truth.jsonl").read_text().splitlines()]
    flagged = 0
    for g, f, t in zip(genuine, forged, truth, strict=True):
        clean = verifier.verify(g)
        assert not [x for x in clean.findings if x.code.startswith("viz.mismatch")], g.name
        report = verifier.verify(f)
        assert report.mrz is not None and list(report.mrz.lines) == t["mrz_lines"]
        hits = [x for x in report.findings if x.code.startswith("viz.mismatch")]
        if hits:
            flagged += 1
            assert all(x.box for x in hits)  # each is boxed (the printed line; with tesseract, the MRZ characters)
            assert report.verdict.value == "review"
    assert flagged >= 2


def test_retyped_visual_zone_is_caught_by_the_line_reader(tmp_path: Path) -> None:
    """A visual-zone value painted over and retyped (MRZ unchanged): the warning's box is on the printed
    line, the report names the reader, and the message carries no personal data."""
    verifier = Verifier(config=VerifierConfig(reference_date=REF, cross_check_viz=True))
    forged = generate(tmp_path / "v", 8, seed=41, conditions=["flatbed"], forgeries=["viz.altered"])
    truth = [json.loads(line) for line in (tmp_path / "v" / "ground_truth.jsonl").read_text().splitlines()]
    flagged = 0
    for path, t in zip(forged, truth, strict=True):
        report = verifier.verify(path)
        assert dict(report.engine)["viz_reader"] == "model"
        hits = [x for x in report.findings if x.code.startswith("viz.mismatch")]
        flagged += bool(hits)
        for hit in hits:
            assert len(hit.box) == 4 and hit.evidence and float(dict(hit.evidence)["nats"]) > 0
            params = t["forgeries"][0]["params"]
            assert str(params["old"]) not in hit.message and str(params["new"]) not in hit.message
    assert flagged >= 5, flagged  # 85 % on the calibration split (benchmarks/RESULTS.md)
