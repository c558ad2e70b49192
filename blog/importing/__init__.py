"""Imports Markdown files with front matter (Hexo, Hugo, Jekyll) as posts.

One file, one post, one transaction: a file that cannot be read is reported with the reason
and the others go on. Posts are matched by slug, so importing again updates what changed and
leaves the rest untouched; nothing is ever created twice.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils.text import slugify

from ..models import Category, Post, unique_slug
from ..rendering import plain_text
from .frontmatter import ImportProblem, read_document
from .syntax import ImageCopier, SyntaxConverter

MARKDOWN_SUFFIXES = {".md", ".markdown"}
DEFAULT_CATEGORY = "未分类"
OUTCOMES = ("created", "updated", "unchanged", "failed")


@dataclass
class FileResult:
    path: str
    outcome: str
    slug: str = ""
    reason: str = ""
    notes: list = field(default_factory=list)


@dataclass
class Report:
    results: list = field(default_factory=list)
    dry_run: bool = False

    def count(self, outcome):
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def failed(self):
        return self.count("failed")

    def summary(self):
        counts = ", ".join(f"{self.count(o)} {o}" for o in OUTCOMES)
        return f"{'Dry run, nothing written: ' if self.dry_run else ''}{counts}."


# Where each generator keeps its posts, tried in order when PATH is a whole site's folder.
SITE_LAYOUTS = (
    ("source/_posts", "source/_drafts"),  # Hexo
    ("_posts", "_drafts"),  # Jekyll
    ("content",),  # Hugo
)
SKIPPED_FOLDERS = {"node_modules", "themes", "public", "vendor", "resources", ".git", "_site"}
SKIPPED_NAMES = {"readme", "changelog", "license", "contributing", "_index"}


def _markdown_under(folder):
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if (
            path.is_file()
            and path.suffix.lower() in MARKDOWN_SUFFIXES
            and path.stem.lower() not in SKIPPED_NAMES
            and not any(p.startswith(".") or p in SKIPPED_FOLDERS for p in parts[:-1])
        ):
            yield path


def discover(paths):
    """Markdown files under the given files and folders, in a stable order. A whole Hexo,
    Jekyll or Hugo site is narrowed to its posts, so themes' READMEs and pages stay out."""
    found, missing = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append((path, path.parent))
        elif path.is_dir():
            layout = next(
                (folders for folders in SITE_LAYOUTS if (path / folders[0]).is_dir()), None
            )
            roots = [path / f for f in layout if (path / f).is_dir()] if layout else [path]
            found.extend((file, root) for root in roots for file in _markdown_under(root))
        else:
            missing.append(raw)
    return found, missing


def check_lengths(doc, notes):
    """What the database would refuse, said in the author's terms before it is tried."""
    limits = {
        "title": (doc.title, Post._meta.get_field("title").max_length),
        "category": (doc.category, Category._meta.get_field("name").max_length),
    }
    for key, (value, limit) in limits.items():
        if len(value) > limit:
            raise ImportProblem(f"{key} is longer than {limit} characters: {value[:40]}…")
    for tag in doc.tags:
        if len(tag) > 100:
            raise ImportProblem(f"tag is longer than 100 characters: {tag[:40]}…")
    slug_limit = Post._meta.get_field("slug").max_length
    if len(doc.slug) > slug_limit:
        doc.slug = doc.slug[:slug_limit].rstrip("-")
        notes.append(f"slug shortened to {slug_limit} characters: {doc.slug}")


