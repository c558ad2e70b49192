"""Old addresses keep working. When a post's, category's or tag's slug changes, the old slug
is remembered for what it named (FormerAddress), and an imported post brings the paths it
had on the site it came from. A request that would be a 404 is looked up there and answered
with a 301 to where the thing is now, the rest of the address kept (a renamed category's
feed leads to the category's feed, a query string stays): forever, and through any number
of renames, since each old address names the thing, not the next slug. A live address always
wins: a post that takes a slug another one had is what readers get there.
"""

from urllib.parse import urlsplit

from django.http import HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve, reverse

from .models import FormerAddress, Post

Kind = FormerAddress.Kind
SLUG_KINDS = (Kind.POST, Kind.CATEGORY, Kind.TAG)
MAX_PATH = 500


def moved(kind, old, **target):
    """`old` (a slug, or for Kind.PATH a path) named `target` (post=, category= or tag=)."""
    if not old:
        return
    empty = {"post": None, "category": None, "tag": None}
    FormerAddress.objects.update_or_create(kind=kind, old=old, defaults={**empty, **target})


def taken(kind, slug):
    """`slug` names something live now: none of its old addresses leads elsewhere."""
    FormerAddress.objects.filter(kind=kind, old=slug).delete()


def repoint(kind, sources, target):
    """What led to the categories or tags `sources` (ids) leads to `target` now: they were
    merged into it, or their posts moved there before they were deleted."""
    FormerAddress.objects.filter(**{f"{kind}_id__in": sources}).update(**{kind: target})


def brought(post, paths):
    """The paths an imported `post` had on its old site (front matter `permalink`, `url`,
    `aliases`), which lead to it from now on."""
    own = post.get_absolute_url()
    for value in paths:
        path = as_path(value)
        if path and path != own:
            moved(Kind.PATH, path, post=post)


def as_path(value):
    """The path of an address as a front matter gives it ("2019/05/a/", "/a.html", or a whole
    URL of the old site), from its leading "/"; "" for what is not one."""
    try:
        path = urlsplit(str(value).strip()).path
    except ValueError:
        return ""
    if not path or "\x00" in path:
        return ""
    path = "/" + path.lstrip("/")
    return path if len(path) <= MAX_PATH and path != "/" else ""


def where_now(path):
    """The address of what `path` named before, or None."""
    if "\x00" in path:
        return None  # names nothing (and PostgreSQL refuses to compare it)
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    if match is not None and match.namespace == "blog" and "slug" in match.kwargs:
        kind = match.url_name.split("_")[0]
        if kind in SLUG_KINDS:
            found = (
                FormerAddress.objects.filter(kind=kind, old=match.kwargs["slug"])
                .select_related(kind)
                .first()
            )
            target = getattr(found, kind, None) if found else None
            if target is not None and _visible(kind, target) and target.slug:
                return reverse(match.view_name, kwargs={**match.kwargs, "slug": target.slug})
    ways = {path, path.rstrip("/"), path.rstrip("/") + "/"} - {""}
    found = FormerAddress.objects.filter(kind=Kind.PATH, old__in=ways).select_related("post")
    found = found.first()
    if found is not None and found.post is not None and _visible(Kind.POST, found.post):
        return found.post.get_absolute_url()
    return None


def _visible(kind, target):
    """Whether readers may be led to `target`: a post they can see; a tag some post they can
    see carries (a tag only drafts carry has no page, and its new name would say what is
    coming); a category."""
    if kind == Kind.POST:
        return Post.objects.published().filter(pk=target.pk).exists()
    if kind == Kind.TAG:
        return Post.objects.published().filter(tags=target).exists()
    return True


class FormerAddressMiddleware:
    """Turns a 404 for an address that named something into a 301 to where it is now."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        if len(request.path_info) > MAX_PATH:
            return response
        target = where_now(request.path_info)
        if target is None or target == request.path_info:
            return response
        if query := request.META.get("QUERY_STRING"):
            target = f"{target}?{query}"
        return HttpResponsePermanentRedirect(target)
