"""Security-feature regions found from the MRZ (page frame), the region models' pre-processing, scores and
findings, and the one tamper score of a report."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from docverify.mrz.image import scan_image
from docverify.mrz.recognizer import MRZRecognizer
from docverify.pipeline import SCORE_FLOOR, Verifier, VerifierConfig, tamper_score
from docverify.regions import REGIONS, reading_frame
from docverify.results import Category, Finding, MRZFormat, Severity
from docverify.synth import synthesize
from docverify.tamper import (
    ADVISORY,
    MODELS,
    RegionScore,
    Thresholds,
    model_input,
    model_logit,
    region_logit,
    score_regions,
)

REF = dt.date(2026, 1, 1)


def _inside(quad: tuple[tuple[float, float], ...], poly: tuple[tuple[float, float], ...]) -> float:
    """Share of ``quad``'s corners inside the convex polygon ``poly`` (both in image pixels)."""
    import cv2

    contour = np.array(poly, np.float32).reshape(-1, 1, 2)
    return float(np.mean([cv2.pointPolygonTest(contour, (float(x), float(y)), False) >= 0 for x, y in quad]))


@pytest.mark.parametrize(
    ("seed", "fmt", "condition"),
    [
        (11, MRZFormat.TD3, "flatbed"),
        (12, MRZFormat.TD1, "rotated"),
        (13, MRZFormat.TD2, "flatbed"),
        (14, MRZFormat.MRVA, "rotated"),
    ],
)
def test_the_portrait_region_holds_the_printed_portrait(seed: int, fmt: MRZFormat, condition: str) -> None:
    shot = synthesize(seed, fmt, condition)
    reading = scan_image(shot.image, MRZRecognizer(), reference_date=REF).reading
    assert reading is not None
    frame = reading_frame(reading)
    portrait = frame.polygon(frame.region_mm(REGIONS["portrait"]))
    assert _inside(shot.truth.portrait_quad, portrait) == 1.0
    # the page outline from the MRZ lies within a couple of millimetres of the true one
    page = frame.polygon((0.0, 0.0, frame.spec.width_mm, frame.spec.height_mm))
    err = np.abs(np.array(page) - np.array(shot.truth.document_quad)).max() / frame.px_per_mm
    assert err < 2.5, err
    crop = frame.warp(shot.image, REGIONS["portrait"])
    w, h = REGIONS["portrait"].size
    assert crop.shape == (h, w, 3) and crop.dtype == np.uint8


