"""The shipped MRZ recognizers (per-cell CNN and CNN + CTC line model): integrity checks, pre/post-processing,
and reading."""

from __future__ import annotations

import hashlib
import json
from importlib import resources

import cv2
import numpy as np
import pytest

from docverify import MRZFormat
from docverify.config import usable_cores
from docverify.mrz import recognizer
from docverify.mrz.cells import PATCH_H, PATCH_W, grid, normalise, patches
from docverify.mrz.glyphs import ALPHABET
from docverify.mrz.image import scan_image
from docverify.mrz.locate import LineCrop, cut_line, locate_mrz
from docverify.mrz.recognizer import CellRecognizer, LineRecognizer, ModelIntegrityError, softmax
from docverify.regions import REGIONS, reading_frame
from docverify.synth.dataset import synthesize
from docverify.tamper import MODELS, model_input


def test_every_registered_model_is_shipped_with_its_hash() -> None:
    reg = json.loads(resources.files("docverify.models").joinpath("registry.json").read_text())
    assert {"mrz_char", "mrz_line", "mrz_font", "portrait", "reprint", "viz_line"} <= set(reg)
    for entry in reg.values():
        data = resources.files("docverify.models").joinpath(entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert len(data) < 5_000_000  # small enough to ship


@pytest.mark.parametrize("name", ["mrz_char", "mrz_line"])
def test_registry_hash_matches_the_shipped_model(name: str) -> None:
    reg = json.loads(resources.files("docverify.models").joinpath("registry.json").read_text())
    entry = reg[name]
    data = resources.files("docverify.models").joinpath(entry["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert entry["labels"] == ALPHABET
    assert len(data) < 5_000_000  # small enough to ship


def test_a_tampered_model_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = recognizer._registry()
    fake = {"mrz_char": {**real["mrz_char"], "sha256": "0" * 64}}
    monkeypatch.setattr(recognizer, "_registry", lambda: fake)
    monkeypatch.setattr(recognizer, "_sessions", {})
    with pytest.raises(ModelIntegrityError, match="damaged or was replaced"):
        recognizer.session()
    monkeypatch.setattr(recognizer, "_registry", lambda: {})
    with pytest.raises(ModelIntegrityError, match="no model"):
        recognizer.session()


def test_model_threads_change_the_speed_not_the_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions created after set_model_threads compute with that many threads (at least 1), and the line
    model's logits on real MRZ lines are the same with one thread as with two."""
    capture = synthesize(5, MRZFormat.TD3, "flatbed")
    gray = cv2.cvtColor(capture.image, cv2.COLOR_RGB2GRAY)
    location = locate_mrz(gray)
    assert location is not None
    batch, _, _ = recognizer._line_input([cut_line(gray, line) for line in location.lines])
    monkeypatch.setattr(recognizer, "_threads", recognizer._threads)  # restored after the test
    outputs = []
    for threads in (1, 2, 0):
        monkeypatch.setattr(recognizer, "_sessions", {})
        recognizer.set_model_threads(threads)
        run = recognizer.session(recognizer.LINE_MODEL_NAME)
        expected = min(max(threads, 1), usable_cores())
        assert recognizer.model_threads() == expected
        options = run.get_session_options()
        assert options.intra_op_num_threads == expected
        assert options.get_session_config_entry("session.force_spinning_stop") == "1"
        outputs.append(run.run(None, {"lines": batch})[0])
    assert np.array_equal(outputs[0], outputs[1]) and np.array_equal(outputs[0], outputs[2])
    # the region models too, on a real crop of the page
    reading = scan_image(capture.image, recognizer.MRZRecognizer()).reading
    assert reading is not None
    for name, spec in MODELS.items():
        crop = model_input(reading_frame(reading).warp(capture.image, REGIONS[spec.region]))
        logits = []
        for threads in (1, 2):
            monkeypatch.setattr(recognizer, "_sessions", {})
            recognizer.set_model_threads(threads)
            logits.append(recognizer.session(name).run(None, {"image": crop})[0])
        assert np.array_equal(logits[0], logits[1])


def test_set_threads_sets_opencvs_and_the_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """One call puts a process's computing on one thread (as each batch worker does)."""
    monkeypatch.setattr(recognizer, "_threads", recognizer._threads)  # restored after the test
    before = cv2.getNumThreads()
    try:
        recognizer.set_threads(1)
        assert cv2.getNumThreads() == 1 and recognizer.model_threads() == 1
    finally:
        cv2.setNumThreads(before)


def test_softmax_rows_sum_to_one_and_keep_order() -> None:
    logits = np.array([[1.0, 3.0, 2.0], [0.0, 0.0, 10.0]], np.float32)
    p = softmax(logits)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert list(p[0].argsort()) == [0, 2, 1] and p[1, 2] > 0.99


def test_patches_are_centred_and_shaped() -> None:
    line = np.zeros((64, 400), np.float32)
    line[20:50, 100:110] = 1.0  # a bar centred at x = 104.5, y = 34.5
    out = patches(line, [104.5], 34.5)
    assert out.shape == (1, 1, PATCH_H, PATCH_W)
    cols = np.nonzero(out[0, 0].sum(axis=0))[0]
    assert abs((cols[0] + cols[-1]) / 2 - PATCH_W / 2) <= 1.0


def test_grid_finds_an_evenly_pitched_row_of_glyphs() -> None:
    line = np.zeros((64, 1000), np.float32)
    centres = 40 + 22.0 * np.arange(30)
    for c in centres:
        line[16:48, int(c) - 6 : int(c) + 6] = 1.0
    found = grid(line, 33.0, 33.0 + 22.0 * 29.7, 30)
    assert np.abs(found - centres).max() < 2.5


def test_normalise_maps_dark_ink_high() -> None:
    crop = np.full((20, 20), 220, np.uint8)
    crop[5:15, 5:15] = 30
    n = normalise(crop)
    assert n[10, 10] > 0.9 and n[0, 0] < 0.1


@pytest.mark.parametrize(
    ("backend", "fmt", "condition"),
    [
        (CellRecognizer(), MRZFormat.TD3, "flatbed"),
        (LineRecognizer(), MRZFormat.TD3, "flatbed"),
        (LineRecognizer(), MRZFormat.TD1, "phone"),
    ],
    ids=["cell-flatbed", "line-flatbed", "line-phone"],
)
def test_reads_a_generated_document(backend: object, fmt: MRZFormat, condition: str) -> None:
    from docverify.mrz.image import read_mrz_image
    from docverify.synth.dataset import synthesize

    cap = synthesize(424242, fmt, condition)
    reading = read_mrz_image(cap.image, backend, reference_date=__import__("datetime").date(2026, 1, 1))  # type: ignore[arg-type]
    assert reading is not None
    assert list(reading.result.lines) == list(cap.truth.mrz_lines)


def _crop(width: int, height: int = 64) -> LineCrop:
    return LineCrop(np.full((height, width), 230, np.uint8), 10.0, width - 10.0, np.eye(2, 3))


def test_line_input_is_one_padded_batch_32_px_high() -> None:
    batch, frames, back = recognizer._line_input([_crop(800), _crop(500, 40)])
    assert batch.shape[:3] == (2, 1, recognizer.LINE_HEIGHT) and batch.shape[3] % recognizer.LINE_STRIDE == 0
    assert frames == [400 // recognizer.LINE_STRIDE, 400 // recognizer.LINE_STRIDE]
    assert back[0] == pytest.approx(2.0) and back[1] == pytest.approx(500 / 400)
    assert float(batch.max()) <= 1.0 and float(batch.min()) >= 0.0


def test_a_crop_cut_from_a_thumbnail_is_smoothed_before_reading() -> None:
    # a hard-edged pattern, as cubic enlargement of a 5-px character leaves it
    img = np.full((64, 800), 230, np.uint8)
    img[20:44, ::8] = 20
    img[20:44, 1::8] = 20
    normal = LineCrop(img, 10.0, 790.0, np.eye(2, 3))  # one original pixel per crop pixel
    thumb = LineCrop(img, 10.0, 790.0, np.eye(2, 3) * 0.15)  # the crop enlarged about 6.7 times
    plain, _, _ = recognizer._line_input([normal])
    soft, _, _ = recognizer._line_input([thumb])
    direct = normalise(cv2.resize(img, (400, 32), interpolation=cv2.INTER_AREA))
    assert np.array_equal(plain[0, 0, :, :400], direct)  # ordinary crops untouched
    assert float(np.abs(np.diff(soft[0, 0], axis=1)).mean()) < float(np.abs(np.diff(plain[0, 0], axis=1)).mean())


def test_smoothed_centres_follow_a_changing_pitch_and_ignore_an_outlier() -> None:
    k = np.arange(44, dtype=np.float64)
    true = 10 + 6.0 * k + 0.02 * k**2  # the pitch grows along the line, as under perspective
    noisy = true + np.where(k % 2 == 0, 0.5, -0.5)
    noisy[20] += 6.0
    out = recognizer._smooth_centres(noisy)
    assert np.abs(out - true).max() < 1.0
    assert np.all(np.diff(out) > 0)


def test_the_line_recognizer_needs_a_count_and_gives_nothing_for_an_impossible_one() -> None:
    with pytest.raises(ValueError, match="number of characters"):
        LineRecognizer().read_lines([_crop(400)])
    assert LineRecognizer().read_lines([], 44) == []
    # a blank crop reads as (almost) nothing: it cannot be forced into 44 characters
    assert LineRecognizer().read_lines([_crop(900)], 44) == [[]]


def test_the_model_ships_in_the_wheel_and_loads_from_it(tmp_path: object) -> None:
    """Build the wheel, install it (without dependencies) in a fresh folder, and run the model from there."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = Path(str(tmp_path))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out / "dist"), str(root)],
        check=True,
        timeout=600,
    )
    [wheel] = list((out / "dist").glob("docverify-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(out / "site"), str(wheel)],
        check=True,
        timeout=600,
    )
    site = str(out / "site")
    code = (
        "import docverify, numpy as np; from docverify.mrz import recognizer as r; "
        f"assert docverify.__file__.startswith({site!r}), docverify.__file__; "
        "s = r.session(); y = s.run(None, {'patches': np.zeros((2, 1, 40, 32), np.float32)})[0]; "
        "assert y.shape == (2, 37); "
        "s = r.session('mrz_line'); y = s.run(None, {'lines': np.zeros((2, 1, 32, 400), np.float32)})[0]; "
        "assert y.shape == (2, 100, 38), y.shape; "
        "s = r.session('portrait'); y = s.run(None, {'image': np.zeros((1, 3, 456, 336), np.float32)})[0]; "
        "assert y.shape == (1, 1), y.shape; "
        "s = r.session('reprint'); y = s.run(None, {'image': np.zeros((1, 3, 320, 512), np.float32)})[0]; "
        "assert y.shape == (1, 1), y.shape; print('ok')"
    )
    env = {"PYTHONPATH": site, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_recording_a_trained_model_reproduces_the_shipped_registry(tmp_path: object) -> None:
    # the bookkeeping of models/*/train.py: metrics.json beside the card, the entry in registry.json
    from pathlib import Path

    from docverify.models import record_trained

    root = Path(__file__).resolve().parents[1]
    shipped = root / "src" / "docverify" / "models" / "registry.json"
    out = Path(str(tmp_path))
    registry = json.loads(shipped.read_text())
    registry["mrz_line"] = {"file": "old.onnx", "sha256": "0" * 64, "labels": ""}  # an older model, same place
    (out / "registry.json").write_text(json.dumps(registry))
    metrics = json.loads((root / "models" / "mrz_line" / "metrics.json").read_text())
    record_trained("mrz_line", out / "mrz_line.onnx", metrics, out)
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert (out / "registry.json").read_text() == shipped.read_text()


def test_detection_metrics_count_ties_half_and_detect_above_the_genuine_percentiles() -> None:
    from docverify.models import detection_metrics

    m = detection_metrics([0.0, 1.0, 2.0, 3.0], [2.0, 5.0, 6.0])
    assert m["auc"] == round((2 / 3 * 1 + 1 / 3 * (2 / 4 + 0.5 / 4)), 4)
    assert m["detected_at_1pct"] == m["detected_at_3pct"] == round(2 / 3, 4)
    assert detection_metrics(range(100), [200.0])["detected_at_1pct"] == 1.0
    assert detection_metrics(range(100), [-1.0])["auc"] == 0.0
