"""Build ``src/docverify/mrz/data/name_letters.json``: which letter a digit read inside a name most likely is.

A digit in an MRZ name field is a misread letter, but ``0`` may be ``O``, ``D`` or ``Q`` and ``1`` may be ``I``
or ``L``. The letters around it tell them apart (``A0A`` is ``ADA`` far more often than ``AOA``). This script
counts letter trigrams in given names and surnames of many countries, as the MRZ writes them (upper case,
ICAO 9303 transliterations, other accents dropped, words bounded by ``<``), and writes, for every such digit
and every pair of neighbours, the cost ``-ln P(letter | left, right)`` of each candidate letter.

Source: the first and last names of Faker's person providers (MIT licence), every locale written in Latin
letters, and the romanised names of its Japanese and Chinese locales: 41,694 distinct name words (63 locales), all
fictitious-use lists (no personal data). The smoothing ``beta`` is chosen on whole locales held out (a quarter
of them, fixed seed): the model is judged on names of countries it has not seen.

Run (needs the ``train`` extra, which pins Faker): ``.venv/bin/python models/name_letters/build.py``
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import math
import pkgutil
import random
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import faker  # the `train` (and `dev`) extra pins it
from faker.providers import person

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from docverify.mrz.name_letters import CONTEXT, LETTERS  # noqa: E402
from docverify.mrz.repair import CONFUSIONS  # noqa: E402
from docverify.viz import fold  # noqa: E402

OUT = ROOT / "src" / "docverify" / "mrz" / "data" / "name_letters.json"
BETAS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)

Counts = tuple[
    collections.Counter[tuple[str, str, str]],
    collections.Counter[tuple[str, str]],
    collections.Counter[tuple[str, str]],
    collections.Counter[str],
]


def faker_names() -> dict[str, set[str]]:
    """Locale → the distinct name words of its person provider, folded to ``A-Z``."""
    out: dict[str, set[str]] = {}
    for mod_info in pkgutil.iter_modules(person.__path__):
        provider = getattr(importlib.import_module(f"{person.__name__}.{mod_info.name}"), "Provider", None)
        if provider is None:
            continue
        raw: set[str] = set()
        for attr in dir(provider):
            if attr.startswith("_") or not ("first_name" in attr or "last_name" in attr or "romanized_names" in attr):
                continue
            value = getattr(provider, attr)
            if isinstance(value, dict):
                value = tuple(value)
            if isinstance(value, tuple | list):
                raw |= {v for v in value if isinstance(v, str)}
        words = {w for name in raw for w in re.split(r"[\s\-'’.]+", fold(name)) if re.fullmatch("[A-Z]+", w)}
        if words:
            out[mod_info.name] = words
    return out


def ambiguous_digits() -> dict[str, str]:
    """Each digit that :data:`CONFUSIONS` reads for two or more letters → those letters, cheapest first."""
    out: dict[str, str] = {}
    for ch, alts in sorted(CONFUSIONS.items()):
        letters = [a for a, _ in sorted(alts, key=lambda ac: ac[1]) if a in LETTERS]
        if ch.isdigit() and len(letters) > 1:
            out[ch] = "".join(letters)
    return out


def count(words: Iterable[str]) -> Counts:
    """Trigram, left-bigram, right-bigram and unigram counts of the letters of ``words`` (``<`` at each end)."""
    c3: collections.Counter[tuple[str, str, str]] = collections.Counter()
    left: collections.Counter[tuple[str, str]] = collections.Counter()
    right: collections.Counter[tuple[str, str]] = collections.Counter()
    one: collections.Counter[str] = collections.Counter()
    for w in words:
        s = f"<{w}<"
        for i in range(1, len(s) - 1):
            a, c, b = s[i - 1], s[i], s[i + 1]
            c3[a, c, b] += 1
            left[a, c] += 1
            right[c, b] += 1
            one[c] += 1
    return c3, left, right, one


def probabilities(counts: Counts, letters: str, a: str, b: str, beta: float) -> dict[str, float]:
    """P(letter | a, b) over ``letters``: the trigram counts, smoothed towards the product of the two bigram
    estimates P(letter | a) · P(b | letter) with weight ``beta``. ``?`` for a neighbour stands for any."""
    c3, left, right, one = counts
    total = sum(one.values())

    def p_left(c: str) -> float:
        if a == "?":
            return (one[c] + 1) / (total + 27)
        return (left[a, c] + 1) / (sum(left[a, x] for x in LETTERS) + 27)

    def p_right(c: str) -> float:
        if b == "?":
            return 1.0
        return (right[c, b] + 1) / (one[c] + 27)

    back = {c: p_left(c) * p_right(c) for c in letters}
    z = sum(back.values())
    if a == "?" or b == "?":
        return {c: back[c] / z for c in letters}
    n = {c: c3[a, c, b] for c in letters}
    total_n = sum(n.values())
    return {c: (n[c] + beta * back[c] / z) / (total_n + beta) for c in letters}


def accuracy(counts: Counts, words: Iterable[str], beta: float) -> tuple[int, int]:
    """How often the likeliest letter is the right one, over every candidate letter of ``words``."""
    groups = ambiguous_digits()
    right = total = 0
    for w in words:
        s = f"<{w}<"
        for i in range(1, len(s) - 1):
            letters = next((ls for ls in groups.values() if s[i] in ls), None)
            if letters is None:
                continue
            p = probabilities(counts, letters, s[i - 1], s[i + 1], beta)
            total += 1
            right += max(letters, key=lambda c: p[c]) == s[i]
    return right, total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--seed", type=int, default=20261124, help="which locales are held out to choose beta")
    args = ap.parse_args()

    by_locale = faker_names()
    locales = sorted(by_locale)
    held = set(random.Random(args.seed).sample(locales, len(locales) // 4))
    train_words = set().union(*(by_locale[k] for k in locales if k not in held))
    test_words = set().union(*(by_locale[k] for k in held)) - train_words
    train_counts = count(train_words)
    first_of = {c: letters[0] for letters in ambiguous_digits().values() for c in letters}
    base_right = sum(first_of[c] == c for w in test_words for c in w if c in first_of)
    scores = {beta: accuracy(train_counts, test_words, beta) for beta in BETAS}
    beta = max(BETAS, key=lambda b: scores[b][0])
    right, total = scores[beta]
    print(f"held-out locales: {sorted(held)}")
    print(f"{len(train_words)} training words, {len(test_words)} held-out words, {total} candidate letters")
    for candidate in BETAS:
        print(f"  beta {candidate:>5}: {scores[candidate][0] / scores[candidate][1]:.1%}")
    print(f"first letter of each group always (O, I): {base_right / total:.1%}")

    all_words = set().union(*by_locale.values())
    counts = count(all_words)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for digit, letters in ambiguous_digits().items():
        table[digit] = {}
        for a in CONTEXT:
            for b in CONTEXT:
                p = probabilities(counts, letters, a, b, beta)
                table[digit][a + b] = {c: round(-math.log(p[c]), 3) for c in letters}
    doc = {
        "about": "Cost -ln P(letter | left, right) of each letter a digit read inside an MRZ name may be; "
        "built by models/name_letters/build.py",
        "source": f"Faker {faker.VERSION} person providers (MIT): {len(by_locale)} locales, {len(all_words)} "
        "distinct name words, ICAO transliteration",
        "beta": beta,
        "groups": ambiguous_digits(),
        "held_out": {
            "locales": sorted(held),
            "candidate_letters": total,
            "right": right,
            "right_first_letter_always": base_right,
        },
        "costs": table,
    }
    args.out.write_text(json.dumps(doc, indent=None, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"beta {beta}: held-out {right / total:.1%}; wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
