"""Mutators for fuzzing docverify's input stage, and the generator of the seed corpus in ``tests/corpus/``.

Shared by ``tests/test_fuzz.py`` (a short, deterministic run in CI) and ``benchmarks/fuzz.py`` (a long run,
each input in a child process). Every mutator is a pure function of the input bytes and a
:class:`random.Random`, so a run is reproduced from its seed.

Mutators: bit flips, byte sets to boundary values, truncation, insertion and deletion of byte runs,
duplication of a block, and format-aware header changes: image width/height and other numeric header fields
(PNG IHDR with its CRC fixed up, JPEG SOF, BMP and GIF headers, WebP VP8/VP8L/VP8X sizes), TIFF tag
values, types, counts and IFD offsets (including a directory that points to itself), JPEG 2000 box and
SIZ fields, HEIF/AVIF box sizes, image sizes (``ispe``) and item locations, and PDF numbers
(``/Count``, ``/MediaBox``, ``/Length``, cross-reference offsets) and keywords.

Regenerate the corpus with ``.venv/bin/python tests/mutate.py`` (it is committed; nothing is generated at
test time).
"""

from __future__ import annotations

import io
import random
import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
SAMPLE = HERE.parent / "samples" / "images" / "td3_flatbed.jpg"

BOUNDARY_INTS = (0, 1, 2, 3, 7, 8, 15, 16, 255, 256, 4095, 4096, 32767, 32768, 65535, 65536, 2**31 - 1, 2**31)
"""Values that sit on the edges of 8-, 16- and 32-bit fields, signed and unsigned."""

Mutator = Callable[[bytes, random.Random], bytes]


def seeds() -> dict[str, bytes]:
    """The committed seed files, by name (sorted)."""
    return {p.name: p.read_bytes() for p in sorted(CORPUS.glob("seed.*"))}


# --- generic byte mutators -------------------------------------------------------------------------------


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    """Flip 1–16 random bits."""
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        pos = rng.randrange(len(out))
        out[pos] ^= 1 << rng.randrange(8)
    return bytes(out)


def set_bytes(data: bytes, rng: random.Random) -> bytes:
    """Set 1–8 random bytes to boundary values (0x00, 0x7f, 0x80, 0xff) or random values."""
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.choice((0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, rng.randrange(256)))
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    """Cut the data anywhere (the header included)."""
    return data[: rng.randrange(len(data) + 1)]


def insert_bytes(data: bytes, rng: random.Random) -> bytes:
    """Insert 1–64 random bytes, or a run of one repeated byte, at a random position."""
    pos = rng.randrange(len(data) + 1)
    n = rng.randint(1, 64)
    junk = bytes([rng.randrange(256)]) * n if rng.random() < 0.5 else rng.randbytes(n)
    return data[:pos] + junk + data[pos:]


def delete_bytes(data: bytes, rng: random.Random) -> bytes:
    """Delete a run of 1–64 bytes."""
    if not data:
        return data
    pos = rng.randrange(len(data))
    return data[:pos] + data[pos + rng.randint(1, 64) :]


def duplicate_block(data: bytes, rng: random.Random) -> bytes:
    """Copy a block of the data to another position (repeated chunks, markers, objects)."""
    if len(data) < 2:
        return data
    start = rng.randrange(len(data) - 1)
    block = data[start : start + rng.randint(1, min(512, len(data) - start))]
    pos = rng.randrange(len(data) + 1)
    return data[:pos] + block * rng.randint(1, 4) + data[pos:]


# --- numeric header fields -------------------------------------------------------------------------------


def _interesting(rng: random.Random, size: int, old: int) -> int:
    """A new value for an unsigned field of ``size`` bytes holding ``old``."""
    top = (1 << (8 * size)) - 1
    choice = rng.random()
    if choice < 0.5:
        return rng.choice(BOUNDARY_INTS) & top
    if choice < 0.75:
        return (old + rng.choice((-1, 1, -2, 2, 1000, -1000))) & top
    if choice < 0.9:
        return (old * rng.choice((2, 16, 256, 1000))) & top
    return rng.randrange(top + 1)


