"""Image files that once broke an upload or leaked what their author did not mean to publish:
modes reduce() refuses, GIFs Pillow could not write again, metadata in every container's
corners (written here byte by byte where Pillow would not write it), key-colour
transparency, and animations of too many frames."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import GifImagePlugin, ImageCms
from PIL import Image as PILImage

from blog.images import checks
from blog.images.renditions import CannotProcess, keep
from blog.models import Image

SECRET = b"GPS-SECRET"
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def kept(data, name="f"):
    """What the blog stores for an upload of `data` (examined, then kept)."""
    examined = checks.examine(data, name)
    return keep(examined.data, examined.kind)


def saved(image, kind, **options):
    out = io.BytesIO()
    image.save(out, format=kind, **options)
    return out.getvalue()


def pixels(data):
    with PILImage.open(io.BytesIO(data)) as image:
        return [frame.convert("RGBA").tobytes() for frame in _frames(image)]


def _frames(image):
    for n in range(getattr(image, "n_frames", 1)):
        image.seek(n)
        yield image.copy()


def no_secret_anywhere(result):
    for data in [result.data, *(rendition.data for rendition in result.renditions)]:
        assert SECRET not in data


def detailed(size=(64, 48)):
    """A picture with detail, so that a lossy re-encoding would change its pixels."""
    image = PILImage.new("RGB", size)
    image.putdata(
        [
            ((x * 37) % 256, (y * 53) % 256, (x * y) % 256)
            for y in range(size[1])
            for x in range(size[0])
        ]
    )
    return image


# --- 1. Modes reduce() refuses, in an image wide enough to be reduced -------------------------


@pytest.mark.parametrize("mode", ["P", "1", "I;16"])
def test_a_wide_image_in_a_mode_reduce_refuses_gets_renditions(mode):
    image = PILImage.new(mode, (3200, 40), {"P": 3, "1": 1, "I;16": 30000}[mode])
    if mode == "P":
        image.putpalette([0, 0, 0, 10, 10, 10, 20, 20, 20, 200, 40, 40])
    result = kept(saved(image, "PNG"), "wide.png")
    webp = next(r for r in result.renditions if r.kind == "webp" and r.width == 1600)
    colour = PILImage.open(io.BytesIO(webp.data)).convert("RGB").getpixel((800, 10))
    expected = {"P": (200, 40, 40), "1": (255, 255, 255), "I;16": (117, 117, 117)}[mode]
    assert all(abs(a - b) <= 3 for a, b in zip(colour, expected, strict=True))


def test_a_wide_palette_upload_is_taken(admin_client):
    data = saved(PILImage.new("P", (3300, 30), 1), "PNG")
    answer = admin_client.post(
        reverse("admin:blog_image_upload"), {"file": SimpleUploadedFile("wide.png", data)}
    )
    assert answer.status_code == 201, answer.content
    assert Image.objects.get().renditions


# --- 2. A GIF Pillow could not write again --------------------------------------------------


def gif(*blocks, screen=(1, 1), trailer=b";"):
    """A GIF89a of a two-colour global palette and these blocks, as written by hand."""
    head = b"GIF89a" + struct.pack("<HHBBB", *screen, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    return head + b"".join(blocks) + trailer


def frame(colour=0, delay=10):
    control = b"\x21\xf9\x04\x00" + struct.pack("<H", delay) + b"\x00\x00"
    # One pixel: LZW minimum code size 2, then clear code, the colour index, end code.
    data = b"\x02\x02" + (b"\x44\x01" if colour == 0 else b"\x4c\x01") + b"\x00"
    return control + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + data


def comment(text):
    return b"\x21\xfe" + bytes([len(text)]) + text + b"\x00"


LOOP = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"


def test_a_gif_with_a_comment_and_frames_pillow_would_merge_is_kept_without_the_comment():
    # Two identical frames of the longest delay: merged, their 655 s would not fit a GIF.
    data = gif(LOOP, comment(SECRET + b" home"), frame(delay=65535), frame(delay=65535))
    result = kept(data, "still.gif")
    assert SECRET not in result.data
    assert result.data == gif(LOOP, frame(delay=65535), frame(delay=65535))
    with PILImage.open(io.BytesIO(result.data)) as image:
        assert image.n_frames == 2 and image.info["duration"] == 655350


def test_a_gif_pillow_cannot_write_again_is_no_server_error(admin_client):
    data = gif(comment(b"x"), frame(delay=65535), frame(delay=65535))
    answer = admin_client.post(
        reverse("admin:blog_image_upload"), {"file": SimpleUploadedFile("a.gif", data)}
    )
    assert answer.status_code == 201, answer.content


def avif_without_its_primary_item():
    """An AVIF whose pitm box names an item it does not have: the decoder raises RuntimeError."""
    data = bytearray(saved(PILImage.new("RGB", (64, 64), "red"), "AVIF"))
    at = data.find(b"pitm") + 8  # past the box's type, version and flags
    data[at : at + 2] = b"\x7f\x7f"
    return bytes(data)


def test_an_avif_the_decoder_fails_on_is_refused_by_name(admin_client):
    answer = admin_client.post(
        reverse("admin:blog_image_upload"),
        {"file": SimpleUploadedFile("broken.avif", avif_without_its_primary_item())},
    )
    assert answer.status_code == 400, answer.content
    assert "broken.avif" in answer.json()["error"]
    assert not Image.objects.exists()


# --- 3. Metadata: only what draws the picture is kept -----------------------------------------


def chunk(kind, payload):
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def after_ihdr(png, *chunks):
    return png[:33] + b"".join(chunks) + png[33:]


def before_iend(png, *chunks):
    return png[:-12] + b"".join(chunks) + png[-12:]


def exif_without_orientation():
    exif = PILImage.Exif()
    exif[0x010E] = (SECRET + b" description").decode()  # ImageDescription
    exif.get_ifd(0x8825)[2] = (39.0, 54.0, 27.0)  # GPS latitude
    data = exif.tobytes()
    return data[6:] if data.startswith(b"Exif\0\0") else data  # the TIFF structure alone


def test_a_pngs_private_and_text_chunks_are_taken_out_and_its_pixels_kept_exactly():
    plain = saved(detailed(), "PNG", dpi=(144, 144))
    data = after_ihdr(
        plain,
        chunk(b"gAMA", struct.pack(">I", 45455)),
        chunk(b"caBX", b"jumb c2pa " + SECRET + b"-caBX"),
        chunk(b"tEXt", b"Author\0" + SECRET + b"-tEXt"),
        chunk(b"zTXt", b"Comment\0\0" + zlib.compress(SECRET + b"-zTXt")),
        chunk(b"iTXt", b"Description\0\0\0\0\0" + SECRET + b"-iTXt"),
        chunk(b"tIME", b"\x07\xe8\x01\x02\x03\x04\x05"),
        chunk(b"prVt", SECRET + b"-private"),
    )
    data = before_iend(data, chunk(b"eXIf", exif_without_orientation()))
    data += b"after the end " + SECRET
    result = kept(data, "shot.png")
    assert result.data == after_ihdr(plain, chunk(b"gAMA", struct.pack(">I", 45455)))
    assert pixels(result.data) == pixels(data)
    no_secret_anywhere(result)


def test_an_animated_pngs_frames_stay_and_its_text_goes():
    frames = [PILImage.new("RGB", (20, 10), colour) for colour in ("red", "blue", "lime")]
    plain = saved(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=80)
    data = before_iend(plain, chunk(b"tEXt", b"Software\0" + SECRET))
    result = kept(data, "a.png")
    assert result.data == plain
    assert len(pixels(result.data)) == 3


def segment(marker, payload):
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def after_app0(jpeg, *segments):
    assert jpeg[2:4] == b"\xff\xe0"
    end = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:end] + b"".join(segments) + jpeg[end:]


JPEG_METADATA = [
    segment(0xE1, b"Exif\0\0" + exif_without_orientation()),
    segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>" + SECRET + b"-XMP</x:xmpmeta>"),
    segment(0xEB, b"JP\0\0\0\0\0\x01jumb c2pa " + SECRET + b"-APP11"),
    segment(0xED, b"Photoshop 3.0\0" + SECRET + b"-APP13"),
    segment(0xEF, SECRET + b"-APP15"),
    segment(0xE2, b"FPXR\0" + SECRET + b"-APP2"),
    segment(0xFE, SECRET + b"-COM"),
]


@pytest.mark.parametrize(
    "options",
    [{}, {"progressive": True, "restart_marker_blocks": 1}, {"icc_profile": SRGB}],
    ids=["baseline", "progressive-with-restarts", "with-a-profile"],
)
def test_a_jpegs_metadata_segments_are_taken_out_and_its_scans_kept_exactly(options):
    plain = saved(detailed((640, 100)), "JPEG", quality=90, **options)
    data = after_app0(plain, *JPEG_METADATA) + b"appended " + SECRET
    result = kept(data, "photo.jpg")
    assert result.data == plain
    assert pixels(result.data) == pixels(data)
    no_secret_anywhere(result)
    if "icc_profile" in options:
        assert PILImage.open(io.BytesIO(result.data)).info["icc_profile"] == SRGB


def test_a_jfif_thumbnail_is_taken_out():
    plain = saved(detailed(), "JPEG")
    thumbnail = (
        plain[:4] + struct.pack(">H", 16 + 3 * 4) + plain[6:18] + b"\x02\x02" + (SECRET * 2)[:12]
    )
    data = thumbnail + plain[20:]
    result = kept(data, "t.jpg")
    assert result.data == plain
    assert SECRET not in result.data


def test_a_turned_photos_xmp_and_comment_are_not_written_again():
    exif = PILImage.Exif()
    exif[0x0112] = 6
    data = saved(
        detailed((600, 100)),
        "JPEG",
        exif=exif.tobytes(),
        xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>",
        comment=SECRET,
    )
    result = kept(data, "turned.jpg")
    assert (result.width, result.height) == (100, 600)
    no_secret_anywhere(result)


def riff_chunks(data):
    found, pos = [], 12
    while pos < len(data):
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        found.append(data[pos : pos + 4])
        pos += 8 + size + (size & 1)
    return found


def riff_chunk(fourcc, payload):
    return fourcc + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)


def test_a_webps_exif_xmp_and_unknown_chunks_are_taken_out_and_its_pixels_kept_exactly():
    plain = saved(detailed(), "WEBP", lossless=True)
    with_metadata = saved(
        detailed(),
        "WEBP",
        lossless=True,
        exif=b"Exif\0\0" + exif_without_orientation(),
        xmp=b"<x:xmpmeta>" + SECRET + b"-XMP</x:xmpmeta>",
    )
    body = with_metadata[12:] + riff_chunk(b"SECR", SECRET + b"-chunk")
    data = b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body + b"tail " + SECRET
    result = kept(data, "w.webp")
    assert riff_chunks(result.data) == [b"VP8X", b"VP8L"]
    assert result.data[20] & 0x0C == 0  # VP8X says: no EXIF, no XMP
    assert struct.unpack("<I", result.data[4:8])[0] == len(result.data) - 8
    assert result.data[-len(plain) + 12 :] == plain[12:]  # the same VP8L bitstream
    assert pixels(result.data) == pixels(plain)
    no_secret_anywhere(result)


def test_an_animated_webp_loses_its_metadata_even_inside_its_frames():
    frames = [PILImage.new("RGB", (16, 16), colour) for colour in ("red", "blue")]
    plain = saved(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    with_metadata = saved(
        frames[0],
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        lossless=True,
        xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>",
    )
    # An unknown chunk inside the second frame, which the format allows.
    chunks, pos = [], 12
    while pos < len(with_metadata):
        size = struct.unpack("<I", with_metadata[pos + 4 : pos + 8])[0]
        chunks.append([with_metadata[pos : pos + 4], with_metadata[pos + 8 : pos + 8 + size]])
        pos += 8 + size + (size & 1)
    last_frame = [c for c in chunks if c[0] == b"ANMF"][-1]
    last_frame[1] += riff_chunk(b"SECR", SECRET + b"-in-a-frame")
    body = b"WEBP" + b"".join(riff_chunk(fourcc, payload) for fourcc, payload in chunks)
    data = b"RIFF" + struct.pack("<I", len(body)) + body
    result = kept(data, "a.webp")
    assert SECRET not in result.data
    assert pixels(result.data) == pixels(plain)


def test_gif_comments_xmp_plain_text_and_private_extensions_are_taken_out():
    xmp = b"\x21\xff\x0bXMP DataXMP" + bytes([len(SECRET)]) + SECRET + b"\x00"
    private = b"\x21\xff\x0bSECRET01abc\x04data\x00"
    text = b"\x21\x01\x0c" + b"\0" * 12 + bytes([len(SECRET)]) + SECRET + b"\x00"
    data = gif(LOOP, xmp, frame(0), private, comment(SECRET + b"-later"), b"\0", text, frame(1))
    data += SECRET + b" after the trailer"
    result = kept(data, "a.gif")
    assert result.data == gif(LOOP, frame(0), frame(1))
    assert pixels(result.data) == pixels(data)


def test_an_avif_is_written_again_without_what_its_boxes_carry():
    plain = saved(detailed(), "AVIF")
    box = b"\0" * 16 + SECRET + b"-uuid"
    data = plain + struct.pack(">I", 8 + len(box)) + b"uuid" + box
    result = kept(data, "a.avif")
    assert PILImage.open(io.BytesIO(result.data)).size == (64, 48)
    no_secret_anywhere(result)


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP", "GIF"])
def test_a_file_cut_anywhere_is_stripped_or_malformed_and_nothing_else(kind):
    from blog.images.strip import Malformed, strip

    frames = [PILImage.new("RGB", (8, 6), colour) for colour in ("red", "blue")]
    if kind == "JPEG":
        data = saved(frames[0], kind, comment=b"c", progressive=True, restart_marker_blocks=1)
    else:
        data = saved(frames[0], kind, save_all=True, append_images=frames[1:], comment=b"c")
    suffix = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}[kind]
    assert strip(strip(data, suffix), suffix) == strip(data, suffix)
    for cut in range(len(data)):
        try:
            strip(data[:cut], suffix)
        except Malformed as exc:
            assert isinstance(exc, ValueError)  # which keep() makes a CannotProcess


def test_a_png_whose_chunks_cannot_be_walked_is_refused_not_a_server_error():
    plain = saved(detailed(), "PNG")
    with pytest.raises(CannotProcess):
        keep(plain[:-12] + struct.pack(">I", 10**6) + b"tEXt" + b"x" * 20, "png")


# --- 4. Key-colour transparency --------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "clear", "solid"),
    [("RGB", (10, 20, 30), (200, 100, 50)), ("L", 7, 200), ("I;16", 30000, 60000)],
)
def test_the_key_colour_of_a_png_is_transparent_in_its_renditions(mode, clear, solid):
    image = PILImage.new(mode, (600, 300), solid)
    image.paste(PILImage.new(mode, (300, 300), clear))  # a colour pasted into I;16 is cut to 8 bits
    result = kept(saved(image, "PNG", transparency=clear), "key.png")
    for rendition in result.renditions:
        if rendition.kind in ("webp", "avif"):
            small = PILImage.open(io.BytesIO(rendition.data)).convert("RGBA")
            # WebP keeps alpha losslessly; AVIF's is as lossy as its colours.
            near = 0 if rendition.kind == "webp" else 8
            assert small.getpixel((10, 10))[3] <= near, rendition.kind
            assert small.getpixel((small.width - 10, 10))[3] >= 255 - near, rendition.kind


def raw_png(width, height, depth, colour_type, row, key):
    """A PNG Pillow would not write: each row `row`, the key colour `key` in the file's depth."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    pixels = zlib.compress((b"\0" + row) * height)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tRNS", key)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("depth", "colour_type", "row", "key"),
    [
        (2, 0, bytes([0b01010101]) * 150 + b"\xff" * 150, struct.pack(">H", 1)),  # 2-bit grey
        (4, 0, b"\x55" * 300 + b"\xff" * 300, struct.pack(">H", 5)),  # 4-bit grey
        (
            16,
            2,
            struct.pack(">3H", 0x1234, 0x5678, 0x9ABC) * 600
            + struct.pack(">3H", 65535, 0, 0) * 600,
            struct.pack(">3H", 0x1234, 0x5678, 0x9ABC),
        ),  # 16-bit RGB
    ],
    ids=["2-bit grey", "4-bit grey", "16-bit RGB"],
)
def test_a_key_colour_in_a_depth_pillow_decodes_to_8_bits_stays_transparent(
    depth, colour_type, row, key
):
    result = kept(raw_png(1200, 300, depth, colour_type, row, key), "key.png")
    assert result.renditions
    for rendition in result.renditions:
        small = PILImage.open(io.BytesIO(rendition.data)).convert("RGBA")
        near = 8 if rendition.kind == "avif" else 0
        assert small.getpixel((10, 10))[3] <= near, rendition
        assert small.getpixel((small.width - 10, 10))[3] >= 255 - near, rendition


# --- 5. Too many frames ----------------------------------------------------------------------


def test_an_animation_of_too_many_frames_is_refused_unread(monkeypatch):
    loads = []
    monkeypatch.setattr(GifImagePlugin.GifImageFile, "load", lambda self: loads.append(1) or None)
    data = gif(*[frame(n % 2) for n in range(checks.MAX_FRAMES + 1)])
    with pytest.raises(checks.ImageRefused, match="10,001"):
        checks.examine(data, "many.gif")
    assert not loads


def test_an_animation_of_as_many_frames_as_allowed_is_taken(monkeypatch):
    monkeypatch.setattr(checks, "MAX_FRAMES", 50)
    assert checks.examine(gif(*[frame(n % 2) for n in range(50)]), "ok.gif").kind == "gif"
    with pytest.raises(checks.ImageRefused):
        checks.examine(gif(*[frame(n % 2) for n in range(51)]), "many.gif")
