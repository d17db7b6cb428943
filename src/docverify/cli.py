"""The ``docverify`` command: parse arguments, call the library, render, exit with a documented code.

Exit codes are listed in :mod:`docverify.exitcodes` and in the README.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console

from docverify._version import __version__
from docverify.errors import DependencyError, DocverifyError, InputError
from docverify.exitcodes import ExitCode, worst
from docverify.mrz.reader import MAX_TEXT_CHARS, read_mrz
from docverify.render.text import print_mrz, print_report
from docverify.results import SCHEMA_VERSION, MRZResult, Report, Severity, Verdict
from docverify.synth.command import samples_command

log = logging.getLogger("docverify.cli")


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a calendar date in the form YYYY-MM-DD") from None


REFERENCE_DATE = click.option(
    "--reference-date",
    callback=_parse_date,
    metavar="YYYY-MM-DD",
    default=None,
    help="Date against which expiry and ages are judged and centuries resolved (default: today).",
)


MASK = click.option(
    "--mask-personal-data",
    "mask",
    is_flag=True,
    help="Replace names, document numbers, dates and MRZ lines by '*' in the output.",
)


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="docverify: %(levelname)s: %(name)s: %(message)s", stream=sys.stderr)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit codes: 0 valid/pass, 1 review, 2 usage error, 3 unreadable input, 4 invalid/fail, "
    "5 internal or environment error. See the README for details.",
)
@click.version_option(__version__, "-V", "--version", prog_name="docverify")
@click.option(
    "-v", "--verbose", count=True, help="More log output on stderr (-vv for debug). Never logs document data."
)
def main(verbose: int) -> None:
    """docverify: check travel documents (passports, ID cards, visas) offline.

    \b
    Examples:
      docverify mrz "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<" \\
                    "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
      docverify mrz --json --reference-date 2024-01-01 < mrz.txt
    """
    _configure_logging(verbose)


def _read_stdin(limit: int) -> str:
    data = sys.stdin.buffer.read(limit * 4 + 1)  # UTF-8 takes up to 4 bytes a character
    if len(data) > limit * 4:
        raise InputError(f"MRZ text too long: more than {limit:,} characters on standard input")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the input is not UTF-8 text (byte {exc.start}: invalid)") from None


def _read_file(path: str, limit: int) -> str:
    if path == "-":
        return _read_stdin(limit)
    if not path:
        raise InputError("--file: no file name given")
    try:
        with open(path, "rb") as fh:  # noqa: PTH123 - plain open keeps the error messages short
            data = fh.read(limit * 4 + 1)
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a text file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit * 4:
        raise InputError(f"{path}: too large for MRZ text (limit {limit:,} characters)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def mrz_exit_code(result: MRZResult) -> ExitCode:
    """``INVALID`` with errors, ``REVIEW`` with warnings, else ``OK``."""
    if not result.valid:
        return ExitCode.INVALID
    if result.worst_severity is Severity.WARNING:
        return ExitCode.REVIEW
    return ExitCode.OK


def _fail(message: str, code: ExitCode, *, as_json: bool) -> NoReturn:
    if as_json:
        kind = "input" if code is ExitCode.UNREADABLE else "internal"
        click.echo(json.dumps({"schema_version": SCHEMA_VERSION, "error": {"kind": kind, "message": message}}))
    click.echo(f"docverify: error: {message}", err=True)
    sys.exit(int(code))


@main.command("mrz")
@click.argument("lines", nargs=-1)
@click.option(
    "-f",
    "--file",
    "file_",
    metavar="PATH",
    default=None,
    help="Read the MRZ text from a file ('-' for standard input).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (schema in the README).")
@REFERENCE_DATE
@click.option(
    "--no-repair",
    is_flag=True,
    help="Validate the text exactly as given: no case folding, no length or character repair.",
)
def mrz_command(
    lines: Sequence[str],
    file_: str | None,
    as_json: bool,
    reference_date: dt.date | None,
    no_repair: bool,
) -> None:
    """Read, repair and validate MRZ text against ICAO 9303.

    LINES are the MRZ lines as arguments (quote them: '<' is special to the shell). Without LINES or
    --file, the text is read from standard input.

    \b
    Examples:
      docverify mrz 'I<UTOD231458907<<<<<<<<<<<<<<<' \\
                    '7408122F1204159UTO<<<<<<<<<<<6' 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'
      echo 'P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<
      C01X0006H1D<<6408125F1710319<<<<<<<<<<<<<<<0' | docverify mrz --json
      docverify mrz --file scan.txt --reference-date 2020-01-01 --no-repair

    Exit codes: 0 valid, 1 valid with warnings (e.g. expired, specimen, corrected characters),
    2 usage error, 3 unreadable input (empty, too long, not an MRZ), 4 invalid MRZ.
    """
    try:
        if lines and file_ is not None:
            raise click.UsageError("give the MRZ either as arguments or with --file, not both")
        if lines:
            text: str | Sequence[str] = list(lines)
        elif file_ is not None:
            text = _read_file(file_, MAX_TEXT_CHARS)
        elif sys.stdin is None or sys.stdin.isatty():
            raise click.UsageError("no MRZ given: pass the lines as arguments, use --file, or pipe them in")
        else:
            text = _read_stdin(MAX_TEXT_CHARS)
        result = read_mrz(text, reference_date=reference_date, repair_text=not no_repair)
    except click.UsageError:
        raise
    except DependencyError as exc:
        _fail(str(exc), ExitCode.ERROR, as_json=as_json)
    except DocverifyError as exc:
        _fail(str(exc), ExitCode.UNREADABLE, as_json=as_json)
    except Exception as exc:
        log.debug("internal error", exc_info=True)
        _fail(f"internal error ({type(exc).__name__}); please report it", ExitCode.ERROR, as_json=as_json)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        print_mrz(result, Console(highlight=False, soft_wrap=True))
    sys.exit(int(mrz_exit_code(result)))


def report_exit_code(report: Report) -> ExitCode:
    """The exit code of one report: pass 0, review 1, inconclusive 3, fail 4."""
    return {
        Verdict.PASS: ExitCode.OK,
        Verdict.REVIEW: ExitCode.REVIEW,
        Verdict.INCONCLUSIVE: ExitCode.UNREADABLE,
        Verdict.FAIL: ExitCode.INVALID,
    }[report.verdict]


@main.command("check")
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per image (JSON Lines for several).")
@REFERENCE_DATE
@click.option(
    "--annotate",
    "annotate_to",
    metavar="OUT",
    default=None,
    help="Write the image with the MRZ outlined and numbered finding boxes: a PNG path for one image, "
    "a folder for several.",
)
@click.option(
    "--ocr",
    type=click.Choice(["model", "tesseract"]),
    default="model",
    show_default=True,
    help="MRZ reader: docverify's OCR-B recognizer (a small ONNX model shipped in the package) or tesseract.",
)
@MASK
def check_command(
    *,
    images: Sequence[str],
    as_json: bool,
    reference_date: dt.date | None,
    annotate_to: str | None,
    ocr: str,
    mask: bool,
) -> None:
    """Check document images: find and read the MRZ at any rotation, validate it, give a verdict.

    IMAGES are JPEG, PNG, TIFF, BMP, WebP or PDF files. Each gives one result: for a PDF or multi-page
    TIFF, the first page on which an MRZ is read is judged.

    \b
    Examples:
      docverify check samples/images/td3_flatbed.jpg
      docverify check --json --reference-date 2026-01-01 scan1.jpg scan2.pdf > results.jsonl
      docverify check --annotate evidence.png passport.jpg

    Exit codes (the worst image wins): 0 pass, 1 review, 3 no MRZ read / unreadable file, 4 fail,
    5 docverify could not run (e.g. tesseract missing).
    """
    from docverify.mrz.recognizer import CellRecognizer  # noqa: PLC0415 - keeps `docverify mrz` light
    from docverify.ocr import TesseractBackend  # noqa: PLC0415
    from docverify.pipeline import Verifier, VerifierConfig  # noqa: PLC0415
    from docverify.render.annotate import annotate, write_png  # noqa: PLC0415

    engine = CellRecognizer() if ocr == "model" else TesseractBackend()
    verifier = Verifier(ocr=engine, config=VerifierConfig(reference_date=reference_date))
    console = Console(highlight=False, soft_wrap=True)
    codes: list[ExitCode] = []
    many = len(images) > 1
    if annotate_to and many:
        Path(annotate_to).mkdir(parents=True, exist_ok=True)
    for path in images:
        try:
            report, image = verifier.verify_with_image(path)
            codes.append(report_exit_code(report))
            if as_json:
                click.echo(json.dumps(report.to_dict(mask_personal_data=mask), ensure_ascii=False))
            else:
                print_report(report, console, mask_personal_data=mask)
            if annotate_to:
                out = Path(annotate_to) / f"{Path(path).stem}.png" if many else Path(annotate_to)
                write_png(out, annotate(image, report))
        except DependencyError as exc:
            _fail(str(exc), ExitCode.ERROR, as_json=as_json)
        except DocverifyError as exc:
            codes.append(ExitCode.UNREADABLE)
            if as_json:
                row = {
                    "schema_version": SCHEMA_VERSION,
                    "source": path,
                    "error": {"kind": "input", "message": str(exc)},
                }
                click.echo(json.dumps(row, ensure_ascii=False))
            click.echo(f"docverify: error: {exc}", err=True)
        except Exception as exc:
            log.debug("internal error", exc_info=True)
            codes.append(ExitCode.ERROR)
            click.echo(f"docverify: error: {path}: internal error ({type(exc).__name__}); please report it", err=True)
    sys.exit(int(worst(codes)))


def run() -> None:
    """Console-script entry point: :func:`main`, plus a clean exit when output cannot be written."""
    try:
        main(prog_name="docverify")
    except OSError as exc:  # stdout closed or full: no traceback, a documented code
        with contextlib.suppress(OSError):
            sys.stderr.write(f"docverify: error: cannot write output ({exc.strerror or exc})\n")
            sys.stderr.flush()
        os._exit(int(ExitCode.ERROR))


main.add_command(samples_command)
