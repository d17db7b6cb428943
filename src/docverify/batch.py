"""Checking many documents: find the inputs, run them on local processes or a dask cluster, and write one
JSON Lines row per input as results arrive.

The guarantees a back office relies on:

* every input gets exactly one row, in the same JSON form as ``docverify check --json``; an input that
  cannot be loaded gets an error row, and an input whose worker crashed is retried once in a fresh worker
  and then gets an error row;
* rows are written whole and flushed one at a time, so an interrupted run (Ctrl-C, a killed process)
  leaves a valid JSON Lines file, and :func:`completed_rows` lets the next run resume after it;
* document data never reaches the log.

>>> inputs = find_inputs(["samples/images"])         # doctest: +SKIP
>>> for row, evidence in run_local(inputs, BatchOptions(), workers=2):  # doctest: +SKIP
...     print(row["source"], row.get("verdict"))
"""

from __future__ import annotations

import concurrent.futures as cf
import errno
import glob
import itertools
import json
import logging
import multiprocessing
import os
import re
import signal
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from docverify.config import Limits
from docverify.errors import DocverifyError
from docverify.io import display_name
from docverify.results import SCHEMA_VERSION

log = logging.getLogger("docverify.batch")

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".heic", ".heif", ".avif", ".jp2", ".j2k"}
    | {".pdf"}
)
"""File name endings taken from a folder (files named explicitly are always taken)."""

MAX_ATTEMPTS = 2
"""How many workers an input may take down before it gets an error row instead of another try."""


@dataclass(frozen=True, slots=True)
class BatchInput:
    """One input: ``path`` as the OS gives it (may hold surrogate-escaped bytes) and its ``source`` name
    (printable; the key of its row, as in reports)."""

    path: str
    source: str


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """How each input is checked (picklable: it travels to the workers)."""

    reference_date: str | None = None
    """ISO date, or ``None`` for each worker's today."""
    ocr: str = "model"
    limits: Limits = field(default_factory=Limits)
    mask_personal_data: bool = False
    """Mask the rows (the evidence images, if any, still show the document)."""
    evidence: bool = False
    """Also return the thumbnail and annotated image for an HTML report."""
    viz: bool = False
    """Also compare the MRZ with the printed visual zone (see ``VerifierConfig.cross_check_viz``)."""
    region_warnings: bool = False
    """Let the region models' cues drive the verdict (see ``VerifierConfig.region_warnings``)."""
    mrz_only: bool = False
    """Read and validate the MRZ only, no forgery cues (see ``VerifierConfig.mrz_only``)."""
    record_input: bool = False
    """With ``mask_personal_data``: each row also carries its input's name under ``_input`` for
    :func:`write_rows`, which removes it before writing (the CLI's ``--resume`` needs it; off for callers who
    keep the rows themselves)."""


Evidence = tuple[bytes, bytes]
"""A thumbnail and an annotated image, JPEG bytes (see :mod:`docverify.render.html`)."""


def find_inputs(arguments: Sequence[str]) -> list[BatchInput]:
    """The inputs named by ``arguments``: files as given, folders walked recursively for image and PDF
    files (symbolic links to folders are not followed, so a link loop cannot trap the walk), and glob
    patterns (``**`` allowed). Sorted within each argument, without duplicates; a file that is a broken link
    or a link loop is still an input (it gets an error row). Raises :class:`ValueError` for an argument that
    names nothing."""
    found: list[BatchInput] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        if path not in seen:
            seen.add(path)
            found.append(BatchInput(path, display_name(path)))

    for arg in arguments:
        p = Path(arg)
        if p.is_dir() and not p.is_symlink():
            for root, dirs, files in os.walk(arg, followlinks=False):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in IMAGE_SUFFIXES and not name.startswith("."):
                        add(str(Path(root) / name))
        elif os.path.lexists(arg):
            add(arg)
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))  # noqa: PTH207 - absolute patterns and ** too
            files = [m for m in matches if not Path(m).is_dir()]
            if not files:
                raise ValueError(f"{display_name(arg)}: the pattern matches no file")
            for m in files:
                add(m)
        else:
            raise ValueError(f"{display_name(arg)}: no such file, folder or pattern")
    return found


