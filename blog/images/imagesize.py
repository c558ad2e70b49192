"""Width and height of an image from its first bytes, so imported images get a size on the
page (nothing jumps while they load). PNG, GIF, JPEG, WebP and SVG; None when unsure."""

import re
import struct


def image_size(data: bytes):
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            return struct.unpack(">II", data[16:24])
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:2] == b"\xff\xd8":
            return _jpeg_size(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_size(data)
        head = data[:4096].decode("utf-8", "ignore")
        if "<svg" in head:
            return _svg_size(head)
    except (struct.error, IndexError, ValueError, OverflowError):  # width="1e999"
        return None
    return None


def _jpeg_size(data):
    index = 2
    while index < len(data):
        while data[index] == 0xFF:
            index += 1
        marker = data[index]
        index += 1
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        (length,) = struct.unpack(">H", data[index : index + 2])
        # Start-of-frame markers carry the size (not DHT C4, JPG C8, DAC CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 3 : index + 7])
            return width, height
        index += length
    return None


def _webp_size(data):
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _svg_size(head):
    tag = re.search(r"<svg\b[^>]*>", head, re.DOTALL)
    if not tag:
        return None
    attrs = dict(re.findall(r'\b(width|height|viewBox)\s*=\s*["\']([^"\']*)["\']', tag.group(0)))
    number = re.compile(r"^\s*([\d.]+)\s*(px)?\s*$")
    width, height = (number.match(attrs.get(k, "")) for k in ("width", "height"))
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    if "viewBox" in attrs:
        parts = attrs["viewBox"].replace(",", " ").split()
        if len(parts) == 4:
            return round(float(parts[2])), round(float(parts[3]))
    return None
