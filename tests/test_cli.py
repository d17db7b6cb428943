"""End-to-end tests of the ``docverify mrz`` command: input modes, JSON schema, exit codes, bad input.

Most tests drive the click group in process with :class:`click.testing.CliRunner`; a few run the real
program (``python -m docverify`` and the ``docverify`` console script of the venv) in a subprocess, to
cover real pipes, a terminal on standard input and the console-script entry point.

Regression tests for defects found in review sit at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import docverify
from docverify.cli import main
from docverify.exitcodes import ExitCode
from docverify.mrz.generate import build_mrz, random_mrz_data
from docverify.results import MRZFormat, Severity

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples" / "mrz"
CONSOLE_SCRIPT = Path(sys.executable).parent / "docverify"

# The ICAO 9303 TD3 specimen (state UTO: a specimen, so it is valid with a warning).
ICAO_L1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
ICAO_L2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
ICAO = (ICAO_L1, ICAO_L2)
BEFORE_EXPIRY = "2010-01-01"  # the specimen expires 2012-04-15
AFTER_EXPIRY = "2020-01-01"
NOISY_L2 = "L8989O2C36UT07408I22F12O4159ZE184226B<<<<<1O"  # samples/mrz/td3_ocr_noisy.txt, line 2

GEN_REFERENCE = dt.date(2024, 1, 1)
TD3_CHECK_DIGITS = {  # name -> column on line 2
    "document_number": 9,
    "birth_date": 19,
    "expiry_date": 27,
    "optional_data": 42,
    "composite": 43,
}

# No colour or terminal tricks from rich, whatever the environment of the test run.
ENV: dict[str, str | None] = {"NO_COLOR": "1", "FORCE_COLOR": None, "TERM": "dumb", "COLUMNS": "200"}

FINDING_KEYS = {"code", "severity", "category", "message", "stage", "spans", "evidence", "box"}
CHECK_DIGIT_KEYS = {"name", "printed", "computed", "ok", "position", "covers"}
CORRECTION_KEYS = {"line", "column", "from", "to", "reason", "verified", "forced", "clear", "doubtful"}
FIELD_KEYS = {
    "document_code",
    "issuing_state",
    "document_number",
    "surname",
    "given_names",
    "nationality",
    "birth_date",
    "birth_date_raw",
    "sex",
    "expiry_date",
    "expiry_date_raw",
    "optional_data",
    "optional_data_2",
    "names_truncated",
    "extra",
}
TOP_KEYS = {
    "schema_version",
    "format",
    "valid",
    "lines",
    "input_lines",
    "repaired",
    "reference_date",
    "fields",
    "check_digits",
    "corrections",
    "findings",
}


# --- helpers ------------------------------------------------------------------------------------------


def invoke(args: Sequence[str], stdin: str | bytes | None = None) -> Result:
    """``docverify <args>`` in process; checks that no exception escaped other than ``SystemExit``."""
    result = CliRunner(env=ENV).invoke(main, list(args), input=stdin, prog_name="docverify")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr
    return result


def mrz(*args: str, stdin: str | bytes | None = None) -> Result:
    return invoke(["mrz", *args], stdin)


def mrz_json(*args: str, stdin: str | bytes | None = None) -> tuple[int, dict[str, Any]]:
    result = mrz("--json", *args, stdin=stdin)
    doc = json.loads(result.stdout)
    assert isinstance(doc, dict)
    return result.exit_code, doc


def run_real(
    args: Sequence[str], data: bytes = b"", *, script: bool = False, stdin_fd: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real program in a subprocess: the console script or ``python -m docverify``.

    Standard input is a pipe carrying ``data``, or the file descriptor ``stdin_fd`` when given.
    """
    cmd = [str(CONSOLE_SCRIPT)] if script else [sys.executable, "-m", "docverify"]
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    env.update({k: v for k, v in ENV.items() if v is not None})
    stdin_kw: dict[str, Any] = {"input": data} if stdin_fd is None else {"stdin": stdin_fd}
    proc = subprocess.run([*cmd, *args], capture_output=True, env=env, cwd=REPO, timeout=60, check=False, **stdin_kw)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    return proc


def assert_input_error(result: Result, fragment: str) -> str:
    """Exit 3 with one ``docverify: error: ...`` line on stderr containing ``fragment``; nothing on stdout."""
    assert result.exit_code == ExitCode.UNREADABLE, (result.exit_code, result.output)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("docverify: error: ")
    assert fragment in lines[0]
    return lines[0].removeprefix("docverify: error: ")