class Importer:
    def __init__(self, dry_run=False, storage=None):
        self.dry_run = dry_run
        self.storage = storage or default_storage
        self.slugs_by_stem = {}

    def run(self, paths, progress=None):
        files, missing = discover(paths)
        report = Report(dry_run=self.dry_run)
        for raw in missing:
            report.results.append(FileResult(str(raw), "failed", reason="no such file or folder"))
        # References between posts ({{< ref >}}, {% post_url %}) resolve to the target's slug.
        for path, _root in files:
            stem = path.parent.name if path.stem in ("index", "_index") else path.stem
            self.slugs_by_stem[stem] = None
        for number, (path, root) in enumerate(files, 1):
            report.results.append(self.import_file(path, root))
            if progress:
                progress(number, len(files), path)
        return report

    def import_file(self, path, root=None):
        shown = str(path)
        try:
            text = self._read(path)
            fallback = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
            doc = read_document(path, text, fallback)
            converter = SyntaxConverter(slug_for_ref=self._slug_for_ref)
            doc.body = converter.convert(doc.body)
            images = ImageCopier(self.storage, path, doc.slug, self.dry_run)
            doc.body = images.rewrite(doc.body).rstrip()  # as Post.save() stores it
            notes = converter.notes + images.notes
            if doc.extras:
                notes.append("kept unknown keys: " + ", ".join(sorted(doc.extras)))
            if doc.extra_categories:
                notes.append(
                    f"category {doc.category!r} used; also listed: "
                    + ", ".join(doc.extra_categories)
                )
            check_lengths(doc, notes)
            outcome = self._save(doc, notes)
        except ImportProblem as problem:
            return FileResult(shown, "failed", reason=str(problem))
        except OSError as exc:
            return FileResult(shown, "failed", reason=f"cannot read the file: {exc.strerror}")
        except DatabaseError as exc:  # rolled back with the file's transaction
            return FileResult(shown, "failed", reason=f"the database refused it: {exc}")
        return FileResult(shown, outcome, slug=doc.slug, notes=notes)

    def _read(self, path):
        data = path.read_bytes()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ImportProblem(
                f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                "save it as UTF-8 and import again"
            ) from exc

    def _slug_for_ref(self, name):
        stem = Path(name).stem
        if stem in self.slugs_by_stem:
            return slugify(stem, allow_unicode=True)
        return None

    def _category(self, doc):
        name = doc.category or DEFAULT_CATEGORY
        category = Category.objects.filter(name__iexact=name).first()
        if category or self.dry_run:
            return category, category is None
        slug = doc.category_slug or unique_slug(Category, name, max_length=100)
        if Category.objects.filter(slug=slug).exists():
            slug = unique_slug(Category, name, max_length=100)
        return Category.objects.create(name=name, slug=slug), True

    def _author(self, doc, notes):
        if not doc.author:
            return None
        user = get_user_model().objects.filter(username=doc.author).first()
        if user is None:
            doc.extras.setdefault("author", doc.author)
            notes.append(f"no user named {doc.author!r}: author kept in the front matter")
        return user

    def _save(self, doc, notes):
        existing = Post.objects.filter(slug=doc.slug).prefetch_related("tags").first()
        with transaction.atomic():
            category, created_category = self._category(doc)
            if created_category:
                notes.append(f"new category: {doc.category or DEFAULT_CATEGORY}")
            author = self._author(doc, notes)
            summary = plain_text(doc.summary) if doc.summary_from_more else doc.summary
            values = {
                "title": doc.title,
                "body": doc.body,
                "summary": summary,
                "status": Post.Status.DRAFT if doc.draft else Post.Status.PUBLISHED,
                "published_at": doc.published_at,
                "front_matter": doc.extras,
            }
            if existing and self._same(existing, values, category, author, doc.tags):
                return "unchanged"
            if self.dry_run:
                return "updated" if existing else "created"
            post = existing or Post(slug=doc.slug)
            for name, value in values.items():
                setattr(post, name, value)
            post.category = category
            post.author = author
            post.save()
            post.tags.set(doc.tags, clear=True)
            if doc.updated_at:  # the file's own "updated" wins over the moment of the import
                Post.objects.filter(pk=post.pk).update(updated_at=doc.updated_at)
        return "updated" if existing else "created"

    @staticmethod
    def _same(post, values, category, author, tags):
        if category is None or post.category_id != category.pk:
            return False
        if (post.author_id or None) != (author.pk if author else None):
            return False
        if any(getattr(post, name) != value for name, value in values.items()):
            return False
        return sorted(t.name.lower() for t in post.tags.all()) == sorted(t.lower() for t in tags)
