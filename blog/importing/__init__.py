"""Imports Markdown files with front matter (Hexo, Hugo, Jekyll) as posts.

Every file is read first, then written: one file, one post, one transaction, through the write
path (blog.publishing). A file that cannot be read is reported with the reason and the others
go on. Each post remembers where it came from (the front matter's `id`, else its path relative
to the import root), so importing again updates that post whatever its slug, two files never
become one post, and links between posts resolve to the slugs they end up with.
"""

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils.text import slugify
from taggit.models import Tag

from .. import publishing
from ..models import Category, Post
from ..rendering import plain_text
from .frontmatter import JEKYLL_DATE_PREFIX_RE, ImportProblem, read_document
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


def layout_root(path):
    """The folder a single file's source path is taken from: the nearest _posts, _drafts
    or content folder above it, as when its whole site is imported, else its own folder."""
    for folder in path.parents:
        if folder.name in ("_posts", "_drafts", "content"):
            return folder
    return path.parent


def discover(paths):
    """Markdown files under the given files and folders, in a stable order. A whole Hexo,
    Jekyll or Hugo site is narrowed to its posts, so themes' READMEs and pages stay out."""
    found, missing = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append((path, layout_root(path)))
        elif path.is_dir():
            layout = next(
                (folders for folders in SITE_LAYOUTS if (path / folders[0]).is_dir()), None
            )
            roots = [path / f for f in layout if (path / f).is_dir()] if layout else [path]
            found.extend((file, root) for root in roots for file in _markdown_under(root))
        else:
            missing.append(raw)
    return found, missing


def check_lengths(doc):
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


def fit_slug(doc, notes):
    """A slug the database can hold, decided before slugs are compared with other posts'."""
    limit = Post._meta.get_field("slug").max_length
    if len(doc.slug) > limit:
        doc.slug = doc.slug[:limit].rstrip("-")
        notes.append(f"slug shortened to {limit} characters: {doc.slug}")


def renamed(labels, slug):
    """The category or tag at `slug` if it was renamed here (its name no longer gives that
    slug), so a file that still uses the old name finds it; None otherwise, so "C#" is never
    taken for "C++" just because both make the slug "c"."""
    label = labels.filter(slug=slug).first() if slug else None
    if label and slugify(label.name, allow_unicode=True) != slug:
        return label
    return None


@dataclass
class Target:
    """Another post of the import, as a link to it needs it."""

    slug: str
    title: str


@dataclass
class Plan:
    """One readable file, before anything is written: what it says and which post it is."""

    path: Path
    relative: str
    doc: object
    key: str
    post: Post | None = None  # the post it updates, if any
    slug: str = ""  # the slug it ends up with
    notes: list = field(default_factory=list)


def source_key(doc, relative):
    key = f"id:{doc.identity}" if doc.identity else f"path:{relative}"
    limit = Post._meta.get_field("source_key").max_length
    if len(key) > limit:  # a very deep path: its start and a digest of the whole
        key = f"{key[: limit - 33]}#{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    return key


def reference_names(relative):
    """The names by which other files may point at the file at `relative` (posix, relative
    to the import root): Hugo refs give paths with or without the suffix, Jekyll's post_url
    the file name without it, a page bundle its folder."""
    path = PurePosixPath(relative)
    names = {str(path), str(path.with_suffix("")), path.name, path.stem}
    if path.stem in ("index", "_index") and path.parent.name:
        names |= {str(path.parent), path.parent.name}
    return names