class _AnyStr:
    """Equal to any non-empty string (for comparing whole JSON objects with a free-text message)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(other)

    def __hash__(self) -> int:
        return 0


ANY_STR: Any = _AnyStr()


def codes(doc: Mapping[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


@cache
def generated_td3(worst: Severity | None) -> tuple[str, str]:
    """A random fictitious, valid TD3 (not a specimen) whose worst finding on GEN_REFERENCE is ``worst``."""
    for seed in range(200):
        data = random_mrz_data(random.Random(seed), MRZFormat.TD3, reference=GEN_REFERENCE)
        if data.issuing_state == "UTO" or data.nationality == "UTO":
            continue
        lines = build_mrz(data)
        result = docverify.read_mrz(list(lines), reference_date=GEN_REFERENCE)
        if result.valid and result.worst_severity is worst and not result.repaired:
            assert len(lines) == 2
            return lines[0], lines[1]
    raise AssertionError(f"no generated TD3 with worst severity {worst}")  # pragma: no cover


def with_char(line: str, column: int, char: str) -> str:
    return line[:column] + char + line[column + 1 :]


def spoofed_td3() -> tuple[str, str, int]:
    """The clean generated TD3 with one Latin A or O in its name replaced by its Cyrillic look-alike."""
    line1, line2 = generated_td3(None)
    column = next((i for i, ch in enumerate(line1) if ch in "AO" and i >= 5), None)
    assert column is not None, f"no A or O in the name of {line1}"
    cyrillic = "\u0410" if line1[column] == "A" else "\u041e"
    return with_char(line1, column, cyrillic), line2, column


# --- input modes ------------------------------------------------------------------------------------------


def test_lines_as_arguments_text_output() -> None:
    result = mrz("--reference-date", BEFORE_EXPIRY, *ICAO)
    assert result.exit_code == ExitCode.REVIEW
    out = result.stdout
    assert "MRZ TD3" in out
    assert "VALID, with warnings" in out
    assert "reference date 2010-01-01" in out
    assert ICAO_L1 in out and ICAO_L2 in out
    assert "L898902C3" in out
    assert "1974-08-12" in out and "2012-04-15" in out
    assert "mrz.specimen" in out
    assert "MISMATCH" not in out
    assert result.stderr == ""


def test_all_input_modes_give_the_same_result(tmp_path: Path) -> None:
    text = "\n".join(ICAO) + "\n"
    path = tmp_path / "mrz.txt"
    path.write_text(text, encoding="utf-8")
    ref = ("--reference-date", BEFORE_EXPIRY)
    outcomes = {
        "args": mrz_json(*ref, *ICAO),
        "one arg with a newline": mrz_json(*ref, "\n".join(ICAO)),
        "--file PATH": mrz_json(*ref, "--file", str(path)),
        "-f PATH": mrz_json(*ref, "-f", str(path)),
        "--file -": mrz_json(*ref, "--file", "-", stdin=text),
        "stdin": mrz_json(*ref, stdin=text),
        "stdin bytes": mrz_json(*ref, stdin=text.encode()),
    }
    expected = outcomes["args"]
    assert expected[0] == ExitCode.REVIEW
    assert expected[1]["format"] == "TD3"
    assert expected[1]["lines"] == list(ICAO)
    for how, outcome in outcomes.items():
        assert outcome == expected, how


def test_crlf_and_surrounding_blank_lines_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"\r\n\r\n  " + ICAO_L1.encode() + b"  \r\n" + ICAO_L2.encode() + b"\r\n\r\n")
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, "--file", str(path))
    assert code == ExitCode.REVIEW
    assert doc["lines"] == list(ICAO)
    assert doc["valid"] is True


EXPECTED_SAMPLES = {
    "td3_utopia.txt": ("TD3", False),
    "td3_ocr_noisy.txt": ("TD3", True),
    "td2_utopia.txt": ("TD2", False),
    "td1_utopia.txt": ("TD1", False),
    "mrva_utopia.txt": ("MRV-A", False),
    "mrvb_utopia.txt": ("MRV-B", False),
}


def test_every_bundled_sample_is_covered() -> None:
    assert sorted(p.name for p in SAMPLES.glob("*.txt")) == sorted(EXPECTED_SAMPLES)


@pytest.mark.parametrize("name", sorted(EXPECTED_SAMPLES))
def test_bundled_samples(name: str) -> None:
    fmt, repaired = EXPECTED_SAMPLES[name]
    path = SAMPLES / name
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, "--file", str(path))
    # All samples are UTO specimens: valid, with the specimen warning.
    assert code == ExitCode.REVIEW
    assert doc["format"] == fmt
    assert doc["valid"] is True
    assert doc["repaired"] is repaired
    assert "mrz.specimen" in codes(doc)
    assert all(c["ok"] for c in doc["check_digits"])
    assert doc["fields"]["surname"] == "ERIKSSON"
    assert doc["fields"]["given_names"] == "ANNA MARIA"
    # The same file through standard input, in text mode.
    piped = mrz("--reference-date", BEFORE_EXPIRY, stdin=path.read_bytes())
    assert piped.exit_code == ExitCode.REVIEW
    assert f"MRZ {fmt}" in piped.stdout
    assert "VALID, with warnings" in piped.stdout


def test_td1_fields_from_sample() -> None:
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, "--file", str(SAMPLES / "td1_utopia.txt"))
    assert code == ExitCode.REVIEW
    f = doc["fields"]
    assert (f["document_code"], f["issuing_state"], f["document_number"]) == ("I", "UTO", "D23145890")
    assert (f["birth_date"], f["expiry_date"], f["sex"]) == ("1974-08-12", "2012-04-15", "F")
    assert len(doc["lines"]) == 3 and all(len(line) == 30 for line in doc["lines"])


# --- JSON schema ---------------------------------------------------------------------------------------


def test_json_schema_icao_td3() -> None:
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, *ICAO)
    assert code == ExitCode.REVIEW
    assert set(doc) == TOP_KEYS
    assert next(iter(doc)) == "schema_version"
    assert doc["schema_version"] == docverify.SCHEMA_VERSION == "1.0"
    assert doc["format"] == "TD3"
    assert doc["valid"] is True
    assert doc["lines"] == list(ICAO)
    assert doc["input_lines"] == list(ICAO)
    assert doc["repaired"] is False
    assert doc["reference_date"] == "2010-01-01"
    assert doc["corrections"] == []

    fields = doc["fields"]
    assert set(fields) == FIELD_KEYS
    assert fields == {
        "document_code": "P",
        "issuing_state": "UTO",
        "document_number": "L898902C3",
        "surname": "ERIKSSON",
        "given_names": "ANNA MARIA",
        "nationality": "UTO",
        "birth_date": "1974-08-12",
        "birth_date_raw": "740812",
        "sex": "F",
        "expiry_date": "2012-04-15",
        "expiry_date_raw": "120415",
        "optional_data": "ZE184226B",
        "optional_data_2": None,
        "names_truncated": False,
        "extra": {},
    }


def test_json_check_digits_icao_td3() -> None:
    _, doc = mrz_json("--reference-date", BEFORE_EXPIRY, *ICAO)
    checks = {c["name"]: c for c in doc["check_digits"]}
    assert set(checks) == set(TD3_CHECK_DIGITS)
    for name, column in TD3_CHECK_DIGITS.items():
        c = checks[name]
        assert set(c) == CHECK_DIGIT_KEYS
        assert c["ok"] is True
        assert c["printed"] == c["computed"] == ICAO_L2[column]
        assert c["position"] == {"line": 1, "start": column, "end": column + 1}
        assert c["covers"], name
        for span in c["covers"]:
            assert set(span) == {"line", "start", "end"}
            assert 0 <= span["start"] < span["end"] <= 44
            assert not span["start"] <= column < span["end"]  # a check digit never covers itself
    assert checks["document_number"]["covers"] == [{"line": 1, "start": 0, "end": 9}]
    assert checks["birth_date"]["covers"] == [{"line": 1, "start": 13, "end": 19}]
    assert checks["expiry_date"]["covers"] == [{"line": 1, "start": 21, "end": 27}]


def test_json_findings_shape() -> None:
    _, doc = mrz_json("--reference-date", AFTER_EXPIRY, *ICAO)
    assert doc["findings"]
    for f in doc["findings"]:
        assert set(f) == FINDING_KEYS
        assert f["severity"] in {"info", "warning", "error"}
        assert f["category"] in {"integrity", "validity", "authenticity", "quality"}
        assert isinstance(f["message"], str) and f["message"]
        assert isinstance(f["stage"], str) and f["stage"]
        assert isinstance(f["spans"], list)
        for span in f["spans"]:
            assert set(span) == {"line", "start", "end"}
        assert isinstance(f["evidence"], dict)
    by_code = {f["code"]: f for f in doc["findings"]}
    expired = by_code["mrz.validity.expired"]
    assert expired["severity"] == "warning"
    assert expired["category"] == "validity"
    assert expired["spans"] == [{"line": 1, "start": 21, "end": 27}]
    assert expired["evidence"] == {"expiry": "2012-04-15", "reference_date": "2020-01-01"}
    assert "2012-04-15" in expired["message"]
    assert by_code["mrz.specimen"]["severity"] == "warning"


def test_json_output_is_one_line_and_keeps_non_ascii() -> None:
    cyrillic_o = "\u041e"
    result = mrz("--json", "--no-repair", "--reference-date", BEFORE_EXPIRY, ICAO_L1, ICAO_L2)
    assert result.stdout.count("\n") == 1
    line1 = with_char(ICAO_L1, 4, cyrillic_o)
    result = mrz("--json", "--no-repair", "--reference-date", BEFORE_EXPIRY, line1, ICAO_L2)
    assert result.exit_code == ExitCode.INVALID
    assert json.loads(result.stdout)["input_lines"][0] == line1


# --- reference date ---------------------------------------------------------------------------------


def test_reference_date_decides_expiry() -> None:
    code, before = mrz_json("--reference-date", BEFORE_EXPIRY, *ICAO)
    assert code == ExitCode.REVIEW
    assert "mrz.validity.expired" not in codes(before)
    code, after = mrz_json("--reference-date", AFTER_EXPIRY, *ICAO)
    assert code == ExitCode.REVIEW
    assert "mrz.validity.expired" in codes(after)
    assert after["reference_date"] == "2020-01-01"
    # Day granularity: valid on the expiry date, expired the day after.
    _, on_day = mrz_json("--reference-date", "2012-04-15", *ICAO)
    _, day_after = mrz_json("--reference-date", "2012-04-16", *ICAO)
    assert "mrz.validity.expired" not in codes(on_day)
    assert "mrz.validity.expired" in codes(day_after)


def test_reference_date_defaults_to_today() -> None:
    before = dt.date.today().isoformat()
    _, doc = mrz_json(*ICAO)
    after = dt.date.today().isoformat()
    assert doc["reference_date"] in {before, after}
    assert "mrz.validity.expired" in codes(doc)  # the specimen expired in 2012


def test_reference_date_in_text_output() -> None:
    result = mrz("--reference-date", AFTER_EXPIRY, *ICAO)
    assert "reference date 2020-01-01" in result.stdout
    assert "mrz.validity.expired" in result.stdout
    assert "2012-04-15" in result.stdout


@pytest.mark.parametrize("value", ["2024-13-01", "yesterday", "2023-02-29", "", "01/02/2024", "2024-01-01x"])
def test_malformed_reference_date_is_a_usage_error(value: str) -> None:
    result = mrz("--reference-date", value, *ICAO)
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert "--reference-date" in result.stderr
    assert repr(value) in result.stderr or value in result.stderr
    assert isinstance(result.exception, SystemExit)


def test_malformed_reference_date_with_json_is_still_a_usage_error() -> None:
    result = mrz("--json", "--reference-date", "yesterday", *ICAO)
    assert result.exit_code == ExitCode.USAGE
    assert "--reference-date" in result.stderr


# --- repair -------------------------------------------------------------------------------------------


def test_noisy_sample_needs_repair() -> None:
    path = str(SAMPLES / "td3_ocr_noisy.txt")
    code, raw = mrz_json("--no-repair", "--reference-date", BEFORE_EXPIRY, "--file", path)
    assert code == ExitCode.INVALID
    assert raw["valid"] is False
    assert raw["repaired"] is False
    assert raw["corrections"] == []
    assert raw["lines"] == raw["input_lines"] == [ICAO_L1, NOISY_L2]
    raw_codes = codes(raw)
    assert "mrz.check_digit.document_number" in raw_codes
    assert "mrz.check_digit.composite" in raw_codes
    assert not any(c.startswith("mrz.repair.") for c in raw_codes)
    assert any(not c["ok"] for c in raw["check_digits"])

    code, fixed = mrz_json("--reference-date", BEFORE_EXPIRY, "--file", path)
    assert code == ExitCode.REVIEW
    assert fixed["valid"] is True
    assert fixed["repaired"] is True
    assert fixed["lines"] == list(ICAO)
    assert fixed["input_lines"] == [ICAO_L1, NOISY_L2]
    assert all(c["ok"] for c in fixed["check_digits"])
    corrections = fixed["corrections"]
    for c in corrections:
        assert set(c) == CORRECTION_KEYS
        assert NOISY_L2[c["column"]] == c["from"] and c["line"] == 1
        assert ICAO_L2[c["column"]] == c["to"]
    changed = {(c["line"], c["column"], c["from"], c["to"]) for c in corrections}
    assert changed == {
        (1, 5, "O", "0"),
        (1, 12, "0", "O"),
        (1, 17, "I", "1"),
        (1, 23, "O", "0"),
        (1, 43, "O", "0"),
    }
    verified = {c["column"]: c["verified"] for c in corrections}
    assert verified[5] is True and verified[12] is False
    assert codes(fixed).count("mrz.repair.corrected") == len(corrections)


def test_noisy_sample_text_output_shows_repaired_lines() -> None:
    result = mrz("--reference-date", BEFORE_EXPIRY, "--file", str(SAMPLES / "td3_ocr_noisy.txt"))
    assert result.exit_code == ExitCode.REVIEW
    assert ICAO_L2 in result.stdout
    assert "mrz.repair.corrected" in result.stdout
    raw = mrz("--no-repair", "--reference-date", BEFORE_EXPIRY, "--file", str(SAMPLES / "td3_ocr_noisy.txt"))
    assert raw.exit_code == ExitCode.INVALID
    assert "INVALID" in raw.stdout
    assert "MISMATCH" in raw.stdout
    assert NOISY_L2 in raw.stdout


def test_lower_case_is_folded_with_repair() -> None:
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, ICAO_L1.lower(), ICAO_L2.lower())
    assert code == ExitCode.REVIEW
    assert doc["valid"] is True
    assert doc["repaired"] is True
    assert doc["lines"] == list(ICAO)
    assert doc["fields"]["surname"] == "ERIKSSON"
    lower = [ch for line in ICAO for ch in line if ch.isalpha()]
    assert len(doc["corrections"]) == len(lower)
    assert all(c["reason"] == "lower case" and c["to"] == c["from"].upper() for c in doc["corrections"])
    assert {
        "line": 0,
        "column": 0,
        "from": "p",
        "to": "P",
        "reason": "lower case",
        "verified": False,
        "forced": True,
        "clear": False,
        "doubtful": False,
    } in (doc["corrections"])


def test_lower_case_without_repair_is_invalid() -> None:
    code, doc = mrz_json("--no-repair", "--reference-date", BEFORE_EXPIRY, ICAO_L1.lower(), ICAO_L2.lower())
    assert code == ExitCode.INVALID
    assert doc["valid"] is False
    assert doc["repaired"] is False
    assert doc["corrections"] == []
    assert doc["lines"] == [ICAO_L1.lower(), ICAO_L2.lower()]
    charset = next(f for f in doc["findings"] if f["code"] == "mrz.charset.illegal")
    assert charset["severity"] == "error"
    assert {"line": 0, "start": 0, "end": 1} in charset["spans"]


CYRILLIC_A, CYRILLIC_O = "\u0410", "\u041e"
CYRILLIC_L1 = with_char(with_char(ICAO_L1, 4, CYRILLIC_O), 15, CYRILLIC_A)  # UT[O] and [A]NNA


def test_cyrillic_look_alikes_are_repaired() -> None:
    assert CYRILLIC_L1 != ICAO_L1 and CYRILLIC_L1.upper() != ICAO_L1
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, CYRILLIC_L1, ICAO_L2)
    assert code == ExitCode.REVIEW
    assert doc["valid"] is True
    assert doc["repaired"] is True
    assert doc["lines"] == list(ICAO)
    assert doc["fields"]["issuing_state"] == "UTO"
    changes = {(c["line"], c["column"], c["from"], c["to"]) for c in doc["corrections"]}
    assert changes == {(0, 4, CYRILLIC_O, "O"), (0, 15, CYRILLIC_A, "A")}
    assert all("look-alike" in c["reason"] for c in doc["corrections"])
    assert all(c["verified"] is False for c in doc["corrections"])
    warnings = [f for f in doc["findings"] if f["code"] == "mrz.repair.corrected"]
    assert len(warnings) == 2 and all(f["severity"] == "warning" for f in warnings)


def test_cyrillic_look_alikes_without_repair_are_invalid() -> None:
    code, doc = mrz_json("--no-repair", "--reference-date", BEFORE_EXPIRY, CYRILLIC_L1, ICAO_L2)
    assert code == ExitCode.INVALID
    assert doc["valid"] is False
    assert doc["lines"][0] == CYRILLIC_L1
    assert "mrz.charset.illegal" in codes(doc)
    assert doc["corrections"] == []


def test_cyrillic_look_alikes_change_a_clean_document_from_0_to_1() -> None:
    line1, line2 = generated_td3(None)
    assert mrz("--reference-date", GEN_REFERENCE.isoformat(), line1, line2).exit_code == ExitCode.OK
    spoofed, _, column = spoofed_td3()
    code, doc = mrz_json("--reference-date", GEN_REFERENCE.isoformat(), spoofed, line2)
    assert code == ExitCode.REVIEW
    assert [c["column"] for c in doc["corrections"]] == [column]


def test_whitespace_inside_lines_is_removed_with_a_note() -> None:
    spaced = ICAO_L1[:10] + " " + ICAO_L1[10:20] + "\u00a0" + ICAO_L1[20:]
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, spaced, ICAO_L2)
    assert code == ExitCode.REVIEW
    assert doc["lines"] == list(ICAO)
    assert "mrz.input.whitespace" in codes(doc)


def test_text_that_looks_like_markup_is_printed_as_it_is() -> None:
    """The readable table is drawn with rich, whose markup ('[red]', '[/]') must not apply to document text:
    '[/]' in a name raised rich's MarkupError (a traceback) and '[red]' coloured the rest."""
    for odd in ("[/]", "[red]", "[bold"):
        line1 = (ICAO_L1[:5] + odd + ICAO_L1[5 + len(odd) :])[:44]
        result = mrz("--no-repair", "--reference-date", BEFORE_EXPIRY, line1, ICAO_L2)
        assert result.exit_code == ExitCode.INVALID, result.output
        assert odd + ICAO_L1[5 + len(odd) : 13] in result.output


