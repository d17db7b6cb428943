"""A self-contained HTML report over many checked documents (``docverify batch --report``, trainer sets).

The page needs nothing outside itself: CSS and JavaScript are inline, images are ``data:`` URIs, and a
Content-Security-Policy forbids every other request. Document data is untrusted input, so every value
is escaped, and the policy only lets the report's own script (pinned by its SHA-256) run.

>>> import docverify                                                          # doctest: +SKIP
>>> report, image = docverify.Verifier().verify_with_image("scan.jpg")         # doctest: +SKIP
>>> page = render_html([report.to_dict()], {report.source: evidence(image, report)})  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from docverify._version import __version__
from docverify.render import advisory_score, box_numbers
from docverify.render.annotate import annotate
from docverify.results import Report, mask_report_dict

THUMBNAIL_SIDE = 160
"""Longest side of a thumbnail, in pixels."""
ANNOTATED_WIDTH = 720
"""Widest an annotated image gets, in pixels (narrower images are kept as they are)."""
JPEG_QUALITY = 60

VERDICTS = ("pass", "review", "fail", "inconclusive", "error")
"""The summary's categories: the four verdicts, and ``error`` for files that could not be loaded."""

_KEY_FIELDS = (
    ("document_number", "Document no."),
    ("surname", "Surname"),
    ("given_names", "Given names"),
    ("nationality", "Nationality"),
    ("birth_date", "Birth date"),
    ("expiry_date", "Expiry date"),
)

NOT_CHECKED = (
    ("UV features", "fluorescent inks, fibres and planchettes visible under ultraviolet light."),
    ("IR features", "inks that appear or vanish under infrared light (e.g. the MRZ's infrared-dark print)."),
    ("Holograms and other optically variable devices", "kinegrams, colour-shifting inks, laser images."),
    ("The chip", "the eMRTD chip's data, passive and active authentication, and whether it matches the page."),
)
"""What no check of docverify sees (the report lists them, then what the checks that ran could not see)."""


def other_cues(checks: set[str]) -> tuple[str, str]:
    """The last item of the report's "not checked" list, for the stages that ran on its documents
    (``engine.checks`` of the rows, together)."""
    if "print" not in checks:
        return (
            "Forgery cues",
            "none were looked for (MRZ only): the MRZ was read and its rules and check digits checked, nothing "
            "else — not its print, the portrait, the page's print or the visual zone.",
        )
    seen = "the MRZ's print (typeface, pitch, baselines, spacing, copied or scraped characters)"
    if "regions" in checks:
        seen += "; the portrait and the page's print, scored by models trained on synthetic documents (cues)"
    if "viz" in checks:
        seen += "; the visual zone's names, number and dates against the MRZ"
    unseen = "" if "viz" in checks else "the visual zone's text (compared with --viz), "
    return (
        "Other forgery cues",
        f"docverify looked at {seen}. It did not examine {unseen}the printing technique, the security "
        "background beyond the MRZ, the laminate or the binding, and what it looked at may hold more than its "
        "findings say.",
    )


@dataclass(frozen=True)
class Evidence:
    """The pictures of one document in a report, as JPEG bytes: a small ``thumbnail`` of the page and
    the ``annotated`` page (MRZ outlined, findings numbered, legend below)."""

    thumbnail: bytes
    annotated: bytes


def _jpeg(image: npt.NDArray[np.uint8], max_width: int, max_side: int) -> bytes:
    """``image`` (H×W×3 RGB uint8) shrunk to fit ``max_width`` and ``max_side``, as JPEG bytes."""
    h, w = image.shape[:2]
    scale = min(1.0, max_width / w, max_side / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY, cv2.IMWRITE_JPEG_OPTIMIZE, 1]
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), params)
    if not ok:  # pragma: no cover - OpenCV encodes any 8-bit 3-channel image
        raise ValueError("cannot encode the image as JPEG")
    return bytes(buf.tobytes())


