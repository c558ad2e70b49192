"""What an uploaded or imported file must be to become an image of a post.

The file's bytes decide, never its name or the type a browser claims: a text file renamed
`.png` is refused, a PNG named `.jpg` is a PNG. Raster images are opened by Pillow (which
refuses truncated and corrupt files when it decodes them here, not later on a page) and must
be PNG, JPEG, WebP, AVIF or GIF within MAX_PIXELS, an animation within MAX_FRAMES too; an SVG
is accepted only as blog.images.svg rebuilds it from the parts that only draw.
"""

import io
import re
import warnings
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image as PILImage

from .imagesize import image_size
from .renditions import PILLOW_ERRORS
from .svg import UnsafeSVG, sanitize_svg

MAX_IMAGE_BYTES = 20 * 1024 * 1024
# A 50-megapixel photograph is bigger than any article needs; past this a small file can
# still unpack into gigabytes of pixels (a decompression bomb), so it is refused unread.
MAX_PIXELS = 50_000_000
# An animation decodes every frame: this many pixels in all (a 480 × 270 GIF of 700 frames).
MAX_ANIMATION_PIXELS = 100_000_000
# Every frame is decoded here: a 20 MB GIF of 870,000 one-pixel frames would take half a
# minute, though its pixels in all are far below MAX_ANIMATION_PIXELS.
MAX_FRAMES = 10_000
# Beyond any screen, and beyond what the encoders of renditions take (WebP: 16,383).
MAX_SIDE = 30_000
# A camera's JPEG with a second picture inside (MPO) is a JPEG to a browser.
FORMATS = {"PNG": "png", "JPEG": "jpg", "MPO": "jpg", "WEBP": "webp", "GIF": "gif", "AVIF": "avif"}
ORIENTATION = 0x0112
SVG_START_RE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg\b", re.S
)


class ImageRefused(ValueError):
    """Why a file is not taken, said to the author (in the site's language)."""


@dataclass
class Examined:
    data: bytes  # the bytes to keep: an SVG's rebuilt file, a raster's own
    kind: str  # "png", "jpg", "webp", "gif" or "svg": also the stored name's suffix
    width: int
    height: int
    removed: list  # what an SVG lost in sanitizing, for the author


def examine(data: bytes, filename: str = "") -> Examined:
    """The file as an image the blog can keep, or ImageRefused saying why not."""
    shown = filename or _("the file")
    if not data:
        raise ImageRefused(_("%(name)s is empty.") % {"name": shown})
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRefused(
            _("%(name)s is %(size)s; an image may be at most %(limit)s.")
            % {
                "name": shown,
                "size": filesizeformat(len(data)),
                "limit": filesizeformat(MAX_IMAGE_BYTES),
            }
        )
    if SVG_START_RE.match(data[:4096]):
        return _svg(data, shown)
    return _raster(data, shown)


def _svg(data, shown):
    try:
        clean, removed = sanitize_svg(data)
    except UnsafeSVG as exc:
        raise ImageRefused(
            _("%(name)s is not an SVG image the blog can show: it %(why)s.")
            % {"name": shown, "why": exc}
        ) from None
    width, height = image_size(clean) or (0, 0)
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        width = height = 0  # no size the page could use: the browser finds its own
    return Examined(clean, "svg", width, height, removed)


def _raster(data, shown):
    not_an_image = ImageRefused(
        _("%(name)s is not an image (PNG, JPEG, WebP, AVIF, GIF or SVG).") % {"name": shown}
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as image:
                kind = FORMATS.get(image.format)
                if kind is None:
                    raise not_an_image
                width, height = image.size
                if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                    raise _too_many_pixels(shown, width, height)
                frames = getattr(image, "n_frames", 1) if image.format != "MPO" else 1
                if frames > MAX_FRAMES:
                    raise _too_many_frames(shown, frames)
                if frames * width * height > MAX_ANIMATION_PIXELS:
                    raise _too_many_pixels(shown, width, height)
                # Decoding the whole (every frame of an animation) finds truncated and
                # corrupt files now: verify() alone passes many of them.
                for frame in range(frames):
                    image.seek(frame)
                    image.load()
                if image.getexif().get(ORIENTATION) in (5, 6, 7, 8):
                    width, height = height, width  # as it will be kept: upright
    except ImageRefused:
        raise
    except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError):
        raise _too_many_pixels(shown, 0, 0) from None
    except PILLOW_ERRORS:  # UnidentifiedImageError among them
        raise not_an_image from None
    if not width or not height:
        raise not_an_image
    return Examined(data, kind, width, height, [])


def cannot_process(shown):
    return ImageRefused(
        _("%(name)s could not be processed as an image; save it again as PNG or JPEG.")
        % {"name": shown}
    )


def _too_many_pixels(shown, width, height):
    size = f" ({width} × {height})" if width else ""
    return ImageRefused(
        _(
            "%(name)s%(size)s is too large: at most %(limit)s million pixels, %(side)s on a "
            "side, and %(frames)s million in all the frames of an animation."
        )
        % {
            "name": shown,
            "size": size,
            "limit": MAX_PIXELS // 1_000_000,
            "side": f"{MAX_SIDE:,}",
            "frames": MAX_ANIMATION_PIXELS // 1_000_000,
        }
    )


def _too_many_frames(shown, frames):
    return ImageRefused(
        _("%(name)s has %(frames)s frames; an animation may have at most %(limit)s.")
        % {"name": shown, "frames": f"{frames:,}", "limit": f"{MAX_FRAMES:,}"}
    )
