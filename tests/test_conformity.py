"""MRZ print conformity (``docverify.mrz.conformity``): glyph positions and OCR-B similarity measured on
synthetic line crops with known geometry, the findings they lead to, and one generated forgery end to end."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageDraw, ImageFont

from docverify.mrz import conformity
from docverify.mrz.conformity import check_print, measure_line
from docverify.mrz.glyphs import ALPHABET, font_path
from docverify.mrz.locate import LineCrop
from docverify.pipeline import Verifier, VerifierConfig
from docverify.results import Category, Finding, MRZFormat, Severity
from docverify.synth.dataset import synthesize

LINES = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
CAP = 33.0
PITCH = 34.5
BASE = 48.0
LEFT = 20.0
MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
# the crop's pixels map to the original image scaled by 2 and moved: boxes must follow
TO_ORIGINAL = np.array([[2.0, 0.0, 100.0], [0.0, 2.0, 300.0]])


def render_line(
    text: str,
    *,
    dx: npt.ArrayLike | None = None,
    dy: npt.ArrayLike | None = None,
    font: str | None = None,
    blur: float = 0.7,
    seed: int = 0,
    origin: tuple[float, float] = (0.0, 0.0),
    turn: tuple[float, int, int] | None = None,
    lean: float = 0.0,
) -> tuple[LineCrop, list[float]]:
    """A line crop (64 px tall, H×W uint8 gray, dark on light) with ``text`` printed at an even pitch, each
    character moved by ``dx``/``dy`` pixels, drawn 4× larger and reduced (sub-pixel exact); and the cell
    centres (pixel indices) where the reader would put them. ``turn`` (degrees counter-clockwise, first
    character, end) turns those characters each about its own centre; ``lean`` slopes every vertical stroke
    by that many degrees (an x-shear about the baseline, as a photo taken at an angle or italics do)."""
    n = len(text)
    shift_x = np.zeros(n) if dx is None else np.asarray(dx, float)
    shift_y = np.zeros(n) if dy is None else np.asarray(dy, float)
    up = 4
    path = font or str(font_path())
    probe = ImageFont.truetype(path, 400)
    box = probe.getbbox("H")
    face = ImageFont.truetype(path, round(400 * CAP * up / (box[3] - box[1])))
    width = int(2 * LEFT + PITCH * n)
    img = Image.new("L", (width * up, 64 * up), 235)
    draw = ImageDraw.Draw(img)
    for i, ch in enumerate(text):
        cx = LEFT + (i + 0.5) * PITCH + shift_x[i]
        xy = (cx * up - face.getlength(ch) / 2, (BASE + shift_y[i]) * up)
        if turn is not None and turn[1] <= i < turn[2]:
            glyph = Image.new("L", img.size, 255)
            ImageDraw.Draw(glyph).text(xy, ch, font=face, fill=30, anchor="ls")
            centre = (cx * up, (BASE + shift_y[i] - CAP / 2) * up)
            glyph = glyph.rotate(turn[0], resample=Image.Resampling.BICUBIC, center=centre, fillcolor=255)
            img = Image.fromarray(np.minimum(np.asarray(img), np.asarray(glyph)))
            draw = ImageDraw.Draw(img)
        else:
            draw.text(xy, ch, font=face, fill=30, anchor="ls")
    if lean:
        k = np.tan(np.radians(lean))
        shear = np.array([[1.0, -k, k * BASE * up], [0.0, 1.0, 0.0]])
        img = Image.fromarray(cv2.warpAffine(np.asarray(img), shear, img.size, borderValue=235))
    a = cv2.resize(np.asarray(img, np.float32), (width, 64), interpolation=cv2.INTER_AREA)
    a = cv2.GaussianBlur(a, (0, 0), blur) + np.random.default_rng(seed).normal(0.0, 2.0, a.shape)
    crop = LineCrop(np.clip(a, 0, 255).astype(np.uint8), LEFT, LEFT + n * PITCH, TO_ORIGINAL.copy())
    crop.to_original[1, 2] += origin[1]
    return crop, [LEFT + (i + 0.5) * PITCH - 0.5 for i in range(n)]


def two_lines(**line2: object) -> tuple[list[LineCrop], list[list[float]]]:
    """The two lines of ``LINES``, the second drawn with ``line2`` (see :func:`render_line`), 2.6 cap
    heights apart in the original image (ICAO: 6.35 mm for capitals about 2.45 mm tall)."""
    first, c1 = render_line(LINES[0], seed=1)
    second, c2 = render_line(LINES[1], seed=2, origin=(0.0, 2 * 2.6 * CAP), **line2)  # type: ignore[arg-type]
    return [first, second], [c1, c2]


def codes(findings: tuple[Finding, ...], severity: Severity = Severity.WARNING) -> set[str]:
    return {f.code for f in findings if f.severity is severity}


# --- measurement --------------------------------------------------------------------------------------------


def test_glyph_positions_are_measured_to_a_fraction_of_a_pixel() -> None:
    rng = np.random.default_rng(3)
    dx, dy = rng.uniform(-1.5, 1.5, len(LINES[1])), rng.uniform(-1.5, 1.5, len(LINES[1]))
    crop, centres = render_line(LINES[1], dx=dx, dy=dy)
    m = measure_line(crop, LINES[1], centres)
    assert m is not None
    err_x = m.x - (np.asarray(centres) + dx)
    err_y = m.baseline - (BASE - 0.5 + dy)
    assert np.abs(err_x - np.median(err_x)).max() < 0.6 and np.std(err_x) < 0.3
    assert np.abs(err_y - np.median(err_y)).max() < 0.6 and np.std(err_y) < 0.3
    assert np.median(m.cap) == pytest.approx(CAP, rel=0.05)
    assert m.ocrb > 0.9  # OCR-B glyphs match their templates


def test_a_name_line_of_a_short_name_is_measured_from_its_fillers() -> None:
    """``LI<<NA<<<…``: four letters are too few to fit the line's height and baseline on, so the fillers
    count too; the glyphs are placed as well as on a full line (it was "not assessed" before)."""
    text = "LI<<NA" + "<" * 24
    rng = np.random.default_rng(5)
    dy = rng.uniform(-1.0, 1.0, len(text))
    crop, centres = render_line(text, dy=dy)
    m = measure_line(crop, text, centres)
    assert m is not None
    err_y = m.baseline - (BASE - 0.5 + dy)
    assert np.abs(err_y - np.median(err_y)).max() < 0.8 and abs(np.median(err_y)) < 1.0
    assert np.median(m.cap) == pytest.approx(CAP, rel=0.08)


def test_a_line_with_too_few_reliable_glyphs_is_not_judged_and_says_so() -> None:
    """Glyphs compared with the wrong characters align nowhere: with fewer than ``MIN_RELIABLE`` left, the
    line's positions are not judged (a "run" of the few left would say nothing) and an info finding says so."""
    crops, centres = two_lines()
    wrong = "".join("X" if ch.isdigit() else "7" for ch in LINES[1])
    found = conformity.assess(crops, [LINES[0], wrong], centres)
    assert found is not None
    assert found.reliable[0].all() and not found.reliable[1].any()
    assert 0 < conformity.reliable(found.lines[1]).sum() < conformity.MIN_RELIABLE
    findings = check_print(crops, [LINES[0], wrong], centres)
    (note,) = [f for f in findings if f.code == conformity.NOT_ASSESSED]
    assert note.severity is Severity.INFO and note.category is Category.QUALITY and "MRZ line 2" in note.message
    assert not {"print.mrz.pitch", "print.mrz.baseline", "print.mrz.tilt"} & {f.code for f in findings}


