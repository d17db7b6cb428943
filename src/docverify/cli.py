"""The ``docverify`` command: parse arguments, call the library, render, exit with a documented code.

Exit codes are listed in :mod:`docverify.exitcodes` and in the README.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Final, NoReturn

import click
from rich.console import Console

from docverify._version import __version__
from docverify.config import reference_day, usable_cores
from docverify.errors import DependencyError, DocverifyError, InputError, InputTooLargeError
from docverify.exitcodes import ExitCode, worst
from docverify.mrz.reader import MAX_TEXT_CHARS, read_mrz
from docverify.render.text import print_mrz, print_report
from docverify.results import SCHEMA_VERSION, MRZResult, Report, Severity, Verdict

log = logging.getLogger("docverify.cli")


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a calendar date in the form YYYY-MM-DD") from None
    try:
        return reference_day(day)
    except ValueError as exc:
        raise click.BadParameter(str(exc).replace("reference_date", "the reference date")) from None


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
    logging.basicConfig(
        level=logging.WARNING, format="docverify: %(levelname)s: %(name)s: %(message)s", stream=sys.stderr
    )
    # -v/-vv raise docverify's own loggers only: libraries log file content at debug level (Pillow logs
    # EXIF and TIFF tag values, which can hold names), and docverify never logs document data.
    logging.getLogger("docverify").setLevel(level)
    # Library warnings about a damaged file (Pillow: "Tag data larger than file") are logged, shown from -v
    # on: the damage itself is already reported in one line, and warnings print source lines to stderr.
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.WARNING if verbose else logging.ERROR)


class _Commands(click.Group):
    """docverify's commands; those defined in other modules are imported only when used or listed
    (``samples`` brings the document generator, a tenth of a second at every start otherwise)."""

    lazy: ClassVar[dict[str, tuple[str, str]]] = {"samples": ("docverify.synth.command", "samples_command")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, attr = self.lazy[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Commands,
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
    if b"\0" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):  # binary (UTF-16: below)
        raise InputError(f"{path}: not a text file (binary data); `docverify check` reads images")
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
@MASK
def mrz_command(  # noqa: PLR0917 - click passes the options by keyword, the signature is click's
    lines: Sequence[str],
    file_: str | None,
    as_json: bool,
    reference_date: dt.date | None,
    no_repair: bool,
    mask: bool,
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
        click.echo(json.dumps(result.to_dict(mask_personal_data=mask), ensure_ascii=False))
    else:
        print_mrz(result, Console(highlight=False, soft_wrap=True), mask_personal_data=mask)
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
# readable=False: an unreadable file is reported by docverify (exit 3, one row) instead of click
# stopping the whole run with a usage error before any input is checked
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=True, readable=False, path_type=str))
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
@click.option(
    "--viz",
    is_flag=True,
    help="Also compare the MRZ with the printed visual zone (names, document number, dates; about 25 ms): "
    "catches most MRZs changed with recomputed check digits and retyped printed fields on scans, fewer on "
    "phone photos, with some false alarms (see the README).",
)
@click.option(
    "--region-warnings",
    is_flag=True,
    help="Let the portrait and reprint models' cues drive the verdict (warnings) instead of only the "
    "score (info): trained on synthetic documents, they also flag some genuine ones (see the README).",
)
@click.option(
    "--mrz-only",
    is_flag=True,
    help="Read and validate the MRZ only, without forgery cues (print, portrait, reprint, visual zone): "
    "faster, for filling in data; the verdict then rests on the MRZ's rules and check digits alone.",
)
def check_command(
    *,
    images: Sequence[str],
    as_json: bool,
    reference_date: dt.date | None,
    annotate_to: str | None,
    ocr: str,
    mask: bool,
    viz: bool,
    region_warnings: bool,
    mrz_only: bool,
) -> None:
    """Check document images: find and read the MRZ at any rotation, validate it, give a verdict.

    IMAGES are JPEG, PNG, TIFF, BMP, WebP, GIF, HEIC/HEIF, AVIF, JPEG 2000 or PDF files; `-` reads one
    from standard input (named `stdin`). Each gives one result: for a PDF or multi-page TIFF, the first page
    on which an MRZ is read is judged.

    \b
    Examples:
      docverify check samples/images/td3_flatbed.jpg
      scanimage --format=png | docverify check -
      docverify check --json --reference-date 2026-01-01 scan1.jpg scan2.pdf > results.jsonl
      docverify check --annotate evidence.png passport.jpg

    Exit codes (the worst image wins): 0 pass, 1 review, 3 no MRZ read / unreadable file, 4 fail,
    5 docverify could not run (e.g. tesseract missing).
    """
    from docverify.mrz.recognizer import MRZRecognizer  # noqa: PLC0415 - keeps `docverify mrz` light
    from docverify.ocr import TesseractBackend  # noqa: PLC0415
    from docverify.pipeline import Verifier, VerifierConfig  # noqa: PLC0415
    from docverify.render.annotate import annotate, write_png  # noqa: PLC0415

    engine = MRZRecognizer() if ocr == "model" else TesseractBackend()
    config = VerifierConfig(
        reference_date=reference_date, cross_check_viz=viz, region_warnings=region_warnings, mrz_only=mrz_only
    )
    verifier = Verifier(ocr=engine, config=config)
    console = Console(highlight=False, soft_wrap=True)
    codes: list[ExitCode] = []
    if images.count(STDIN) > 1:
        raise click.UsageError("'-' (the image on standard input) may be given once")
    if STDIN in images and sys.stdin is not None and sys.stdin.isatty():
        raise click.UsageError("'-' reads the image from standard input, which is a terminal; pipe the image in")
    targets = _annotation_targets(images, annotate_to) if annotate_to is not None else {}
    for folder in {t.parent for t in targets.values()}:
        with contextlib.suppress(OSError):  # a folder that cannot be made: each image's write says so
            folder.mkdir(parents=True, exist_ok=True)
    for path in images:
        row_written = False
        try:
            if path == STDIN:
                report, image = verifier.verify_with_image(_stdin_bytes(config.limits.max_bytes), name="stdin")
            else:
                report, image = verifier.verify_with_image(path)
            codes.append(report_exit_code(report))
            unwritten = None
            if path in targets:  # first: the output below may fail (a reader that quit, `| head`)
                try:
                    write_png(targets[path], annotate(image, report))
                except OSError as exc:  # the report is still given; the exit code says an output failed
                    unwritten = exc
            try:
                if as_json:
                    click.echo(json.dumps(report.to_dict(mask_personal_data=mask), ensure_ascii=False))
                else:
                    print_report(report, console, mask_personal_data=mask)
            except BrokenPipeError:
                raise  # the reader quit: see run()
            except OSError as exc:  # standard output full or gone: not this input's fault
                _cannot_write(exc.strerror or str(exc))
            row_written = True
            if unwritten is not None:
                codes.append(ExitCode.ERROR)
                click.echo(f"docverify: error: {unwritten}", err=True)
        except DependencyError as exc:
            _fail(str(exc), ExitCode.ERROR, as_json=as_json)
        except DocverifyError as exc:
            codes.append(ExitCode.UNREADABLE)
            if as_json:
                click.echo(json.dumps(_error_row(_shown(path), "input", str(exc)), ensure_ascii=False))
            click.echo(f"docverify: error: {exc}", err=True)
        except Exception as exc:
            log.debug("internal error", exc_info=True)
            codes.append(ExitCode.ERROR)
            message = f"{_shown(path)}: internal error ({type(exc).__name__}); please report it"
            if as_json and not row_written:  # every input gets exactly one row
                click.echo(json.dumps(_error_row(_shown(path), "internal", message), ensure_ascii=False))
            click.echo(f"docverify: error: {message}", err=True)
    sys.exit(int(worst(codes)))


STDIN: Final = "-"
"""``check``'s name for the image on standard input (a file called ``-`` is ``./-``)."""


