"""The ``docverify samples`` command: write a synthetic data set with its ground truth.

:data:`samples_command` is a :class:`click.Command`; the ``docverify`` group adds it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from docverify.errors import DependencyError
from docverify.exitcodes import ExitCode
from docverify.results import MRZFormat
from docverify.synth.capture import CONDITIONS, DEFAULT_CONDITIONS
from docverify.synth.dataset import GROUND_TRUTH_FILE, SLUGS, generate

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


@click.command("samples", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, dir_okay=True, writable=True, path_type=Path),
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
def samples_command(  # noqa: PLR0917 - click passes the options by keyword, the signature is click's
    out: Path, count: int, seed: int, formats: list[MRZFormat], conditions: list[str], dpi: int
) -> None:
    """Write synthetic travel documents (fictitious data) with their ground truth.

    Each image is a TD1, TD2 or TD3 document or an MRV-A or MRV-B visa: a made-up state, a drawn (not
    real) portrait, labelled visual-zone fields and an OCR-B MRZ at the ICAO 9303 geometry, captured
    on a flatbed, rotated, or photographed with a phone. OUT/ground_truth.jsonl holds one JSON line per
    image: MRZ text, fields, page and MRZ outlines, per-character boxes, capture parameters, seed.
    The same --seed always gives the same images.

    \b
    Examples:
      docverify samples --out /tmp/specimens
      docverify samples --out bench --count 500 --seed 7 --conditions phone
      docverify samples --out td1 --count 10 --formats TD1 --conditions flatbed,rotated
    """
    started = time.perf_counter()
    try:
        paths = generate(out, count, seed, formats, conditions, dpi=dpi)
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


__all__ = ["samples_command"]