def test_another_font_matches_ocrb_less() -> None:
    if not MONO.exists():
        pytest.skip("DejaVu Sans Mono is not installed")
    crop, centres = render_line(LINES[1])
    other, other_centres = render_line(LINES[1], font=str(MONO))
    genuine, retyped = measure_line(crop, LINES[1], centres), measure_line(other, LINES[1], other_centres)
    assert genuine is not None and retyped is not None
    assert genuine.ocrb - retyped.ocrb > 0.1


def test_the_font_model_scores_ocrb_low_and_an_unseen_font_high() -> None:
    """DejaVu Sans Mono was kept out of the font model's training and validation (models/mrz_font)."""
    if not MONO.exists():
        pytest.skip("DejaVu Sans Mono is not installed")
    t = conformity.Thresholds()
    for seed, text in enumerate(LINES):
        genuine, centres = render_line(text, seed=seed)
        retyped, other_centres = render_line(text, font=str(MONO), seed=seed)
        g, r = measure_line(genuine, text, centres), measure_line(retyped, text, other_centres)
        assert g is not None and r is not None
        assert g.glyphs.shape == (len(text), *conformity._padded_templates().shape[1:])
        ours, theirs = conformity.font_model_scores([g, r])
        assert ours.shape == theirs.shape == (len(text),)
        assert ours.mean() < t.font_model_note and theirs.mean() > t.font_model_warn