def error_row(source: str, message: str, kind: str = "input") -> dict[str, Any]:
    """The row of an input that gave no report: ``kind`` is ``input`` (the file is the problem) or
    ``internal`` (docverify is)."""
    return {"schema_version": SCHEMA_VERSION, "source": source, "error": {"kind": kind, "message": message}}


# --- the work done for one input (in a worker process) -------------------------------------------------

_verifiers: dict[tuple[str, Any], Any] = {}
"""Per worker process: the verifier of each (OCR engine, VerifierConfig)."""


def _verifier(options: BatchOptions) -> Any:
    """The worker's :class:`~docverify.pipeline.Verifier` for ``options`` (one per process, reused)."""
    import datetime as dt  # noqa: PLC0415

    from docverify.pipeline import Verifier, VerifierConfig  # noqa: PLC0415

    ref = dt.date.fromisoformat(options.reference_date) if options.reference_date else None
    config = VerifierConfig(
        reference_date=ref,
        limits=options.limits,
        cross_check_viz=options.viz,
        region_warnings=options.region_warnings,
        mrz_only=options.mrz_only,
    )
    key = (options.ocr, config)
    verifier = _verifiers.get(key)
    if verifier is None:
        if options.ocr == "tesseract":
            from docverify.ocr import TesseractBackend  # noqa: PLC0415

            ocr: Any = TesseractBackend()
        else:
            from docverify.mrz.recognizer import MRZRecognizer  # noqa: PLC0415

            ocr = MRZRecognizer()
        verifier = Verifier(ocr=ocr, config=config)
        _verifiers[key] = verifier
    return verifier


def check_one(item: BatchInput, options: BatchOptions) -> tuple[dict[str, Any], Evidence | None]:
    """The row for one input, and its evidence images when ``options.evidence``. Never raises for a bad
    input: the row is then an error row."""
    try:
        _refuse_special_file(item)
        report, image = _verifier(options).verify_with_image(item.path)
    except DocverifyError as exc:
        return error_row(item.source, str(exc)), None
    except MemoryError:
        return error_row(item.source, "out of memory while checking this input", "internal"), None
    except Exception as exc:
        log.debug("internal error on one input", exc_info=True)
        return error_row(item.source, f"internal error ({type(exc).__name__}); please report it", "internal"), None
    row = report.to_dict(mask_personal_data=options.mask_personal_data)  # its source masked too, as check's
    if options.mask_personal_data and options.record_input:
        row[ROW_INPUT] = item.source  # for the writer's InputKeys; popped before the row is written
    evidence = None
    if options.evidence:
        from docverify.render.html import evidence as make_evidence  # noqa: PLC0415

        ev = make_evidence(image, report)
        evidence = (ev.thumbnail, ev.annotated)
    return row, evidence


def _refuse_special_file(item: BatchInput) -> None:
    """Clear messages for what a folder walk can meet: link loops and broken links."""
    from docverify.errors import InputError  # noqa: PLC0415

    path = Path(item.path)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if path.is_symlink():
            what = "a symbolic link loop" if exc.errno == errno.ELOOP else "a broken symbolic link"
            raise InputError(f"{item.source}: {what}; nothing to check") from None
        return  # the loader gives the message for everything else
    if path.is_symlink() and stat.S_ISDIR(mode):
        raise InputError(f"{item.source}: a link to a folder, not a file")


