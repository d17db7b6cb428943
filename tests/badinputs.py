"""A catalogue of bad inputs, shared by the CLI/API tests (``test_bad_inputs.py``) and the service tests.

Each :class:`BadInput` builds its input under a given folder and states the outcome expected from
``docverify check`` / ``docverify.verify`` (image cases) or ``docverify mrz`` / ``docverify.read_mrz``
(MRZ text cases): the exit code, and either the error message (a regular expression matched against the
one-line message) or the verdict of the report. Builders use only the standard library, Pillow and the
committed seed corpus (``tests/corpus/``), and are cheap (the 5,000-page PDF is written by hand).

``uploadable`` is False for cases that exist only on a file system (a folder, a symlink loop, a file
without read permission, a non-UTF-8 file name): a service receives bytes and cannot be given them.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from docverify.exitcodes import ExitCode

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
GOOD_SAMPLE = HERE.parent / "samples" / "images" / "td3_flatbed.jpg"
"""A bundled sample that passes (with ``REFERENCE_DATE``): checked alongside the bad inputs."""
REFERENCE_DATE = "2026-01-01"

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
"""Root reads a file whatever its permission bits: the ``chmod 000`` case expects a pass then."""

# The ICAO 9303 TD3 specimen: valid, with a specimen warning, before it expires on 2012-04-15.
ICAO_L1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
ICAO_L2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
MRZ_REFERENCE_DATE = "2010-01-01"


@dataclass(frozen=True, slots=True)
class BadInput:
    """One hostile or broken input and what docverify must do with it."""

    name: str
    build: Callable[[Path], Path]
    """Writes the input under the given folder and returns its path (``os.fsdecode``'d for byte names)."""
    exit_code: ExitCode
    """Exit code of ``docverify check PATH`` (image cases) or ``docverify mrz --file PATH`` (MRZ cases)."""
    error: str | None = None
    """Regular expression the one-line error message must match; ``None`` when a result is expected."""
    verdict: str | None = None
    """Verdict of the report (image cases that load), or ``None``."""
    target: str = "image"
    """``image`` (``docverify check``, ``docverify.verify``) or ``mrz`` (``docverify mrz``, ``read_mrz``)."""
    uploadable: bool = True
    """Whether the case is in the file's bytes (and so can be uploaded to a service)."""
    too_large: bool = False
    """The API raises :class:`~docverify.errors.InputTooLargeError` (else a plain ``InputError``)."""


# --- builders ------------------------------------------------------------------------------------------------


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def mrz_crop() -> Image.Image:
    """The MRZ of the bundled TD3 sample, small and grey (from the committed seed corpus): it reads."""
    with Image.open(CORPUS / "seed.png") as img:
        return img.convert("L")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` × ``height`` RGB pixels, followed by a tiny IDAT: a bomb header."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def pdf_from_objects(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF with ``objects`` as objects 1..n (object 1 is the catalog) and a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    return bytes(out)


def blank_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` empty 72 × 72 pt pages, written by hand: cheap even for thousands of pages."""
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>"
    return pdf_from_objects(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages)]
        + [page] * pages
    )


def encrypted_pdf() -> bytes:
    """A one-page PDF whose standard security handler (revision 2) demands a user password.

    The ``/U`` entry is not derived from any password, so no password (the empty one included) opens
    it: a reader can only report the file as password protected.
    """
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (b"11" * 32, b"22" * 32)
    file_id = b"00112233445566778899aabbccddeeff"
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
            encrypt,
        ],
        trailer_extra=b"/Encrypt 4 0 R /ID [<%s> <%s>] " % (file_id, file_id),
    )


def _empty(d: Path) -> Path:
    return _write(d / "empty.jpg", b"")


def _text_named_jpg(d: Path) -> Path:
    return _write(d / "photo.jpg", b"Name: Anna Eriksson\nPassport: L898902C3\n")


def _truncated_jpeg(d: Path) -> Path:
    data = (CORPUS / "seed.jpg").read_bytes()
    return _write(d / "cut.jpg", data[: len(data) // 2])


def _tiff_tag_beyond_the_file(d: Path) -> Path:
    """The corpus TIFF whose first tag (ImageWidth) claims 40,000 values: its data would lie past the end of
    the file. Pillow warns about it (a Python warning) before the decoding fails."""
    data = bytearray((CORPUS / "seed.tif").read_bytes())
    assert data[:4] == b"II*\x00"
    (ifd,) = struct.unpack_from("<I", data, 4)
    struct.pack_into("<I", data, ifd + 2 + 4, 40_000)  # entry 0: tag, type, *count*, value
    return _write(d / "tags.tif", bytes(data))


def _png_bomb_header(d: Path) -> Path:
    return _write(d / "bomb.png", png_with_header(60_000, 60_000))


def _one_by_one(d: Path) -> Path:
    return _write(d / "dot.png", _encode(Image.new("RGB", (1, 1), (0, 128, 0)), "PNG"))


def _animated_gif(d: Path) -> Path:
    """Three frames: the MRZ first, then two blank frames; only the first frame is a page."""
    first = mrz_crop()
    blank = Image.new("L", first.size, 255)
    data = _encode(first, "GIF", save_all=True, append_images=[blank, blank], duration=100, loop=0)
    return _write(d / "animated.gif", data)


def _pdf_5000_pages(d: Path) -> Path:
    return _write(d / "dump.pdf", blank_pdf(5000))


def _encrypted_pdf(d: Path) -> Path:
    return _write(d / "locked.pdf", encrypted_pdf())


def _symlink_loop(d: Path) -> Path:
    a, b = d / "loop_a.jpg", d / "loop_b.jpg"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def _no_permission(d: Path) -> Path:
    path = _write(d / "secret.png", _encode(mrz_crop(), "PNG"))
    path.chmod(0)
    return path


def _directory(d: Path) -> Path:
    folder = d / "scans.jpg"
    folder.mkdir()
    return folder


def _non_utf8_name(d: Path) -> Path:
    raw = os.path.join(os.fsencode(d), b"scan\xff\xfe.png")  # noqa: PTH118 - a bytes path
    with open(raw, "wb") as fh:  # noqa: PTH123 - pathlib cannot open a bytes path
        fh.write(_encode(mrz_crop(), "PNG"))
    return Path(os.fsdecode(raw))


def _non_utf8_name_text(d: Path) -> Path:
    raw = os.path.join(os.fsencode(d), b"notes\xfe.jpg")  # noqa: PTH118 - a bytes path
    with open(raw, "wb") as fh:  # noqa: PTH123 - pathlib cannot open a bytes path
        fh.write(b"not an image\n")
    return Path(os.fsdecode(raw))


def _mrz_text(name: str, lines: tuple[str, ...]) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        return _write(d / name, "\n".join(lines).encode("utf-8") + b"\n")

    return build


CYRILLIC = {"A": "\u0410", "O": "\u041e", "P": "\u0420", "C": "\u0421", "E": "\u0415"}
LOOK_ALIKES = (
    # Cyrillic capitals in the name and the state, full-width digits in the birth date, zero-width spaces
    "".join(CYRILLIC.get(c, c) if i in (0, 4, 15) else c for i, c in enumerate(ICAO_L1)).replace(
        "ERIKSSON", "ERIK\u200bSSON"
    ),
    ICAO_L2[:13] + "".join(chr(ord(c) - ord("0") + 0xFF10) for c in ICAO_L2[13:19]) + ICAO_L2[19:],
)
BIDI_MARKS = ("\u200f" + ICAO_L1, ICAO_L2 + "\u200e")
"""Right-to-left / left-to-right marks, as pasted from a right-to-left page: invisible, so they are removed
and the MRZ reads as typed."""


CASES: list[BadInput] = [
    BadInput("empty_file", _empty, ExitCode.UNREADABLE, error=r"empty\.jpg is empty \(0 bytes\)"),
    BadInput(
        "text_named_jpg", _text_named_jpg, ExitCode.UNREADABLE, error=r"photo\.jpg is a text file, not an image or PDF"
    ),
    BadInput(
        "truncated_jpeg",
        _truncated_jpeg,
        ExitCode.UNREADABLE,
        error=r"cut\.jpg: the JPEG image is truncated or corrupt",
    ),
    BadInput(
        "tiff_tag_beyond_the_file",
        _tiff_tag_beyond_the_file,
        ExitCode.UNREADABLE,
        error=r"tags\.tif: the TIFF image is truncated or corrupt",
    ),
    BadInput(
        "png_60000x60000_header",
        _png_bomb_header,
        ExitCode.UNREADABLE,
        error=r"bomb\.png: the image is 60000 × 60000 pixels .* over the limit .*; it was not decoded",
        too_large=True,
    ),
    BadInput("one_by_one_image", _one_by_one, ExitCode.UNREADABLE, verdict="inconclusive"),
    BadInput("animated_gif_first_frame", _animated_gif, ExitCode.OK, verdict="pass"),
    BadInput(
        "pdf_5000_pages",
        _pdf_5000_pages,
        ExitCode.UNREADABLE,
        error=r"dump\.pdf is a PDF of 5000 pages, over the limit of 200; it is not read",
        too_large=True,
    ),
    BadInput("encrypted_pdf", _encrypted_pdf, ExitCode.UNREADABLE, error=r"locked\.pdf is a password-protected .*PDF"),
    BadInput(
        "symlink_loop",
        _symlink_loop,
        ExitCode.UNREADABLE,
        error=r"loop_a\.jpg cannot be opened: too many levels of symbolic links",
        uploadable=False,
    ),
    BadInput(
        "no_read_permission",
        _no_permission,
        ExitCode.OK if IS_ROOT else ExitCode.UNREADABLE,
        error=None if IS_ROOT else r"secret\.png cannot be read: permission denied",
        verdict="pass" if IS_ROOT else None,
        uploadable=False,
    ),
    BadInput(
        "directory", _directory, ExitCode.UNREADABLE, error=r"scans\.jpg is a folder, not a file", uploadable=False
    ),
    BadInput("non_utf8_file_name", _non_utf8_name, ExitCode.OK, verdict="pass", uploadable=False),
    BadInput(
        "non_utf8_file_name_not_an_image",
        _non_utf8_name_text,
        ExitCode.UNREADABLE,
        error=r"notes\\xfe\.jpg is a text file",
        uploadable=False,
    ),
    BadInput(
        "mrz_unicode_look_alikes",
        _mrz_text("lookalikes.txt", LOOK_ALIKES),
        ExitCode.REVIEW,
        target="mrz",
    ),
    BadInput(
        "mrz_bidi_marks",
        _mrz_text("bidi.txt", BIDI_MARKS),
        ExitCode.REVIEW,
        target="mrz",
    ),
]
"""Every case; ``IMAGE_CASES`` and ``MRZ_CASES`` split them by target."""

IMAGE_CASES = [c for c in CASES if c.target == "image"]
MRZ_CASES = [c for c in CASES if c.target == "mrz"]