def test_font_input_stretches_each_glyph_from_paper_to_ink() -> None:
    crop, centres = render_line(LINES[1])
    m = measure_line(crop, LINES[1], centres)
    assert m is not None
    chars = np.array([ALPHABET.index(ch) for ch in LINES[1]])
    x = conformity.font_input(m.glyphs, chars)
    assert x.shape == (len(LINES[1]), 2, *m.glyphs.shape[1:]) and x.dtype == np.float32
    faint = conformity.font_input(0.2 + 0.5 * m.glyphs, chars)  # grey paper, faint ink: the same input
    assert np.abs(faint - x).max() < 1e-4
    as_bytes = conformity.font_input(np.round(m.glyphs * 255).astype(np.uint8), chars)
    assert np.abs(as_bytes - x).max() < 0.02
    assert np.array_equal(x[:, 1], conformity._padded_templates()[chars])


def test_a_line_that_cannot_be_measured_gives_none() -> None:
    crop, centres = render_line(LINES[1])
    assert measure_line(crop, LINES[1][:7], centres[:7]) is None  # too few cells
    assert measure_line(crop, LINES[1], centres[::-1]) is None  # cells not left to right
    blank = LineCrop(np.full_like(crop.image, 235), crop.text_start, crop.text_end, crop.to_original)
    assert measure_line(blank, LINES[1], centres) is None  # no ink


# --- findings -----------------------------------------------------------------------------------------------


def test_an_even_ocrb_print_gives_no_finding() -> None:
    crops, centres = two_lines()
    assert check_print(crops, LINES, centres) == ()


def test_a_run_on_another_baseline_is_reported_where_it_is() -> None:
    dy = np.zeros(len(LINES[1]))
    dy[20:26] = -0.12 * CAP  # six characters raised by 0.3 mm
    crops, centres = two_lines(dy=dy)
    findings = check_print(crops, LINES, centres)
    assert codes(findings) == {"print.mrz.baseline"}
    (f,) = findings
    assert f.category is Category.AUTHENTICITY and f.stage == conformity.STAGE
    (span,) = f.spans
    assert span.line == 1 and span.start <= 21 and span.end >= 25 and span.end - span.start <= 9
    ev = dict(f.evidence)
    assert ev["displacement_mm"] == pytest.approx(0.3, abs=0.08)
    assert float(ev["chi2"]) > conformity.Thresholds().run_warn
    # the box is in original-image pixels: the crop's pixels doubled and moved by (100, 300 + line offset)
    xs, ys = [p[0] for p in f.box], [p[1] for p in f.box]
    y0 = 300 + 2 * 2.6 * CAP
    assert 100 + 2 * (LEFT + 19.5 * PITCH) < min(xs) < 100 + 2 * (LEFT + 21 * PITCH)
    assert 100 + 2 * (LEFT + 25 * PITCH) < max(xs) < 100 + 2 * (LEFT + 27.5 * PITCH)
    assert y0 + 2 * (BASE - 1.5 * CAP) < min(ys) < max(ys) < y0 + 2 * (BASE + 0.5 * CAP)
    assert "line 2, positions" in f.message and "cannot prove" in f.message


