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

from docverify.mrz import conformity
from docverify.mrz.clones import MIN_PAIRS, Clone, background, find_clone
from docverify.mrz.conformity import check_print
from docverify.mrz.erasure import cell_details
from docverify.mrz.locate import LineCrop
from docverify.pipeline import Verifier, VerifierConfig
from docverify.results import Category, Finding, MRZFormat, Severity
from docverify.synth.dataset import synthesize
from printed_lines import BASE, CAP, LEFT, PITCH, assessed, document


def clone_of(crops: list[LineCrop], lines: list[str], centres: list[list[float]]) -> Clone | None:
    found = assessed(crops, lines, centres)
    return find_clone(crops, found.lines)


def cloned(findings: tuple[Finding, ...]) -> list[Finding]:
    return [f for f in findings if f.code == "print.mrz.cloned"]


def test_a_character_pasted_over_another_is_found_with_both_boxes() -> None:
    # the "7" at position 14 of line 2 pasted over the "8" at 17: both cells report the other
    crops, lines, centres = document(copies=(((1, 13), (1, 16)),))
    assert lines[1][16] == "7"
    clone = clone_of(crops, lines, centres)
    assert clone is not None
    assert (clone.first, clone.second) == ((1, 13), (1, 16)) and clone.char == "7"
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
        assert float(ev["similarity"]) > float(ev["outside_similarity"]) + float(ev["threshold_confined"])
        assert "copies of one another" in f.message
    assert "cannot prove" in findings[0].message  # the second refers to the first


def test_the_similarity_is_the_correlation_of_the_paper_both_cells_show() -> None:
    """The vectorised correlation equals ``np.corrcoef`` over the pixels that are paper in both cells."""
    crops, lines, centres = document(copies=(((1, 13), (1, 16)),))
    found = assessed(crops, lines, centres)
    clone = find_clone(crops, found.lines)
    assert clone is not None
    cap = float(np.median(np.concatenate([m.cap for m in found.lines])))
    pitch = float(np.median(np.concatenate([m.pitch for m in found.lines])))
    size = (round(pitch) | 1, round(1.25 * cap) | 1)
    m = found.lines[1]
    grey, paper = background(crops[1].image, m.ink, cap)
    cuts = []
    for pos in (13, 16):
        centre = (float(m.x[pos]), float(m.baseline[pos] - m.cap[pos] / 2))
        where = cv2.getRectSubPix(paper.astype(np.float32), size, centre) >= 0.5
        cuts.append((cv2.getRectSubPix(grey, size, centre), where))
    both = cuts[0][1] & cuts[1][1]
    assert both.mean() > 0.3
    expected = np.corrcoef(cuts[0][0][both], cuts[1][0][both])[0, 1]
    assert abs(clone.similarity - expected) < 1e-4


def test_a_character_pasted_onto_another_line_is_found() -> None:
    # the "I" of line 1 (position 8) pasted over the "C" of line 2 (position 8)
    crops, lines, centres = document(copies=(((0, 7), (1, 7)),))
    assert lines[1][7] == "I"
    clone = clone_of(crops, lines, centres)
    assert clone is not None and (clone.first, clone.second) == ((0, 7), (1, 7))
    assert clone.margin >= conformity.Thresholds().clone_warn


def test_one_source_pasted_twice_is_still_found() -> None:
    """Three alike pairs (source and both copies) share cells: the lead is taken over the pairs apart."""
    crops, lines, centres = document(copies=(((1, 13), (1, 16)), ((1, 13), (1, 19))))
    clone = clone_of(crops, lines, centres)
    assert clone is not None and clone.char == "7"
    assert {clone.first, clone.second} < {(1, 13), (1, 16), (1, 19)}
    assert clone.margin >= conformity.Thresholds().clone_warn


def test_characters_printed_in_place_are_not_copies() -> None:
    crops, lines, centres = document()
    clone = clone_of(crops, lines, centres)
    assert clone is not None  # compared, and nothing stands out
    assert clone.pairs >= 20 and clone.margin < conformity.Thresholds().clone_warn
    assert check_print(crops, lines, centres) == ()


def test_a_computer_made_image_whose_glyphs_are_all_alike_is_not_flagged() -> None:
    """Plain paper, no noise, every glyph drawn alike: every pair is alike or none is, so none stands out."""
    crops, lines, centres = document(texture=0.0, noise=0.0)
    clone = clone_of(crops, lines, centres)
    assert clone is not None and clone.similarity > 0.9 and clone.margin < 0.1
    assert not cloned(check_print(crops, lines, centres))


