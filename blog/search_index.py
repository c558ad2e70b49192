"""Keeps each post's search entry in step with what the write path announces (one
`content_changed` per committed transaction): posts that changed are indexed again, in
batches; posts whose set of tags changed because tags were merged or deleted get only their
label tokens rewritten. A renamed category or tag changes no entry at all: entries carry
labels by id, and names are matched at query time (blog.search)."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.dispatch import receiver
from taggit.models import TaggedItem

from . import freshness
from .changes import Change, content_changed
from .models import Post, SearchEntry
from .rendering.text import texts_of
from .search import document_tokens, label_token

BATCH = 500


def labels(ids):
    """The label tokens (category and tags, as ids: see blog.search) of these posts."""
    tokens = {pk: [label_token("c", category)] for pk, category in
              Post.objects.filter(pk__in=ids).values_list("pk", "category_id")}  # fmt: skip
    content_type = ContentType.objects.get_for_model(Post)
    tagged = TaggedItem.objects.filter(content_type=content_type, object_id__in=ids)
    for pk, tag in tagged.order_by("tag_id").values_list("object_id", "tag_id"):
        if pk in tokens:
            tokens[pk].append(label_token("t", tag))
    return {pk: " ".join(words) for pk, words in tokens.items()}


def entry_values(post, label_text):
    texts = texts_of(post.body_html)
    return {
        "title": document_tokens(post.title),
        "tags": label_text,
        # What a reader reads, code included; formulas are not words.
        "body": document_tokens(texts.reading),
        "text": texts.plain,
    }


def batches(ids):
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        yield ordered[start : start + BATCH]


def build_entries(ids):
    """Whole search entries for these posts (not saved)."""
    label_text = labels(ids)
    posts = Post.objects.filter(pk__in=ids).only("pk", "title", "body_html")
    return [SearchEntry(post_id=p.pk, **entry_values(p, label_text[p.pk])) for p in posts]


def index_posts(ids):
    """Whole entries for these posts."""
    for batch in batches(ids):
        existing = set(SearchEntry.objects.filter(post__in=batch).values_list("post_id", flat=True))
        new = []
        for entry in build_entries(batch):
            if entry.post_id in existing:
                SearchEntry.objects.filter(post_id=entry.post_id).update(
                    title=entry.title, tags=entry.tags, body=entry.body, text=entry.text
                )
            else:
                new.append(entry)
        SearchEntry.objects.bulk_create(new)


def relabel_posts(ids):
    """Only the label tokens of these posts' entries: one UPDATE per distinct set, so the
    posts of a merged tag, which mostly share a few tag sets, take a few statements."""
    for batch in batches(ids):
        groups = {}
        for pk, text in labels(batch).items():
            groups.setdefault(text, []).append(pk)
        for text, pks in groups.items():
            SearchEntry.objects.filter(post_id__in=pks).update(tags=text)


@receiver(content_changed, sender=Change, dispatch_uid="search-index")
def content_was_changed(sender, change, **kwargs):
    with transaction.atomic():
        if change.posts or change.relabelled:
            # The entries change after the posts were committed: a search made in between
            # was built from the old ones, and must not be kept under the new token.
            freshness.advance()
        if change.posts:
            index_posts(change.posts)
        if change.relabelled:
            relabel_posts(change.relabelled)
