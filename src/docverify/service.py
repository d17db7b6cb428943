"""The HTTP service: docverify's checks over HTTP, for kiosks and back offices (``docverify serve``).

Endpoints (all JSON; schema as in the README):

* ``POST /v1/check``: one document image, as a ``multipart/form-data`` upload in the field ``file`` or as
  the raw bytes of the body. Query: ``reference_date`` (YYYY-MM-DD), ``ocr`` (``model``/``tesseract``),
  ``mask_personal_data`` (bool). Answers what ``docverify check --json`` prints for one input.
* ``POST /v1/mrz``: MRZ text (``text/plain``, or JSON ``{"lines": [...]}`` / ``{"text": "..."}``). Query:
  ``reference_date``, ``repair`` (bool), ``mask_personal_data`` (bool). Answers what ``docverify mrz --json``
  prints.
* ``GET /healthz`` (never needs the API key, never waits for a check), ``GET /v1/version``,
  ``GET /openapi.json``.

Every failure answers ``{"schema_version": "1.0", "error": {"kind": ..., "message": ...}}``. Kinds:
``input`` (413 too large, 422 unusable input or query), ``auth`` (401), ``request_timeout`` (408: the body
did not arrive in time), ``busy`` (503 with ``Retry-After``: every check slot taken), ``timeout`` (504: the
check ran past its limit), ``dependency`` (503: e.g. tesseract missing), ``internal`` (500, no details),
``not_found`` (404), ``method_not_allowed`` (405).

How it stays up under load and abuse:

* Bodies are read in the event loop, never in a worker thread, and counted while they stream: a declared
  ``Content-Length`` over the limit is refused before anything is read, a body growing past it as soon as
  it does. The whole body must arrive within ``body_timeout_s`` (a trickling client gets 408). The bytes
  held across all requests are bounded by ``max_buffered_bytes`` (beyond it: 503). Nothing is written to
  disk: uploads are kept in memory, multipart bodies parsed as they stream.
* Checks run in a pool of ``max_concurrency`` threads; a request waits at most ``queue_timeout_s`` for a
  slot, and at most ``max_queue`` requests wait, else 503 with ``Retry-After``. A check past ``timeout_s``
  answers 504 but keeps its slot until its thread finishes, so the bound holds.
* One :class:`~docverify.pipeline.Verifier` per (OCR engine, reference date), shared by all requests;
  models are loaded once per process, at start-up.

Logging: one line per request (``docverify.service``) with a request id (also sent back as
``X-Request-ID``), method, route, status, duration and verdict, never document data: no MRZ text, names,
numbers, upload file names, image bytes or query values. Exception messages (which may quote input) are
never logged; an internal error logs its type and code location only.

Run it with ``docverify serve``, or with any ASGI server through the zero-argument factory
:func:`app_from_env` (settings from the ``DOCVERIFY_*`` environment variables listed in
:data:`ENV_VARS`), e.g. ``uvicorn --factory docverify.service:app_from_env --workers 4 --no-access-log``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import dataclasses
import datetime as dt
import hmac
import json
import logging
import math
import os
import re
import secrets
import time
import traceback
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docverify._version import __version__
from docverify.config import DEFAULT_LIMITS, MIB, Limits, reference_day, usable_cores
from docverify.errors import DependencyError, DocverifyError, InputError, InputTooLargeError
from docverify.mrz.reader import MAX_TEXT_CHARS, read_mrz
from docverify.ocr import OCRBackend
from docverify.pipeline import Verifier, VerifierConfig
from docverify.results import SCHEMA_VERSION

log = logging.getLogger(__name__)

_T = TypeVar("_T")

ENV_VARS: Final = {
    "DOCVERIFY_MAX_UPLOAD_MB": "largest upload in MiB (default 50)",
    "DOCVERIFY_TIMEOUT": "seconds a check may run before the answer is 504 (default 30)",
    "DOCVERIFY_BODY_TIMEOUT": "seconds in which the whole request body must arrive, else 408 (default 30)",
    "DOCVERIFY_MAX_CONCURRENCY": "checks run at once per process (default: the number of CPUs)",
    "DOCVERIFY_QUEUE_TIMEOUT": "seconds a request waits for a free slot before 503 (default 5)",
    "DOCVERIFY_MAX_QUEUE": "requests that may wait for a slot (default 4 × max concurrency)",
    "DOCVERIFY_MAX_BUFFERED_MB": "MiB of request bodies held at once (default max(4, 2 × concurrency) × upload)",
    "DOCVERIFY_API_KEY": "the API key clients send in X-API-Key (none: no key needed)",
    "DOCVERIFY_API_KEY_FILE": "a file holding the API key (alternative to DOCVERIFY_API_KEY)",
}
"""The environment variables :meth:`ServiceSettings.from_env` reads."""

MRZ_BODY_LIMIT: Final = MAX_TEXT_CHARS * 4 + 4096
"""Largest ``/v1/mrz`` body in bytes: the text limit in UTF-8, plus room for JSON syntax."""

RETRY_AFTER_S: Final = 1
"""Seconds a client is asked to wait (``Retry-After``) when the service is saturated."""

_PATHS: Final = ("/v1/check", "/v1/mrz", "/v1/version", "/healthz", "/openapi.json")
_OPEN_PATHS: Final = frozenset({"/healthz"})
_VERIFIER_CACHE: Final = 32


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Settings of one service process (see :data:`ENV_VARS` for their environment variables)."""

    max_upload_bytes: int = DEFAULT_LIMITS.max_bytes
    """Largest request body for ``/v1/check``: declared larger is refused unread, larger when counted is cut."""
    timeout_s: float = 30.0
    """Seconds a check may run; past it the answer is 504 (the check's slot stays taken until it ends)."""
    body_timeout_s: float = 30.0
    """Seconds in which a request body must arrive in full; past it the answer is 408."""
    max_concurrency: int = field(default_factory=usable_cores)
    """Checks run at once (each in its own thread)."""
    queue_timeout_s: float = 5.0
    """Seconds a request waits for a free check slot before it is answered 503."""
    max_queue: int | None = None
    """Requests that may wait for a slot at once; ``None``: 4 × ``max_concurrency``."""
    max_buffered_bytes: int | None = None
    """Bytes of request bodies held in memory at once, across requests; ``None``: ``max(4, 2 ×
    max_concurrency)`` × ``max_upload_bytes``."""
    api_key: str | None = field(default=None, repr=False)
    """When set, every endpoint but ``/healthz`` needs it in the ``X-API-Key`` header."""

    def __post_init__(self) -> None:
        for name in ("max_upload_bytes", "max_concurrency"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ServiceSettings.{name} must be a positive integer, got {value!r}")
        for name in ("timeout_s", "body_timeout_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"ServiceSettings.{name} must be a positive number of seconds, got {value!r}")
        q = self.queue_timeout_s
        if not isinstance(q, int | float) or not math.isfinite(q) or q < 0:
            raise ValueError(f"ServiceSettings.queue_timeout_s must be 0 or more seconds, got {q!r}")
        if self.max_queue is not None and self.max_queue < 0:
            raise ValueError(f"ServiceSettings.max_queue must be 0 or more, got {self.max_queue!r}")
        if self.max_buffered_bytes is not None and self.max_buffered_bytes < self.max_upload_bytes:
            raise ValueError("ServiceSettings.max_buffered_bytes must be at least max_upload_bytes")
        if self.api_key is not None and not self.api_key:
            raise ValueError("ServiceSettings.api_key must not be empty (use None for no key)")

    @property
    def queue_limit(self) -> int:
        """Requests that may wait for a slot at once."""
        return 4 * self.max_concurrency if self.max_queue is None else self.max_queue

    @property
    def buffer_limit(self) -> int:
        """Bytes of request bodies held at once."""
        if self.max_buffered_bytes is not None:
            return self.max_buffered_bytes
        return max(4, 2 * self.max_concurrency) * self.max_upload_bytes

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        """Settings from ``DOCVERIFY_*`` variables (:data:`ENV_VARS`); unset ones keep their default.

        Raises :class:`ValueError` naming the variable when a value is malformed.
        """
        env = os.environ if environ is None else environ
        kwargs: dict[str, Any] = {}

        def number(var: str, key: str, convert: Callable[[float], Any], scale: float = 1.0) -> None:
            raw = env.get(var, "").strip()
            if raw:
                try:
                    value = float(raw)
                except ValueError:
                    raise ValueError(f"{var}={raw!r} is not a number") from None
                if not math.isfinite(value):
                    raise ValueError(f"{var}={raw!r} is not a finite number")
                kwargs[key] = convert(value * scale)

        number("DOCVERIFY_MAX_UPLOAD_MB", "max_upload_bytes", int, MIB)
        number("DOCVERIFY_TIMEOUT", "timeout_s", float)
        number("DOCVERIFY_BODY_TIMEOUT", "body_timeout_s", float)
        number("DOCVERIFY_MAX_CONCURRENCY", "max_concurrency", int)
        number("DOCVERIFY_QUEUE_TIMEOUT", "queue_timeout_s", float)
        number("DOCVERIFY_MAX_QUEUE", "max_queue", int)
        number("DOCVERIFY_MAX_BUFFERED_MB", "max_buffered_bytes", int, MIB)
        key, key_file = env.get("DOCVERIFY_API_KEY"), env.get("DOCVERIFY_API_KEY_FILE")
        if key and key_file:
            raise ValueError("set either DOCVERIFY_API_KEY or DOCVERIFY_API_KEY_FILE, not both")
        if key_file:
            key = read_api_key_file(key_file)
        if key:
            kwargs["api_key"] = key.strip()
        try:
            return cls(**kwargs)
        except ValueError as exc:
            raise ValueError(f"invalid service settings in the environment: {exc}") from None


def read_api_key_file(path: str | os.PathLike[str]) -> str:
    """The API key stored in ``path`` (surrounding white space removed); :class:`ValueError` when the file
    cannot be read or holds no key."""
    try:
        key = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the API key file {os.fspath(path)!r}: {exc}") from None
    if not key:
        raise ValueError(f"the API key file {os.fspath(path)!r} is empty")
    return key


# --- errors ------------------------------------------------------------------------------------------------


class ServiceError(Exception):
    """A request answered with an error status and docverify's error JSON."""

    def __init__(
        self, status: int, kind: str, message: str, *, headers: Mapping[str, str] | None = None, close: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.headers = dict(headers or {})
        if close:  # the body may be unread: do not let the connection carry another request
            self.headers["Connection"] = "close"


def error_response(status: int, kind: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """docverify's error JSON (as ``docverify check --json`` prints it for an unreadable input)."""
    body = {"schema_version": SCHEMA_VERSION, "error": {"kind": kind, "message": message}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _busy(message: str, *, close: bool = False) -> ServiceError:
    return ServiceError(503, "busy", message, headers={"Retry-After": str(RETRY_AFTER_S)}, close=close)


# --- concurrency and memory bounds --------------------------------------------------------------------------


class _Slots:
    """At most ``capacity`` checks at once; at most ``max_waiting`` requests wait, each for a bounded time.

    Used from the event loop only (acquire in a request, release from a future's done-callback)."""

    def __init__(self, capacity: int, max_waiting: int) -> None:
        self.capacity = capacity
        self.max_waiting = max_waiting
        self.running = 0
        self.waiting = 0
        self._sem = asyncio.Semaphore(capacity)

    async def acquire(self, timeout: float) -> bool:
        """Take a slot: at once when one is free, else after waiting at most ``timeout`` s in a bounded
        queue. False when none could be had."""
        if not self._sem.locked():
            await self._sem.acquire()  # free: returns without suspending
        elif timeout <= 0 or self.waiting >= self.max_waiting:
            return False
        else:
            self.waiting += 1
            try:
                async with asyncio.timeout(timeout):
                    await self._sem.acquire()
            except TimeoutError:
                return False
            finally:
                self.waiting -= 1
        self.running += 1
        return True

    def release(self) -> None:
        self.running -= 1
        self._sem.release()


class _Budget:
    """The bytes of request bodies held in memory, across requests (event loop only)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, n: int) -> bool:
        if self.used + n > self.limit:
            return False
        self.used += n
        return True

    def give(self, n: int) -> None:
        self.used -= n


class _Hold:
    """One request's share of the :class:`_Budget`, given back exactly once."""

    def __init__(self, budget: _Budget) -> None:
        self._budget = budget
        self.bytes = 0
        self._released = False

    def take(self, n: int) -> bool:
        if self._released or not self._budget.take(n):
            return False
        self.bytes += n
        return True

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._budget.give(self.bytes)


# --- request bodies -----------------------------------------------------------------------------------------


class _MultipartFile:
    """Collects the one field named as one of ``names`` (``file`` for an image, ``text`` or ``file`` for MRZ
    text) of a ``multipart/form-data`` body as it streams (in memory only); a body with none, or with more than
    one such field, is refused at :meth:`finish`."""

    def __init__(self, boundary: bytes, names: tuple[str, ...] = ("file",)) -> None:
        self.data: list[bytes] = []
        self.filename: str | None = None
        self.found = 0
        self._names = tuple(n.encode() for n in names)
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._capture = False
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": lambda d, s, e: self._header_name.extend(d[s:e]),
                "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
            },
        )

    @property
    def _wanted(self) -> str:
        return " or ".join(f"'{n.decode()}'" for n in self._names)

    def _part_begin(self) -> None:
        self._headers.clear()
        self._capture = False

    def _header_end(self) -> None:
        self._headers[bytes(self._header_name).strip().lower()] = bytes(self._header_value).strip()
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        disposition = self._headers.get(b"content-disposition", b"")
        _, params = parse_options_header(disposition)
        if params.get(b"name") in self._names:
            self.found += 1
            self._capture = self.found == 1
            if self._capture:
                self.filename = _upload_file_name(disposition, params)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._capture:
            self.data.append(data[start:end])

    def write(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            what = "malformed"
            if "header size" in str(exc):
                what = f"malformed: a part's header line is longer than {_fmt_size(self._parser.max_header_size)}"
            elif "header count" in str(exc):
                what = f"malformed: a part has more than {self._parser.max_header_count} header lines"
            raise ServiceError(422, "input", f"the multipart/form-data body is {what}", close=True) from None

    def finish(self) -> tuple[bytes, str | None]:
        """The field's bytes and its file name (``None`` when the part has none)."""
        if self._parser.state != MultipartState.END:
            raise ServiceError(422, "input", "the multipart/form-data body is incomplete (no closing boundary)")
        if self.found == 0:
            raise ServiceError(422, "input", f"the multipart/form-data body has no field named {self._wanted}")
        if self.found > 1:
            raise ServiceError(
                422, "input", f"the multipart/form-data body has more than one field named {self._wanted}"
            )
        data = b"".join(self.data)
        self.data.clear()
        return data, self.filename


_EXTENDED_FILE_NAME: Final = re.compile(rb"(?:^|;)\s*filename\*\s*=\s*([^;\s]+)", re.IGNORECASE)
_FORM_ESCAPE: Final = re.compile("%(22|0A|0D)", re.IGNORECASE)


def _upload_file_name(disposition: bytes, params: Mapping[bytes, bytes]) -> str | None:
    """The file name of a multipart part: RFC 5987's ``filename*=charset'lang'%XX..`` when given (older
    clients send non-ASCII names so), else ``filename`` as UTF-8 with the form encoding's escapes undone
    (browsers, httpx and urllib3 send ``"`` as ``%22``, line breaks as ``%0A``/``%0D``)."""
    extended = _EXTENDED_FILE_NAME.search(disposition)
    if extended:
        charset, _, rest = extended.group(1).decode("latin-1").strip('"').partition("'")
        value = rest.partition("'")[2]
        # RFC 5987 allows UTF-8 and ISO-8859-1 only; any other charset a client names is read as UTF-8 (a
        # codec such as idna or punycode would raise on the client's bytes)
        latin = charset.strip().lower() in ("iso-8859-1", "latin-1", "latin1")
        return urllib.parse.unquote(value, encoding="latin-1" if latin else "utf-8", errors="replace")
    if b"filename" not in params:
        return None
    return _FORM_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), params[b"filename"].decode("utf-8", "replace"))


async def _read_body(
    request: Request, *, limit: int, timeout: float, hold: _Hold, sink: Callable[[bytes], None]
) -> int:
    """Stream the request body into ``sink``, at most ``limit`` bytes within ``timeout`` seconds, every byte
    counted against the buffer budget through ``hold``. Returns the number of bytes read."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ServiceError(400, "input", "the Content-Length header is not a number", close=True) from None
        if size > limit:
            raise ServiceError(
                413,
                "input",
                f"the request body ({_fmt_size(size)}) is over the limit of {_fmt_size(limit)}",
                close=True,
            )
    total = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit:
                    raise ServiceError(
                        413, "input", f"the request body is over the limit of {_fmt_size(limit)}", close=True
                    )
                if not hold.take(len(chunk)):
                    raise _busy("the service holds too many uploads at the moment; retry shortly", close=True)
                sink(chunk)
    except TimeoutError:
        raise ServiceError(
            408, "request_timeout", f"the request body did not arrive within {timeout:g} s", close=True
        ) from None
    except ClientDisconnect:
        raise ServiceError(400, "input", "the client disconnected before sending the whole body", close=True) from None
    return total


def _fmt_size(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n:,} bytes"


def _parse_reference_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ServiceError(422, "input", "reference_date must be a calendar date in the form YYYY-MM-DD") from None
    try:
        return reference_day(day)
    except ValueError as exc:  # outside the years a reference date may lie in
        raise ServiceError(422, "input", str(exc)) from None


def _mrz_text(raw: bytes, content_type: str) -> str | list[str]:
    """The MRZ text of a ``/v1/mrz`` body: plain UTF-8 text, JSON ``{"lines": [...]}`` / ``{"text": ...}``,
    or a URL-encoded form with the field ``text``."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError):
            raise ServiceError(422, "input", "the body is not valid JSON") from None
        if isinstance(doc, dict) and isinstance(doc.get("lines"), list) and "text" not in doc:
            lines = doc["lines"]
            if all(isinstance(line, str) for line in lines):
                return list(lines)
        if isinstance(doc, dict) and isinstance(doc.get("text"), str) and "lines" not in doc:
            return str(doc["text"])
        raise ServiceError(422, "input", 'the JSON body must be {"lines": ["...", ...]} or {"text": "..."}')
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ServiceError(422, "input", f"the body is not UTF-8 text (byte {exc.start}: invalid)") from None
    if media == "application/x-www-form-urlencoded" and "=" in text:
        # a form (`curl --data-urlencode text@mrz.txt`); MRZ text itself has no '=' (`curl -d @mrz.txt`)
        form = urllib.parse.parse_qs(text, keep_blank_values=True, errors="replace")
        if list(form) != ["text"] or len(form["text"]) != 1:
            raise ServiceError(422, "input", "the form body must have exactly one field, 'text'")
        return form["text"][0]
    return text


# --- per-request log line -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _RequestInfo:
    """What the log line of a request reports besides method, route and status."""

    request_id: str
    verdict: str = "-"


_current: contextvars.ContextVar[_RequestInfo | None] = contextvars.ContextVar("docverify_request", default=None)


def _set_verdict(verdict: str) -> None:
    info = _current.get()
    if info is not None:
        info.verdict = verdict


def _where(exc: BaseException) -> str:
    """Where an exception was raised, as ``file:line in function`` frames (never its message)."""
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(frames))


class _Gate:
    """Outermost ASGI layer: request id, API key, the log line, and a generic 500 for anything unhandled."""

    def __init__(self, app: ASGIApp, api_key: str | None) -> None:
        self.app = app
        self._key = api_key.encode("utf-8") if api_key else None

    def _authorised(self, scope: Scope) -> bool:
        if self._key is None or scope["path"] in _OPEN_PATHS:
            return True
        given = [v for k, v in scope["headers"] if k == b"x-api-key"]
        return len(given) == 1 and hmac.compare_digest(given[0], self._key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = _RequestInfo(secrets.token_hex(8))
        token = _current.set(info)
        start = time.perf_counter()
        status = 0

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = info.request_id
                headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            if not self._authorised(scope):
                response = error_response(401, "auth", "a valid API key is needed in the X-API-Key header")
                await response(scope, receive, send_logged)
            else:
                await self.app(scope, receive, send_logged)
        except Exception as exc:
            log.error("request %s: internal error (%s) at %s", info.request_id, type(exc).__name__, _where(exc))
            if status == 0:
                response = error_response(500, "internal", "internal error; it was logged with the request id")
                await response(scope, receive, send_logged)
        finally:
            _current.reset(token)
            route = scope["path"] if scope["path"] in _PATHS else "other"
            log.info(
                "request id=%s method=%s path=%s status=%d duration_ms=%.1f verdict=%s",
                info.request_id,
                scope["method"],
                route,
                status,
                (time.perf_counter() - start) * 1000,
                info.verdict,
            )


# --- the service --------------------------------------------------------------------------------------------


def default_engines() -> dict[str, OCRBackend]:
    """The OCR engines selectable with ``?ocr=``: docverify's recognizer (``model``) and ``tesseract``."""
    from docverify.mrz.recognizer import MRZRecognizer  # noqa: PLC0415
    from docverify.ocr import TesseractBackend  # noqa: PLC0415

    return {"model": MRZRecognizer(), "tesseract": TesseractBackend()}


class _Service:
    """The state of one app: settings, bounds, the thread pool and the shared verifiers."""

    def __init__(self, settings: ServiceSettings, engines: Mapping[str, OCRBackend]) -> None:
        self.settings = settings
        self.engines = dict(engines)
        self.limits = Limits(max_bytes=settings.max_upload_bytes)
        self.pool = ThreadPoolExecutor(max_workers=settings.max_concurrency, thread_name_prefix="docverify-check")
        self.slots = _Slots(settings.max_concurrency, settings.queue_limit)
        self.budget = _Budget(settings.buffer_limit)
        self.verifiers: collections.OrderedDict[tuple[str, VerifierConfig], Verifier] = collections.OrderedDict()
        self.tesseract: str | None = None

    def verifier(
        self,
        ocr: str,
        reference_date: dt.date | None,
        viz: bool = False,
        region_warnings: bool = False,
        mrz_only: bool = False,
    ) -> Verifier:
        """The shared verifier for these settings (an LRU of a few: reference dates come from clients)."""
        config = VerifierConfig(
            reference_date=reference_date,
            limits=self.limits,
            cross_check_viz=viz,
            region_warnings=region_warnings,
            mrz_only=mrz_only,
        )
        key = (ocr, config)
        verifier = self.verifiers.get(key)
        if verifier is None:
            verifier = self.verifiers[key] = Verifier(ocr=self.engines[ocr], config=config)
            if len(self.verifiers) > _VERIFIER_CACHE:
                self.verifiers.popitem(last=False)
        else:
            self.verifiers.move_to_end(key)
        return verifier

    def warm_up(self) -> None:
        """Load every shipped model (hash-checked) and find tesseract, so no request pays for it. The
        models compute on the cores a check slot has to itself (one each when there are as many slots as
        cores): concurrent checks would otherwise compete for them."""
        from docverify.mrz.recognizer import model_hashes, session, set_model_threads  # noqa: PLC0415
        from docverify.ocr import _tesseract_version  # noqa: PLC0415

        set_model_threads(usable_cores() // self.settings.max_concurrency)
        for name in model_hashes():
            session(name)
        with contextlib.suppress(DependencyError):
            self.tesseract = _tesseract_version()

    async def run(self, work: Callable[[], _T], hold: _Hold) -> _T:
        """Run ``work`` in the check pool, within the concurrency bound and the time limit. The slot and the
        request's buffered bytes (``hold``, which this takes over) are given back when the thread finishes,
        even after a 504."""
        try:
            acquired = await self.slots.acquire(self.settings.queue_timeout_s)
        except BaseException:
            hold.release()
            raise
        if not acquired:
            hold.release()
            raise _busy(
                f"all {self.slots.capacity} check slots are busy and {self.slots.waiting} requests are waiting; "
                "retry shortly"
            )
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self.pool, work)
        except BaseException:
            self.slots.release()
            hold.release()
            raise

        def done(f: asyncio.Future[_T]) -> None:
            if not f.cancelled():
                f.exception()  # retrieved here, so a late failure is never logged with its message
            self.slots.release()
            hold.release()

        future.add_done_callback(done)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.settings.timeout_s)
        except TimeoutError:
            raise ServiceError(
                504, "timeout", f"the check took longer than {self.settings.timeout_s:g} s and was abandoned"
            ) from None

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        del app
        try:
            await asyncio.get_running_loop().run_in_executor(self.pool, self.warm_up)
        except DocverifyError as exc:
            log.error("docverify cannot start: %s", exc)
            raise
        log.info(
            "docverify %s ready: %d check slots, upload limit %s, check timeout %g s",
            __version__,
            self.settings.max_concurrency,
            _fmt_size(self.settings.max_upload_bytes),
            self.settings.timeout_s,
        )
        try:
            yield
        finally:
            self.pool.shutdown(wait=False, cancel_futures=True)


def _mapped(exc: DocverifyError) -> ServiceError:
    if isinstance(exc, InputTooLargeError):
        return ServiceError(413, "input", str(exc))
    if isinstance(exc, InputError):
        return ServiceError(422, "input", str(exc))
    return ServiceError(503, "dependency", f"docverify cannot run this check: {exc}")


_ERROR_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["schema_version", "error"],
    "properties": {
        "schema_version": {"type": "string"},
        "error": {
            "type": "object",
            "required": ["kind", "message"],
            "properties": {"kind": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}
_ERROR_TEXT: Final = {
    401: "No or a wrong API key in X-API-Key (only when the service has a key)",
    408: "The request body did not arrive within the body timeout",
    413: "The body is over the upload limit, or the image over a pixel or page limit",
    422: "Unusable input: empty, not an image, corrupt or truncated; or a malformed query value",
    500: "Internal error (details only in the server log, under the request id)",
    503: "Busy (every check slot taken; see Retry-After) or a missing dependency such as tesseract",
    504: "The check ran past the time limit",
}


def _responses(ok: str, *codes: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {
        200: {"description": ok, "content": {"application/json": {"schema": {"type": "object"}}}}
    }
    for code in codes:
        out[code] = {"description": _ERROR_TEXT[code], "content": {"application/json": {"schema": _ERROR_SCHEMA}}}
    return out


_BINARY: Final = {"type": "string", "format": "binary"}
_CHECK_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "The document image (JPEG, PNG, TIFF, BMP, GIF, WebP, HEIC/HEIF, AVIF, JPEG 2000 or PDF; "
        "recognised by its bytes): a multipart upload in the field `file`, or the raw file as the body with any "
        "other content type.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {**_BINARY, "description": "the image file"}},
                }
            },
            **{
                media: {"schema": _BINARY}
                for media in (
                    "image/jpeg",
                    "image/png",
                    "image/tiff",
                    "image/bmp",
                    "image/gif",
                    "image/webp",
                    "image/heic",
                    "image/heif",
                    "image/avif",
                    "image/jp2",
                    "application/pdf",
                    "application/octet-stream",
                )
            },
        },
    }
}
_MRZ_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "The MRZ lines, as text (one line per line), as JSON, or as the form field `text` (a "
        "multipart upload may send them as a text file in the field `file` instead).",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}, "file": {"type": "string", "format": "binary"}},
                }
            },
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
            },
            "application/json": {
                "schema": {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["lines"],
                            "properties": {"lines": {"type": "array", "items": {"type": "string"}}},
                        },
                        {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
                    ]
                }
            },
        },
    }
}

