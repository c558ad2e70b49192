"""Posts as the cards of a list, each rendered once per content generation in a process.

A card (blog_tags.post_card) shows a post's title, excerpt, category, date, tags and reading
time: what only a change through the write path can alter, and every change moves the
site's freshness token. So a card's HTML is kept in the process under that token (and the
script prefix and language it was rendered for), as lists keep their values (lists.Here);
a list page reads the rows and tags of the posts it has no card for, and only those.
Rendering ten cards from their rows was about half of a list page's time.
"""

from django.urls import get_script_prefix
from django.utils import translation

from . import freshness, lists
from .templatetags.blog_tags import post_card

# Cards kept for one token, about 1.5 KB each: a blog's hot pages many times over.
LIMIT = 4000
_here = lists.Here(LIMIT)


def of(ids, queryset, read=()):
    """The cards of the posts `ids`, in that order, from those kept, the posts already
    `read` (lists.cards' shape), or else from `queryset`. A post it no longer finds
    (unpublished since the ids were read, in this request's generation) is left out."""
    under = (freshness.current(), get_script_prefix(), translation.get_language())
    found = {pk: card for pk in ids if (card := _here.get(under, pk)) is not None}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        wanted = set(missing)
        posts = [post for post in read if post.pk in wanted]
        if len(posts) < len(missing):
            posts = queryset.filter(pk__in=missing)
        for post in lists.attach_tags(posts):
            found[post.pk] = post_card(post)
            _here.put(under, post.pk, found[post.pk])
    return [found[pk] for pk in ids if pk in found]


def clear():
    _here.clear()
