"""Addresses of posts, categories and tags, as `reverse()` makes them, at a fraction of its
cost: a list page links to ten posts, their categories and thirty tags, and a reverse() each
was a tenth of the page's time. The URLconf stays the one rule: each pattern is reversed once
(per script prefix) with a stand-in slug, and the stand-in is replaced by the quoted slug, as
reverse() would quote it."""

import re
from functools import lru_cache
from urllib.parse import quote

from django.urls import NoReverseMatch, get_script_prefix, reverse

from .converters import UnicodeSlugConverter

# A slug the converter accepts and no real one contains twice.
STAND_IN = "slug0stand0in"
# What reverse() leaves unquoted (RFC 3986's sub-delimiters and /~:@).
SAFE = "!$&'()*+,;=/~:@"
SLUG_RE = re.compile(UnicodeSlugConverter.regex)


@lru_cache(maxsize=64)
def _pattern(name, prefix):
    before, _, after = reverse(name, kwargs={"slug": STAND_IN}).partition(STAND_IN)
    return before, after


def slug_url(name, slug):
    """reverse(name, kwargs={"slug": slug})."""
    if not SLUG_RE.fullmatch(slug):
        raise NoReverseMatch(f"{slug!r} is not a slug of {name}")
    before, after = _pattern(name, get_script_prefix())
    return f"{before}{quote(slug, safe=SAFE)}{after}"


@lru_cache(maxsize=16)
def _site(prefix):
    names = ("index", "archive", "search", "feed_rss", "feed_atom", "feed_json", "language")
    return {name: reverse(f"blog:{name}") for name in names}


def site_links():
    """The addresses every page's header and footer link to."""
    return _site(get_script_prefix())
