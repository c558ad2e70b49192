"""Which post each file of an import is, the slug it ends up with, and the names by which
files link to each other."""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.utils.text import slugify

from ..models import Post
from .frontmatter import JEKYLL_DATE_PREFIX_RE


def fit_slug(doc, notes):
    """A slug the database can hold, decided before slugs are compared with other posts'."""
    limit = Post._meta.get_field("slug").max_length
    if len(doc.slug) > limit:
        doc.slug = doc.slug[:limit].rstrip("-")
        notes.append(f"slug shortened to {limit} characters: {doc.slug}")


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
    home: Path | None = None  # the folder its images may come from
    post: Post | None = None  # the post it updates, if any
    slug: str = ""  # the slug it ends up with
    notes: list = field(default_factory=list)
    # Decided by prepare(), before anything is written:
    images: object = None  # its ImageCopier
    author: object = None
    status: str = ""


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


class Identities:
    """Finds the posts files update and resolves links by file names, within one import."""

    def __init__(self):
        self.targets, self.ambiguous = {}, set()

    def identify(self, plans):
        """Finds the post each file updates and the slug it ends up with; yields the plans
        that cannot be imported, with the reason."""
        by_key = {
            post.source_key: post
            for post in Post.all_objects.filter(
                source_key__in=[p.key for p in plans]
            ).prefetch_related("tags")
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
            if plan.post is not None and plan.post.deleted_at is not None:
                yield (
                    plan,
                    (
                        f"the post it updates, /posts/{plan.post.slug}/, is in the trash: restore "
                        "it, or delete it for good, first"
                    ),
                )
                continue
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
        others = Post.all_objects.filter(slug=slug)  # a post in the trash keeps its slug
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
