"""Fills the benchmark's database with N posts of bench/corpus.py, through the write path.

    python bench/fill.py --posts 2000     (DATABASE_URL names the database; migrated first)

Every post is rendered by the site's own pipeline (formulas, code, tables), its tags set and
its search entry built by the index's own listener, as an author's save would. Past
DISTINCT_BODIES, bodies repeat (under the posts' own titles, categories and tags): rendering
100,000 articles would take most of an hour and measure nothing the first 2,000 do not.
Prints one line of JSON: how many posts, and how long the fill took.
"""

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings.bench")

import django  # noqa: E402

django.setup()

from corpus import CATEGORIES, TAGS, Corpus  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from taggit.models import Tag  # noqa: E402

from blog import publishing  # noqa: E402
from blog.models import Post, SearchEntry  # noqa: E402
from blog.rendering.text import texts_of  # noqa: E402
from blog.search import document_tokens, label_token  # noqa: E402

DISTINCT_BODIES = 2000
BATCH = 500
# One post every three hours, backwards from the start of the run: 100,000 posts span
# 34 years, about 400 archive months.
SPACING = timedelta(hours=3)


def fill(target, seed=2026):
    existing = Post.objects.count()
    corpus = Corpus(seed)
    categories = [publishing.ensure_category(name, slug)[0] for name, slug in CATEGORIES]
    tags = {}
    for name in TAGS:
        tag = Tag.objects.filter(name__iexact=name).first() or publishing.save_tag(Tag(name=name))
        tags[name] = tag
    rendered = {}  # body number -> the rendered fields of that body
    bodies = {}  # body HTML -> its search tokens and text
    now = timezone.now()
    for start in range(existing, target, BATCH):
        posts, post_tags = [], []
        for number in range(start, min(target, start + BATCH)):
            article = corpus.article(number)
            source = number % DISTINCT_BODIES
            body = article.body if source == number else corpus.article(source).body
            post = Post(
                title=article.title,
                slug=article.slug,
                body=body,
                summary=article.summary,
                category=categories[article.category],
                status=Post.Status.PUBLISHED,
                published_at=now - SPACING * number,
            )
            post.first_published_at = post.published_at
            post.updated_at = post.published_at
            if source in rendered and not post.summary:
                for name, value in rendered[source].items():
                    setattr(post, name, value)
            else:
                post.render()
                if not post.summary:
                    rendered[source] = {n: getattr(post, n) for n in Post.RENDERED_FIELDS}
            posts.append(post)
            post_tags.append([tags[name] for name in article.tags])
        created = publishing.bulk_create_posts(posts, tags=post_tags, index=False)
        entries = []
        for post, own in zip(created, post_tags, strict=True):
            # What the index's listener would write (blog.search_index), with the text of a
            # repeated body worked out once.
            body = bodies.get(post.body_html)
            if body is None:
                texts = texts_of(post.body_html)
                body = bodies[post.body_html] = (document_tokens(texts.reading), texts.plain)
            labels = [label_token("c", post.category_id)]
            labels += [label_token("t", tag.pk) for tag in sorted(own, key=lambda t: t.pk)]
            entries.append(
                SearchEntry(
                    post=post,
                    title=document_tokens(post.title),
                    tags=" ".join(labels),
                    body=body[0],
                    text=body[1],
                )
            )
        SearchEntry.objects.bulk_create(entries, batch_size=500)
        print(f"\r  {start + len(posts)}/{target} posts", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a running site has them


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    args = parser.parse_args()
    began = time.perf_counter()
    fill(args.posts)
    print(
        json.dumps(
            {"posts": Post.objects.count(), "fill_seconds": round(time.perf_counter() - began, 1)}
        )
    )


if __name__ == "__main__":
    main()
