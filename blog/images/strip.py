"""An image file with only what draws its picture, walked at byte level (an allowlist).

PNG chunks, JPEG segments, WebP chunks and GIF blocks that draw the picture are copied as
they are; everything else is left out, whatever it is called: EXIF (a camera's GPS position
among it), XMP, comments and text, C2PA manifests, thumbnails, chunks private to one program,
and bytes after the file's end. Nothing is decoded or encoded again, so the picture a reader
gets is the author's, bit for bit, and a file with nothing to leave out comes back unchanged.

AVIF is not walked here: its metadata are items of an ISOBMFF `meta` box that other boxes
point into by offset, so leaving one out means rewriting the index; blog.images.renditions
has Pillow write an AVIF again instead.
"""

import re
import struct
import zlib


class Malformed(ValueError):
    """The container's own structure is broken (a length past the end, a missing part)."""


def strip(data: bytes, kind: str) -> bytes:
    """`data` (a file of `kind`: png, jpg, webp, gif) with only what draws the picture."""
    return {"png": _png, "jpg": _jpeg, "webp": _webp, "gif": _gif}[kind](data)


# --- PNG ------------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# IEND too, which ends the walk.
PNG_KEPT = {
    *(b"IHDR", b"PLTE", b"IDAT", b"tRNS"),
    # Colour and size: how the pixels are meant to look.
    *(b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD"),
    # Four bytes of colour space code points, without which an HDR PNG is shown wrongly.
    b"cICP",
    # APNG: the animation, its frames' controls and their data.
    *(b"acTL", b"fcTL", b"fdAT"),
}
PNG_END = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))


def _png(data):
    if not data.startswith(PNG_SIGNATURE):
        raise Malformed("not a PNG")
    kept = [PNG_SIGNATURE]
    pos = len(PNG_SIGNATURE)
    # Pillow and browsers show a PNG whose IEND is damaged or missing after its last whole
    # chunk; it ends with a whole IEND here.
    while pos < len(data) and data[pos + 4 : pos + 8] != b"IEND":
        if pos + 12 > len(data):
            raise Malformed("a PNG chunk is cut off")
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise Malformed(f"PNG chunk {kind!r} runs past the end of the file")
        if len(kept) == 1 and kind != b"IHDR":
            raise Malformed("a PNG must begin with IHDR")
        if kind in PNG_KEPT:
            kept.append(data[pos:end])
        pos = end
    if not any(chunk[4:8] == b"IDAT" for chunk in kept):
        raise Malformed("a PNG without image data")
    return b"".join(kept) + PNG_END


# --- JPEG -----------------------------------------------------------------------------------

SOI, EOI, SOS, DQT, DHT, DRI, DAC = 0xD8, 0xD9, 0xDA, 0xDB, 0xC4, 0xDD, 0xCC
# Start of frame, every coding process: C0–CF but DHT, DAC and the reserved C8.
SOF = set(range(0xC0, 0xD0)) - {DHT, 0xC8, DAC}
# DAC holds the conditioning tables of an arithmetic-coded JPEG, which cannot be decoded
# without them.
JPEG_TABLES = {DQT, DHT, DRI, DAC, *SOF}
APP0, APP2, APP14 = 0xE0, 0xE2, 0xEE
# What an application segment may be to draw the picture: the JFIF header (density), the
# ICC profile (its pieces), Adobe's (which says whether the channels are YCbCr or YCCK).
JPEG_KEPT_APP = {APP0: b"JFIF\0", APP2: b"ICC_PROFILE\0", APP14: b"Adobe"}
JFIF_HEADER = 14  # identifier, version, units, densities, thumbnail size: then a thumbnail
# Where the entropy-coded data of a scan ends: at a marker, which is 0xFF followed by neither
# a stuffed zero nor a restart marker (those belong to the scan).
SCAN_END_RE = re.compile(rb"\xff(?![\x00\xd0-\xd7])")


