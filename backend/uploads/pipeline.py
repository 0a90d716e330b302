"""The photo pipeline: decide the type by decoding, orient, convert to sRGB, make stripped renditions.

Synchronous and free of HTTP: the upload service runs it in a worker thread.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

import imagehash
import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()
# Our own limit (max_pixels) is checked from the header before any pixel is decoded; Pillow's global
# one still refuses outright anything over twice its MAX_IMAGE_PIXELS, and its warning below that is noise.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

# Decided by the decoder, never by the file name or the client's Content-Type.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
_SRGB = ImageCms.createProfile("sRGB")

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011


class ImageRejected(Exception):
    """`code`: unsupported_media_type, image_unreadable or image_too_large."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Rendition:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    format: str
    mime_type: str
    width: int
    height: int
    display: Rendition
    thumb: Rendition
    # Perceptual hash (DCT, 64 bits as 16 hex digits): near for the same scene photographed twice.
    phash: str
    taken_at: datetime | None
    gps: tuple[float, float] | None


def process_image(
    data: bytes, *, max_pixels: int, tz: tzinfo, display_long_side: int = 1600, thumb_long_side: int = 320
) -> ProcessedImage:
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise ImageRejected("unsupported_media_type") from None
    except Image.DecompressionBombError:
        raise ImageRejected("image_too_large") from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected("image_unreadable") from None
    with image:
        if image.width * image.height > max_pixels:
            raise ImageRejected("image_too_large")
        source_format = image.format or ""
        full_width, full_height = image.size  # before draft() shrinks the decode
        try:
            # PNG keeps EXIF after the pixels, so reading it may already decode (and hit a truncation).
            exif = image.getexif()
            display = _display_image(image, display_long_side)
        except (OSError, SyntaxError, ValueError):
            raise ImageRejected("image_unreadable") from None
        orientation = exif.get(0x0112, 1)
        upright = (full_height, full_width) if orientation in (5, 6, 7, 8) else (full_width, full_height)
        taken_at, gps = _taken_at(exif, tz), _gps(exif)
    with display:
        display_rendition = _encode(display, quality=82, progressive=True)
        display.thumbnail((thumb_long_side, thumb_long_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
        thumb_rendition = _encode(display, quality=75, progressive=False)
        # From the small copy: the hash shrinks to 32×32 anyway, and this one is upright and sRGB.
        phash = str(imagehash.phash(display))
    return ProcessedImage(
        format=source_format.lower(),
        mime_type=MIME_TYPES[source_format],
        width=upright[0],
        height=upright[1],
        display=display_rendition,
        thumb=thumb_rendition,
        phash=phash,
        taken_at=taken_at,
        gps=gps,
    )


def _display_image(image: Image.Image, long_side: int) -> Image.Image:
    """Decoded (at reduced size where JPEG allows), upright, sRGB, flattened, at most long_side."""
    scale = min(1.0, long_side / max(image.size))
    if image.format == "JPEG" and scale < 1.0:
        # DCT scaling: decode at 1/2, 1/4 or 1/8 size, never below the size asked for.
        image.draft("RGB", (max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    image.load()
    icc = image.info.get("icc_profile")
    oriented = ImageOps.exif_transpose(image)
    rgb = _to_srgb(oriented, icc)
    if rgb is not oriented and oriented is not image:
        oriented.close()
    rgb.thumbnail((long_side, long_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return rgb


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        rgba.close()
        image = flat
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB") or image
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to the plain conversion below
    return image if image.mode == "RGB" else image.convert("RGB")


def _encode(image: Image.Image, *, quality: int, progressive: bool) -> Rendition:
    # A fresh info dict: nothing of the source (EXIF, XMP, ICC, comments) can reach the output.
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=progressive)
    return Rendition(data=buffer.getvalue(), width=image.width, height=image.height)


def _taken_at(exif: Image.Exif, tz: tzinfo) -> datetime | None:
    try:
        details = exif.get_ifd(_EXIF_IFD)
        raw = details.get(_DATETIME_ORIGINAL) or exif.get(0x0132)
        if not raw:
            return None
        taken = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        offset = str(details.get(_OFFSET_TIME_ORIGINAL) or "").strip("\x00 ")
        if len(offset) == 6 and offset[0] in "+-" and offset[3] == ":":
            sign = 1 if offset[0] == "+" else -1
            delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            return taken.replace(tzinfo=timezone(sign * delta))
        return taken.replace(tzinfo=tz)
    except (ValueError, TypeError, KeyError):
        return None


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(_GPS_IFD)
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lng = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None
    return lat, lng


def _degrees(value: tuple[float, float, float], ref: object, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    result = degrees + minutes / 60 + seconds / 3600
    ref_text = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -result if ref_text.strip("\x00 ").upper() == negative else result