ReferenceDate = Annotated[
    str | None,
    Query(
        description="Date against which expiry and ages are judged (YYYY-MM-DD; default: today).",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        json_schema_extra={"format": "date"},
    ),
]


def create_app(settings: ServiceSettings | None = None, *, engines: Mapping[str, OCRBackend] | None = None) -> FastAPI:
    """The docverify HTTP app (see the module docstring).

    ``engines`` replaces the OCR engines selectable with ``?ocr=`` (keys ``model`` and ``tesseract``), e.g.
    to plug in another recognizer; by default :func:`default_engines`.

    >>> import uvicorn                                                    # doctest: +SKIP
    >>> uvicorn.run(create_app(ServiceSettings(max_concurrency=2)), port=8080)  # doctest: +SKIP
    """
    settings = settings or ServiceSettings()
    chosen = dict(engines) if engines is not None else default_engines()
    missing = {"model", "tesseract"} - chosen.keys()
    if missing:
        raise ValueError(f"engines lacks {sorted(missing)}")
    service = _Service(settings, chosen)
    app = FastAPI(
        title="docverify",
        version=__version__,
        description="Offline travel-document checks: read and validate the ICAO 9303 MRZ of document images "
        "and MRZ text. Errors answer `{schema_version, error: {kind, message}}`.",
        lifespan=service.lifespan,
        docs_url=None,  # the interactive pages load scripts from a CDN: nothing of the kind offline
        redoc_url=None,
    )
    app.add_middleware(_Gate, api_key=settings.api_key)

    async def on_service_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        return error_response(exc.status, exc.kind, exc.message, exc.headers)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p != "query"]
            problems.append(f"query parameter {'.'.join(loc) or '?'!r}: {err.get('msg', 'invalid')}")
        return error_response(422, "input", "; ".join(problems) or "invalid request")

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        return error_response(exc.status_code, kind, str(exc.detail), exc.headers)

    app.add_exception_handler(ServiceError, on_service_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)

    @app.post(
        "/v1/check",
        summary="Check one document image",
        response_class=JSONResponse,
        responses=_responses("The report, as `docverify check --json` prints it", 401, 408, 413, 422, 500, 503, 504),
        openapi_extra=_CHECK_BODY,
    )
    async def check(
        request: Request,
        *,
        reference_date: ReferenceDate = None,
        ocr: Annotated[Literal["model", "tesseract"], Query(description="MRZ reader.")] = "model",
        mask_personal_data: Annotated[
            bool, Query(description="Replace names, numbers, dates and MRZ lines by '*'.")
        ] = False,
        viz: Annotated[
            bool, Query(description="Also compare the MRZ with the printed visual zone (about 25 ms; see the README).")
        ] = False,
        region_warnings: Annotated[
            bool,
            Query(
                description="Let the portrait and reprint models' cues drive the verdict (warnings) instead of "
                "only the score (info); see the README."
            ),
        ] = False,
        mrz_only: Annotated[
            bool,
            Query(
                description="Read and validate the MRZ only, without forgery cues (faster; the verdict then rests "
                "on the MRZ's rules and check digits alone)."
            ),
        ] = False,
    ) -> Response:
        """Find, read and validate the MRZ of one document image and give a verdict."""
        reference = _parse_reference_date(reference_date)
        hold = _Hold(service.budget)
        try:
            data, name = await _read_upload(request, settings, hold)
            verifier = service.verifier(ocr, reference, viz, region_warnings, mrz_only)
        except BaseException:
            hold.release()
            raise

        def work() -> dict[str, Any]:
            return verifier.verify(data, name=name).to_dict(mask_personal_data=mask_personal_data)

        try:
            report = await service.run(work, hold)
        except DocverifyError as exc:
            raise _mapped(exc) from None
        _set_verdict(str(report["verdict"]))
        return JSONResponse(report)

    @app.post(
        "/v1/mrz",
        summary="Read, repair and validate MRZ text",
        response_class=JSONResponse,
        responses=_responses("The result, as `docverify mrz --json` prints it", 401, 408, 413, 422, 500, 503, 504),
        openapi_extra=_MRZ_BODY,
    )
    async def mrz(
        request: Request,
        reference_date: ReferenceDate = None,
        repair: Annotated[
            bool, Query(description="Repair OCR confusions guided by the check digits (false: judge as typed).")
        ] = True,
        mask_personal_data: Annotated[
            bool, Query(description="Mask names, numbers, dates and MRZ lines as /v1/check does.")
        ] = False,
    ) -> Response:
        """Validate MRZ text against ICAO 9303, as `docverify mrz --json` (`repair=false`: `--no-repair`)."""
        reference = _parse_reference_date(reference_date)
        hold = _Hold(service.budget)
        try:
            text = await _read_mrz_text(request, settings, hold)
        except BaseException:
            hold.release()
            raise

        def work() -> dict[str, Any]:
            result = read_mrz(text, reference_date=reference, repair_text=repair)
            return result.to_dict(mask_personal_data=mask_personal_data)

        try:
            result = await service.run(work, hold)
        except DocverifyError as exc:
            raise _mapped(exc) from None
        _set_verdict("valid" if result["valid"] else "invalid")
        return JSONResponse(result)

    @app.get("/healthz", summary="Liveness: answers at once, whatever the load", response_class=JSONResponse)
    async def healthz() -> Response:
        """Always 200 while the process serves; the check slots in use and the requests waiting."""
        slots = service.slots
        return JSONResponse(
            {
                "status": "ok",
                "checks_running": slots.running,
                "checks_waiting": slots.waiting,
                "capacity": slots.capacity,
            }
        )

    @app.get(
        "/v1/version",
        summary="Versions of docverify, its JSON schema and its models",
        response_class=JSONResponse,
        responses=_responses("Versions and settings", 401),
    )
    async def version() -> Response:
        """The package version, the JSON schema version, the SHA-256 of every model, the OCR engines and the
        limits this service applies."""
        from docverify.mrz.recognizer import model_hashes  # noqa: PLC0415

        return JSONResponse(
            {
                "schema_version": SCHEMA_VERSION,
                "docverify": __version__,
                "models": model_hashes(),
                "engine": {
                    "default_ocr": "model",
                    "ocr": {name: engine.name for name, engine in service.engines.items()},
                    "tesseract_version": service.tesseract,
                },
                "limits": {
                    "max_upload_bytes": settings.max_upload_bytes,
                    "timeout_s": settings.timeout_s,
                    "body_timeout_s": settings.body_timeout_s,
                    "max_concurrency": settings.max_concurrency,
                    **{f.name: getattr(service.limits, f.name) for f in dataclasses.fields(service.limits)},
                },
            }
        )

    return app