def test_bytes_that_are_not_utf8_give_valid_json() -> None:
    """A byte of the command line that is not UTF-8 reaches Python as half a surrogate pair; it is read as
    U+FFFD, reported as an illegal character, and the JSON written is valid UTF-8."""
    proc = run_real(["mrz", "--json", "--reference-date", BEFORE_EXPIRY, ICAO_L1[:5] + "\udcff" + ICAO_L1[6:], ICAO_L2])
    doc = json.loads(proc.stdout.decode("utf-8"))  # strict: raises on bytes that are not UTF-8
    assert proc.returncode == ExitCode.INVALID and doc["valid"] is False
    assert doc["input_lines"][0][5] == "\ufffd"
    assert "mrz.charset.illegal" in codes(doc)


def test_extra_lines_are_ignored_with_a_note() -> None:
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, stdin="Passport scan, page 2\n" + "\n".join(ICAO))
    assert code == ExitCode.REVIEW
    assert doc["lines"] == list(ICAO)
    assert "mrz.input.extra_lines" in codes(doc)


def test_missing_filler_is_repaired_with_a_warning_but_not_without_repair() -> None:
    short_l2 = ICAO_L2.replace("<<<<<10", "<<<<10")
    assert len(short_l2) == 43
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, ICAO_L1, short_l2)
    assert code == ExitCode.REVIEW
    assert doc["lines"] == list(ICAO)
    finding = next(f for f in doc["findings"] if f["code"] == "mrz.input.length_repaired")
    assert finding["severity"] == "warning"
    result = mrz("--no-repair", "--reference-date", BEFORE_EXPIRY, ICAO_L1, short_l2)
    assert_input_error(result, "not an MRZ: got 2 lines of 44 and 43 characters")


