"""Length-constrained CTC decoding, on synthetic probability arrays (no model involved)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docverify.mrz.ctc import decode_fixed, greedy

BLANK = 37
CLASSES = 38


def frames_for(seq: list[int], per: int = 4, sure: float = 0.98) -> np.ndarray:
    """Log-probabilities (T × 38) that show each character on ``per // 2`` frames, then blanks."""
    rows = []
    for c in seq:
        for j in range(per):
            row = np.full(CLASSES, (1 - sure) / (CLASSES - 1))
            row[c if j < per // 2 else BLANK] = sure
            rows.append(row)
    return np.log(np.array(rows, dtype=np.float64)).astype(np.float32)


def greedy_path(path: list[int]) -> list[int]:
    out, prev = [], BLANK
    for c in path:
        if c not in (prev, BLANK):
            out.append(c)
        prev = c
    return out


def test_a_clean_line_decodes_to_itself_with_its_frames() -> None:
    seq = [1, 2, 2, 36, 36, 36, 5]  # repeated characters need the blank between them
    d = decode_fixed(frames_for(seq), len(seq), BLANK)
    assert list(d.labels) == seq
    assert all(4 * k <= f <= 4 * k + 1 for k, f in enumerate(d.frames))  # one of the frames showing it
    assert d.score > -1.0
    assert greedy(frames_for(seq), BLANK) == seq


def test_forcing_a_different_length_costs_probability() -> None:
    seq = [3, 4, 5, 6, 7, 8]
    lp = frames_for(seq)
    exact = decode_fixed(lp, len(seq), BLANK)
    shorter = decode_fixed(lp, len(seq) - 1, BLANK)
    longer = decode_fixed(lp, len(seq) + 1, BLANK)
    assert len(shorter.labels) == len(seq) - 1 and len(longer.labels) == len(seq) + 1
    assert exact.score > longer.score and exact.score > shorter.score
    assert list(longer.labels[: len(seq)]) == seq or list(longer.labels[1:]) == seq or set(longer.labels) >= set(seq)


def test_more_characters_than_frames_is_impossible() -> None:
    d = decode_fixed(frames_for([1, 2]), 20, BLANK)
    assert d.labels == () and d.score == float("-inf")
    assert decode_fixed(frames_for([1, 2]), 0, BLANK).labels == ()


def test_a_character_is_not_doubled_without_a_blank() -> None:
    # two frames of "7" with no blank between: one character, unless the decoder must make two
    lp = np.log(np.full((2, CLASSES), 1e-4))
    lp[:, 7] = np.log(0.99)
    d = decode_fixed(lp.astype(np.float32), 2, BLANK)
    assert d.labels != (7, 7)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=4 * 3, max_size=4 * 3),
    st.integers(1, 3),
)
def test_matches_brute_force_on_tiny_alphabets(noise: list[float], count: int) -> None:
    """Viterbi equals an exhaustive search (4 frames; classes other than 0, 1 and blank made impossible)."""
    rng = np.random.default_rng(int(sum(noise) * 1000))
    lp = np.full((4, CLASSES), -50.0)
    lp[:, [0, 1, BLANK]] = np.log(rng.dirichlet(np.ones(3), size=4))
    d = decode_fixed(lp.astype(np.float32), count, BLANK)
    sub = lp[:, [0, 1, BLANK]]
    best = -np.inf
    for path in itertools.product((0, 1, 2), repeat=4):
        mapped = [(0, 1, BLANK)[p] for p in path]
        if len(greedy_path(mapped)) == count:
            best = max(best, float(sum(sub[t, p] for t, p in enumerate(path))))
    assert d.score == pytest.approx(best, abs=1e-4)
    assert len(d.labels) == count


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.3, 3.0))
def test_the_best_path_shortcut_gives_the_searched_answer(seed: int, sharpness: float) -> None:
    """When the frames' arg-max path already has ``count`` characters, the shortcut and the full Viterbi
    search agree on characters and score (frames may differ only between equally likely ones)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, sharpness, (40, CLASSES))
    logits[:, BLANK] += rng.uniform(0.0, 2.0)
    lp = (logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))).astype(np.float32)
    count = len(greedy(lp, BLANK))
    if count == 0:
        return
    fast, full = decode_fixed(lp, count, BLANK), decode_fixed(lp, count, BLANK, search=True)
    assert fast.labels == full.labels
    assert fast.score == pytest.approx(full.score, abs=1e-6)
    assert [lp[t, c] for t, c in zip(fast.frames, fast.labels, strict=True)] == pytest.approx(
        [lp[t, c] for t, c in zip(full.frames, full.labels, strict=True)]
    )