async def _read_form_field(
    request: Request, boundary: bytes | None, names: tuple[str, ...], *, limit: int, timeout: float, hold: _Hold
) -> tuple[bytes, str | None]:
    """The first of the fields ``names`` of a ``multipart/form-data`` body, at most ``limit`` bytes, and its
    file name."""
    if not boundary:
        raise ServiceError(422, "input", "the multipart/form-data body has no boundary", close=True)
    form = _MultipartFile(boundary, names)
    # the multipart framing adds a little to the field: the field itself is held to the limit below
    await _read_body(request, limit=limit + 16 * 1024, timeout=timeout, hold=hold, sink=form.write)
    data, filename = form.finish()
    if len(data) > limit:
        raise ServiceError(413, "input", f"the upload is over the limit of {_fmt_size(limit)}")
    return data, filename


async def _read_upload(request: Request, settings: ServiceSettings, hold: _Hold) -> tuple[bytes, str]:
    """The image of a ``/v1/check`` request and its name: the multipart field ``file`` (named by its file
    name, else ``upload``) or the raw body (``upload``)."""
    media, params = parse_options_header(request.headers.get("content-type", ""))
    limit = settings.max_upload_bytes
    if media == b"multipart/form-data":
        data, filename = await _read_form_field(
            request, params.get(b"boundary"), ("file",), limit=limit, timeout=settings.body_timeout_s, hold=hold
        )
        return data, filename or "upload"
    chunks: list[bytes] = []
    await _read_body(request, limit=limit, timeout=settings.body_timeout_s, hold=hold, sink=chunks.append)
    return b"".join(chunks), "upload"


