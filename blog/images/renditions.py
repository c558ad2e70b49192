"""The file kept for an image and its renditions, made once, on upload (Pillow).

The kept file is the author's own bytes unless they carry something a reader should not get
or see wrongly: a camera's EXIF (the GPS position of the author's home among it), XMP,
comments, text chunks, or an orientation the pixels do not have yet. Then the image is
turned upright and written again without any of it (PNG losslessly, JPEG and WebP at a
quality a reader cannot tell from the original); the colour profile stays.

Renditions are the widths an article column needs on phones and high-density screens, in
WebP and AVIF (where this Pillow can write it) and in the image's own format for browsers
that take neither. Animations (GIF, animated WebP) and SVG are kept as they are: a
rendition would stop the animation, and an SVG is sharp at every width already.
"""

import io
from dataclasses import dataclass

from PIL import Image as PILImage
from PIL import ImageOps, features

WIDTHS = (480, 960, 1600)
PILLOW_FORMAT = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "gif": "GIF"}
MIME = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}
# Metadata keys Pillow reads into `info` that say something about the author or the camera.
REVEALING = {"exif", "xmp", "XML:com.adobe.xmp", "comment", "Raw profile type exif", "photoshop"}
ENCODE = {
    "jpg": {"format": "JPEG", "quality": 82, "optimize": True, "progressive": True},
    "png": {"format": "PNG", "compress_level": 6},
    "webp": {"format": "WEBP", "quality": 80, "method": 4},
    # speed 8 of 10: a 1600 px photograph in about a tenth of a second.
    "avif": {"format": "AVIF", "quality": 60, "speed": 8},
}


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
    """(the bytes to store, their size, the renditions) for an examined image."""
    if kind == "svg":
        return None
    with PILImage.open(io.BytesIO(data)) as image:
        animated = getattr(image, "n_frames", 1) > 1
        if animated or kind == "gif":
            # Animations keep their frames; a GIF's metadata is at most a comment.
            if _revealing(image):
                data = _rewrite_animation(image, kind)
            return Kept(data, image.width, image.height, [])
        upright = ImageOps.exif_transpose(image)
        if upright is not image or _revealing(image):
            data = _rewrite(upright, kind, image.info)
        width, height = upright.size
        renditions = _renditions(upright, kind)
    return Kept(data, width, height, renditions)


def _revealing(image):
    if REVEALING & set(image.info) or image.getexif():
        return True
    if getattr(image, "text", None):  # PNG tEXt/iTXt: software, author, sometimes a path
        return True
    return any(marker in ("APP1", "APP13") for marker, _ in getattr(image, "applist", []))


def _rewrite(image, kind, info):
    options = {"icc_profile": info.get("icc_profile")} if info.get("icc_profile") else {}
    if kind == "jpg":
        options.update(format="JPEG", quality=92, optimize=True, progressive=True)
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
    elif kind == "webp":
        options.update(format="WEBP", quality=92, method=4)
        if info.get("lossless"):
            options["lossless"] = True
    else:
        options.update(format="PNG")
        if "transparency" in info and image.mode in ("P", "L", "RGB"):
            options["transparency"] = info["transparency"]
    out = io.BytesIO()
    image.save(out, **options)
    return out.getvalue()


def _rewrite_animation(image, kind):
    out = io.BytesIO()
    image.save(out, format=PILLOW_FORMAT[kind], save_all=True)
    return out.getvalue()


def _formats(kind):
    made = ["avif"] if features.check("avif") else []
    made.append("webp")
    if kind != "webp":
        made.append(kind)
    return made


def _renditions(image, kind):
    width, height = image.size
    widths = sorted({min(w, width) for w in WIDTHS})
    if image.mode not in ("RGB", "RGBA"):
        alpha = "transparency" in image.info or "A" in image.mode
        image = image.convert("RGBA" if alpha else "RGB")
    made = []
    for target in widths:
        resized = image
        if target < width:
            size = (target, max(1, round(height * target / width)))
            resized = image.resize(size, PILImage.Resampling.LANCZOS, reducing_gap=3.0)
        for suffix in _formats(kind):
            if suffix == kind and target == width:
                continue  # the kept file is that one
            frame = resized
            if suffix == "jpg" and frame.mode != "RGB":
                frame = frame.convert("RGB")
            out = io.BytesIO()
            frame.save(out, **ENCODE[suffix])
            made.append(Rendition(target, suffix, out.getvalue()))
    return made
