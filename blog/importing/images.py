"""Images a post references, copied from the import's own folder into the media storage."""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..images.checks import ImageRefused, examine
from ..images.imagesize import image_size
from ..images.references import HTML_IMG_RE, IMAGE_RE
from ..images.svg import UnsafeSVG, sanitize_svg
from ..models import Image
from . import limits
from .frontmatter import ImportProblem

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp"}
# Where a site keeps what it serves from its root: Hugo's static/, Hexo's source/, Jekyll's
# assets/ (and the site folder itself).
SITE_ROOTS = ("static", "source", "assets", "")


def _inside(real, home):
    return real == home or real.startswith(home.rstrip(os.sep) + os.sep)


def _read(real, svg):
    with open(real, "rb") as stream:
        data = limits.read_bounded(stream, limits.MAX_IMAGE_BYTES, Path(real).name)
    return sanitize_svg(data) if svg else (data, [])


@dataclass
class PendingImage:
    """An image to store with its post: read again when it is written, so an import of many
    posts never holds all their images in memory."""

    source: str  # its real path, inside the import's folder
    digest: bytes
    svg: bool

    def data(self):
        try:
            data, _removed = _read(self.source, self.svg)
        except (OSError, ImportProblem, UnsafeSVG) as exc:
            raise ImportProblem(f"could not read the image {Path(self.source).name}") from exc
        if hashlib.sha256(data).digest() != self.digest:
            raise ImportProblem(f"the image {Path(self.source).name} changed during the import")
        return data


