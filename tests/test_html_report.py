"""The self-contained HTML report: structure, masking and escaping checked in Python, then the page
rendered in a headless Chromium to prove that its script runs and its images decode."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

import docverify
from docverify.render.annotate import annotate
from docverify.render.html import VERDICTS, Evidence, evidence, render_html
from docverify.results import mask_report_dict

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "images"
FILES = ("td3_flatbed.jpg", "td1_flatbed.jpg", "mrvb_flatbed.jpg")
EVIL_SOURCE = "evil<script>alert(1)</script>.jpg"
EVIL_SURNAME = "<script>alert(2)</script>"
EVIL_MESSAGE = "<img src=x onerror=alert(3)>"
CHROMIUM_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser", "headless_shell", "google-chrome")
GENERATED = "2026-01-01 12:00 UTC"


# --- a small DOM built with html.parser ---------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    parts: list[str | Node] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text() for p in self.parts)

    def iter(self) -> list[Node]:
        out = [self]
        for child in self.children:
            out.extend(child.iter())
        return out

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()[1:]
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def by_id(self, id_: str) -> Node:
        found = [n for n in self.iter() if n.attrs.get("id") == id_]
        assert len(found) == 1, f"expected one element with id {id_!r}, found {len(found)}"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        self.stack[-1].parts.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


# --- fixtures -----------------------------------------------------------------------------------------


@dataclass
class Batch:
    rows: list[dict[str, Any]]
    evidence: dict[str, Evidence]
    truth: dict[str, dict[str, Any]]  # ground truth of the sample files, by source


@pytest.fixture(scope="module")
def batch() -> Batch:
    verifier = docverify.Verifier(config=docverify.VerifierConfig(reference_date=dt.date(2026, 1, 1)))
    truth_by_file = {
        (d := json.loads(line))["file"]: d for line in (SAMPLES / "ground_truth.jsonl").read_text().splitlines()
    }
    rows, ev, truth = [], {}, {}
    for name in FILES:
        report, image = verifier.verify_with_image(SAMPLES / name)
        rows.append(report.to_dict())
        ev[report.source] = evidence(image, report)
        truth[report.source] = truth_by_file[name]["mrz_data"]
    first = rows[0]
    assert first["mrz"] is not None, "the pipeline no longer reads td3_flatbed.jpg"
    assert first["mrz"]["fields"]["surname"] == truth[first["source"]]["surname"]
    rows.append({"schema_version": "1.0", "source": "missing/scan.jpg", "error": {"kind": "input", "message": "gone"}})
    doctored = copy.deepcopy(first)
    doctored["source"] = EVIL_SOURCE
    doctored["verdict"] = "fail"
    doctored["mrz"]["fields"]["surname"] = EVIL_SURNAME
    doctored["findings"].append(
        {
            "code": "mrz.test.doctored",
            "severity": "error",
            "category": "authenticity",
            "message": EVIL_MESSAGE,
            "stage": "test",
            "spans": [],
            "evidence": {},
            "box": None,
        }
    )
    rows.append(doctored)
    return Batch(rows, ev, truth)


def _category(row: dict[str, Any]) -> str:
    return "error" if "error" in row else str(row["verdict"])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image.shape[1], image.shape[0]


# --- evidence -----------------------------------------------------------------------------------------


def test_evidence_sizes(batch: Batch) -> None:
    for ev in batch.evidence.values():
        assert max(_jpeg_size(ev.thumbnail)) == 160
        assert _jpeg_size(ev.annotated)[0] <= 900
        assert len(ev.thumbnail) < 20_000
        assert len(ev.annotated) < 200_000
    report = docverify.verify(SAMPLES / "td3_flatbed.jpg", reference_date=dt.date(2026, 1, 1))
    tiny = np.full((100, 120, 3), 200, np.uint8)
    small = evidence(tiny, report)
    annotated = annotate(tiny, report)  # widened for its legend's lines, not cut off
    assert annotated.shape[1] > 120 and _jpeg_size(small.annotated) == (annotated.shape[1], annotated.shape[0])
    assert (annotated[:100, :120] == 200).mean() > 0.9  # the image itself where it was, not scaled
    with pytest.raises(ValueError, match="RGB"):
        evidence(np.zeros((10, 10), np.uint8), report)


# --- structure, masking, escaping (Python) ------------------------------------------------------------


def test_structure(batch: Batch) -> None:
    html = render_html(batch.rows, batch.evidence, title="Batch <7>", generated=GENERATED)
    dom = parse(html)
    assert dom.find_all("title")[0].text() == "Batch <7>"
    assert "Batch &lt;7&gt;" in html
    assert GENERATED in dom.by_id("generated").text()
    assert docverify.__version__ in dom.by_id("generated").text()
    engine = batch.rows[0]["engine"]
    assert engine["ocr"] in dom.by_id("engine").text()
    assert engine["reference_date"] in dom.by_id("engine").text()

    summary = dom.by_id("summary")
    counts = {b.attrs["data-filter"]: int(b.attrs["data-count"]) for b in summary.find_all("button", cls="count")}
    expected = {v: sum(_category(r) == v for r in batch.rows) for v in VERDICTS}
    assert counts == {"all": len(batch.rows), **expected}
    assert counts["error"] == 1
    for b in summary.find_all("button", cls="count"):
        assert b.find_all(cls="n")[0].text() == b.attrs["data-count"]

    docs = dom.find_all("tbody", cls="doc")
    rows = dom.find_all("tr", cls="doc-row")
    assert len(docs) == len(rows) == len(batch.rows)
    for i, (doc, row, data) in enumerate(zip(docs, rows, [mask_report_dict(r) for r in batch.rows], strict=True)):
        assert doc.attrs["id"] == f"doc-{i}"
        assert doc.attrs["data-verdict"] == row.attrs["data-verdict"] == _category(data)
        has_image = batch.rows[i]["source"] in batch.evidence
        assert len(row.find_all("img", cls="thumb")) == has_image
        assert len(doc.find_all("img", cls="annotated")) == has_image
        assert len(doc.find_all("details", cls="doc-detail")) == 1
        if "error" in data:
            assert "gone" in doc.find_all(cls="error-detail")[0].text()
            assert not doc.find_all("li", cls="finding")
            continue
        findings = doc.find_all("li", cls="finding")
        assert [f.attrs["data-code"] for f in findings] == [f["code"] for f in data["findings"]]
        # numbered like the annotated image: 1, 2, … over the findings that have a box
        numbers, n = [], 0
        for f in data["findings"]:
            n += bool(f["box"])
            numbers.append(str(n) if f["box"] else "")
        assert [f.attrs["data-number"] for f in findings] == numbers
        for node, f in zip(findings, data["findings"], strict=True):
            assert node.attrs["data-severity"] == f["severity"]
            assert f["category"] in node.find_all(cls="category")[0].text()
            assert node.find_all(cls="message")[0].text() == f["message"]
        assert row.find_all(cls="c-format")[0].text() == data["mrz"]["format"]
    assert any(int(d.attrs.get("data-number") or 0) >= 1 for d in dom.find_all("li", cls="finding"))

    not_checked = dom.by_id("not-checked").text()
    for words in ("UV", "IR", "olograms", "chip", "forgery cues"):
        assert words in not_checked


def test_self_contained(batch: Batch) -> None:
    html = render_html(batch.rows, batch.evidence, show_personal_data=True)
    assert not re.search(r"https?://", html, re.IGNORECASE)
    dom = parse(html)
    assert not dom.find_all("link") and not dom.find_all("iframe") and not dom.find_all("object")
    assert [n for n in dom.iter() if "href" in n.attrs] == []
    scripts = dom.find_all("script")
    assert len(scripts) == 1 and "src" not in scripts[0].attrs
    for img in dom.find_all("img"):
        assert img.attrs["src"].startswith("data:image/jpeg;base64,")
    csp = [m for m in dom.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1 and "default-src 'none'" in csp[0].attrs["content"]


def test_masking(batch: Batch) -> None:
    masked = render_html(batch.rows, batch.evidence)
    shown = render_html(batch.rows, batch.evidence, show_personal_data=True)
    masked_text, shown_text = (re.sub(r"data:image/jpeg;base64,[A-Za-z0-9+/=]+", "", h) for h in (masked, shown))
    checked = 0
    for source, truth in batch.truth.items():
        row = next(r for r in batch.rows if r["source"] == source)
        if row["mrz"] is None or row["mrz"]["fields"]["document_number"] != truth["document_number"]:
            continue  # misread: the ground truth is not in the report either way
        for key in ("surname", "document_number"):
            word = re.compile(rf"\b{re.escape(truth[key])}\b")
            assert not word.search(masked_text), f"{key} of {source} is not masked"
            assert word.search(shown_text), f"{key} of {source} is missing with show_personal_data"
            checked += 1
    assert checked >= 2
    dom = parse(masked)
    first = dom.by_id("doc-0")
    for key in ("document_number", "surname", "birth_date", "expiry_date"):
        assert set(first.find_all("td", cls=f"f-{key}")[0].text()) == {"*"}
    assert first.find_all("td", cls="f-nationality")[0].text() == batch.rows[0]["mrz"]["fields"]["nationality"]
    shown_dom = parse(shown)
    expected = batch.truth[batch.rows[0]["source"]]["surname"]
    assert shown_dom.by_id("doc-0").find_all("td", cls="f-surname")[0].text() == expected


def test_escaping(batch: Batch) -> None:
    for show in (False, True):
        html = render_html(batch.rows, batch.evidence, show_personal_data=show, title="<script>alert(0)</script>")
        assert "<script>alert" not in html
        assert EVIL_MESSAGE not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;.jpg" in html
        assert "&lt;img src=x onerror=alert(3)&gt;" in html
        dom = parse(html)
        assert len(dom.find_all("script")) == 1
        assert [i for i in dom.find_all("img") if not i.attrs["src"].startswith("data:")] == []
        evil = dom.by_id(f"doc-{len(batch.rows) - 1}")
        assert evil.find_all("td", cls="c-source")[0].text() == EVIL_SOURCE
    shown = parse(render_html(batch.rows, batch.evidence, show_personal_data=True))
    evil = shown.by_id(f"doc-{len(batch.rows) - 1}")
    assert evil.find_all("td", cls="f-surname")[0].text() == EVIL_SURNAME
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in render_html(batch.rows, {}, show_personal_data=True)


def test_answer_key(batch: Batch) -> None:
    first, second = batch.rows[0]["source"], batch.rows[1]["source"]
    key = {
        first: {"genuine": True, "notes": "clean <scan>"},
        second: {"genuine": False, "forgery": "mrz_digits_recomputed", "region": "mrz", "notes": "n"},
    }
    plain = parse(render_html(batch.rows, batch.evidence))
    assert not plain.find_all(cls="answer") and not plain.find_all("td", cls="c-expected")
    dom = parse(render_html(batch.rows, batch.evidence, answer_key=key))
    assert len(dom.find_all("td", cls="c-expected")) == len(batch.rows)
    assert len(dom.find_all("section", cls="answer")) == len(batch.rows)
    doc0, doc1 = dom.by_id("doc-0"), dom.by_id("doc-1")
    assert doc0.find_all("td", cls="c-expected")[0].text() == "genuine"
    assert "clean <scan>" in doc0.find_all("section", cls="answer")[0].text()
    assert doc1.find_all("td", cls="c-expected")[0].text() == "forged: mrz_digits_recomputed (mrz)"
    assert "mrz_digits_recomputed" in doc1.find_all("section", cls="answer")[0].text()
    flagged0 = batch.rows[0]["verdict"] in ("review", "fail")
    assert doc0.attrs["data-agree"] == ("no" if flagged0 else "yes")
    flagged1 = batch.rows[1]["verdict"] in ("review", "fail")
    assert doc1.attrs["data-agree"] == ("yes" if flagged1 else "no")
    assert dom.by_id("doc-3").attrs["data-agree"] == "unknown"  # the error row
    agreement = dom.by_id("agreement")
    assert agreement.attrs["data-judged"] == "2"
    assert agreement.attrs["data-agree"] == str([doc0.attrs["data-agree"], doc1.attrs["data-agree"]].count("yes"))


# --- in a real browser --------------------------------------------------------------------------------


def _chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        f"no headless Chromium found (looked for {', '.join(CHROMIUM_NAMES)}); "
        "run `bash scripts/setup.sh --dev` to install chromium-headless-shell"
    )


def _browse(tmp_path: Path, url: str, *extra: str) -> str:
    cmd = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
        *extra,
        url,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


def test_in_chromium(batch: Batch, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(batch.rows, batch.evidence), encoding="utf-8")
    n = len(batch.rows)

    dom = parse(_browse(tmp_path, page.as_uri() + "?expand=all", "--dump-dom"))
    body = dom.find_all("body")[0]
    assert body.attrs["data-js"] == "ready", "the report's script did not run"
    assert body.attrs["data-visible"] == str(n)
    assert dom.by_id("visible-count").text() == f"Showing {n} of {n} documents"
    assert len(dom.find_all("tr", cls="doc-row")) == n
    assert all("open" in d.attrs for d in dom.find_all("details", cls="doc-detail"))
    counts = {b.attrs["data-filter"]: int(b.find_all(cls="n")[0].text()) for b in dom.find_all("button", cls="count")}
    assert counts["all"] == n and counts["error"] == 1
    # every image decoded, at the size it was encoded
    images = dom.find_all("img")
    assert len(images) == 2 * len(batch.evidence)
    assert body.attrs["data-images-ok"] == str(len(images)) and body.attrs["data-images-broken"] == "0"
    for doc, row in zip(dom.find_all("tbody", cls="doc"), batch.rows, strict=True):
        ev = batch.evidence.get(row["source"])
        for img in doc.find_all("img"):
            assert ev is not None and img.attrs["data-ready"] == "ok"
            data = ev.thumbnail if "thumb" in img.classes else ev.annotated
            assert (int(img.attrs["data-width"]), int(img.attrs["data-height"])) == _jpeg_size(data)

    # filtering by verdict hides the other documents
    dom = parse(_browse(tmp_path, page.as_uri() + "?verdict=error", "--dump-dom"))
    visible = [d for d in dom.find_all("tbody", cls="doc") if "hidden" not in d.attrs]
    assert [d.attrs["data-verdict"] for d in visible] == ["error"]
    assert dom.by_id("visible-count").text() == f"Showing 1 of {n} documents"
    assert dom.find_all("button", data_filter="error")[0].attrs["aria-pressed"] == "true"

    shot = tmp_path / "report.png"
    _browse(tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=1280,2000")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[:2] == (2000, 1280)
    assert float(image.std()) > 20 and len(np.unique(image.reshape(-1, 3), axis=0)) > 200
    b, g, r = (int(v) for v in image[10, 10])  # the header's dark background (#1d2733): the CSS applied
    assert max(abs(r - 0x1D), abs(g - 0x27), abs(b - 0x33)) < 12


def test_a_pass_with_a_high_score_is_marked_advisory(batch: Batch) -> None:
    """A `pass` row whose score reaches 0.5 (only a region model's info finding does that) says so under the
    score; other rows do not."""
    first = copy.deepcopy(batch.rows[0])
    assert first["verdict"] == "pass" and first["score"] < 0.5
    high = copy.deepcopy(first) | {"score": 0.74}
    reviewed = copy.deepcopy(first) | {"score": 0.9, "verdict": "review"}
    dom = parse(render_html([first, high, reviewed], {}))
    cells = [row.find_all("td", cls="c-score")[0] for row in dom.find_all("tr", cls="doc-row")]
    assert all(c.text().startswith(f"{v:.2f}") for c, v in zip(cells, (first["score"], 0.74, 0.9), strict=True))
    assert [bool(c.find_all("span", cls="advisory")) for c in cells] == [False, True, False]


def test_what_was_not_checked_follows_the_checks_that_ran() -> None:
    """The report's closing list says what the stages that ran looked at and what they did not: the visual zone
    is 'not examined' unless it was compared; an MRZ-only check looked for no forgery cue."""
    ref = dt.date(2026, 1, 1)
    default = docverify.Verifier(config=docverify.VerifierConfig(reference_date=ref)).verify(SAMPLES / FILES[0])
    viz = docverify.Verifier(config=docverify.VerifierConfig(reference_date=ref, cross_check_viz=True))
    quick = docverify.Verifier(config=docverify.VerifierConfig(reference_date=ref, mrz_only=True))

    def closing(*reports: docverify.Report) -> str:
        page = unescape(render_html([r.to_dict() for r in reports], {}, generated=GENERATED))
        return page[page.index("What docverify did not check") :]

    plain = closing(default)
    assert "portrait and the page's print" in plain and "the visual zone's text (compared with --viz)" in plain
    compared = closing(default, viz.verify(SAMPLES / FILES[0]))
    assert "the visual zone's names, number and dates against the MRZ" in compared
    assert "compared with --viz" not in compared
    assert "none were looked for (MRZ only)" in closing(quick.verify(SAMPLES / FILES[0]))