def _worker_init() -> None:
    """Workers leave Ctrl-C to the parent, which stops the run cleanly, and compute on one thread each
    (OpenCV and the models): the workers themselves share the cores."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from docverify.mrz.recognizer import set_threads  # noqa: PLC0415 - in the worker only

    set_threads(1)


# --- running many ----------------------------------------------------------------------------------------

Result = tuple[dict[str, Any], Evidence | None]


Task = Callable[[BatchInput, BatchOptions], Result]
"""The work for one input (:func:`check_one`; tests pass others). Must be a module-level function."""


def run_local(
    inputs: Sequence[BatchInput],
    options: BatchOptions,
    *,
    workers: int,
    max_in_flight: int | None = None,
    task: Task | None = None,
) -> Iterator[Result]:
    """Check ``inputs`` on ``workers`` local processes; yields ``(row, evidence)`` as each finishes (in
    completion order), exactly once per input. With ``workers == 1`` everything runs in this process.

    At most ``max_in_flight`` inputs (default ``4 × workers``) are queued at once, so memory stays flat
    however many inputs there are. When a worker dies (a crash in a native decoder), the inputs it may have
    been holding are retried in a fresh pool, and an input that takes down :data:`MAX_ATTEMPTS` workers gets
    an error row."""
    fn = task or check_one
    if workers <= 1:
        for item in inputs:
            yield fn(item, options)
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    attempts: dict[int, int] = {}
    todo = list(range(len(inputs)))
    while todo:
        crashed: list[int] = []
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
            for i, result in _drain(pool, fn, todo, inputs, options, max_in_flight or 4 * workers):
                if result is None:
                    crashed.append(i)
                else:
                    yield result
        todo = []
        for i in crashed:
            attempts[i] = attempts.get(i, 0) + 1
            if attempts[i] >= MAX_ATTEMPTS:
                log.warning("an input took down its worker %d times; it gets an error row", attempts[i])
                yield error_row(inputs[i].source, "the worker checking this input crashed", "internal"), None
            else:
                todo.append(i)


def _drain(  # noqa: PLR0917 - private, called once
    pool: cf.ProcessPoolExecutor,
    fn: Task,
    indices: Sequence[int],
    inputs: Sequence[BatchInput],
    options: BatchOptions,
    limit: int,
) -> Iterator[tuple[int, Result | None]]:
    """``(index, result)`` for each input as it finishes; ``(index, None)`` for every input not finished
    when the pool broke. On any exception (Ctrl-C included) the workers are stopped at once."""
    queue = iter(indices)
    running: dict[cf.Future[Result], int] = {}
    try:
        for i in itertools.islice(queue, limit):
            running[pool.submit(fn, inputs[i], options)] = i
        while running:
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            broken = False
            for fut in done:
                i = running.pop(fut)
                try:
                    result = fut.result()
                except cf.process.BrokenProcessPool:
                    broken = True
                    yield i, None
                else:
                    yield i, result
            if broken:
                for i in [*running.values(), *queue]:
                    yield i, None
                return
            for i in itertools.islice(queue, len(done)):
                running[pool.submit(fn, inputs[i], options)] = i
    except BaseException:
        _quiet_feeder_threads()
        _kill_workers(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def _quiet_feeder_threads() -> None:
    """While a pool is torn down on Ctrl-C, its queue feeder thread may still be sending a work item into a
    pipe that is already closed; the ``OSError`` it then raises is expected and must not reach the user as
    a traceback. Installed once (``threading.excepthook``); every other thread exception goes to the
    previous hook."""
    previous = threading.excepthook
    if getattr(previous, "_docverify_quiet", False):
        return

    def hook(args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread is not None else ""
        if name == "QueueFeederThread" and issubclass(args.exc_type, OSError):
            log.debug("queue feeder stopped by the pool's shutdown: %s", args.exc_value)
            return
        previous(args)

    hook._docverify_quiet = True  # type: ignore[attr-defined]
    threading.excepthook = hook


def _kill_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Stop the pool's processes now (on Ctrl-C, not waiting for the documents in progress)."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.is_alive():
            proc.terminate()


def run_dask(inputs: Sequence[BatchInput], options: BatchOptions, *, scheduler: str) -> Iterator[Result]:
    """Check ``inputs`` on the dask.distributed cluster at ``scheduler`` (e.g. ``tcp://10.0.0.5:8786``);
    same rows as :func:`run_local`. The workers must see the input paths (a shared file system) and have
    docverify installed."""
    try:
        from distributed import Client, as_completed  # noqa: PLC0415
    except ImportError:
        from docverify.errors import DependencyError  # noqa: PLC0415

        raise DependencyError("--scheduler needs dask.distributed: pip install 'docverify[cluster]'") from None
    with Client(scheduler, set_as_default=False, timeout="20s") as client:  # type: ignore[no-untyped-call]
        futures = {
            client.submit(check_one, item, options, pure=False, key=f"docverify-{i}"): i
            for i, item in enumerate(inputs)
        }
        for fut in as_completed(list(futures), loop=client.loop):  # type: ignore[no-untyped-call]
            i = futures[fut]
            try:
                yield fut.result()
            except Exception as exc:  # a worker died or the task could not run there
                log.warning("a cluster task failed (%s)", type(exc).__name__)
                yield (
                    error_row(
                        inputs[i].source, f"the cluster could not check this input ({type(exc).__name__})", "internal"
                    ),
                    None,
                )
            finally:
                fut.release()


# --- output ----------------------------------------------------------------------------------------------


def completed_rows(jsonl: Path) -> list[dict[str, Any]]:
    """The rows already in ``jsonl`` (for ``--resume``; :func:`rows_for_inputs` tells whose they are). A last
    line cut short by an interrupted run is dropped from the file, so the rows that follow start on a line of
    their own. Raises :class:`ValueError` (nothing changed) when a line before the last is not a row: the file is
    not a batch's output, or was damaged, and truncating it there would lose every row after it."""
    if not jsonl.exists():
        return []
    data = jsonl.read_bytes()
    done: list[dict[str, Any]] = []
    good = 0
    lines = data.splitlines(keepends=True)
    for number, raw in enumerate(lines, 1):
        try:
            row = json.loads(raw) if raw.endswith(b"\n") else None
        except ValueError:
            row = None
        if not (isinstance(row, dict) and isinstance(row.get("source"), str)):
            if number < len(lines):
                raise ValueError(
                    f"{display_name(str(jsonl))}: line {number} is not a docverify batch row, so the file cannot be "
                    "resumed (it was left as it is); write to a new file, or drop --resume to overwrite it"
                )
            break  # the last line, cut short by an interrupted run
        done.append(row)
        good += len(raw)
    if good < len(data):
        with jsonl.open("r+b") as fh:
            fh.truncate(good)
    return done


ROW_INPUT = "_input"
"""A row's in-memory field (never written) naming its input when the row's ``source`` is masked: the writer
records the input's key for it in :class:`InputKeys`."""


def row_hash(row: dict[str, Any]) -> str:
    """A short hash of a row as written (its JSON with sorted keys): names the row's evidence and input key."""
    import hashlib  # noqa: PLC0415

    text = json.dumps(row, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:32]


_KEY_LINE: Final = re.compile(r"[0-9a-f]{32} [0-9a-f]{32}")


class InputKeys:
    """Which input each masked row belongs to (``--mask-personal-data`` masks the names and numbers in a row's
    ``source``, so the name no longer says): ``OUT.jsonl.keys``, readable by its owner only, holds a random salt
    and, per such row, the row's hash and a salted HMAC of its input's name — never the name itself. A key is
    written before its row, so a row never lacks its key; a line cut short by an interrupted run is dropped."""

    def __init__(self, path: Path, salt: bytes, by_row: dict[str, str]) -> None:
        self.path = path
        self.salt = salt
        self.by_row = by_row

    @classmethod
    def create(cls, path: Path) -> InputKeys:
        """A new keys file with a new salt (replacing any at ``path``)."""
        import secrets  # noqa: PLC0415

        keys = cls(path, secrets.token_bytes(16), {})
        path.parent.mkdir(parents=True, exist_ok=True)
        with keys._open(os.O_TRUNC) as fh:
            fh.write(f"salt {keys.salt.hex()}\n")
        return keys

    @classmethod
    def load(cls, path: Path) -> InputKeys | None:
        """The keys file at ``path`` (``None`` when there is none); a last line cut short is dropped from it.
        Raises :class:`ValueError` when it is not a keys file."""
        if not path.exists():
            return None
        data = path.read_bytes()
        lines = data.decode("ascii", errors="replace").split("\n")
        head = lines[0].removeprefix("salt ")
        if not (lines[0].startswith("salt ") and re.fullmatch("[0-9a-f]{32}", head)):
            raise ValueError(f"{display_name(str(path))} is not a docverify keys file; remove it or write elsewhere")
        by_row = {}
        for line in lines[1:-1]:  # whole lines only: the last is empty, or cut short
            if _KEY_LINE.fullmatch(line):
                by_row[line[:32]] = line[33:]
        if not data.endswith(b"\n"):
            with path.open("r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)
        path.chmod(0o600)
        return cls(path, bytes.fromhex(head), by_row)

    def _open(self, flag: int) -> Any:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | flag, 0o600)
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, "w", encoding="ascii")

    def key(self, source: str) -> str:
        import hashlib  # noqa: PLC0415
        import hmac  # noqa: PLC0415

        return hmac.new(self.salt, source.encode("utf-8", "backslashreplace"), hashlib.sha256).hexdigest()[:32]

    def add(self, row: dict[str, Any], source: str) -> None:
        digest, key = row_hash(row), self.key(source)
        self.by_row[digest] = key
        with self._open(os.O_APPEND) as fh:
            fh.write(f"{digest} {key}\n")