# --- exit codes -----------------------------------------------------------------------------------------


def test_exit_0_for_a_valid_document_without_findings() -> None:
    line1, line2 = generated_td3(None)
    result = mrz("--reference-date", GEN_REFERENCE.isoformat(), line1, line2)
    assert result.exit_code == 0 and int(ExitCode.OK) == 0
    assert result.exception is None
    assert "VALID" in result.stdout and "warnings" not in result.stdout and "INVALID" not in result.stdout
    code, doc = mrz_json("--reference-date", GEN_REFERENCE.isoformat(), line1, line2)
    assert code == 0
    assert doc["valid"] is True
    assert doc["findings"] == []
    assert doc["fields"]["issuing_state"] != "UTO"


def test_exit_0_with_info_findings_only() -> None:
    line1, line2 = generated_td3(Severity.INFO)
    code, doc = mrz_json("--reference-date", GEN_REFERENCE.isoformat(), line1, line2)
    assert code == ExitCode.OK
    assert doc["findings"]
    assert {f["severity"] for f in doc["findings"]} == {"info"}


def test_exit_1_for_an_expired_document_that_is_not_a_specimen() -> None:
    line1, line2 = generated_td3(None)
    _, doc = mrz_json("--reference-date", GEN_REFERENCE.isoformat(), line1, line2)
    expiry = dt.date.fromisoformat(doc["fields"]["expiry_date"])
    later = (expiry + dt.timedelta(days=1)).isoformat()
    code, expired = mrz_json("--reference-date", later, line1, line2)
    assert code == ExitCode.REVIEW
    assert expired["valid"] is True
    assert codes(expired) == ["mrz.validity.expired"]
    result = mrz("--reference-date", later, line1, line2)
    assert result.exit_code == ExitCode.REVIEW
    assert "VALID, with warnings" in result.stdout


