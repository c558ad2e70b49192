"""Imports Markdown files with front matter (Hexo, Hugo, Jekyll) as posts.

Every file is read and checked first, then written: one file, one post, one transaction,
through the write path (blog.publishing). A file that cannot be imported is reported with the
reason and the others go on; with `all_or_nothing`, one such file means nothing is written
(and a failure while writing rolls back every file before it). Each post remembers where it
came from (the front matter's `id`, else its path relative to the import root), so importing
again updates that post whatever its slug, two files never become one post, and links between
posts resolve to the slugs they end up with.

The importing user's rights are blog.permissions' (issue 10, finding 2): an update needs the
right to change that post, a new category the right to add one, an `author:` is honoured only
for those who may change others' posts, and a file that would publish stays a draft for those
who may not publish. The command line (no user) has every right.
"""

import datetime as dt
import logging
import time
from pathlib import PurePosixPath

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils.text import slugify
from taggit.models import Tag

from .. import addresses, permissions, publishing
from ..images.checks import ImageRefused
from ..images.storing import adopt, store
from ..models import Category, Post, Series
from ..rendering import plain_text
from . import limits
from .discovery import MARKDOWN_SUFFIXES, discover, layout_root
from .frontmatter import ImportProblem, read_document
from .identity import Identities, Plan, fit_slug, source_key
from .images import ImageCopier
from .report import OUTCOMES, FileResult, Report
from .syntax import SyntaxConverter

__all__ = ["MARKDOWN_SUFFIXES", "OUTCOMES", "Importer", "Report", "discover", "layout_root"]

logger = logging.getLogger(__name__)
DEFAULT_CATEGORY = "未分类"
MAX_NOTES = 50
# Read through the module, so tests can run an import on a clock of their own.
clock = time.monotonic


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


def renamed(labels, slug):
    """The category or tag at `slug` if it was renamed here (its name no longer gives that
    slug), so a file that still uses the old name finds it; None otherwise, so "C#" is never
    taken for "C++" just because both make the slug "c"."""
    label = labels.filter(slug=slug).first() if slug else None
    if label and slugify(label.name, allow_unicode=True) != slug:
        return label
    return None