def evidence(image: npt.NDArray[np.uint8], report: Report) -> Evidence:
    """The thumbnail (longest side :data:`THUMBNAIL_SIDE`) and the annotated image (at most
    :data:`ANNOTATED_WIDTH` wide) of ``image``, the H×W×3 RGB uint8 page that ``report`` judged
    (e.g. from :meth:`docverify.Verifier.verify_with_image`). About 100 kB per document."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an H×W×3 uint8 RGB image, got shape {image.shape} and dtype {image.dtype}")
    thumbnail = _jpeg(image, THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    annotated = _jpeg(annotate(image, report), ANNOTATED_WIDTH, 1 << 30)
    return Evidence(thumbnail=thumbnail, annotated=annotated)


def _e(value: object) -> str:
    """``value`` as text, escaped for HTML content and double-quoted attributes."""
    return escape("" if value is None else str(value), quote=True)


def _data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _category(row: Mapping[str, Any]) -> str:
    """The summary category of a row: its verdict, ``error`` for error rows, ``unknown`` otherwise."""
    if "error" in row:
        return "error"
    verdict = row.get("verdict")
    return verdict if isinstance(verdict, str) and verdict in VERDICTS else "unknown"


def _score(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.2f}"
    return "—"


def _advisory(category: str, row: Mapping[str, Any]) -> str:
    """Under a ``pass`` with a score of 0.5 or more, a note that it comes from advisory cues only (a region
    model's info finding counts in the score, not in the verdict); otherwise nothing."""
    if not advisory_score(category, row.get("score")):
        return ""
    why = "from advisory cues only: a region model's info finding counts in the score, not in the verdict"
    return f'<br><span class="advisory" title="{_e(why)}">advisory</span>'


def _span_text(span: Any) -> str:
    """A span dict in ICAO's 1-based wording (``line 2, positions 1–9``)."""
    s = _dict(span)
    try:
        line, start, end = int(s["line"]), int(s["start"]), int(s["end"])
    except (KeyError, TypeError, ValueError):
        return ""
    if end - start <= 1:
        return f"line {line + 1}, position {start + 1}"
    return f"line {line + 1}, positions {start + 1}–{end}"


def _agreement(row: Mapping[str, Any], answer: Mapping[str, Any] | None) -> str:
    """``yes`` when docverify flagged (review or fail) exactly the documents the key calls forged, ``no``
    when it did not, ``unknown`` without a ``genuine`` answer or a verdict."""
    if answer is None or not isinstance(answer.get("genuine"), bool):
        return "unknown"
    category = _category(row)
    if category not in ("pass", "review", "fail"):
        return "unknown"
    flagged = category in ("review", "fail")
    return "yes" if flagged == (not answer["genuine"]) else "no"


def _expected_short(answer: Mapping[str, Any] | None) -> str:
    """The expected answer in a few words: ``genuine``, or ``forged: <forgery> (<region>)``."""
    if answer is None:
        return "—"
    genuine = answer.get("genuine")
    parts = []
    if genuine is True:
        parts.append("genuine")
    elif genuine is False:
        parts.append("forged")
    if answer.get("forgery"):
        parts.append(str(answer["forgery"]))
    if answer.get("region"):
        parts.append(f"({answer['region']})")
    text = " ".join(parts)
    return text.replace("forged ", "forged: ", 1) if text.startswith("forged ") else (text or "—")


def answer_picture(image: npt.NDArray[np.uint8], regions: Sequence[Sequence[tuple[float, float]]]) -> bytes:
    """The answer key's picture: ``image`` (H×W×3 RGB uint8) with each region (a polygon in its pixels) outlined
    in magenta, JPEG at most :data:`ANNOTATED_WIDTH` wide (the ``image`` of an answer in :func:`render_html`)."""
    canvas = np.ascontiguousarray(image.copy())
    thick = max(2, round(max(canvas.shape[:2]) / 400))
    for quad in regions:
        pts = np.array(quad, np.float64).round().astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [pts], True, (230, 0, 200), thick)
    return _jpeg(canvas, ANNOTATED_WIDTH, 1 << 30)


