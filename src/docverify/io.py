"""Load any supported input into RGB pages: the input stage of docverify.

:func:`load_pages` turns a file path, the bytes of a file, or a numpy array into a tuple of :class:`Page`
objects, each holding one page as an ``H × W × 3`` ``uint8`` array in **RGB** order, C-contiguous and
read-only. Coordinates everywhere downstream are pixel coordinates in this array: ``x`` is the column
(0 = left edge), ``y`` the row (0 = top edge), after the EXIF orientation has been undone.

Supported inputs, recognised by their first bytes (never by the file extension):

* JPEG, PNG, BMP, GIF, WebP, TIFF, JPEG 2000 and AVIF images, decoded with Pillow, and HEIC/HEIF (the
  iPhone camera's format), decoded with libheif through pi-heif in a child process (a malformed file has
  crashed that decoder; the child's crash is this process's InputError). A multi-page TIFF gives one page per
  frame. An animated GIF, WebP or AVIF gives its **first frame only**, a HEIF file its **primary image**:
  animation frames and burst shots are not pages.
* PDF documents, every page rendered with PDFium (through pypdfium2) at :attr:`Limits.pdf_dpi`.
* numpy arrays (see :func:`load_pages` for the accepted shapes and dtypes).

Every input is checked against :class:`~docverify.config.Limits` *before* it is decoded: file size before
the file is read, pixel count from the image header before any pixel is decompressed, page count before
any page is rendered. Every failure raises :class:`~docverify.errors.InputError` (or its subclass
:class:`~docverify.errors.InputTooLargeError` for a limit) with a message that names the input and the
problem in plain words; no exception of Pillow or PDFium escapes. Nothing from a document's content is
ever logged.

>>> import numpy as np
>>> page = load_page(np.zeros((20, 30), dtype=np.uint8))
>>> page.image.shape, page.image.dtype.name, page.source
((20, 30, 3), 'uint8', '<array>')
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import json
import logging
import math
import os
import stat
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from PIL import (
    BmpImagePlugin,
    GifImagePlugin,
    Image,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    features,
)

from docverify.config import DEFAULT_LIMITS, Limits
from docverify.errors import DependencyError, InputError, InputTooLargeError

_log = logging.getLogger(__name__)

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | npt.NDArray[np.generic]
"""What :func:`load_pages` accepts: a path, the bytes of a file, or an image array."""


@dataclass(frozen=True, slots=True, eq=False)
class Page:
    """One page of an input, decoded.

    ``image`` is ``H × W × 3``, ``uint8``, RGB, C-contiguous and read-only; pixel ``image[y, x]`` is row
    ``y`` from the top, column ``x`` from the left, with the EXIF orientation already undone. Pages compare
    by identity (``eq=False``): comparing the pixel arrays is the caller's choice.
    """

    image: npt.NDArray[np.uint8]
    index: int
    """0-based page number within the input (0 for single images and arrays)."""
    source: str
    """Display name of the input: the path as given, the ``name`` passed, ``<bytes>`` or ``<array>``.
    Printable and UTF-8-safe (undecodable file-name bytes appear as ``\\xff``); never file content."""
    pages_total: int
    """Pages (PDF pages or TIFF frames) in the input, including any skipped because of
    :attr:`Limits.max_pages`: fewer pages than this were returned when ``len(pages) < pages_total``."""
    dpi: float | None
    """Horizontal resolution in dots per inch of ``image``: the render resolution for a PDF page, the value
    stated in the file's metadata for an image (often a meaningless default such as 72), ``None`` when
    unknown."""
    orientation_applied: int = 1
    """The EXIF orientation (1–8) that was undone to produce ``image``; 1 when the image was already
    upright or had no orientation tag. For HEIF, whose decoder applies the file's own turn and mirror
    (``irot``/``imir``), the orientation those amount to."""

    def __post_init__(self) -> None:
        img = self.image
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8 or not img.flags.c_contiguous:
            raise ValueError(f"Page.image must be a C-contiguous H×W×3 uint8 array, got {img.dtype} {img.shape}")

    @property
    def height(self) -> int:
        """Rows of ``image``."""
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        """Columns of ``image``."""
        return int(self.image.shape[1])


def load_pages(source: Source, *, limits: Limits = DEFAULT_LIMITS, name: str | None = None) -> tuple[Page, ...]:
    """Load every page of ``source`` (at most ``limits.max_pages``) as RGB ``uint8`` arrays.

    ``source`` is one of:

    * a path (``str`` or ``os.PathLike``) to a JPEG, PNG, BMP, GIF, WebP, TIFF, JPEG 2000, AVIF, HEIC/HEIF
      or PDF file. The format is found from the file's first bytes, not its extension;
    * the ``bytes`` (or ``bytearray``/``memoryview``) of such a file;
    * a numpy array: ``H × W`` or ``H × W × 1`` (grey), ``H × W × 3`` (**RGB**, not OpenCV's BGR) or
      ``H × W × 4`` (RGBA, composited on white). Accepted dtypes: ``uint8`` (0–255, used as is), ``bool``
      (False → 0, True → 255), ``uint16`` (full 0–65535 range scaled to 0–255) and floating point (values
      in [0, 1], scaled by 255 and rounded); anything else is refused. The array is copied, never aliased.

    ``name`` replaces the display name used in :attr:`Page.source` and in error messages (useful for
    ``bytes`` from an upload). Returns one :class:`Page` per decoded page, in document order; a PDF with
    more than ``limits.max_pages`` pages gives its first ``max_pages`` (each page's ``pages_total`` says how
    many there were). Animated GIF, WebP and AVIF give their first frame only, HEIF its primary image.

    Raises :class:`~docverify.errors.InputTooLargeError` when the input is over a limit of ``limits``
    (checked before decoding), :class:`~docverify.errors.InputError` for anything else that makes the input
    unusable (missing, a directory, unreadable, empty, not an image, truncated, corrupt, encrypted), and
    :class:`~docverify.errors.DependencyError` only when a decoder docverify needs is not installed.
    """
    if isinstance(source, np.ndarray):
        return (_page_from_array(source, _display(name) if name is not None else "<array>", limits),)
    if isinstance(source, bytes | bytearray | memoryview):
        display = _display(name) if name is not None else "<bytes>"
        data = bytes(source)
        if len(data) > limits.max_bytes:
            raise InputTooLargeError(
                f"{display} is {_fmt_bytes(len(data))}, over the limit of {_fmt_bytes(limits.max_bytes)}"
            )
        return _load_data(data, display, limits)
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if not isinstance(path, str):  # os.PathLike[bytes]: not part of the signature, but be clear about it
            raise InputError("a path must be text (str or pathlib.Path), not bytes; bytes are read as file content")
        display = _display(name if name is not None else path)
        return _load_data(_read_file(path, display, limits), display, limits)
    raise InputError(
        f"cannot load an input of type {type(source).__name__}: pass a file path, the bytes of a file, "
        "or a numpy image array"
    )


def load_page(source: Source, *, limits: Limits = DEFAULT_LIMITS, name: str | None = None) -> Page:
    """Load only the first page of ``source``; same inputs, limits and errors as :func:`load_pages`."""
    first_only = dataclasses.replace(limits, max_pages=1)
    return load_pages(source, limits=first_only, name=name)[0]


# --- files -------------------------------------------------------------------------------------------------

_OPEN_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
"""O_NONBLOCK so that opening a FIFO cannot hang waiting for a writer; it is refused right after by fstat."""


def _read_file(path: str, display: str, limits: Limits) -> bytes:
    """The content of the regular file at ``path``, at most ``limits.max_bytes`` of it, or an InputError."""
    if not path:
        raise InputError("an empty file name was given")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise InputError(f"{display} does not exist") from None
    except NotADirectoryError:
        raise InputError(f"{display} does not exist (a part of the path is not a folder)") from None
    except IsADirectoryError:
        raise InputError(f"{display} is a folder, not a file") from None
    except PermissionError:
        raise InputError(f"{display} cannot be read: permission denied") from None
    except (OSError, ValueError) as exc:  # ValueError: an embedded NUL character
        raise InputError(f"{display} cannot be opened: {_os_reason(exc)}") from None
    try:
        st = os.fstat(fd)
        # Checked on the opened descriptor, not the path, so the file cannot be swapped in between.
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{display} is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{display} is not a regular file (it is a device, pipe or socket)")
        if st.st_size > limits.max_bytes:
            raise InputTooLargeError(
                f"{display} is {_fmt_bytes(st.st_size)}, over the limit of {_fmt_bytes(limits.max_bytes)}"
            )
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(min(st.st_size, limits.max_bytes) + 1)
            if st.st_size < len(data) <= limits.max_bytes:  # the file grew while being read
                data += f.read(limits.max_bytes + 1 - len(data))
    except PermissionError:
        raise InputError(f"{display} cannot be read: permission denied") from None
    except OSError as exc:
        raise InputError(f"{display} cannot be read: {_os_reason(exc)}") from None
    finally:
        os.close(fd)
    if len(data) > limits.max_bytes:
        raise InputTooLargeError(f"{display} is over the limit of {_fmt_bytes(limits.max_bytes)}")
    return data


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return "invalid path" if isinstance(exc, ValueError) else type(exc).__name__


# --- format detection --------------------------------------------------------------------------------------

_JPEG, _PNG, _TIFF, _BMP, _GIF, _WEBP, _PDF = "JPEG", "PNG", "TIFF", "BMP", "GIF", "WebP", "PDF"
_JP2, _AVIF, _HEIF = "JPEG 2000", "AVIF", "HEIC/HEIF"

_JP2_SIGNATURES: Final = (b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")
"""A JP2 file's signature box, and a bare JPEG 2000 codestream's SOC and SIZ markers."""

_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})
_HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
"""ISO-BMFF brands (in the ``ftyp`` box) of AVIF, and of HEIF: HEVC-coded, or the generic image brands."""

_BMP_DIB_HEADER_SIZES: Final = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
"""Sizes of the BMP info headers (OS/2 and Windows versions): ``BM`` alone also starts text files."""

_PDF_HEADER_WINDOW = 1024
"""PDF readers accept junk before ``%PDF-`` within the first kilobyte; so does PDFium."""


def _sniff(data: bytes) -> str | None:
    """The supported format of ``data`` from its magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return _TIFF
    if data.startswith(b"BM") and int.from_bytes(data[14:18], "little") in _BMP_DIB_HEADER_SIZES:
        return _BMP
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return _GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _WEBP
    if data.startswith(_JP2_SIGNATURES):
        return _JP2
    brands = _ftyp_brands(data)
    if brands & _AVIF_BRANDS:
        return _AVIF
    if brands & _HEIF_BRANDS:
        return _HEIF
    if b"%PDF-" in data[:_PDF_HEADER_WINDOW]:
        return _PDF
    return None


def _ftyp_brands(data: bytes) -> frozenset[bytes]:
    """The major and compatible brands of an ISO-BMFF file's leading ``ftyp`` box; empty for anything else."""
    if data[4:8] != b"ftyp" or len(data) < 16:
        return frozenset()
    size = min(int.from_bytes(data[:4], "big"), len(data), 4096)
    compatible = (data[i : i + 4] for i in range(16, size - 3, 4))
    return frozenset((data[8:12], *compatible))


def _unsupported_message(data: bytes, display: str) -> str:
    if data[4:8] == b"ftyp":
        return f"{display} is a video or another ISO media file, not a supported image or PDF"
    if _looks_like_text(data[:512]):
        return f"{display} is a text file, not an image or PDF"
    expected = "JPEG, PNG, TIFF, BMP, GIF, WebP, HEIC, AVIF, JPEG 2000 or PDF"
    return f"{display} is not a supported image or PDF ({expected} expected)"


def _looks_like_text(head: bytes) -> bool:
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return bool(text) and all(c.isprintable() or c in "\t\r\n\f" for c in text)


def _load_data(data: bytes, display: str, limits: Limits) -> tuple[Page, ...]:
    if not data:
        raise InputError(f"{display} is empty (0 bytes)")
    fmt = _sniff(data)
    if fmt is None:
        raise InputError(_unsupported_message(data, display))
    if fmt == _PDF:
        return _load_pdf(data, display, limits)
    if fmt == _HEIF:
        header = _heif_header(data)
        if header.codecs == {b"av1C"}:  # AV1 under the generic HEIF brands alone (mif1, miaf): an AVIF,
            data = data[:8] + b"avif" + data[12:]  # shown with the brand libavif requires to read it
            return _load_raster(data, _AVIF, display, limits, header)
        return _load_heif_isolated(data, display, limits, header)
    return _load_raster(data, fmt, display, limits)


def _corrupt(where: str, fmt: str, note: str = "") -> InputError:
    return InputError(f"{where}: the {fmt} image is truncated or corrupt and cannot be decoded{note}")


def _check_pixel_count(where: str, fmt: str, width: int, height: int, limits: Limits) -> None:
    """Refuse an image (its size from a header, before any pixel is decoded) that has no pixels or more
    than ``limits.max_pixels``."""
    if width <= 0 or height <= 0:
        raise InputError(f"{where}: the {fmt} image has no pixels ({width} × {height})")
    if width * height > limits.max_pixels:
        raise InputTooLargeError(
            f"{where}: the image is {width} × {height} pixels ({_fmt_mp(width * height)}), over the limit of "
            f"{_fmt_mp(limits.max_pixels)}; it was not decoded"
        )


# --- HEIF, decoded in a child process ----------------------------------------------------------------------

HEIF_TIMEOUT_S: Final = 30.0
"""How long the child process may take to decode one HEIF file (a 12-megapixel photo: about 0.5 s here)."""

_HEIF_CHILD: Final = """
import io, json, sys
try:  # a few copies of the largest allowed image, and the libraries; the hard limit is left as it is
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = 3 * 4 * int(sys.argv[1]) + 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
except (ImportError, ValueError, OSError):  # no such limit on this system
    pass
out = sys.stdout.buffer
def answer(head, raw=b""):
    text = json.dumps(head).encode()
    out.write(len(text).to_bytes(4, "big") + text + raw)
    out.flush()
try:
    from pi_heif import options
    from pi_heif.as_plugin import HeifImageFile
    options.THUMBNAILS = options.DEPTH_IMAGES = options.AUX_IMAGES = False  # the main picture only
except ImportError:
    answer({"missing": True})
    sys.exit()
try:
    img = HeifImageFile(io.BytesIO(sys.stdin.buffer.read()))
    width, height = img.size
    if width * height > int(sys.argv[1]) or width <= 0 or height <= 0:
        answer({"size": [width, height]})
        sys.exit()
    img.load()
    answer({"size": list(img.size), "mode": img.mode}, img.tobytes())
except Exception as exc:
    answer({"corrupt": type(exc).__name__})
"""
"""The child's program: PIL and pi-heif only (no docverify import, so it starts in about 0.1 s), its address
space capped at four times the largest allowed image plus 1 GiB. It reads the file on stdin and writes a 4-byte
length, a JSON header and the decoded pixels in the image's own mode."""


def _load_heif_isolated(data: bytes, display: str, limits: Limits, header: _HeifHeader) -> tuple[Page, ...]:
    """Decode a HEIF file in a child process, so that a crash of libheif or of its Python binding on a
    malformed file (fuzzing found a segmentation fault in pi-heif's metadata reading) ends that process,
    not this one: the caller gets an :class:`InputError`. Costs a Python start (about 0.1 s) and one copy
    of the pixels through a pipe; the limits, messages and colour conversion stay on this side. ``header``:
    the file's :func:`_heif_header`."""
    _check_bmff_sizes(header, _HEIF, display, limits)
    if not sys.executable:
        raise DependencyError("cannot decode HEIC/HEIF images: no Python interpreter to start (sys.executable)")
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", _HEIF_CHILD, str(limits.max_pixels)],  # -I: nothing from the folder
            input=data,
            capture_output=True,
            timeout=HEIF_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise InputError(f"{display}: the HEIC/HEIF image took over {HEIF_TIMEOUT_S:g} s to decode") from exc
    except OSError as exc:
        raise DependencyError(f"cannot start a process to decode HEIC/HEIF images: {_os_reason(exc)}") from exc
    out = proc.stdout
    size = int.from_bytes(out[:4], "big") if len(out) >= 4 else 0
    try:
        head = json.loads(out[4 : 4 + size]) if proc.returncode == 0 and 4 + size <= len(out) else None
    except ValueError:
        head = None
    if proc.returncode > 0 and not isinstance(head, dict):  # it died before it could answer: not the file
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise DependencyError(f"the process that decodes HEIC/HEIF images failed to start: {last[0][:200]}")
    if not isinstance(head, dict) or "corrupt" in head:
        if proc.returncode:
            _log.warning("the HEIF decoder's process ended with code %d", proc.returncode)
        crashed = " (its decoder crashed on it, in a separate process)" if proc.returncode < 0 else ""
        raise _corrupt(display, _HEIF, crashed)
    if head.get("missing"):
        raise DependencyError("reading HEIC/HEIF images needs pi-heif: pip install pi-heif")
    try:
        width, height = (int(v) for v in head["size"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _corrupt(display, _HEIF) from exc
    _check_pixel_count(display, _HEIF, width, height, limits)  # the child answers a size alone when it refused
    if "mode" not in head:
        raise _corrupt(display, _HEIF)
    pixels = memoryview(out)[4 + size :]
    if head["mode"] == "RGB" and len(pixels) == width * height * 3:  # the usual case: no copy
        rgb = np.frombuffer(pixels, np.uint8).reshape(height, width, 3)
    else:
        try:
            rgb = _pil_to_rgb(Image.frombytes(str(head["mode"]), (width, height), pixels), display)
        except _PIL_ERRORS as exc:
            raise _corrupt(display, _HEIF) from exc
    page = Page(
        image=rgb,
        index=0,
        source=display,
        pages_total=1,
        dpi=None,
        orientation_applied=header.orientation,
    )
    return (page,)


# --- raster images (Pillow) --------------------------------------------------------------------------------

_PIL_ERRORS: Final = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    UserWarning,
)
"""What Pillow raises on malformed files, found by its own ``Image.open`` and by fuzzing damaged files.
``UserWarning`` is raised only when warnings are turned into errors (``-W error``): Pillow warns about
damaged metadata (``Corrupt EXIF data``, ``Truncated File Read``) instead of failing."""

_AVIF_ERRORS: Final = (*_PIL_ERRORS, RuntimeError)
"""What decoding an AVIF file can raise: libavif's errors surface as ``RuntimeError``."""

_PIL_BOMB: Final = (Image.DecompressionBombError, Image.DecompressionBombWarning)
"""Pillow's own bomb guard: the error, and the warning when warnings are turned into errors."""


def _raster_class(fmt: str) -> type[ImageFile.ImageFile]:
    """The Pillow image class that decodes ``fmt``; the optional decoders are imported when first needed."""
    if fmt == _WEBP:
        if not features.check("webp"):
            raise DependencyError("this Pillow build cannot read WebP images (it lacks libwebp)")
        from PIL import WebPImagePlugin  # noqa: PLC0415 - importing it without libwebp fails

        return WebPImagePlugin.WebPImageFile
    if fmt == _JP2:
        if not features.check("jpg_2000"):
            raise DependencyError("this Pillow build cannot read JPEG 2000 images (it lacks OpenJPEG)")
        from PIL import Jpeg2KImagePlugin  # noqa: PLC0415 - a decoder most inputs never need

        return Jpeg2KImagePlugin.Jpeg2KImageFile
    if fmt == _AVIF:
        if not features.check("avif"):
            raise DependencyError("this Pillow build cannot read AVIF images (it lacks libavif): Pillow 11.3 or later")
        from PIL import AvifImagePlugin  # noqa: PLC0415 - importing it without libavif fails

        return AvifImagePlugin.AvifImageFile
    return _PIL_CLASSES[fmt]


# Each format's ImageFile class is constructed directly rather than through Image.open(): that parses the
# header without Pillow's decompression-bomb check, whose warning can only be silenced by mutating global,
# thread-unsafe state (Image.MAX_IMAGE_PIXELS or the warnings filters). Our own check of img.size against
# Limits.max_pixels then runs before any pixel is decoded.
_PIL_CLASSES: Final[dict[str, type[ImageFile.ImageFile]]] = {
    _JPEG: JpegImagePlugin.JpegImageFile,
    _PNG: PngImagePlugin.PngImageFile,
    _TIFF: TiffImagePlugin.TiffImageFile,
    _BMP: BmpImagePlugin.BmpImageFile,
    _GIF: GifImagePlugin.GifImageFile,
}

_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""EXIF orientation → the transposition that makes the image upright (as ``ImageOps.exif_transpose``)."""

_EXIF_ORIENTATION: Final = 0x0112


def _load_raster(
    data: bytes, fmt: str, display: str, limits: Limits, header: _HeifHeader | None = None
) -> tuple[Page, ...]:
    """Decode a raster image with Pillow. ``header``: an AVIF file's :func:`_heif_header`, when already parsed."""
    if fmt == _AVIF:
        _check_bmff_sizes(header or _heif_header(data), fmt, display, limits)
    cls = _raster_class(fmt)
    errors = _AVIF_ERRORS if fmt == _AVIF else _PIL_ERRORS
    try:
        with cls(io.BytesIO(data)) as img:
            total = _count_tiff_frames(img, display, limits) if fmt == _TIFF else 1
            pages = []
            for index in range(min(total, limits.max_pages)):
                if index:
                    img.seek(index)
                pages.append(_decode_frame(img, index, total, fmt=fmt, display=display, limits=limits))
    except _PIL_BOMB as exc:
        raise InputTooLargeError(
            f"{display}: the {fmt} image is too large to decode safely (a possible decompression bomb)"
        ) from exc
    except errors as exc:
        raise _corrupt(display, fmt) from exc
    if total > len(pages):
        _log.info("decoded %d of %d TIFF frames (Limits.max_pages)", len(pages), total)
    return tuple(pages)


def _bmff_boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes laid end to end in ``data[start:end]``."""
    boxes: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end and len(boxes) < 1024:
        size, kind = int.from_bytes(data[pos : pos + 4], "big"), data[pos + 4 : pos + 8]
        header = 8
        if size == 1 and pos + 16 <= end:
            size, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            break
        boxes.append((kind, pos + header, pos + size))
        pos += size
    return boxes


@dataclass(frozen=True, slots=True)
class _HeifHeader:
    """What the ``meta`` box of an AVIF or HEIF file says, read without a decoder."""

    sizes: tuple[tuple[int, int], ...]
    """Width and height of every image (``ispe`` properties: the primary image, tiles, thumbnails)."""
    orientation: int
    """The EXIF orientation (1–8) that the primary image's ``irot`` and ``imir`` properties amount to: the
    turn and mirror a HEIF decoder applies itself."""
    codecs: frozenset[bytes] = frozenset()
    """The decoder configurations among the properties: ``av1C`` (AV1, i.e. AVIF) and ``hvcC`` (HEVC)."""


def _heif_header(data: bytes) -> _HeifHeader:
    """Parse the first ``meta`` box: ``pitm`` (the primary item), ``iprp`` → ``ipco`` (the properties, in
    order) and ``ipma`` (which item has which). Anything damaged is skipped; the decoder reports it."""
    meta = next(((s, e) for kind, s, e in _bmff_boxes(data, 0, len(data)) if kind == b"meta"), None)
    if meta is None:
        return _HeifHeader((), 1)
    children = _bmff_boxes(data, meta[0] + 4, meta[1])  # meta is a full box: version and flags first
    primary = None
    properties: list[tuple[bytes, int, int]] = []
    associations: dict[int, list[int]] = {}
    for kind, start, end in children:
        if kind == b"pitm" and end - start >= 6:
            primary = int.from_bytes(data[start + 4 : start + (6 if data[start] == 0 else 8)], "big")
        elif kind == b"iprp":
            for sub, s0, s1 in _bmff_boxes(data, start, end):
                if sub == b"ipco":
                    properties = _bmff_boxes(data, s0, s1)
                elif sub == b"ipma":
                    associations = _heif_associations(data, s0, s1)
    sizes = tuple(
        (int.from_bytes(data[s + 4 : s + 8], "big"), int.from_bytes(data[s + 8 : s + 12], "big"))
        for kind, s, e in properties
        if kind == b"ispe" and e - s >= 12
    )
    steps = []
    for index in associations.get(primary, []) if primary is not None else []:
        if 1 <= index <= len(properties):
            kind, s, e = properties[index - 1]
            if kind in (b"irot", b"imir") and e > s:
                steps.append((kind, data[s]))
    codecs = frozenset(kind for kind, _, _ in properties if kind in (b"av1C", b"hvcC"))
    return _HeifHeader(sizes, _orientation_of(steps), codecs)


def _heif_associations(data: bytes, start: int, end: int) -> dict[int, list[int]]:
    """``ipma``: item ID → the 1-based indices of its properties in ``ipco``, in the order given."""
    out: dict[int, list[int]] = {}
    if end - start < 8:  # version, flags and the entry count: a box too short for them holds nothing
        return out
    version, flags = data[start], data[start + 3]
    pos, count = start + 8, int.from_bytes(data[start + 4 : start + 8], "big")
    id_size, entry_size = (2 if version < 1 else 4), (2 if flags & 1 else 1)
    for _ in range(min(count, 4096)):
        if pos + id_size + 1 > end:
            break
        item = int.from_bytes(data[pos : pos + id_size], "big")
        n = data[pos + id_size]
        pos += id_size + 1
        if pos + n * entry_size > end:
            break
        mask = 0x7FFF if entry_size == 2 else 0x7F
        out[item] = [
            int.from_bytes(data[pos + i * entry_size : pos + (i + 1) * entry_size], "big") & mask for i in range(n)
        ]
        pos += n * entry_size
    return out


def _orientation_of(steps: list[tuple[bytes, int]]) -> int:
    """The EXIF orientation whose uprighting transposition equals the HEIF transforms ``steps`` applied in
    turn: ``irot`` turns anticlockwise by its low two bits × 90°, ``imir`` mirrors about a vertical (axis 0)
    or horizontal (axis 1) axis. Found by applying both to a 2 × 3 probe."""
    probe = np.arange(6, dtype=np.uint8).reshape(2, 3)
    shown = probe
    for kind, value in steps:
        if kind == b"irot":
            shown = np.rot90(shown, value & 3)
            continue
        shown = shown[::-1] if value & 1 else shown[:, ::-1]
    image = Image.fromarray(probe)
    for orientation, op in _TRANSPOSE.items():
        if np.array_equal(np.asarray(image.transpose(op)), shown):
            return orientation
    return 1


def _check_bmff_sizes(header: _HeifHeader, fmt: str, display: str, limits: Limits) -> None:
    """Refuse an AVIF or HEIF file whose images (``ispe``) exceed ``limits.max_pixels``, from the header,
    before libavif or libheif parses it (libavif refuses such files itself, as corrupt)."""
    for width, height in header.sizes:
        if width * height > limits.max_pixels:  # an empty size is left to the decoder, which refuses it
            _check_pixel_count(display, fmt, width, height, limits)


def _count_tiff_frames(img: ImageFile.ImageFile, display: str, limits: Limits) -> int:
    """Frames in a TIFF, counted by walking its directories, refusing more than ``limits.max_pdf_pages``."""
    count = 1
    while True:
        try:
            img.seek(count)
        except EOFError:
            break
        count += 1
        if count > limits.max_pdf_pages:
            raise InputTooLargeError(
                f"{display} has more than {limits.max_pdf_pages} pages (TIFF frames), over the limit; it is not read"
            )
    img.seek(0)
    return count


def _decode_frame(img: ImageFile.ImageFile, index: int, total: int, *, fmt: str, display: str, limits: Limits) -> Page:
    width, height = img.size
    where = f"{display} (page {index + 1})" if total > 1 else display
    _check_pixel_count(where, fmt, width, height, limits)
    img.load()
    orientation = _exif_orientation(img)
    upright: Image.Image = img.transpose(_TRANSPOSE[orientation]) if orientation in _TRANSPOSE else img
    rgb = _pil_to_rgb(upright, where)
    return Page(
        image=rgb,
        index=index,
        source=display,
        pages_total=total,
        dpi=_pil_dpi(img, swapped=orientation >= 5),
        orientation_applied=orientation if orientation in _TRANSPOSE else 1,
    )


def _exif_orientation(img: Image.Image) -> int:
    """The EXIF orientation tag (1–8), or 1 when absent, invalid or unreadable."""
    try:
        value = img.getexif().get(_EXIF_ORIENTATION, 1)
    except _PIL_ERRORS:
        _log.warning("unreadable EXIF metadata; orientation taken as upright")
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _pil_dpi(img: Image.Image, *, swapped: bool) -> float | None:
    dpi = img.info.get("dpi")
    if not isinstance(dpi, tuple) or len(dpi) != 2:
        return None
    try:
        value = float(dpi[1] if swapped else dpi[0])
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) and value > 0 else None


_WHITE: Final = (255, 255, 255)


def _pil_to_rgb(img: Image.Image, where: str) -> npt.NDArray[np.uint8]:
    """``img`` as a read-only H×W×3 uint8 RGB array; transparency is composited on white.

    16- and 32-bit integer grey (``I;16*``, ``I``) is taken as 0–65535 and scaled to 0–255 (Pillow's own
    conversion would clip it). Float grey (``F``, e.g. a scientific TIFF) is taken by its range: 0–1 when no
    value is above 1.5 (a little overshoot from sharpening), else 0–255, else 0–65535 (NaN as 0; Pillow would
    clip a 0–1 image to black).
    """
    mode = img.mode
    if mode.startswith("I;16") or mode == "I":
        grey = np.asarray(img)
        scaled = ((np.clip(grey, 0, 65535).astype(np.uint32) + 128) // 257).astype(np.uint8)
        return _readonly(np.repeat(scaled[:, :, None], 3, axis=2))
    if mode == "F":
        values = np.nan_to_num(np.asarray(img, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        top = float(values.max(initial=0.0))
        full = 1.0 if top <= 1.5 else 255.0 if top <= 255.0 else 65535.0  # 0–1 with a little overshoot too
        grey8 = np.rint(np.clip(values, 0.0, full) * (255.0 / full)).astype(np.uint8)
        return _readonly(np.repeat(grey8[:, :, None], 3, axis=2))
    try:
        if img.has_transparency_data:
            rgba = img.convert("RGBA")
            rgb = Image.new("RGB", rgba.size, _WHITE)
            rgb.paste(rgba, mask=rgba.getchannel("A"))
        elif mode == "RGB":
            rgb = img
        else:
            rgb = img.convert("RGB")
    except ValueError as exc:
        raise InputError(f"{where}: the image's colour mode {mode} cannot be converted to RGB") from exc
    arr = np.asarray(rgb, dtype=np.uint8)
    return _readonly(np.ascontiguousarray(arr))


# --- PDF (PDFium through pypdfium2) ------------------------------------------------------------------------

_PDFIUM_LOCK = threading.Lock()
"""PDFium is not thread-safe, not even across documents: every call into it is made under this lock."""

_FPDF_ERR_FILE: Final = 2
_FPDF_ERR_PASSWORD: Final = 4
_FPDF_ERR_SECURITY: Final = 5
"""PDFium's load error codes (``FPDF_ERR_*``) that get a message of their own."""


def _load_pdf(data: bytes, display: str, limits: Limits) -> tuple[Page, ...]:
    try:
        import pypdfium2 as pdfium  # noqa: PLC0415 - loads the PDFium library: only when a PDF comes
    except ImportError as exc:
        raise DependencyError("reading PDF files needs pypdfium2: pip install pypdfium2") from exc
    with _PDFIUM_LOCK:
        try:
            doc = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise InputError(_pdf_open_message(exc, display)) from exc
        try:
            total = len(doc)
            if total > limits.max_pdf_pages:
                raise InputTooLargeError(
                    f"{display} is a PDF of {total} pages, over the limit of {limits.max_pdf_pages}; it is not read"
                )
            pages = tuple(
                _render_pdf_page(pdfium, doc, i, total, display=display, limits=limits)
                for i in range(min(total, limits.max_pages))
            )
        finally:
            doc.close()
    if total > len(pages):
        _log.info("rendered %d of %d PDF pages (Limits.max_pages)", len(pages), total)
    return pages


def _pdf_open_message(exc: Exception, display: str) -> str:
    err_code = getattr(exc, "err_code", None)
    if err_code is None:  # older pypdfium2 releases name the error only in the message
        text = str(exc).lower()
        err_code = _FPDF_ERR_PASSWORD if "password" in text else _FPDF_ERR_SECURITY if "security" in text else None
    if err_code == _FPDF_ERR_PASSWORD:
        return f"{display} is a password-protected (encrypted) PDF: remove the password and try again"
    if err_code == _FPDF_ERR_SECURITY:
        return f"{display} is an encrypted PDF using an unsupported security scheme"
    if err_code == _FPDF_ERR_FILE:
        return f"{display}: the PDF could not be read"
    return f"{display} is not a valid PDF (it is corrupt, damaged or has no pages)"


def _render_pdf_page(pdfium: Any, doc: Any, index: int, total: int, *, display: str, limits: Limits) -> Page:
    """Render page ``index`` of ``doc`` (caller holds ``_PDFIUM_LOCK``)."""
    error = pdfium.PdfiumError
    where = f"{display} (page {index + 1})"
    try:
        page = doc[index]
    except error as exc:
        raise InputError(f"{where}: the PDF page is damaged and cannot be read") from exc
    try:
        width_pt, height_pt = page.get_size()
        if not (math.isfinite(width_pt) and math.isfinite(height_pt) and width_pt > 0 and height_pt > 0):
            raise InputError(f"{where}: the PDF page has no size")
        scale = _pdf_scale(width_pt, height_pt, limits)
        try:
            bitmap = page.render(scale=scale, rev_byteorder=True, fill_color=(255, 255, 255, 255))
        except (error, ValueError) as exc:
            raise InputError(f"{where}: the PDF page could not be rendered") from exc
        try:
            pixels = bitmap.to_numpy()
            if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):  # we asked for RGB; anything else is a bug
                raise InputError(f"{where}: the PDF page rendered to an unexpected pixel format")
            image = np.array(pixels[:, :, :3], dtype=np.uint8, order="C", copy=True)
        finally:
            bitmap.close()
    finally:
        page.close()
    return Page(
        image=_readonly(image),
        index=index,
        source=display,
        pages_total=total,
        dpi=scale * 72.0,
        orientation_applied=1,
    )


def _pdf_scale(width_pt: float, height_pt: float, limits: Limits) -> float:
    """Render scale (pixels per PDF point) for ``limits.pdf_dpi``, lowered so the bitmap fits ``max_pixels``.

    PDFium sizes the bitmap as ``ceil(width × scale) × ceil(height × scale)``.
    """
    scale = min(limits.pdf_dpi / 72.0, math.sqrt(limits.max_pixels / (width_pt * height_pt)))
    for _ in range(1000):  # only the rounding up is left to absorb: a few steps at most
        if math.ceil(width_pt * scale) * math.ceil(height_pt * scale) <= limits.max_pixels:
            return scale
        scale *= 0.99
    raise InputTooLargeError(f"a PDF page of {width_pt:.0f} × {height_pt:.0f} pt cannot be rendered within max_pixels")


# --- numpy arrays ------------------------------------------------------------------------------------------


def _page_from_array(source: npt.NDArray[np.generic], display: str, limits: Limits) -> Page:
    arr = np.asarray(source)  # an ndarray subclass (matrix, masked array) becomes a plain array
    shape = "×".join(str(n) for n in arr.shape)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise InputError(
            f"{display}: an image array must be H×W or H×W×1 (grey), H×W×3 (RGB) or H×W×4 (RGBA); "
            f"got shape {shape or '()'}"
        )
    height, width = int(arr.shape[0]), int(arr.shape[1])
    if height == 0 or width == 0:
        raise InputError(f"{display}: the image array is empty (shape {shape})")
    if height * width > limits.max_pixels:
        raise InputTooLargeError(
            f"{display}: the image array is {width} × {height} pixels ({_fmt_mp(width * height)}), over the limit "
            f"of {_fmt_mp(limits.max_pixels)}"
        )
    pixels = _array_to_uint8(arr, display)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    channels = pixels.shape[2]
    if channels == 1:
        rgb = np.repeat(pixels, 3, axis=2)
    elif channels == 3:
        rgb = np.array(pixels, dtype=np.uint8, order="C", copy=True)
    else:
        alpha = pixels[:, :, 3:4].astype(np.uint16)
        # Exact integer "over white": (c·a + 255·(255 − a)) / 255, rounded; at most 65,152 fits uint16.
        blended = (pixels[:, :, :3] * alpha + 255 * (255 - alpha) + 127) // 255
        rgb = np.ascontiguousarray(blended.astype(np.uint8))
    return Page(image=_readonly(rgb), index=0, source=display, pages_total=1, dpi=None, orientation_applied=1)


def _array_to_uint8(arr: npt.NDArray[np.generic], display: str) -> npt.NDArray[np.uint8]:
    """``arr`` with values in 0–255 as uint8: see :func:`load_pages` for the conversion of each dtype."""
    if arr.dtype == np.uint8:
        return arr.astype(np.uint8, copy=False)
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * np.uint8(255)
    if arr.dtype == np.uint16:
        return ((arr.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise InputError(f"{display}: the {arr.dtype} image array contains NaN or infinite values")
        if arr.min() < 0 or arr.max() > 1:
            raise InputError(
                f"{display}: a {arr.dtype} image array must hold values in [0, 1]; scale it, or pass uint8 (0–255)"
            )
        work = arr.astype(np.float32 if arr.dtype.itemsize <= 4 else np.float64, copy=False)
        scaled: npt.NDArray[np.uint8] = np.rint(work * 255).astype(np.uint8)
        return scaled
    raise InputError(
        f"{display}: image arrays of dtype {arr.dtype} are not supported; use uint8 (0–255), uint16, bool "
        "or float in [0, 1]"
    )


# --- helpers -----------------------------------------------------------------------------------------------


def _readonly(arr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    arr.setflags(write=False)
    return arr


def _display(name: str) -> str:
    """``name`` made printable and UTF-8-safe: undecodable file-name bytes become ``\\xff``, control characters
    are escaped, so an error message can always be printed and logged."""
    try:
        raw = os.fsencode(name)  # undoes the surrogateescape of a file name read from the OS
    except UnicodeEncodeError:  # other lone surrogates: not from the OS, escape them as they are
        raw = name.encode("utf-8", "backslashreplace")
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _fmt_bytes(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"


def _fmt_mp(pixels: int) -> str:
    if pixels < 100_000:
        return f"{pixels:,} pixels"
    return f"{pixels / 1_000_000:.1f} megapixels"


def display_name(path: str) -> str:
    """How a file path appears in reports and messages (printable and UTF-8-safe); see :attr:`Page.source`."""
    return _display(path)


__all__ = ["Page", "Source", "display_name", "load_page", "load_pages"]
