"""Posts written back out as Markdown files with YAML front matter, which the importer reads
back into identical posts."""

from pathlib import Path, PurePosixPath

import yaml
from django.utils import timezone

from .models import Post


def front_matter(post):
    # The category is the post's current one, first; the others an imported file listed
    # follow, so that importing the export never undoes a category changed here.
    listed = post.front_matter.get("categories") or []
    others = [name for name in listed if str(name).lower() != post.category.name.lower()]
    meta = {
        "title": post.title,
        "slug": post.slug,
        "date": timezone.localtime(post.published_at),
        "updated": timezone.localtime(post.updated_at),
        "categories": [post.category.name, *others],
        "category_slug": post.category.slug,
        "tags": sorted((tag.name for tag in post.tags.all()), key=str.lower),
        "draft": post.status != Post.Status.PUBLISHED,  # submitted for review too
    }
    if post.summary:
        meta["summary"] = post.summary
    if post.author:
        meta["author"] = post.author.get_username()
    for key, value in post.front_matter.items():
        meta.setdefault(key, value)
    return meta


def export_post(post):
    header = yaml.safe_dump(front_matter(post), allow_unicode=True, sort_keys=False, width=1000)
    body = post.body if post.body.endswith("\n") else post.body + "\n"
    return f"---\n{header}---\n{body}"


def export_path(post):
    """An imported post goes back to the path it came from, which is what it remembers as its
    source: importing the export updates it instead of making a second post. Others are
    <slug>.md."""
    if post.source_key and post.source_key.startswith("path:"):
        relative = PurePosixPath(post.source_key.removeprefix("path:"))
        if not relative.is_absolute() and ".." not in relative.parts:
            return Path(*relative.parts)
    return Path(f"{post.slug}.md")


def export_all(directory):
    """Writes every post, drafts included, into `directory`; returns the paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    posts = Post.objects.select_related("category", "author").prefetch_related("tags")
    for post in posts.order_by("published_at", "pk"):
        path = target / export_path(post)
        if path in written:  # an imported post's path may equal another's <slug>.md
            path = path.with_name(f"{path.stem}-{post.pk}{path.suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(export_post(post), encoding="utf-8")
        written.append(path)
    return written