class ImageCopier:
    """Finds the images a post references relative to itself, names each one under
    posts/<slug>/ in the media storage and points the references at those names; a missing
    file is a note, not a failure. Nothing is written here: `pending` lists the files to
    store, which the importer writes with the post's row and removes if that fails.

    Only files inside `home`, the import's own folder, are taken (issue 10, finding 6): a
    reference that leads out of it, by `..`, by a path from the root or by a symlink, is
    kept as it is, with a note. SVG is stored as sanitize_svg makes it (blog.images.svg).

    A name is the file's own name, unless the post already has a different file of that
    name (two folders' "img.png"): then the name carries a digest of the bytes. The same
    bytes always get the same name, so a second import neither copies nor renames."""

    def __init__(self, storage, post_path: Path, slug: str, home: Path):
        self.storage, self.post_path, self.slug = storage, post_path, slug
        self.home = os.path.realpath(home)
        self.notes = []
        self.pending = {}  # name -> PendingImage
        self.adoptable = set()  # names stored by an import made before images had rows
        self.copied = {}  # real path -> url (or None), so a file is read once per post
        self.total = 0

    def rewrite(self, body):
        self.sizes = {}
        body = IMAGE_RE.sub(lambda m: self._replace(m, markdown=True), body)
        return HTML_IMG_RE.sub(lambda m: self._replace(m, markdown=False), body)

    def _replace(self, match, markdown):
        reference = match.group(2)
        bare = reference[1:-1] if markdown and reference.startswith("<") else reference
        url = self._store(bare)
        if url is None:
            return match.group(0)
        size = self.sizes.get(url)
        already_sized = match.string.startswith("{", match.end())
        if markdown and size and not already_sized:
            return f"{match.group(1)}{url}{match.group(3)}{{ width={size[0]} height={size[1]} }}"
        return f"{match.group(1)}{url}{match.group(3)}"

    def _candidates(self, path):
        folder = self.post_path.parent
        if path.startswith("/"):
            relative = path.lstrip("/")
            for ancestor in [folder, *folder.parents]:
                if not _inside(os.path.realpath(ancestor), self.home):
                    return
                for root in SITE_ROOTS:
                    yield ancestor / root / relative if root else ancestor / relative
            return
        yield folder / path
        yield folder / self.post_path.stem / path  # Hexo's post asset folder
        if self.post_path.stem in ("index", "_index"):
            yield folder / Path(path).name

    def _locate(self, reference):
        """(the file as the post names it, its real path), or why no file is taken."""
        try:
            path = unquote(urlsplit(reference).path)
        except ValueError:  # "http://[::1": no path to look for
            return "image not found"
        if "\x00" in path or not path:
            return "image not found"
        outside = False
        for candidate in self._candidates(path):
            try:
                real = os.path.realpath(candidate)
            except (OSError, ValueError):
                continue
            # Decided by the path alone, whether or not the file exists: the note says
            # nothing about files outside the import.
            if not _inside(real, self.home):
                outside = True
            elif os.path.isfile(real):
                return candidate, real
        return "image outside the import's folder" if outside else "image not found"

    def _holds(self, name, digest):
        """Whether `name` is free (None), holds these bytes (True) or others (False)."""
        if name in self.pending:
            return self.pending[name].digest == digest
        kept = Image.objects.filter(file=name).values_list("source_digest", flat=True).first()
        if kept is not None:  # kept cleaned (blog.images.renditions): its bytes differ
            return kept == digest.hex()
        if not self.storage.exists(name):
            return None
        with self.storage.open(name, "rb") as stored:
            return hashlib.sha256(stored.read()).digest() == digest

    def _store(self, reference):
        try:
            parts = urlsplit(reference)
        except ValueError:  # "http://[::1": no file of the import, left as written
            return None
        if parts.scheme or parts.netloc or reference.startswith(("#", "data:")):
            return None
        if reference.startswith(("/media/", "/static/")):
            return None  # already one of ours (a re-import of an export)
        found = self._locate(reference)
        if isinstance(found, str):
            self.notes.append(f"{found}, reference kept: {reference}")
            return None
        source, real = found
        if real in self.copied:
            return self.copied[real]
        self.copied[real] = url = self._copy(reference, source, real)
        return url

    def _copy(self, reference, source, real):
        suffix = source.suffix.lower()
        if suffix not in IMAGE_SUFFIXES:
            self.notes.append(f"not an image, reference kept: {reference}")
            return None
        try:
            if os.path.getsize(real) > limits.MAX_IMAGE_BYTES:
                raise ImportProblem("too large")
            data, removed = _read(real, svg=suffix == ".svg")
        except UnsafeSVG as exc:
            self.notes.append(f"{reference}: SVG not copied, it {exc}; reference kept")
            return None
        except (OSError, ImportProblem):
            self.notes.append(
                f"image larger than {limits.MAX_IMAGE_BYTES // 2**20} MB or unreadable, "
                f"reference kept: {reference}"
            )
            return None
        if removed:
            self.notes.append(
                f"{reference}: removed {', '.join(removed[:6])}"
                f"{' …' if len(removed) > 6 else ''} (a picture that only draws)"
            )
        try:
            examined = examine(data, source.name)  # what an upload must be, an import too
        except ImageRefused as exc:
            self.notes.append(f"not copied ({exc}), reference kept: {reference}")
            return None
        self.total += len(data)
        if self.total > limits.MAX_POST_IMAGE_BYTES:
            self.notes.append(
                f"this post's images pass {limits.MAX_POST_IMAGE_BYTES // 2**20} MB, "
                f"reference kept: {reference}"
            )
            return None
        digest = hashlib.sha256(data).digest()
        # Upright, as it will be kept (a photo's EXIF orientation applied).
        size = (examined.width, examined.height) if examined.width else image_size(data)
        name = f"posts/{self.slug}/{source.name}"
        holds = self._holds(name, digest)
        if holds is False:
            name = f"posts/{self.slug}/{source.stem}-{digest.hex()[:10]}{source.suffix}"
            holds = self._holds(name, digest)
        if holds is None:
            self.pending[name] = PendingImage(real, digest, svg=suffix == ".svg")
        elif not Image.objects.filter(file=name).exists():
            self.adoptable.add(name)
        return self._sized(self.storage.url(name), size)

    def _sized(self, url, size):
        if size and all(0 < n < 100_000 for n in size):
            self.sizes[url] = size
        return url
