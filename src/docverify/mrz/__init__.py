"""The ICAO 9303 MRZ engine: layouts, check digits, parsing, validation and repair."""

from docverify.mrz.reader import read_mrz
from docverify.mrz.repair import Alternatives, RepairConfig

__all__ = ["Alternatives", "RepairConfig", "read_mrz"]
