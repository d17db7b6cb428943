"""The catalogue of bad inputs (``tests/badinputs.py``) end to end: the API, ``docverify check`` (text and
``--json``) and ``docverify mrz``, in process and as a real program.

Every case must give a clear one-line message (never a traceback), the documented exit code, and with
``--json`` exactly one row per input, errors included, while a good sample checked in the same call still
passes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import docverify
from badinputs import (
    CASES,
    GOOD_SAMPLE,
    ICAO_L1,
    ICAO_L2,
    IMAGE_CASES,
    IS_ROOT,
    MRZ_CASES,
    MRZ_REFERENCE_DATE,
    REFERENCE_DATE,
    BadInput,
)
from docverify.cli import main, mrz_exit_code
from docverify.errors import InputError, InputTooLargeError
from docverify.exitcodes import ExitCode, worst

ENV: dict[str, str | None] = {"NO_COLOR": "1", "FORCE_COLOR": None, "TERM": "dumb", "COLUMNS": "200"}
REF = dt.date.fromisoformat(REFERENCE_DATE)
MRZ_REF = dt.date.fromisoformat(MRZ_REFERENCE_DATE)
ERROR_LINE = re.compile(r"docverify: error: [^\n]+\n")


def invoke(*args: str) -> Result:
    result = CliRunner(env=ENV).invoke(main, list(args), prog_name="docverify")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr
    return result


def one_error_line(stderr: str, pattern: str) -> None:
    """``stderr`` is exactly one line, ``docverify: error: …``, whose message matches ``pattern``."""
    assert ERROR_LINE.fullmatch(stderr), stderr
    assert re.search(pattern, stderr), (pattern, stderr)
    stderr.encode("utf-8")  # printable anywhere: no lone surrogates from file names


def test_the_catalogue_is_complete_and_documented() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert {c.target for c in CASES} == {"image", "mrz"}
    for case in CASES:
        assert case.exit_code in set(ExitCode)  # a documented code (README "Exit codes")
        assert (case.error is None) != (case.verdict is None) or case.target == "mrz", case.name
    expected = {
        "empty_file",
        "text_named_jpg",
        "truncated_jpeg",
        "png_60000x60000_header",
        "one_by_one_image",
        "animated_gif_first_frame",
        "pdf_5000_pages",
        "encrypted_pdf",
        "symlink_loop",
        "no_read_permission",
        "directory",
        "non_utf8_file_name",
        "mrz_unicode_look_alikes",
    }
    assert expected <= set(names)


# --- the API ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", IMAGE_CASES, ids=[c.name for c in IMAGE_CASES])
def test_api(case: BadInput, tmp_path: Path) -> None:
    path = case.build(tmp_path)
    if case.error is None:
        report = docverify.verify(path, reference_date=REF)
        assert report.verdict.value == case.verdict
        report.source.encode("utf-8")
        return
    with pytest.raises(InputError) as info:
        docverify.verify(path, reference_date=REF)
    assert isinstance(info.value, InputTooLargeError) == case.too_large
    message = str(info.value)
    assert re.search(case.error, message), message
    assert "\n" not in message
    message.encode("utf-8")


@pytest.mark.parametrize("case", MRZ_CASES, ids=[c.name for c in MRZ_CASES])
def test_api_mrz_text(case: BadInput, tmp_path: Path) -> None:
    text = case.build(tmp_path).read_text(encoding="utf-8")
    if case.error is None:
        result = docverify.read_mrz(text, reference_date=MRZ_REF)
        assert mrz_exit_code(result) == case.exit_code
        assert result.lines == (ICAO_L1, ICAO_L2)
        assert all("look-alike" in c.reason for c in result.corrections)
        return
    with pytest.raises(InputError, match=case.error):
        docverify.read_mrz(text, reference_date=MRZ_REF)


def test_look_alikes_are_each_reported_as_a_correction(tmp_path: Path) -> None:
    (case,) = [c for c in MRZ_CASES if c.name == "mrz_unicode_look_alikes"]
    result = docverify.read_mrz(case.build(tmp_path).read_text(encoding="utf-8"), reference_date=MRZ_REF)
    changed = {(c.line, c.column): (c.original, c.corrected) for c in result.corrections}
    assert changed[(0, 0)] == ("\u0420", "P")  # Cyrillic Er
    assert changed[(0, 4)] == ("\u041e", "O")  # Cyrillic O
    assert changed[(0, 15)] == ("\u0410", "A")  # Cyrillic A
    assert changed[(1, 13)] == ("\uff17", "7")  # full-width digit
    assert len(changed) == 3 + 6  # the zero-width space is removed, not corrected
    warnings = [f for f in result.findings if f.code == "mrz.repair.corrected" and f.severity.value == "warning"]
    assert warnings  # a look-alike is never accepted silently


# --- docverify check / docverify mrz, in process ----------------------------------------------------------


@pytest.mark.parametrize("case", IMAGE_CASES, ids=[c.name for c in IMAGE_CASES])
def test_check_text_and_json(case: BadInput, tmp_path: Path) -> None:
    path = str(case.build(tmp_path))
    text = invoke("check", "--reference-date", REFERENCE_DATE, path)
    as_json = invoke("check", "--json", "--reference-date", REFERENCE_DATE, path)
    assert text.exit_code == as_json.exit_code == case.exit_code
    (line,) = as_json.stdout.splitlines()  # exactly one row
    row = json.loads(line)
    assert row["schema_version"] == docverify.SCHEMA_VERSION
    row["source"].encode("utf-8")
    if case.error is not None:
        one_error_line(text.stderr, case.error)
        one_error_line(as_json.stderr, case.error)
        assert text.stdout == ""
        assert row["error"]["kind"] == "input" and re.search(case.error, row["error"]["message"])
        assert set(row) == {"schema_version", "source", "error"}
    else:
        assert text.stderr == as_json.stderr == ""
        assert text.stdout.startswith(case.verdict.upper() + "  ")  # type: ignore[union-attr]
        assert row["verdict"] == case.verdict


@pytest.mark.parametrize("case", MRZ_CASES, ids=[c.name for c in MRZ_CASES])
def test_mrz_command(case: BadInput, tmp_path: Path) -> None:
    path = str(case.build(tmp_path))
    text = invoke("mrz", "--reference-date", MRZ_REFERENCE_DATE, "--file", path)
    as_json = invoke("mrz", "--json", "--reference-date", MRZ_REFERENCE_DATE, "--file", path)
    lines = path_lines(path)
    as_args = invoke("mrz", "--json", "--reference-date", MRZ_REFERENCE_DATE, *lines)
    assert text.exit_code == as_json.exit_code == as_args.exit_code == case.exit_code
    doc = json.loads(as_json.stdout)
    assert json.loads(as_args.stdout) == doc
    if case.error is not None:
        one_error_line(text.stderr, case.error)
        assert doc["error"]["kind"] == "input" and re.search(case.error, doc["error"]["message"])
    else:
        assert text.stderr == ""
        assert doc["valid"] is True and doc["lines"] == [ICAO_L1, ICAO_L2]  # read as the genuine text


def path_lines(path: str) -> list[str]:
    return Path(path).read_text(encoding="utf-8").splitlines()


def test_no_permission_as_another_user() -> None:
    """``chmod 000``: root reads the file anyway (the catalogue expects a pass then); a user who may not
    read it gets "permission denied". As root, the second half is run in a child process that gives up
    root for the ``nobody`` user."""
    (case,) = [c for c in IMAGE_CASES if c.name == "no_read_permission"]
    with tempfile.TemporaryDirectory() as folder:  # pytest's own folders are closed to other users
        Path(folder).chmod(0o755)
        path = str(case.build(Path(folder)))
        check_unreadable(path)


def check_unreadable(path: str) -> None:
    """As a user: "permission denied", exit 3. As root: read (a pass), and as ``nobody``: refused."""
    if not IS_ROOT:
        code, err = check_exit(path)
        assert code == ExitCode.UNREADABLE and "permission denied" in err
        return
    assert invoke("check", "--reference-date", REFERENCE_DATE, path).exit_code == ExitCode.OK
    code, err = in_child_as_nobody(lambda: check_exit(path))
    assert code == ExitCode.UNREADABLE
    one_error_line(err, r"secret\.png cannot be read: permission denied")


def check_exit(path: str) -> tuple[int, str]:
    result = invoke("check", "--reference-date", REFERENCE_DATE, path)
    return result.exit_code, result.stderr


def in_child_as_nobody(work: Callable[[], Any]) -> Any:
    """``work()`` run in a forked child that has switched to the ``nobody`` user; its JSON-able result."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            payload = json.dumps(work()).encode()
            os.write(write_end, payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, payload
    return json.loads(payload)


# --- one call, every input, the real program --------------------------------------------------------------


def build_all(tmp_path: Path) -> list[tuple[BadInput | None, bytes]]:
    """Every image case (each in its own folder) between two copies of the good sample, as byte paths."""
    inputs: list[tuple[BadInput | None, bytes]] = [(None, os.fsencode(GOOD_SAMPLE))]
    for case in IMAGE_CASES:
        folder = tmp_path / case.name
        folder.mkdir()
        inputs.append((case, os.fsencode(case.build(folder))))
    inputs.append((None, os.fsencode(GOOD_SAMPLE)))
    return inputs


def run_check(args: list[str | bytes]) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    env.update({"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"})
    return subprocess.run(
        [sys.executable, "-m", "docverify", "check", "--reference-date", REFERENCE_DATE, *args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=240,
        check=False,
    )


def test_one_json_call_gives_every_input_exactly_one_row(tmp_path: Path) -> None:
    inputs = build_all(tmp_path)
    proc = run_check(["--json", *(path for _, path in inputs)])
    stdout = proc.stdout.decode("utf-8")  # valid UTF-8 whatever the file names
    stderr = proc.stderr.decode("utf-8")
    assert "Traceback" not in stderr
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert len(rows) == len(inputs), stdout
    for (case, path), row in zip(inputs, rows, strict=True):
        name = os.fsdecode(path).rsplit("/", 1)[-1]
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        assert row["source"].endswith(shown), (row["source"], shown)
        if case is None:
            assert row["verdict"] == "pass" and row["mrz"]["valid"] is True  # the good sample still passes
        elif case.error is not None:
            assert row["error"]["kind"] == "input" and re.search(case.error, row["error"]["message"]), row
        else:
            assert row["verdict"] == case.verdict, (case.name, row["verdict"])
    errors = [c for c, _ in inputs if c is not None and c.error is not None]
    assert stderr.splitlines() == [ln for ln in stderr.splitlines() if ln.startswith("docverify: error: ")]
    assert len(stderr.splitlines()) == len(errors)
    assert proc.returncode == worst([ExitCode.OK, *(c.exit_code for c, _ in inputs if c is not None)])
    assert proc.returncode == ExitCode.UNREADABLE


def test_one_text_call_reports_every_input(tmp_path: Path) -> None:
    inputs = build_all(tmp_path)
    proc = run_check([path for _, path in inputs])
    stdout = proc.stdout.decode("utf-8")
    stderr = proc.stderr.decode("utf-8")
    assert "Traceback" not in stderr and "Traceback" not in stdout
    verdict_lines = [ln for ln in stdout.splitlines() if re.match(r"(PASS|REVIEW|FAIL|INCONCLUSIVE)  ", ln)]
    loadable = [c for c, _ in inputs if c is None or c.error is None]
    assert len(verdict_lines) == len(loadable)
    assert verdict_lines[0].startswith("PASS  ") and verdict_lines[-1].startswith("PASS  ")
    error_lines = stderr.splitlines()
    errors = [c for c, _ in inputs if c is not None and c.error is not None]
    assert len(error_lines) == len(errors)
    for case, line in zip(errors, error_lines, strict=True):
        assert re.search(case.error, line), (case.name, line)  # type: ignore[arg-type]
    assert proc.returncode == ExitCode.UNREADABLE


def test_an_internal_error_still_gives_its_input_one_row(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A bug in docverify on one input (simulated) is reported on that input's row, exit 5, and the other
    inputs of the call are still checked."""
    from docverify.pipeline import Verifier

    broken = tmp_path / "broken.png"
    broken.write_bytes((Path(__file__).parent / "corpus" / "seed.png").read_bytes())
    real = Verifier.verify_with_image

    def flaky(self: Verifier, source: Any, *, name: str | None = None) -> Any:
        if str(source).endswith("broken.png"):
            raise RuntimeError("simulated bug")
        return real(self, source, name=name)

    monkeypatch.setattr(Verifier, "verify_with_image", flaky)
    result = invoke("check", "--json", "--reference-date", REFERENCE_DATE, str(broken), str(GOOD_SAMPLE))
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2
    assert rows[0]["error"]["kind"] == "internal" and rows[0]["source"].endswith("broken.png")
    assert "internal error (RuntimeError); please report it" in rows[0]["error"]["message"]
    assert "simulated bug" not in result.stdout + result.stderr  # exception text may hold document data
    assert rows[1]["verdict"] == "pass"
    assert result.exit_code == ExitCode.ERROR
    one_error_line(result.stderr, r"broken\.png: internal error")
