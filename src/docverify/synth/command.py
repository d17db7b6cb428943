"""The ``docverify samples`` command: write a synthetic data set with its ground truth.

:data:`samples_command` is a :class:`click.Command`; the ``docverify`` group adds it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from docverify.config import usable_cores
from docverify.errors import DependencyError
from docverify.exitcodes import ExitCode
from docverify.results import MRZFormat
from docverify.synth.capture import CONDITIONS, DEFAULT_CONDITIONS
from docverify.synth.dataset import FORGERIES, GROUND_TRUTH_FILE, SLUGS, generate, leftovers
from docverify.synth.render import ForgeryRecord

MIXED = "mixed"
"""The ``--forge`` value that draws one forgery kind per image."""
_FORMAT_NAMES = {**{f.value.lower(): f for f in SLUGS}, **{slug: f for f, slug in SLUGS.items()}}
"""Accepted spellings: ``TD3``/``td3``, ``MRV-A``/``mrva`` … (case-insensitive)."""


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _parse_formats(ctx: click.Context, param: click.Parameter, value: str) -> list[MRZFormat]:
    names = _split(value)
    if not names:
        raise click.BadParameter("give at least one format")
    out = []
    for name in names:
        fmt = _FORMAT_NAMES.get(name.lower())
        if fmt is None:
            raise click.BadParameter(f"unknown format {name!r}; choose from TD1, TD2, TD3, MRV-A, MRV-B")
        out.append(fmt)
    return out


def _parse_conditions(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    names = _split(value)
    if not names:
        raise click.BadParameter("give at least one condition")
    for name in names:
        if name not in CONDITIONS:
            raise click.BadParameter(f"unknown condition {name!r}; choose from {', '.join(CONDITIONS)}")
    return names


def _parse_forge(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    """``None`` (no forgery), ``[]`` for ``mixed`` (any registered kind), or the kinds named."""
    if value is None:
        return None
    names = _split(value)
    if names == [MIXED]:
        return []
    if not names:
        raise click.BadParameter("give a forgery kind or 'mixed'")
    for name in names:
        if name not in FORGERIES:
            raise click.BadParameter(f"unknown forgery {name!r}; choose from {', '.join(sorted(FORGERIES))} or {MIXED}")
    return names


def _out_folder(value: str) -> Path:
    if not value.strip():
        raise click.BadParameter("needs a folder name")
    return Path(value)


@click.command("samples", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, dir_okay=True, writable=True, path_type=str),
    callback=lambda _ctx, _param, value: _out_folder(value),
    help="Folder to write the images and ground_truth.jsonl to (created if needed).",
)
@click.option("--count", type=click.IntRange(1, 100_000), default=20, show_default=True, help="Number of images.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True, help="Seed of the set.")
@click.option(
    "--formats",
    callback=_parse_formats,
    default="TD1,TD2,TD3,MRV-A,MRV-B",
    show_default=True,
    help="Comma-separated document formats, used in turn.",
)
@click.option(
    "--conditions",
    callback=_parse_conditions,
    default=",".join(DEFAULT_CONDITIONS),
    show_default=True,
    help="Comma-separated capture conditions: none, flatbed, rotated, phone.",
)
@click.option("--dpi", type=click.IntRange(100, 600), default=300, show_default=True, help="Print resolution.")
@click.option(
    "--forge",
    callback=_parse_forge,
    metavar="KIND[,KIND...]|mixed",
    help=f"Forge the documents: every image gets all the comma-separated kinds, in order; 'mixed': each "
    f"image gets one kind drawn at random. Kinds: {', '.join(sorted(FORGERIES))}.",
)
@click.option(
    "--genuine-share",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Share of images left genuine with --forge [default: 0.3 for mixed, else 0].",
)
@click.option(
    "--report",
    "with_report",
    is_flag=True,
    help="Also check every image and write OUT/report.html: docverify's findings next to the answer key "
    "(a practice set for trainers). The check compares the visual zone with the MRZ too (as `check --viz`), "
    "which two of the forgery kinds need.",
)
def samples_command(  # noqa: PLR0917 - click passes the options by keyword, the signature is click's
    out: Path,
    count: int,
    seed: int,
    formats: list[MRZFormat],
    conditions: list[str],
    dpi: int,
    forge: list[str] | None,
    genuine_share: float | None,
    with_report: bool,
) -> None:
    """Write synthetic travel documents (fictitious data) with their ground truth.

    Each image is a TD1, TD2 or TD3 document or an MRV-A or MRV-B visa: a made-up state, a drawn (not
    real) portrait, labelled visual-zone fields and an OCR-B MRZ at the ICAO 9303 geometry, captured
    on a flatbed, rotated, or photographed with a phone. OUT/ground_truth.jsonl holds one JSON line per
    image: MRZ text, fields, page and MRZ outlines, per-character boxes, capture parameters, seed.
    The same --seed always gives the same images. With --forge, the ground truth records each
    forgery's kind, parameters and the regions it changed (in image pixels; coordinates among the
    parameters, such as copy_move's src_x/src_y, are in the rendered document's pixels, which
    document_to_image maps to the image's).

    \b
    Examples:
      docverify samples --out /tmp/specimens
      docverify samples --out bench --count 500 --seed 7 --conditions phone
      docverify samples --out td1 --count 10 --formats TD1 --conditions flatbed,rotated
      docverify samples --out forged --count 500 --forge mixed --genuine-share 0.5
      docverify samples --out viz --count 50 --forge viz.altered --conditions phone
      docverify samples --out both --count 20 --forge mrz.recomputed,portrait.substituted
      docverify samples --out practice --count 30 --forge mixed --report
    """
    if genuine_share is not None and forge is None:
        raise click.UsageError("--genuine-share needs --forge")
    started = time.perf_counter()
    stale = out / "report.html"
    if stale.is_file() and b"docverify practice set" in stale.read_bytes()[:4096]:
        stale.unlink()  # the answer key of an earlier set

    try:
        paths = generate(
            out,
            count,
            seed,
            formats,
            conditions,
            dpi=dpi,
            forgeries=forge or (),
            mixed=forge == [],
            genuine_share=genuine_share,
        )
    except DependencyError as exc:
        click.echo(f"docverify: error: {exc}", err=True)
        sys.exit(int(ExitCode.ERROR))
    except OSError as exc:
        click.echo(f"docverify: error: cannot write to {out} ({exc.strerror or exc})", err=True)
        sys.exit(int(ExitCode.ERROR))
    size = sum(p.stat().st_size for p in paths)
    click.echo(
        f"wrote {len(paths)} images ({size / 1e6:.1f} MB) and {GROUND_TRUTH_FILE} to {out} "
        f"(seed {seed}, {time.perf_counter() - started:.1f} s)"
    )
    left = leftovers(out, paths)
    if left:
        click.echo(
            f"docverify: warning: {len(left)} images of an earlier set are still in {out} "
            f"(e.g. {left[0].name}); {GROUND_TRUTH_FILE} does not describe them",
            err=True,
        )
    if with_report:
        report = out / "report.html"
        try:
            agree, judged = write_practice_report(out, paths, report)
        except OSError as exc:
            click.echo(f"docverify: error: cannot write {report} ({exc.strerror or exc})", err=True)
            sys.exit(int(ExitCode.ERROR))
        click.echo(f"wrote {report}: docverify's verdict agrees with the answer key on {agree} of {judged} documents")


HINTS = {
    "mrz.broken_check_digit": "MRZ characters were changed without fixing the check digits: a check digit fails.",
    "mrz.recomputed": "MRZ data were changed and the check digits recomputed: the MRZ is consistent, but no "
    "longer agrees with the printed visual zone (compare names, number and dates).",
    "viz.altered": "A printed field of the visual zone was painted over and retyped: look for a different "
    "font, spacing or baseline, and compare it with the MRZ.",
    "portrait.substituted": "The portrait was replaced: look for a seam, a shadow, or a sharpness, colour "
    "or grain that differs from the rest of the page.",
    "mrz.wrong_font": "The MRZ was retyped in a font that is not OCR-B: compare the shapes of 0, 1, <, and "
    "letters with a genuine MRZ.",
    "mrz.pitch_anomaly": "Part of an MRZ line was reprinted off the fixed 2.54 mm pitch or baseline.",
    "copy_move": "A patch (a character or background) was copied from elsewhere on the page: look for two "
    "identical patches.",
    "reprint": "The whole page is a reprint: fine lines blurred, halftone dots, colours shifted.",
}
"""What a trainee should look for, per forgery kind (shown in the answer key)."""


def _field(name: object) -> str:
    return str(name).replace("_", " ")


def where(record: ForgeryRecord) -> str:
    """Where a forgery is on the document, in a few words (for the answer key)."""
    p = dict(record.params)
    kind = record.kind
    if kind == "viz.altered":
        return f"visual zone, {_field(p.get('field'))}"
    if kind in ("mrz.broken_check_digit", "mrz.recomputed"):
        fields = p.get("field") or p.get("fields") or ""
        return f"MRZ, {_field(fields).replace(',', ', ')}"
    if kind == "mrz.pitch_anomaly":
        start, length = int(p.get("start", 0)), int(p.get("length", 0))
        return f"MRZ line {int(p.get('line', 0)) + 1}, characters {start + 1}–{start + length}"
    if kind == "mrz.wrong_font":
        return "MRZ, every line" if p.get("lines") == "all" else f"MRZ line(s) {p.get('lines')}"
    if kind == "copy_move":
        variant = p.get("variant")
        if variant == "background":
            return "security background"
        zone = "MRZ" if variant == "mrz_cell" else "visual zone"
        return f"{zone}, {_field(p.get('dst_field', ''))}".rstrip(", ")
    if kind == "portrait.substituted":
        return "portrait"
    return "whole page" if kind == "reprint" else kind


def what_changed(record: ForgeryRecord) -> str:
    """What a forgery changed, where its parameters say (old → new values, the font, the portrait's effects)."""
    p = dict(record.params)
    if "old" in p and "new" in p:
        return f"{p['old']} → {p['new']}"
    pairs = [
        f"{_field(k.removesuffix('_old'))} {v} → {p[k.removesuffix('_old') + '_new']}"
        for k, v in p.items()
        if k.endswith("_old") and k.removesuffix("_old") + "_new" in p
    ]
    if pairs:
        return ", ".join(pairs)
    if "font" in p:
        return f"printed in {Path(str(p['font'])).stem}"
    if "effects" in p:
        return f"pasted with {str(p['effects']).replace(',', ', ')}"
    if "modes" in p:
        return f"{str(p['modes']).replace(',', ' and ')} off the ICAO grid"
    return ""


def write_practice_report(out: Path, paths: list[Path], report: Path) -> tuple[int, int]:
    """Check ``paths`` (a set just written to ``out``) and write ``report`` with the answer key from the
    ground truth. Returns how many judged documents docverify's verdict agrees with, and how many were
    judged."""
    from docverify.batch import BatchInput, BatchOptions, run_local  # noqa: PLC0415
    from docverify.io import display_name, load_page  # noqa: PLC0415
    from docverify.render.html import Evidence, answer_picture, render_html  # noqa: PLC0415
    from docverify.synth.dataset import load_ground_truth  # noqa: PLC0415

    truths = {t.file: t for t in load_ground_truth(out)}
    items = [BatchInput(str(p), display_name(str(p))) for p in paths]
    reference = next(iter(truths.values())).reference_date if truths else None
    options = BatchOptions(reference_date=reference, evidence=True, viz=True)
    rows: dict[str, dict[str, Any]] = {}
    evidence: dict[str, Evidence] = {}
    for row, ev in run_local(items, options, workers=usable_cores()):
        rows[row["source"]] = row
        if ev is not None:
            evidence[row["source"]] = Evidence(thumbnail=ev[0], annotated=ev[1])
    key: dict[str, dict[str, Any]] = {}
    agree = judged = 0
    for item, path in zip(items, paths, strict=True):
        truth = truths[path.name]
        kinds = [f.kind for f in truth.forgeries]
        key[item.source] = {
            "genuine": truth.genuine,
            "forgery": ", ".join(kinds) if kinds else None,
            "region": "; ".join(where(f) for f in truth.forgeries) or None,
            "change": "; ".join(c for f in truth.forgeries if (c := what_changed(f))) or None,
            "notes": " ".join(HINTS.get(k, k) for k in kinds) or "A genuine document: nothing was altered.",
        }
        regions = [q for f in truth.forgeries for q in f.regions]
        if regions:  # the forgery outlined on the image, beside docverify's boxes
            key[item.source]["image"] = answer_picture(load_page(str(path)).image, regions)
        verdict = rows[item.source].get("verdict")
        if verdict in ("pass", "review", "fail"):
            judged += 1
            agree += (verdict == "pass") == truth.genuine
    html = render_html(
        [rows[i.source] for i in items],
        evidence,
        title=f"docverify practice set: {out.name}",
        show_personal_data=True,  # fictitious people: nothing to hide, and trainees compare the data
        answer_key=key,
    )
    report.write_text(html, encoding="utf-8")
    return agree, judged


__all__ = ["samples_command"]