async def _read_mrz_text(request: Request, settings: ServiceSettings, hold: _Hold) -> str | list[str]:
    """The MRZ text of a ``/v1/mrz`` request: the body as text or JSON (:func:`_mrz_text`), or the field
    ``text`` (or an uploaded text file ``file``) of a ``multipart/form-data`` body."""
    content_type = request.headers.get("content-type", "")
    media, params = parse_options_header(content_type)
    if media == b"multipart/form-data":
        data, _ = await _read_form_field(
            request,
            params.get(b"boundary"),
            ("text", "file"),
            limit=MRZ_BODY_LIMIT,
            timeout=settings.body_timeout_s,
            hold=hold,
        )
        return _mrz_text(data, "text/plain")
    chunks: list[bytes] = []
    await _read_body(request, limit=MRZ_BODY_LIMIT, timeout=settings.body_timeout_s, hold=hold, sink=chunks.append)
    return _mrz_text(b"".join(chunks), content_type)


def app_from_env() -> FastAPI:
    """The app with :meth:`ServiceSettings.from_env` settings: the zero-argument factory for ASGI servers
    (``uvicorn --factory docverify.service:app_from_env``). Adds a log handler for the request lines when
    logging is not configured (a bare ``uvicorn`` run)."""
    if not log.hasHandlers():
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(RedactExceptions())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return create_app(ServiceSettings.from_env())


# --- logging configuration for the server -------------------------------------------------------------------

LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactExceptions(logging.Filter):
    """Drops the traceback and message of a logged exception, keeping its type: exception messages can
    quote the input (a header line, an upload's file name)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.msg} [{record.exc_info[0].__name__}]"
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def log_config(level: int = logging.INFO) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for the server: request lines and uvicorn's own messages on
    stderr, uvicorn's access log off (it logs query strings), exception details redacted. ``level`` applies
    to the library's loggers; request lines are always logged."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactExceptions}},
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "plain",
                "filters": ["redact"],
            }
        },
        "loggers": {
            "docverify": {"handlers": ["stderr"], "level": logging.getLevelName(level), "propagate": False},
            __name__: {"level": "INFO"},
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "python_multipart": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        },
    }
