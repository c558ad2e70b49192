"""An upload or an imported file made an Image: checked, cleaned, its renditions made, all
of it written through the media storage (Django's storage API: a local folder, or an
S3-compatible bucket through django-storages, README "Images"), and one row that knows it.

The same bytes uploaded twice are one image (the first one's address): an author pasting a
screenshot again does not fill the bucket, and a second import of a post finds its images.
If anything fails, what was written is removed.
"""

import hashlib
import logging
from contextlib import suppress
from datetime import date
from pathlib import PurePosixPath

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import slugify

from ..models import Image
from .checks import MAX_IMAGE_BYTES, ImageRefused, cannot_process, examine
from .renditions import CannotProcess, keep

logger = logging.getLogger(__name__)

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
            alt_given(found)
        return found, False
    examined = examine(data, filename)
    try:
        kept = keep(examined.data, examined.kind)
    except CannotProcess:
        raise cannot_process(filename or "image") from None
    body = kept.data if kept else examined.data
    wanted = name or _name(filename, examined.kind, hashlib.sha256(body).hexdigest())
    written = []
    try:
        stored = storage.save(wanted, ContentFile(body))
        written.append(stored)
        with transaction.atomic():
            image = _row(stored, filename, examined, kept, body, received, storage, written)
            image.alt, image.uploaded_by = alt[:300], user
            image.save()
    except BaseException:
        _remove(storage, written)
        raise
    image.removed = examined.removed
    return image, True


def alt_given(image):
    """An image's alt text was given or changed: it stands in where a post gives none, in
    each page that shows the image."""
    from ..publishing import rerender

    rerender(image.posts.all())


def _row(name, filename, examined, kept, body, received, storage, written):
    """The Image (not saved yet) of the file kept at `name`, its renditions written beside
    it (added to `written`)."""
    return Image(
        file=name,
        original_name=PurePosixPath(filename or name).name[:255],
        kind=examined.kind,
        width=kept.width if kept else examined.width,
        height=kept.height if kept else examined.height,
        size=len(body),
        digest=hashlib.sha256(body).hexdigest(),
        source_digest=received,
        renditions=_write_renditions(storage, name, kept, written),
    )


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


def _remove(storage, names):
    for path in names:
        with suppress(OSError):  # what could not be removed is no reason to hide why
            storage.delete(path)


def delete_files(image):
    """The image's files, when its row is deleted (the admin does this after the delete)."""
    for path in image.stored_names():
        with suppress(OSError):  # already gone: the row was what mattered
            image.file.storage.delete(path)


def adopt(name, storage=None, written=None):
    """The Image for a file the storage already holds without a row (an import made before
    images had rows), made from it in place: cleaned as an upload is (EXIF and location
    taken out, turned upright) and written again under its own name, so the address posts
    give stays; renditions written beside it. None when it is not an image the blog takes,
    or no file of the storage, or a rendition of another image. The renditions' names are
    added to `written` (an import removes them if its transaction is rolled back)."""
    storage = storage or default_storage
    if (found := Image.objects.filter(file=name).first()) is not None:
        return found
    if _is_rendition(name):
        return None
    try:
        with storage.open(name, "rb") as stored:
            data = stored.read(MAX_IMAGE_BYTES + 1)
        examined = examine(data, PurePosixPath(name).name)
        kept = keep(examined.data, examined.kind)
    except (ImageRefused, CannotProcess, SuspiciousFileOperation, OSError, ValueError):
        return None  # "../x.png", a NUL in the name, a file that is gone or no image
    body = kept.data if kept else examined.data
    made = []
    try:
        with transaction.atomic():
            image = _row(name, name, examined, kept, body, hashlib.sha256(data).hexdigest(),
                         storage, made)  # fmt: skip
            image.save()
            if body != data:
                _replace(storage, name, body, data)
    except OSError:  # the storage would not take the cleaned file: it stays as it was
        _remove(storage, made)
        return None
    except BaseException:
        _remove(storage, made)
        raise
    if written is not None:
        written.extend(made)
    return image


def _replace(storage, name, body, original):
    """`name` holding `body` in place of `original`. The storage API has no rename, so the
    file is deleted and saved again. The original is first copied aside: a write that fails
    half-way (a full disk) leaves a part of a file at `name`, which is removed and the
    original written back; were even that to fail, the copy aside keeps it, and the log
    says where."""
    aside = storage.save(f"{name}.original", ContentFile(original))
    storage.delete(name)
    try:
        saved = storage.save(name, ContentFile(body))
        if saved != name:  # someone else's file took the name meanwhile: ours is not needed
            storage.delete(saved)
            raise OSError(f"could not write {name} again")
    except BaseException:
        _restore(storage, name, original, aside)
        raise
    storage.delete(aside)


def _restore(storage, name, original, aside):
    try:
        with suppress(OSError):
            if storage.exists(name):
                storage.delete(name)  # what the failed write left
        restored = storage.save(name, ContentFile(original))
        if restored != name:
            storage.delete(restored)
            raise OSError(f"{name} is taken")
    except Exception:
        logger.exception("%s could not be written back; its original is kept as %s", name, aside)
        return
    storage.delete(aside)


def _is_rendition(name):
    """Whether `name` is one of a kept image's renditions (a post may link to one). Found in
    the renditions the rows list, not read from the name: the storage may have added to a
    rendition's name to keep it unique."""
    folder = name.rpartition("/")[0]
    beside = Image.objects.filter(file__startswith=f"{folder}/" if folder else "")
    return any(
        rendition.get("name") == name
        for renditions in beside.values_list("renditions", flat=True).iterator()
        for rendition in renditions
    )
