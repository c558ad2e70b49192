"""What a rename costs on a filled database; run by `make bench` after bench_search.

The baseline, measured in the same run, is how renames used to reach the search index: every
post of the category indexed again one by one (and its edit time rewritten). It is measured on
a sample, because on a large category it would run for many minutes; the rename itself runs
over the whole category."""

import json
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count

from blog import publishing
from blog.models import Category, Post
from blog.search_index import index_posts

SAMPLE = 300


class Command(BaseCommand):
    help = "Times renaming the biggest category against re-indexing its posts one by one (JSON)."

    def handle(self, *args, **options):
        category = Category.objects.annotate(n=Count("posts")).order_by("-n").first()
        ids = list(category.posts.order_by("pk").values_list("pk", flat=True))
        sample = ids[:SAMPLE]
        began = time.perf_counter()
        with transaction.atomic():
            for pk in sample:
                index_posts([pk])
        one_by_one = (time.perf_counter() - began) / len(sample)

        stamps = dict(Post.objects.filter(pk__in=sample).values_list("pk", "updated_at"))
        original = category.name
        category.name = f"{original} (renamed)"
        began = time.perf_counter()
        publishing.save_category(category)
        rename = time.perf_counter() - began
        category.name = original
        publishing.save_category(category)
        unchanged = stamps == dict(
            Post.objects.filter(pk__in=sample).values_list("pk", "updated_at")
        )
        self.stdout.write(
            json.dumps(
                {
                    "posts_in_category": len(ids),
                    "rename_seconds": round(rename, 2),
                    "one_by_one_ms_per_post": round(one_by_one * 1000, 2),
                    "one_by_one_seconds_estimated": round(one_by_one * len(ids), 1),
                    "edit_times_unchanged": unchanged,
                }
            )
        )
