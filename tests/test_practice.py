"""Trainer mode: `docverify samples --forge ... --report` writes a practice set whose report shows
docverify's result next to the answer key from the ground truth."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from docverify.cli import main


def test_practice_set_report_has_the_answer_key(tmp_path: Path) -> None:
    out = tmp_path / "practice"
    result = CliRunner().invoke(
        main, ["samples", "--out", str(out), "--count", "6", "--seed", "11", "--forge", "mixed", "--report"]
    )
    assert result.exit_code == 0, result.output
    truths = [json.loads(line) for line in (out / "ground_truth.jsonl").read_text().splitlines()]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('class="doc-row') == len(truths) == 6
    assert len(re.findall(r'<section class="answer', html)) == 6
    for truth in truths:
        kinds = [f["kind"] for f in truth["forgeries"]]
        assert truth["genuine"] == (not kinds)
        for kind in kinds:
            assert kind in html
    m = re.search(r"agrees with the answer key on (\d+) of (\d+) documents", result.output)
    assert m is not None and int(m.group(1)) <= int(m.group(2)) <= 6
    assert 'id="agreement"' in html


def test_the_answer_key_says_where_and_what_and_the_check_can_find_it(tmp_path: Path) -> None:
    """Each forged document's answer names where the forgery is and what it changed (from the ground truth);
    the report checks the visual zone too, so a retyped printed field is found."""
    out = tmp_path / "practice"
    args = ["samples", "--out", str(out), "--count", "3", "--seed", "5", "--forge", "viz.altered", "--report"]
    result = CliRunner().invoke(main, [*args, "--conditions", "flatbed"])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    for line in (out / "ground_truth.jsonl").read_text().splitlines():
        params = json.loads(line)["forgeries"][0]["params"]
        assert f"visual zone, {params['field'].replace('_', ' ')}" in html
        assert f"{params['old']} → {params['new']}" in html
    assert "viz.mismatch" in html
    assert "agrees with the answer key on 3 of 3" in result.output
    assert html.count('class="answer-image"') == 3  # the forged field outlined on each document


def test_a_new_set_never_sits_under_an_old_answer_key(tmp_path: Path) -> None:
    """Writing into a folder that holds an earlier set: the old ground truth and practice report go before the
    first image is written, each image's line is written with it, and images the new set does not replace are
    named in a warning. An empty folder name is refused."""
    out = tmp_path / "set"
    first = CliRunner().invoke(main, ["samples", "--out", str(out), "--count", "4", "--seed", "1", "--report"])
    assert first.exit_code == 0 and (out / "report.html").exists()
    second = CliRunner().invoke(main, ["samples", "--out", str(out), "--count", "2", "--seed", "2"])
    assert second.exit_code == 0, second.output
    truths = [json.loads(line) for line in (out / "ground_truth.jsonl").read_text().splitlines()]
    assert len(truths) == 2
    assert not (out / "report.html").exists()  # it described the first set
    assert "2 images of an earlier set" in second.stderr
    empty = CliRunner().invoke(main, ["samples", "--out", "", "--count", "1"])
    assert empty.exit_code == 2 and "folder name" in empty.output


def test_an_interrupted_set_keeps_the_lines_of_the_images_it_wrote(tmp_path: Path, monkeypatch: Any) -> None:
    from docverify.synth import dataset

    real = dataset.synthesize
    calls = []

    def stop_at_the_third(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    out = tmp_path / "set"
    dataset.generate(out, 5, seed=9)
    monkeypatch.setattr(dataset, "synthesize", stop_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        dataset.generate(out, 5, seed=10)
    assert not (out / "ground_truth.jsonl").exists() and not dataset.is_current(out)  # no complete-looking set
    truths = [json.loads(line) for line in (out / "ground_truth.jsonl.partial").read_text().splitlines()]
    assert len(truths) == 2
    for truth in truths:  # each line describes the image now under its name
        assert truth["seed"] == dataset.item_seed(10, int(truth["file"][:5]))
