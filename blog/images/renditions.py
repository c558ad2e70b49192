"""The file kept for an image and its renditions, made once, on upload (Pillow).

The kept file is the author's own bytes unless they carry something a reader should not get
or see wrongly: a camera's EXIF (the GPS position of the author's home among it), XMP,
comments, text chunks, or an orientation the pixels do not have yet. Then the image is
turned upright and written again without any of it (PNG losslessly, JPEG and WebP at a
quality a reader cannot tell from the original); the colour profile stays.

Renditions are the widths an article column needs on phones and high-density screens, in
WebP and AVIF (where this Pillow can write it) and in the image's own format for browsers
that take neither. Animations (GIF, animated WebP and PNG) and SVG are kept as they are: a
rendition would stop the animation, and an SVG is sharp at every width already. A
rendition an encoder cannot make (WebP stops at 16,383 pixels a side: a long screenshot) is
left out; the others and the original still serve.
"""

import io
from dataclasses import dataclass

from PIL import Image as PILImage
from PIL import ImageOps, features

WIDTHS = (480, 960, 1600)
PILLOW_FORMAT = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "gif": "GIF", "avif": "AVIF"}
MIME = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}
# Metadata keys Pillow reads into `info` that say something about the author or the camera;
# the encoders write some of them back (a JPEG's or GIF's comment) unless they are removed.
REVEALING = {"exif", "xmp", "XML:com.adobe.xmp", "comment", "Raw profile type exif", "photoshop"}
KEPT_INFO = {"icc_profile", "transparency", "dpi", "lossless", "duration", "loop", "disposal"}
ORIENTATION = 0x0112
ENCODE = {
    "jpg": {"format": "JPEG", "quality": 82, "optimize": True, "progressive": True},
    "png": {"format": "PNG", "compress_level": 6},
    "webp": {"format": "WEBP", "quality": 80, "method": 4},
    # speed 8 of 10: a 1600 px photograph in about a tenth of a second.
    "avif": {"format": "AVIF", "quality": 60, "speed": 8},
}


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
    an SVG (kept as examined). Raises CannotProcess when Pillow fails on it."""
    if kind == "svg":
        return None
    try:
        return _keep(data, kind)
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise CannotProcess(str(exc)) from exc


def _keep(data, kind):
    with PILImage.open(io.BytesIO(data)) as image:
        animated = getattr(image, "n_frames", 1) > 1 and image.format != "MPO"
        if animated or kind == "gif":
            # Animations keep their frames; their metadata is at most a comment or XMP.
            if _revealing(image):
                data = _rewrite_animation(image, kind)
            return Kept(data, image.width, image.height, [])
        turn = image.getexif().get(ORIENTATION, 1) not in (0, 1)
        if turn or _revealing(image) or image.format == "MPO":
            icc = image.info.get("icc_profile")
            upright = ImageOps.exif_transpose(image) if turn else image
            data = _rewrite(upright, kind, image.info, icc)
            image = upright
        width, height = image.size
        renditions = _renditions(image, kind)
    return Kept(data, width, height, renditions)


def _revealing(image):
    if REVEALING & set(image.info) or image.getexif():
        return True
    if getattr(image, "text", None):  # PNG tEXt/iTXt: software, author, sometimes a path
        return True
    return any(marker in ("APP1", "APP13", "COM") for marker, _ in getattr(image, "applist", []))


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
    image.save(out, **options)
    return out.getvalue()


def _rewrite_animation(image, kind):
    image.info = {key: value for key, value in image.info.items() if key in KEPT_INFO}
    out = io.BytesIO()
    image.save(out, format=PILLOW_FORMAT[kind], save_all=True)
    return out.getvalue()


def _formats(kind):
    made = ["avif"] if features.check("avif") else []
    made.append("webp")
    if kind not in made:
        made.append(kind)
    return made


def _eight_bits(image):
    """RGB or RGBA pixels for the encoders: 16-bit and float greys scaled down (a plain
    convert clips them to white), CMYK and palettes converted."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        image = image.convert("I")
    if image.mode == "I":
        return image.point(lambda value: value / 256).convert("L").convert("RGB")
    if image.mode == "F":
        return image.point(lambda value: value * 255).convert("L").convert("RGB")
    if image.mode in ("RGB", "RGBA"):
        return image
    alpha = "transparency" in image.info or "A" in image.mode
    return image.convert("RGBA" if alpha else "RGB")


def _renditions(image, kind):
    width, height = image.size
    widths = sorted({min(w, width) for w in WIDTHS})
    # The largest width needed, reached in whole steps first (cheap, and the full-size
    # image is never converted or copied for it), then resized exactly from there.
    factor = width // max(widths)
    base = image.reduce(factor) if factor >= 2 else image
    # A CMYK profile says nothing true about the RGB pixels made of it.
    icc = image.info.get("icc_profile") if image.mode != "CMYK" else None
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
            try:
                frame.save(out, **ENCODE[suffix], **({"icc_profile": icc} if icc else {}))
            except (OSError, ValueError):
                continue  # beyond this encoder (WebP's 16,383 px a side): the others serve
            made.append(Rendition(target, suffix, out.getvalue()))
    return made
