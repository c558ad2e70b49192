"""Search latency over many posts; run by `make bench` (bench/run.py) on each database."""

import importlib
import json
import random
import statistics
import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from blog import lists, publishing
from blog.management.commands.load_demo import DEMO_DIR, read_demo_file
from blog.models import Post, SearchEntry
from blog.search import (
    _scan,
    document_tokens,
    label_token,
    parse_query,
    search_posts,
    with_labels,
)
from blog.search_results import results_page

QUERIES = [
    "卷积", "感受野", "空洞卷积的感受野", "分布式训练", "pytorch", "DDP", "PyTorch 分布式",
    "梯度 allreduce", "mIoU", "混合精度",
]  # fmt: skip


def paragraphs():
    """Sentences from the demo articles, the raw material of the synthetic posts."""
    pieces = []
    for path in sorted(DEMO_DIR.glob("*.md")):
        meta, body = read_demo_file(path)
        pieces.extend(p.strip() for p in body.split("\n\n") if len(p.strip()) > 20)
    return pieces


class Corpus:
    """Synthetic articles: filler paragraphs from a large made-up vocabulary (so that a query
    matches a few percent of posts, as in a real blog of many topics), with now and then a
    real paragraph of a demo article."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        chars = [chr(c) for c in range(0x4E00, 0x9FA5)]
        self.cjk = ["".join(self.rng.sample(chars, 2)) for _ in range(6000)]
        letters = "abcdefghijklmnopqrstuvwxyz"
        self.latin = [
            "".join(self.rng.choices(letters, k=self.rng.randint(3, 9))) for _ in range(2000)
        ]
        self.real = paragraphs()

    def filler(self, words):
        out = []
        for _ in range(words):
            out.append(self.rng.choice(self.cjk) if self.rng.random() < 0.8 else
                       f" {self.rng.choice(self.latin)} ")  # fmt: skip
        return "".join(out) + "。"

    def article(self):
        paragraphs = [self.filler(self.rng.randint(40, 80)) for _ in range(6)]
        if self.rng.random() < 0.15:
            paragraphs[self.rng.randrange(6)] = self.rng.choice(self.real)
        title = self.filler(4)[:-1]
        if self.rng.random() < 0.05:
            title = self.rng.choice(self.real)[:24]
        return title, "\n\n".join(paragraphs)


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Command(BaseCommand):
    help = "Fills this database up to N synthetic posts and times the search (JSON out)."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, required=True)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--scan-repeat", type=int, default=1)

    def handle(self, *args, posts, repeat, scan_repeat, **options):
        started = time.perf_counter()
        self.fill(posts)
        filled = time.perf_counter() - started
        index = self.time_queries(lambda qs, q: search_posts(qs, q)[0], repeat)
        scan = self.time_queries(lambda qs, q: _scan(qs, with_labels(parse_query(q))), scan_repeat)
        result = {
            "database": connection.vendor,
            "posts": Post.objects.count(),
            "fill_seconds": round(filled, 1),
            "index": index,
            "scan": scan,
            "page": self.time_pages(repeat),
        }
        self.stdout.write(json.dumps(result))

    def fill(self, target):
        existing = Post.objects.count()
        if existing >= target:
            return
        indexes = []
        if connection.vendor == "postgresql":
            # As any bulk load does: build the GIN indexes once at the end, not row by row.
            migration = importlib.import_module("blog.migrations.0002_search_index")
            indexes = [sql for sql in migration.POSTGRES_INDEX if sql.startswith("CREATE INDEX")]
            with connection.cursor() as cursor:
                for sql in indexes:
                    cursor.execute(f"DROP INDEX IF EXISTS {sql.split()[2]}")
        self._fill(existing, target)
        with connection.cursor() as cursor:
            for sql in indexes:
                cursor.execute(sql)
        # Planner statistics, as autovacuum (PostgreSQL) or PRAGMA optimize (SQLite) keep them
        # on a running site; right after a bulk load the planner would guess blind.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def _fill(self, existing, target):
        corpus = Corpus(seed=existing)
        categories = [
            publishing.ensure_category(name, slug)[0]
            for name, slug in [("深度学习", "dl"), ("PyTorch", "pt"), ("分布式训练", "dist")]
        ]
        now = timezone.now()
        batch = 2000
        for start in range(existing, target, batch):
            stop = min(target, start + batch)
            with transaction.atomic():
                # Through the write path (the generation moves on), with the search entries
                # written here: simplified ones, far quicker than indexing rendered HTML.
                created = publishing.bulk_create_posts(
                    [self.synthetic(i, corpus, categories, now) for i in range(start, stop)],
                    index=False,
                )
                SearchEntry.objects.bulk_create(
                    SearchEntry(
                        post=post,
                        title=document_tokens(post.title),
                        tags=label_token("c", post.category_id),
                        body=document_tokens(post.body),
                        text=post.body[:2000],
                    )
                    for post in created
                )

    @staticmethod
    def synthetic(i, corpus, categories, now):
        title, body = corpus.article()
        category = corpus.rng.choice(categories)
        post = Post(
            title=f"{title} {i}",
            slug=f"bench-{i}",
            body=body,
            body_html=body,
            excerpt=body[:100],
            category=category,
            status=Post.Status.PUBLISHED,
            published_at=now - timedelta(minutes=i),
        )
        return post

    @staticmethod
    def time_pages(repeat):
        """The search page's own statement (blog.search_results): the first page and the
        count, capped at RESULTS_LIMIT."""
        samples, counts = [], {}
        published = Post.objects.published()
        for _ in range(repeat):
            for query in QUERIES:
                began = time.perf_counter()
                found, _terms = results_page(published, query, 1, 10)
                samples.append((time.perf_counter() - began) * 1000)
                counts[query] = found.count + found.more
        return {
            "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(percentile(samples, 0.95), 2),
            "samples": len(samples),
            "matches": counts,
        }

    @staticmethod
    def time_queries(run, repeat):
        samples, counts = [], {}
        published = Post.objects.published()
        for _ in range(repeat):
            for query in QUERIES:
                began = time.perf_counter()
                results = run(lists.cards(published), query)
                page = list(results[:10])  # what the search page shows
                total = results.count()
                samples.append((time.perf_counter() - began) * 1000)
                counts[query] = (total, len(page))
        return {
            "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(percentile(samples, 0.95), 2),
            "samples": len(samples),
            "matches": {q: c[0] for q, c in counts.items()},
        }
