"""What the site keeps about its content as a whole: the generation caches key on, and
the search index."""

import secrets

from django.db import models


def new_epoch():
    return secrets.token_hex(8)


class ContentGeneration(models.Model):
    """One row: a number every committed change to what readers see moves on (see
    blog.freshness). It lives in the database so every process shares it and a cache flush
    does not reset it; `epoch` is drawn when the row is made, so a database made anew never
    repeats another's numbers. A database restored from a backup does repeat them: flush the
    cache after a restore (the README's deployment notes say so)."""

    value = models.PositiveBigIntegerField(default=0)
    epoch = models.CharField(max_length=32, default=new_epoch)

    def __str__(self):
        return f"generation {self.epoch}.{self.value}"


class SearchEntry(models.Model):
    """A post's search document: its title, tags (with the category) and body as token text
    (see blog.search), kept up to date on save. The database indexes it: an FTS5 table on
    SQLite, a generated tsvector column with a GIN index on PostgreSQL (migration 0002)."""

    post = models.OneToOneField(
        "Post", primary_key=True, on_delete=models.CASCADE, related_name="search_entry"
    )
    title = models.TextField()
    tags = models.TextField()
    body = models.TextField()
    text = models.TextField(help_text="The article as plain text, for result snippets.")

    class Meta:
        verbose_name_plural = "search entries"

    def __str__(self):
        return f"search entry of {self.post_id}"