def _set_field(out: bytearray, pos: int, size: int, endian: str, rng: random.Random) -> None:
    fmt = endian + {1: "B", 2: "H", 4: "I"}[size]
    if pos + size > len(out):
        return
    (old,) = struct.unpack_from(fmt, out, pos)
    struct.pack_into(fmt, out, pos, _interesting(rng, size, old))


def _png_chunks(data: bytes) -> list[tuple[int, bytes, int]]:
    """(offset of the length field, type, body length) of each well-formed PNG chunk."""
    chunks = []
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        if pos + 12 + length > len(data):
            break
        chunks.append((pos, kind, length))
        pos += 12 + length
    return chunks


def png_header(data: bytes, rng: random.Random) -> bytes:
    """Change IHDR width/height/depth/colour type/interlace (or any chunk's bytes) and fix the CRC, so the
    change reaches the decoder instead of failing the checksum."""
    chunks = _png_chunks(data)
    if not chunks:
        return set_bytes(data, rng)
    out = bytearray(data)
    ihdr = [c for c in chunks if c[1] == b"IHDR"]
    pos, kind, length = ihdr[0] if ihdr and rng.random() < 0.7 else rng.choice(chunks)
    body = pos + 8
    if kind == b"IHDR" and length >= 13:
        field = rng.choice(((0, 4), (4, 4), (8, 1), (9, 1), (10, 1), (11, 1), (12, 1), (0, 4), (4, 4)))
        _set_field(out, body + field[0], field[1], ">", rng)
    elif length:
        for _ in range(rng.randint(1, 4)):
            out[body + rng.randrange(length)] = rng.randrange(256)
    if rng.random() < 0.9:
        struct.pack_into(">I", out, body + length, zlib.crc32(bytes(out[pos + 4 : body + length])))
    return bytes(out)


_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def jpeg_header(data: bytes, rng: random.Random) -> bytes:
    """Change a numeric field of a JPEG marker segment: SOF height/width/precision/components, or bytes
    of DQT, DHT, SOS, DRI and APPn (EXIF) segments."""
    segments = []
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if pos + 2 + length > len(data):
            break
        segments.append((pos, marker, length))
        if marker == 0xDA:  # entropy-coded data follows: no more marker segments to parse
            break
        pos += 2 + length
    if not segments:
        return set_bytes(data, rng)
    out = bytearray(data)
    sof = [s for s in segments if s[1] in _JPEG_SOF]
    pos, marker, length = sof[0] if sof and rng.random() < 0.6 else rng.choice(segments)
    if marker in _JPEG_SOF and rng.random() < 0.8:
        offset, size = rng.choice(((5, 2), (7, 2), (4, 1), (9, 1), (5, 2), (7, 2)))  # height, width, P, Nf
        _set_field(out, pos + offset, size, ">", rng)
    elif rng.random() < 0.3:
        _set_field(out, pos + 2, 2, ">", rng)  # the segment length itself
    elif length > 2:
        for _ in range(rng.randint(1, 4)):
            out[pos + 4 + rng.randrange(length - 2)] = rng.randrange(256)
    return bytes(out)


_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8}


def _tiff_ifds(data: bytes) -> tuple[str, list[int]]:
    """Byte order and offsets of the (classic) TIFF's image file directories, following the chain."""
    endian = "<" if data[:2] == b"II" else ">"
    offsets: list[int] = []
    if len(data) < 8:
        return endian, offsets
    (pos,) = struct.unpack_from(endian + "I", data, 4)
    while 8 <= pos < len(data) - 2 and pos not in offsets and len(offsets) < 16:
        offsets.append(pos)
        (count,) = struct.unpack_from(endian + "H", data, pos)
        end = pos + 2 + 12 * count
        if end + 4 > len(data):
            break
        (pos,) = struct.unpack_from(endian + "I", data, end)
    return endian, offsets