def test_typeface_only_judges_the_font_and_not_the_positions() -> None:
    """For a reading whose errors may be misreadings the pipeline asks for the typeface alone: a raised run is
    not reported (positions are measured against the characters read, which may be wrong) and an info says so;
    a line in another typeface still warns."""
    dy = np.zeros(len(LINES[1]))
    dy[20:26] = -0.12 * CAP
    crops, centres = two_lines(dy=dy)
    assert codes(check_print(crops, LINES, centres)) == {"print.mrz.baseline"}
    judged = check_print(crops, LINES, centres, typeface_only=True)
    assert codes(judged) == set() and codes(judged, Severity.INFO) == {"print.mrz.not_assessed"}
    assert "Only the typeface" in judged[-1].message
    crops, centres = two_lines(font=str(MONO))
    assert "print.mrz.font" in codes(check_print(crops, LINES, centres, typeface_only=True))


def _shaded(crop: LineCrop, light: float) -> LineCrop:
    """``crop`` with the light falling smoothly to ``light`` of its brightness over the second half."""
    w = crop.image.shape[1]
    gain = np.clip(1.0 - (1.0 - light) * (np.arange(w) - 0.4 * w) / (0.2 * w), light, 1.0)
    return dataclasses.replace(crop, image=np.clip(crop.image * gain[None, :], 0, 255).astype(np.uint8))


def test_uneven_light_is_divided_out_and_measured() -> None:
    """A shadow over half a line: the glyphs in it measure where they are (the light divided out) and the line
    reports how dark its paper got."""
    crop, centres = render_line(LINES[1], seed=3)
    even = measure_line(crop, LINES[1], centres)
    shaded = measure_line(_shaded(crop, 0.4), LINES[1], centres)
    assert even is not None and shaded is not None
    assert even.light > 0.9 and shaded.light == pytest.approx(0.4, abs=0.08)
    assert np.abs(shaded.x - even.x).max() < 0.05 * PITCH
    assert np.abs(shaded.baseline - even.baseline).max() < 0.05 * CAP
    assert shaded.ocrb > even.ocrb - 0.03


def test_a_run_in_a_deep_shadow_is_information_only() -> None:
    """Positions measured in a deep shadow are noisier than the document's scatter: a run there is told, as
    information, with the reason; a run in even light warns."""
    dy = np.zeros(len(LINES[1]))
    dy[20:26] = -0.12 * CAP
    crops, centres = two_lines(dy=dy)
    assert codes(check_print(crops, LINES, centres)) == {"print.mrz.baseline"}
    dark = [crops[0], _shaded(crops[1], 0.45)]
    findings = check_print(dark, LINES, centres)
    assert codes(findings) == set()
    (f,) = [f for f in findings if f.code == "print.mrz.baseline"]
    assert f.severity is Severity.INFO and "uneven" in f.message and float(dict(f.evidence)["light"]) < 0.6


def test_a_run_at_another_pitch_is_reported() -> None:
    dx = np.zeros(len(LINES[1]))
    dx[30:36] = (np.arange(6) - 2.5) * 0.08 * PITCH  # six characters spread 8 % wider about their middle
    crops, centres = two_lines(dx=dx)
    findings = check_print(crops, LINES, centres)
    assert codes(findings) == {"print.mrz.pitch"}
    (span,) = next(f for f in findings if f.code == "print.mrz.pitch").spans
    assert span.line == 1 and span.start <= 31 and span.end >= 35