def rows_for_inputs(
    rows: Iterable[dict[str, Any]], items: Sequence[BatchInput], keys: InputKeys | None = None
) -> dict[str, dict[str, Any]]:
    """The row of each input that has one, by the input's ``source`` (the last row where there are several): a
    row with a key in ``keys`` belongs to the input of that key, any other to the input its source names. Rows
    of inputs not among ``items`` (an earlier run's) are left out."""
    sources = {item.source for item in items}
    by_key = {keys.key(item.source): item.source for item in items} if keys is not None else {}
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        source = row.get("source")
        key = keys.by_row.get(row_hash(row)) if keys is not None else None
        if key is not None:
            if key in by_key:
                found[by_key[key]] = row
        elif isinstance(source, str) and source in sources:
            found[source] = row
    return found


def unmatched_masked(rows: Iterable[dict[str, Any]], keys: InputKeys | None) -> int:
    """How many rows written with masked names have no key in ``keys``: their inputs cannot be known."""
    return sum(
        1 for row in rows if "*" in str(row.get("source", "")) and (keys is None or row_hash(row) not in keys.by_row)
    )


def read_rows(jsonl: Path) -> list[dict[str, Any]]:
    """The rows of a JSON Lines file written by a batch (complete lines only)."""
    rows = []
    for line in jsonl.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


