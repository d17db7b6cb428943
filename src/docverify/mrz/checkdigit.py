"""The ICAO 9303 check digit: weights 7, 3, 1 repeating; ``0-9`` → 0–9, ``A-Z`` → 10–35, ``<`` → 0.

>>> compute("L898902C3")
6
>>> compute("740812")
2
"""

from __future__ import annotations

WEIGHTS = (7, 3, 1)

VALUES: dict[str, int] = {str(d): d for d in range(10)}
VALUES.update({chr(ord("A") + i): 10 + i for i in range(26)})
VALUES["<"] = 0


_ILLEGAL = 255
# Latin-1 code point -> character whose code is the MRZ value (255 for characters outside the alphabet),
# so that ``translate`` + ``encode`` turn a string into its values in C, and slices sum the weights.
_TABLE = {i: chr(VALUES.get(chr(i), _ILLEGAL)) for i in range(256)}


def compute(data: str) -> int:
    """The check digit (0–9) of ``data``; raises ``KeyError`` for characters outside the MRZ alphabet."""
    try:
        values = data.translate(_TABLE).encode("latin-1")
    except UnicodeEncodeError:
        raise KeyError(data) from None
    if _ILLEGAL in values:
        raise KeyError(data)
    return (7 * sum(values[0::3]) + 3 * sum(values[1::3]) + sum(values[2::3])) % 10


def compute_lenient(data: str) -> int | None:
    """Like :func:`compute`, but ``None`` when ``data`` holds a character outside the MRZ alphabet."""
    try:
        return compute(data)
    except KeyError:
        return None


def is_valid(data: str, digit: str) -> bool:
    """True when ``digit`` is the check digit of ``data``."""
    value = compute_lenient(data)
    return value is not None and digit == str(value)
