"""The photo pipeline on generated inputs: orientation, stripping, colour, formats, rejections."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pillow_heif
import pytest
from PIL import Image, ImageCms

from backend.uploads.pipeline import ImageRejected, ProcessedImage, process_image

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIMIT = 80_000_000
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="phone"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def process(data: bytes, **kwargs: object) -> ProcessedImage:
    return process_image(data, max_pixels=LIMIT, tz=SHANGHAI, **kwargs)  # type: ignore[arg-type]


def encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def rich_exif(orientation: int = 1, offset: str | None = "+08:00") -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    details = exif.get_ifd(0x8769)
    details[0x9003] = "2026:11:20 08:30:00"
    if offset:
        details[0x9011] = offset
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (30.0, 16.0, 26.76), 3: "E", 4: (120.0, 9.0, 18.36)})
    return exif


# A marker in the top-left corner of the *upright* picture, stored so that applying the EXIF
# orientation must bring it back there: each orientation's inverse transform applied to the scene.
_STORE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright_scene() -> Image.Image:
    scene = Image.new("RGB", (800, 600), (40, 40, 200))
    scene.paste((230, 30, 30), (0, 0, 200, 150))  # red marker, top-left
    return scene


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_gives_an_upright_copy(orientation: int) -> None:
    scene = upright_scene()
    transform = _STORE[orientation]
    stored = scene.transpose(transform) if transform is not None else scene
    result = process(encode(stored, exif=rich_exif(orientation), quality=95))
    assert (result.width, result.height) == (800, 600)
    display = Image.open(io.BytesIO(result.display.data)).convert("RGB")
    assert display.size == (800, 600)
    red, _, blue = display.getpixel((40, 30))
    assert red > 180 and blue < 80, f"orientation {orientation}: marker not top-left"
    red, _, blue = display.getpixel((760, 570))
    assert blue > 150 and red < 80


def test_public_copies_carry_no_metadata() -> None:
    source = encode(
        Image.new("RGB", (1000, 750), "green"),
        exif=rich_exif(),
        xmp=XMP,
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    assert b"Exif" in source and b"ns.adobe.com/xap" in source and b"ICC_PROFILE" in source
    result = process(source)
    for rendition in (result.display.data, result.thumb.data):
        image = Image.open(io.BytesIO(rendition))
        assert not image.getexif()
        assert not set(image.info) & {"exif", "xmp", "icc_profile", "comment", "photoshop"}
        for marker in (b"Exif", b"ns.adobe.com/xap", b"ICC_PROFILE", b"PhoneMaker"):
            assert marker not in rendition


def test_gps_and_time_taken_are_read() -> None:
    result = process(encode(Image.new("RGB", (64, 48)), exif=rich_exif()))
    assert result.gps == pytest.approx((30.2741, 120.1551), abs=1e-4)
    assert result.taken_at == datetime(2026, 11, 20, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    no_offset = process(encode(Image.new("RGB", (64, 48)), exif=rich_exif(offset=None)))
    assert no_offset.taken_at == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    bare = process(encode(Image.new("RGB", (64, 48))))
    assert bare.gps is None and bare.taken_at is None


def test_png_alpha_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (0, 0, 200, 300))
    result = process(encode(image, "PNG"))
    assert result.format == "png" and result.mime_type == "image/png"
    display = Image.open(io.BytesIO(result.display.data)).convert("RGB")
    assert display.mode == "RGB"
    assert min(display.getpixel((350, 150))) > 240, "transparent area must be white"
    assert display.getpixel((50, 150))[0] > 170


def test_cmyk_jpeg_keeps_its_colours() -> None:
    cmyk = Image.new("CMYK", (300, 200), (0, 255, 255, 0))  # pure red in CMYK
    result = process(encode(cmyk, quality=95))
    red, green, blue = Image.open(io.BytesIO(result.display.data)).convert("RGB").getpixel((150, 100))
    assert red > 200 and green < 60 and blue < 60


def test_progressive_jpeg_and_webp() -> None:
    progressive = process(encode(upright_scene(), quality=90, progressive=True))
    assert (progressive.display.width, progressive.display.height) == (800, 600)
    webp = process(encode(upright_scene(), "WEBP", quality=90))
    assert webp.format == "webp" and webp.mime_type == "image/webp"


def test_heic_is_accepted() -> None:
    heif = pillow_heif.from_pillow(upright_scene())
    buffer = io.BytesIO()
    heif.save(buffer, quality=80)
    result = process(buffer.getvalue())
    assert result.format == "heif" and result.mime_type == "image/heic"
    display = Image.open(io.BytesIO(result.display.data))
    assert display.format == "JPEG" and display.size == (800, 600)


def test_large_photos_are_reduced_and_small_ones_not_enlarged() -> None:
    large = process(encode(Image.new("RGB", (4000, 3000), "gray"), quality=85))
    assert (large.width, large.height) == (4000, 3000)
    assert (large.display.width, large.display.height) == (1600, 1200)
    assert (large.thumb.width, large.thumb.height) == (320, 240)
    small = process(encode(Image.new("RGB", (300, 200), "gray")))
    assert (small.display.width, small.display.height) == (300, 200)
    assert (small.thumb.width, small.thumb.height) == (300, 200)


def png_bomb(width: int, height: int) -> bytes:
    """A real PNG (1-bit greyscale, all zero) that declares width × height pixels in a few kB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = png_bomb(20_000, 20_000)
    assert len(bomb) < 200_000
    with pytest.raises(ImageRejected) as rejected:
        process(bomb)
    assert rejected.value.code == "image_too_large"
    with pytest.raises(ImageRejected) as over_limit:
        process_image(encode(Image.new("RGB", (100, 100))), max_pixels=5_000, tz=SHANGHAI)
    assert over_limit.value.code == "image_too_large"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (encode(upright_scene(), quality=90)[:4000], "image_unreadable"),
        (encode(Image.effect_noise((400, 300), 60), "PNG")[:20_000], "image_unreadable"),
        (b"Dear city, this is a text file named photo.jpg", "unsupported_media_type"),
        (encode(upright_scene(), "GIF"), "unsupported_media_type"),
        (encode(upright_scene(), "TIFF"), "unsupported_media_type"),
        (b"", "unsupported_media_type"),
    ],
    ids=["truncated-jpeg", "truncated-png", "text", "gif", "tiff", "empty"],
)
def test_bad_files_are_rejected_with_their_code(data: bytes, code: str) -> None:
    with pytest.raises(ImageRejected) as rejected:
        process(data)
    assert rejected.value.code == code
