"""Immutable result types handed to callers, and their JSON form.

Coordinates of MRZ characters are 0-based: ``line`` is the MRZ line index (0 = top line) and a
:class:`Span` covers columns ``start`` (inclusive) to ``end`` (exclusive). Human-readable messages use the
1-based positions of ICAO Doc 9303 instead ("line 2, positions 1–9").

Every dataclass here is frozen and uses slots; the JSON form of a result is produced by ``to_dict()``
and always carries :data:`SCHEMA_VERSION` at its top level.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, TypeVar

SCHEMA_VERSION = "1.0"
"""Version of the JSON documents docverify emits. Bumped on any incompatible change."""
TIME_LIMIT = "image.time_limit"
"""Finding code of a search stopped by :attr:`~docverify.config.Limits.max_seconds`: the verdict is then
``inconclusive`` (:func:`docverify.pipeline.decide_verdict`)."""
CUT_OFF = "image.mrz.cut_off"
"""Finding code of an MRZ that runs to the edge of the image and was not read as valid (or read as a passport or a
visa in the 2 × 36 layout, as a cut 2 × 44 line reads): the verdict is then ``inconclusive``
(:func:`docverify.pipeline.decide_verdict`); the text report says so first."""


UNRELIABLE = "mrz.read.unreliable"
"""Finding code of an image's reading whose errors may all be misreadings: every error that could show an
alteration (a failing check digit) lies on a character the recognizer was unsure of (or that the repair changed
from what it read), its other errors being of the kinds a misreading makes; or its only errors are ambiguous
repairs; or it is garbled (impossible values in several fields at once). They prove nothing about the document:
the verdict is ``inconclusive`` (``review`` when a forgery cue warns, such as the typeface); the text report says
why first when it is inconclusive."""
UNJUDGED_ERRORS = (CUT_OFF, UNRELIABLE)
"""Codes of findings that make the reading's integrity errors no evidence: they never make the verdict ``fail``
and are left out of ``score``."""


_T = TypeVar("_T")


def _fast_init(cls: type[_T]) -> type[_T]:
    """Give a frozen slots dataclass an ``__init__`` that fills its slots through their descriptors.

    Same signature and behaviour as the generated one (which goes through ``object.__setattr__`` per
    field), about 40 % faster; results are created for every document, so it counts.
    """
    params, body, env = [], [], {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.default is not dataclasses.MISSING:
            env[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            raise TypeError("default_factory is not supported")
        else:
            params.append(f.name)
        env[f"_s_{f.name}"] = cls.__dict__[f.name].__set__
        body.append(f"    _s_{f.name}(self, {f.name})")
    src = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body or ["    pass"])
    exec(src, env)  # the source is built from the class's own field names only
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    setattr(cls, "__init__", init)  # noqa: B010 - mypy rejects assigning a method directly
    return cls


class Severity(StrEnum):
    """How much a finding matters. Ordered: ``info`` < ``warning`` < ``error``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for error."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Category(StrEnum):
    """What a finding is about."""

    INTEGRITY = "integrity"
    """Check digits and structure: the MRZ is not internally consistent."""
    VALIDITY = "validity"
    """Expiry, specimen markers, country and document codes: the document is not valid for use."""
    AUTHENTICITY = "authenticity"
    """Forgery cues."""
    QUALITY = "quality"
    """Capture or reading problems, and the corrections made to overcome them."""


class MRZFormat(StrEnum):
    """The MRZ layouts docverify reads."""

    TD1 = "TD1"
    """ID-1 card, 3 lines × 30 characters."""
    TD2 = "TD2"
    """ID-2 card or document, 2 lines × 36 characters."""
    TD3 = "TD3"
    """Passport booklet, 2 lines × 44 characters."""
    MRVA = "MRV-A"
    """Full-size visa, 2 lines × 44 characters."""
    MRVB = "MRV-B"
    """Small visa, 2 lines × 36 characters."""
    FRA_ID = "FRA-ID"
    """French national identity card issued 1988–2021: a non-ICAO layout of 2 lines × 36 characters."""


@_fast_init
@dataclass(frozen=True, slots=True)
class Span:
    """Characters ``start``..``end`` (0-based, end exclusive) of MRZ line ``line`` (0-based)."""

    line: int
    start: int
    end: int

    def to_dict(self) -> dict[str, int]:
        return {"line": self.line, "start": self.start, "end": self.end}

    def human(self) -> str:
        """The span in ICAO's 1-based wording, e.g. ``line 2, positions 1–9``."""
        if self.end - self.start <= 1:
            return f"line {self.line + 1}, position {self.start + 1}"
        return f"line {self.line + 1}, positions {self.start + 1}–{self.end}"