def test_copies_are_not_looked_for_in_a_blurred_capture() -> None:
    """Judged only below :attr:`Thresholds.clone_blur`: the same copy is not reported once the gate is under
    the capture's blur, and a capture blurred by 3 px is over the default gate."""
    crops, lines, centres = document(copies=(((1, 13), (1, 16)),))
    found = assessed(crops, lines, centres)
    assert cloned(check_print(crops, lines, centres))
    gate = dataclasses.replace(conformity.Thresholds(), clone_blur=0.9 * max(found.blur))
    assert not cloned(check_print(crops, lines, centres, thresholds=gate))
    crops, lines, centres = document(copies=(((1, 13), (1, 16)),), blur=3.0)
    blurred = assessed(crops, lines, centres)
    assert max(blurred.blur) >= conformity.Thresholds().clone_blur
    assert not cloned(check_print(crops, lines, centres))


def test_copies_are_not_looked_for_on_paper_without_background_detail() -> None:
    """Judged only where the paper around the cells shows :attr:`Thresholds.clone_detail` of background detail:
    the same copy is not reported once that level is over what its paper shows."""
    crops, lines, centres = document(copies=(((1, 13), (1, 16)),))
    found = assessed(crops, lines, centres)
    assert cloned(check_print(crops, lines, centres))
    detail = float(np.median([d.around for d in cell_details(crops, found.lines)]))
    assert detail >= conformity.Thresholds().clone_detail
    gate = dataclasses.replace(conformity.Thresholds(), clone_detail=detail + 0.01)
    assert not cloned(check_print(crops, lines, centres, thresholds=gate))


def test_both_the_lead_and_the_pair_s_own_similarity_must_reach_their_levels() -> None:
    crops, lines, centres = document(copies=(((1, 13), (1, 16)),))
    clone = clone_of(crops, lines, centres)
    assert clone is not None and cloned(check_print(crops, lines, centres))
    t = conformity.Thresholds()
    for stricter in (
        dataclasses.replace(t, clone_warn=clone.margin + 0.01),
        dataclasses.replace(t, clone_similarity=clone.similarity + 0.01),
        dataclasses.replace(t, clone_confined=clone.confinement + 0.01),
    ):
        assert not cloned(check_print(crops, lines, centres, thresholds=stricter))


def test_a_likeness_that_goes_on_around_the_cells_is_not_a_pasted_character() -> None:
    """A patch pasted far beyond the character (like a background pattern that repeats between the two cells)
    is alike above and below the cells too: not reported; the same character pasted alone is."""
    t = conformity.Thresholds()
    crops, lines, centres = document(copies=(((1, 13), (1, 16)),))
    alone = clone_of(crops, lines, centres)
    assert alone is not None and alone.confinement >= t.clone_confined and alone.outside < 0.3
    crops, lines, centres = document(copies=(((1, 13), (1, 16)),), tall=True)
    tall = clone_of(crops, lines, centres)
    assert tall is not None and (tall.first, tall.second) == ((1, 13), (1, 16))
    assert tall.margin >= t.clone_warn and tall.outside > 0.6 and tall.confinement < t.clone_confined
    assert not cloned(check_print(crops, lines, centres))


def test_too_few_pairs_of_the_same_character_are_not_judged() -> None:
    # P, U, T and O twice, every other letter once: four pairs, one short of MIN_PAIRS
    few = ("P<UTOABCDEFGHIJKLMNOPQRSTUVWXYZ<<<<<<<<<<<<<",)
    assert MIN_PAIRS == 5 and clone_of(*document(few)) is None
    # one more letter twice (Z): five pairs, judged
    enough = ("P<UTOABCDEFGHIJKLMNOPQRSTUVWXYZ<<<<<<<<<<<<Z",)
    clone = clone_of(*document(enough))
    assert clone is not None and clone.pairs == 5


def test_unmeasurable_cells_are_left_out_without_an_error() -> None:
    crops, lines, centres = document(copies=(((1, 13), (1, 16)),))
    found = assessed(crops, lines, centres)
    m = found.lines[1]
    x = m.x.copy()
    x[[2, 30]] = (np.nan, 1e6)  # not finite, and far off the crop
    broken = [found.lines[0], dataclasses.replace(m, x=x)]
    clone = find_clone(crops, broken)
    assert clone is not None and (clone.first, clone.second) == ((1, 13), (1, 16))
    cap = m.cap.copy()
    cap[:] = np.nan
    assert find_clone(crops[1:], [dataclasses.replace(m, cap=cap)]) is None


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
