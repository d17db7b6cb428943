"""The input stage: every supported format, EXIF orientation, the limits, and the catalogue of bad inputs.

Every fixture is generated here at test time: images with Pillow, PDFs with Pillow's PDF writer or written
object by object, and the hostile files (a PNG header claiming 60,000 × 60,000 pixels, a 5,000-page PDF, an
RC4-encrypted PDF) crafted byte by byte. HEIC, which Pillow cannot write, comes from the fuzzing seed corpus
(``tests/corpus/seed.heic``, a few KB).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import struct
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, features

from badinputs import pdf_from_objects, png_with_header
from docverify import io as docverify_io
from docverify.config import DEFAULT_LIMITS, Limits
from docverify.errors import DependencyError, InputError, InputTooLargeError
from docverify.io import Page, load_page, load_pages

CORPUS = Path(__file__).resolve().parent / "corpus"
RED = (255, 0, 0)
BLUE = (0, 0, 255)
GREEN = (0, 255, 0)
GREY = (128, 128, 128)


# --- fixture builders ---------------------------------------------------------------------------------------


def two_colour(size: tuple[int, int] = (40, 30)) -> Image.Image:
    """An RGB image, ``size`` = (width, height): left half red, right half blue."""
    img = Image.new("RGB", size, RED)
    img.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return img


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def close_to(pixel: np.ndarray, colour: tuple[int, int, int], tol: int = 0) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(colour)) <= tol))


def blank_pdf(pages: int, size: tuple[float, float] = (72, 72)) -> bytes:
    """A PDF of ``pages`` empty pages of ``size`` points, written by hand: cheap even for thousands of pages."""
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] >>" % size
    return pdf_from_objects(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages)]
        + [page] * pages
    )


_PDF_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def encrypted_pdf(user_password: bytes, owner_password: bytes) -> bytes:
    """A one-page PDF encrypted with the standard security handler, revision 2 (40-bit RC4), as in
    ISO 32000-1 §7.6.3 algorithms 2–4: it opens only with one of the two passwords."""
    permissions = -4
    file_id = hashlib.md5(b"docverify test").digest()
    owner_key = hashlib.md5((owner_password + _PDF_PAD)[:32]).digest()[:5]
    o_value = rc4(owner_key, (user_password + _PDF_PAD)[:32])
    key = hashlib.md5((user_password + _PDF_PAD)[:32] + o_value + struct.pack("<i", permissions) + file_id).digest()[:5]
    u_value = rc4(key, _PDF_PAD)
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>" % (
        o_value.hex().encode(),
        u_value.hex().encode(),
        permissions,
    )
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
            encrypt,
        ],
        trailer_extra=b"/Encrypt 4 0 R /ID [<%s> <%s>] " % (file_id.hex().encode(), file_id.hex().encode()),
    )


def assert_rgb_page(page: Page) -> None:
    img = page.image
    assert img.ndim == 3 and img.shape[2] == 3
    assert img.dtype == np.uint8
    assert img.flags.c_contiguous
    assert not img.flags.writeable


# --- formats --------------------------------------------------------------------------------------------------

RASTER_FORMATS = [
    ("JPEG", {"quality": 95}, 40),
    ("PNG", {}, 0),
    ("TIFF", {}, 0),
    ("BMP", {}, 0),
    ("GIF", {}, 0),
    ("WEBP", {"lossless": True}, 0),
    ("WEBP", {"quality": 90}, 40),
    ("JPEG2000", {}, 0),  # lossless by default
    ("JPEG2000", {"quality_mode": "rates", "quality_layers": [20], "irreversible": True}, 40),
    ("AVIF", {"quality": 90}, 40),
]


@pytest.mark.parametrize(("fmt", "params", "tol"), RASTER_FORMATS, ids=[f"{f}-{p}" for f, p, _ in RASTER_FORMATS])
def test_each_raster_format_loads_as_rgb(tmp_path: Path, fmt: str, params: dict[str, object], tol: int) -> None:
    feature = {"WEBP": "webp", "JPEG2000": "jpg_2000", "AVIF": "avif"}.get(fmt)
    if feature is not None and not features.check(feature):
        pytest.skip(f"this Pillow build cannot write {fmt}")
    path = write(tmp_path / f"scan.{fmt.lower()}", encode(two_colour(), fmt, **params))
    (page,) = load_pages(path)
    assert_rgb_page(page)
    assert page.image.shape == (30, 40, 3)
    assert close_to(page.image[15, 5], RED, tol)
    assert close_to(page.image[15, 35], BLUE, tol)
    assert (page.index, page.pages_total, page.orientation_applied) == (0, 1, 1)
    assert page.source == str(path)


def test_format_comes_from_the_bytes_not_the_extension(tmp_path: Path) -> None:
    png_named_jpg = write(tmp_path / "scan.jpg", encode(two_colour(), "PNG"))
    jpeg_named_pdf = write(tmp_path / "scan.pdf", encode(two_colour(), "JPEG"))
    no_extension = write(tmp_path / "scan", encode(two_colour(), "BMP"))
    for path in (png_named_jpg, jpeg_named_pdf, no_extension):
        assert close_to(load_page(path).image[15, 5], RED, 40)


def test_bytes_give_the_same_pixels_as_the_file(tmp_path: Path) -> None:
    data = encode(two_colour(), "PNG")
    from_file = load_page(write(tmp_path / "a.png", data))
    from_bytes = load_page(data)
    assert np.array_equal(from_file.image, from_bytes.image)
    assert from_bytes.source == "<bytes>"
    assert load_page(bytearray(data), name="upload.png").source == "upload.png"
    assert np.array_equal(load_page(memoryview(data)).image, from_file.image)


def test_string_path_and_pathlib_path_are_both_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "a.png", encode(two_colour(), "PNG"))
    assert np.array_equal(load_page(str(path)).image, load_page(path).image)
    assert load_page(path, name="front side").source == "front side"


def test_dpi_comes_from_image_metadata() -> None:
    assert load_page(encode(two_colour(), "PNG", dpi=(300, 300))).dpi == pytest.approx(300, abs=0.1)
    assert load_page(encode(two_colour(), "PNG")).dpi is None
    assert load_page(np.zeros((4, 4), np.uint8)).dpi is None


def tiff_of(colours: list[tuple[int, int, int]]) -> bytes:
    frames = [Image.new("RGB", (20, 10), c) for c in colours]
    return encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])


def test_multipage_tiff_gives_one_page_per_frame() -> None:
    pages = load_pages(tiff_of([RED, GREEN, BLUE]))
    assert [p.index for p in pages] == [0, 1, 2]
    assert all(p.pages_total == 3 for p in pages)
    for page, colour in zip(pages, [RED, GREEN, BLUE], strict=True):
        assert_rgb_page(page)
        assert close_to(page.image[5, 10], colour)


def test_multipage_tiff_beyond_max_pages_is_cut_and_says_so() -> None:
    pages = load_pages(tiff_of([RED, GREEN, BLUE]), limits=Limits(max_pages=2))
    assert len(pages) == 2
    assert pages[-1].pages_total == 3
    assert close_to(pages[1].image[5, 10], GREEN)


def test_tiff_with_more_frames_than_the_hard_cap_is_refused() -> None:
    with pytest.raises(InputTooLargeError, match="more than 3 pages"):
        load_pages(tiff_of([RED, GREEN, BLUE, RED]), limits=Limits(max_pages=1, max_pdf_pages=3))


def pillow_pdf(colours: list[tuple[int, int, int]], size: tuple[int, int] = (60, 80)) -> bytes:
    frames = [Image.new("RGB", size, c) for c in colours]
    return encode(frames[0], "PDF", save_all=True, append_images=frames[1:], resolution=72.0)


def test_pdf_renders_every_page_at_the_configured_dpi(tmp_path: Path) -> None:
    path = write(tmp_path / "bundle.pdf", pillow_pdf([RED, GREEN, BLUE]))
    pages = load_pages(path)
    assert len(pages) == 3
    for index, (page, colour) in enumerate(zip(pages, [RED, GREEN, BLUE], strict=True)):
        assert_rgb_page(page)
        assert (page.index, page.pages_total) == (index, 3)
        assert page.dpi == pytest.approx(300)
        # 60 × 80 pt at 300 dpi: 250 × 333.3 px, rounded up by PDFium
        assert abs(page.height - 334) <= 1 and abs(page.width - 250) <= 1
        assert close_to(page.image[page.height // 2, page.width // 2], colour, 8)


def test_pdf_page_rotation_is_honoured() -> None:
    content = b"1 0 0 rg 0 0 50 50 re f"  # a red square in the page's bottom-left corner
    data = pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 200] /Rotate 90 /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        ]
    )
    (page,) = load_pages(data, limits=Limits(pdf_dpi=72))
    assert page.image.shape == (100, 200, 3)  # portrait page shown turned a quarter clockwise: landscape
    assert close_to(page.image[10, 10], RED)  # bottom-left corner turned clockwise lands top-left
    assert close_to(page.image[90, 190], (255, 255, 255))


def test_pdf_dpi_is_lowered_so_a_page_fits_max_pixels() -> None:
    a4 = blank_pdf(1, size=(595, 842))
    (page,) = load_pages(a4, limits=Limits(max_pixels=100_000))
    assert page.width * page.height <= 100_000
    assert page.width * page.height > 90_000  # lowered just enough, not more
    assert 30 < page.dpi < 300  # type: ignore[operator]
    assert close_to(page.image[0, 0], (255, 255, 255))  # empty page rendered on white
    for tiny in (1, 2, 7):  # the smallest limits still end (at most a few hundred steps of lowering)
        (page,) = load_pages(blank_pdf(1, size=(20, 14400)), limits=Limits(max_pixels=tiny))
        assert page.width * page.height <= tiny


def test_pdf_with_more_pages_than_max_pages_renders_the_first_ones() -> None:
    pages = load_pages(blank_pdf(12), limits=Limits(pdf_dpi=72))
    assert len(pages) == DEFAULT_LIMITS.max_pages == 10
    assert [p.index for p in pages] == list(range(10))
    assert all(p.pages_total == 12 for p in pages)


def test_load_page_decodes_only_the_first_page() -> None:
    page = load_page(pillow_pdf([RED, GREEN, BLUE]))
    assert (page.index, page.pages_total) == (0, 3)
    assert close_to(page.image[10, 10], RED, 8)


def test_pdfs_load_concurrently_from_several_threads() -> None:
    data = pillow_pdf([RED, GREEN])
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                results.append(len(load_pages(data, limits=Limits(pdf_dpi=72))))
        except BaseException as exc:  # collected and re-checked in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [2] * 12


# --- colour modes -------------------------------------------------------------------------------------------


def _palette_with_transparency() -> Image.Image:
    img = Image.new("P", (4, 4), 1)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    img.info["transparency"] = 0  # index 0 transparent; the image uses index 1 (red)
    img.putpixel((0, 0), 0)
    return img


MODES = [
    ("L", lambda: Image.new("L", (4, 4), 100), "PNG", (1, 1), (100, 100, 100)),
    ("LA transparent", lambda: Image.new("LA", (4, 4), (100, 0)), "PNG", (1, 1), (255, 255, 255)),
    ("RGBA half", lambda: Image.new("RGBA", (4, 4), (255, 0, 0, 128)), "PNG", (1, 1), (255, 127, 127)),
    ("P", lambda: Image.new("RGB", (4, 4), RED).convert("P"), "PNG", (1, 1), RED),
    ("P transparency", _palette_with_transparency, "PNG", (0, 0), (255, 255, 255)),
    ("P opaque pixel", _palette_with_transparency, "PNG", (1, 1), RED),
    ("CMYK", lambda: Image.new("CMYK", (4, 4), (0, 255, 255, 0)), "TIFF", (1, 1), RED),
    ("I;16", lambda: Image.fromarray(np.full((4, 4), 25700, np.uint16)), "PNG", (1, 1), (100, 100, 100)),
    ("I;16 max", lambda: Image.fromarray(np.full((4, 4), 65535, np.uint16)), "PNG", (1, 1), (255, 255, 255)),
    ("F 0-1", lambda: Image.fromarray(np.full((4, 4), 100 / 255, np.float32)), "TIFF", (1, 1), (100, 100, 100)),
    ("F 0-255", lambda: Image.fromarray(np.full((4, 4), 100.0, np.float32)), "TIFF", (1, 1), (100, 100, 100)),
    ("F 0-65535", lambda: Image.fromarray(np.full((4, 4), 25700.0, np.float32)), "TIFF", (1, 1), (100, 100, 100)),
    ("F NaN", lambda: Image.fromarray(np.full((4, 4), np.nan, np.float32)), "TIFF", (1, 1), (0, 0, 0)),
    ("1", lambda: Image.new("1", (4, 4), 1), "PNG", (1, 1), (255, 255, 255)),
    ("1 black", lambda: Image.new("1", (4, 4), 0), "BMP", (1, 1), (0, 0, 0)),
]


@pytest.mark.parametrize(("label", "make", "fmt", "yx", "expected"), MODES, ids=[m[0] for m in MODES])
def test_every_colour_mode_becomes_rgb_with_alpha_on_white(
    label: str, make: object, fmt: str, yx: tuple[int, int], expected: tuple[int, int, int]
) -> None:
    page = load_page(encode(make(), fmt))  # type: ignore[operator]
    assert_rgb_page(page)
    assert close_to(page.image[yx], expected, 1), (label, page.image[yx])


# --- EXIF orientation ---------------------------------------------------------------------------------------


def oriented_jpeg(orientation: int) -> bytes:
    """A 40 × 20 (width × height) grey JPEG with a red 10 × 10 block in its stored top-left corner."""
    img = Image.new("RGB", (40, 20), GREY)
    img.paste(RED, (0, 0, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(img, "JPEG", quality=95, exif=exif.tobytes())


@pytest.mark.parametrize(
    ("orientation", "shape", "marker_yx"),
    [
        (1, (20, 40), (4, 4)),  # upright: stays top-left
        (3, (20, 40), (15, 35)),  # stored upside down: the marker ends bottom-right
        (6, (40, 20), (4, 15)),  # display rotated 90° clockwise: top-left goes top-right
        (8, (40, 20), (35, 4)),  # display rotated 90° counter-clockwise: top-left goes bottom-left
    ],
)
def test_exif_orientation_is_undone(orientation: int, shape: tuple[int, int], marker_yx: tuple[int, int]) -> None:
    page = load_page(oriented_jpeg(orientation))
    assert page.image.shape[:2] == shape
    assert page.orientation_applied == orientation
    assert close_to(page.image[marker_yx], RED, 40)
    # and the opposite corner is grey
    opposite = (shape[0] - 1 - marker_yx[0], shape[1] - 1 - marker_yx[1])
    assert close_to(page.image[opposite], GREY, 20)


def test_invalid_exif_orientation_is_treated_as_upright() -> None:
    page = load_page(oriented_jpeg(42))
    assert page.orientation_applied == 1
    assert page.image.shape[:2] == (20, 40)


# --- numpy arrays -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.full((5, 7), 100, np.uint8), (100, 100, 100)),
        (np.full((5, 7, 1), 100, np.uint8), (100, 100, 100)),
        (np.tile(np.array([10, 20, 30], np.uint8), (5, 7, 1)), (10, 20, 30)),  # RGB kept as RGB
        (np.tile(np.array([255, 0, 0, 0], np.uint8), (5, 7, 1)), (255, 255, 255)),  # fully transparent
        (np.tile(np.array([255, 0, 0, 255], np.uint8), (5, 7, 1)), (255, 0, 0)),  # opaque
        (np.tile(np.array([255, 0, 0, 128], np.uint8), (5, 7, 1)), (255, 127, 127)),
        (np.ones((5, 7), bool), (255, 255, 255)),
        (np.full((5, 7), 25700, np.uint16), (100, 100, 100)),
        (np.full((5, 7, 3), 0.5, np.float32), (128, 128, 128)),
        (np.full((5, 7), 1.0, np.float64), (255, 255, 255)),
    ],
    ids=["gray", "gray1", "rgb", "rgba-clear", "rgba-opaque", "rgba-half", "bool", "uint16", "float32", "float64"],
)
def test_arrays_of_each_accepted_shape_and_dtype(array: np.ndarray, expected: tuple[int, int, int]) -> None:
    (page,) = load_pages(array)
    assert_rgb_page(page)
    assert page.image.shape == (5, 7, 3)
    assert close_to(page.image[2, 3], expected, 1), page.image[2, 3]
    assert (page.source, page.pages_total, page.dpi) == ("<array>", 1, None)


def test_arrays_are_copied_and_made_contiguous() -> None:
    base = np.zeros((10, 10, 3), np.uint8)
    view = base[::2, ::2]  # not contiguous
    page = load_page(view)
    assert page.image.flags.c_contiguous
    base[:] = 200
    assert page.image.max() == 0  # the caller's later writes do not reach the page
    with pytest.raises(ValueError, match="read-only"):
        page.image[0, 0, 0] = 1


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.zeros((0, 5), np.uint8), "empty"),
        (np.zeros((5, 0, 3), np.uint8), "empty"),
        (np.zeros(5, np.uint8), "got shape 5"),
        (np.zeros((2, 2, 2, 3), np.uint8), "got shape 2×2×2×3"),
        (np.zeros((5, 5, 5), np.uint8), "H×W×3"),
        (np.zeros((5, 5), np.int32), "dtype int32 are not supported"),
        (np.zeros((5, 5), object), "dtype object are not supported"),
        (np.full((5, 5), 2.0), r"values in \[0, 1\]"),
        (np.full((5, 5), -0.1, np.float32), r"values in \[0, 1\]"),
        (np.full((5, 5), np.nan), "NaN"),
        (np.array(3, np.uint8), r"got shape \(\)"),
    ],
)
def test_unusable_arrays_are_refused_clearly(array: np.ndarray, words: str) -> None:
    with pytest.raises(InputError, match=words) as info:
        load_pages(array, name="frame 7")
    assert type(info.value) is InputError
    assert "frame 7" in str(info.value)


def test_array_over_max_pixels_is_refused() -> None:
    with pytest.raises(InputTooLargeError, match="over the limit"):
        load_pages(np.zeros((11, 10), np.uint8), limits=Limits(max_pixels=100))
    assert load_page(np.zeros((10, 10), np.uint8), limits=Limits(max_pixels=100)).image.shape == (10, 10, 3)


# --- limits -------------------------------------------------------------------------------------------------


def test_file_over_max_bytes_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.jpg"
    with big.open("wb") as f:
        f.truncate(200 * 1024**2)  # sparse: 200 MiB on paper, nothing on disk
    start = time.perf_counter()
    with pytest.raises(InputTooLargeError, match=r"200\.0 MiB, over the limit of 50\.0 MiB"):
        load_pages(big)
    assert time.perf_counter() - start < 1.0


def test_bytes_over_max_bytes_are_refused(tmp_path: Path) -> None:
    data = encode(two_colour(), "PNG")
    limits = Limits(max_bytes=len(data) - 1)
    with pytest.raises(InputTooLargeError, match="over the limit"):
        load_pages(data, limits=limits)
    with pytest.raises(InputTooLargeError, match="over the limit"):
        load_pages(write(tmp_path / "a.png", data), limits=limits)
    assert load_page(data, limits=Limits(max_bytes=len(data))).image.shape == (30, 40, 3)


def test_image_over_max_pixels_is_refused_before_decoding() -> None:
    data = encode(two_colour((40, 30)), "PNG")
    with pytest.raises(InputTooLargeError, match="40 × 30 pixels"):
        load_pages(data, limits=Limits(max_pixels=40 * 30 - 1))
    assert load_page(data, limits=Limits(max_pixels=40 * 30)).image.shape == (30, 40, 3)


def test_pillow_bomb_guard_is_converted_and_its_global_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    before = Image.MAX_IMAGE_PIXELS
    load_pages(encode(two_colour(), "PNG"))
    assert before == Image.MAX_IMAGE_PIXELS  # docverify does not change Pillow's global
    # A host application that lowers Pillow's guard: Pillow's own error never escapes as itself.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(InputTooLargeError, match="decompression bomb"):
        load_pages(tiff_of([RED]))  # TIFF re-checks its tile size when decoding
    # ... while our own limit is the one that decides for formats checked only at open time.
    assert load_page(encode(two_colour(), "PNG")).image.shape == (30, 40, 3)


def test_limits_are_validated() -> None:
    assert Limits() == DEFAULT_LIMITS
    assert (Limits().max_bytes, Limits().max_pixels, Limits().max_pages, Limits().max_pdf_pages) == (
        50 * 1024 * 1024,
        50_000_000,
        10,
        200,
    )
    for bad in ({"max_pages": 0}, {"max_bytes": -1}, {"pdf_dpi": float("nan")}, {"max_pixels": True}):
        with pytest.raises(ValueError, match="Limits"):
            Limits(**bad)
    for bad in ({"max_pages": 2.5}, {"max_pixels": 0.5}, {"max_pdf_pages": 0.5}, {"max_bytes": 1e6 + 0.5}):
        with pytest.raises(ValueError, match="Limits"):  # counts are whole numbers (0.5 px hung PDF rendering)
            Limits(**bad)  # type: ignore[arg-type]
    whole: Any = 5e7  # a float that is a whole number is taken as its integer
    assert Limits(max_pixels=whole).max_pixels == 50_000_000 and isinstance(Limits(max_pixels=whole).max_pixels, int)
    with pytest.raises(ValueError, match="must not exceed"):
        Limits(max_pages=300, max_pdf_pages=200)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Limits().max_pages = 3  # type: ignore[misc]


# --- the catalogue of bad inputs ----------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.jpg", b"")
    with pytest.raises(InputError, match=r"empty\.jpg is empty \(0 bytes\)"):
        load_pages(path)
    with pytest.raises(InputError, match="empty"):
        load_pages(b"")


def test_text_file_named_jpg(tmp_path: Path) -> None:
    path = write(tmp_path / "photo.jpg", b"Name: Anna Eriksson\nPassport: L898902C3\n")
    with pytest.raises(InputError, match=r"photo\.jpg is a text file, not an image or PDF") as info:
        load_pages(path)
    assert "Eriksson" not in str(info.value)  # never document content in a message


def test_unknown_binary_and_known_unsupported_formats() -> None:
    with pytest.raises(InputError, match="not a supported image or PDF"):
        load_pages(bytes(range(256)))
    with pytest.raises(InputError, match="is a text file"):
        load_pages(b"BMW service record, 2019\n")  # starts like a BMP, is not one
    mp4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64)
    with pytest.raises(InputError, match=r"clip\.mp4 is a video or another ISO media file, not a supported image"):
        load_pages(mp4, name="clip.mp4")
    with pytest.raises(InputError, match="the HEIC/HEIF image is truncated or corrupt"):
        load_pages(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", name="IMG_0001.HEIC")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "JPEG2000", "AVIF"])
def test_truncated_image(tmp_path: Path, fmt: str) -> None:
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    data = encode(noisy, fmt)
    path = write(tmp_path / f"cut.{fmt.lower()}", data[: len(data) // 2])
    name = {"JPEG2000": "JPEG 2000"}.get(fmt, fmt)
    with pytest.raises(InputError, match=f"the {name} image is truncated or corrupt") as info:
        load_pages(path)
    assert type(info.value) is InputError
    assert "cut." in str(info.value)


# --- HEIC/HEIF, AVIF (ISO media files) ---------------------------------------------------------------------


def test_heic_primary_image_is_decoded_upright() -> None:
    """The HEIC seed of the fuzzing corpus (Pillow cannot write HEIC, so it is the one committed image used
    here): stored turned a quarter, with the file's own ``irot`` turn (270° anticlockwise), which libheif
    applies and which is reported as the EXIF orientation it amounts to."""
    (page,) = load_pages(CORPUS / "seed.heic")
    assert_rgb_page(page)
    reference = load_page(CORPUS / "seed.avif")  # the same crop, stored upright
    assert page.image.shape == reference.image.shape
    assert page.orientation_applied == 6
    diff = np.abs(page.image.astype(int) - reference.image.astype(int)).mean()
    assert diff < 20, diff  # the same picture (two lossy codecs: 11.5); turned or mirrored: 44 and more


@pytest.mark.parametrize(("angle", "shape", "orientation"), [(0, (476, 72), 1), (1, (72, 476), 8), (2, (476, 72), 3)])
def test_heif_orientation_is_the_files_own_turn(angle: int, shape: tuple[int, int], orientation: int) -> None:
    """The turn comes from the primary image's ``irot`` property (libheif applies it; an EXIF tag in a HEIF
    file is not what decides): the seed with its ``irot`` angle rewritten."""
    data = bytearray((CORPUS / "seed.heic").read_bytes())
    data[data.index(b"irot") + 4] = angle
    page = load_page(bytes(data))
    assert page.image.shape[:2] == shape
    assert page.orientation_applied == orientation


def test_truncated_or_damaged_heic_is_a_clear_error() -> None:
    data = (CORPUS / "seed.heic").read_bytes()
    for damaged in (data[: len(data) // 2], data[:200], data[:40] + bytes(len(data) - 40)):
        with pytest.raises(InputError, match=r"IMG\.HEIC: the HEIC/HEIF image is truncated or corrupt"):
            load_pages(damaged, name="IMG.HEIC")


def _with_ispe(data: bytes, width: int, height: int) -> bytes:
    out = bytearray(data)
    at = data.index(b"ispe")
    struct.pack_into(">II", out, at + 8, width, height)
    return bytes(out)


@pytest.mark.parametrize("seed", ["seed.heic", "seed.avif"])
def test_heif_and_avif_over_max_pixels_are_refused_from_the_header(seed: str) -> None:
    data = _with_ispe((CORPUS / seed).read_bytes(), 60_000, 60_000)
    start = time.perf_counter()
    with pytest.raises(InputTooLargeError, match="60000 × 60000 pixels") as info:
        load_pages(data, name="bomb")
    assert time.perf_counter() - start < 1.0
    assert "it was not decoded" in str(info.value)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_heif_header_parser_never_raises_on_damaged_boxes() -> None:
    """The header is read before any decoder (sizes, turn): every truncation of the seeds and random byte
    changes in their ``meta`` box give a result, never an exception — and through ``load_pages`` an
    ``InputError``. Regression: an empty ``ipma`` box at the very end of a file raised IndexError."""
    rng = np.random.default_rng(5)
    for seed in ("seed.heic", "seed.avif"):
        data = (CORPUS / seed).read_bytes()
        meta_end = data.index(b"mdat")
        for cut in range(len(data[:meta_end])):
            docverify_io._heif_header(data[:cut])
        for _ in range(300):
            damaged = bytearray(data)
            for pos in rng.integers(8, meta_end, 4):
                damaged[pos] = int(rng.integers(0, 256))
            docverify_io._heif_header(bytes(damaged))
    ftyp = _box(b"ftyp", b"heic\0\0\0\0mif1heic")
    empty_ipma_last = ftyp + _box(b"meta", b"\0\0\0\0" + _box(b"iprp", _box(b"ipma", b"")))
    assert docverify_io._heif_header(empty_ipma_last).sizes == ()
    with pytest.raises(InputError, match="the HEIC/HEIF image is truncated or corrupt"):
        load_pages(empty_ipma_last)


def test_avif_exif_orientation_is_undone() -> None:
    img = Image.new("RGB", (40, 20), GREY)
    img.paste(RED, (0, 0, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6
    page = load_page(encode(img, "AVIF", quality=95, exif=exif.tobytes()))
    assert page.image.shape[:2] == (40, 20)
    assert page.orientation_applied == 6
    assert close_to(page.image[4, 15], RED, 40)


def test_av1_image_under_the_generic_heif_brands_alone_is_read_as_avif() -> None:
    """An AV1-coded image whose ``ftyp`` names only the generic brands (``mif1``, ``miaf``), as some encoders
    write it: its ``av1C`` property says AV1, so it is read as AVIF (libavif itself refuses such a file, and
    the HEIF decoder has no AV1), not refused as a corrupt HEIC. The seed AVIF with its brands rewritten."""
    data = (CORPUS / "seed.avif").read_bytes()
    n = int.from_bytes(data[:4], "big")
    ftyp = data[:8] + b"mif1" + data[12:16] + data[16:n].replace(b"avif", b"mif1").replace(b"avis", b"msf1")
    assert b"avif" not in ftyp and b"avis" not in ftyp
    page = load_page(ftyp + data[n:])
    reference = load_page(CORPUS / "seed.avif")
    assert np.array_equal(page.image, reference.image)
    hevc = (CORPUS / "seed.heic").read_bytes()  # an HEVC image keeps going to the HEIF decoder
    assert docverify_io._sniff(hevc) == "HEIC/HEIF"


def test_missing_heif_decoder_is_a_dependency_error(monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = "import sys\nsys.modules['pi_heif'] = None\n" + docverify_io._HEIF_CHILD  # the import fails
    monkeypatch.setattr(docverify_io, "_HEIF_CHILD", blocked)
    with pytest.raises(DependencyError, match="pip install pi-heif"):
        load_pages(CORPUS / "seed.heic")


def test_a_heif_file_that_crashes_its_decoder_is_an_input_error() -> None:
    """A fuzzed HEIC (an Exif item's type no longer ASCII) on which pi-heif 1.4 segfaults while reading the
    metadata: the decoder runs in a child process, so this process gets an InputError, not a crash."""
    with pytest.raises(InputError, match=r"IMG\.HEIC: the HEIC/HEIF image is truncated or corrupt") as info:
        load_pages((CORPUS / "crash-heif-metadata.heic").read_bytes(), name="IMG.HEIC")
    assert type(info.value) is InputError
    assert "its decoder crashed on it" in str(info.value)  # the crash path itself (pi-heif 1.4.0)


def test_the_heif_child_runs_nothing_from_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module planted beside the uploads (``json.py`` shadows the standard library) is not imported by
    the child, which starts isolated (``python -I``)."""
    (tmp_path / "json.py").write_text("raise SystemExit('planted module ran')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    (page,) = load_pages(CORPUS / "seed.heic")
    assert page.image.shape == (72, 476, 3)


def test_a_heif_child_answer_that_makes_no_sense_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for head in ('{"size": [0, 5], "mode": "RGB"}', '{"mode": "RGB"}', '{"size": [4, 4], "mode": "RGB"}'):
        child = f"import sys\nh = {head!r}.encode()\nsys.stdout.buffer.write(len(h).to_bytes(4, 'big') + h + b'x')"
        monkeypatch.setattr(docverify_io, "_HEIF_CHILD", child)
        with pytest.raises(InputError, match=r"truncated or corrupt|has no pixels"):
            load_pages(CORPUS / "seed.heic")


def test_a_heif_child_that_cannot_start_is_a_dependency_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that dies before it answers (a broken environment, not the file) is not called a corrupt image."""
    monkeypatch.setattr(docverify_io, "_HEIF_CHILD", "raise ImportError('no module named PIL')")
    with pytest.raises(DependencyError, match="failed to start: ImportError: no module named PIL"):
        load_pages(CORPUS / "seed.heic")


def test_a_crash_or_hang_of_the_heif_child_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docverify_io, "_HEIF_CHILD", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
    with pytest.raises(InputError, match="its decoder crashed on it, in a separate process"):
        load_pages(CORPUS / "seed.heic")
    monkeypatch.setattr(docverify_io, "_HEIF_CHILD", "import time\ntime.sleep(30)")
    monkeypatch.setattr(docverify_io, "HEIF_TIMEOUT_S", 0.5)
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"took over 0\.5 s to decode"):
        load_pages(CORPUS / "seed.heic")
    assert time.perf_counter() - start < 5


def test_png_header_claiming_60000_by_60000_is_refused_without_decoding() -> None:
    data = png_with_header(60_000, 60_000)
    start = time.perf_counter()
    with pytest.raises(InputTooLargeError, match="60000 × 60000 pixels") as info:
        load_pages(data, name="bomb.png")
    assert time.perf_counter() - start < 1.0
    assert "bomb.png" in str(info.value)
    assert "it was not decoded" in str(info.value)


def test_one_by_one_image() -> None:
    (page,) = load_pages(encode(Image.new("RGB", (1, 1), GREEN), "PNG"))
    assert page.image.shape == (1, 1, 3)
    assert close_to(page.image[0, 0], GREEN)


def test_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (10, 10), c) for c in (RED, GREEN, BLUE)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(io.BytesIO(data)) as gif:
        assert getattr(gif, "n_frames", 1) == 3  # the fixture really is animated
    pages = load_pages(data)
    assert len(pages) == 1
    assert pages[0].pages_total == 1
    assert close_to(pages[0].image[5, 5], RED)


def test_animated_webp_gives_its_first_frame() -> None:
    if not features.check("webp"):
        pytest.skip("this Pillow build has no WebP support")
    frames = [Image.new("RGB", (10, 10), c) for c in (RED, GREEN, BLUE)]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)
    pages = load_pages(data)
    assert len(pages) == 1
    assert close_to(pages[0].image[5, 5], RED)


def test_pdf_with_5000_pages_is_refused_without_rendering() -> None:
    data = blank_pdf(5000)
    start = time.perf_counter()
    with pytest.raises(InputTooLargeError, match="PDF of 5000 pages, over the limit of 200"):
        load_pages(data, name="dump.pdf")
    assert time.perf_counter() - start < 2.0


def test_encrypted_pdf() -> None:
    data = encrypted_pdf(b"secret", b"owner")
    import pypdfium2

    with pypdfium2.PdfDocument(data, password="secret") as doc:  # the fixture is genuinely encrypted
        assert len(doc) == 1
    with pytest.raises(InputError, match="password-protected") as info:
        load_pages(data, name="locked.pdf")
    assert "locked.pdf" in str(info.value)


def test_encrypted_pdf_with_an_empty_user_password_opens() -> None:
    (page,) = load_pages(encrypted_pdf(b"", b"owner"), limits=Limits(pdf_dpi=72))
    assert page.image.shape == (72, 72, 3)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\nthis is not a pdf body\n",
        pdf_from_objects([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]),
        blank_pdf(3)[:40],
    ],
    ids=["garbage", "no-pages", "truncated"],
)
def test_corrupt_pdf(data: bytes) -> None:
    with pytest.raises(InputError, match="not a valid PDF") as info:
        load_pages(data, name="broken.pdf")
    assert type(info.value) is InputError


def test_directory_passed_as_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder, not a file"):
        load_pages(tmp_path)


def test_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.png does not exist"):
        load_pages(tmp_path / "nope.png")
    a_file = write(tmp_path / "file", b"x")
    with pytest.raises(InputError, match="does not exist"):
        load_pages(a_file / "child.png")


def test_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this OS")
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        load_pages(fifo)


def test_permission_denied_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "locked.png", encode(two_colour(), "PNG"))
    real_open = os.open

    def refusing_open(p: object, flags: int, *args: object) -> int:
        if os.fspath(p) == str(path):  # type: ignore[call-overload]
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(p, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(InputError, match=r"locked\.png cannot be read: permission denied"):
        load_pages(path)


def test_non_utf8_file_name(tmp_path: Path) -> None:
    path = tmp_path / os.fsdecode(b"scan\xff.png")
    try:
        path.write_bytes(encode(two_colour(), "PNG"))
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take non-UTF-8 file names")
    page = load_page(path)
    assert page.image.shape == (30, 40, 3)
    assert page.source.endswith("scan\\xff.png")
    page.source.encode("utf-8")  # printable anywhere: no lone surrogates
    missing = tmp_path / os.fsdecode(b"gone\xfe.png")
    with pytest.raises(InputError, match="does not exist") as info:
        load_pages(missing)
    str(info.value).encode("utf-8")
    assert "gone\\xfe.png" in str(info.value)


def test_control_characters_in_names_are_escaped() -> None:
    with pytest.raises(InputError) as info:
        load_pages(b"", name="evil\nname\x1b[31m")
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)
    assert "evil\\nname\\x1b[31m" in str(info.value)


def test_unsupported_source_type() -> None:
    with pytest.raises(InputError, match="cannot load an input of type int"):
        load_pages(42)  # type: ignore[arg-type]


def test_every_failure_is_a_docverify_error_never_a_library_exception() -> None:
    """A sweep of damaged files: each one loads or raises InputError, never a Pillow or PDFium exception
    (pytest turns warnings into errors here, so Pillow's warnings about damaged metadata are covered too)."""
    rng = np.random.default_rng(1)
    noisy = Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    good = [encode(noisy, fmt) for fmt in ("JPEG", "PNG", "TIFF", "BMP", "GIF", "JPEG2000", "AVIF")]
    good += [(CORPUS / "seed.heic").read_bytes()]
    good += [pillow_pdf([RED]), tiff_of([RED, GREEN]), oriented_jpeg(6)]
    outcomes = {"loaded": 0, "refused": 0}
    for data in good:
        for _ in range(60):
            damaged = bytearray(data)
            for pos in rng.integers(8, len(data), int(rng.integers(1, 8))):
                damaged[pos] = int(rng.integers(0, 256))
            if rng.random() < 0.5:
                damaged = damaged[: int(rng.integers(8, len(damaged) + 1))]
            try:
                pages = load_pages(bytes(damaged), limits=Limits(pdf_dpi=72, max_pixels=4_000_000))
            except InputError:
                outcomes["refused"] += 1
                continue
            outcomes["loaded"] += 1
            assert all(p.image.dtype == np.uint8 and p.image.shape[2] == 3 for p in pages)
    assert outcomes["loaded"] > 0 and outcomes["refused"] > 0  # the sweep exercised both paths


def test_page_is_frozen_and_validates_its_image() -> None:
    page = load_page(np.zeros((2, 2), np.uint8))
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.index = 3  # type: ignore[misc]
    with pytest.raises(ValueError, match="H×W×3 uint8"):
        Page(image=np.zeros((2, 2), np.uint8), index=0, source="x", pages_total=1, dpi=None)
    assert (page.height, page.width) == (2, 2)