def tiff_tags(data: bytes, rng: random.Random) -> bytes:
    """Change a TIFF tag's value, type or count (width, length, bits per sample, compression, strip offsets
    and byte counts, photometric …), an IFD's entry count, or the next-IFD offset (to itself: a loop)."""
    endian, ifds = _tiff_ifds(data)
    if not ifds:
        return set_bytes(data, rng)
    out = bytearray(data)
    ifd = rng.choice(ifds)
    (count,) = struct.unpack_from(endian + "H", out, ifd)
    choice = rng.random()
    if choice < 0.08:
        _set_field(out, ifd, 2, endian, rng)  # the entry count
        return bytes(out)
    if choice < 0.16:
        next_at = ifd + 2 + 12 * count
        if next_at + 4 <= len(out):
            loop = rng.choice(ifds)
            struct.pack_into(endian + "I", out, next_at, loop if rng.random() < 0.7 else rng.randrange(len(out) * 2))
        return bytes(out)
    if not count:
        return bytes(out)
    entry = ifd + 2 + 12 * rng.randrange(count)
    if entry + 12 > len(out):
        return bytes(out)
    (kind,) = struct.unpack_from(endian + "H", out, entry + 2)
    where = rng.random()
    if where < 0.6:  # the value (inline, or the offset to it)
        inline = _TIFF_TYPE_SIZES.get(kind, 4) * struct.unpack_from(endian + "I", out, entry + 4)[0] <= 4
        size = _TIFF_TYPE_SIZES.get(kind, 4) if inline and _TIFF_TYPE_SIZES.get(kind, 4) in (1, 2, 4) else 4
        _set_field(out, entry + 8, size, endian, rng)
    elif where < 0.75:
        struct.pack_into(endian + "H", out, entry + 2, rng.choice((0, 1, 2, 3, 4, 5, 7, 12, 13, 16, 17, 0xFFFF)))
    elif where < 0.9:
        _set_field(out, entry + 4, 4, endian, rng)  # the count
    else:
        struct.pack_into(endian + "H", out, entry, rng.choice((256, 257, 258, 259, 262, 273, 277, 278, 279, 320, 338)))
    return bytes(out)


def bmp_header(data: bytes, rng: random.Random) -> bytes:
    """Change a BMP header field: file size, pixel offset, header size, width, height (negative: top-down),
    planes, bits per pixel, compression, image size, palette size."""
    fields = ((2, 4), (10, 4), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2), (30, 4), (34, 4), (46, 4))
    out = bytearray(data)
    offset, size = rng.choice(fields)
    _set_field(out, offset, size, "<", rng)
    return bytes(out)


def gif_header(data: bytes, rng: random.Random) -> bytes:
    """Change the GIF screen size or flags, or an image descriptor's position, size, flags or LZW code size."""
    out = bytearray(data)
    descriptors = [m.start() for m in re.finditer(b"\x2c", data[13:])]
    if descriptors and rng.random() < 0.6:
        at = 13 + rng.choice(descriptors)
        offset, size = rng.choice(((1, 2), (3, 2), (5, 2), (7, 2), (9, 1), (10, 1)))
        _set_field(out, at + offset, size, "<", rng)
    else:
        offset, size = rng.choice(((6, 2), (8, 2), (10, 1), (11, 1)))
        _set_field(out, offset, size, "<", rng)
    return bytes(out)