def test_exit_1_for_the_specimen() -> None:
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, *ICAO)
    assert code == ExitCode.REVIEW
    assert [f["code"] for f in doc["findings"] if f["severity"] == "warning"] == ["mrz.specimen"]


@pytest.mark.parametrize("name", sorted(TD3_CHECK_DIGITS))
@pytest.mark.parametrize("repair", [True, False], ids=["repair", "no-repair"])
def test_exit_4_for_one_wrong_check_digit(name: str, repair: bool) -> None:
    line1, line2 = generated_td3(None)
    column = TD3_CHECK_DIGITS[name]
    old = line2[column]
    new = "1" if old == "<" else str((int(old) + 1) % 10)
    broken = with_char(line2, column, new)
    flags = () if repair else ("--no-repair",)
    code, doc = mrz_json(*flags, "--reference-date", GEN_REFERENCE.isoformat(), line1, broken)
    assert code == ExitCode.INVALID
    assert doc["valid"] is False
    assert f"mrz.check_digit.{name}" in codes(doc)
    check = next(c for c in doc["check_digits"] if c["name"] == name)
    assert check["ok"] is False
    assert check["printed"] == new
    assert check["position"] == {"line": 1, "start": column, "end": column + 1}
    finding = next(f for f in doc["findings"] if f["code"] == f"mrz.check_digit.{name}")
    assert finding["severity"] == "error"
    assert finding["category"] == "integrity"
    assert {"line": 1, "start": column, "end": column + 1} in finding["spans"]
    text = mrz(*flags, "--reference-date", GEN_REFERENCE.isoformat(), line1, broken)
    assert text.exit_code == ExitCode.INVALID
    assert "INVALID" in text.stdout and "MISMATCH" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mrz", "--bogus", *ICAO], "No such option"),
        (["mrz", "--json", "--no-such-flag"], "No such option"),
        (["mrz", *ICAO, "--file", str(SAMPLES / "td3_utopia.txt")], "not both"),
        (["mrz", "--file"], "--file"),
        (["mrz", "--reference-date"], "--reference-date"),
        (["nosuchcommand"], "No such command"),
    ],
)
def test_exit_2_for_usage_errors(args: list[str], message: str) -> None:
    result = invoke(args)
    assert result.exit_code == ExitCode.USAGE
    assert message in result.stderr
    assert result.stdout == ""


def test_exit_2_for_args_and_file_even_with_json() -> None:
    result = mrz("--json", "--file", "-", *ICAO, stdin="\n".join(ICAO))
    assert result.exit_code == ExitCode.USAGE
    assert "either as arguments or with --file" in result.stderr


def test_exit_2_when_no_input_and_stdin_is_a_terminal() -> None:
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    try:
        proc = run_real(["mrz"], stdin_fd=follower)
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == ExitCode.USAGE
    assert b"no MRZ given" in proc.stderr
    assert proc.stdout == b""


# --- malformed input ---------------------------------------------------------------------------------

