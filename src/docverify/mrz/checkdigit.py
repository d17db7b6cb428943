"""The ICAO 9303 check digit: weights 7, 3, 1 repeating; ``0-9`` → 0–9, ``A-Z`` → 10–35, ``<`` → 0.

>>> compute("L898902C3")
6
>>> compute("740812")
2
"""

from __future__ import annotations

from operator import mul

WEIGHTS = (7, 3, 1)
_WEIGHT_RUN = WEIGHTS * 40  # longer than any check-digit input (an MRZ has at most 132 characters)

VALUES: dict[str, int] = {str(d): d for d in range(10)}
VALUES.update({chr(ord("A") + i): 10 + i for i in range(26)})
VALUES["<"] = 0


def char_value(char: str) -> int:
    """The numeric value of one MRZ character; raises ``KeyError`` for characters outside the alphabet."""
    return VALUES[char]


def compute(data: str) -> int:
    """The check digit (0–9) of ``data``; raises ``KeyError`` for characters outside the MRZ alphabet."""
    if len(data) > len(_WEIGHT_RUN):
        return sum(VALUES[ch] * WEIGHTS[i % 3] for i, ch in enumerate(data)) % 10
    return int(sum(map(mul, map(VALUES.__getitem__, data), _WEIGHT_RUN))) % 10


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
