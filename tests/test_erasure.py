"""Scraped MRZ characters (``docverify.mrz.erasure``, ``print.mrz.erased``): characters printed again on bare
paper, the background gone under them and present around them, are found on synthetic line crops with known
geometry and on a generated forgery end to end; characters printed in place, plain paper, a clear band along a
whole line and unmeasurable cells are not flagged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np

from docverify.mrz import conformity
from docverify.mrz.conformity import check_print
from docverify.mrz.erasure import CellDetail, cell_details, scraped_runs
from docverify.mrz.locate import LineCrop
from docverify.pipeline import Verifier, VerifierConfig
from docverify.results import Category, Finding, MRZFormat, Severity
from docverify.synth.dataset import synthesize
from printed_lines import BASE, CAP, LEFT, PITCH, assessed, document

T = conformity.Thresholds()


def details(crops: list[LineCrop], lines: list[str], centres: list[list[float]]) -> list[CellDetail]:
    found = assessed(crops, lines, centres)
    return cell_details(crops, found.lines)


def erased(findings: tuple[Finding, ...]) -> list[Finding]:
    return [f for f in findings if f.code == "print.mrz.erased"]


def test_characters_reprinted_on_bare_paper_are_found_run_by_run() -> None:
    # line 2: three cells of the birth date (positions 18, 19 and 20)
    crops, lines, centres = document(erased=((1, 17), (1, 18), (1, 19)))
    ratios = {(d.line, d.position): d.ratio for d in details(crops, lines, centres)}
    assert max(ratios[1, p] for p in (17, 18, 19)) < 0.3
    others = [r for cell, r in ratios.items() if cell[0] == 0 or cell[1] not in (16, 17, 18, 19, 20)]
    assert len(others) > 60 and min(others) > T.erased_two
    findings = erased(check_print(crops, lines, centres))
    assert len(findings) == 1
    f = findings[0]
    assert f.severity is Severity.WARNING and f.category is Category.AUTHENTICITY
    assert (f.spans[0].line, f.spans[0].start, f.spans[0].end) == (1, 17, 20)
    ev = dict(f.evidence)
    assert ev["bare_cells_in_mrz"] == ev["run_cells"] == 3 and float(ev["ratio_max"]) < T.erased_two
    assert float(ev["detail_inside_mean"]) < 0.3 * float(ev["detail_around_mean"])
    assert "background print is missing" in f.message and "cannot prove" in f.message
    # the share in the message is the run's highest, rounded up: never under the level it is compared with
    assert f"at most {math.ceil(float(ev['ratio_max']) * 100)}%" in f.message
    # the box is the run of cells, in original-image pixels (crop doubled, moved by 100, 300 + a line)
    xs, ys = [p[0] for p in f.box], [p[1] for p in f.box]
    assert 100 + 2 * (LEFT + 16.8 * PITCH) < min(xs) < 100 + 2 * (LEFT + 17.2 * PITCH)
    assert 100 + 2 * (LEFT + 19.8 * PITCH) < max(xs) < 100 + 2 * (LEFT + 20.2 * PITCH)
    y0 = 300 + 2 * 2.6 * CAP
    assert y0 + 2 * (BASE - 1.5 * CAP) < min(ys) < max(ys) < y0 + 2 * (BASE + 0.5 * CAP)


def test_separate_runs_each_get_a_box_and_name_the_others() -> None:
    crops, lines, centres = document(erased=((0, 9), (0, 10), (1, 3), (1, 4)))
    findings = erased(check_print(crops, lines, centres))
    spans = [(f.spans[0].line, f.spans[0].start, f.spans[0].end) for f in findings]
    assert spans == [(0, 9, 11), (1, 3, 5)]
    assert all("2 more such cells" in f.message for f in findings)


def test_single_bare_cells_far_apart_are_not_a_scraped_run() -> None:
    """Two cells scraped far apart are bare, but each alone is over the single-cell level: a background that
    thins out leaves such cells scattered, a scraper clears neighbours together."""
    crops, lines, centres = document(erased=((0, 9), (1, 30)))
    bare = [d for d in details(crops, lines, centres) if d.ratio < T.erased_two]
    assert {(d.line, d.position) for d in bare} == {(0, 9), (1, 30)}
    assert min(d.ratio for d in bare) >= T.erased_one
    assert not erased(check_print(crops, lines, centres))


def test_characters_printed_in_place_are_not_flagged() -> None:
    crops, lines, centres = document()
    ratios = [d.ratio for d in details(crops, lines, centres)]
    assert len(ratios) > 70 and min(ratios) > T.erased_two and 0.8 < float(np.median(ratios)) < 1.25
    assert check_print(crops, lines, centres) == ()


def test_on_plain_paper_there_is_no_background_to_miss() -> None:
    """No background print anywhere: the same cells 'scraped' show as little detail as the paper around them."""
    crops, lines, centres = document(texture=0.0, erased=((1, 17), (1, 18)))
    cells = details(crops, lines, centres)
    assert max(d.around for d in cells) < T.erased_floor
    assert not erased(check_print(crops, lines, centres))


def test_a_clear_band_along_a_whole_line_is_the_page_s_design() -> None:
    """Every cell of line 1 bare (more than ``erased_share`` of them): left out; a scraped cell on line 2 is
    still found."""
    whole = tuple((0, p) for p in range(44))
    crops, lines, centres = document(erased=whole)
    assert not erased(check_print(crops, lines, centres))
    crops, lines, centres = document(erased=(*whole, (1, 17), (1, 18)))
    findings = erased(check_print(crops, lines, centres))
    assert [(f.spans[0].line, f.spans[0].start) for f in findings] == [(1, 17)]


def test_one_bare_cell_needs_the_stricter_level() -> None:
    """One scraped cell between printed ones is bare (the cut leaves out the cell's sides, where the smoothing
    brings in the neighbours' background), and reported alone only under the single-cell level."""
    crops, lines, centres = document(erased=((1, 18),))
    (cell,) = [d for d in details(crops, lines, centres) if d.ratio < T.erased_two]
    assert (cell.line, cell.position) == (1, 18) and cell.ratio < 0.25
    looser = dataclasses.replace(T, erased_one=cell.ratio + 0.01)
    assert [f.spans[0].start for f in erased(check_print(crops, lines, centres, thresholds=looser))] == [18]
    assert not erased(check_print(crops, lines, centres, thresholds=dataclasses.replace(T, erased_one=cell.ratio)))


def test_a_cell_that_could_not_be_measured_does_not_split_a_run() -> None:
    crops, lines, centres = document(erased=((1, 17), (1, 18), (1, 19)))
    found = assessed(crops, lines, centres)
    measured = [d for d in cell_details(crops, found.lines) if (d.line, d.position) != (1, 18)]
    runs = scraped_runs(measured, one=T.erased_one, two=T.erased_two, floor=T.erased_floor, share=T.erased_share)
    assert [[(d.line, d.position) for d in run] for run in runs] == [[(1, 17), (1, 19)]]
    findings = conformity._erased_findings(found, crops, runs, T)
    assert [(f.spans[0].start, f.spans[0].end) for f in findings] == [(17, 20)]


def test_scraped_cells_are_not_looked_for_in_a_blurred_capture() -> None:
    """Judged only below :attr:`Thresholds.erased_blur`: the same scraped cells are not reported once the gate is
    under the capture's blur; the background's fine lines do not survive a blurred capture."""
    crops, lines, centres = document(erased=((1, 17), (1, 18), (1, 19)))
    found = assessed(crops, lines, centres)
    assert erased(check_print(crops, lines, centres))
    gate = dataclasses.replace(T, erased_blur=0.9 * max(found.blur))
    assert not erased(check_print(crops, lines, centres, thresholds=gate))


def test_the_rule_on_measured_cells() -> None:
    def cell(line: int, pos: int, inside: float, around: float = 10.0) -> CellDetail:
        return CellDetail(line, pos, "A", inside, around)

    def runs(cells: list[CellDetail]) -> list[list[tuple[int, int]]]:
        found = scraped_runs(cells, one=T.erased_one, two=T.erased_two, floor=T.erased_floor, share=T.erased_share)
        return [[(d.line, d.position) for d in run] for run in found]

    assert (T.erased_one, T.erased_two, T.erased_floor, T.erased_share) == (0.15, 0.35, 2.0, 0.5)
    plain = [cell(0, p, 9.0) for p in range(20)]
    assert runs(plain) == []

    def with_(*changed: CellDetail) -> list[CellDetail]:
        at = {(c.line, c.position): c for c in changed}
        return [at.pop((c.line, c.position), c) for c in plain] + list(at.values())

    assert runs(with_(cell(0, 10, 3.0), cell(0, 11, 3.4))) == [[(0, 10), (0, 11)]]  # 0.30 and 0.34 side by side
    assert runs(with_(cell(0, 3, 3.0), cell(0, 11, 3.4))) == []  # the same far apart
    assert runs(with_(cell(0, 10, 3.0), cell(0, 11, 3.5))) == []  # 0.35 is not under 0.35; 0.30 alone is not
    assert runs(with_(cell(0, 10, 1.4))) == [[(0, 10)]]  # 0.14 alone
    assert runs(with_(cell(0, 10, 1.5))) == []  # 0.15 alone is not under 0.15
    # a cell not measured between two bare ones does not split their run; a measured one that is not bare does
    gap = [c for c in with_(cell(0, 10, 3.0), cell(0, 12, 3.0)) if c.position != 11]
    assert runs(gap) == [[(0, 10), (0, 12)]]
    assert runs(with_(cell(0, 10, 3.0), cell(0, 12, 3.0))) == []
    # the paper around shows less than the floor: nothing to miss
    assert runs(with_(cell(0, 10, 0.1, 1.5), cell(0, 11, 0.1, 1.5))) == []
    # eleven of twenty cells on a line bare: the line is left out; ten are not too many
    assert runs(with_(*(cell(0, p, 1.0) for p in range(9, 20)))) == []
    assert runs(with_(*(cell(0, p, 1.0) for p in range(10, 20)))) == [[(0, p) for p in range(10, 20)]]
    assert math.isnan(CellDetail(0, 0, "A", 1.0, 0.0).ratio)  # NaN, not an error


def test_unmeasurable_cells_are_left_out_without_an_error() -> None:
    crops, lines, centres = document(erased=((1, 17), (1, 18)))
    found = assessed(crops, lines, centres)
    m = found.lines[1]
    x = m.x.copy()
    x[[2, 30]] = (np.nan, 1e6)  # not finite, and far off the crop
    cells = cell_details(crops, [found.lines[0], dataclasses.replace(m, x=x)])
    positions = {d.position for d in cells if d.line == 1}
    assert 2 not in positions and 30 not in positions and {17, 18} <= positions
    cap = m.cap.copy()
    cap[:] = np.nan
    assert cell_details(crops[1:], [dataclasses.replace(m, cap=cap)]) == []
    # an ink map that does not fit its crop: that line is left out
    cells = cell_details(crops, [found.lines[0], dataclasses.replace(m, ink=m.ink[:-1])])
    assert cells and {d.line for d in cells} == {0}


def test_a_generated_recomputed_mrz_on_a_flat_fill_is_found_and_its_genuine_twin_not() -> None:
    """The expiry date changed in the MRZ, its check digits recomputed, every changed cell scraped to the
    paper's colour and reprinted in OCR-B: valid, so only the print shows it."""
    verifier = Verifier(config=VerifierConfig(reference_date=dt.date(2026, 1, 1), cross_check_viz=False))
    shot = synthesize(2, MRZFormat.TD3, "flatbed", forgeries=("mrz.recomputed",))
    twin = synthesize(2, MRZFormat.TD3, "flatbed")
    params = dict(shot.truth.forgeries[0].params)
    assert params["erase"] == "flat" and params["fields"] == "expiry_date"
    forged = verifier.verify(shot.image)
    findings = erased(forged.findings)
    assert forged.mrz is not None and forged.mrz.valid and findings
    assert forged.verdict.value != "pass"
    changed = {
        (li, col)
        for li, (new, old) in enumerate(zip(shot.truth.mrz_lines, twin.truth.mrz_lines, strict=True))
        for col, (a, b) in enumerate(zip(new, old, strict=True))
        if a != b
    }
    flagged = {(f.spans[0].line, col) for f in findings for col in range(f.spans[0].start, f.spans[0].end)}
    assert flagged and flagged <= changed
    genuine = verifier.verify(twin.image)
    assert genuine.verdict.value == "pass" and not erased(genuine.findings)