def _answer_block(answer: Mapping[str, Any] | None, category: str, agree: str) -> str:
    if answer is None:
        return '<section class="answer"><h3>Expected answer</h3><p>Not in the answer key.</p></section>'
    labels = {"genuine": "Genuine", "forgery": "Forgery", "region": "Where", "change": "What changed", "notes": "Notes"}
    keys = [k for k in labels if k in answer] + [k for k in answer if k not in labels and k != "image"]
    items = []
    for key in keys:
        value = answer[key]
        text = ("yes" if value else "no") if isinstance(value, bool) else ("—" if value is None else value)
        items.append(f'<dt>{_e(labels.get(key, key))}</dt><dd class="answer-{_e(key)}">{_e(text)}</dd>')
    picture = answer.get("image")
    shown = (
        f'<img class="answer-image" src="{_data_uri(picture)}" alt="Where the answer key puts the forgery">'
        if isinstance(picture, bytes)
        else ""
    )
    return (
        f'<section class="answer" data-agree="{_e(agree)}"><h3>Expected answer</h3>'
        f'<dl class="kv">{"".join(items)}</dl>{shown}'
        f'<p>docverify said <span class="badge verdict-{_e(category)}">{_e(category)}</span>; '
        f'agrees with the key: <span class="agree agree-{_e(agree)}">{_e(agree)}</span></p></section>'
    )


