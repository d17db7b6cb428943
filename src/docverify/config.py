"""Frozen configuration objects.

:class:`Limits` bounds what the input stage (:mod:`docverify.io`) accepts, so that a hostile or accidental
input (a decompression bomb, a 5,000-page PDF, a 2 GB upload) is refused with a clear
:class:`~docverify.errors.InputTooLargeError` instead of exhausting memory or time; and it bounds the time
spent reading a document that loads.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass, fields

MIB = 1024 * 1024


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity on Linux, e.g. a container pinned to 2 of 64;
    elsewhere all the machine's), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits applied to every input before it is decoded, and the time allowed to read it.

    The defaults fit identity documents captured by scanners and phones with room to spare, while keeping
    the worst case bounded: one page is at most ``max_pixels`` × 3 bytes once decoded (150 MB at the
    default), and at most ``max_pages`` pages are decoded per input.

    >>> Limits().max_pixels
    50000000
    >>> Limits(max_pages=2).max_pages
    2
    """

    max_bytes: int = 50 * MIB
    """Largest file or ``bytes`` input accepted, checked before anything is read or decoded. 50 MiB holds
    a full-resolution 50-megapixel phone JPEG or a multi-page scanned PDF several times over."""

    max_pixels: int = 50_000_000
    """Largest decoded page, in pixels (width × height), checked against the image header before any pixel
    is decoded. 50 megapixels covers a full-resolution 50 MP phone photo (8160 × 6120) and an A4 page
    scanned at 600 dpi (35 MP), and stays below Pillow's own decompression-bomb threshold (≈ 89.5 MP).
    PDF pages are never refused for this: their render resolution is lowered to fit instead."""

    max_pages: int = 10
    """Most pages decoded from one multi-page input (PDF, multi-page TIFF); later pages are skipped, and
    ``Page.pages_total`` tells how many there were. An identity document has one or two pages; ten leaves
    room for a scan bundled with a cover sheet."""

    max_pdf_pages: int = 200
    """Hard cap on the page count of a multi-page input (PDF pages or TIFF frames): a document with more
    pages is refused outright, since it is not an identity document and counting or parsing it further
    is wasted work."""

    pdf_dpi: float = 300.0
    """Resolution at which PDF pages are rendered, lowered automatically for a page that would otherwise
    exceed ``max_pixels``. 300 dpi gives the OCR-B characters of an MRZ about 30 pixels of height."""

    max_seconds: float = 10.0
    """Time allowed for reading one document (all its pages together), after it is loaded. Checked between
    steps (each place where an MRZ may be, each way of reading it): once it has passed, no further place
    is tried and the report says so with the finding ``image.time_limit``; the step under way finishes
    first. A document image takes well under a second; ten leaves room for a slow machine."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"Limits.{f.name} must be a finite number, got {value!r}")
            if value <= 0:
                raise ValueError(f"Limits.{f.name} must be positive, got {value!r}")
            if f.name in _COUNTS:
                if value != int(value):
                    raise ValueError(f"Limits.{f.name} is a count: a whole number, got {value!r}")
                object.__setattr__(self, f.name, int(value))  # 5e7 as 50000000
        if self.max_pages > self.max_pdf_pages:
            raise ValueError(
                f"Limits.max_pages ({self.max_pages}) must not exceed Limits.max_pdf_pages ({self.max_pdf_pages})"
            )


_COUNTS = frozenset({"max_bytes", "max_pixels", "max_pages", "max_pdf_pages"})
"""The fields of :class:`Limits` that count (bytes, pixels, pages): whole numbers."""

DEFAULT_LIMITS = Limits()
"""The limits used when none are given."""


REFERENCE_YEARS = (1900, 2199)
"""The years a reference date may lie in: the two-digit years of an MRZ are resolved into the century around
it, and dates outside these years are no document's (0001-01-01 or 9999-12-31 made valid dates invalid)."""


def reference_day(value: object) -> dt.date | None:
    """A reference date as given to the API, checked: a :class:`datetime.date` (a ``datetime`` counts as its day)
    in :data:`REFERENCE_YEARS`, or ``None`` (today, decided later). Raises :class:`TypeError` for anything else,
    :class:`ValueError` for a date outside those years."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise TypeError(f"reference_date must be a datetime.date (or None for today), not {type(value).__name__}")
    first, last = REFERENCE_YEARS
    if not first <= value.year <= last:
        raise ValueError(f"reference_date must lie in the years {first}–{last}, not {value.isoformat()}")
    return value


__all__ = ["DEFAULT_LIMITS", "MIB", "REFERENCE_YEARS", "Limits", "reference_day"]