class Importer:
    def __init__(self, dry_run=False, storage=None):
        self.dry_run = dry_run
        self.storage = storage or default_storage
        self.targets, self.ambiguous = {}, set()

    def run(self, paths, progress=None):
        files, missing = discover(paths)
        report = Report(dry_run=self.dry_run)
        for raw in missing:
            report.results.append(FileResult(str(raw), "failed", reason="no such file or folder"))
        results, plans = {}, []
        for path, root in files:
            plan = self.read(path, root)
            if isinstance(plan, FileResult):
                results[path] = plan
            else:
                plans.append(plan)
        for plan, problem in self.identify(plans):
            results[plan.path] = FileResult(str(plan.path), "failed", reason=problem)
        plans = [plan for plan in plans if plan.path not in results]
        self.index_targets(plans)
        for number, (path, _root) in enumerate(files, 1):
            if path not in results:
                plan = next(p for p in plans if p.path == path)
                results[path] = self.write(plan)
            report.results.append(results[path])
            if progress:
                progress(number, len(files), path)
        return report

    def import_file(self, path, root=None):
        """One file on its own (the links it makes resolve against posts already here)."""
        plan = self.read(path, root or path.parent)
        if isinstance(plan, FileResult):
            return plan
        problems = dict((p.path, reason) for p, reason in self.identify([plan]))
        if plan.path in problems:
            return FileResult(str(path), "failed", reason=problems[plan.path])
        self.index_targets([plan])
        return self.write(plan)

    # --- Reading: nothing is written ---------------------------------------------------------

    def read(self, path, root):
        try:
            text = self._read(path)
            fallback = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
            doc = read_document(path, text, fallback)
        except ImportProblem as problem:
            return FileResult(str(path), "failed", reason=str(problem))
        except OSError as exc:
            return FileResult(str(path), "failed", reason=f"cannot read the file: {exc.strerror}")
        relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        plan = Plan(path=path, relative=relative, doc=doc, key=source_key(doc, relative))
        fit_slug(doc, plan.notes)
        return plan

    def identify(self, plans):
        """Finds the post each file updates and the slug it ends up with; yields the plans
        that cannot be imported, with the reason."""
        by_key = {
            post.source_key: post
            for post in Post.objects.filter(source_key__in=[p.key for p in plans]).prefetch_related(
                "tags"
            )
        }
        unclaimed = {
            post.slug: post
            for post in Post.objects.filter(
                slug__in=[p.doc.slug for p in plans], source_key__isnull=True
            ).prefetch_related("tags")
        }
        seen, claimed = {}, set()
        for plan in plans:
            if plan.key in seen:
                yield plan, f"the same post as {seen[plan.key]} (same {plan.key.split(':')[0]})"
                continue
            seen[plan.key] = plan.path
            plan.post = by_key.get(plan.key)
            if plan.post is None and plan.doc.slug in unclaimed:
                # A post written here (or before posts remembered their source) is matched
                # by its slug, once.
                plan.post = unclaimed.pop(plan.doc.slug)
                plan.notes.append(f"matched the post /posts/{plan.post.slug}/ by its slug")
            elif plan.post is not None and self._looks_like_another(plan):
                plan.notes.append(
                    f"updates /posts/{plan.post.slug}/ ({plan.post.title!r}), which came "
                    f"from the same {plan.key.split(':')[0]}; if it is another post, give "
                    "the file an `id:` of its own"
                )
            wanted = plan.doc.slug
            if self._free(wanted, plan.post, claimed):
                plan.slug = wanted
            elif plan.post is not None:
                plan.slug = plan.post.slug  # its new slug belongs to another post: keep its own
                if not re.fullmatch(re.escape(wanted[:190]) + r"-\d+", plan.slug):
                    # (one suffixed at its first import was reported then)
                    plan.notes.append(
                        f"slug {wanted!r} belongs to another post; kept {plan.slug!r}"
                    )
            else:
                n = 2
                while not self._free(f"{wanted[:190]}-{n}", None, claimed):
                    n += 1
                plan.slug = f"{wanted[:190]}-{n}"
                plan.notes.append(
                    f"slug {wanted!r} belongs to another post: this one is /posts/{plan.slug}/"
                )
            claimed.add(plan.slug)

    @staticmethod
    def _looks_like_another(plan):
        """A file at the path of an earlier import whose title and date both differ: maybe
        another blog's file of the same name (every Hexo blog starts with hello-world.md)."""
        post, doc = plan.post, plan.doc
        return doc.dated and post.title != doc.title and post.published_at != doc.published_at

    @staticmethod
    def _free(slug, own, claimed):
        if slug in claimed:
            return False
        others = Post.objects.filter(slug=slug)
        if own is not None:
            others = others.exclude(pk=own.pk)
        return not others.exists()

    def index_targets(self, plans):
        names = {}
        for plan in plans:
            target = Target(plan.slug, plan.doc.title)
            for name in reference_names(plan.relative):
                names.setdefault(name, []).append(target)
        # A name two files share says nothing: a link by it is kept and reported.
        self.targets = {name: found[0] for name, found in names.items() if len(found) == 1}
        self.ambiguous = {name for name, found in names.items() if len(found) > 1}

    def resolve(self, name):
        """The post another file names: one of this import's, or one imported before."""
        name = name.strip().strip("/")
        if name in self.targets:
            return self.targets[name]
        if name in self.ambiguous:
            return None
        keys = [f"path:{name}{end}" for end in ("", ".md", ".markdown", "/index.md")]
        post = Post.objects.filter(source_key__in=keys).only("slug", "title").first()
        if post is None:
            stem = JEKYLL_DATE_PREFIX_RE.sub("", PurePosixPath(name).stem)
            post = Post.objects.filter(slug=slugify(stem, allow_unicode=True)).first()
        return Target(post.slug, post.title) if post else None

    # --- Writing ------------------------------------------------------------------------------

    def write(self, plan):
        shown, doc = str(plan.path), plan.doc
        doc.slug = plan.slug
        if not doc.dated and plan.post is not None:
            doc.published_at = plan.post.published_at  # an undated file keeps its post's date
        images = None
        try:
            converter = SyntaxConverter(resolve=self.resolve)
            doc.body = converter.convert(doc.body)
            images = ImageCopier(self.storage, plan.path, doc.slug, self.dry_run)
            doc.body = images.rewrite(doc.body).rstrip()  # as Post.save() stores it
            notes = plan.notes + converter.notes + images.notes
            if doc.extras:
                notes.append("kept unknown keys: " + ", ".join(sorted(doc.extras)))
            if doc.extra_categories:
                notes.append(
                    f"category {doc.category!r} used; also listed: "
                    + ", ".join(doc.extra_categories)
                )
            check_lengths(doc)
            outcome = self._save(plan, images, notes)
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

    def _category(self, doc):
        name = doc.category or DEFAULT_CATEGORY
        category = Category.objects.filter(name__iexact=name).first() or renamed(
            Category.objects.all(), doc.category_slug or slugify(name, allow_unicode=True)
        )
        if category or self.dry_run:
            return category, category is None
        return publishing.ensure_category(name, doc.category_slug)

    @staticmethod
    def _tag_names(names):
        """The names as the blog knows them: a tag renamed here since the file was written
        is found by the slug its old name gave it."""
        known = {
            n.lower() for n in Tag.objects.filter(name__in=names).values_list("name", flat=True)
        }
        out = []
        for name in names:
            tag = None
            if name.lower() not in known:
                tag = renamed(Tag.objects.all(), slugify(name, allow_unicode=True))
            out.append(tag.name if tag else name)
        return out

    def _author(self, doc, notes):
        if not doc.author:
            return None
        user = get_user_model().objects.filter(username=doc.author).first()
        if user is None:
            doc.extras.setdefault("author", doc.author)
            notes.append(f"no user named {doc.author!r}: author kept in the front matter")
        return user

    def _save(self, plan, images, notes):
        doc, existing = plan.doc, plan.post
        written = []
        try:
            with transaction.atomic():
                category, created_category = self._category(doc)
                if created_category:
                    notes.append(f"new category: {doc.category or DEFAULT_CATEGORY}")
                author = self._author(doc, notes)
                summary = plain_text(doc.summary) if doc.summary_from_more else doc.summary
                values = {
                    "title": doc.title,
                    "slug": doc.slug,
                    "body": doc.body,
                    "summary": summary,
                    "status": Post.Status.DRAFT if doc.draft else Post.Status.PUBLISHED,
                    "published_at": doc.published_at,
                    "front_matter": doc.extras,
                }
                tags = self._tag_names(doc.tags)
                same = existing and self._same(existing, values, category, author, tags)
                if self.dry_run:
                    return "unchanged" if same else "updated" if existing else "created"
                if same and existing.source_key == plan.key:
                    return "unchanged"
                post = existing or Post()
                for name, value in values.items():
                    setattr(post, name, value)
                post.category, post.author, post.source_key = category, author, plan.key
                # The file's own "updated" says when it was edited; without one, an edit is
                # dated now and a new post its publication time.
                edited = doc.updated_at or (doc.published_at if existing is None else None)
                publishing.save_post(post, tags=tags, edited_at=edited)
                for name, data in images.pending.items():
                    # Written last, inside the transaction: if a write fails the row goes
                    # too, and the files already written are removed below.
                    try:
                        stored = self.storage.save(name, ContentFile(data))
                    except OSError as exc:
                        raise ImportProblem(
                            f"could not store the image {name}: {exc.strerror or exc}"
                        ) from exc
                    written.append(stored)
                    if stored != name:
                        raise ImportProblem(f"could not store the image as {name}")
        except BaseException:
            for name in written:
                self.storage.delete(name)
            raise
        if same:
            return "unchanged"  # only where it came from was noted
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