def _shown(path: str) -> str:
    """How an input of ``check`` is named in messages and rows."""
    from docverify.io import display_name  # noqa: PLC0415

    return "stdin" if path == STDIN else display_name(path)


def _stdin_bytes(limit: int) -> bytes:
    """The image on standard input: at most ``limit`` + 1 bytes are read (one more than allowed, so that the
    loader refuses an oversized image instead of docverify reading it all)."""
    if sys.stdin is None:
        raise InputError("stdin: standard input is closed")
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise InputTooLargeError(f"stdin is over the limit of {limit / 2**20:.1f} MiB")
    return data


_SCHEDULER = re.compile(r"(tcp|tls|ucx|ws|wss)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?")


def _scheduler_address(value: str | None) -> str | None:
    """``--scheduler``: a dask.distributed address (``tcp://HOST:PORT``); anything else is a usage error at once
    (the client would try to reach it for tens of seconds)."""
    if value is not None and not _SCHEDULER.fullmatch(value.strip()):
        raise click.BadParameter(f"{value!r} is not a scheduler address such as tcp://10.0.0.5:8786")
    return value.strip() if value is not None else None


def _annotation_targets(images: Sequence[str], target: str) -> dict[str, Path]:
    """Where ``check --annotate`` writes each image's annotated PNG: ``target`` itself for one image (a path
    ending in ``.png``), else one ``<stem>.png`` per image in the folder ``target`` (also for one image when
    ``target`` is an existing folder), made unique where stems repeat. Raises :class:`click.UsageError`
    before anything is checked for a target that cannot be written or would overwrite an input."""
    if not target.strip():
        raise click.UsageError("--annotate needs a PNG path or a folder")
    folder = Path(target)
    if len(images) == 1 and not folder.is_dir():
        if folder.suffix.lower() != ".png":
            raise click.UsageError(f"--annotate {target}: the annotated image is a PNG; give a path ending in .png")
        out = {images[0]: folder}
    else:
        if folder.exists() and not folder.is_dir():
            raise click.UsageError(f"--annotate {target}: for several images it must be a folder, not a file")
        out, used = {}, set()
        for path in images:
            stem, n = "stdin" if path == STDIN else Path(path).stem or "image", 1
            name = f"{stem}.png"
            while name.lower() in used:
                n += 1
                name = f"{stem}-{n}.png"
            used.add(name.lower())
            out[path] = folder / name
    inputs = {_resolved(p) for p in images if p != STDIN}
    for dest in out.values():
        if _resolved(str(dest)) in inputs:
            raise click.UsageError(
                f"--annotate would overwrite the input {dest}; write the annotated images somewhere else"
            )
    return out


