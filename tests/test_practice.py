"""Trainer mode: `docverify samples --forge ... --report` writes a practice set whose report shows
docverify's result next to the answer key from the ground truth."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