MALFORMED_ARGS = {
    "line too short": ([ICAO_L1[:30], ICAO_L2], "got 2 lines of 30 and 44 characters"),
    "lines too long": ([ICAO_L1 + "<<<<<", ICAO_L2 + "<<<<<"], "got 2 lines of 49 and 49 characters"),
    "one line": ([ICAO_L2], "got 1 line of 44 characters"),
    "four lines": ([*ICAO, *ICAO], "got 4 lines"),
    "three lines of 40": (["A" * 40, "B" * 40, "C" * 40], "got 3 lines of 40, 40 and 40 characters"),
    "TD1 with a TD3 line": ([ICAO_L1, "<" * 30, "<" * 30], "not an MRZ"),
    "emoji only": (["\U0001f600" * 3], "not an MRZ"),
    "emoji inserted": ([ICAO_L1 + "\U0001f600", ICAO_L2], "not an MRZ"),
    "empty argument": ([""], "no MRZ text given"),
    "whitespace arguments": (["   ", "\t", "\u3000"], "no MRZ text given"),
    "too long": (["<" * 10_001], "too long"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_ARGS))
def test_unreadable_arguments_exit_3(case: str) -> None:
    args, fragment = MALFORMED_ARGS[case]
    message = assert_input_error(mrz("--reference-date", BEFORE_EXPIRY, *args), fragment)
    if "not an MRZ" in fragment or "got" in fragment:
        assert "expected" in message and "TD3" in message  # says what would have been right


MALFORMED_STDIN: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "no MRZ text given"),
    "whitespace": (b"  \n\t\n \r\n", "no MRZ text given"),
    "three lines of 40": ((("X" * 40 + "\n") * 3).encode(), "got 3 lines of 40, 40 and 40"),
    "too many lines": (b"x\n" * 51, "too many lines"),
    "just over the limit": (b"<" * 10_001, "too long"),
    "10 MB": (b"P<UTO" * 2_000_000, "too long"),
    "10 MB of lines": ((ICAO_L1 + "\n").encode() * 230_000, "too long"),
    "10 MB of emoji": ("\U0001f600".encode() * 2_500_000, "too long"),
    "not UTF-8 (BOM of UTF-16)": (b"\xff\xfe" + "\n".join(ICAO).encode("utf-16-le"), "not UTF-8"),
    "not UTF-8 (Latin-1)": (("\n".join(ICAO) + " \xe9").encode("latin-1"), "not UTF-8"),
    "not UTF-8 (truncated sequence)": (ICAO_L1.encode() + b"\xe2\x82", "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_STDIN))
@pytest.mark.parametrize("file_dash", [False, True], ids=["stdin", "file-dash"])
def test_unreadable_stdin_exit_3(case: str, file_dash: bool) -> None:
    data, fragment = MALFORMED_STDIN[case]
    args = ("--file", "-") if file_dash else ()
    start = time.perf_counter()
    result = mrz(*args, stdin=data)
    assert time.perf_counter() - start < 5
    assert_input_error(result, fragment)


def test_unreadable_files_exit_3(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(("\n".join(ICAO) + "\nJOS\xc9").encode("latin-1"))
    big = tmp_path / "big.txt"
    big.write_bytes(b"<" * 10_000_000)
    forty = tmp_path / "forty.txt"
    forty.write_text(("<" * 40 + "\n") * 3, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    cases = {
        str(latin1): f"{latin1}: not UTF-8 text",
        str(big): f"{big}: too large",
        str(forty): "got 3 lines of 40, 40 and 40 characters",
        str(empty): "no MRZ text given",
        str(tmp_path): f"{tmp_path}: is a directory",
        str(tmp_path / "missing.txt"): f"{tmp_path / 'missing.txt'}: cannot read (No such file or directory)",
    }
    for path, fragment in cases.items():
        start = time.perf_counter()
        result = mrz("--file", path)
        assert time.perf_counter() - start < 5, path
        assert_input_error(result, fragment)


@pytest.mark.parametrize("repair", [True, False], ids=["repair", "no-repair"])
def test_emoji_in_place_of_a_character_is_invalid_not_a_crash(repair: bool) -> None:
    line1 = ICAO_L1[:-1] + "\U0001f600"  # still 44 code points
    flags = () if repair else ("--no-repair",)
    code, doc = mrz_json(*flags, "--reference-date", BEFORE_EXPIRY, line1, ICAO_L2)
    assert code == ExitCode.INVALID
    illegal = next(f for f in doc["findings"] if f["code"] == "mrz.charset.illegal")
    assert illegal["spans"] == [{"line": 0, "start": 43, "end": 44}]
    text = mrz(*flags, "--reference-date", BEFORE_EXPIRY, line1, ICAO_L2)
    assert text.exit_code == ExitCode.INVALID
    assert "INVALID" in text.stdout


def test_garbage_of_the_right_shape_is_invalid_not_a_crash() -> None:
    for lines in (["#" * 44] * 2, ["<" * 44] * 2, ["<" * 30] * 3, ["0" * 36] * 2):
        start = time.perf_counter()
        result = mrz("--json", *lines)
        assert time.perf_counter() - start < 5
        assert result.exit_code == ExitCode.INVALID, lines
        assert json.loads(result.stdout)["valid"] is False


# --- JSON error object ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        ([], b""),
        ([], b"\xff\xfe\xfd"),
        ([], b"<" * 10_000_000),
        (["A" * 40, "B" * 40, "C" * 40], None),
        ([ICAO_L1], None),
        (["--file", "/nonexistent/docverify/mrz.txt"], None),
        (["--file", "-"], b"   \n"),
    ],
    ids=["empty", "not-utf8", "10MB", "3x40", "one-line", "missing-file", "file-dash-blank"],
)
def test_json_error_object_for_unreadable_input(args: list[str], stdin: bytes | None) -> None:
    result = mrz("--json", *args, stdin=stdin)
    assert result.exit_code == ExitCode.UNREADABLE
    assert result.stdout.count("\n") == 1
    doc = json.loads(result.stdout)
    assert doc == {"schema_version": docverify.SCHEMA_VERSION, "error": {"kind": "input", "message": ANY_STR}}
    message = doc["error"]["message"]
    assert result.stderr == f"docverify: error: {message}\n"


def test_json_error_object_for_a_directory(tmp_path: Path) -> None:
    result = mrz("--json", "--file", str(tmp_path))
    assert result.exit_code == ExitCode.UNREADABLE
    doc = json.loads(result.stdout)
    assert doc["error"]["kind"] == "input"
    assert "is a directory" in doc["error"]["message"]


# --- help and version ----------------------------------------------------------------------------------


def test_help() -> None:
    for flag in ("--help", "-h"):
        result = invoke([flag])
        assert result.exit_code == 0
        assert "Examples" in result.stdout
        assert "mrz" in result.stdout
        assert "Exit codes" in result.stdout


def test_mrz_help() -> None:
    result = invoke(["mrz", "--help"])
    assert result.exit_code == 0
    out = result.stdout
    assert "Examples" in out
    for option in ("--file", "--json", "--reference-date", "--no-repair", "YYYY-MM-DD"):
        assert option in out
    assert "Exit codes" in out


def test_help_examples_work() -> None:
    # The TD1 example of `docverify mrz --help` and the TD3 example of `docverify --help`.
    td1 = (
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    )
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, *td1)
    assert (code, doc["format"], doc["valid"]) == (ExitCode.REVIEW, "TD1", True)
    # The German passport example (piped): `D<<` as the state, `<` as an unused optional-data digit.
    german = "P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<\nC01X0006H1D<<6408125F1710319<<<<<<<<<<<<<<<0\n"
    code, doc = mrz_json("--reference-date", "2015-01-01", stdin=german)
    assert code == ExitCode.REVIEW
    assert doc["valid"] is True
    assert "mrz.specimen" in codes(doc)
    assert doc["fields"]["issuing_state"] == "D"
    assert doc["fields"]["birth_date"] == "1964-08-12"
    assert "mrz.check_digit.optional_data.unused" in codes(doc)


