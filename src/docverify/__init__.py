"""docverify: offline checks of travel documents (passports, ID cards, visas).

The public API is what this module exports; everything else is internal and may change.

>>> import datetime as dt
>>> r = read_mrz("I<UTOD231458907<<<<<<<<<<<<<<<\\n7408122F1204159UTO<<<<<<<<<<<6\\n"
...              "ERIKSSON<<ANNA<MARIA<<<<<<<<<<", reference_date=dt.date(2010, 1, 1))
>>> r.format.value, r.valid, r.fields.surname
('TD1', True, 'ERIKSSON')
"""

from docverify._version import __version__
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
    Severity,
    Span,
)

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
    "MRZFields",
    "MRZFormat",
    "MRZFormatError",
    "MRZResult",
    "RepairConfig",
    "Severity",
    "Span",
    "__version__",
    "read_mrz",
]
