"""Printed MRZ lines for the tests of the print cues that look at the paper under the characters
(``tests/test_clones.py``, ``tests/test_erasure.py``): OCR-B glyphs at an even pitch over a background of fine
random print, captured like a scan, with cells copied over others or scraped and printed again."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from docverify.mrz import conformity
from docverify.mrz.glyphs import font_path
from docverify.mrz.locate import LineCrop

LINES = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
CAP, PITCH, BASE, LEFT, HEIGHT = 33.0, 34, 48.0, 20, 64
TO_ORIGINAL = np.array([[2.0, 0.0, 100.0], [0.0, 2.0, 300.0]])
"""The crops' pixels map to the original image doubled and moved: boxes must follow."""
Cell = tuple[int, int]


def printed(text: str, *, seed: int, texture: float) -> npt.NDArray[np.float64]:
    """A line as printed (H×W grey levels, dark print on light paper): ``text`` at an even pitch, each glyph
    up to 0.3 px off, over a background of fine random print (``texture`` grey levels)."""
    rng = np.random.default_rng(seed)
    n, up = len(text), 4
    width = 2 * LEFT + PITCH * n
    field = cv2.GaussianBlur(rng.normal(0.0, 1.0, (HEIGHT, width)).astype(np.float32), (0, 0), 1.2)
    paper = 215.0 + texture * field / (field.std() + 1e-9)
    box = ImageFont.truetype(str(font_path()), 400).getbbox("H")
    face = ImageFont.truetype(str(font_path()), round(400 * CAP * up / (box[3] - box[1])))
    layer = Image.new("L", (width * up, HEIGHT * up), 0)
    draw = ImageDraw.Draw(layer)
    for i, ch in enumerate(text):
        x = (LEFT + (i + 0.5) * PITCH + rng.uniform(-0.3, 0.3)) * up - face.getlength(ch) / 2
        draw.text((x, (BASE + rng.uniform(-0.3, 0.3)) * up), ch, font=face, fill=255, anchor="ls")
    ink = cv2.resize(np.asarray(layer, np.float32) / 255.0, (width, HEIGHT), interpolation=cv2.INTER_AREA)
    return np.asarray(paper * (1.0 - ink) + 30.0 * ink, dtype=np.float64)


def document(
    lines: tuple[str, ...] = LINES,
    *,
    texture: float = 10.0,
    copies: tuple[tuple[Cell, Cell], ...] = (),
    blur: float = 0.7,
    noise: float = 2.0,
    tall: bool = False,
    erased: tuple[Cell, ...] = (),
) -> tuple[list[LineCrop], list[str], list[list[float]]]:
    """The crops (H×W uint8 gray), the text read and the cell centres (crop x) of an MRZ printed as
    :func:`printed` (each line over its own background) and captured like a scan (``blur``, ``noise``).
    ``copies``: ((line, position) source, target) — the source cell, background and all, pasted over the
    target before the capture; the text then reads the source's character there. ``tall``: the pasted patch
    spans the crop's whole height instead of the character's. ``erased``: (line, position) cells scraped
    (the character's height and a little more, one pitch wide) and printed again on bare paper: the same
    glyph, the background under it gone."""
    pages = [printed(t, seed=1 + k, texture=texture) for k, t in enumerate(lines)]
    bare = [printed(t, seed=1 + k, texture=0.0) for k, t in enumerate(lines)]  # the same glyphs, plain paper
    for line, pos in erased:
        rows, cols = slice(round(BASE - CAP - 3), round(BASE + 3)), slice(LEFT + pos * PITCH, LEFT + (pos + 1) * PITCH)
        pages[line][rows, cols] = bare[line][rows, cols]
    read = list(lines)
    y0, y1 = (0, HEIGHT) if tall else (round(BASE - CAP - 3), round(BASE + 3))
    for (sl, sp), (dl, dp) in copies:
        cell = pages[sl][y0:y1, LEFT + sp * PITCH : LEFT + (sp + 1) * PITCH].copy()
        pages[dl][y0:y1, LEFT + dp * PITCH : LEFT + (dp + 1) * PITCH] = cell
        read[dl] = read[dl][:dp] + lines[sl][sp] + read[dl][dp + 1 :]
    crops, centres = [], []
    for k, (sharp, text) in enumerate(zip(pages, lines, strict=True)):
        rng = np.random.default_rng(100 + k)
        page = cv2.GaussianBlur(sharp, (0, 0), blur) if blur else sharp
        page = page + rng.normal(0.0, noise, page.shape) if noise else page
        to_original = TO_ORIGINAL.copy()
        to_original[1, 2] += k * 2 * 2.6 * CAP
        image = np.clip(page, 0, 255).astype(np.uint8)
        crops.append(LineCrop(image, LEFT, LEFT + len(text) * PITCH, to_original))
        centres.append([LEFT + (i + 0.5) * PITCH - 0.5 for i in range(len(text))])
    return crops, read, centres


def assessed(crops: list[LineCrop], lines: list[str], centres: list[list[float]]) -> conformity.PrintAssessment:
    """:func:`docverify.mrz.conformity.assess` of a :func:`document`, which must measure."""
    found = conformity.assess(crops, lines, centres)
    assert found is not None
    return found
