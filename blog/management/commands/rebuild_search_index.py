from django.core.management.base import BaseCommand
from django.db import connection, transaction

from blog.models import Post, SearchEntry
from blog.search import FTS_TABLE, has_fts5
from blog.search_index import entry_values


class Command(BaseCommand):
    help = "Builds every post's search entry again (after changing how text is tokenized)."

    def handle(self, *args, **options):
        posts = Post.objects.select_related("category").prefetch_related("tags").order_by("pk")
        total = posts.count()
        with transaction.atomic():
            SearchEntry.objects.all().delete()
            batch = []
            for done, post in enumerate(posts.iterator(chunk_size=500), 1):
                batch.append(SearchEntry(post=post, **entry_values(post)))
                if len(batch) == 500 or done == total:
                    SearchEntry.objects.bulk_create(batch)
                    batch = []
                    if self.stdout.isatty() or done == total:
                        self.stdout.write(f"\rIndexed {done}/{total}", ending="")
            if connection.vendor == "sqlite" and has_fts5():
                with connection.cursor() as cursor:
                    # Rebuilds the full-text table from its content table, whatever it held.
                    cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {total} post(s)."))