@_fast_init
@dataclass(frozen=True, slots=True)
class Finding:
    """One observation about a document: a defect, a cue, a correction or a note.

    ``code`` is stable and dotted (``mrz.check_digit.birth_date``); ``stage`` names the pipeline stage
    that produced it; ``spans`` locate the characters concerned in the MRZ lines; ``evidence`` holds
    small scalar facts (printed and computed digits, scores) as sorted key/value pairs.
    """

    code: str
    severity: Severity
    category: Category
    message: str
    stage: str
    spans: tuple[Span, ...] = ()
    evidence: tuple[tuple[str, str | int | float | bool], ...] = ()
    box: tuple[tuple[float, float], ...] = ()
    """Where on the image, when known: a polygon in original-image pixels (x right, y down)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "category": self.category.value,
            "message": self.message,
            "stage": self.stage,
            "spans": [s.to_dict() for s in self.spans],
            "evidence": dict(self.evidence),
            "box": [[round(x, 1), round(y, 1)] for x, y in self.box] or None,
        }


@_fast_init
@dataclass(frozen=True, slots=True)
class CheckDigit:
    """One check digit of the MRZ: what is printed, what the data gives, and where both are."""

    name: str
    """``document_number``, ``birth_date``, ``expiry_date``, ``optional_data``, ``composite`` …"""
    printed: str
    computed: str
    ok: bool
    position: Span
    covers: tuple[Span, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "printed": self.printed,
            "computed": self.computed,
            "ok": self.ok,
            "position": self.position.to_dict(),
            "covers": [s.to_dict() for s in self.covers],
        }


@_fast_init
@dataclass(frozen=True, slots=True)
class Correction:
    """A character changed by the repair: ``original`` at (``line``, ``column``) became ``corrected``."""

    line: int
    column: int
    original: str
    corrected: str
    reason: str
    verified: bool
    """True when every check digit covering this position confirms the change."""
    forced: bool = False
    """True when the change had evidence of its own: the character read is not allowed where it stands
    (a letter in a date, ``#``), or a recognizer gave the new character real probability
    (:attr:`~docverify.mrz.repair.RepairConfig.evidence_probability`).
    False when a legal character was changed only to satisfy the check digits."""
    clear: bool = False
    """True for an unverified change where no check digit reaches (a name) that is nonetheless clear: the
    character read is not allowed there and the recognizer gave the new one real probability, ten times
    that of any other allowed character (:attr:`~docverify.mrz.repair.RepairConfig.clear_ratio`)."""
    doubtful: bool = False
    """True when another reading that satisfies the same check digits was nearly as likely
    (:attr:`~docverify.mrz.repair.RepairConfig.doubt_margin`), so that only the recognizer's confidence chose
    this one: the change is reported as a warning whatever its evidence."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "from": self.original,
            "to": self.corrected,
            "reason": self.reason,
            "verified": self.verified,
            "forced": self.forced,
            "clear": self.clear,
            "doubtful": self.doubtful,
        }


