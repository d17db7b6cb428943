"""Failures that are not bad files (issue 7): the time limit per document, privacy of the logs and of
temporary files, and one Verifier shared by many threads."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from docverify import Category, Finding, Limits, Severity, Verdict
from docverify.config import DEFAULT_LIMITS
from docverify.mrz.locate import LineCrop
from docverify.mrz.recognizer import CellRecognizer
from docverify.ocr import Glyph
from docverify.pipeline import Verifier, VerifierConfig, decide_verdict
from docverify.results import TIME_LIMIT

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "images"
TD3 = SAMPLES / "td3_flatbed.jpg"
CORPUS = ROOT / "tests" / "corpus"
REF = dt.date(2026, 1, 1)
TRUTH = [json.loads(line) for line in (SAMPLES / "ground_truth.jsonl").read_text().splitlines()]


# --- the time limit per document ---------------------------------------------------------------------------


def verifier(max_seconds: float = DEFAULT_LIMITS.max_seconds, ocr: Any = None) -> Verifier:
    limits = dataclasses.replace(DEFAULT_LIMITS, max_seconds=max_seconds)
    return Verifier(ocr=ocr, config=VerifierConfig(reference_date=REF, limits=limits))


def test_max_seconds_is_a_validated_limit() -> None:
    assert Limits().max_seconds == 10.0
    assert Limits(max_seconds=0.5).max_seconds == 0.5
    for bad in (0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="max_seconds"):
            Limits(max_seconds=bad)
    assert verifier(2.5).verify(TD3).to_dict()["engine"]["limits"]["max_seconds"] == 2.5  # recorded


def test_a_tiny_limit_gives_an_inconclusive_report_with_the_reason() -> None:
    report = verifier(1e-6).verify(TD3)
    assert report.verdict is Verdict.INCONCLUSIVE
    assert report.mrz is None
    (finding,) = report.findings
    assert finding.code == TIME_LIMIT == "image.time_limit"
    assert finding.severity is Severity.WARNING and finding.category.value == "quality"
    assert "time limit of 1e-06 seconds" in finding.message and "could not be judged" in finding.message
    assert dict(finding.evidence) == {"max_seconds": 1e-6}
    assert verifier().verify(TD3).verdict is Verdict.PASS  # the same image within the default limit


class SlowUnreadable:
    """A recognizer that takes ``delay`` seconds per call and reads nothing valid: a pathological page."""

    name = "slow"
    cell_aligned = True

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls = 0
        self._inner = CellRecognizer()

    def read_lines(self, crops: Sequence[LineCrop], count: int | None = None) -> list[list[Glyph]]:
        self.calls += 1
        time.sleep(self.delay)
        rows = self._inner.read_lines(crops, count)
        return [[dataclasses.replace(g, char="X", alternatives=(("X", 1.0),)) for g in row] for row in rows]


def test_a_slow_page_stops_at_the_limit_instead_of_running_on() -> None:
    unbounded_ocr, bounded_ocr = SlowUnreadable(0.2), SlowUnreadable(0.2)
    start = time.monotonic()
    unbounded = verifier(60.0, unbounded_ocr).verify(TD3)
    unbounded_s = time.monotonic() - start
    start = time.monotonic()
    bounded = verifier(0.3, bounded_ocr).verify(TD3)
    bounded_s = time.monotonic() - start
    assert TIME_LIMIT not in {f.code for f in unbounded.findings}
    assert unbounded_ocr.calls >= 4  # both places, both ways round
    assert bounded_ocr.calls < unbounded_ocr.calls
    assert bounded_s < unbounded_s
    assert bounded.verdict is Verdict.INCONCLUSIVE
    assert bounded.findings[-1].code == TIME_LIMIT
    if bounded.mrz is not None:  # the best reading so far is kept as evidence, never as a verdict
        assert not bounded.mrz.valid
        assert "no valid reading" in bounded.findings[-1].message


def test_the_limit_covers_every_page_of_a_document() -> None:
    pages = [Image.open(TD3).convert("RGB").resize((816, 621)) for _ in range(3)]
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=100.0)
    reports = verifier(1e-6).verify_pages(buf.getvalue(), name="bundle.pdf")
    assert [r.verdict for r in reports] == [Verdict.INCONCLUSIVE] * 3
    assert all(r.findings[-1].code == TIME_LIMIT for r in reports)
    judged = verifier(1e-6).verify(buf.getvalue(), name="bundle.pdf")
    assert judged.page == 0 and judged.findings[-1].code == TIME_LIMIT
    assert [r.verdict for r in verifier().verify_pages(buf.getvalue())] == [Verdict.PASS] * 3


def test_a_reading_cut_short_by_the_limit_is_never_a_verdict() -> None:
    report = verifier().verify(TD3)
    assert report.mrz is not None and report.mrz.valid
    assert decide_verdict(report.mrz, report.findings) is Verdict.PASS
    stopped = Finding(TIME_LIMIT, Severity.WARNING, Category.QUALITY, "stopped", "pipeline")
    assert decide_verdict(report.mrz, (*report.findings, stopped)) is Verdict.INCONCLUSIVE
    assert decide_verdict(report.mrz, iter([stopped])) is Verdict.INCONCLUSIVE  # any iterable of findings


# --- privacy -----------------------------------------------------------------------------------------------


def secrets_of(record: dict[str, Any]) -> list[str]:
    data = record["mrz_data"]
    values = [*record["mrz_lines"], data["surname"], data["given_names"], data["document_number"]]
    values += data["surname"].split() + data["given_names"].split()
    return [v for v in values if len(v) >= 3]


def docverify(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Runs the real program; returns its standard error (checked to be free of tracebacks)."""
    proc = subprocess.run(
        [sys.executable, "-m", "docverify", *map(str, args)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        timeout=240,
        check=False,
    )
    assert proc.returncode in (0, 1, 3, 4), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    return proc.stderr


def exif_tagged_jpeg(path: Path, record: dict[str, Any]) -> Path:
    """The sample re-saved with its holder's name and number in the EXIF description, as scanning
    software may write it: a library that logs tag values at debug level would leak them."""
    exif = Image.Exif()
    exif[0x010E] = f"{record['mrz_data']['surname']} {record['mrz_data']['document_number']}"
    with Image.open(SAMPLES / record["file"]) as img:
        img.save(path, "JPEG", quality=90, exif=exif.tobytes())
    return path


def long_pdf(path: Path) -> Path:
    """A 12-page blank PDF: more than Limits.max_pages, so docverify logs (at info) that it skipped two."""
    blank = Image.new("RGB", (60, 60), "white")
    blank.save(path, "PDF", save_all=True, append_images=[blank] * 11, resolution=72.0)
    return path


def test_debug_logs_of_check_hold_no_personal_data(tmp_path: Path) -> None:
    images = sorted(SAMPLES.glob("*.jpg"))
    tagged = exif_tagged_jpeg(tmp_path / "tagged.jpg", TRUTH[0])
    stderr = docverify("-vv", "check", "--reference-date", "2026-01-01", *images, tagged, long_pdf(tmp_path / "l.pdf"))
    assert "docverify: INFO: docverify.io: rendered 10 of 12 PDF pages" in stderr  # logging is at debug level
    for record in TRUTH:
        for secret in secrets_of(record):
            assert secret not in stderr, (record["file"], secret)
    json_stderr = docverify("-vv", "check", "--json", "--reference-date", "2026-01-01", *images, tagged)
    for record in TRUTH:
        for secret in secrets_of(record):
            assert secret not in json_stderr, (record["file"], secret)


def test_debug_logs_of_mrz_hold_no_personal_data() -> None:
    for record in TRUTH:
        stderr = docverify("-vv", "mrz", "--reference-date", "2026-01-01", *record["mrz_lines"])
        stderr += docverify("-vv", "mrz", "--json", "--no-repair", *record["mrz_lines"])
        for secret in secrets_of(record):
            assert secret not in stderr, (record["file"], secret)


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    tmp, work = tmp_path / "tmp", tmp_path / "work"
    tmp.mkdir()
    work.mkdir()
    pdf = tmp_path / "scan.pdf"
    with Image.open(TD3) as img:
        img.convert("RGB").save(pdf, "PDF", resolution=150.0)
    env = {**os.environ, "TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)}
    inputs = (pdf, TD3, CORPUS / "seed.tif", CORPUS / "seed.webp")
    docverify("check", "--reference-date", "2026-01-01", *inputs, env=env, cwd=work)
    docverify("check", "--json", "--reference-date", "2026-01-01", *inputs, env=env, cwd=work)
    assert list(tmp.iterdir()) == []
    assert list(work.iterdir()) == []  # nothing written beside the caller either


# --- threads -----------------------------------------------------------------------------------------------


def comparable(report: Any) -> dict[str, Any]:
    row: dict[str, Any] = report.to_dict()
    del row["timings_ms"]
    return row


def test_one_verifier_from_eight_threads_matches_sequential_use() -> None:
    shared = verifier()
    images = sorted(SAMPLES.glob("*.jpg"))
    assert len(images) == 8
    sequential = {path: comparable(shared.verify(path)) for path in images}
    tasks = [images[(i * 3 + k) % len(images)] for k in range(2) for i in range(len(images))]  # each twice
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda p: (p, comparable(shared.verify(p))), tasks))
    assert len(threaded) == 16
    for path, row in threaded:
        assert row == sequential[path], path.name
    assert {row["verdict"] for row in sequential.values()} != {"inconclusive"}  # the samples are read