def _jpeg(data):
    if not data.startswith(b"\xff\xd8"):
        raise Malformed("not a JPEG")
    kept = [data[:2]]
    pos = 2
    scanned = False
    while True:
        # Bytes before a marker are skipped, as libjpeg skips them (with a warning), and so
        # are the fill bytes 0xFF that may precede one.
        pos = data.find(b"\xff", pos)
        if pos < 0:
            raise Malformed("a JPEG without its end")
        while pos < len(data) and data[pos] == 0xFF:
            pos += 1
        if pos >= len(data):
            raise Malformed("a JPEG without its end")
        marker = data[pos]
        pos += 1
        if marker == EOI:
            if not scanned:
                raise Malformed("a JPEG without a scan")
            # What follows (a camera's second picture, an appended archive) is not this one.
            kept.append(b"\xff\xd9")
            return b"".join(kept)
        if 0xD0 <= marker <= 0xD7 or marker in (0x00, 0x01):
            continue  # standalone markers (or a stuffed zero) out of a scan carry nothing
        if pos + 2 > len(data):
            raise Malformed("a JPEG segment is cut off")
        (length,) = struct.unpack_from(">H", data, pos)
        end = pos + length
        if length < 2 or end > len(data):
            raise Malformed(f"JPEG segment {marker:#04x} runs past the end of the file")
        payload = data[pos + 2 : end]
        application = JPEG_KEPT_APP.get(marker)
        if marker in JPEG_TABLES or marker == SOS:
            kept.append(data[pos - 2 : end])
        elif application is not None and payload.startswith(application):
            if marker == APP0 and len(payload) > JFIF_HEADER:
                # A JFIF thumbnail can show what the picture was before it was cropped.
                header = payload[: JFIF_HEADER - 2] + b"\0\0"
                kept.append(b"\xff\xe0" + struct.pack(">H", len(header) + 2) + header)
            else:
                kept.append(data[pos - 2 : end])
        pos = end
        if marker == SOS:
            scanned = True
            found = SCAN_END_RE.search(data, pos)
            if found is None:
                raise Malformed("a JPEG scan without its end")
            kept.append(data[pos : found.start()])
            pos = found.start()


# --- WebP -----------------------------------------------------------------------------------

WEBP_KEPT = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
WEBP_FRAME_KEPT = {b"VP8 ", b"VP8L", b"ALPH"}
VP8X_EXIF, VP8X_XMP = 0x08, 0x04
ANMF_HEADER = 16  # position, size, duration and flags of a frame; then its chunks


def _webp(data):
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise Malformed("not a WebP")
    (size,) = struct.unpack_from("<I", data, 4)
    if size < 4 or 8 + size > len(data):
        raise Malformed("the WebP's RIFF size runs past the end of the file")
    kept = []
    for fourcc, payload in _riff_chunks(data, 12, 8 + size):
        if fourcc not in WEBP_KEPT:
            continue
        if fourcc == b"VP8X":
            if len(payload) < 10:
                raise Malformed("a WebP VP8X chunk is cut off")
            # The flags say which chunks follow; EXIF and XMP no longer do.
            payload = bytes([payload[0] & ~(VP8X_EXIF | VP8X_XMP)]) + payload[1:]
        elif fourcc == b"ANMF":
            if len(payload) < ANMF_HEADER:
                raise Malformed("a WebP ANMF chunk is cut off")
            frame = [
                (inner, body)
                for inner, body in _riff_chunks(payload, ANMF_HEADER, len(payload))
                if inner in WEBP_FRAME_KEPT
            ]
            if not _has_picture(frame):
                raise Malformed("a WebP frame without its picture")
            payload = payload[:ANMF_HEADER] + b"".join(_riff_chunk(*chunk) for chunk in frame)
        kept.append((fourcc, payload))
    if not _has_picture(kept) and all(fourcc != b"ANMF" for fourcc, _payload in kept):
        raise Malformed("a WebP without its picture")
    body = b"WEBP" + b"".join(_riff_chunk(*chunk) for chunk in kept)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _riff_chunks(data, pos, end):
    chunks = []
    while pos < end:
        if pos + 8 > end:
            raise Malformed("a WebP chunk is cut off")
        fourcc = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        if pos + 8 + size > end:
            raise Malformed(f"WebP chunk {fourcc!r} runs past its container")
        chunks.append((fourcc, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)  # a chunk of odd size is padded; the last may not be
    return chunks


def _has_picture(chunks):
    return any(fourcc in (b"VP8 ", b"VP8L") for fourcc, _payload in chunks)


def _riff_chunk(fourcc, payload):
    return fourcc + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)


