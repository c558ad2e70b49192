"""Page latency through Django's full stack on a filled database; run by `make bench`."""

import json
import statistics
import time

from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.test import Client
from django.test.utils import setup_test_environment

from blog.models import Post


def timed(client, url, repeat, before=None):
    samples = []
    for _ in range(repeat):
        if before:
            before()
        began = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return round(statistics.median(samples), 2)


class Command(BaseCommand):
    help = "Median latency of the main pages, and of a feed built versus served from cache."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20)

    def handle(self, *args, repeat, **options):
        setup_test_environment()  # the test client's host, without touching the database
        client = Client()
        article = Post.objects.published().first().get_absolute_url()
        middle = max(1, Post.objects.published().count() // 20)
        pages = {
            "home": "/",
            f"home page {middle}": f"/?page={middle}",
            "article": article,
            "archive": "/archive/",
            "search": "/search/?q=%E6%84%9F%E5%8F%97%E9%87%8E",
        }
        result = {name: timed(client, url, repeat) for name, url in pages.items()}
        result["feed built"] = timed(client, "/feed/atom/", max(3, repeat // 4), cache.clear)
        result["feed from cache"] = timed(client, "/feed/atom/", repeat)
        self.stdout.write(json.dumps(result))
