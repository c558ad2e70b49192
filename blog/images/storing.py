"""An upload or an imported file made an Image: checked, cleaned, its renditions made, all
of it written through the media storage (Django's storage API: a local folder, or an
S3-compatible bucket through django-storages, README "Images"), and one row that knows it.

The same bytes uploaded twice are one image (the first one's address): an author pasting a
screenshot again does not fill the bucket, and a second import of a post finds its images.
If anything fails, what was written is removed.
"""

import hashlib
import io
from contextlib import suppress
from datetime import date
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import slugify

from ..models import Image
from .checks import MAX_IMAGE_BYTES, ImageRefused, cannot_process, examine
from .renditions import CannotProcess, keep

SUFFIXES = {"png": "png", "jpg": "jpg", "webp": "webp", "gif": "gif", "svg": "svg", "avif": "avif"}


def _name(filename, kind, digest):
    stem = slugify(PurePosixPath(filename or "").stem, allow_unicode=True)[:60].strip("-")
    today = date.today()
    return f"images/{today:%Y/%m}/{stem or 'image'}-{digest[:10]}.{SUFFIXES[kind]}"


def store(data, filename="", *, alt="", user=None, storage=None, name=None):
    """(the Image for these bytes, whether it is new). `name`, when given, is where the file
    must be kept (an import's own naming); else it is images/<year>/<month>/<name>-<digest>.
    Raises blog.images.checks.ImageRefused for a file that is not an image the blog takes."""
    storage = storage or default_storage
    received = hashlib.sha256(data).hexdigest()
    if name:
        found = Image.objects.filter(file=name, source_digest=received).first()
    else:
        found = Image.objects.filter(source_digest=received).first()
    if found is not None:
        if alt and not found.alt:
            found.alt = alt[:300]
            found.save(update_fields=["alt"])
        return found, False
    examined = examine(data, filename)
    try:
        kept = keep(examined.data, examined.kind)
    except CannotProcess:
        raise cannot_process(filename or "image") from None
    body = kept.data if kept else examined.data
    digest = hashlib.sha256(body).hexdigest()
    wanted = name or _name(filename, examined.kind, digest)
    written = []
    try:
        stored = storage.save(wanted, ContentFile(body))
        written.append(stored)
        renditions = _write_renditions(storage, stored, kept, written)
        with transaction.atomic():
            image = Image(
                original_name=PurePosixPath(filename or stored).name[:255],
                kind=examined.kind,
                width=kept.width if kept else examined.width,
                height=kept.height if kept else examined.height,
                size=len(body),
                digest=digest,
                source_digest=received,
                alt=alt[:300],
                renditions=renditions,
                uploaded_by=user,
            )
            image.file.name = stored
            image.save()
    except BaseException:
        for path in written:
            storage.delete(path)
        raise
    image.removed = examined.removed
    return image, True


def _write_renditions(storage, name, kept, written):
    """The renditions stored beside `name` (name.w480.webp, …), each added to `written`."""
    base = name.rsplit(".", 1)[0]
    renditions = []
    for rendition in kept.renditions if kept else []:
        path = storage.save(
            f"{base}.w{rendition.width}.{rendition.kind}", ContentFile(rendition.data)
        )
        written.append(path)
        renditions.append({"name": path, "width": rendition.width, "type": rendition.mime})
    return renditions


def delete_files(image):
    """The image's files, when its row is deleted (the admin does this after the delete)."""
    for path in image.stored_names():
        with suppress(OSError):  # already gone: the row was what mattered
            image.file.storage.delete(path)


def adopt(name, storage=None):
    """The Image for a file the storage already holds without a row (an import made before
    images had rows), made from it in place: its renditions are written beside it, the file
    itself is left as it is. None when it is not an image the blog takes."""
    storage = storage or default_storage
    if (found := Image.objects.filter(file=name).first()) is not None:
        return found
    try:
        with storage.open(name, "rb") as stored:
            data = stored.read(MAX_IMAGE_BYTES + 1)
        examined = examine(data, PurePosixPath(name).name)
        kept = keep(examined.data, examined.kind) if examined.kind != "svg" else None
    except (ImageRefused, CannotProcess, OSError):
        return None
    written = []
    try:
        renditions = _write_renditions(storage, name, kept, written)
        digest = hashlib.sha256(data).hexdigest()
        with transaction.atomic():
            image = Image(
                original_name=PurePosixPath(name).name[:255],
                kind=examined.kind,
                # As the file is (not turned upright: it was not rewritten).
                width=examined.width if examined.kind == "svg" else _stored_size(data)[0],
                height=examined.height if examined.kind == "svg" else _stored_size(data)[1],
                size=len(data),
                digest=digest,
                source_digest=digest,
                renditions=renditions,
            )
            image.file.name = name
            image.save()
    except BaseException:
        for path in written:
            storage.delete(path)
        raise
    return image


def _stored_size(data):
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(data)) as image:
        return image.size
