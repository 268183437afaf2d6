"""What an uploaded file is, decided by its content, and the bytes caseflow keeps of it.

Neither the file name nor the browser's Content-Type decides anything: the first bytes do
(JPEG, PNG, WebP, PDF), then the decoder restricted to that one format must read it.

- **Images** are decoded by Pillow and re-encoded, which drops every metadata block (EXIF with
  its GPS position, XMP, comments) after the EXIF orientation has been applied to the pixels,
  so a photo taken sideways is stored upright with nothing left to say where it was taken.
  The long side is brought down to `EVIDENCE_IMAGE_MAX_SIDE` (the browser's script already did
  that when JavaScript runs). A picture whose header claims more than `EVIDENCE_MAX_PIXELS`
  pixels is refused before it is decoded: a 50 KB PNG can expand to gigabytes (a
  decompression bomb); so is one that would decode to more than `EVIDENCE_MAX_DECODED_PIXELS`
  (a JPEG is decoded at a reduced scale, a PNG or WebP at full size), which keeps a worker
  within its memory budget. Pillow's own bomb check is turned into a refusal too.
- **PDFs** must parse with pypdf and have at least one page; they are kept byte for byte (the
  hash is the file's own). Password-protected PDFs are refused: nobody could read them later.
- HEIC (iPhone photos) is refused with a hint: Pillow reads it only with an extra library and
  its system decoder. With JavaScript on, the browser converts such a photo to JPEG first.

Everything else is refused with a message saying what is accepted; nothing is stored.
"""
import io
import warnings
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from caseflow.evidence.models import MediaType
from caseflow.exceptions import Refused

THUMB_SIDE = 320  # the case page shows thumbnails at 160 CSS px: sharp on a 2x phone screen


class EvidenceRefused(Refused):
    pass


NOT_ACCEPTED = _l("Only photos (JPEG, PNG, WebP) and PDF files can be attached. Nothing was saved.")
HEIC = _l("HEIC photos cannot be read here. Set the camera to JPEG (“Most compatible”), or attach the photo "
          "from a browser with JavaScript on, which converts it. Nothing was saved.")
UNREADABLE_IMAGE = _l("The photo could not be read: the file is damaged or not an image. Nothing was saved.")
UNREADABLE_PDF = _l("The PDF could not be read: the file is damaged or not a PDF. Nothing was saved.")
ENCRYPTED_PDF = _l("The PDF is protected by a password. Attach an unprotected copy. Nothing was saved.")
EMPTY = _l("The file is empty. Nothing was saved.")


def too_large_message():
    # The same words as caseflow.inputs.too_large_message (a body over the limit, a 413).
    return _l("The file is larger than %(mb)s MB. Attach a smaller photo or PDF. Nothing was saved.",
              mb=max_mb())


def too_many_pixels_message():
    return _l("The picture has too many pixels to be read safely. Attach a smaller photo or a scan at a lower "
              "resolution. Nothing was saved.")


def max_mb() -> str:
    return f"{current_app.config['EVIDENCE_MAX_BYTES'] / 1_000_000:g}"


@dataclass(frozen=True)
class Prepared:
    """An accepted file, ready to be stored: the bytes kept, what they are, their thumbnail."""

    data: bytes
    media_type: MediaType
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


def sniff(head: bytes) -> str | None:
    """'jpeg', 'png', 'webp', 'pdf', 'heic' from a file's first bytes; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
        return "heic"
    return None


def read_limited(stream, limit: int) -> bytes:
    """At most `limit` bytes of `stream`; more than that is refused (the request body is already
    bounded a little above this by caseflow.inputs, so this is the exact limit)."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise EvidenceRefused(too_large_message())
    if not data:
        raise EvidenceRefused(EMPTY)
    return data


def prepare(data: bytes) -> Prepared:
    """The bytes to keep of an uploaded file, or EvidenceRefused saying why none are kept."""
    if len(data) > current_app.config["EVIDENCE_MAX_BYTES"]:
        raise EvidenceRefused(too_large_message())
    if not data:
        raise EvidenceRefused(EMPTY)
    kind = sniff(data[:16])
    if kind == "pdf":
        return _prepare_pdf(data)
    if kind == "heic":
        raise EvidenceRefused(HEIC)
    if kind is None:
        raise EvidenceRefused(NOT_ACCEPTED)
    return _prepare_image(data, kind)


def _prepare_pdf(data: bytes) -> Prepared:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise EvidenceRefused(ENCRYPTED_PDF)
        if len(reader.pages) < 1:
            raise EvidenceRefused(UNREADABLE_PDF)
    except EvidenceRefused:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise EvidenceRefused(UNREADABLE_PDF) from None
    return Prepared(data, MediaType.PDF)


_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


def _prepare_image(data: bytes, kind: str) -> Prepared:
    limit = current_app.config["EVIDENCE_MAX_PIXELS"]
    max_side = current_app.config["EVIDENCE_IMAGE_MAX_SIDE"]
    try:
        with warnings.catch_warnings():
            # Pillow warns past its own limit and raises past twice that; either is a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_FORMATS[kind]]) as image:
                width, height = image.size  # from the header: nothing decoded yet
                if width * height > limit or width < 1 or height < 1:
                    raise EvidenceRefused(too_many_pixels_message())
                if getattr(image, "n_frames", 1) > 1:
                    image.seek(0)  # an animated image: its first frame
                # JPEG: decode at 1/2, 1/4 or 1/8 scale when the result still has `max_side` on its
                # long side (draft compares each side with the size asked for, so ask in proportion).
                scale = min(1.0, max_side / max(width, height))
                image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
                # What decoding will hold in memory: a 48 MP phone JPEG decodes at 1/4 scale, a
                # PNG or WebP at full size, so their limit is the smaller one.
                if image.width * image.height > current_app.config["EVIDENCE_MAX_DECODED_PIXELS"]:
                    raise EvidenceRefused(too_many_pixels_message())
                upright = ImageOps.exif_transpose(image)
                upright.load()
    except EvidenceRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EvidenceRefused(too_many_pixels_message()) from None
    except (OSError, ValueError, SyntaxError, EOFError, TypeError, KeyError, IndexError, Image.UnidentifiedImageError):
        raise EvidenceRefused(UNREADABLE_IMAGE) from None
    upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    clean, media_type = _pixels_only(upright)
    data = _encode(clean, media_type, quality=85)
    thumb = clean.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    thumbnail = _encode(_flatten(thumb), MediaType.JPEG, quality=75)
    return Prepared(data, media_type, clean.width, clean.height, thumbnail)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _pixels_only(image: Image.Image) -> tuple[Image.Image, MediaType]:
    """A new image holding only the pixels (no info dict, hence no EXIF/XMP/comments to re-save)."""
    if _has_alpha(image):
        converted = image.convert("RGBA")
        media_type = MediaType.PNG
    else:
        converted = image.convert("RGB") if image.mode != "L" else image
        media_type = MediaType.JPEG
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)
    return clean, media_type


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image


def _encode(image: Image.Image, media_type: MediaType, *, quality: int) -> bytes:
    out = io.BytesIO()
    if media_type is MediaType.PNG:
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()
