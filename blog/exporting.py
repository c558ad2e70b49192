"""Posts written back out as Markdown files with YAML front matter, which the importer reads
back into identical posts."""

from pathlib import Path

import yaml
from django.utils import timezone

from .models import Post


def front_matter(post):
    meta = {
        "title": post.title,
        "slug": post.slug,
        "date": timezone.localtime(post.published_at),
        "updated": timezone.localtime(post.updated_at),
        "categories": post.front_matter.get("categories") or [post.category.name],
        "category_slug": post.category.slug,
        "tags": sorted((tag.name for tag in post.tags.all()), key=str.lower),
        "draft": post.status == Post.Status.DRAFT,
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


def export_all(directory):
    """Writes every post, drafts included, as <slug>.md into `directory`; returns the paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    posts = Post.objects.select_related("category", "author").prefetch_related("tags")
    for post in posts.order_by("published_at", "pk"):
        path = target / f"{post.slug}.md"
        path.write_text(export_post(post), encoding="utf-8")
        written.append(path)
    return written
