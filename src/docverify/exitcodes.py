"""Process exit codes of the ``docverify`` command, ordered so that the worst outcome has the highest code.

When several inputs are processed, the command exits with the highest code among them.

==== =========== ==============================================================================
code name        meaning
==== =========== ==============================================================================
0    OK          valid MRZ / verdict ``pass``
1    REVIEW      valid, but with warnings a person should look at (expired, specimen, corrections)
2    USAGE       bad command line (unknown option, malformed date)
3    UNREADABLE  no MRZ could be read: empty, oversized or non-MRZ input, unreadable file
4    INVALID     the MRZ breaks ICAO 9303 (check digits, structure) / verdict ``fail``
5    ERROR       docverify itself could not run (missing dependency, corrupt model, internal error)
==== =========== ==============================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    REVIEW = 1
    USAGE = 2
    UNREADABLE = 3
    INVALID = 4
    ERROR = 5


def worst(codes: Iterable[ExitCode]) -> ExitCode:
    """The worst of several outcomes (``OK`` for none)."""
    return max(codes, default=ExitCode.OK)
