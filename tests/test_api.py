"""The public API: a curated set of names, typed, documented, and results that serialise to JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

import docverify

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