@_fast_init
@dataclass(frozen=True, slots=True)
class MRZFields:
    """The data fields of an MRZ, decoded. Filler ``<`` is removed from text fields.

    Dates are ``None`` when the printed value is not a calendar date or has unknown parts; the raw
    ``YYMMDD`` text is always kept. Fields a layout does not have are ``None``.
    """

    document_code: str
    issuing_state: str
    document_number: str
    surname: str
    given_names: str
    nationality: str | None
    birth_date: dt.date | None
    birth_date_raw: str
    sex: str | None
    """``M``, ``F``, ``X`` or ``None`` when unspecified (``<``)."""
    expiry_date: dt.date | None
    expiry_date_raw: str | None
    optional_data: str | None
    optional_data_2: str | None
    names_truncated: bool
    extra: tuple[tuple[str, str], ...] = ()
    """Layout-specific fields (e.g. the French ID card's issue month and office), as key/value pairs."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "document_code": self.document_code,
            "issuing_state": self.issuing_state,
            "document_number": self.document_number,
            "surname": self.surname,
            "given_names": self.given_names,
            "nationality": self.nationality,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "birth_date_raw": self.birth_date_raw,
            "sex": self.sex,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "expiry_date_raw": self.expiry_date_raw,
            "optional_data": self.optional_data,
            "optional_data_2": self.optional_data_2,
            "names_truncated": self.names_truncated,
            "extra": dict(self.extra),
        }


@_fast_init
@dataclass(frozen=True, slots=True)
class MRZResult:
    """Everything docverify knows about one MRZ text.

    ``lines`` are the lines after repair (equal to ``input_lines`` when nothing was changed);
    ``valid`` is true when no finding has severity ``error``.
    """

    format: MRZFormat
    lines: tuple[str, ...]
    input_lines: tuple[str, ...]
    valid: bool
    fields: MRZFields
    check_digits: tuple[CheckDigit, ...]
    corrections: tuple[Correction, ...]
    findings: tuple[Finding, ...]
    reference_date: dt.date
    repaired: bool = field(default=False)
    """True when the repair changed at least one character."""

    @property
    def worst_severity(self) -> Severity | None:
        """The highest severity among the findings, or ``None`` when there are none."""
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    def to_dict(self, *, with_schema: bool = True, mask_personal_data: bool = False) -> dict[str, Any]:
        """The JSON form (``schema_version`` first unless ``with_schema`` is false); with ``mask_personal_data``,
        names, numbers, dates and lines masked as :meth:`Report.to_dict` masks them."""
        if mask_personal_data:
            return _masked(self.to_dict(with_schema=with_schema), personal_strings(self))
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION} if with_schema else {}
        out.update(
            {
                "format": self.format.value,
                "valid": self.valid,
                "lines": list(self.lines),
                "input_lines": list(self.input_lines),
                "repaired": self.repaired,
                "reference_date": self.reference_date.isoformat(),
                "fields": self.fields.to_dict(),
                "check_digits": [c.to_dict() for c in self.check_digits],
                "corrections": [c.to_dict() for c in self.corrections],
                "findings": [f.to_dict() for f in self.findings],
            }
        )
        return out


class Verdict(StrEnum):
    """The overall decision about a document image (ordered best to worst is pass, review, fail;
    ``inconclusive`` when the image is too poor to judge)."""

    PASS = "pass"
    REVIEW = "review"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


@_fast_init
@dataclass(frozen=True, slots=True)
class Report:
    """The result of checking one document image (for a multi-page file: the page that was judged).

    ``mrz_polygon`` is the MRZ's outline in original-image pixels (top-left, top-right, bottom-right,
    bottom-left in reading order); ``score`` is the likelihood of tampering, 0–1 (0 until forgery
    models are part of the pipeline). ``engine`` records what produced the decision (package version,
    OCR engine, model SHA-256s, reference date, limits) so that it can be reproduced.
    """

    source: str
    """The input's name (a file path as given, ``upload``, ``stdin``, or a caller's name for bytes)."""
    page: int
    verdict: Verdict
    score: float
    mrz: MRZResult | None
    mrz_polygon: tuple[tuple[float, float], ...]
    findings: tuple[Finding, ...]
    timings_ms: tuple[tuple[str, float], ...]
    image_size: tuple[int, int]
    """Width and height of the image in pixels."""
    pages_total: int = 1
    """How many pages the input has (``page`` is the 0-based index of the page judged)."""
    engine: tuple[tuple[str, Any], ...] = ()
    """Provenance as key/value pairs (see :func:`docverify.pipeline.engine_info`), immutable all through: the
    values that are JSON objects (``models``, ``limits``) are tuples of pairs, lists are tuples."""

    def to_dict(self, *, mask_personal_data: bool = False) -> dict[str, Any]:
        """The JSON form. With ``mask_personal_data``, names, numbers, dates and MRZ lines are replaced
        by ``*`` everywhere they appear (fields, lines, messages, evidence), and so are the single MRZ
        characters given with their positions (corrections, check digits, characters quoted by findings on
        MRZ characters; :func:`_masked`); codes and verdicts stay."""
        mrz: dict[str, Any] | None = None
        if self.mrz is not None:
            body = self.mrz.to_dict(with_schema=False)
            mrz = {
                k: body[k] for k in ("format", "lines", "valid", "fields", "check_digits", "corrections", "input_lines")
            }
            mrz["raw_lines"] = mrz.pop("input_lines")
            mrz["polygon"] = [[round(x, 1), round(y, 1)] for x, y in self.mrz_polygon]
        out = {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "page": self.page,
            "pages_total": self.pages_total,
            "verdict": self.verdict.value,
            "score": self.score,
            "mrz": mrz,
            "findings": [f.to_dict() for f in self.findings],
            "image_size": list(self.image_size),
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms},
            "engine": {
                k: dict(v) if k in _ENGINE_OBJECTS else list(v) if isinstance(v, tuple) else v for k, v in self.engine
            },
        }
        if mask_personal_data and self.mrz is not None:
            out = _masked(out, personal_strings(self.mrz))
        return out


PERSONAL_FIELDS = (
    "document_number",
    "surname",
    "given_names",
    "birth_date",
    "birth_date_raw",
    "expiry_date",
    "expiry_date_raw",
    "optional_data",
    "optional_data_2",
)
"""The MRZ fields that identify a person (masked by ``mask_personal_data``)."""


def personal_strings(mrz: MRZResult | dict[str, Any]) -> list[str]:
    """Every text by which an MRZ could identify its holder, longest first: the MRZ lines as read and
    repaired, the personal fields, name words, and dates in ISO and MRZ form. ``mrz`` is a result or the
    ``mrz`` object of a report's JSON form (so stored JSON Lines rows can be masked too)."""
    if isinstance(mrz, MRZResult):
        lines, fields = [*mrz.lines, *mrz.input_lines], mrz.fields.to_dict()
    else:
        lines, fields = [*mrz.get("lines", ()), *mrz.get("raw_lines", ()), *mrz.get("input_lines", ())], mrz["fields"]
    values: set[str] = set(lines)
    for key in PERSONAL_FIELDS:
        v = fields.get(key)
        if isinstance(v, str) and v:
            values.add(v)
            values.update(v.split())
    values.update(str(v) for v in (fields.get("extra") or {}).values())
    return sorted((v for v in values if len(v.strip("<")) >= 2), key=len, reverse=True)


