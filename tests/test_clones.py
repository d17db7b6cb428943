"""Cloned MRZ characters (``docverify.mrz.clones``, ``print.mrz.cloned``): one character cut out with the
background under it and pasted over another is found on synthetic line crops with known geometry and on a
generated forgery end to end; characters printed in place, a computer-made image whose glyphs are all alike
and a blurred capture are not flagged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from docverify.mrz import conformity
from docverify.mrz.clones import MIN_PAIRS, find_clone
from docverify.mrz.conformity import check_print
from docverify.mrz.glyphs import font_path
from docverify.mrz.locate import LineCrop
from docverify.pipeline import Verifier, VerifierConfig
from docverify.results import Category, Finding, MRZFormat, Severity
from docverify.synth.dataset import synthesize

LINES = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
CAP, PITCH, BASE, LEFT, HEIGHT = 33.0, 34, 48.0, 20, 64
TO_ORIGINAL = np.array([[2.0, 0.0, 100.0], [0.0, 2.0, 300.0]])
"""The crops' pixels map to the original image doubled and moved: boxes must follow."""


def line(
    text: str,
    *,
    seed: int,
    texture: float = 10.0,
    copy: tuple[int, int] | None = None,
    blur: float = 0.7,
    noise: float = 2.0,
    row: int = 0,
) -> tuple[LineCrop, list[float], str]:
    """A line crop (H×W uint8 gray, dark print on light paper) of ``text`` at an even pitch over a background
    of fine random print (``texture`` grey levels), then blurred and noisy as a scan. ``copy`` (source, target
    positions): the source cell, background and all, pasted over the target cell before the capture — the
    text then reads the source's character there. Returns the crop, the cell centres and the text read."""
    rng = np.random.default_rng(seed)
    n, up = len(text), 4
    width = 2 * LEFT + PITCH * n
    field = cv2.GaussianBlur(rng.normal(0.0, 1.0, (HEIGHT, width)).astype(np.float32), (0, 0), 1.2)
    paper = 215.0 + texture * field / (field.std() + 1e-9)
    probe = ImageFont.truetype(str(font_path()), 400)
    box = probe.getbbox("H")
    face = ImageFont.truetype(str(font_path()), round(400 * CAP * up / (box[3] - box[1])))
    layer = Image.new("L", (width * up, HEIGHT * up), 0)
    draw = ImageDraw.Draw(layer)
    for i, ch in enumerate(text):
        cx = LEFT + (i + 0.5) * PITCH + rng.uniform(-0.3, 0.3)
        draw.text(
            (cx * up - face.getlength(ch) / 2, (BASE + rng.uniform(-0.3, 0.3)) * up),
            ch,
            font=face,
            fill=255,
            anchor="ls",
        )
    ink = cv2.resize(np.asarray(layer, np.float32) / 255.0, (width, HEIGHT), interpolation=cv2.INTER_AREA)
    page = paper * (1.0 - ink) + 30.0 * ink
    read = text
    if copy is not None:
        src, dst = copy
        y0, y1 = round(BASE - CAP - 3), round(BASE + 3)
        cell = page[y0:y1, LEFT + src * PITCH : LEFT + (src + 1) * PITCH].copy()
        page[y0:y1, LEFT + dst * PITCH : LEFT + (dst + 1) * PITCH] = cell
        read = text[:dst] + text[src] + text[dst + 1 :]
    if blur:
        page = cv2.GaussianBlur(page, (0, 0), blur)
    page = page + rng.normal(0.0, noise, page.shape) if noise else page
    to_original = TO_ORIGINAL.copy()
    to_original[1, 2] += row * 2 * 2.6 * CAP
    crop = LineCrop(np.clip(page, 0, 255).astype(np.uint8), LEFT, LEFT + n * PITCH, to_original)
    return crop, [LEFT + (i + 0.5) * PITCH - 0.5 for i in range(n)], read


def document(**second: object) -> tuple[list[LineCrop], list[str], list[list[float]]]:
    """Both lines of ``LINES`` over their own background; the second drawn with ``second`` (see :func:`line`)."""
    a, ca, ta = line(LINES[0], seed=1)
    b, cb, tb = line(LINES[1], seed=2, row=1, **second)  # type: ignore[arg-type]
    return [a, b], [ta, tb], [ca, cb]


def cloned(findings: tuple[Finding, ...]) -> list[Finding]:
    return [f for f in findings if f.code == "print.mrz.cloned"]


