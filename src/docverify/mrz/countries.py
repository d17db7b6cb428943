"""Issuing-state and nationality codes: ISO 3166-1 alpha-3 (from pycountry) plus ICAO's own codes."""

from __future__ import annotations

import functools
from enum import Enum

ICAO_SPECIAL_CODES: dict[str, str] = {
    "D": "Germany (ICAO code, printed D<<)",
    "GBD": "British Overseas Territories citizen",
    "GBN": "British National (Overseas)",
    "GBO": "British Overseas citizen",
    "GBP": "British protected person",
    "GBS": "British subject",
    "RKS": "Kosovo",
    "EUE": "European Union",
    "UNO": "United Nations Organization or one of its officials",
    "UNA": "Specialized agency of the United Nations or one of its officials",
    "UNK": "Resident of Kosovo to whom a UNMIK travel document has been issued",
    "XBA": "African Development Bank",
    "XIM": "African Export-Import Bank",
    "XCC": "Caribbean Community or one of its emissaries",
    "XCE": "Council of Europe",
    "XCO": "Common Market for Eastern and Southern Africa",
    "XEC": "Economic Community of West African States",
    "XPO": "International Criminal Police Organization (INTERPOL)",
    "XES": "Organisation of Eastern Caribbean States",
    "XMP": "Parliamentary Assembly of the Mediterranean",
    "XOM": "Sovereign Military Order of Malta",
    "XDC": "Southern African Development Community",
    "XXA": "Stateless person (1954 Convention)",
    "XXB": "Refugee (1951 Convention)",
    "XXC": "Refugee (other than the 1951 Convention)",
    "XXX": "Unspecified nationality",
    "UTO": "Utopia (ICAO specimen state)",
}
"""ICAO Doc 9303 Part 3 codes that are not ISO 3166-1 alpha-3, with their meaning."""

DEPRECATED_CODES: dict[str, str] = {
    "ANT": "Netherlands Antilles (dissolved 2010)",
    "NTZ": "Neutral Zone (deleted from ISO 3166)",
}


class CodeStatus(Enum):
    ISO = "iso"
    ICAO_SPECIAL = "icao_special"
    DEPRECATED = "deprecated"
    SPECIMEN = "specimen"
    UNKNOWN = "unknown"


@functools.cache
def iso_alpha3() -> frozenset[str]:
    """All current ISO 3166-1 alpha-3 codes (loaded from pycountry on first use)."""
    import pycountry  # noqa: PLC0415 - deferred: loading its database costs ~50 ms

    return frozenset(c.alpha_3 for c in pycountry.countries)


@functools.cache
def iso_name(code: str) -> str | None:
    """The ISO English short name of an alpha-3 code, if it is one."""
    import pycountry  # noqa: PLC0415

    country = pycountry.countries.get(alpha_3=code)
    return None if country is None else str(country.name)


def status(code: str) -> CodeStatus:
    """Classify a code with its filler removed (``"D"``, not ``"D<<"``)."""
    if code == "UTO":
        return CodeStatus.SPECIMEN
    if code in ICAO_SPECIAL_CODES:
        return CodeStatus.ICAO_SPECIAL
    if code in iso_alpha3():
        return CodeStatus.ISO
    if code in DEPRECATED_CODES:
        return CodeStatus.DEPRECATED
    return CodeStatus.UNKNOWN


def describe(code: str) -> str:
    """A readable name for a code (``"Sweden"``, ``"Stateless person (1954 Convention)"``) or the code."""
    return ICAO_SPECIAL_CODES.get(code) or DEPRECATED_CODES.get(code) or iso_name(code) or code
