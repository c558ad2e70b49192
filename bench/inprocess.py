"""The benchmark's in-process part: the pages it loads, their queries, and the write path.

    python bench/inprocess.py    (DATABASE_URL names a database bench/fill.py filled)

Prints one line of JSON: the addresses to load (home, page 2, a deep page, an article, a
category, a tag, the RSS feed, a search), the queries each runs built (right after a change)
and from the page cache, and the write path's times: saving a 30 KB article (render,
sanitize, index; median of 5) and re-rendering every post; and the writing room's, through
the admin as an author's browser asks: the live preview of a typical article and saving a
200 KB one from the post form, each beside the admin's own post form (its GET, which renders
nothing) measured in the same run.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings.bench")

import django  # noqa: E402

django.setup()

from corpus import Corpus  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from blog import publishing  # noqa: E402
from blog.models import Category, Post  # noqa: E402

SEARCH = "/search/?q=%E6%A2%AF%E5%BA%A6"  # 梯度
RERENDER_SAMPLE = 5000


def addresses():
    published = Post.objects.published()
    total = published.count()
    article = published.order_by("-published_at")[total // 2]
    category = Category.objects.order_by("pk").first()
    return {
        "home": "/",
        "page 2": "/?page=2",
        "deep page": f"/?page={max(1, total // 10 // 2)}",
        "article": article.get_absolute_url(),
        "category": category.get_absolute_url(),
        "tag": "/tag/pytorch/",
        "RSS": "/feed/",
        "search": SEARCH,
    }


def a_change():
    """A committed change through the write path (a draft), so nothing kept is current."""
    category = Category.objects.order_by("pk").first()
    post = publishing.create_post(title="bench", body="x", category=category, status="draft")
    publishing.delete_posts([post])


def queries(pages):
    client = Client()
    for url in pages.values():
        client.get(url)  # what a worker learns once
    counts = {}
    for name, url in pages.items():
        a_change()
        with CaptureQueriesContext(connection) as built:
            assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as hit:
            client.get(url)
        counts[name] = {"built": len(built), "cached": len(hit)}
    return counts


def article_of(size):
    """About `size` bytes of the corpus's Markdown, as one article."""
    corpus, parts, number = Corpus(seed=30), [], 0
    while sum(len(p.encode()) for p in parts) < size:
        parts.append(corpus.article(number).body)
        number += 1
    return "\n\n".join(parts)


def write_path():
    category = Category.objects.order_by("pk").first()
    body = article_of(30 * 1024)
    samples = []
    for attempt in range(5):
        post = Post(
            title=f"三十 KB 的文章 {attempt}", body=body, category=category, status="published"
        )
        began = time.perf_counter()
        publishing.save_post(post, tags=["PyTorch", "CUDA"])
        samples.append((time.perf_counter() - began) * 1000)
        publishing.delete_posts([post])
    # Every post when there are a few thousand; past that a sample, and the whole estimated.
    everyone = Post.objects.count()
    sample = list(Post.objects.order_by("pk").values_list("pk", flat=True)[:RERENDER_SAMPLE])
    began = time.perf_counter()
    total, changed, _problems = publishing.rerender(Post.objects.filter(pk__in=sample))
    seconds = time.perf_counter() - began
    return {
        "save_30kb_ms": round(statistics.median(samples), 1),
        "save_30kb_bytes": len(body.encode()),
        "rerender_posts": everyone,
        "rerender_measured_posts": total,
        "rerender_ms_per_post": round(seconds / max(total, 1) * 1000, 2),
        "rerender_all_seconds": round(seconds / max(total, 1) * everyone, 1),
        "rerender_changed": changed,
    }


def _median_ms(action, times):
    samples = []
    for _ in range(times):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(samples), 1)


def writing_room():
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    author = get_user_model().objects.filter(username="bench-author").first()
    if author is None:
        author = get_user_model().objects.create_superuser("bench-author", "b@example.org", "x")
    client = Client()
    client.force_login(author)
    category = Category.objects.order_by("pk").first()
    add = reverse("admin:blog_post_add")
    typical = Corpus(seed=7).article(1).body
    big = article_of(200 * 1024)

    def form():
        assert client.get(add).status_code == 200

    def previewing(body):
        def preview():
            answer = client.post(reverse("admin:blog_post_preview"), {"body": body})
            assert answer.status_code == 200, answer.content[:200]

        return preview

    long_one = article_of(30 * 1024)

    saved = []

    def save():
        n = len(saved)
        answer = client.post(add, {
            "title": f"两百 KB 的文章 {n}", "slug": f"bench-200kb-{n}", "category": category.pk,
            "tags": "PyTorch", "body": big, "summary": "", "status": "published",
            "published_at_0": "2026-01-01", "published_at_1": "10:00:00",
            "initial-published_at_0": "2026-01-01", "initial-published_at_1": "10:00:00",
            "author": author.pk, "publish_anyway": "on",
        })  # fmt: skip
        assert answer.status_code == 302, answer.content[:300]
        saved.append(f"bench-200kb-{n}")

    form()  # warm: templates, the first query of each kind
    baseline = _median_ms(form, 5)
    preview_ms = _median_ms(previewing(typical), 10)
    preview_30kb_ms = _median_ms(previewing(long_one), 10)
    save_ms = _median_ms(save, 3)
    publishing.delete_posts(Post.objects.filter(slug__in=saved))
    return {
        "admin_form_ms": baseline,
        "preview_ms": preview_ms,
        "preview_bytes": len(typical.encode()),
        "preview_30kb_ms": preview_30kb_ms,
        "preview_30kb_bytes": len(long_one.encode()),
        "save_200kb_ms": save_ms,
        "save_200kb_bytes": len(big.encode()),
    }


def main():
    pages = addresses()
    result = {"pages": pages, "queries": queries(pages)}
    if "--no-writes" not in sys.argv:
        result["writes"] = write_path()
        result["writing_room"] = writing_room()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
