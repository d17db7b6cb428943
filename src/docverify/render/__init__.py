"""Turn results into something people read: terminal text (:mod:`.text`), annotated images (:mod:`.annotate`)
and HTML reports (:mod:`.html`). The few rules they must share live here (no OpenCV: the terminal output
imports this at every start)."""

from __future__ import annotations

from collections.abc import Iterable

ADVISORY_SCORE = 0.5
"""A ``pass`` whose score reaches this comes from advisory cues only: a region model's info finding counts
in the score (0.5 at its threshold), not in the verdict; any warning would have made the verdict ``review``."""


def advisory_score(verdict: object, score: object) -> bool:
    """Whether a report's ``score`` (a number) on its ``verdict`` (``"pass"`` …) comes from advisory cues only."""
    if verdict != "pass" or isinstance(score, bool) or not isinstance(score, int | float):
        return False
    return score >= ADVISORY_SCORE


def box_numbers(has_box: Iterable[bool]) -> list[int | None]:
    """The numbers (1, 2, …) of findings that have a box, in order, ``None`` for the others: the annotated
    image's labels, its legend and the HTML report's list all number findings this way."""
    out: list[int | None] = []
    n = 0
    for boxed in has_box:
        n += bool(boxed)
        out.append(n if boxed else None)
    return out
