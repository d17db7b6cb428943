"""Decoding of CTC line outputs with a known number of characters (pure numpy).

An MRZ line has a fixed length (30, 36 or 44 characters), so the recognizer's frames are decoded into
exactly that many characters: the most probable CTC alignment (Viterbi) among those that emit ``count``
characters. Every character keeps the frame where the path is most sure of it, so its probabilities there
can feed the check-digit repair as alternatives.

Shapes: ``log_probs`` is T × C (frames × classes, log-softmax), the blank being class ``blank``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

NEG = -1e30


@dataclass(frozen=True, slots=True)
class FixedDecoding:
    """The best alignment with exactly ``len(labels)`` characters.

    ``labels[k]`` is the class of character k and ``frames[k]`` the frame where the path is most sure of
    it; ``score`` is the path's total log-probability (``-inf`` when no alignment of that length fits in
    the frames)."""

    labels: tuple[int, ...]
    frames: tuple[int, ...]
    score: float


def greedy(log_probs: npt.NDArray[np.float32], blank: int) -> list[int]:
    """Best-path decoding: the arg-max class of every frame, repeats merged, blanks dropped."""
    best = log_probs.argmax(axis=1)
    out: list[int] = []
    prev = blank
    for b in best.tolist():
        if b not in (prev, blank):
            out.append(b)
        prev = b
    return out


def _best_path(lp: npt.NDArray[np.float64], count: int, blank: int) -> FixedDecoding | None:
    """The best path (each frame's arg-max) when it already emits ``count`` characters, else ``None``.

    The best path is the most probable alignment of all; when it has the right length no alignment of
    that length beats it, so the Viterbi search below is not needed (the usual case)."""
    best = lp.argmax(axis=1)
    starts = np.flatnonzero((best != blank) & np.concatenate([[True], best[1:] != best[:-1]]))
    if len(starts) != count:
        return None
    frame_lp = lp[np.arange(len(best)), best]
    ends = np.empty_like(starts)
    for k, t in enumerate(starts.tolist()):  # each run ends where the label changes
        e = t + 1
        while e < len(best) and best[e] == best[t]:
            e += 1
        ends[k] = e
    frames = tuple(int(t + frame_lp[t:e].argmax()) for t, e in zip(starts.tolist(), ends.tolist(), strict=True))
    return FixedDecoding(tuple(int(best[t]) for t in starts), frames, float(frame_lp.sum()))


def decode_fixed(log_probs: npt.NDArray[np.float32], count: int, blank: int, *, search: bool = False) -> FixedDecoding:
    """The most probable CTC alignment of ``log_probs`` (T × C) that emits exactly ``count`` characters.

    States after each frame: ``n`` characters emitted and the frame is blank, or ``n`` emitted and the
    frame shows character class ``c`` (the n-th, entered on this frame or repeated). A character may
    follow the same character only across a blank, as in CTC. The best path is returned at once when
    it has the right length (the same answer); ``search`` forces the full search.
    """
    t_len, n_cls = log_probs.shape
    if count <= 0 or t_len < count:
        return FixedDecoding((), (), float("-inf"))
    lp = log_probs.astype(np.float64)
    fast = None if search else _best_path(lp, count, blank)
    if fast is not None:
        return fast
    chars = np.array([c for c in range(n_cls) if c != blank])
    nc = len(chars)
    blank_state = np.full(count + 1, NEG)  # B[n]
    char_state = np.full((count + 1, nc), NEG)  # C[n, c]
    blank_state[0] = 0.0
    # back-pointers per frame: for B, 0 = from B, 1 = from C (which c: argmax); for C, 0 = stay,
    # 1 = new after blank, 2 = new after another character (which: best other)
    b_from = np.zeros((t_len, count + 1), np.int8)
    b_arg = np.zeros((t_len, count + 1), np.int16)
    c_from = np.zeros((t_len, count + 1, nc), np.int8)
    c_arg = np.zeros((t_len, count + 1, nc), np.int16)
    for t in range(t_len):
        frame = lp[t]
        c_best = char_state.argmax(axis=1)
        c_max = char_state[np.arange(count + 1), c_best]
        # best and second best previous character state, to exclude "the same character again"
        masked = char_state.copy()
        masked[np.arange(count + 1), c_best] = NEG
        c_second_arg = masked.argmax(axis=1)
        c_second = masked[np.arange(count + 1), c_second_arg]

        new_blank = np.maximum(blank_state, c_max)
        b_from[t] = (c_max > blank_state).astype(np.int8)
        b_arg[t] = c_best
        new_blank = new_blank + frame[blank]

        stay = char_state
        after_blank = np.full((count + 1, nc), NEG)
        after_blank[1:] = blank_state[:count, None]
        after_char = np.full((count + 1, nc), NEG)
        other = np.where(np.arange(nc)[None, :] == c_best[:count, None], c_second[:count, None], c_max[:count, None])
        other_arg = np.where(
            np.arange(nc)[None, :] == c_best[:count, None], c_second_arg[:count, None], c_best[:count, None]
        )
        after_char[1:] = other
        choice = np.stack([stay, after_blank, after_char])
        pick = choice.argmax(axis=0)
        best = np.take_along_axis(choice, pick[None], axis=0)[0]
        c_from[t] = pick.astype(np.int8)
        c_arg[t, 1:] = other_arg.astype(np.int16)
        char_state = best + frame[chars][None, :]
        blank_state = new_blank
    end_blank = blank_state[count]
    end_char_arg = int(char_state[count].argmax())
    end_char = char_state[count, end_char_arg]
    score = float(max(end_blank, end_char))
    if score <= NEG / 2:
        return FixedDecoding((), (), float("-inf"))
    # backtrack
    labels = [0] * count
    frames = [0] * count
    best_lp = [NEG] * count
    n = count
    in_blank = end_blank >= end_char
    c = end_char_arg
    for t in range(t_len - 1, -1, -1):
        if in_blank:
            if b_from[t, n] == 1:
                in_blank, c = False, int(b_arg[t, n])
            # the state before frame t: blank (n) or char (n, c)
            continue
        # in char state (n, c) at frame t
        k = n - 1
        labels[k] = int(chars[c])
        if lp[t, chars[c]] > best_lp[k]:
            best_lp[k] = float(lp[t, chars[c]])
            frames[k] = t
        how = int(c_from[t, n, c])
        if how == 1:
            n, in_blank = n - 1, True
        elif how == 2:
            c, n = int(c_arg[t, n, c]), n - 1
    return FixedDecoding(tuple(labels), tuple(frames), score)
