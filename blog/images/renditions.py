"""The file kept for an image and its renditions, made once, on upload (Pillow).

The kept file has only what draws the picture (an allowlist, blog.images.strip): a PNG's,
JPEG's, WebP's or GIF's image data, palette, transparency, colour profile and animation
controls are copied, and nothing else is: not a camera's EXIF (the GPS position of the
author's home among it), XMP, comments, text chunks, C2PA manifests, thumbnails, a program's
private chunks or what follows the file's end. The pixels stay the author's, bit for bit, and
a file with nothing else in it is kept byte for byte. Pillow writes the file again, without
any metadata, in two cases: an image with an EXIF orientation its pixels do not have yet is
turned upright (PNG losslessly, JPEG and WebP at a quality a reader cannot tell from the
original), and an AVIF is always written again, its boxes not being walked byte by byte
(blog.images.strip says why). The colour profile stays.

Renditions are the widths an article column needs on phones and high-density screens, in
WebP and AVIF (where this Pillow can write it) and in the image's own format for browsers
that take neither. Animations (GIF, animated WebP and PNG) and SVG have none: a rendition
would stop the animation, and an SVG is sharp at every width already. A
rendition an encoder cannot make (WebP stops at 16,383 pixels a side: a long screenshot) is
left out; the others and the original still serve.
"""

import io
import struct
from dataclasses import dataclass

from PIL import Image as PILImage
from PIL import ImageOps, features

from .strip import strip

WIDTHS = (480, 960, 1600)
PILLOW_FORMAT = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "gif": "GIF", "avif": "AVIF"}
MIME = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}
# What of Pillow's `info` an encoder may write back (some fall back to `info` for what they
# are not given: a JPEG's comment does).
KEPT_INFO = {"icc_profile", "transparency", "dpi", "lossless", "duration", "loop", "disposal"}
# Given to every encoder, so that no default of theirs brings metadata back.
NO_METADATA = {"exif": b"", "xmp": b""}
ORIENTATION = 0x0112
ENCODE = {
    "jpg": {"format": "JPEG", "quality": 82, "optimize": True, "progressive": True},
    "png": {"format": "PNG", "compress_level": 6},
    "webp": {"format": "WEBP", "quality": 80, "method": 4},
    # speed 8 of 10: a 1600 px photograph in about a tenth of a second.
    "avif": {"format": "AVIF", "quality": 60, "speed": 8},
}
SIXTEEN_BITS = ("I;16", "I;16B", "I;16L", "I;16N")
# reduce() averages whole pixels in these modes; it refuses palettes, bilevel images and
# 16-bit greys, and in an image with a key colour it would blend that colour away.
REDUCIBLE = {"RGB", "RGBA", "L", "LA", "CMYK", "I", "F"}
# What Pillow raises on files it opened but cannot process: beyond OSError and ValueError,
# the arithmetic, type and struct errors of its readers and writers on fields a hostile file
# sets (an OverflowError once: identical GIF frames merged into a delay no GIF can hold;
# a RuntimeError from the AVIF decoder for a primary item that is not there).
PILLOW_ERRORS = (
    OSError,
    RuntimeError,
    ValueError,
    SyntaxError,
    EOFError,
    MemoryError,
    ArithmeticError,
    TypeError,
    struct.error,
)


class CannotProcess(ValueError):
    """Pillow could read the image but not make what is kept of it (blog.images.checks
    turns this into the author's refusal)."""


@dataclass
class Rendition:
    width: int
    kind: str  # suffix: webp, avif, jpg, png
    data: bytes

    @property
    def mime(self):
        return MIME[self.kind]


@dataclass
class Kept:
    data: bytes
    width: int
    height: int
    renditions: list


def keep(data, kind):
    """(the bytes to store, their size, the renditions) for an examined image, or None for
    an SVG (kept as examined). Raises CannotProcess when Pillow fails on it, or when its
    container cannot be walked (blog.images.strip.Malformed)."""
    if kind == "svg":
        return None
    try:
        return _keep(data, kind)
    except PILLOW_ERRORS as exc:
        raise CannotProcess(str(exc)) from exc


def _keep(data, kind):
    with PILImage.open(io.BytesIO(data)) as image:
        _key_on_the_pixels_scale(image)
        # A camera's MPO is its first picture (the strip ends a JPEG at its first EOI).
        animated = getattr(image, "n_frames", 1) > 1 and image.format != "MPO"
        if not animated and image.getexif().get(ORIENTATION, 1) not in (0, 1):
            icc = image.info.get("icc_profile")
            upright = ImageOps.exif_transpose(image)
            data = _rewrite(upright, kind, image.info, icc)
            image = upright
        elif kind == "avif" and animated:
            data = _rewrite_animation(image, kind)
        elif kind == "avif":
            data = _rewrite(image, kind, image.info, image.info.get("icc_profile"))
        if kind != "avif":
            # Pillow's own file too: the allowlist decides what is kept, not its defaults.
            data = strip(data, kind)
        if animated or kind == "gif":
            return Kept(data, image.width, image.height, [])
        width, height = image.size
        renditions = _renditions(image, kind)
    return Kept(data, width, height, renditions)