def test_pitch_and_baseline_runs_have_their_own_levels() -> None:
    """A pitch run is judged by the pitch levels (lower: the centres' fit leaves less scatter on genuine
    captures), not the baseline's."""
    dx = np.zeros(len(LINES[1]))
    dx[30:36] = (np.arange(6) - 2.5) * 0.08 * PITCH
    crops, centres = two_lines(dx=dx)
    (f,) = [f for f in check_print(crops, LINES, centres) if f.code == "print.mrz.pitch"]
    t = conformity.Thresholds()
    evidence = dict(f.evidence)
    assert evidence["threshold_warning"] == t.pitch_warn < t.run_warn
    assert evidence["threshold_info"] == t.pitch_note and evidence["threshold_alone"] == t.pitch_alone
    assert f"a warning from {t.pitch_alone:.0f}, or from {t.pitch_warn:.0f}" in f.message
    chi2 = float(evidence["chi2"])
    above = dataclasses.replace(
        t, pitch_warn=chi2 + 1, pitch_note=chi2 + 1, pitch_alone=chi2 + 1, run_warn=0.0, run_note=0.0
    )
    assert "print.mrz.pitch" not in codes(check_print(crops, LINES, centres, thresholds=above))
    between = dataclasses.replace(t, pitch_warn=chi2 + 1, pitch_alone=chi2 + 1, pitch_note=chi2 - 1)
    (note,) = [f for f in check_print(crops, LINES, centres, thresholds=between) if f.code == "print.mrz.pitch"]
    assert note.severity is Severity.INFO


def test_below_the_level_alone_a_run_warns_only_when_it_stands_out() -> None:
    t = conformity.Thresholds()
    for axis, warn, alone in (("pitch", t.pitch_warn, t.pitch_alone), ("baseline", t.run_warn, t.run_alone)):
        chi2 = (warn + alone) / 2
        assert t.run_severity(axis, chi2, chi2 / (t.run_ratio + 0.5)) is Severity.WARNING
        assert t.run_severity(axis, chi2, chi2 / (t.run_ratio - 0.5)) is Severity.INFO
        assert t.run_severity(axis, alone, alone) is Severity.WARNING
        assert t.run_severity(axis, warn - 1, 0.0) is (Severity.INFO if warn - 1 >= t.run_levels(axis)[1] else None)
    # the next worst run is measured: on an even print it is the noise, with a run elsewhere it is that run
    dy = np.zeros(len(LINES[1]))
    dy[20:26] = -0.12 * CAP
    crops, centres = two_lines(dy=dy)
    found = conformity.assess(crops, LINES, centres)
    assert found is not None and found.baseline is not None
    assert found.baseline.chi2 > t.run_ratio * found.next_runs[1]
    dy[5:10] = 0.12 * CAP
    crops, centres = two_lines(dy=dy)
    found = conformity.assess(crops, LINES, centres)
    assert found is not None and found.baseline is not None
    assert found.next_runs[1] > t.run_alone  # the second raised run is the next worst


def test_a_run_of_turned_glyphs_is_reported() -> None:
    crops, centres = two_lines(turn=(2.5, 30, 36))  # six characters turned 2.5° each about its centre
    findings = check_print(crops, LINES, centres)
    assert codes(findings) == {"print.mrz.tilt"}
    (f,) = findings
    (span,) = f.spans
    assert span.line == 1 and span.start <= 31 and span.end >= 35 and span.end - span.start <= 9
    ev = dict(f.evidence)
    assert abs(float(ev["turn_degrees"])) == pytest.approx(2.5, abs=1.2)
    assert float(ev["chi2"]) >= conformity.Thresholds().tilt_warn and "turned" in f.message and f.box


def test_turns_are_not_judged_on_a_capture_that_shears_the_glyphs() -> None:
    """A photo taken at an angle leans every glyph, and letters and fillers answer a lean with different
    measured turns: there, turns are not judged at all."""
    t = conformity.Thresholds()
    first, c1 = render_line(LINES[0], seed=1, lean=3.0)
    second, c2 = render_line(LINES[1], seed=2, origin=(0.0, 2 * 2.6 * CAP), lean=3.0, turn=(2.5, 30, 36))
    found = conformity.assess([first, second], LINES, [c1, c2])
    assert found is not None and found.view[0] > t.tilt_lean
    assert "print.mrz.tilt" not in codes(check_print([first, second], LINES, [c1, c2]), Severity.INFO)
    assert "print.mrz.tilt" not in codes(check_print([first, second], LINES, [c1, c2]))
    crops, centres = two_lines()
    upright = conformity.assess(crops, LINES, centres)
    assert upright is not None and upright.view[0] < t.tilt_lean and upright.view[1] < t.tilt_gap


