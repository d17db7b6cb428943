"""Exceptions for environment and input failures.

Document defects (bad check digits, expired documents, forgery cues) are never exceptions: they are
:class:`~docverify.results.Finding` objects in a result. Exceptions are raised only when docverify cannot
produce a result at all, and every one of them derives from :class:`DocverifyError`::

    DocverifyError
    ├── InputError            the caller's input cannot be used
    │   ├── InputTooLargeError    over a configured size limit
    │   └── MRZFormatError        text that is not an MRZ of any known layout
    └── DependencyError       a dependency or resource of docverify itself is missing or broken
"""

from __future__ import annotations


class DocverifyError(Exception):
    """Base class of every exception docverify raises on purpose."""


class InputError(DocverifyError):
    """The input (text, file or image) cannot be processed; the message says why in plain words."""


class InputTooLargeError(InputError):
    """The input exceeds a configured limit (bytes, characters, pixels or pages)."""


class MRZFormatError(InputError):
    """The text does not have the line count and lengths of any supported MRZ layout."""


class DependencyError(DocverifyError):
    """A dependency or resource docverify needs is missing or broken (tesseract, a model file)."""


__all__ = [
    "DependencyError",
    "DocverifyError",
    "InputError",
    "InputTooLargeError",
    "MRZFormatError",
]