def webp_header(data: bytes, rng: random.Random) -> bytes:
    """Change the RIFF size, a chunk size, or the VP8/VP8L/VP8X frame dimensions."""
    out = bytearray(data)
    choice = rng.random()
    if choice < 0.2 or len(data) < 30:
        _set_field(out, 4, 4, "<", rng)
    elif choice < 0.4:
        _set_field(out, 16, 4, "<", rng)
    elif data[12:16] == b"VP8 ":
        _set_field(out, rng.choice((26, 28)), 2, "<", rng)  # 14-bit width/height + 2-bit scale
    elif data[12:16] == b"VP8X":
        _set_field(out, rng.choice((24, 27)), 2, "<", rng)  # 24-bit canvas width/height − 1 (low bytes)
    else:
        for _ in range(rng.randint(1, 4)):
            out[21 + rng.randrange(4)] = rng.randrange(256)  # VP8L: 14-bit width/height packed in 4 bytes
    return bytes(out)


_BMFF_BOXES = re.compile(
    rb"ftyp|meta|hdlr|pitm|iloc|iinf|infe|iprp|ipco|ispe|pixi|colr|irot|imir|ipma|hvcC|av1C|mdat|iref"
)


def bmff_boxes(data: bytes, rng: random.Random) -> bytes:
    """HEIF and AVIF (ISO base media boxes): change a box's size, the image size in ``ispe``, the turn in
    ``irot``, or a field of the item locations (``iloc``: offsets and lengths into ``mdat``)."""
    boxes = [m.start() for m in _BMFF_BOXES.finditer(data) if m.start() >= 4]
    if not boxes:
        return set_bytes(data, rng)
    out = bytearray(data)
    ispe = [b for b in boxes if data[b : b + 4] == b"ispe" and b + 16 <= len(data)]
    if ispe and rng.random() < 0.35:
        _set_field(out, rng.choice(ispe) + rng.choice((8, 12)), 4, ">", rng)  # width or height
        return bytes(out)
    at = rng.choice(boxes)
    if rng.random() < 0.4:
        _set_field(out, at - 4, 4, ">", rng)  # the box size
    else:
        for _ in range(rng.randint(1, 4)):
            pos = at + 4 + rng.randrange(max(1, min(32, len(out) - at - 4)))
            if pos < len(out):
                out[pos] = rng.choice((0x00, 0x01, 0x7F, 0x80, 0xFF, rng.randrange(256)))
    return bytes(out)


def jp2_header(data: bytes, rng: random.Random) -> bytes:
    """JPEG 2000: change the ``ihdr`` box's height, width or components, a SIZ field (image and tile size,
    offsets, components) or another codestream marker segment's length."""
    out = bytearray(data)
    ihdr, siz = data.find(b"ihdr"), data.find(b"\xff\x51")
    choice = rng.random()
    if ihdr >= 0 and choice < 0.3 and ihdr + 14 <= len(data):
        offset, size = rng.choice(((4, 4), (8, 4), (12, 2)))  # height, width, components
        _set_field(out, ihdr + offset, size, ">", rng)
    elif siz >= 0 and choice < 0.8 and siz + 40 <= len(data):
        offset, size = rng.choice(((2, 2), (6, 4), (10, 4), (14, 4), (18, 4), (22, 4), (26, 4), (38, 2)))
        _set_field(out, siz + offset, size, ">", rng)
    else:
        markers = [m.start() for m in re.finditer(rb"\xff[\x52-\x64]", data)]
        if not markers:
            return set_bytes(data, rng)
        _set_field(out, rng.choice(markers) + 2, 2, ">", rng)
    return bytes(out)


_PDF_NUMBER = re.compile(rb"(?<![\w.])\d+(?:\.\d+)?")
_PDF_KEYWORDS = (b"obj", b"endobj", b"stream", b"endstream", b"xref", b"trailer", b"startxref", b"/Root", b"R")