def test_version() -> None:
    for flag in ("--version", "-V"):
        result = invoke([flag])
        assert result.exit_code == 0
        assert result.stdout.strip() == f"docverify, version {docverify.__version__}"


# --- the real program -----------------------------------------------------------------------------------


def test_python_m_docverify_version() -> None:
    proc = run_real(["--version"])
    assert proc.returncode == 0
    assert proc.stdout.decode().strip() == f"docverify, version {docverify.__version__}"


def test_console_script_version_and_help() -> None:
    assert CONSOLE_SCRIPT.exists(), CONSOLE_SCRIPT
    proc = run_real(["--version"], script=True)
    assert proc.returncode == 0
    assert docverify.__version__ in proc.stdout.decode()
    proc = run_real(["mrz", "--help"], script=True)
    assert proc.returncode == 0
    assert b"Examples" in proc.stdout


def test_console_script_file_text_output() -> None:
    path = SAMPLES / "td3_ocr_noisy.txt"
    proc = run_real(["mrz", "--reference-date", BEFORE_EXPIRY, "--file", str(path)], script=True)
    assert proc.returncode == ExitCode.REVIEW
    out = proc.stdout.decode()
    assert "VALID, with warnings" in out
    assert ICAO_L2 in out
    assert "\x1b[" not in out  # no terminal escapes when not writing to a terminal
    assert proc.stderr == b""


def test_python_m_piped_stdin_json() -> None:
    text = ("\n".join(ICAO) + "\n").encode()
    proc = run_real(["mrz", "--json", "--reference-date", AFTER_EXPIRY], text)
    assert proc.returncode == ExitCode.REVIEW
    doc = json.loads(proc.stdout)
    assert doc["schema_version"] == docverify.SCHEMA_VERSION
    assert doc["fields"]["birth_date"] == "1974-08-12"
    assert "mrz.validity.expired" in codes(doc)
    proc = run_real(["mrz", "--json", "--file", "-", "--reference-date", AFTER_EXPIRY], text)
    assert json.loads(proc.stdout) == doc


def test_python_m_exit_codes_match_in_process() -> None:
    line1, line2 = generated_td3(None)
    ref = ("--reference-date", GEN_REFERENCE.isoformat())
    assert run_real(["mrz", *ref, line1, line2]).returncode == ExitCode.OK
    broken = with_char(line2, 43, str((int(line2[43]) + 1) % 10))
    assert run_real(["mrz", *ref, line1, broken]).returncode == ExitCode.INVALID
    proc = run_real(["mrz", "--reference-date", "2024-13-01", line1, line2])
    assert proc.returncode == ExitCode.USAGE
    assert b"--reference-date" in proc.stderr


def test_real_pipe_with_10_mb_is_rejected_fast() -> None:
    start = time.perf_counter()
    proc = run_real(["mrz", "--json"], b"<" * 10_000_000, script=True)
    assert time.perf_counter() - start < 10
    assert proc.returncode == ExitCode.UNREADABLE
    assert json.loads(proc.stdout)["error"]["kind"] == "input"
    assert proc.stderr.decode().startswith("docverify: error: MRZ text too long")


def test_real_non_utf8_stdin_and_file(tmp_path: Path) -> None:
    data = ICAO_L1.encode() + b"\n" + ICAO_L2.encode() + b"\xc0\n"
    proc = run_real(["mrz"], data)
    assert proc.returncode == ExitCode.UNREADABLE
    assert proc.stderr.decode().splitlines() == ["docverify: error: the input is not UTF-8 text (byte 89: invalid)"]
    path = tmp_path / "scan.txt"
    path.write_bytes(data)
    proc = run_real(["mrz", "--file", str(path)], script=True)
    assert proc.returncode == ExitCode.UNREADABLE
    assert proc.stderr.decode().splitlines() == [f"docverify: error: {path}: not UTF-8 text"]


# --- regressions: defects found in review, fixed -------------------------------------------------------


def test_look_alike_corrections_survive_extra_lines() -> None:
    spoofed, line2, column = spoofed_td3()
    code, doc = mrz_json("--reference-date", GEN_REFERENCE.isoformat(), stdin=f"header\n{spoofed}\n{line2}\n")
    assert "mrz.input.extra_lines" in codes(doc)
    assert [c["column"] for c in doc["corrections"]] == [column]
    assert doc["repaired"] is True
    assert code == ExitCode.REVIEW


def test_look_alike_corrections_survive_length_repair() -> None:
    short_l2 = ICAO_L2.replace("<<<<<10", "<<<<10")
    code, doc = mrz_json("--reference-date", BEFORE_EXPIRY, CYRILLIC_L1, short_l2)
    assert code == ExitCode.REVIEW
    assert doc["lines"] == list(ICAO)
    assert {(c["column"], c["from"]) for c in doc["corrections"]} == {(4, CYRILLIC_O), (15, CYRILLIC_A)}