def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):  # a link loop
        return path


def _error_row(source: str, kind: str, message: str) -> dict[str, object]:
    """The JSON row of an input that gave no report. ``source`` is its display name (printable and UTF-8-safe,
    as in reports: a file name that is not UTF-8 must not put invalid bytes into the JSON Lines output)."""
    return {"schema_version": SCHEMA_VERSION, "source": source, "error": {"kind": kind, "message": message}}


@main.command("batch")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--jsonl", "jsonl", metavar="OUT.jsonl", required=True, help="Write one JSON row per input here.")
@click.option(
    "--report",
    "report_to",
    metavar="OUT.html",
    default=None,
    help="Also write a self-contained HTML report; its images (the documents themselves, even with "
    "--mask-personal-data) are kept in OUT.jsonl.evidence/ for --resume: delete it when done.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Local worker processes (default: the number of CPUs).",
)
@click.option("--resume", is_flag=True, help="Skip inputs that already have a row in OUT.jsonl and append.")
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    default=None,
    callback=lambda _ctx, _param, value: _scheduler_address(value),
    help="Run on this dask.distributed cluster instead of local processes (pip install 'docverify[cluster]'). "
    "Its workers must see the same paths.",
)
@REFERENCE_DATE
@click.option(
    "--ocr", type=click.Choice(["model", "tesseract"]), default="model", show_default=True, help="MRZ reader."
)
@MASK
@click.option(
    "--show-personal-data",
    is_flag=True,
    help="Show names, numbers and dates in the HTML report's table (masked by default).",
)
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.option("--viz", is_flag=True, help="Also compare the MRZ with the printed visual zone (see check --help).")
@click.option(
    "--region-warnings",
    is_flag=True,
    help="Let the portrait and reprint models' cues drive the verdict (see check --help).",
)
@click.option("--mrz-only", is_flag=True, help="Read and validate the MRZ only, no forgery cues (see check --help).")
def batch_command(
    *,
    inputs: Sequence[str],
    jsonl: str,
    report_to: str | None,
    workers: int | None,
    resume: bool,
    scheduler: str | None,
    reference_date: dt.date | None,
    ocr: str,
    mask: bool,
    show_personal_data: bool,
    no_progress: bool,
    viz: bool,
    region_warnings: bool,
    mrz_only: bool,
) -> None:
    """Check many documents in parallel: one JSON row per input, a progress bar, an optional HTML report.

    INPUTS are files, folders (searched recursively for JPEG, PNG, TIFF, BMP, WebP, GIF, HEIC/HEIF, AVIF,
    JPEG 2000 and PDF files) or quoted glob patterns. Every input gets exactly one row in OUT.jsonl, in
    the form of `docverify check --json` (an unreadable file gets an error row). Rows are written as they finish, so
    an interrupted run leaves a valid file; run the same command with --resume to finish it. An argument that
    names nothing (a missing path, a pattern without matches) is a usage error before any input is checked.

    \b
    Examples:
      docverify batch scans/ --jsonl results.jsonl --report report.html
      docverify batch 'archive/**/*.pdf' --jsonl out.jsonl --workers 8 --resume
      docverify batch /mnt/archive --jsonl out.jsonl --scheduler tcp://10.0.0.5:8786

    Exit codes (the worst input wins): 0 pass, 1 review, 2 usage error, 3 unreadable input or no MRZ,
    4 fail, 5 docverify could not run; 130 when interrupted.
    """
    from docverify import batch  # noqa: PLC0415

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        items = batch.find_inputs(inputs)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    for option, target in (("--jsonl", jsonl), ("--report", report_to)):
        if target is not None and not target.strip():
            raise click.UsageError(f"{option} needs a file name")
    out_path = Path(jsonl)
    if report_to and _resolved(report_to) == _resolved(jsonl):
        raise click.UsageError("--report and --jsonl must be different files")
    sources = {_resolved(item.path) for item in items}
    for option, target in (("--jsonl", jsonl), ("--report", report_to)):
        if target and _resolved(target) in sources:
            raise click.UsageError(f"{option} {target} is one of the inputs; write the output somewhere else")
    if mask and show_personal_data:
        raise click.UsageError("--mask-personal-data and --show-personal-data contradict each other")
    keys_path = Path(f"{out_path}.keys")
    keys: batch.InputKeys | None = None
    done: set[str] = set()
    if resume:
        try:
            keys = batch.InputKeys.load(keys_path)
            earlier = batch.completed_rows(out_path)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        except OSError as exc:
            _fail(f"{exc.filename or jsonl}: cannot read ({exc.strerror or exc})", ExitCode.ERROR, as_json=False)
        lost = batch.unmatched_masked(earlier, keys)
        if lost:
            raise click.UsageError(
                f"{lost} rows of {jsonl} have masked names but no key in {keys_path.name} (missing, or written "
                "by an older docverify), so their inputs are unknown; write to a new file"
            )
        if not mask and any("*" in str(r.get("source", "")) for r in earlier):
            raise click.UsageError(f"the rows of {jsonl} are masked: resume with --mask-personal-data")
        done = set(batch.rows_for_inputs(earlier, items, keys))
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out = out_path.open("a" if resume else "w", encoding="utf-8")
        if mask and keys is None:
            keys = batch.InputKeys.create(keys_path)
    except OSError as exc:
        _fail(f"{exc.filename or jsonl}: cannot write ({exc.strerror or exc})", ExitCode.ERROR, as_json=False)
    todo = [item for item in items if item.source not in done]
    options = batch.BatchOptions(
        reference_date=reference_date.isoformat() if reference_date else None,
        ocr=ocr,
        mask_personal_data=mask,
        record_input=mask,
        evidence=report_to is not None,
        viz=viz,
        region_warnings=region_warnings,
        mrz_only=mrz_only,
    )
    store = batch.EvidenceStore(Path(f"{out_path}.evidence")) if report_to else None
    counts: dict[str, int] = {}

    def count(row: dict[str, object]) -> None:
        key = "error" if "error" in row else str(row.get("verdict"))
        counts[key] = counts.get(key, 0) + 1
        progress.advance(task)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn  # noqa: PLC0415

    progress = Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=no_progress,
    )
    task = progress.add_task("checking", total=len(todo))
    started = time.perf_counter()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with out, progress:
            results = (
                batch.run_dask(todo, options, scheduler=scheduler)
                if scheduler
                else batch.run_local(todo, options, workers=workers or usable_cores())
            )
            batch.write_rows(results, out, store=store, keys=keys, on_row=count)
    except KeyboardInterrupt:
        written = sum(counts.values())
        err.print(
            f"docverify: interrupted: {written} of {len(todo)} rows written to {jsonl}; "
            "run the same command with --resume to finish",
            markup=False,
        )
        # The output file is closed and the workers are stopped. Leave at once: the process pool's own
        # exit handlers would wake a manager thread through a pipe the interrupted shutdown may have
        # closed, and print an OSError traceback after the message above.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    except DependencyError as exc:
        _fail(str(exc), ExitCode.ERROR, as_json=False)
    except Exception as exc:  # e.g. the cluster went away: the rows written so far stay valid
        log.debug("batch stopped", exc_info=True)
        _fail(
            f"the batch stopped ({type(exc).__name__}: {exc}); the rows written so far are kept, "
            "run the same command with --resume to finish",
            ExitCode.ERROR,
            as_json=False,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    elapsed = time.perf_counter() - started
    found = batch.rows_for_inputs(batch.read_rows(out_path), items, keys)
    rows = [found[item.source] for item in items if item.source in found]  # in the order of the inputs
    if report_to:
        _write_batch_report(rows, store, Path(report_to), show_personal_data=show_personal_data)
    _print_summary(rows=rows, resumed=len(done), elapsed=elapsed, checked=len(todo), jsonl=jsonl, report_to=report_to)
    missing = len(items) - len(rows)
    if missing:  # never silently: an input without its row
        err.print(f"docverify: error: {missing} of {len(items)} inputs have no row in {jsonl}", markup=False)
    sys.exit(int(worst([*(_row_exit_code(r) for r in rows), *[ExitCode.ERROR] * bool(missing)])))


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _row_exit_code(row: dict[str, object]) -> ExitCode:
    if "error" in row:
        error = row["error"]
        internal = isinstance(error, dict) and error.get("kind") == "internal"
        return ExitCode.ERROR if internal else ExitCode.UNREADABLE
    return {
        "pass": ExitCode.OK,
        "review": ExitCode.REVIEW,
        "inconclusive": ExitCode.UNREADABLE,
        "fail": ExitCode.INVALID,
    }.get(str(row.get("verdict")), ExitCode.ERROR)


def _write_batch_report(rows: list[dict[str, Any]], store: Any, path: Path, *, show_personal_data: bool) -> None:
    """The HTML report of ``rows`` (one per input, in the inputs' order) with the images in ``store``."""
    from docverify.render.html import Evidence, render_html  # noqa: PLC0415

    evidence: list[Evidence | None] = []
    for row in rows:
        ev = store.get(row) if store is not None else None
        evidence.append(None if ev is None else Evidence(thumbnail=ev[0], annotated=ev[1]))
    html = render_html(rows, evidence, show_personal_data=show_personal_data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        _fail(f"{path}: cannot write the report ({exc.strerror or exc})", ExitCode.ERROR, as_json=False)


def _print_summary(
    *,
    rows: list[dict[str, Any]],
    resumed: int,
    elapsed: float,
    checked: int,
    jsonl: str,
    report_to: str | None,
) -> None:
    from rich.table import Table  # noqa: PLC0415

    counts: dict[str, int] = {}
    for row in rows:
        key = "error" if "error" in row else str(row.get("verdict"))
        counts[key] = counts.get(key, 0) + 1
    table = Table(title="docverify batch", show_header=True, header_style="bold")
    table.add_column("Result")
    table.add_column("Inputs", justify="right")
    for key in ("pass", "review", "fail", "inconclusive", "error"):
        table.add_row(key, str(counts.get(key, 0)))
    table.add_row("total", str(sum(counts.values())), style="bold")
    console = Console(highlight=False, soft_wrap=True)
    console.print(table)
    rate = checked / elapsed if elapsed > 0 else 0.0
    console.print(
        f"{checked} checked in {elapsed:.1f} s ({rate:.1f}/s)"
        + (f", {resumed} already done" if resumed else "")
        + f"; rows: {jsonl}"
        + (f"; report: {report_to}" if report_to else ""),
        markup=False,
    )


@main.command("explain")
@click.argument("code", required=False)
def explain_command(code: str | None) -> None:
    """Say what a finding code means, how to confirm it, and what it cannot prove.

    Without CODE, list every entry of the catalogue.

    \b
    Examples:
      docverify explain mrz.check_digit.birth_date
      docverify explain viz.mismatch.surname
      docverify explain
    """
    from rich.markup import escape  # noqa: PLC0415

    from docverify.explain import CATALOGUE, NOT_CHECKED, explain  # noqa: PLC0415

    console = Console(highlight=False, soft_wrap=True)
    if code is None:
        for item in CATALOGUE:
            console.print(f"[bold]{item.pattern}[/bold]  {item.title}")
        console.print(f"\n{NOT_CHECKED}")
        return
    entry = explain(code.strip())
    if entry is None:
        click.echo(f"docverify: error: unknown finding code {code!r}; `docverify explain` lists them", err=True)
        sys.exit(int(ExitCode.USAGE))
    console.print(f"[bold]{escape(code)}[/bold]: {entry.title}")
    console.print(f"\n[bold]What it means[/bold]\n{entry.meaning}")
    console.print(f"\n[bold]How to confirm it[/bold]\n{entry.confirm}")
    console.print(f"\n[bold]What it cannot prove[/bold]\n{entry.cannot_prove}")
    console.print(f"\n{NOT_CHECKED}", style="dim")


def run() -> None:
    """Console-script entry point: :func:`main`, plus a clean exit when output cannot be written."""
    if sys.stdout is None:  # started with standard output closed (`>&-`): every answer would be lost
        _cannot_write("standard output is closed")
    try:
        main(prog_name="docverify")
    except SystemExit as exc:
        # Click and Rich turn a broken pipe (the reader quit, as `| head` does) into a silent exit 1, raised
        # while handling the BrokenPipeError; 1 reads as verdict `review`, but the output was not written.
        if exc.code == 1 and isinstance(exc.__context__, BrokenPipeError):
            _cannot_write("Broken pipe")
        raise
    except OSError as exc:  # stdout closed or full: no traceback, a documented code
        _cannot_write(exc.strerror or str(exc))


def _cannot_write(reason: str) -> NoReturn:
    """Say on stderr (if it can be written) that the output could not be written; exit 5 at once."""
    with contextlib.suppress(OSError):
        sys.stderr.write(f"docverify: error: cannot write output ({reason})\n")
        sys.stderr.flush()
    os._exit(int(ExitCode.ERROR))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="DOCVERIFY_HOST", help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, envvar="DOCVERIFY_PORT", help="TCP port."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    envvar="DOCVERIFY_WORKERS",
    help="Server processes; each loads the models once and has its own check slots.",
)
@click.option(
    "--max-upload-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=50.0,
    show_default=True,
    envvar="DOCVERIFY_MAX_UPLOAD_MB",
    help="Largest upload in MiB; larger ones are answered 413 without being read.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    envvar="DOCVERIFY_TIMEOUT",
    help="Seconds a check may run before the answer is 504.",
)
@click.option(
    "--max-concurrency",
    type=click.IntRange(1, 1024),
    default=None,
    envvar="DOCVERIFY_MAX_CONCURRENCY",
    help="Checks run at once per process (default: the CPUs divided among the workers); more wait briefly, "
    "then get 503.",
)
@click.option(
    "--queue-timeout",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    envvar="DOCVERIFY_QUEUE_TIMEOUT",
    help="Seconds a request waits for a free check slot before the answer is 503 with Retry-After.",
)
@click.option(
    "--body-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    envvar="DOCVERIFY_BODY_TIMEOUT",
    help="Seconds in which a request body must arrive in full; slower uploads are answered 408.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    envvar="DOCVERIFY_MAX_CONNECTIONS",
    help="Open connections per process; beyond it new requests are answered 503.",
)
@click.option(
    "--api-key-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    envvar="DOCVERIFY_API_KEY_FILE",
    help="Require the key in this file in every request's X-API-Key header (/healthz excepted). "
    "DOCVERIFY_API_KEY=KEY does the same.",
)
def serve_command(
    *,
    host: str,
    port: int,
    workers: int,
    max_upload_mb: float,
    timeout: float,
    max_concurrency: int | None,
    queue_timeout: float,
    body_timeout: float,
    max_connections: int,
    api_key_file: str | None,
) -> None:
    """Run the HTTP service: POST /v1/check (image), POST /v1/mrz (text), GET /healthz, GET /v1/version,
    GET /openapi.json. Answers the JSON of `check --json` and `mrz --json`; logs one line per request and
    never document data.

    \b
    Examples:
      docverify serve --port 8080
      docverify serve --host 0.0.0.0 --workers 4 --api-key-file /etc/docverify/api-key
      curl -s -F file=@samples/images/td3_flatbed.jpg http://127.0.0.1:8080/v1/check
      curl -s --data-binary @samples/images/td1_phone.jpg \\
           'http://127.0.0.1:8080/v1/check?reference_date=2026-01-01&mask_personal_data=true'
      curl -s -H 'Content-Type: text/plain' --data-binary @samples/mrz/td3_utopia.txt \\
           'http://127.0.0.1:8080/v1/mrz?reference_date=2024-01-01'
      curl -s -H "X-API-Key: $(cat /etc/docverify/api-key)" http://127.0.0.1:8080/v1/version

    Settings also come from DOCVERIFY_* environment variables (e.g. DOCVERIFY_MAX_CONCURRENCY=4).
    Errors answer {"schema_version", "error": {"kind", "message"}}: 401 no or wrong key, 408 body too slow,
    413 too large, 422 unusable input, 503 busy (Retry-After) or a missing dependency, 504 check too slow.
    Needs the serve extra: pip install 'docverify[serve]'.
    """
    try:
        import uvicorn  # noqa: PLC0415 - the service's dependencies are optional

        from docverify import service  # noqa: PLC0415
    except ImportError as exc:
        _fail(
            f"the HTTP service needs FastAPI and uvicorn ({exc.name or exc} is missing): "
            "pip install 'docverify[serve]'",
            ExitCode.ERROR,
            as_json=False,
        )
    if api_key_file and os.environ.get("DOCVERIFY_API_KEY"):
        raise click.UsageError("give the API key either with --api-key-file or DOCVERIFY_API_KEY, not both")
    settings_env = {
        "DOCVERIFY_MAX_UPLOAD_MB": repr(max_upload_mb),
        "DOCVERIFY_TIMEOUT": repr(timeout),
        "DOCVERIFY_QUEUE_TIMEOUT": repr(queue_timeout),
        "DOCVERIFY_BODY_TIMEOUT": repr(body_timeout),
    }
    if max_concurrency is None and workers > 1:  # the CPUs are shared by the processes
        max_concurrency = max(1, usable_cores() // workers)
    if max_concurrency is not None:
        settings_env["DOCVERIFY_MAX_CONCURRENCY"] = str(max_concurrency)
    if api_key_file:
        settings_env["DOCVERIFY_API_KEY_FILE"] = str(Path(api_key_file).resolve())
    os.environ.update(settings_env)  # every worker process builds its app from these (app_from_env)
    try:
        settings = service.ServiceSettings.from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    log.debug("service settings: %s", settings)
    try:
        uvicorn.run(
            "docverify.service:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=service.log_config(logging.getLogger().getEffectiveLevel()),
            access_log=False,  # it would log query strings; the service logs its own request lines
            server_header=False,
            limit_concurrency=max_connections,
            timeout_graceful_shutdown=int(timeout + body_timeout) + 5,
        )
    except SystemExit as exc:  # uvicorn exits 1 or 3 when it cannot start: docverify's code for that is 5
        if exc.code not in (0, None):
            sys.exit(int(ExitCode.ERROR))


main.add_command(serve_command)
