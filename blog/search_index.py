"""Keeps each post's search entry in step with what the write path announces (one
`content_changed` per committed transaction): posts that changed are indexed again, in
batches; posts whose category or tag was renamed get only their label text rewritten, in bulk,
so renaming a category of thousands of posts takes seconds, not a request timeout."""

from django.db import transaction
from django.dispatch import receiver

from .models import Post, SearchEntry
from .publishing import Change, content_changed
from .rendering.text import texts_of
from .search import document_tokens

BATCH = 500


def label_tokens(post):
    return document_tokens(" ".join([post.category.name, *(tag.name for tag in post.tags.all())]))


def entry_values(post):
    texts = texts_of(post.body_html)
    return {
        "title": document_tokens(post.title),
        "tags": label_tokens(post),
        # What a reader reads, code included; formulas are not words.
        "body": document_tokens(texts.reading),
        "text": texts.plain,
    }


def update_entry(post):
    SearchEntry.objects.update_or_create(post=post, defaults=entry_values(post))


def _batches(ids):
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        yield ordered[start : start + BATCH]


def index_posts(ids):
    """Whole entries for these posts, a batch of posts and entries per query."""
    for batch in _batches(ids):
        posts = Post.objects.filter(pk__in=batch).select_related("category")
        posts = list(posts.prefetch_related("tags"))
        existing = set(SearchEntry.objects.filter(post__in=batch).values_list("post_id", flat=True))
        fresh = [SearchEntry(post=post, **entry_values(post)) for post in posts]
        SearchEntry.objects.bulk_update(
            [e for e in fresh if e.post_id in existing], ["title", "tags", "body", "text"]
        )
        SearchEntry.objects.bulk_create([e for e in fresh if e.post_id not in existing])


def relabel_posts(ids):
    """Only the label text (category and tag names) of these posts' entries."""
    for batch in _batches(ids):
        posts = Post.objects.filter(pk__in=batch).only("pk", "category__name")
        posts = posts.select_related("category").prefetch_related("tags")
        entries = [SearchEntry(post_id=post.pk, tags=label_tokens(post)) for post in posts]
        SearchEntry.objects.bulk_update(entries, ["tags"])


@receiver(content_changed, sender=Change, dispatch_uid="search-index")
def content_was_changed(sender, change, **kwargs):
    with transaction.atomic():
        if change.posts:
            index_posts(change.posts)
        if change.relabelled:
            relabel_posts(change.relabelled)