@pytest.mark.parametrize(
    "given",
    [
        (ICAO_L1.lower(), ICAO_L2.lower()),
        (CYRILLIC_L1, ICAO_L2),
        (ICAO_L1, ICAO_L2.replace("<<<<<10", "<<<<10")),
    ],
    ids=["lower-case", "look-alike", "short-line"],
)
def test_input_lines_are_as_given(given: tuple[str, str]) -> None:
    _, doc = mrz_json("--reference-date", BEFORE_EXPIRY, *given)
    assert doc["input_lines"] == list(given)


def test_utf8_bom_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "notepad.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(ICAO).encode() + b"\r\n")
    result = mrz("--reference-date", BEFORE_EXPIRY, "--file", str(path))
    assert result.exit_code == ExitCode.REVIEW, result.stderr


def test_write_failure_on_stdout_is_reported() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    line1, line2 = generated_td3(None)
    with Path("/dev/full").open("wb") as full:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "docverify",
                "mrz",
                "--reference-date",
                GEN_REFERENCE.isoformat(),
                line1,
                line2,
            ],
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    assert b"Traceback" not in proc.stderr
    assert proc.stderr.startswith(b"docverify: error: ")
    assert proc.returncode == ExitCode.ERROR


def test_a_closed_standard_output_is_an_error_not_a_verdict() -> None:
    """Started with standard output closed (`>&-`), every answer would be lost while the exit code said
    `pass`: docverify says so on stderr and exits 5 instead."""
    proc = subprocess.run(
        [sys.executable, "-m", "docverify", "mrz", "--reference-date", BEFORE_EXPIRY, *ICAO],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),  # the child closes its own standard output before it starts
        timeout=60,
        check=False,
    )
    assert proc.returncode == ExitCode.ERROR
    assert b"standard output is closed" in proc.stderr and b"Traceback" not in proc.stderr


def test_empty_names_and_binary_files_get_clear_messages(tmp_path: Path) -> None:
    """An empty file name, an empty output name and an image given to `mrz --file` each get a message that
    says so (they said ' does not exist', 'cannot write (Is a directory)', 'too large for MRZ text')."""
    result = invoke(["check", ""])
    assert result.exit_code == ExitCode.UNREADABLE and "empty file name" in result.stderr
    result = invoke(["batch", str(REPO / "samples" / "images" / "td3_flatbed.jpg"), "--jsonl", ""])
    assert result.exit_code == ExitCode.USAGE and "--jsonl needs a file name" in result.output
    result = mrz("--file", str(REPO / "samples" / "images" / "td3_flatbed.jpg"))
    assert result.exit_code == ExitCode.UNREADABLE and "not a text file" in result.stderr
    utf16 = tmp_path / "mrz.txt"
    utf16.write_bytes("\n".join(ICAO).encode("utf-16"))
    result = mrz("--file", str(utf16))
    assert result.exit_code == ExitCode.UNREADABLE and "not UTF-8 text" in result.stderr


def test_birth_century_before_2000() -> None:
    _, doc = mrz_json("--reference-date", "1970-01-01", *ICAO)
    assert doc["fields"]["birth_date"] == "1874-08-12"
    assert "mrz.validity.birth_in_future" not in codes(doc)


def test_a_reader_that_quits_early_gives_the_write_error_code() -> None:
    """`docverify ... | head -1`: the pipe closes before the output is written. Click and Rich would exit 1 (which
    reads as `review`); docverify exits 5 (output not written) with one line on stderr, no traceback."""
    line1, line2 = generated_td3(None)
    cmd = [sys.executable, "-m", "docverify", "mrz", "--reference-date", GEN_REFERENCE.isoformat(), line1, line2]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    proc.stdout.close()  # long before the interpreter has started and written anything
    _, stderr = proc.communicate(timeout=60)
    assert b"Traceback" not in stderr
    assert stderr.startswith(b"docverify: error: cannot write output"), stderr.decode()
    assert proc.returncode == ExitCode.ERROR


def test_the_generator_is_imported_only_for_the_samples_command() -> None:
    """`docverify mrz` and `check` start without the document generator (nor the opt-in visual-zone stage);
    `samples` still finds it."""
    probe = "import sys, docverify.cli; print('docverify.synth' in sys.modules, 'cv2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
    probe = "import sys, docverify.pipeline; print('docverify.viz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False"]  # the opt-in visual-zone stage loads on its first use
    result = CliRunner().invoke(main, ["samples", "--help"])
    assert result.exit_code == 0 and "docverify samples --out" in result.output
    listed = CliRunner().invoke(main, ["--help"]).output
    assert all(f"  {name} " in listed for name in ("batch", "check", "explain", "mrz", "samples", "serve"))


def test_a_reference_date_with_no_century_to_resolve_into_is_a_usage_error() -> None:
    for day in ("9999-12-31", "0001-01-01"):
        result = CliRunner().invoke(main, ["mrz", "--reference-date", day, *ICAO])
        assert result.exit_code == ExitCode.USAGE and "1900" in result.output, day


def test_mrz_masks_personal_data_as_check_does() -> None:
    """`mrz --mask-personal-data`: no name, number, date or line of the document in the JSON or the table; the
    decision and the codes stay."""
    secrets = ("ERIKSSON", "ANNA", "MARIA", "L898902C3", "ZE184226B", "1974-08-12", "740812", "120415", ICAO_L2)
    for extra in (["--json"], []):
        plain = CliRunner().invoke(main, ["mrz", *extra, "--reference-date", BEFORE_EXPIRY, *ICAO])
        masked = CliRunner().invoke(
            main, ["mrz", *extra, "--mask-personal-data", "--reference-date", BEFORE_EXPIRY, *ICAO]
        )
        assert masked.exit_code == plain.exit_code == ExitCode.REVIEW  # a specimen
        assert all(s in plain.stdout for s in secrets[:5])
        assert not [s for s in secrets if s in masked.stdout], masked.stdout
        assert "mrz.specimen" in masked.stdout
    doc = json.loads(CliRunner().invoke(main, ["mrz", "--json", "--mask-personal-data", *ICAO]).stdout)
    assert {c["printed"] for c in doc["check_digits"]} == {"*"} and doc["fields"]["issuing_state"] == "UTO"