# --- GIF ------------------------------------------------------------------------------------

GIF_IMAGE, GIF_EXTENSION, GIF_TRAILER = 0x2C, 0x21, 0x3B
GIF_CONTROL, GIF_APPLICATION = 0xF9, 0xFF
# The application extensions that say how often an animation loops (Netscape's, and the
# same under the name some programs write); its first sub-block is the loop count.
GIF_LOOPS = {b"NETSCAPE2.0", b"ANIMEXTS1.0"}
GIF_LOOP_COUNT = 1


def _gif(data):
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise Malformed("not a GIF")
    pos = 13 + _colour_table(data[10])  # the logical screen and its colour table
    kept = [data[:pos]]
    pictured = False
    while pos < len(data):
        introducer = data[pos]
        if introducer == GIF_TRAILER:
            break  # what follows the trailer is not the picture's
        if introducer == GIF_IMAGE:
            if pos + 11 > len(data):
                raise Malformed("a GIF image descriptor is cut off")
            start = pos + 10 + _colour_table(data[pos + 9]) + 1  # then the LZW code size
            _blocks, end = _sub_blocks(data, start)
            kept.append(data[pos:end])
            pictured = True
        elif introducer == GIF_EXTENSION:
            if pos + 2 > len(data):
                raise Malformed("a GIF extension is cut off")
            blocks, end = _sub_blocks(data, pos + 2)
            kept.append(_gif_extension(data[pos + 1], blocks))
        else:
            # A stray byte between blocks: Pillow, Firefox and Chrome skip it, and so it goes.
            end = pos + 1
        pos = end
    if not pictured:
        raise Malformed("a GIF without an image")
    # Pillow and browsers show a GIF without its trailer; it is given one.
    return b"".join(kept) + b";"


def _gif_extension(label, blocks):
    """The extension as it draws the picture (rebuilt from what is read of it), or b""."""
    if label == GIF_CONTROL:
        # Delay, disposal and the transparent index; any further bytes are nobody's.
        if not blocks or len(blocks[0]) < 4:
            raise Malformed("a GIF graphic control extension is cut off")
        return b"\x21\xf9\x04" + blocks[0][:4] + b"\0"
    if label == GIF_APPLICATION and blocks and blocks[0] in GIF_LOOPS:
        for block in blocks[1:]:
            if len(block) >= 3 and block[0] == GIF_LOOP_COUNT:
                return b"\x21\xff\x0b" + blocks[0] + b"\x03" + block[:3] + b"\0"
    return b""  # comments, plain text, XMP and every other application's data


def _colour_table(flags):
    return 3 << ((flags & 0x07) + 1) if flags & 0x80 else 0


def _sub_blocks(data, pos):
    """(the data sub-blocks from `pos`, where they end: after the empty block)."""
    blocks = []
    while True:
        if pos >= len(data):
            raise Malformed("GIF data sub-blocks run past the end of the file")
        size = data[pos]
        if size == 0:
            return blocks, pos + 1
        if pos + 1 + size > len(data):
            raise Malformed("a GIF data sub-block runs past the end of the file")
        blocks.append(data[pos + 1 : pos + 1 + size])
        pos += 1 + size