# PNG greys of fewer than 8 bits, which Pillow decodes spread over 0–255: the highest value.
LOW_BIT_GREYS = {"1": 1, "L;2": 3, "L;4": 15}


def _key_on_the_pixels_scale(image):
    """A PNG's key colour (tRNS) as Pillow's pixels hold it. The file gives it in its own bit
    depth, and Pillow decodes a 2- or 4-bit grey spread over 0–255 and a 16-bit RGB cut to
    8 bits, so compared as given it matches no pixel and the transparency is lost. Read
    before the pixels are loaded, while the tile still names the file's raw mode."""
    key = image.info.get("transparency")
    if image.format != "PNG" or key is None or not image.tile:
        return
    raw = image.tile[0].args
    raw = raw[0] if isinstance(raw, tuple) else raw
    if raw in LOW_BIT_GREYS and isinstance(key, int):
        image.info["transparency"] = key * 255 // LOW_BIT_GREYS[raw]
    elif raw.startswith("RGB;16") and isinstance(key, tuple):
        # Pixels that differ from the key in their low byte alone turn clear with it: Pillow
        # keeps no more of a 16-bit colour than its high byte.
        image.info["transparency"] = tuple(value >> 8 for value in key)


def _bare(image):
    """The same pixels with nothing in `info` an encoder would write back but what is kept."""
    copy = image.copy()
    copy.info = {key: value for key, value in image.info.items() if key in KEPT_INFO}
    return copy


def _rewrite(image, kind, info, icc):
    options = {"icc_profile": icc} if icc else {}
    image = _bare(image)
    if kind == "jpg":
        options.update(format="JPEG", quality=92, optimize=True, progressive=True)
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
    elif kind == "webp":
        options.update(format="WEBP", quality=92, method=4)
        if info.get("lossless"):
            options["lossless"] = True
    elif kind == "avif":
        options.update(format="AVIF", quality=80)
    else:
        options.update(format="PNG")
        if "transparency" in info and image.mode in ("P", "L", "RGB"):
            options["transparency"] = info["transparency"]
    out = io.BytesIO()
    image.save(out, **options, **NO_METADATA)
    return out.getvalue()


def _rewrite_animation(image, kind):
    image.info = {key: value for key, value in image.info.items() if key in KEPT_INFO}
    out = io.BytesIO()
    image.save(out, format=PILLOW_FORMAT[kind], save_all=True, **NO_METADATA)
    return out.getvalue()


def _formats(kind):
    made = ["avif"] if features.check("avif") else []
    made.append("webp")
    if kind not in made:
        made.append(kind)
    return made


def _eight_bits(image):
    """RGB or RGBA pixels for the encoders: 16-bit and float greys scaled down (a plain
    convert clips them to white), CMYK and palettes converted, and a key colour (a PNG's
    tRNS, `transparency`) made the alpha channel AVIF and WebP have instead."""
    key = image.info.get("transparency")
    if image.mode in SIXTEEN_BITS:
        image = image.convert("I")
    if image.mode == "I":
        grey = image.point(lambda value: value / 256).convert("L")
        if isinstance(key, int) and 0 <= key < 65536:
            # Looked up among the 16-bit values: convert() would compare the key with greys
            # already cut to 8 bits, and find none.
            alpha = [255] * 65536
            alpha[key] = 0
            return PILImage.merge("RGBA", (grey, grey, grey, image.point(alpha, "L")))
        return grey.convert("RGB")
    if image.mode == "F":
        return image.point(lambda value: value * 255).convert("L").convert("RGB")
    if image.mode == "RGBA" or (image.mode == "RGB" and key is None):
        return image
    return image.convert("RGBA" if key is not None or "A" in image.mode else "RGB")


def _renditions(image, kind):
    width, height = image.size
    widths = sorted({min(w, width) for w in WIDTHS})
    # A CMYK profile says nothing true about the RGB pixels made of it.
    icc = image.info.get("icc_profile") if image.mode != "CMYK" else None
    base = image
    if image.mode not in REDUCIBLE or "transparency" in image.info:
        base = _eight_bits(image)
    # The largest width needed, reached in whole steps first (cheap, and an RGB or grey image
    # without a key colour is never converted or copied at full size for it), then resized
    # exactly from there.
    factor = width // max(widths)
    if factor >= 2:
        base = base.reduce(factor)
    base = _eight_bits(_bare(base))
    made = []
    for target in widths:
        resized = base
        if target != base.width:
            size = (target, max(1, round(height * target / width)))
            resized = base.resize(size, PILImage.Resampling.LANCZOS)
        for suffix in _formats(kind):
            if suffix == kind and target == width:
                continue  # the kept file is that one
            frame = resized if suffix != "jpg" or resized.mode == "RGB" else resized.convert("RGB")
            out = io.BytesIO()
            options = {**ENCODE[suffix], **NO_METADATA, **({"icc_profile": icc} if icc else {})}
            try:
                frame.save(out, **options)
            except PILLOW_ERRORS:
                continue  # beyond this encoder (WebP's 16,383 px a side): the others serve
            made.append(Rendition(target, suffix, out.getvalue()))
    return made
