"""Tests of the synthetic document generator (``docverify.synth``): determinism, MRZ validity, ICAO print
geometry measured on the rendered pixels, ground truth that follows every capture transform, the forgery
hook, the ``samples`` command, and the committed sample set in ``samples/images``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pycountry
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

import docverify
from docverify.errors import DependencyError
from docverify.mrz.generate import build_mrz
from docverify.results import MRZFormat
from docverify.synth import render as render_mod
from docverify.synth.capture import CONDITIONS, capture
from docverify.synth.command import samples_command
from docverify.synth.dataset import (
    FORGERIES,
    GROUND_TRUTH_FILE,
    REFERENCE_DATE,
    ForgeryResult,
    apply_forgery,
    generate,
    is_current,
    load_ground_truth,
    register_forgery,
    render_sample,
    synthesize,
)
from docverify.synth.render import (
    FICTITIOUS_STATES,
    GEOMETRY,
    ForgeryRecord,
    GroundTruth,
    Quad,
    RenderedDocument,
    mm_to_px,
    mrz_data_from_params,
    params,
    transform_quads,
    viz_date,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "samples" / "images"
FORMATS = list(GEOMETRY)
FLAT_LETTERS = set("EFHIKLMNTXZ")
"""Capitals with a flat top and bottom: their ink height is the cap height, without overshoot."""


def _inside(quad: Quad, outer: Quad, tol: float = 0.5) -> bool:
    contour = np.asarray(outer, np.float32).reshape(-1, 1, 2)
    return all(cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -tol for x, y in quad)


def _apply(matrix: tuple[tuple[float, float, float], ...], x: float, y: float) -> tuple[float, float]:
    m = np.asarray(matrix)
    p = m @ np.array([x, y, 1.0])
    return float(p[0] / p[2]), float(p[1] / p[2])


# --- determinism and data ---------------------------------------------------------------------------


def test_same_seed_same_image_bytes_and_truth() -> None:
    a = synthesize(5, MRZFormat.TD3, "phone")
    b = synthesize(5, MRZFormat.TD3, "phone")
    assert a.encode() == b.encode()
    assert np.array_equal(a.image, b.image)
    assert a.truth.to_dict() == b.truth.to_dict()
    c = synthesize(6, MRZFormat.TD3, "phone")
    assert c.truth.mrz_lines != a.truth.mrz_lines
    assert c.image.shape != a.image.shape or not np.array_equal(c.image, a.image)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.value)
def test_ground_truth_mrz_is_valid_and_matches_the_data(fmt: MRZFormat) -> None:
    for seed in (1, 2):
        truth = render_sample(seed, fmt).truth
        data = mrz_data_from_params(truth.mrz_data)
        assert tuple(truth.mrz_lines) == build_mrz(data)
        result = docverify.read_mrz(list(truth.mrz_lines), reference_date=dt.date.fromisoformat(truth.reference_date))
        assert result.valid, [f.code for f in result.findings]
        assert result.format is fmt
        assert truth.genuine and truth.forgeries == ()
        assert len(truth.mrz_chars) == sum(len(line) for line in truth.mrz_lines)
        assert "".join(c.char for c in truth.mrz_chars) == "".join(truth.mrz_lines)


def test_visual_zone_is_consistent_with_the_mrz() -> None:
    truth = render_sample(3, MRZFormat.TD3).truth
    data = mrz_data_from_params(truth.mrz_data)
    fields = {f.name: f for f in truth.viz_fields}
    assert fields["surname"].value == data.surname
    assert fields["document_number"].value == data.document_number
    assert fields["nationality"].value == data.nationality
    for name, raw in (("birth_date", data.birth_date), ("expiry_date", data.expiry_date)):
        value = fields[name].value
        assert re.fullmatch(r"\d\d [A-Z]{3} \d{4}", value), value
        parsed = dt.datetime.strptime(value.title(), "%d %b %Y").date()
        assert parsed.strftime("%y%m%d") == raw
    assert dt.datetime.strptime(fields["birth_date"].value.title(), "%d %b %Y").date() <= REFERENCE_DATE
    for f in truth.viz_fields:
        assert f.label and f.value
        assert _inside(f.value_quad, truth.document_quad) and _inside(f.label_quad, truth.document_quad)
        assert f.value_quad[2][1] < truth.mrz_quad[0][1], "a visual-zone field runs into the MRZ"


def test_viz_date_centuries() -> None:
    ref = dt.date(2026, 1, 1)
    assert viz_date("740812", birth=True, reference=ref) == "12 AUG 1974"
    assert viz_date("200229", birth=True, reference=ref) == "29 FEB 2020"
    assert viz_date("310101", birth=True, reference=ref) == "01 JAN 1931"
    assert viz_date("310101", birth=False, reference=ref) == "01 JAN 2031"


def test_state_names_are_not_real_countries() -> None:
    real = set()
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(c, attr, None)
            if name:
                real.add(name.upper())
    for state in FICTITIOUS_STATES:
        for name in real:
            assert not re.search(rf"\b{re.escape(name)}\b", state), (state, name)
    assert render_sample(4, MRZFormat.TD1).truth.state_name in FICTITIOUS_STATES


def test_ground_truth_json_round_trip() -> None:
    truth = synthesize(8, MRZFormat.TD1, "rotated").truth
    d = json.loads(json.dumps(truth.to_dict()))
    again = GroundTruth.from_dict(d)
    assert again.to_dict() == d
    assert d["genuine"] is True and d["capture"]["condition"] == "rotated"
    assert len(d["document_quad"]) == 4 and all(len(p) == 2 for p in d["mrz_quad"])


def test_missing_ocrb_font_is_a_dependency_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(render_mod, "OCRB_PATH", tmp_path / "no-such-font.otf")
    with pytest.raises(DependencyError, match="fonts-ocr-b"):
        render_sample(1, MRZFormat.TD3)


# --- print geometry, measured on the pixels ----------------------------------------------------------


def _ink(doc: RenderedDocument) -> npt.NDArray[np.float32]:
    """Coverage of the MRZ ink (0–1): the page minus its own background, relative to the ink's darkness."""
    bg = doc.background.astype(np.float32).mean(axis=2)
    img = doc.image.astype(np.float32).mean(axis=2)
    ink = float(np.mean(doc.style.mrz_ink))
    out: npt.NDArray[np.float32] = np.clip((bg - img) / np.maximum(bg - ink, 1.0), 0.0, 1.0)
    return out


