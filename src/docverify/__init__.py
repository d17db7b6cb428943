"""docverify: offline checks of travel documents (passports, ID cards, visas).

The public API is what this module exports; everything else is internal and may change.

>>> import datetime as dt
>>> r = read_mrz("I<UTOD231458907<<<<<<<<<<<<<<<\\n7408122F1204159UTO<<<<<<<<<<<6\\n"
...              "ERIKSSON<<ANNA<MARIA<<<<<<<<<<", reference_date=dt.date(2010, 1, 1))
>>> r.format.value, r.valid, r.fields.surname
('TD1', True, 'ERIKSSON')
"""

from typing import TYPE_CHECKING, Any

from docverify._version import __version__
from docverify.config import Limits
from docverify.errors import (
    DependencyError,
    DocverifyError,
    InputError,
    InputTooLargeError,
    MRZFormatError,
)
from docverify.exitcodes import ExitCode
from docverify.mrz.reader import read_mrz
from docverify.mrz.repair import Alternatives, RepairConfig
from docverify.results import (
    SCHEMA_VERSION,
    Category,
    CheckDigit,
    Correction,
    Finding,
    MRZFields,
    MRZFormat,
    MRZResult,
    Report,
    Severity,
    Span,
    Verdict,
)

if TYPE_CHECKING:
    from docverify.pipeline import Verifier, VerifierConfig, decide_verdict, verify

_LAZY = {"Verifier", "VerifierConfig", "decide_verdict", "verify"}


def __getattr__(name: str) -> Any:
    """The image pipeline (OpenCV, onnxruntime) is imported on first use, so `import docverify` and
    MRZ text checks stay light."""
    if name in _LAZY:
        from docverify import pipeline  # noqa: PLC0415

        return getattr(pipeline, name)
    raise AttributeError(f"module 'docverify' has no attribute {name!r}")


__all__ = [
    "SCHEMA_VERSION",
    "Alternatives",
    "Category",
    "CheckDigit",
    "Correction",
    "DependencyError",
    "DocverifyError",
    "ExitCode",
    "Finding",
    "InputError",
    "InputTooLargeError",
    "Limits",
    "MRZFields",
    "MRZFormat",
    "MRZFormatError",
    "MRZResult",
    "RepairConfig",
    "Report",
    "Severity",
    "Span",
    "Verdict",
    "Verifier",
    "VerifierConfig",
    "__version__",
    "decide_verdict",
    "read_mrz",
    "verify",
]
