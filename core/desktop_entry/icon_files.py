"""Windows ``.ico`` and macOS ``.icns`` icons built from the shipped PNGs, in pure Python.

Both formats may hold PNG-compressed images as they are: ICO since Windows Vista (an entry whose data starts
with the PNG signature), ICNS since Mac OS X 10.7 (element types ``icp4``…``ic10``). So no image library is
needed: the files are a small header and a directory around the PNG bytes.
"""

from __future__ import annotations

import struct
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08"}
"""The ICNS element type holding a PNG of each size (Apple's ``IconFamily`` element types)."""


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def ico_bytes(pngs: list[bytes]) -> bytes:
    """An ICO file with one PNG-compressed image per entry (ICONDIR, ICONDIRENTRY×n, then the images)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for png in pngs:
        w, h = png_size(png)
        if w > 256 or h > 256:
            raise ValueError(f"an ICO image is at most 256 px, not {w}×{h}")
        entries += struct.pack("<BBBBHHII", w % 256, h % 256, 0, 0, 1, 32, len(png), offset + len(blobs))
        blobs += png
    return header + entries + blobs


def icns_bytes(pngs: list[bytes]) -> bytes:
    """An ICNS file: the ``icns`` magic and total length, then one (type, length, PNG) element per size."""
    body = b""
    for png in pngs:
        w, _ = png_size(png)
        if w not in ICNS_TYPES:
            raise ValueError(f"no ICNS element type for a {w} px image")
        body += ICNS_TYPES[w] + struct.pack(">I", 8 + len(png)) + png
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def pngs_in(folder: Path, sizes: tuple[int, ...]) -> list[bytes]:
    """The shipped ``layerbench-<N>.png`` files of the given sizes that exist, smallest first."""
    found = (folder / f"layerbench-{n}.png" for n in sorted(sizes))
    return [p.read_bytes() for p in found if p.is_file()]