def test_inside_share_of_a_region() -> None:
    shot = synthesize(11, MRZFormat.TD3, "flatbed")
    reading = scan_image(shot.image, MRZRecognizer(), reference_date=REF).reading
    assert reading is not None
    frame = reading_frame(reading)
    box = frame.region_mm(REGIONS["portrait"])
    assert frame.inside(box, shot.image.shape) == pytest.approx(1.0)
    # the same page with its left half cut away: the portrait zone is (mostly) gone
    cut = np.ascontiguousarray(shot.image[:, shot.image.shape[1] // 2 :])
    shifted = dataclasses.replace(frame, origin=(frame.origin[0] - shot.image.shape[1] // 2, frame.origin[1]))
    assert shifted.inside(box, cut.shape) < 0.5
    scores, findings = score_regions(cut, shifted)
    assert "portrait" not in {s.model for s in scores}
    assert "portrait.substitution.not_assessed" in {f.code for f in findings}


def test_model_input_standardises_each_channel() -> None:
    rng = np.random.default_rng(0)
    crop = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    x = model_input(crop)
    assert x.shape == (1, 3, 20, 30) and x.dtype == np.float32
    assert np.allclose(x.mean(axis=(2, 3)), 0, atol=1e-4)
    assert np.allclose(x.std(axis=(2, 3)), 1, atol=1e-3)
    # exposure does not count
    brighter = np.clip(crop.astype(np.int16) // 2 + 60, 0, 255).astype(np.uint8)
    assert np.corrcoef(model_input(brighter).ravel(), x.ravel())[0, 1] > 0.99
    flat = np.full((8, 8, 3), 128, np.uint8)  # no division by zero on a flat crop
    assert np.isfinite(model_input(flat)).all()
    # a large bright crop: exactly centred (float32 sums over it drifted: an all-white crop's mean 255.6)
    white = np.full((456, 336, 3), 255, np.uint8)
    assert np.abs(model_input(white)).max() == 0.0
    bright = np.clip(rng.normal(240, 10, (320, 512, 3)), 0, 255).astype(np.uint8)
    assert np.allclose(model_input(bright).mean(axis=(2, 3)), 0, atol=1e-5)
    # a crop that is a view (not contiguous) gives the same input as its copy
    wide = rng.integers(0, 256, (20, 60, 3), dtype=np.uint8)
    assert np.array_equal(model_input(wide[:, ::2]), model_input(np.ascontiguousarray(wide[:, ::2])))


def test_scores_follow_their_thresholds() -> None:
    shot = synthesize(11, MRZFormat.TD3, "flatbed")
    reading = scan_image(shot.image, MRZRecognizer(), reference_date=REF).reading
    assert reading is not None
    frame = reading_frame(reading)
    scores, _ = score_regions(shot.image, frame)
    assert {s.model for s in scores} == set(MODELS)
    low = Thresholds(**{s.model: s.logit - 5 for s in scores})
    high = Thresholds(**{s.model: s.logit + 5 for s in scores})
    flagged, findings = score_regions(shot.image, frame, low)
    assert all(s.score > 0.99 for s in flagged)
    assert {f.code for f in findings} == {"portrait.substitution", "print.reprint"}
    assert all(f.severity is Severity.WARNING and f.category is Category.AUTHENTICITY and f.box for f in findings)
    _, advisory = score_regions(shot.image, frame, low, severity=Severity.INFO)
    assert {f.severity for f in advisory} == {Severity.INFO}
    assert all(f.message.endswith(ADVISORY) for f in advisory)
    quiet, findings = score_regions(shot.image, frame, high)
    assert all(s.score < 0.01 for s in quiet) and findings == ()


def test_the_portrait_is_scored_against_zones_of_the_same_page(monkeypatch: pytest.MonkeyPatch) -> None:
    shot = synthesize(11, MRZFormat.TD3, "flatbed")
    reading = scan_image(shot.image, MRZRecognizer(), reference_date=REF).reading
    assert reading is not None
    frame = reading_frame(reading)
    spec = MODELS["portrait"]
    assert spec.references and all(REGIONS[r].size == REGIONS[spec.region].size for r in spec.references)
    own = region_logit("portrait", frame.warp(shot.image, REGIONS["portrait"]))
    beside = [region_logit("portrait", frame.warp(shot.image, REGIONS[r])) for r in spec.references]
    logit, reference = model_logit("portrait", shot.image, frame)
    assert reference == pytest.approx(max(beside)) and logit == pytest.approx(own - max(beside))
    scores, _ = score_regions(shot.image, frame, Thresholds(portrait=logit - 1.0))
    (finding,) = [
        f for f in score_regions(shot.image, frame, Thresholds(portrait=logit - 1.0))[1] if "portrait" in f.code
    ]
    assert dict(finding.evidence)["reference_logit"] == pytest.approx(reference, abs=1e-3)
    assert next(s for s in scores if s.model == "portrait").logit == pytest.approx(logit)
    # a page that looked like its portrait everywhere would give no cue at all
    monkeypatch.setitem(MODELS, "portrait", dataclasses.replace(spec, references=("portrait",)))
    against_itself, reference = model_logit("portrait", shot.image, frame)
    assert against_itself == pytest.approx(0.0) and reference == pytest.approx(own)
    # the reprint model reads its zone alone
    assert model_logit("reprint", shot.image, frame)[1] is None


def test_tamper_score_is_the_strongest_cue() -> None:
    def finding(category: Category, severity: Severity) -> Finding:
        return Finding("x.y", severity, category, "m", "test")

    assert tamper_score(()) == 0.0
    assert (
        tamper_score((finding(Category.VALIDITY, Severity.ERROR), finding(Category.QUALITY, Severity.WARNING))) == 0.0
    )
    assert tamper_score((finding(Category.AUTHENTICITY, Severity.WARNING),)) == SCORE_FLOOR[Severity.WARNING]
    assert tamper_score((finding(Category.INTEGRITY, Severity.ERROR),)) == SCORE_FLOOR[Severity.ERROR]
    model = RegionScore("portrait", 1.0, 0.73, ())
    assert tamper_score((finding(Category.AUTHENTICITY, Severity.INFO),), (model,)) == 0.73
    assert tamper_score((finding(Category.INTEGRITY, Severity.ERROR),), (model,)) == SCORE_FLOOR[Severity.ERROR]


def test_reports_carry_the_score_and_region_timing() -> None:
    verifier = Verifier(config=VerifierConfig(reference_date=REF))
    genuine = verifier.verify(synthesize(21, MRZFormat.TD3, "flatbed").image)
    off = Verifier(config=VerifierConfig(reference_date=REF, check_regions=False))
    assert off.verify(synthesize(21, MRZFormat.TD3, "flatbed").image).score == 0.0
    timings = dict(genuine.timings_ms)
    assert "regions" in timings and timings["regions"] > 0
    assert 0.0 <= genuine.score < 0.5 and genuine.verdict.value == "pass"
    broken = verifier.verify(synthesize(21, MRZFormat.TD3, "flatbed", forgeries=("mrz.broken_check_digit",)).image)
    assert broken.verdict.value == "fail" and broken.score >= SCORE_FLOOR[Severity.ERROR]


def test_region_warnings_option_of_check(tmp_path: object) -> None:
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from docverify.cli import main

    sample = Path(__file__).resolve().parents[1] / "samples" / "images" / "td3_flatbed.jpg"
    for extra in ([], ["--region-warnings"]):
        result = CliRunner().invoke(main, ["check", "--json", "--reference-date", "2026-01-01", *extra, str(sample)])
        doc = json.loads(result.stdout)
        assert doc["verdict"] == "pass" and doc["score"] < 0.5, doc["findings"]
        assert "regions" in doc["timings_ms"]


def test_region_warnings_option_of_batch(tmp_path: object) -> None:
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from docverify.cli import main

    sample = Path(__file__).resolve().parents[1] / "samples" / "images" / "td3_flatbed.jpg"
    out = Path(str(tmp_path)) / "rows.jsonl"
    args = ["batch", str(sample), "--jsonl", str(out), "--workers", "1", "--no-progress", "--region-warnings"]
    result = CliRunner().invoke(main, [*args, "--reference-date", "2026-01-01"])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["verdict"] == "pass" and "regions" in row["timings_ms"]


def test_the_score_of_an_extreme_logit_does_not_overflow() -> None:
    from docverify.tamper import _sigmoid

    assert _sigmoid(-1e4) == 0.0 and _sigmoid(1e4) == 1.0 and _sigmoid(0.0) == 0.5
    assert _sigmoid(1.2) == pytest.approx(1 / (1 + np.exp(-1.2)))


def test_mrz_only_reads_and_validates_without_forgery_cues() -> None:
    """``mrz_only`` skips the print and region stages (no authenticity findings, their time 0) but keeps
    reading, check digits and rules: a broken check digit still fails, a wrong font is not looked at."""
    quick = Verifier(config=VerifierConfig(reference_date=REF, mrz_only=True))
    full = Verifier(config=VerifierConfig(reference_date=REF))
    genuine = synthesize(23, MRZFormat.TD3, "flatbed").image
    a, b = quick.verify(genuine), full.verify(genuine)
    assert a.mrz is not None and b.mrz is not None and a.mrz.lines == b.mrz.lines
    assert dict(a.engine)["checks"] == ("mrz",) and dict(b.engine)["checks"] == ("mrz", "print", "regions")
    assert dict(a.timings_ms)["print"] == 0 and dict(a.timings_ms)["regions"] == 0
    assert not any(f.category is Category.AUTHENTICITY for f in a.findings)
    broken = quick.verify(synthesize(23, MRZFormat.TD3, "flatbed", forgeries=("mrz.broken_check_digit",)).image)
    assert broken.verdict.value == "fail"
    font = synthesize(24, MRZFormat.TD3, "flatbed", forgeries=("mrz.wrong_font",)).image
    assert not any(f.code.startswith("print.") for f in quick.verify(font).findings)


def test_mrz_only_option_of_check_and_batch(tmp_path: object) -> None:
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from docverify.cli import main

    sample = Path(__file__).resolve().parents[1] / "samples" / "images" / "td3_flatbed.jpg"
    result = CliRunner().invoke(main, ["check", "--reference-date", "2026-01-01", "--mrz-only", str(sample)])
    assert result.exit_code == 0 and "MRZ only, no forgery cues" in result.stdout
    assert "Not checked: forgery cues" in result.stdout
    result = CliRunner().invoke(main, ["check", "--json", "--reference-date", "2026-01-01", "--mrz-only", str(sample)])
    assert json.loads(result.stdout)["engine"]["checks"] == ["mrz"]
    out = Path(str(tmp_path)) / "rows.jsonl"
    args = ["batch", str(sample), "--jsonl", str(out), "--workers", "1", "--no-progress", "--mrz-only"]
    result = CliRunner().invoke(main, [*args, "--reference-date", "2026-01-01"])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["verdict"] == "pass" and row["engine"]["checks"] == ["mrz"]


def test_the_whole_page_cut_upright() -> None:
    shot = synthesize(12, MRZFormat.TD1, "rotated")
    reading = scan_image(shot.image, MRZRecognizer(), reference_date=REF).reading
    assert reading is not None
    frame = reading_frame(reading)
    assert frame.page_size(6.0) == (514, 324)  # the TD1 card, 85.6 × 53.98 mm, in true millimetres
    page = frame.warp_page(shot.image, 6.0)
    assert page.shape == (324, 514, 3) and page.dtype == np.uint8
    # the portrait zone cut on its own and found again inside the page cut at the same scale
    import cv2

    x0, y0, x1, y1 = frame.region_mm(REGIONS["portrait"])
    part = page[round(y0 * 6) + 4 : round(y1 * 6) - 4, round(x0 * 6) + 4 : round(x1 * 6) - 4]
    zone = frame.warp(shot.image, REGIONS["portrait"])
    w, h = REGIONS["portrait"].size
    scale = 6.0 * (x1 - x0) / w  # page-cut pixels per zone pixel
    small = cv2.resize(zone, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    hit = cv2.matchTemplate(small, part, cv2.TM_CCOEFF_NORMED)
    _, best, _, (bx, by) = cv2.minMaxLoc(hit)
    assert best > 0.9 and abs(bx - 4) <= 2 and abs(by - 4) <= 2, (best, bx, by)