def pdf_numbers(data: bytes, rng: random.Random) -> bytes:
    """Change a number in a PDF (``/Count``, ``/MediaBox``, ``/Length``, object numbers, xref offsets) to
    a boundary or huge value, or drop or swap a structural keyword."""
    if rng.random() < 0.25:
        keyword = rng.choice(_PDF_KEYWORDS)
        found = [m.start() for m in re.finditer(re.escape(keyword), data)]
        if found:
            at = rng.choice(found)
            new = rng.choice((b"", b"X", rng.choice(_PDF_KEYWORDS)))
            return data[:at] + new + data[at + len(keyword) :]
    numbers = list(_PDF_NUMBER.finditer(data))
    if not numbers:
        return set_bytes(data, rng)
    m = rng.choice(numbers)
    new = rng.choice(
        (b"0", b"-1", b"1", b"99999999", b"2147483648", b"1e308", b"0.0001", b"-0", str(rng.randrange(10**6)).encode())
    )
    return data[: m.start()] + new + data[m.end() :]


# --- choosing a mutation ---------------------------------------------------------------------------------

GENERIC: tuple[Mutator, ...] = (flip_bits, set_bytes, truncate, insert_bytes, delete_bytes, duplicate_block)
BY_FORMAT: dict[str, Mutator] = {
    "png": png_header,
    "jpg": jpeg_header,
    "tif": tiff_tags,
    "bmp": bmp_header,
    "gif": gif_header,
    "webp": webp_header,
    "pdf": pdf_numbers,
    "jp2": jp2_header,
    "avif": bmff_boxes,
    "heic": bmff_boxes,
}
"""The format-aware mutator of each seed (by file extension)."""


def mutate(data: bytes, kind: str, rng: random.Random, *, rounds: int | None = None) -> tuple[bytes, list[str]]:
    """``data`` (a seed of format ``kind``) after 1–3 mutations, half of them format-aware; and their names."""
    names: list[str] = []
    for _ in range(rounds if rounds is not None else rng.choice((1, 1, 1, 2, 3))):
        special = BY_FORMAT.get(kind)
        mutator = special if special is not None and rng.random() < 0.5 else rng.choice(GENERIC)
        data = mutator(data, rng)
        names.append(mutator.__name__)
    return data, names


# --- worst cases of header fields ------------------------------------------------------------------------

UNDER_LIMIT = 7071
"""A square side just under the default 50-megapixel limit (7071² = 49,999,041 pixels)."""


