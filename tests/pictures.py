"""Real image files for tests, made by Pillow (a file the upload checks can decode)."""

import io

from PIL import Image


def image_bytes(kind="PNG", size=(4, 4), colour=(200, 30, 30), mode=None, **options):
    if mode is None:
        mode = "RGBA" if kind == "PNG" and len(colour) == 4 else "RGB"
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=kind, **options)
    return out.getvalue()


def png(size=(4, 4), colour=(200, 30, 30)):
    return image_bytes("PNG", size, colour)


def jpeg(size=(4, 4), colour=(200, 30, 30), **options):
    return image_bytes("JPEG", size, colour, **options)
