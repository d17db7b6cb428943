"""Tests of the forgery generator (``docverify.synth.forgeries``): every kind on every renderable format is
deterministic, changes only the pixels inside its recorded regions (local kinds), and leaves a ground truth
that says what is now printed; mixed mode and the ``samples --forge`` command."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from click.testing import CliRunner

import docverify
from docverify.errors import DependencyError
from docverify.results import MRZFormat
from docverify.synth import forgeries as forgeries_mod
from docverify.synth.command import samples_command
from docverify.synth.dataset import (
    FORGERIES,
    GROUND_TRUTH_FILE,
    forgery_choice,
    item_seed,
    load_ground_truth,
    render_sample,
)
from docverify.synth.forgeries import KINDS, LOCAL_KINDS, VIZ_FIELDS
from docverify.synth.render import GEOMETRY, GroundTruth, Quad, RenderedDocument, viz_date

FORMATS = list(GEOMETRY)
SEED = 21
REFERENCE = dt.date(2026, 1, 1)


@functools.cache
def _genuine(seed: int, fmt: MRZFormat) -> RenderedDocument:
    return render_sample(seed, fmt)


@functools.cache
def _forged(seed: int, fmt: MRZFormat, kind: str) -> RenderedDocument:
    return render_sample(seed, fmt, forgeries=[kind])


def _region_mask(shape: tuple[int, ...], regions: tuple[Quad, ...], grow: int) -> npt.NDArray[np.bool_]:
    mask = np.zeros(shape[:2], np.uint8)
    for q in regions:
        cv2.fillPoly(mask, [np.round(np.asarray(q)).astype(np.int32).reshape(-1, 1, 2)], 1)
    return np.asarray(cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)), bool)


def _mrz(truth: GroundTruth) -> docverify.MRZResult:
    return docverify.read_mrz(truth.mrz_lines, repair_text=False, reference_date=REFERENCE)


def _viz(truth: GroundTruth) -> dict[str, str]:
    return {f.name: f.value for f in truth.viz_fields}


def test_every_kind_is_registered_on_import() -> None:
    assert set(KINDS) <= set(FORGERIES)
    assert set(LOCAL_KINDS) == set(KINDS) - {"reprint"}


# --- every kind, every format ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.value for f in FORMATS])
@pytest.mark.parametrize("kind", KINDS)
def test_forgery_is_deterministic_recorded_and_confined_to_its_regions(kind: str, fmt: MRZFormat) -> None:
    genuine = _genuine(SEED, fmt)
    forged = _forged(SEED, fmt, kind)
    again = render_sample(SEED, fmt, forgeries=[kind])
    assert again.image.tobytes() == forged.image.tobytes()
    assert again.truth.to_dict() == forged.truth.to_dict()
    assert GroundTruth.from_dict(forged.truth.to_dict()).forgeries[0].kind == kind  # JSON-safe params

    (record,) = forged.truth.forgeries
    assert record.kind == kind and record.params and record.regions
    h, w = forged.image.shape[:2]
    for quad in record.regions:
        for x, y in quad:
            assert -0.01 <= x <= w + 0.01 and -0.01 <= y <= h + 0.01, (quad, (w, h))
    changed = np.any(forged.image != genuine.image, axis=2)
    assert changed.any()
    if kind in LOCAL_KINDS:
        outside = changed & ~_region_mask(changed.shape, record.regions, grow=2)
        assert not outside.any(), f"{int(outside.sum())} pixels changed outside the recorded regions"
        assert changed.mean() < 0.2
    else:
        assert record.regions == (forged.truth.document_quad,)
        assert changed.mean() > 0.5


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.value for f in FORMATS])
def test_broken_check_digit_breaks_a_check_digit_and_keeps_the_viz(fmt: MRZFormat) -> None:
    genuine, forged = _genuine(SEED, fmt), _forged(SEED, fmt, "mrz.broken_check_digit")
    result = _mrz(forged.truth)
    assert not result.valid
    assert any(f.code.startswith("mrz.check_digit") for f in result.findings)
    assert _mrz(genuine.truth).valid
    p = dict(forged.truth.forgeries[0].params)
    assert p["field"] in ("document_number", "birth_date", "expiry_date") and p["old"] != p["new"]
    line = int(p["line"])
    columns = [int(c) for c in str(p["columns"]).split(",")]
    diffs = [
        (li, col)
        for li, (a, b) in enumerate(zip(genuine.truth.mrz_lines, forged.truth.mrz_lines, strict=True))
        for col in range(len(a))
        if a[col] != b[col]
    ]
    assert diffs == [(line, c) for c in columns]
    assert [c.char for c in forged.truth.mrz_chars] == list("".join(forged.truth.mrz_lines))
    assert _viz(forged.truth) == _viz(genuine.truth)
    assert forged.truth.mrz_data == genuine.truth.mrz_data


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.value for f in FORMATS])
@pytest.mark.parametrize("seed", [SEED, 5])
def test_recomputed_mrz_is_valid_and_disagrees_with_the_viz(fmt: MRZFormat, seed: int) -> None:
    genuine, forged = _genuine(seed, fmt), render_sample(seed, fmt, forgeries=["mrz.recomputed"])
    result = _mrz(forged.truth)
    assert result.valid, [f.code for f in result.findings]
    assert forged.truth.mrz_lines != genuine.truth.mrz_lines
    viz = _viz(forged.truth)
    assert viz == _viz(genuine.truth)
    fields = result.fields
    p = dict(forged.truth.forgeries[0].params)
    for name in str(p["fields"]).split(","):
        assert p[f"{name}_old"] != p[f"{name}_new"]
        if name == "birth_date":
            assert viz_date(fields.birth_date_raw, birth=True, reference=REFERENCE) != viz["birth_date"]
        elif name == "expiry_date":
            assert fields.expiry_date_raw is not None
            assert viz_date(fields.expiry_date_raw, birth=False, reference=REFERENCE) != viz["expiry_date"]
        elif name == "document_number":
            assert fields.document_number != viz["document_number"]
        else:
            assert (fields.surname, fields.given_names) != (viz["surname"], viz.get("given_names", ""))
    assert [c.char for c in forged.truth.mrz_chars] == list("".join(forged.truth.mrz_lines))


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.value for f in FORMATS])
def test_viz_alteration_changes_one_viz_value_and_not_the_mrz(fmt: MRZFormat) -> None:
    genuine, forged = _genuine(SEED, fmt), _forged(SEED, fmt, "viz.altered")
    assert forged.truth.mrz_lines == genuine.truth.mrz_lines
    assert _mrz(forged.truth).valid
    changed = [
        (a, b) for a, b in zip(genuine.truth.viz_fields, forged.truth.viz_fields, strict=True) if a.value != b.value
    ]
    assert len(changed) == 1
    old, new = changed[0]
    record = forged.truth.forgeries[0]
    p = dict(record.params)
    assert old.name in VIZ_FIELDS and p["field"] == old.name
    assert (p["old"], p["new"]) == (old.value, new.value)
    assert p["font"] != "OCRB.otf"
    inside = _region_mask(forged.image.shape, record.regions, grow=1)
    for x, y in new.value_quad:  # the retyped value lies in the recorded region
        assert inside[min(round(y), inside.shape[0] - 1), min(round(x), inside.shape[1] - 1)]


def test_pitch_anomaly_moves_the_cells_of_its_run() -> None:
    genuine, forged = _genuine(SEED, MRZFormat.TD3), _forged(SEED, MRZFormat.TD3, "mrz.pitch_anomaly")
    p = dict(forged.truth.forgeries[0].params)
    assert 3 <= int(p["length"]) <= 12
    moved = {
        (a.line, a.column)
        for a, b in zip(genuine.truth.mrz_chars, forged.truth.mrz_chars, strict=True)
        if not np.allclose(a.quad, b.quad)
    }
    start, length, line = int(p["start"]), int(p["length"]), int(p["line"])
    assert moved and moved <= {(line, c) for c in range(start, start + length)}
    assert forged.truth.mrz_lines == genuine.truth.mrz_lines
    scale, shift, angle = float(p["pitch_scale"]), abs(float(p["baseline_mm"])), abs(float(p["angle"]))
    assert 0.04 <= abs(scale - 1) <= 0.15 or 0.1 <= shift <= 0.4 or 0.5 <= angle <= 3.0


def test_copy_move_variants_record_what_they_changed() -> None:
    seen: set[str] = set()
    doc = _genuine(SEED, MRZFormat.TD3)
    for seed in range(30):
        result = FORGERIES["copy_move"](doc, np.random.default_rng(seed))
        p = dict(result.record.params)
        variant = str(p["variant"])
        seen.add(variant)
        truth = result.truth or doc.truth
        if variant == "mrz_cell":
            li, col = int(p["dst_line"]), int(p["dst_column"])
            assert truth.mrz_lines[li][col] == p["new"] != doc.truth.mrz_lines[li][col] == p["old"]
        elif variant == "viz_digit":
            assert p["new"] in _viz(truth).values() and p["old"] in _viz(doc.truth).values()
        else:
            assert truth is doc.truth
        if seen == {"mrz_cell", "viz_digit", "background"}:
            break
    assert seen == {"mrz_cell", "viz_digit", "background"}


def test_wrong_font_falls_back_when_no_monospace_font_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _genuine(SEED, MRZFormat.TD1)
    monkeypatch.setattr(forgeries_mod, "MRZ_WRONG_FONTS", ("none/NoSuchMono.ttf",))
    result = FORGERIES["mrz.wrong_font"](doc, np.random.default_rng(1))
    assert dict(result.record.params)["font"] in {Path(f).name for f in forgeries_mod.MRZ_FALLBACK_FONTS}
    assert not np.array_equal(result.image, doc.image)
    monkeypatch.setattr(forgeries_mod, "MRZ_FALLBACK_FONTS", ("none/NoSuchSans.ttf",))
    with pytest.raises(DependencyError, match=r"mrz\.wrong_font"):
        FORGERIES["mrz.wrong_font"](doc, np.random.default_rng(1))


# --- mixed mode and the command ------------------------------------------------------------------------


def test_forgery_choice_is_reproducible_and_honours_the_genuine_share() -> None:
    draws = [forgery_choice(s, (), 0.3, mixed=True) for s in range(2000)]
    assert draws == [forgery_choice(s, (), 0.3, mixed=True) for s in range(2000)]
    assert all(len(d) <= 1 for d in draws)
    assert 0.25 < sum(not d for d in draws) / len(draws) < 0.35
    assert {d[0] for d in draws if d} == set(FORGERIES)
    assert all(forgery_choice(s, ("reprint",), 0.0, mixed=True) == ("reprint",) for s in range(50))
    assert all(forgery_choice(s, (), 1.0, mixed=True) == () for s in range(50))
    assert forgery_choice(7, ("viz.altered", "reprint"), 0.0, mixed=False) == ("viz.altered", "reprint")


def test_samples_command_mixed_writes_images_and_forgery_ground_truth(tmp_path: Path) -> None:
    out = tmp_path / "mixed"
    result = CliRunner().invoke(samples_command, ["--out", str(out), "--count", "8", "--forge", "mixed", "--seed", "3"])
    assert result.exit_code == 0, result.output
    truths = load_ground_truth(out)
    images = sorted(p.name for p in out.iterdir() if p.name != GROUND_TRUTH_FILE)
    assert len(images) == 8 and sorted(t.file for t in truths) == images
    expected = [forgery_choice(item_seed(3, i), (), 0.3, mixed=True) for i in range(8)]
    assert [tuple(f.kind for f in t.forgeries) for t in truths] == expected
    assert any(expected) and all(len(e) <= 1 for e in expected)
    for truth in truths:
        w, h = truth.image_size
        doc = cv2.convexHull(np.asarray(truth.document_quad, np.float32))
        for record in truth.forgeries:  # regions follow the capture into image pixels, on the document
            for quad in record.regions:
                for x, y in quad:
                    assert 0 <= x <= w and 0 <= y <= h
                    assert cv2.pointPolygonTest(doc, (float(x), float(y)), True) >= -1.0


def test_samples_command_forge_list_applies_every_kind(tmp_path: Path) -> None:
    out = tmp_path / "list"
    args = ["--out", str(out), "--count", "2", "--forge", "mrz.recomputed,viz.altered", "--conditions", "none"]
    result = CliRunner().invoke(samples_command, [*args, "--formats", "TD2", "--dpi", "150"])
    assert result.exit_code == 0, result.output
    truths = load_ground_truth(out)
    assert [[f.kind for f in t.forgeries] for t in truths] == [["mrz.recomputed", "viz.altered"]] * 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--forge", "mrz.no_such_kind"], "unknown forgery"),
        (["--forge", ","], "forgery kind"),
        (["--genuine-share", "0.5"], "--genuine-share needs --forge"),
        (["--forge", "mixed", "--genuine-share", "1.5"], "--genuine-share"),
    ],
)
def test_samples_command_rejects_bad_forge_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(samples_command, ["--out", str(tmp_path / "x"), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x").exists()


def test_samples_help_shows_forge_examples() -> None:
    result = CliRunner().invoke(samples_command, ["--help"])
    assert result.exit_code == 0
    assert "--forge mixed" in result.output and "--genuine-share" in result.output
    assert "viz.altered" in result.output