class EvidenceStore:
    """Evidence images kept next to the JSON Lines file (``OUT.jsonl.evidence/``), so that a resumed run's
    report still shows the documents checked before. Each row's images are named by a hash of the row (its
    source may be masked, and masked names need not be unique), never by its text."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _stem(self, row: dict[str, Any]) -> Path:
        return self.folder / row_hash(row)

    def put(self, row: dict[str, Any], evidence: Evidence) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self._stem(row)
        Path(f"{stem}.thumb.jpg").write_bytes(evidence[0])
        Path(f"{stem}.annotated.jpg").write_bytes(evidence[1])

    def get(self, row: dict[str, Any]) -> Evidence | None:
        """The images of ``row`` as read back from the JSON Lines file (or, for a row written by docverify
        before 2026-11-25, named by its source)."""
        import hashlib  # noqa: PLC0415

        source = str(row.get("source", ""))
        older = hashlib.sha256(source.encode("utf-8", "backslashreplace")).hexdigest()[:32]
        stems = [self._stem(row)] + [self.folder / older] * ("*" not in source)  # masked names need not be unique
        for stem in stems:
            try:
                return Path(f"{stem}.thumb.jpg").read_bytes(), Path(f"{stem}.annotated.jpg").read_bytes()
            except OSError:
                continue
        return None


def write_rows(
    results: Iterable[Result],
    out: Any,
    *,
    store: EvidenceStore | None = None,
    keys: InputKeys | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Write each row to the text stream ``out`` as one line, flushed, as results arrive; a masked row's input
    goes to ``keys`` (its name itself is dropped, never written)."""
    for row, evidence in results:
        source = row.pop(ROW_INPUT, None)
        if keys is not None and isinstance(source, str) and source != row.get("source"):
            keys.add(row, source)  # first: a row must never lack its key
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()
        if store is not None and evidence is not None:
            store.put(row, evidence)
        if on_row is not None:
            on_row(row)


__all__ = [
    "IMAGE_SUFFIXES",
    "BatchInput",
    "BatchOptions",
    "EvidenceStore",
    "InputKeys",
    "check_one",
    "completed_rows",
    "error_row",
    "find_inputs",
    "read_rows",
    "row_hash",
    "rows_for_inputs",
    "run_dask",
    "run_local",
    "unmatched_masked",
    "write_rows",
]