def _runs(columns: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Start and end (exclusive) of each run of True."""
    padded = np.concatenate([[False], columns, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.value)
def test_mrz_print_geometry_matches_icao(fmt: MRZFormat) -> None:
    doc = render_sample(21, fmt)
    truth, geo, dpi = doc.truth, GEOMETRY[fmt], doc.truth.dpi
    ink = _ink(doc) > 0.5
    px_per_mm = dpi / 25.4
    baselines = []
    for li, line in enumerate(truth.mrz_lines):
        q = truth.mrz_line_quads[li]
        y0, y1 = round(q[0][1]) - 4, round(q[2][1]) + 4
        band = ink[y0:y1]
        runs = _runs(np.asarray(band.any(axis=0), dtype=bool))
        assert len(runs) == len(line), f"line {li}: {len(runs)} glyphs found for {len(line)} characters"
        centres = np.array([(a + b) / 2 for a, b in runs])
        pitch = np.polyfit(np.arange(len(line)), centres, 1)[0] / px_per_mm
        assert pitch == pytest.approx(2.54, rel=0.03)
        left_mm = runs[0][0] / px_per_mm
        assert abs(left_mm - geo.mrz_left_mm) <= 1.0, f"first character {left_mm:.2f} mm from the left edge"
        heights, bottoms = [], []
        for (a, b), ch in zip(runs, line, strict=True):
            rows = np.flatnonzero(band[:, a:b].any(axis=1))
            if ch in FLAT_LETTERS:
                heights.append((rows[-1] - rows[0] + 1) / px_per_mm)
            if ch != "<":
                bottoms.append(y0 + rows[-1] + 1)
        if heights:
            assert 2.3 <= float(np.median(heights)) <= 2.7
        baselines.append(float(np.median(bottoms)))
    for upper, lower in itertools.pairwise(baselines):
        assert (lower - upper) / px_per_mm == pytest.approx(geo.mrz_line_pitch_mm, rel=0.10)
    # zone VII at the bottom, below the portrait, inside the page
    assert _inside(truth.mrz_quad, truth.document_quad)
    assert truth.mrz_quad[2][1] > 0.85 * truth.image_size[1]
    assert truth.portrait_quad[2][1] < truth.mrz_quad[0][1]


def test_mrz_glyphs_land_where_they_are_asked_to_a_quarter_pixel() -> None:
    """Pillow rounds text positions to whole pixels; the MRZ's print jitter and pitch are fractions of a
    pixel, so each glyph is drawn larger and averaged down (``print_mrz_glyph``)."""
    style = render_mod.draw_style(MRZFormat.TD3, np.random.default_rng(1))

    def centroid(x: float, y: float) -> tuple[float, float, float]:
        page = Image.new("RGB", (90, 100), (255, 255, 255))
        render_mod.print_mrz_glyph(ImageDraw.Draw(page), "H", x, y, style)
        ink = 255.0 - np.asarray(page, np.float64)[..., 0]
        rows, cols = np.arange(ink.shape[0]), np.arange(ink.shape[1])
        total = ink.sum()
        return (ink.sum(axis=0) @ cols) / total, (ink.sum(axis=1) @ rows) / total, total

    x0, y0, ink0 = centroid(20.0, 70.0)
    for shift in (0.25, 0.5, 0.75, 1.0, 1.25):  # on the quarter-pixel grid: exact
        x, y, ink = centroid(20.0 + shift, 70.0 + shift)
        assert x - x0 == pytest.approx(shift, abs=0.06) and y - y0 == pytest.approx(shift, abs=0.06)
        assert ink == pytest.approx(ink0, rel=0.02)  # the same glyph, only moved
    for shift in (0.1, 0.4, 0.6, 0.9):  # between grid points: within the grid's half step and a little
        x, y, _ = centroid(20.0 + shift, 70.0 + shift)
        assert abs(x - x0 - shift) <= 0.16 and abs(y - y0 - shift) <= 0.16


def test_cached_data_sets_of_another_generator_revision_are_stale(tmp_path: Path) -> None:
    generate(tmp_path / "now", 1, seed=3, conditions=("none",))
    assert is_current(tmp_path / "now")
    old = tmp_path / "old"
    old.mkdir()
    record = json.loads((tmp_path / "now" / GROUND_TRUTH_FILE).read_text().splitlines()[0])
    record["generator"] = render_mod.GENERATOR_REVISION - 1
    (old / GROUND_TRUTH_FILE).write_text(json.dumps(record) + "\n")
    assert not is_current(old)
    assert load_ground_truth(old)[0].generator == render_mod.GENERATOR_REVISION - 1  # kept, not overwritten
    del record["generator"]  # written before the revision was recorded
    (old / GROUND_TRUTH_FILE).write_text(json.dumps(record) + "\n")
    assert not is_current(old) and load_ground_truth(old)[0].generator == 1
    assert load_ground_truth(tmp_path / "now")[0].generator == render_mod.GENERATOR_REVISION
    assert not is_current(tmp_path / "missing")
    for junk in (b"not json\n", b"[1, 2]\n", b"", b"\xff\xfe\n"):
        (old / GROUND_TRUTH_FILE).write_bytes(junk)
        assert not is_current(old)


def test_td3_portrait_size_is_within_zone_v_limits() -> None:
    for seed in range(4):
        truth = render_sample(seed, MRZFormat.TD3).truth
        (x0, y0), _, (x1, y1), _ = truth.portrait_quad
        h_mm, w_mm = (y1 - y0) * 25.4 / truth.dpi, (x1 - x0) * 25.4 / truth.dpi
        assert 32 <= h_mm <= 45 and 26 <= w_mm <= 35
        assert x0 < truth.image_size[0] / 3, "the portrait is in zone V, at the left"


# --- capture: the ground truth follows the pixels ----------------------------------------------------

_MARK = 6.0  # marker size in mm


def _with_markers(doc: RenderedDocument, centres: list[tuple[float, float]], colour: bool) -> RenderedDocument:
    """White squares (twice the marker size) centred on ``centres`` (page pixels), with a magenta marker
    in each when ``colour``: the marker's surroundings are then the same in both versions."""
    img = doc.image.copy()
    half = mm_to_px(_MARK, doc.truth.dpi) / 2
    for x, y in centres:
        img[round(y - 2 * half) : round(y + 2 * half), round(x - 2 * half) : round(x + 2 * half)] = 255
        if colour:
            img[round(y - half) : round(y + half), round(x - half) : round(x + half)] = (255, 0, 255)
    return dataclasses.replace(doc, image=img)


def _is_magenta(pixel: np.ndarray) -> bool:
    r, g, b = (float(v) for v in pixel)
    return (r + b) / 2 - g > 40


@pytest.mark.parametrize(
    ("condition", "seed", "tolerance"),
    [
        ("phone", 1, 1.0),
        ("phone", 2, 1.0),
        ("phone", 3, 1.0),
        ("rotated", 1, 0.05),
        ("rotated", 4, 0.05),
        ("flatbed", 2, 0.05),
        ("none", 0, 0.01),
    ],
)
def test_capture_keeps_ground_truth_on_the_printed_features(condition: str, seed: int, tolerance: float) -> None:
    doc = render_sample(30 + seed, MRZFormat.TD3)
    w, h = doc.truth.image_size
    cell = np.mean(np.asarray(doc.truth.mrz_chars[0].quad), axis=0)
    centres = [(0.15 * w, 0.2 * h), (0.85 * w, 0.25 * h), (0.5 * w, 0.6 * h), (float(cell[0]), float(cell[1]))]
    centres = [(round(x) + 0.0, round(y) + 0.0) for x, y in centres]  # marker edges on pixel edges
    plain = capture(_with_markers(doc, centres, False), condition, np.random.default_rng(seed))
    shot = capture(_with_markers(doc, centres, True), condition, np.random.default_rng(seed))
    assert plain.truth.to_dict() == shot.truth.to_dict()
    # each marker, found in the pixels (the only difference between the two captures), is centred where
    # the ground-truth homography puts its centre; the lighting makes a phone's marker slightly uneven
    diff = np.abs(shot.image.astype(np.float64) - plain.image.astype(np.float64)).sum(axis=2)
    _, labels, stats, _ = cv2.connectedComponentsWithStats((diff > 30).astype(np.uint8))
    decoded = shot.decoded()
    hom = shot.truth.document_to_image
    for x, y in centres:
        u, v = _apply(hom, x, y)
        x0, y0, bw, bh, _ = stats[labels[int(v), int(u)]]
        assert 0 < bw < w / 4 and 0 < bh < h / 4, "no marker where the ground truth says"
        win = diff[y0 - 3 : y0 + bh + 3, x0 - 3 : x0 + bw + 3]
        yy, xx = np.mgrid[y0 - 3 : y0 + bh + 3, x0 - 3 : x0 + bw + 3] + 0.5  # pixel centres
        found = ((win * xx).sum() / win.sum(), (win * yy).sum() / win.sum())
        assert np.hypot(found[0] - u, found[1] - v) <= tolerance, (condition, seed, (x, y), found, (u, v))
        assert _is_magenta(decoded[int(v), int(u)])
    # the first MRZ character's cell, as the ground truth has it after capture, holds the last marker
    u, v = np.mean(np.asarray(shot.truth.mrz_chars[0].quad), axis=0)
    assert _is_magenta(decoded[int(v), int(u)])
    # every quad of the ground truth moved with that same homography
    m = np.asarray(hom)
    original = doc.truth
    for before, after in ((original.mrz_quad, shot.truth.mrz_quad), (original.portrait_quad, shot.truth.portrait_quad)):
        assert np.allclose(transform_quads([before], m)[0], after, atol=1e-6)
    for b, a in zip(original.mrz_chars, shot.truth.mrz_chars, strict=True):
        assert b.char == a.char and np.allclose(transform_quads([b.quad], m)[0], a.quad, atol=1e-6)
    wi, hi = shot.truth.image_size
    assert decoded.shape[:2] == (hi, wi)
    assert _inside(shot.truth.mrz_quad, shot.truth.document_quad)
    assert all(0 <= x <= wi and 0 <= y <= hi for x, y in shot.truth.document_quad)
    assert shot.truth.capture.condition == condition


def test_rotated_includes_exact_right_angles_and_any_angle() -> None:
    doc = render_sample(2, MRZFormat.TD1)
    angles = [
        float(dict(capture(doc, "rotated", np.random.default_rng(s)).truth.capture.params)["angle"]) for s in range(10)
    ]
    assert any(a in (90.0, 180.0, 270.0) for a in angles)
    assert any(a % 90 != 0 for a in angles)
    assert all(0 <= a < 360 for a in angles)
    shot = next(capture(doc, "rotated", np.random.default_rng(s)) for s in range(10) if angles[s] == 90.0)
    # a quarter turn counter-clockwise: the page's top-left corner is now at the bottom-left
    (x, y), *_ = shot.truth.document_quad
    assert x < shot.truth.image_size[0] / 2 and y > shot.truth.image_size[1] / 2


def test_phone_mrz_character_height_varies_down_to_about_12_px() -> None:
    doc = render_sample(5, MRZFormat.TD3)
    heights = []
    for s in range(8):
        shot = capture(doc, "phone", np.random.default_rng(s))
        p = dict(shot.truth.capture.params)
        heights.append(float(p["mrz_char_height_px"]))
        assert 55 <= int(p["jpeg_quality"]) <= 90
        assert shot.suffix == ".jpg"
        assert max(shot.truth.image_size) <= 2000
    assert all(11.0 <= h <= 42.0 for h in heights), heights
    assert min(heights) < 20 < max(heights), heights


def test_unknown_condition_is_rejected() -> None:
    doc = render_sample(1, MRZFormat.TD2)
    with pytest.raises(ValueError, match="unknown capture condition"):
        capture(doc, "fax", np.random.default_rng(0))
    assert {"none", "flatbed", "rotated", "phone"} <= set(CONDITIONS)


# --- forgery hook -----------------------------------------------------------------------------------


@pytest.fixture
def blackout() -> Iterator[str]:
    kind = "test.portrait_blackout"

    @register_forgery(kind)
    def _forge(doc: RenderedDocument, rng: np.random.Generator) -> ForgeryResult:
        (x0, y0), _, (x1, y1), _ = doc.truth.portrait_quad
        img = doc.image.copy()
        img[round(y0) : round(y1), round(x0) : round(x1)] = 0
        return ForgeryResult(img, ForgeryRecord(kind, params(shade=0), (doc.truth.portrait_quad,)))

    yield kind
    del FORGERIES[kind]


def test_forgery_hook_applies_and_records(blackout: str) -> None:
    genuine = render_sample(9, MRZFormat.TD3)
    forged = render_sample(9, MRZFormat.TD3, forgeries=[blackout])
    assert genuine.truth.genuine and not forged.truth.genuine
    assert [f.kind for f in forged.truth.forgeries] == [blackout]
    (x0, y0), _, (x1, y1), _ = forged.truth.portrait_quad
    assert forged.image[round((y0 + y1) / 2), round((x0 + x1) / 2)].tolist() == [0, 0, 0]
    assert not np.array_equal(genuine.image, forged.image)
    shot = synthesize(9, MRZFormat.TD3, "phone", forgeries=[blackout])
    region = shot.truth.forgeries[0].regions[0]
    assert np.allclose(region, shot.truth.portrait_quad)
    assert shot.truth.to_dict()["forgeries"][0]["kind"] == blackout
    with pytest.raises(ValueError, match="already registered"):
        register_forgery(blackout)(lambda d, r: ForgeryResult(d.image, ForgeryRecord(blackout)))


def test_forgery_hook_rejects_unknown_and_inconsistent_forgeries() -> None:
    doc = render_sample(1, MRZFormat.TD1)
    with pytest.raises(ValueError, match="unknown forgery"):
        apply_forgery(doc, "no.such.forgery", np.random.default_rng(0))
    register_forgery("test.liar")(lambda d, r: ForgeryResult(d.image, ForgeryRecord("other")))
    try:
        with pytest.raises(ValueError, match="record of kind"):
            apply_forgery(doc, "test.liar", np.random.default_rng(0))
    finally:
        del FORGERIES["test.liar"]


# --- the samples command ----------------------------------------------------------------------------


def test_samples_command_writes_images_and_ground_truth(tmp_path: Path) -> None:
    out = tmp_path / "set"
    args = [
        "--out",
        str(out),
        "--count",
        "4",
        "--seed",
        "3",
        "--formats",
        "td1,MRV-B",
        "--conditions",
        "flatbed,phone",
        "--dpi",
        "150",
    ]
    result = CliRunner().invoke(samples_command, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote 4 images") and result.output.count("\n") == 1
    truths = load_ground_truth(out)
    images = sorted(p.name for p in out.iterdir() if p.name != GROUND_TRUTH_FILE)
    assert len(truths) == 4 and sorted(t.file for t in truths) == images
    assert [t.format for t in truths] == ["TD1", "MRV-B", "TD1", "MRV-B"]
    assert [t.capture.condition for t in truths] == ["flatbed", "flatbed", "phone", "phone"]
    assert all(t.dpi == 150 for t in truths)
    again = CliRunner().invoke(samples_command, [*args[:1], str(tmp_path / "again"), *args[2:]])
    assert again.exit_code == 0
    assert (tmp_path / "again" / images[0]).read_bytes() == (out / images[0]).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "2"], "--out"),
        (["--out", "{tmp}", "--formats", "TD4"], "unknown format"),
        (["--out", "{tmp}", "--formats", "FRA-ID"], "unknown format"),
        (["--out", "{tmp}", "--formats", ","], "at least one format"),
        (["--out", "{tmp}", "--conditions", "fax"], "unknown condition"),
        (["--out", "{tmp}", "--count", "0"], "--count"),
        (["--out", "{tmp}", "--seed", "-1"], "--seed"),
        (["--out", "{tmp}", "--dpi", "20"], "--dpi"),
    ],
)
def test_samples_command_rejects_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(samples_command, [a.replace("{tmp}", str(tmp_path / "x")) for a in args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x").exists()


def test_samples_command_help_has_examples() -> None:
    result = CliRunner().invoke(samples_command, ["--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "docverify samples --out" in result.output


# --- the committed sample set -----------------------------------------------------------------------


def test_committed_samples_match_their_ground_truth() -> None:
    truths = load_ground_truth(SAMPLE_DIR)
    files = sorted(p.name for p in SAMPLE_DIR.iterdir() if p.name != GROUND_TRUTH_FILE)
    assert sorted(t.file for t in truths) == files
    assert 6 <= len(files) <= 8
    assert sum((SAMPLE_DIR / f).stat().st_size for f in files) < 3_000_000
    assert {t.format for t in truths} == {f.value for f in FORMATS}
    assert {t.capture.condition for t in truths} == {"flatbed", "rotated", "phone"}
    for t in truths:
        image = cv2.imread(str(SAMPLE_DIR / t.file), cv2.IMREAD_COLOR)
        assert image is not None, t.file
        assert (image.shape[1], image.shape[0]) == t.image_size, t.file
        assert re.fullmatch(rf"{t.format.lower().replace('-', '')}_{t.capture.condition}(_\d+)?\.jpg", t.file)
        result = docverify.read_mrz(list(t.mrz_lines), reference_date=dt.date.fromisoformat(t.reference_date))
        assert result.valid, t.file
        assert _inside(t.mrz_quad, t.document_quad, tol=1.0)
        w, h = t.image_size
        assert all(0 <= x <= w and 0 <= y <= h for x, y in t.document_quad)


def test_committed_samples_are_reproducible_from_their_seeds() -> None:
    truth = next(t for t in load_ground_truth(SAMPLE_DIR) if t.file == "td1_phone.jpg")
    shot = synthesize(truth.seed, MRZFormat(truth.format), truth.capture.condition)
    assert shot.truth.mrz_lines == truth.mrz_lines
    assert shot.truth.image_size == truth.image_size
    assert np.allclose(shot.truth.mrz_quad, truth.mrz_quad, atol=0.01)