def mask_report_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A report's JSON form (or an error row) with its personal data masked, as
    ``Report.to_dict(mask_personal_data=True)`` gives it."""
    mrz = row.get("mrz")
    return _masked(row, personal_strings(mrz)) if isinstance(mrz, dict) and "fields" in mrz else row


QUOTED_CHARACTER = re.compile(r"'[^'\s]'")
"""One character quoted in a finding's message (``'8'``): the MRZ characters a finding located on them names."""


def mask_message(message: str, secrets: list[str], *, located: bool) -> str:
    """A finding's message masked: each string of ``secrets`` (:func:`mask`) and, when the finding is
    ``located`` on MRZ characters (it has spans), each single character it quotes — a few characters with
    their positions would give away part of a document number or a name."""
    out = mask(message, secrets)
    return QUOTED_CHARACTER.sub("'*'", out) if located else out


def _masked(row: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    """A report's JSON form with its personal data masked: :func:`mask` of ``secrets``, located findings' messages
    by :func:`mask_message`, and the single MRZ characters the ``mrz`` object gives with their positions — each
    correction's ``from`` and ``to``, each check digit's ``printed`` and ``computed`` — as ``*``."""
    out: dict[str, Any] = mask(row, secrets)
    if isinstance(row.get("source"), str):
        out["source"] = mask_name(row["source"], secrets)
    for holder in (out, out.get("mrz")):  # a report and its MRZ object, or an MRZ result alone
        if not isinstance(holder, dict):
            continue
        if isinstance(holder.get("corrections"), list):
            holder["corrections"] = [{**c, "from": "*", "to": "*"} for c in holder["corrections"]]
        if isinstance(holder.get("check_digits"), list):
            holder["check_digits"] = [{**c, "printed": "*", "computed": "*"} for c in holder["check_digits"]]
        if isinstance(holder.get("findings"), list):
            holder["findings"] = [
                {
                    **f,
                    "message": mask_message(f["message"], [], located=bool(f.get("spans"))),
                    **({"evidence": _masked_evidence(f["evidence"])} if isinstance(f.get("evidence"), dict) else {}),
                }
                for f in holder["findings"]
            ]
    return out


MRZ_CHARACTER_EVIDENCE: Final = frozenset({"computed", "printed", "computed_icao", "from", "to", "character"})
"""Keys of a finding's ``evidence`` whose values are MRZ characters (a check digit printed and computed, a
correction's characters, a cloned character): masked as ``*`` with the personal data."""


def _masked_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    return {k: "*" if k in MRZ_CHARACTER_EVIDENCE else v for k, v in evidence.items()}


_ENGINE_OBJECTS = frozenset({"models", "limits"})
"""The values of ``Report.engine`` that are objects in the JSON form (pairs in the report)."""

_NOT_PERSONAL = frozenset({"schema_version", "verdict", "code", "severity", "category", "stage", "engine", "format"})
"""Keys whose values are docverify's own vocabulary, never document data: left as they are by :func:`mask`."""


def mask_name(name: str, secrets: list[str]) -> str:
    """A file name with each string of ``secrets`` replaced by as many ``*``, whatever its case when it has three
    characters or more (an MRZ's data are upper case, a file name named after them need not be; a two-letter
    name word would also hit ordinary words, ``data``)."""
    for s in secrets:
        name = re.sub(re.escape(s), "*" * len(s), name, flags=re.IGNORECASE if len(s) >= 3 else 0)
    return name


def mask(value: Any, secrets: list[str]) -> Any:
    """``value`` (a JSON-like tree) with each occurrence of a string in ``secrets`` replaced by ``*``s
    (except under the keys in :data:`_NOT_PERSONAL`)."""
    if isinstance(value, str):
        for s in secrets:
            if s in value:
                value = value.replace(s, "*" * len(s))
        return value
    if isinstance(value, dict):
        return {k: v if k in _NOT_PERSONAL else mask(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, secrets) for v in value]
    return value
