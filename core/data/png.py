"""A small, pure-NumPy reader for PNG (8-bit, non-interlaced) and binary PGM/PPM images.

Image folders are read in the editor for previews, where TensorFlow is not loaded; this covers the
formats people save from NumPy or most tools. Other files get a ``DataError`` naming them.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from core.data.errors import DataError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel
MAX_PIXELS = 50_000_000


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> np.ndarray:
    data = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for row in range(height):
        kind, line = data[row, 0], data[row, 1:].copy()
        if kind == 2:
            line = line + prev
        elif kind in (1, 3, 4):
            for i in range(stride):  # left-dependent filters are sequential by nature
                left = int(line[i - bpp]) if i >= bpp else 0
                up, corner = int(prev[i]), int(prev[i - bpp]) if i >= bpp else 0
                pred = left if kind == 1 else (left + up) // 2 if kind == 3 else _paeth(left, up, corner)
                line[i] = (int(line[i]) + pred) & 0xFF
        elif kind != 0:
            raise ValueError(f"unknown PNG filter {kind}")
        out[row], prev = line, line
    return out


def read_png(path: Path) -> np.ndarray:
    """Pixels as uint8 (height, width, channels)."""
    blob = path.read_bytes()
    if not blob.startswith(PNG_SIGNATURE):
        raise DataError(f"{path} is not a PNG file", str(path))
    pos, idat, header = 8, b"", None
    while pos < len(blob):
        length, kind = struct.unpack(">I4s", blob[pos:pos + 8])
        body = blob[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if header is None:
        raise DataError(f"{path}: PNG without a header", str(path))
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or interlace or colour not in CHANNELS or width * height > MAX_PIXELS:
        raise DataError(f"{path}: only 8-bit, non-interlaced grey/RGB(A) PNGs are supported", str(path))
    channels = CHANNELS[colour]
    try:
        pixels = _unfilter(zlib.decompress(idat), height, width * channels, channels)
    except (zlib.error, ValueError) as exc:
        raise DataError(f"{path}: damaged PNG data ({exc})", str(path)) from exc
    return pixels.reshape(height, width, channels)


def read_pnm(path: Path) -> np.ndarray:
    """Binary PGM (P5) or PPM (P6) with 8-bit samples."""
    blob = path.read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while pos < len(blob) and blob[pos:pos + 1].isspace():
            pos += 1
        if blob[pos:pos + 1] == b"#":
            pos = blob.index(b"\n", pos)
            continue
        end = pos
        while end < len(blob) and not blob[end:end + 1].isspace():
            end += 1
        fields.append(blob[pos:end])
        pos = end
    magic, width, height, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    if magic not in (b"P5", b"P6") or maxval > 255:
        raise DataError(f"{path}: only binary 8-bit PGM/PPM files are supported", str(path))
    channels = 1 if magic == b"P5" else 3
    data = np.frombuffer(blob[pos + 1:pos + 1 + width * height * channels], np.uint8)
    return data.reshape(height, width, channels)


def write_png(path: Path, pixels: np.ndarray) -> None:
    """Write uint8 (h, w) or (h, w, 1|3) pixels as PNG (used by tests and the dataset dialog's examples)."""
    img = pixels if pixels.ndim == 3 else pixels[..., None]
    h, w, c = img.shape
    colour = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + img[row].astype(np.uint8).tobytes() for row in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)
    path.write_bytes(PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