def test_a_character_pasted_over_another_is_found_with_both_boxes() -> None:
    # the "7" at position 14 of line 2 pasted over the "8" at 17: both cells report the other
    crops, lines, centres = document(copy=(13, 16))
    assert lines[1][16] == "7"
    found = conformity.assess(crops, lines, centres)
    assert found is not None and found.clone is not None
    clone = found.clone
    assert {clone.first, clone.second} == {(1, 13), (1, 16)} and clone.char == "7"
    assert clone.margin >= conformity.Thresholds().clone_warn and clone.similarity > 0.8
    findings = cloned(check_print(crops, lines, centres))
    assert len(findings) == 2
    assert {(f.spans[0].line, f.spans[0].start) for f in findings} == {(1, 13), (1, 16)}
    for f in findings:
        assert f.severity is Severity.WARNING and f.category is Category.AUTHENTICITY
        (line_no, pos), other = (f.spans[0].line, f.spans[0].start), f.spans[1]
        assert {pos, other.start} == {13, 16} and line_no == other.line == 1
        # the box is the cell itself, in original-image pixels (crop doubled, moved by 100, 300 + a line)
        xs, ys = [p[0] for p in f.box], [p[1] for p in f.box]
        assert 100 + 2 * (LEFT + (pos - 0.2) * PITCH) < min(xs) < max(xs) < 100 + 2 * (LEFT + (pos + 1.2) * PITCH)
        y0 = 300 + 2 * 2.6 * CAP
        assert y0 + 2 * (BASE - 1.5 * CAP) < min(ys) < max(ys) < y0 + 2 * (BASE + 0.5 * CAP)
        ev = dict(f.evidence)
        assert ev["character"] == "7" and float(ev["similarity"]) > float(ev["next_similarity"]) + 0.4
        assert "copies of one another" in f.message
    assert "cannot prove" in findings[0].message  # the second refers to the first


def test_characters_printed_in_place_are_not_copies() -> None:
    crops, lines, centres = document()
    found = conformity.assess(crops, lines, centres)
    assert found is not None and found.clone is not None  # compared, and nothing stands out
    assert found.clone.pairs >= 20 and found.clone.margin < conformity.Thresholds().clone_warn
    assert check_print(crops, lines, centres) == ()


def test_a_computer_made_image_whose_glyphs_are_all_alike_is_not_flagged() -> None:
    """Plain paper, no noise, every glyph drawn alike: every pair is alike or none is, so none stands out."""
    a, ca, ta = line(LINES[0], seed=1, texture=0.0, noise=0.0)
    b, cb, tb = line(LINES[1], seed=2, texture=0.0, noise=0.0, row=1)
    assert not cloned(check_print([a, b], [ta, tb], [ca, cb]))


def test_copies_are_not_looked_for_in_a_blurred_capture() -> None:
    """Judged only below :attr:`Thresholds.clone_blur`: the same copy is not reported once the gate is under
    the capture's blur, and a capture blurred by 3 px is over the default gate."""
    crops, lines, centres = document(copy=(13, 16))
    found = conformity.assess(crops, lines, centres)
    assert found is not None and cloned(check_print(crops, lines, centres))
    gate = dataclasses.replace(conformity.Thresholds(), clone_blur=0.9 * max(found.blur))
    assert not cloned(check_print(crops, lines, centres, thresholds=gate))
    crops, lines, centres = document(copy=(13, 16), blur=3.0)
    blurred = conformity.assess(crops, lines, centres)
    assert blurred is not None and max(blurred.blur) >= conformity.Thresholds().clone_blur
    assert not cloned(check_print(crops, lines, centres))


def test_too_few_pairs_of_the_same_character_are_not_judged() -> None:
    assert MIN_PAIRS == 5
    a, ca, ta = line("P<UTOABCDEFGHIJKLMNOPQRSTUVWXYZ<<<<<<<<<<<<<", seed=1)
    found = conformity.measure_line(a, ta, ca)
    assert found is not None
    ink = conformity._ink(a.image, (a.text_start, a.text_end))[0]
    # P, U, T and O twice, every other letter once: four pairs, fewer than MIN_PAIRS to tell "alike" by
    assert find_clone([a], [found], [ink]) is None


@functools.cache
def _verifier() -> Verifier:
    return Verifier(config=VerifierConfig(reference_date=dt.date(2026, 1, 1), cross_check_viz=False))


def test_a_generated_copy_move_of_a_name_letter_is_found_and_its_genuine_twin_not() -> None:
    """A letter of the name copied over another (no check digit covers names, so only this cue sees it)."""
    shot = synthesize(3, MRZFormat.TD3, "flatbed", forgeries=("copy_move",))
    params = dict(shot.truth.forgeries[0].params)
    assert params["variant"] == "mrz_cell"
    cells = {(params["src_line"], params["src_column"]), (params["dst_line"], params["dst_column"])}
    forged = _verifier().verify(shot.image)
    findings = cloned(forged.findings)
    assert forged.mrz is not None and forged.mrz.valid and findings
    assert {(f.spans[0].line, f.spans[0].start) for f in findings} == cells
    assert forged.verdict.value != "pass"
    genuine = _verifier().verify(synthesize(3, MRZFormat.TD3, "flatbed").image)
    assert genuine.verdict.value == "pass" and not cloned(genuine.findings)