def test_turns_are_not_judged_on_a_blurred_capture() -> None:
    """In a blurred capture a glyph's turn is measured on soft edges: the same turned run is not judged."""
    t = conformity.Thresholds()
    first, c1 = render_line(LINES[0], seed=1, blur=3.0)
    second, c2 = render_line(LINES[1], seed=2, origin=(0.0, 2 * 2.6 * CAP), blur=3.0, turn=(2.5, 30, 36))
    found = conformity.assess([first, second], LINES, [c1, c2])
    assert found is not None and max(found.blur) >= t.tilt_blur
    assert found.view[0] < t.tilt_lean and found.view[1] < t.tilt_gap  # seen square on: only the blur stops it
    assert "print.mrz.tilt" not in codes(check_print([first, second], LINES, [c1, c2]), Severity.INFO)
    assert "print.mrz.tilt" not in codes(check_print([first, second], LINES, [c1, c2]))


def test_a_smooth_bend_of_the_line_is_not_a_run() -> None:
    # a curved page photographed close up: the centres drift smoothly from an even pitch, by up to 0.45
    # pitch at the start of the line and 0.2 at its end (as measured on real phone photos of passports)
    k = np.linspace(-1.0, 1.0, len(LINES[1]))
    bend = (0.3 * k**3 - 0.05 * k**2 + 0.05 * k) * PITCH
    bend -= np.where(k < 0, 0.15 * k**2, 0.0) * PITCH
    assert np.ptp(bend) > 0.6 * PITCH
    crops, centres = two_lines(dx=bend)
    assert codes(check_print(crops, LINES, centres)) == set()


def test_a_run_at_the_end_of_a_bent_line_is_still_reported() -> None:
    k = np.linspace(-1.0, 1.0, len(LINES[1]))
    dx = 0.25 * k**3 * PITCH
    dx[-8:] += (np.arange(8) - 3.5) * 0.09 * PITCH  # the last eight characters 9 % wider
    crops, centres = two_lines(dx=dx)
    findings = check_print(crops, LINES, centres)
    assert codes(findings) == {"print.mrz.pitch"}
    (span,) = next(f for f in findings if f.code == "print.mrz.pitch").spans
    assert span.line == 1 and span.end >= len(LINES[1]) - 2


def test_one_stray_glyph_is_not_a_run() -> None:
    dy = np.zeros(len(LINES[1]))
    dy[17] = 0.2 * CAP
    crops, centres = two_lines(dy=dy)
    assert codes(check_print(crops, LINES, centres)) == set()


def test_a_line_in_another_font_is_reported_with_its_box() -> None:
    if not MONO.exists():
        pytest.skip("DejaVu Sans Mono is not installed")
    crops, centres = two_lines(font=str(MONO))
    findings = check_print(crops, LINES, centres)
    fonts = [f for f in findings if f.code == "print.mrz.font"]
    assert [(f.severity, f.spans[0].line) for f in fonts] == [(Severity.WARNING, 1)]
    evidence = dict(fonts[0].evidence)
    assert float(evidence["ocrb_similarity"]) < conformity.Thresholds().font_warn
    assert float(evidence["font_model_score"]) >= conformity.Thresholds().font_model_warn
    assert len(fonts[0].box) == 4 and min(p[1] for p in fonts[0].box) > 300 + 2 * 2.6 * CAP


