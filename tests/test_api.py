"""The public API: a curated set of names, typed, documented, and results that serialise to JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

import docverify

SAMPLE_IMAGE = Path(__file__).resolve().parents[1] / "samples" / "images" / "td3_flatbed.jpg"

PUBLIC = {
    "SCHEMA_VERSION",
    "Alternatives",
    "Category",
    "CheckDigit",
    "Correction",
    "DependencyError",
    "DocverifyError",
    "ExitCode",
    "Finding",
    "InputError",
    "InputTooLargeError",
    "Limits",
    "MRZFields",
    "MRZFormat",
    "MRZFormatError",
    "MRZResult",
    "RepairConfig",
    "Report",
    "Severity",
    "Span",
    "Verdict",
    "Verifier",
    "VerifierConfig",
    "__version__",
    "decide_verdict",
    "read_mrz",
    "verify",
}


def test_public_names_are_exactly_the_curated_set() -> None:
    assert set(docverify.__all__) == PUBLIC
    for name in PUBLIC:
        assert hasattr(docverify, name), name


def test_package_is_typed_and_versioned() -> None:
    root = Path(docverify.__file__).parent
    assert (root / "py.typed").exists()
    assert docverify.__version__.count(".") == 2


def test_exception_tree() -> None:
    assert issubclass(docverify.InputError, docverify.DocverifyError)
    assert issubclass(docverify.InputTooLargeError, docverify.InputError)
    assert issubclass(docverify.MRZFormatError, docverify.InputError)
    assert issubclass(docverify.DependencyError, docverify.DocverifyError)
    assert not issubclass(docverify.DependencyError, docverify.InputError)


def test_results_are_frozen_and_json_serialisable() -> None:
    r = docverify.read_mrz(
        ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"],
        reference_date=dt.date(2010, 1, 1),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.valid = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.findings[0].code = "x"  # type: ignore[misc]
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["schema_version"] == docverify.SCHEMA_VERSION
    assert doc["format"] == "TD1"
    assert doc["fields"]["birth_date"] == "1974-08-12"
    # dataclasses.replace still works with the fast __init__
    assert dataclasses.replace(r.fields, surname="X").surname == "X"


def test_a_report_is_immutable_all_through() -> None:
    """Its provenance too: the engine's models, limits and checks are tuples (objects and lists in the JSON)."""
    report = docverify.verify(SAMPLE_IMAGE, reference_date=dt.date(2026, 1, 1))
    assert isinstance(hash(report), int)
    engine = dict(report.engine)
    assert all(isinstance(engine[k], tuple) for k in ("models", "limits", "checks"))
    doc = report.to_dict()["engine"]
    assert (
        isinstance(doc["models"], dict) and isinstance(doc["limits"], dict) and doc["checks"] == list(engine["checks"])
    )


def test_wrong_argument_types_are_refused_where_they_are_given() -> None:
    """A wrong type is a TypeError (a bad value a ValueError) at the call or the config's construction, with a
    message naming what is expected; a datetime counts as its day."""
    text = (Path(__file__).resolve().parents[1] / "samples" / "mrz" / "td3_utopia.txt").read_text()
    assert docverify.read_mrz(text, reference_date=dt.datetime(2024, 1, 1, 15, 30)).reference_date == dt.date(
        2024, 1, 1
    )
    lines_given = (line for line in text.split())  # any iterable of lines, read once: a generator, a file
    assert docverify.read_mrz(lines_given).lines == docverify.read_mrz(text).lines
    config = docverify.VerifierConfig(reference_date=dt.datetime(2026, 1, 1, 8, 0))
    assert config.reference_date == dt.date(2026, 1, 1) and type(config.reference_date) is dt.date
    for call in (
        lambda: docverify.read_mrz(text.encode()),  # type: ignore[arg-type]
        lambda: docverify.read_mrz(None),  # type: ignore[arg-type]
        lambda: docverify.read_mrz(text, reference_date="2024-01-01"),  # type: ignore[arg-type]
        lambda: docverify.read_mrz(text, config="x"),  # type: ignore[arg-type]
        lambda: docverify.VerifierConfig(limits="x"),  # type: ignore[arg-type]
        lambda: docverify.VerifierConfig(mrz_only="no"),  # type: ignore[arg-type]
        lambda: docverify.Verifier(config={}),  # type: ignore[arg-type]
        lambda: docverify.Verifier(ocr="tesseract"),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError, match="must be"):
            call()
    for day in (dt.date(9999, 12, 31), dt.date(1, 1, 1), dt.date(1899, 12, 31)):  # no century to resolve into
        with pytest.raises(ValueError, match="years 1900"):
            docverify.read_mrz(text, reference_date=day)
    lines = text.split()
    for bad in (float("nan"), -0.1, 1.5, "0.9"):
        alternatives = [[[(c, bad)] for c in line] for line in lines]
        with pytest.raises(ValueError, match="alternatives"):
            docverify.read_mrz(lines, alternatives=alternatives)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alternatives"):
        docverify.read_mrz(lines, alternatives=[[[("LL", 0.9)] for _ in line] for line in lines])


def test_exit_codes_are_ordered_worst_last() -> None:
    from docverify.exitcodes import worst

    codes = docverify.ExitCode
    assert [int(c) for c in codes] == [0, 1, 2, 3, 4, 5]
    assert worst([codes.OK, codes.INVALID, codes.REVIEW]) is codes.INVALID
    assert worst([]) is codes.OK


def test_importing_does_no_work() -> None:
    """No model, no country database, no file is loaded at import time."""
    import subprocess
    import sys

    code = (
        "import sys, docverify; "
        "assert 'pycountry' not in sys.modules, 'pycountry imported eagerly'; "
        "assert 'onnxruntime' not in sys.modules and 'cv2' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