def _field_value(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    if key in ("birth_date", "expiry_date") and not value:
        raw = fields.get(f"{key}_raw")
        return f"{raw} (not a date)" if raw else "—"
    return str(value) if value else "—"


def _fact(value: Any) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def _findings_block(findings: list[Any]) -> str:
    """The findings as an ordered list, numbered like the annotated image's boxes (only findings with
    a box get a number)."""
    if not findings:
        return '<p class="no-findings">No findings.</p>'
    items = []
    numbers = box_numbers(bool(_dict(raw).get("box")) for raw in findings)
    for raw, k in zip(findings, numbers, strict=True):
        f = _dict(raw)
        number = "" if k is None else str(k)
        severity = f.get("severity") if f.get("severity") in ("info", "warning", "error") else "unknown"
        where = "; ".join(t for t in (_span_text(s) for s in _list(f.get("spans"))) if t)
        evidence_items = _dict(f.get("evidence"))
        facts = ", ".join(f"{k} = {_fact(v)}" for k, v in evidence_items.items())
        items.append(
            f'<li class="finding severity-{_e(severity)}" data-number="{_e(number)}" '
            f'data-severity="{_e(severity)}" data-code="{_e(f.get("code"))}">'
            f'<span class="num">{_e(number or "–")}</span>'
            f'<span class="badge sev-{_e(severity)}">{_e(severity)}</span> '
            f'<code class="code">{_e(f.get("code"))}</code> '
            f'<span class="category">{_e(f.get("category"))}</span>'
            f'<p class="message">{_e(f.get("message"))}</p>'
            + (f'<p class="where">Where: {_e(where)}</p>' if where else "")
            + (f'<p class="facts">Evidence: {_e(facts)}</p>' if facts else "")
            + "</li>"
        )
    return f'<ol class="findings">{"".join(items)}</ol>'


def _mrz_block(mrz: Mapping[str, Any]) -> str:
    lines = [str(x) for x in _list(mrz.get("lines"))]
    raw = [str(x) for x in _list(mrz.get("raw_lines"))]
    out = [f"<h3>MRZ ({_e(mrz.get('format'))}, {'valid' if mrz.get('valid') else 'not valid'})</h3>"]
    out.append(f'<pre class="mrz-lines">{_e(chr(10).join(lines))}</pre>')
    if raw and raw != lines:
        out.append(f'<p class="small">As read, before repair:</p><pre class="mrz-raw">{_e(chr(10).join(raw))}</pre>')
    fields = _dict(mrz.get("fields"))
    if fields:
        names = [
            ("document_code", "Document code"),
            ("issuing_state", "Issuing state"),
            *_KEY_FIELDS,
            ("sex", "Sex"),
            ("optional_data", "Optional data"),
            ("optional_data_2", "Optional data 2"),
        ]
        cells = "".join(
            f'<dt>{_e(label)}</dt><dd class="f-{_e(key)}">{_e(_field_value(fields, key))}</dd>'
            for key, label in names
            if key in fields and (fields[key] is not None or key in ("birth_date", "expiry_date"))
        )
        out.append(f'<dl class="kv fields">{cells}</dl>')
    checks = [_dict(c) for c in _list(mrz.get("check_digits"))]
    if checks:
        body = "".join(
            f'<tr class="{"ok" if c.get("ok") else "bad"}"><td>{_e(c.get("name"))}</td><td>{_e(c.get("printed"))}'
            f"</td><td>{_e(c.get('computed'))}</td><td>{'ok' if c.get('ok') else 'WRONG'}</td></tr>"
            for c in checks
        )
        out.append(
            '<table class="checks"><thead><tr><th>Check digit</th><th>Printed</th><th>Computed</th><th></th>'
            f"</tr></thead><tbody>{body}</tbody></table>"
        )
    corrections = [_dict(c) for c in _list(mrz.get("corrections"))]
    if corrections:
        items = "".join(
            f"<li>line {_e(int(c.get('line', 0)) + 1)}, position {_e(int(c.get('column', 0)) + 1)}: "
            f"{_e(c.get('from'))} → {_e(c.get('to'))} ({_e(c.get('reason'))}"
            f"{', confirmed by the check digits' if c.get('verified') else ', not confirmed'})</li>"
            for c in corrections
        )
        out.append(f'<h3>Corrections made while reading</h3><ul class="corrections">{items}</ul>')
    return "".join(out)


def _detail(
    index: int,
    row: Mapping[str, Any],
    ev: Evidence | None,
    *,
    answer: Mapping[str, Any] | None,
    with_answers: bool,
    agree: str,
) -> str:
    """The detail view of one document: expected answer, annotated image, findings, MRZ."""
    category = _category(row)
    parts: list[str] = []
    if with_answers:
        parts.append(_answer_block(answer, category, agree))
    error = row.get("error")
    if error is not None:
        err = _dict(error)
        parts.append(
            f'<section class="error-detail"><h3>Could not be checked</h3><p><span class="badge verdict-error">'
            f"{_e(err.get('kind', 'error'))}</span> {_e(err.get('message', error))}</p></section>"
        )
    if ev is not None:
        parts.append(
            f'<figure><img class="annotated" loading="lazy" decoding="async" src="{_data_uri(ev.annotated)}" '
            f'alt="annotated image of {_e(row.get("source"))}"><figcaption>The MRZ is outlined in green; findings '
            "with a place on the image are boxed and numbered as in the list.</figcaption></figure>"
        )
    if error is None:
        findings = _list(row.get("findings"))
        parts.append(f"<h3>Findings ({len(findings)})</h3>{_findings_block(findings)}")
        mrz = row.get("mrz")
        parts.append(_mrz_block(mrz) if isinstance(mrz, dict) else "<p>No MRZ was read: nothing was checked.</p>")
        size = _list(row.get("image_size"))
        timings = ", ".join(f"{k} {v} ms" for k, v in _dict(row.get("timings_ms")).items())
        pages = f"page {_e(int(row.get('page', 0)) + 1)} of {_e(row.get('pages_total', 1))}"
        dims = f"{_e(size[0])}×{_e(size[1])} px" if len(size) == 2 else "size unknown"
        parts.append(f'<p class="small">Image: {pages}, {dims}. Time: {_e(timings or "—")}.</p>')
    summary = f"Details of {_e(row.get('source'))}"
    return (
        f'<details class="doc-detail" id="detail-{index}"><summary>{summary}</summary>'
        f'<div class="detail-body">{"".join(parts)}</div></details>'
    )


def _doc(
    index: int,
    row: Mapping[str, Any],
    ev: Evidence | None,
    *,
    answer: Mapping[str, Any] | None,
    with_answers: bool,
) -> str:
    """One document: a ``tbody.doc`` with its table row and its detail row."""
    category = _category(row)
    agree = _agreement(row, answer)
    mrz = _dict(row.get("mrz"))
    fields = _dict(mrz.get("fields"))
    thumb = (
        f'<img class="thumb" src="{_data_uri(ev.thumbnail)}" alt="thumbnail of {_e(row.get("source"))}">'
        if ev is not None
        else '<span class="no-image">no image</span>'
    )
    cells = [
        f'<td class="c-index">{index + 1}</td>',
        f'<td class="c-thumb">{thumb}</td>',
        f'<td class="c-source">{_e(row.get("source"))}</td>',
        f'<td class="c-verdict"><span class="badge verdict-{_e(category)}">{_e(category)}</span></td>',
        f'<td class="c-score">{_score(row.get("score")) if "error" not in row else "—"}{_advisory(category, row)}</td>',
        f'<td class="c-format">{_e(mrz.get("format") or "—")}</td>',
        *(f'<td class="f-{key}">{_e(_field_value(fields, key) if fields else "—")}</td>' for key, _ in _KEY_FIELDS),
    ]
    if with_answers:
        cells.append(f'<td class="c-expected">{_e(_expected_short(answer))}</td>')
        cells.append(f'<td class="c-agree"><span class="agree agree-{_e(agree)}">{_e(agree)}</span></td>')
    columns = len(cells)
    agree_attr = f' data-agree="{_e(agree)}"' if with_answers else ""
    return (
        f'<tbody class="doc" id="doc-{index}" data-verdict="{_e(category)}"{agree_attr}>'
        f'<tr class="doc-row" data-verdict="{_e(category)}" data-detail="detail-{index}">{"".join(cells)}</tr>'
        f'<tr class="detail-row"><td colspan="{columns}">'
        f"{_detail(index, row, ev, answer=answer, with_answers=with_answers, agree=agree)}</td></tr></tbody>"
    )


def _engine_block(rows: Sequence[Mapping[str, Any]]) -> str:
    engine = next((_dict(r.get("engine")) for r in rows if _dict(r.get("engine"))), {})
    if not engine:
        return '<p id="engine">Engine: no document was checked.</p>'
    items = []
    for key, value in engine.items():
        text = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        items.append(f"<dt>{_e(key)}</dt><dd>{_e(text)}</dd>")
    return (
        '<details id="engine"><summary>Engine of the first document</summary>'
        f'<dl class="kv">{"".join(items)}</dl></details>'
    )


def _summary(categories: list[str], agreements: list[str] | None) -> str:
    counts = {v: categories.count(v) for v in VERDICTS}
    buttons = [
        f'<button type="button" class="filter count" data-filter="all" data-count="{len(categories)}">'
        f'<span class="n">{len(categories)}</span> all</button>'
    ]
    buttons += [
        f'<button type="button" class="filter count verdict-{v}" data-filter="{v}" data-verdict="{v}" '
        f'data-count="{counts[v]}"><span class="n">{counts[v]}</span> {v}</button>'
        for v in VERDICTS
    ]
    agreement = ""
    if agreements is not None:
        judged = [a for a in agreements if a != "unknown"]
        agreement = (
            f'<p id="agreement" data-agree="{judged.count("yes")}" data-judged="{len(judged)}">docverify agrees with '
            f"the answer key on {judged.count('yes')} of {len(judged)} documents it could judge (a document counts "
            "as flagged when its verdict is review or fail).</p>"
        )
    return (
        f'<section id="summary" aria-label="Summary; click to filter">{"".join(buttons)}</section>{agreement}'
        '<div id="toolbar"><label>Search <input id="search" type="search" placeholder="source, code, field…">'
        '</label><button type="button" id="expand-all">Expand all</button>'
        '<button type="button" id="collapse-all">Collapse all</button><span id="visible-count"></span></div>'
    )


def render_html(
    rows: Sequence[Mapping[str, Any]],
    evidence: Mapping[str, Evidence] | Sequence[Evidence | None],
    *,
    title: str = "docverify report",
    show_personal_data: bool = False,
    answer_key: Mapping[str, Mapping[str, Any]] | None = None,
    generated: str | None = None,
) -> str:
    """One self-contained HTML page over the ``rows`` of ``docverify check --json`` (report dicts and
    error rows), in order.

    ``evidence`` maps a row's ``source`` to its pictures, or gives them row by row (``None``, and rows
    without an entry, show no image: a list suits rows whose masked sources need not be unique). Names,
    numbers and dates are masked in the text unless ``show_personal_data``; the images always show the
    document as captured, so leave ``evidence`` empty for a report without personal data. ``answer_key``
    maps a source to its expected answer (``genuine``, ``forgery``, ``region``, ``change``, ``notes``, …, and
    ``image``: JPEG bytes such as :func:`answer_picture` gives, shown as a picture), shown
    beside docverify's result. ``generated`` is the time printed in the header (default: now, UTC).

    In the page, the summary counts filter the table by verdict, a search box filters by text, and a
    click on a row opens its details. The URL query ``?verdict=fail`` preselects a filter and
    ``?expand=all`` opens every detail view (for printing or a headless browser).
    """
    with_answers = answer_key is not None
    answers = [answer_key.get(str(r.get("source"))) if answer_key is not None else None for r in rows]
    # Evidence and answers are looked up by the source as given: masking may change its text.
    if isinstance(evidence, Mapping):
        pictures = [evidence.get(str(r.get("source"))) for r in rows]
    else:
        pictures = [*evidence, *([None] * (len(rows) - len(evidence)))]
    docs = "".join(
        _doc(
            i,
            dict(row) if show_personal_data else mask_report_dict(dict(row)),
            pictures[i],
            answer=answer,
            with_answers=with_answers,
        )
        for i, (row, answer) in enumerate(zip(rows, answers, strict=True))
    )
    categories = [_category(r) for r in rows]
    agreements = [_agreement(r, a) for r, a in zip(rows, answers, strict=True)] if with_answers else None
    when = generated or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head_cols = "".join(
        f"<th>{_e(h)}</th>"
        for h in ("#", "Image", "Source", "Verdict", "Score", "MRZ", *(label for _, label in _KEY_FIELDS))
    )
    if with_answers:
        head_cols += "<th>Expected</th><th>Agrees</th>"
    privacy = (
        "This report contains personal data."
        if show_personal_data
        else "Names, numbers and dates are masked in the text; the images show the documents as captured."
    )
    checks = {str(c) for r in rows for c in _list(_dict(r.get("engine")).get("checks")) if "error" not in r}
    listed = (*NOT_CHECKED, other_cues(checks or {"mrz", "print", "regions"}))
    not_checked = "".join(f"<li><strong>{_e(name)}</strong>: {_e(text)}</li>" for name, text in listed)
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    style_hash = base64.b64encode(hashlib.sha256(_STYLE.encode("utf-8")).digest()).decode("ascii")
    csp = (
        f"default-src 'none'; img-src data:; style-src 'sha256-{style_hash}'; "
        f"script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="docverify {_e(__version__)}">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body data-js="off" data-documents="{len(rows)}">
<header id="report-header">
<h1>{_e(title)}</h1>
<p id="generated">Generated {_e(when)} by docverify {_e(__version__)}. {len(rows)} documents. {_e(privacy)}</p>
{_engine_block(rows)}
</header>
<main>
{_summary(categories, agreements)}
<div id="table-wrap"><table id="documents">
<thead><tr>{head_cols}</tr></thead>
{docs}
</table></div>
<section id="not-checked">
<h2>What docverify did not check</h2>
<p>docverify reads and checks the machine readable zone (MRZ). A <em>pass</em> means that the MRZ is
internally consistent and follows ICAO Doc 9303, not that the document is genuine. It did not check:</p>
<ul>{not_checked}</ul>
</section>
</main>
<script>{_SCRIPT}</script>
</body>
</html>
"""


_STYLE = """
:root{--pass:#1b7f3b;--review:#b26a00;--fail:#c0262d;--inconclusive:#5f6670;--error:#6a3fa0;--info:#1f6fb2}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2127;background:#f5f6f8}
header{background:#1d2733;color:#fff;padding:14px 22px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0 0 6px;color:#d5dbe3}
header details summary{cursor:pointer;color:#d5dbe3}
header dl{color:#d5dbe3}
main{padding:14px 22px}
#summary{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:10px}
#summary .count{border:2px solid #c8ced6;background:#fff;border-radius:8px;padding:6px 14px;font-size:14px;
cursor:pointer;min-width:92px;text-align:left}
#summary .count .n{display:block;font-size:22px;font-weight:700}
#summary .count.active{border-color:#1d2733;box-shadow:0 0 0 2px #1d2733 inset}
#summary .verdict-pass .n{color:var(--pass)}#summary .verdict-review .n{color:var(--review)}
#summary .verdict-fail .n{color:var(--fail)}#summary .verdict-inconclusive .n{color:var(--inconclusive)}
#summary .verdict-error .n{color:var(--error)}
#toolbar{display:flex;gap:10px;align-items:center;margin:8px 0 12px;flex-wrap:wrap}
#toolbar input{padding:4px 8px;border:1px solid #c8ced6;border-radius:6px;width:220px}
#toolbar button{padding:4px 10px;border:1px solid #c8ced6;border-radius:6px;background:#fff;cursor:pointer}
#visible-count{color:#5f6670}
table#documents{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
#documents th{background:#e9ecf0;text-align:left;padding:6px;position:sticky;top:0}
#documents td{padding:5px 6px;border-top:1px solid #e3e6ea;vertical-align:middle;overflow-wrap:anywhere}
#table-wrap{overflow-x:auto}
.doc-row{cursor:pointer}.doc-row:hover{background:#f0f4fa}
.detail-row td{border-top:none;padding:0 6px}
.c-source{max-width:220px}.doc-row td[class^=f-]{max-width:150px}
img.thumb{display:block;max-width:160px;max-height:160px;border:1px solid #d0d4da}
.no-image{color:#8a9099;font-size:12px}
.advisory{color:#8a9099;font-size:11px;white-space:nowrap}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;
background:#5f6670}
.verdict-pass.badge{background:var(--pass)}.verdict-review.badge{background:var(--review)}
.verdict-fail.badge{background:var(--fail)}.verdict-inconclusive.badge{background:var(--inconclusive)}
.verdict-error.badge{background:var(--error)}
.sev-error{background:var(--fail)}.sev-warning{background:var(--review)}.sev-info{background:var(--info)}
details.doc-detail>summary{cursor:pointer;color:#1f6fb2;padding:3px 0}
.detail-body{padding:6px 0 14px;display:block}
figure{margin:6px 0}img.annotated{max-width:100%;border:1px solid #d0d4da}
figcaption,.small{color:#5f6670;font-size:12px}
ol.findings{list-style:none;padding:0;margin:4px 0}
li.finding{border-left:4px solid #c8ced6;padding:4px 10px;margin:4px 0;background:#fafbfc}
li.severity-error{border-color:var(--fail)}li.severity-warning{border-color:var(--review)}
li.severity-info{border-color:var(--info)}
li.finding .num{display:inline-block;min-width:22px;font-weight:700}
li.finding .category{color:#5f6670;font-size:12px;margin-left:6px}
li.finding p{margin:2px 0 0 22px}li.finding .where,li.finding .facts{color:#5f6670;font-size:12px}
pre.mrz-lines,pre.mrz-raw{font:14px/1.3 "OCR B","OCR-B",ui-monospace,monospace;background:#f0f1f3;padding:6px 8px;
display:inline-block;margin:2px 0}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}
dl.kv dt{color:#5f6670}dl.kv dd{margin:0}
table.checks{border-collapse:collapse;margin:6px 0}table.checks td,table.checks th{padding:2px 10px;
border-bottom:1px solid #e3e6ea;text-align:left}table.checks tr.bad td{color:var(--fail);font-weight:600}
section.answer{background:#fff8e1;border:1px solid #f0d68a;padding:6px 12px;margin:6px 0;border-radius:6px}
section.answer h3{margin:2px 0}
img.answer-image{max-width:100%;height:auto;display:block;margin:6px 0;border:1px solid #d6c}
.agree{font-weight:700}.agree-yes{color:var(--pass)}.agree-no{color:var(--fail)}.agree-unknown{color:#5f6670}
#not-checked{margin-top:22px;background:#fff;border:1px solid #e3e6ea;padding:8px 16px;border-radius:6px}
@media print{#toolbar,#summary button:not(.active){display:none}header{background:#fff;color:#000}}
"""

_SCRIPT = """
(function () {
  "use strict";
  var body = document.body;
  var docs = Array.prototype.slice.call(document.querySelectorAll("tbody.doc"));
  var buttons = Array.prototype.slice.call(document.querySelectorAll("#summary .filter"));
  var search = document.getElementById("search");
  var images = Array.prototype.slice.call(document.querySelectorAll("img"));
  var filter = "all";
  var texts = docs.map(function (d) { return d.querySelector(".doc-row").textContent.toLowerCase(); });

  function apply() {
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    docs.forEach(function (d, i) {
      var ok = (filter === "all" || d.getAttribute("data-verdict") === filter) && texts[i].indexOf(q) >= 0;
      d.hidden = !ok;
      if (ok) { shown += 1; }
    });
    buttons.forEach(function (b) {
      var on = b.getAttribute("data-filter") === filter;
      b.classList.toggle("active", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    document.getElementById("visible-count").textContent =
      "Showing " + shown + " of " + docs.length + " documents";
    body.setAttribute("data-filter", filter);
    body.setAttribute("data-visible", String(shown));
  }

  function setAll(open) {
    document.querySelectorAll("details.doc-detail").forEach(function (d) { d.open = open; });
    // load every image now (for printing, and so that the page's load event waits for them)
    if (open) { images.forEach(function (img) { img.loading = "eager"; }); }
  }

  buttons.forEach(function (b) {
    b.addEventListener("click", function () { filter = b.getAttribute("data-filter"); apply(); });
  });
  search.addEventListener("input", apply);
  document.getElementById("expand-all").addEventListener("click", function () { setAll(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { setAll(false); });
  docs.forEach(function (d) {
    d.querySelector(".doc-row").addEventListener("click", function () {
      var det = document.getElementById(this.getAttribute("data-detail"));
      det.open = !det.open;
    });
  });
  window.addEventListener("beforeprint", function () { setAll(true); });

  function tally() {
    body.setAttribute("data-images-ok", String(document.querySelectorAll("img[data-ready=ok]").length));
    body.setAttribute("data-images-broken", String(document.querySelectorAll("img[data-ready=broken]").length));
  }
  function mark(img, state) {
    img.setAttribute("data-ready", state);
    img.setAttribute("data-width", String(img.naturalWidth));
    img.setAttribute("data-height", String(img.naturalHeight));
    tally();
  }
  images.forEach(function (img) {
    if (img.complete && img.naturalWidth > 0) { mark(img, "ok"); return; }
    img.addEventListener("load", function () { mark(img, img.naturalWidth > 0 ? "ok" : "broken"); });
    img.addEventListener("error", function () { mark(img, "broken"); });
  });

  var params = new URLSearchParams(window.location.search);
  if (params.has("verdict")) { filter = params.get("verdict"); }
  if (params.get("expand") === "all") { setAll(true); }
  apply();
  tally();
  body.setAttribute("data-js", "ready");
})();
"""
