"""Posts as the cards of a list, each rendered once per content generation in a process.

A card (blog_tags.post_card) shows a post's title, excerpt, category, date, tags and reading
time: what only a change through the write path can alter, and every change moves the
site's freshness token. So a card's HTML is kept in the process under that token (and the
script prefix and language it was rendered for); a list page reads the rows and tags of
the posts it has no card for, and only those. Rendering ten cards from their rows was
about half of a list page's time.
"""

import threading

from django.urls import get_script_prefix
from django.utils import translation

from . import freshness, lists
from .templatetags.blog_tags import post_card

# Cards kept for one token, about 1.5 KB each: a blog's hot pages many times over.
LIMIT = 4000
_lock = threading.Lock()
_kept = {"under": None, "cards": {}}


def of(ids, queryset, read=()):
    """The cards of the posts `ids`, in that order, from those kept, the posts already
    `read` (lists.cards' shape), or else from `queryset`. A post it no longer finds
    (unpublished since the ids were read, in this request's generation) is left out."""
    under = (freshness.current(), get_script_prefix(), translation.get_language())
    with _lock:
        if _kept["under"] != under:
            _kept.update(under=under, cards={})
        kept = _kept["cards"]
        # Taken under the lock: another thread may drop some of them to make room.
        found = {pk: kept[pk] for pk in ids if pk in kept}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        wanted = set(missing)
        posts = [post for post in read if post.pk in wanted]
        if len(posts) < len(missing):
            posts = queryset.filter(pk__in=missing)
        rendered = {post.pk: post_card(post) for post in lists.attach_tags(posts)}
        found.update(rendered)
        with _lock:
            if _kept["under"] == under:
                while len(kept) + len(rendered) > LIMIT and kept:
                    kept.pop(next(iter(kept)))
                kept.update(rendered)
    return [found[pk] for pk in ids if pk in found]


def clear():
    with _lock:
        _kept.update(under=None, cards={})