class Importer:
    def __init__(
        self, dry_run=False, storage=None, user=None, all_or_nothing=False, confine=None,
        seconds=None,
    ):  # fmt: skip
        self.dry_run, self.all_or_nothing = dry_run, all_or_nothing
        # The whole import's time, when it runs inside a request (the admin's upload): each
        # article's rendering is bounded, but a zip of many could still outlast any proxy.
        self.seconds, self.deadline = seconds, None
        self.storage = storage or default_storage
        self.user = user  # None: the command line, with every right
        self.confine = confine  # an upload's folder: nothing is taken from outside it
        self.identities = Identities()
        self.written = []  # images stored so far, removed if all is rolled back

    def run(self, paths, progress=None, refused=()):
        """Imports the files under `paths`; `refused` are files already turned down (path,
        reason), such as a zip's members over the size limit, reported with the rest."""
        self.deadline = clock() + self.seconds if self.seconds is not None else None
        files, missing = discover(paths, within=self.confine)
        report = Report(dry_run=self.dry_run)
        for raw in missing:
            report.results.append(FileResult(str(raw), "failed", reason="no such file or folder"))
        for path, reason in refused:
            report.results.append(FileResult(str(path), "failed", reason=reason))
        results, plans = {}, []
        for path, root, home in files:
            plan = self._late(path) if self._out_of_time() else self.read(path, root, home)
            if isinstance(plan, FileResult):
                results[path] = plan
            else:
                plans.append(plan)
        for plan, problem in self.identities.identify(plans):
            results[plan.path] = FileResult(str(plan.path), "failed", reason=problem)
        plans = [plan for plan in plans if plan.path not in results]
        self.identities.index_targets(plans)
        for plan in plans:
            if self._out_of_time():
                results[plan.path] = self._late(plan.path)
            elif (failed := self.prepare(plan)) is not None:
                results[plan.path] = failed
        plans = [plan for plan in plans if plan.path not in results]
        failures = len(results) + len(missing) + len(refused)
        if self.all_or_nothing and failures:
            for plan in plans:
                results[plan.path] = self._skipped(plan, failures)
        elif self.all_or_nothing:
            results.update(self._write_all(plans))
        else:
            for plan in plans:
                late = self._out_of_time()
                results[plan.path] = self._late(plan.path) if late else self.write(plan)
        for number, (path, _root, _home) in enumerate(files, 1):
            report.results.append(results[path])
            if progress:
                progress(number, len(files), path)
        return report

    def import_file(self, path, root=None):
        """One file on its own (the links it makes resolve against posts already here)."""
        plan = self.read(path, root or path.parent, path.parent)
        if isinstance(plan, FileResult):
            return plan
        problems = dict((p.path, reason) for p, reason in self.identities.identify([plan]))
        if plan.path in problems:
            return FileResult(str(path), "failed", reason=problems[plan.path])
        self.identities.index_targets([plan])
        return self.prepare(plan) or self.write(plan)

    # --- Reading and checking: nothing is written ------------------------------------------

    def read(self, path, root, home):
        try:
            text = self._read(path)
            doc = read_document(path, text, self._file_time(path))
        except ImportProblem as problem:
            return FileResult(str(path), "failed", reason=str(problem))
        except OSError as exc:
            return FileResult(str(path), "failed", reason=f"cannot read the file: {exc.strerror}")
        except Exception:  # never a 500 for a file: the reason is logged, the others go on
            logger.exception("Reading %s for an import failed", path)
            return FileResult(str(path), "failed", reason=UNEXPECTED)
        relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        plan = Plan(path=path, relative=relative, doc=doc, key=source_key(doc, relative), home=home)
        fit_slug(doc, plan.notes)
        return plan

    @staticmethod
    def _file_time(path):
        try:
            return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return dt.datetime.now(tz=dt.UTC)

    def prepare(self, plan):
        """Everything that can be decided before writing: the user's rights, the body as it
        will be stored, its images (read, not yet stored), its author and status. Returns a
        failed FileResult, or None when the file is ready to write."""
        shown, doc = str(plan.path), plan.doc
        doc.slug = plan.slug
        try:
            self._check_rights(plan)
            if not doc.dated and plan.post is not None:
                doc.published_at = plan.post.published_at  # an undated file keeps its date
            converter = SyntaxConverter(resolve=self.identities.resolve)
            doc.body = converter.convert(doc.body)
            plan.images = ImageCopier(self.storage, plan.path, doc.slug, plan.home)
            doc.body = plan.images.rewrite(doc.body).rstrip()  # as Post.save() stores it
            limits.check_article(len(doc.body.encode()))
            plan.notes += converter.notes + plan.images.notes
            if doc.extras:
                plan.notes.append("kept unknown keys: " + ", ".join(sorted(doc.extras)))
            if doc.extra_categories:
                plan.notes.append(
                    f"category {doc.category!r} used; also listed: "
                    + ", ".join(doc.extra_categories)
                )
            check_lengths(doc)
            if len(plan.notes) > MAX_NOTES:  # a report an author can still read
                more = len(plan.notes) - MAX_NOTES
                plan.notes[MAX_NOTES:] = [f"… and {more} more notes like these"]
        except ImportProblem as problem:
            return FileResult(shown, "failed", reason=str(problem))
        except OSError as exc:
            return FileResult(shown, "failed", reason=f"cannot read the file: {exc.strerror}")
        except Exception:
            logger.exception("Checking %s for an import failed", plan.path)
            return FileResult(shown, "failed", reason=UNEXPECTED)
        return None

    def _check_rights(self, plan):
        user, doc = self.user, plan.doc
        if user is not None and not permissions.may_change(user, plan.post):
            if plan.post is None:
                raise ImportProblem("you may not add posts")
            # Named by the address the file itself gave, never by its title: the post may be
            # someone's draft, which the uploader may not read.
            raise ImportProblem(
                f"this file would update the post at /posts/{plan.post.slug}/, which you may "
                "not change; an editor may"
            )
        new_category = self._find_category(doc) is None
        if new_category and user is not None and not permissions.may_add_category(user):
            raise ImportProblem(
                f"the category {doc.category or DEFAULT_CATEGORY!r} does not exist, and "
                "you may not add categories: use an existing one or ask an editor"
            )
        if user is None or permissions.may_change_others(user):
            plan.author = self._author(doc, plan.notes)
        else:
            if doc.author and doc.author != user.get_username():
                plan.notes.append(f"author {doc.author!r} not taken: the post is yours")
            plan.author = user
        plan.status = Post.Status.DRAFT if doc.draft else Post.Status.PUBLISHED
        published = plan.status == Post.Status.PUBLISHED
        if published and user is not None and not permissions.may_publish(user):
            plan.status = Post.Status.DRAFT
            plan.notes.append("imported as a draft: publishing is an editor's decision")

    # --- Writing ------------------------------------------------------------------------------

    def write(self, plan):
        shown = str(plan.path)
        try:
            outcome = self._save(plan, plan.notes)
        except ImportProblem as problem:
            return FileResult(shown, "failed", reason=str(problem))
        except OSError as exc:
            return FileResult(shown, "failed", reason=f"cannot read the file: {exc.strerror}")
        except DatabaseError as exc:  # rolled back with the file's transaction
            return FileResult(shown, "failed", reason=f"the database refused it: {exc}")
        except ValidationError as exc:  # the write path's own checks (an article's size)
            return FileResult(shown, "failed", reason=" ".join(exc.messages))
        except Exception:
            logger.exception("Importing %s failed", plan.path)
            return FileResult(shown, "failed", reason=UNEXPECTED)
        return FileResult(shown, outcome, slug=plan.doc.slug, notes=plan.notes)

    def _write_all(self, plans):
        """All the files in one transaction: the first that fails rolls back the others."""
        results = {}
        try:
            with transaction.atomic():
                for plan in plans:
                    if self._out_of_time():
                        results[plan.path] = self._late(plan.path)
                        raise _RollBack
                    result = results[plan.path] = self.write(plan)
                    if result.outcome == "failed":
                        raise _RollBack
        except _RollBack:
            for name in self.written:
                self.storage.delete(name)
            for plan in plans:
                if results.get(plan.path, FileResult("", "")).outcome not in ("failed", "skipped"):
                    results[plan.path] = self._skipped(plan, 1)
        return results

    def _out_of_time(self):
        return self.deadline is not None and clock() >= self.deadline

    def _late(self, path):
        return FileResult(
            str(path),
            "skipped",
            reason=f"not imported: the import's {self.seconds:g} s ran out before this file; "
            "import the same files again for the rest (those already in are recognised "
            "and left as they are)",
        )

    @staticmethod
    def _skipped(plan, failures):
        others = "1 other file" if failures == 1 else f"{failures} other files"
        return FileResult(
            str(plan.path),
            "skipped",
            reason=f"not imported: {others} of this import failed, and it is all or nothing",
        )

    def _read(self, path):
        # The size on disk first: a file too large is refused without being read, and the
        # read is bounded in case the file grows meanwhile.
        limits.check_markdown_file(path.stat().st_size)
        with path.open("rb") as stream:
            data = limits.read_bounded(stream, limits.markdown_file_limit(), path.name)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ImportProblem(
                f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                "save it as UTF-8 and import again"
            ) from exc
        if "\0" in text:
            # PostgreSQL cannot store it and the editor's form refuses it: the same answer on
            # every database, before anything is written.
            line = text[: text.index("\0")].count("\n") + 1
            raise ImportProblem(f"a NUL character on line {line}: this is not a text file")
        return text

    @staticmethod
    def _find_category(doc):
        name = doc.category or DEFAULT_CATEGORY
        return Category.objects.filter(name__iexact=name).first() or renamed(
            Category.objects.all(), doc.category_slug or slugify(name, allow_unicode=True)
        )

    def _category(self, doc):
        category = self._find_category(doc)
        if category or self.dry_run:
            return category, category is None
        return publishing.ensure_category(doc.category or DEFAULT_CATEGORY, doc.category_slug)

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

    def _save(self, plan, notes):
        doc, existing = plan.doc, plan.post
        written = []
        try:
            with transaction.atomic():
                category, created_category = self._category(doc)
                if created_category:
                    notes.append(f"new category: {doc.category or DEFAULT_CATEGORY}")
                author = plan.author
                summary = plain_text(doc.summary) if doc.summary_from_more else doc.summary
                values = {
                    "title": doc.title,
                    "slug": doc.slug,
                    "body": doc.body,
                    "summary": summary,
                    "status": plan.status,
                    "published_at": doc.published_at,
                    "front_matter": doc.extras,
                    # Found here, made below: a dry run makes nothing.
                    "series": Series.objects.filter(name__iexact=doc.series).first()
                    if doc.series
                    else None,
                    "series_position": doc.series_position,
                }
                tags = self._tag_names(doc.tags)
                same = existing and self._same(existing, values, category, author, tags)
                if self.dry_run:
                    return "unchanged" if same else "updated" if existing else "created"
                if doc.series and values["series"] is None:
                    values["series"] = publishing.ensure_series(doc.series)
                if same and existing.source_key == plan.key:
                    if plan.images.adoptable:  # its images get rows, and its page them
                        for name in sorted(plan.images.adoptable):
                            adopt(name, self.storage, written)
                        publishing.rerender(Post.objects.filter(pk=existing.pk))
                    addresses.brought(existing, doc.paths)
                    return "unchanged"
                post = existing or Post()
                for name, value in values.items():
                    setattr(post, name, value)
                post.category, post.author, post.source_key = category, author, plan.key
                # The file's own "updated" says when it was edited; without one, an edit is
                # dated now and a new post its publication time.
                edited = doc.updated_at or (doc.published_at if existing is None else None)
                for name, image in plan.images.pending.items():
                    # Stored first, inside the transaction, so that the post renders with
                    # them (sizes, renditions); if a write fails the rows go too, and the
                    # files already written are removed below.
                    try:
                        kept, created = store(
                            image.data(), PurePosixPath(name).name, name=name, storage=self.storage,
                            user=self.user,
                        )  # fmt: skip
                    except ImageRefused as exc:
                        raise ImportProblem(str(exc)) from exc
                    except OSError as exc:
                        raise ImportProblem(
                            f"could not store the image {name}: {exc.strerror or exc}"
                        ) from exc
                    if created:
                        written.extend(kept.stored_names())
                    if kept.file.name != name:
                        raise ImportProblem(f"could not store the image as {name}")
                for name in sorted(plan.images.adoptable):
                    adopt(name, self.storage, written)
                publishing.save_post(post, tags=tags, edited_at=edited, user=self.user)
                addresses.brought(post, doc.paths)
        except BaseException:
            for name in written:
                self.storage.delete(name)
            raise
        self.written.extend(written)
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


class _RollBack(Exception):
    """Leaves the transaction of an all-or-nothing import."""


UNEXPECTED = "could not be imported: an error on the site's side (logged for its admins)"