def test_the_shape_similarity_alone_gives_info_unless_it_may_warn() -> None:
    """Since the font model, a line below the template-similarity floor but not scored as another font by
    the model is an info finding; ``font_shape_warns`` restores the similarity test's own warnings."""
    if not MONO.exists():
        pytest.skip("DejaVu Sans Mono is not installed")
    crops, centres = two_lines(font=str(MONO))
    blind = conformity.Thresholds(font_model_warn=1e9, font_model_note=1e9)
    (f,) = [f for f in check_print(crops, LINES, centres, thresholds=blind) if f.code == "print.mrz.font"]
    assert f.severity is Severity.INFO and f.spans[0].line == 1
    old = dataclasses.replace(blind, font_shape_warns=True)
    (f,) = [f for f in check_print(crops, LINES, centres, thresholds=old) if f.code == "print.mrz.font"]
    assert f.severity is Severity.WARNING


def test_a_line_measured_at_another_height_gets_no_font_warning() -> None:
    """ICAO prints every MRZ line at one height: a line measured 1.5 times taller than the others was cut at
    the wrong place, so what its glyphs look like says nothing of the font (info at most)."""
    if not MONO.exists():
        pytest.skip("DejaVu Sans Mono is not installed")
    crops, centres = two_lines(font=str(MONO))
    crops[1].to_original[:, :2] *= 1.5
    (f,) = [f for f in check_print(crops, LINES, centres) if f.code == "print.mrz.font"]
    assert f.severity is Severity.INFO and f.spans[0].line == 1
    assert "cut at the wrong place" in f.message and "only a note" in f.message


def test_lines_too_far_apart_are_noted() -> None:
    first, c1 = render_line(LINES[0], seed=1)
    second, c2 = render_line(LINES[1], seed=2, origin=(0.0, 2 * 3.4 * CAP))
    findings = check_print([first, second], LINES, [c1, c2])
    assert codes(findings, Severity.INFO) == {"print.mrz.line_spacing"} and codes(findings) == set()
    (f,) = findings
    assert dict(f.evidence)["spacing_over_cap_height"] == pytest.approx(3.4, abs=0.15)
    assert [s.line for s in f.spans] == [0, 1] and len(f.box) == 4
    # ICAO states no line pitch for the 2 × 36 layouts: not tested there
    short = [render_line(t[:36], seed=i, origin=(0.0, i * 2 * 3.4 * CAP)) for i, t in enumerate(LINES)]
    assert check_print([c for c, _ in short], [t[:36] for t in LINES], [x for _, x in short]) == ()


def test_not_assessed_when_the_reading_or_the_image_is_not_good_enough() -> None:
    crops, centres = two_lines()
    assert check_print([], (), []) == ()
    for findings in (
        check_print(crops, LINES, centres, valid=False),
        check_print(crops, LINES, [c[::-1] for c in centres]),
        check_print(crops, LINES, centres, thresholds=conformity.Thresholds(min_cap_px=100.0)),
    ):
        assert [(f.code, f.severity, f.category) for f in findings] == [
            (conformity.NOT_ASSESSED, Severity.INFO, Category.QUALITY)
        ]


def test_without_the_ocrb_font_the_print_is_not_assessed(monkeypatch: pytest.MonkeyPatch) -> None:
    from docverify.errors import DependencyError

    def missing() -> Path:
        raise DependencyError("the OCR-B font is missing")

    crops, centres = two_lines()
    monkeypatch.setattr(conformity, "font_path", missing)
    conformity.templates.cache_clear()
    conformity._prepared.cache_clear()
    try:
        (f,) = check_print(crops, LINES, centres)
        assert f.code == conformity.NOT_ASSESSED and "font is missing" in f.message
    finally:
        conformity.templates.cache_clear()
        conformity._prepared.cache_clear()


# --- end to end -----------------------------------------------------------------------------------------------

SEED = 5


@functools.cache
def _verifier() -> Verifier:
    return Verifier(config=VerifierConfig(reference_date=dt.date(2026, 1, 1), cross_check_viz=False))


