"""Real files for the evidence tests, made with Pillow and pypdf (no fixtures on disk)."""
import io
import struct
import zlib

from PIL import Image
from pypdf import PdfWriter

GPS_LATITUDE = (23.0, 15.0, 30.0)


def photo_with_gps(width: int = 300, height: int = 200, *, orientation: int = 6) -> bytes:
    """A JPEG whose left half is red and right half blue, with GPS EXIF and an orientation tag:
    6 means "rotate 90° clockwise to show", so upright it is `height` wide, red on top."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "PhoneModel X"
    exif[0x8825] = {1: "N", 2: GPS_LATITUDE, 3: "E", 4: (77.0, 24.0, 10.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def photo(width: int = 400, height: int = 300, colour=(10, 120, 40), fmt: str = "JPEG") -> bytes:
    image = Image.new("RGBA" if fmt == "PNG" else "RGB", (width, height), colour)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def noisy_jpeg(width: int, height: int) -> bytes:
    """A photo-like JPEG (noise does not compress), for sizes and resizing."""
    import os

    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb_header(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims width × height pixels (10 gigapixels by default)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * 16
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(row)) + _chunk(b"IEND", b"")


def png_bomb(side: int = 6000) -> bytes:
    """A real PNG of side × side black pixels: ~40 KB compressed, side² bytes once decoded."""
    image = Image.new("L", (side, side), 0)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def heic_header() -> bytes:
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
