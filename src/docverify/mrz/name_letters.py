"""Which letter a digit read inside an MRZ name most likely is, from the letters around it.

Names hold no digits, so a ``0`` read in a name is a misread letter — ``O``, ``D`` or ``Q`` — and a ``1`` is
``I`` or ``L``. No check digit covers most names; the neighbours help decide (``A0A`` is ``ADA`` far more often
than ``AOA``, ``E1<`` is ``EL<`` rather than ``EI<``). The costs come from a table of letter-trigram statistics of
given names and surnames of many countries (``data/name_letters.json``, built and documented by
``models/name_letters/build.py`` and its card).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CONTEXT = LETTERS + "<?"
"""Neighbours the table knows: a letter, ``<`` (a word's or the field's edge), ``?`` (anything else: a digit, a
misread neighbour)."""


def ambiguous_digits() -> dict[str, str]:
    """Each digit that is a classic confusion of two or more letters → those letters, likeliest first
    (``{"0": "OQD", "1": "IL"}``): the table's groups, made from :data:`docverify.mrz.repair.CONFUSIONS`."""
    groups: dict[str, str] = _table()["groups"]
    return dict(groups)


@functools.cache
def _table() -> dict[str, Any]:
    text = resources.files("docverify.mrz").joinpath("data/name_letters.json").read_text(encoding="ascii")
    table: dict[str, Any] = json.loads(text)
    return table


def letter_costs(digit: str, left: str, right: str) -> dict[str, float] | None:
    """``-ln P(letter | left, right)`` of each letter ``digit`` may stand for inside a name, or ``None`` when
    ``digit`` is not read for two or more letters. ``left``/``right``: the characters beside it in the field
    (``<`` or ``""`` at a word's or the field's edge; anything not a letter counts as unknown)."""
    costs: dict[str, dict[str, float]] | None = _table()["costs"].get(digit)
    if costs is None:
        return None
    return costs[_context(left) + _context(right)]


def _context(ch: str) -> str:
    if ch in ("", "<"):
        return "<"
    return ch if ch in LETTERS else "?"