def test_a_generated_wrong_font_document_gets_the_font_finding_and_its_genuine_twin_none() -> None:
    forged = _verifier().verify(synthesize(SEED, MRZFormat.TD3, "flatbed", forgeries=("mrz.wrong_font",)).image)
    genuine = _verifier().verify(synthesize(SEED, MRZFormat.TD3, "flatbed").image)
    assert forged.mrz is not None and genuine.mrz is not None
    fonts = [f for f in forged.findings if f.code == "print.mrz.font" and f.severity is Severity.WARNING]
    assert fonts and all(len(f.box) == 4 for f in fonts)
    assert forged.verdict.value != "pass"
    assert [f.code for f in genuine.findings if f.stage == conformity.STAGE] == []
    assert genuine.verdict.value == "pass"
    assert "print" in dict(genuine.timings_ms)


def test_a_line_slightly_below_the_font_floor_warns_only_when_it_stands_out() -> None:
    """Clearly below its floor: a warning on its own. Slightly below: a warning when the document's other
    lines are much better (a retyped line), info when they are as low (the capture lowers every line)."""
    from docverify.mrz.conformity import Thresholds, font_severity

    t = Thresholds()
    assert font_severity([-0.05, 0.2], 0, t) is Severity.WARNING
    assert font_severity([-0.05, -0.05], 1, t) is Severity.WARNING
    assert font_severity([-0.01, 0.12], 0, t) is Severity.WARNING
    assert font_severity([-0.01, -0.02], 0, t) is Severity.INFO
    assert font_severity([-0.01, 0.05, 0.0], 0, t) is Severity.INFO
    assert font_severity([0.01, 0.3], 0, t) is Severity.INFO
    assert font_severity([0.05, 0.3], 0, t) is None


def test_worst_run_finds_a_shifted_run_and_nothing_on_a_line_without_residuals() -> None:
    resid = np.zeros(30)
    resid[10:15] = 0.5
    run = conformity.worst_run(resid, 0.05, 1)
    assert run is not None and run.line == 1
    assert 9 <= run.start <= 10 and 15 <= run.end <= 16  # the shifted glyphs, at most one neighbour more
    assert run.chi2 > 100
    assert conformity.worst_run(np.full(30, np.nan), 0.05, 0) is None  # every glyph unreliable: no run at all
    assert conformity.worst_run(np.zeros(2), 0.05, 0) is None  # shorter than the shortest run


def test_baselines_are_fitted_on_all_lines_at_once() -> None:
    # Two lines bent alike (a curved page: 5.8 px at the ends, cap height 30 px), 200 px apart; ten glyphs of
    # the first line reprinted 3 px (0.1 cap height) low. The shared bend leaves the second line flat and keeps
    # most of the run's departure, more than a quadratic of the first line alone does.
    n = 44
    x = 10.0 + 20.0 * np.arange(n)
    rng = np.random.default_rng(3)
    measures, crops = [], []
    for i, dy in enumerate((0.0, 200.0)):
        baseline = 50 + 0.00003 * (x - 440.0) ** 2 + rng.normal(0, 0.3, n)
        if i == 0:
            baseline[15:25] += 3.0
        fields = {"x": x, "baseline": baseline, "cap": np.full(n, 30.0), "pitch": np.full(n, 20.0)}
        measures.append(cast(conformity.LineMeasure, SimpleNamespace(**fields)))
        crops.append(LineCrop(np.zeros((8, 8), np.uint8), 0.0, 900.0, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, dy]])))
    uses = [np.ones(n, bool), np.ones(n, bool)]
    joint = conformity.joint_baselines(measures, crops, uses)
    # the first line's own robust quadratic, as the print stage fitted each line before
    xs = (x - x.mean()) / np.ptp(x)
    design = np.stack([np.ones(n), xs, xs * xs], axis=1)
    own = measures[0].baseline
    start = conformity._lmeds_line(xs, own, uses[0])
    alone = conformity._robust_residuals(design, own, start, uses[0]) / 30.0
    assert float(np.abs(joint[1]).max()) < 0.05
    assert float(joint[0][15:25].mean()) > 0.06
    assert float(joint[0][15:25].mean()) > float(alone[15:25].mean())