def _with_png_size(data: bytes, width: int, height: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(">II", out, 16, width, height)
    struct.pack_into(">I", out, 29, zlib.crc32(bytes(out[12:29])))
    return bytes(out)


def _with_jpeg_size(data: bytes, width: int, height: int) -> bytes:
    out = bytearray(data)
    pos = 2
    while out[pos + 1] not in _JPEG_SOF:
        pos += 2 + struct.unpack_from(">H", out, pos + 2)[0]
    struct.pack_into(">HH", out, pos + 5, height, width)
    return bytes(out)


def _with_tiff_tag(data: bytes, tag: int, value: int, *, ifd_index: int = 0) -> bytes:
    """The classic TIFF ``data`` with ``tag`` of its ``ifd_index``-th directory set to ``value`` (as LONG)."""
    endian, ifds = _tiff_ifds(data)
    out = bytearray(data)
    ifd = ifds[ifd_index]
    (count,) = struct.unpack_from(endian + "H", out, ifd)
    for k in range(count):
        entry = ifd + 2 + 12 * k
        if struct.unpack_from(endian + "H", out, entry)[0] == tag:
            struct.pack_into(endian + "HII", out, entry + 2, 4, 1, value)
            return bytes(out)
    raise KeyError(tag)


def _with_tiff_next_ifd(data: bytes, target: int) -> bytes:
    endian, ifds = _tiff_ifds(data)
    out = bytearray(data)
    last = ifds[-1]
    (count,) = struct.unpack_from(endian + "H", out, last)
    struct.pack_into(endian + "I", out, last + 2 + 12 * count, target)
    return bytes(out)


def _with_ispe_size(data: bytes, width: int, height: int) -> bytes:
    out = bytearray(data)
    for m in re.finditer(b"ispe", data):  # every image's size (a HEIF's grid tiles and thumbnails too)
        struct.pack_into(">II", out, m.start() + 8, width, height)
    return bytes(out)


def _with_jp2_size(data: bytes, width: int, height: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(">II", out, data.index(b"ihdr") + 4, height, width)
    siz = data.index(b"\xff\x51")
    struct.pack_into(">II", out, siz + 6, width, height)  # Xsiz, Ysiz (the offsets XOsiz, YOsiz are 0)
    struct.pack_into(">II", out, siz + 22, width, height)  # one tile
    return bytes(out)


def header_extremes() -> dict[str, bytes]:
    """Seeds whose header claims an extreme size or structure, each built on purpose (not at random): the
    largest images the default limits let through (decoded: ~50 megapixels from a few KB), sizes just over
    the limits (refused before decoding), zero sizes, and directory loops."""
    s = seeds()
    png, jpg, tif, bmp, gif, pdf = (s[f"seed.{k}"] for k in ("png", "jpg", "tif", "bmp", "gif", "pdf"))
    big = UNDER_LIMIT
    out = {
        "jpeg_sof_under_limit": _with_jpeg_size(jpg, big, big),
        "jpeg_sof_60000x833": _with_jpeg_size(jpg, 60000, 833),
        "jpeg_sof_65535x65535": _with_jpeg_size(jpg, 65535, 65535),
        "jpeg_sof_0x0": _with_jpeg_size(jpg, 0, 0),
        "png_ihdr_under_limit": _with_png_size(png, big, big),
        "png_ihdr_60000x60000": _with_png_size(png, 60000, 60000),
        "png_ihdr_2g_x_1": _with_png_size(png, 2**31 - 1, 1),
        "png_ihdr_0x0": _with_png_size(png, 0, 0),
        "tiff_size_under_limit": _with_tiff_tag(_with_tiff_tag(tif, 256, big), 257, big),
        "tiff_size_65535x65535": _with_tiff_tag(_with_tiff_tag(tif, 256, 65535), 257, 65535),
        "tiff_strip_bytes_4g": _with_tiff_tag(tif, 279, 2**32 - 1),
        "tiff_strip_offset_4g": _with_tiff_tag(tif, 273, 2**32 - 1),
        "tiff_rows_per_strip_0": _with_tiff_tag(tif, 278, 0),
        "tiff_ifd_loop_to_first": _with_tiff_next_ifd(tif, _tiff_ifds(tif)[1][0]),
        "tiff_ifd_loop_to_itself": _with_tiff_next_ifd(tif, _tiff_ifds(tif)[1][-1]),
        "bmp_under_limit": bytes(bytearray(bmp[:18]) + struct.pack("<ii", big, big) + bmp[26:]),
        "bmp_top_down_under_limit": bytes(bytearray(bmp[:18]) + struct.pack("<ii", big, -big) + bmp[26:]),
        "bmp_2g_wide": bytes(bytearray(bmp[:18]) + struct.pack("<ii", 2**31 - 1, 1) + bmp[26:]),
        "gif_screen_65535": gif[:6] + struct.pack("<HH", 65535, 65535) + gif[10:],
        "pdf_mediabox_huge": pdf.replace(b"/MediaBox [", b"/MediaBox [0 0 14400 14400] /X ["),
        "pdf_count_huge": re.sub(rb"/Count \d+", b"/Count 2147483647", pdf),
    }
    gif_descriptor = 13 + gif[13:].index(b"\x2c")
    out["gif_frame_65535"] = gif[: gif_descriptor + 5] + struct.pack("<HH", 65535, 65535) + gif[gif_descriptor + 9 :]
    jp2, avif, heic = (s[f"seed.{k}"] for k in ("jp2", "avif", "heic"))
    out |= {
        "jp2_size_under_limit": _with_jp2_size(jp2, big, big),
        "jp2_size_60000x60000": _with_jp2_size(jp2, 60000, 60000),
        "jp2_size_0x0": _with_jp2_size(jp2, 0, 0),
        "avif_ispe_under_limit": _with_ispe_size(avif, big, big),
        "avif_ispe_60000x60000": _with_ispe_size(avif, 60000, 60000),
        "heic_ispe_under_limit": _with_ispe_size(heic, big, big),
        "heic_ispe_60000x60000": _with_ispe_size(heic, 60000, 60000),
        "heic_ispe_0x0": _with_ispe_size(heic, 0, 0),
    }
    return out


# --- the seed corpus -------------------------------------------------------------------------------------


def make_corpus(out: Path = CORPUS) -> dict[str, int]:
    """Write the seed files (a small grey crop of the MRZ of ``samples/images/td3_flatbed.jpg`` in every
    supported format, a few KB each) to ``out``; returns their sizes. Each seed reads as a TD3 MRZ."""
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    with Image.open(SAMPLE) as sample:
        crop = sample.convert("L").crop((110, 925, 1470, 1130))
    small = crop.resize((round(crop.width * 0.35), round(crop.height * 0.35)), Image.Resampling.LANCZOS)
    small = small.point(lambda p: 255 if p >= 200 else p)  # a white page: a few KB in every format
    flat = small.point(lambda p: 255 if p == 255 else p // 42 * 42 + 21)  # six grey levels, for PNG
    bilevel = small.point(lambda p: 255 if p > 128 else 0).convert("1")
    palette = flat.convert("P", palette=Image.Palette.ADAPTIVE, colors=7)
    blank = Image.new("L", small.size, 255)

    def save(name: str, img: Image.Image, fmt: str, **params: object) -> None:
        buf = io.BytesIO()
        img.save(buf, format=fmt, **params)
        (out / name).write_bytes(buf.getvalue())

    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned a quarter counter-clockwise; the orientation tag turns it back
    exif[0x0131] = "docverify seed corpus"
    stored = small.transpose(Image.Transpose.ROTATE_90)
    save("seed.jpg", stored, "JPEG", quality=25, exif=exif.tobytes(), dpi=(100, 100))
    save("seed.png", palette, "PNG", optimize=True, dpi=(100, 100), transparency=palette.getpixel((0, 0)))
    save("seed.tif", bilevel, "TIFF", compression="group4", save_all=True, append_images=[bilevel.resize((24, 8))])
    save("seed.webp", small, "WEBP", quality=15, method=6)
    save("seed.bmp", bilevel, "BMP")
    save("seed.gif", bilevel, "GIF", save_all=True, append_images=[blank.convert("1")], duration=100, loop=0)
    save("seed.pdf", small, "PDF", resolution=150.0, quality=25)
    save("seed.jp2", small, "JPEG2000", quality_mode="rates", quality_layers=[12], irreversible=True)
    save("seed.avif", small, "AVIF", quality=25)
    _save_heic(out / "seed.heic", stored.convert("RGB"), exif)
    return {p.name: p.stat().st_size for p in sorted(out.glob("seed.*"))}


def _save_heic(path: Path, img: Image.Image, exif: Image.Exif) -> None:
    """Write ``img`` as HEIC, its EXIF orientation turned into the file's own ``irot`` transform. Encoding
    HEIC needs pillow-heif (it bundles the x265 encoder, GPL: a tool to regenerate the seed with, never a
    dependency of docverify, which decodes with pi-heif); without it the committed seed is kept."""
    try:
        import pillow_heif
    except ImportError:
        print(f"{path.name}: kept (encoding HEIC needs pillow-heif: pip install pillow-heif)")
        return
    buf = io.BytesIO()
    pillow_heif.from_pillow(img).save(buf, quality=30, exif=exif.tobytes())
    path.write_bytes(buf.getvalue())


if __name__ == "__main__":
    for name, size in make_corpus().items():
        print(f"{name}: {size:,} bytes")
