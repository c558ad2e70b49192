from django.core.management.base import BaseCommand
from django.db import connection, transaction

from blog.models import Post, SearchEntry
from blog.search import FTS_TABLE, has_fts5
from blog.search_index import BATCH, batches, build_entries


class Command(BaseCommand):
    help = "Builds every post's search entry again (after changing how text is tokenized)."

    def handle(self, *args, **options):
        ids = list(Post.objects.order_by("pk").values_list("pk", flat=True))
        total = len(ids)
        with transaction.atomic():
            SearchEntry.objects.all().delete()
            for done, batch in enumerate(batches(ids), 1):
                SearchEntry.objects.bulk_create(build_entries(batch))
                if self.stdout.isatty() or done * BATCH >= total:
                    self.stdout.write(f"\rIndexed {min(done * BATCH, total)}/{total}", ending="")
            if connection.vendor == "sqlite" and has_fts5():
                with connection.cursor() as cursor:
                    # Rebuilds the full-text table from its content table, whatever it held.
                    cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {total} post(s)."))
