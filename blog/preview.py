"""The writing room's live preview: an author's Markdown rendered by the site's own pipeline
(blog.rendering, as saving would store it), without saving anything.

What comes back is the article body exactly as readers get it inside `<div class="post-body">`
(the same function makes the stored `body_html`), its table of contents, reading time, the
warnings the renderer raised and the pre-publish checks (blog.checks), each with its line.
It is for signed-in authors only (the admin's login and CSRF checks wrap it), bounded in
size by the article limit and in time by the renderer's own budget (BLOG_RENDER_SECONDS),
and limited to PREVIEWS_PER_MINUTE a minute per author, so a script in a stolen session
cannot turn it into a rendering farm.
"""

import re

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from . import ratelimit
from .checks import Problem
from .models import Post
from .rendering.limits import validate_article_size

# An editor asks after each pause in typing (blog's admin script waits 600 ms): a fast typist
# makes about one a second at the most.
PREVIEWS_PER_MINUTE = 90
NUMBER_RE = re.compile(r"[0-9]{1,18}")  # not str.isdigit: it takes "²", which int() refuses


def preview(request, may_preview):
    """POST `body` (Markdown) → JSON {html, toc, reading_minutes, warnings}; `may_preview`
    says whether this user may write posts at all (the admin's permissions)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not may_preview(request):
        raise PermissionDenied
    if "body" not in request.POST:
        return no_store_json({"error": _("Nothing to preview: the form sent no body.")}, status=400)
    # As the post form cleans it before saving (CharField strips), so that what is previewed
    # is what saving would render.
    raw = request.POST["body"]
    body = raw.strip()
    wait = ratelimit.wait(request.user, "preview", PREVIEWS_PER_MINUTE)
    if wait:
        return _too_many(wait)
    try:
        validate_article_size(body)
    except ValidationError as error:
        return no_store_json({"error": " ".join(error.messages)}, status=413)
    # One render at a time per author: an editor waits for one answer before it asks again,
    # so a second at once is a script.
    busy = f"preview-busy:{request.user.pk}"
    # Held past the renderer's own bound (twice RENDER_SECONDS, then plain text), should a
    # worker die holding it.
    if not cache.add(busy, 1, 2 * settings.BLOG["RENDER_SECONDS"] + 2):
        return _too_many(1)
    try:
        # An unsaved post, rendered as saving renders it: the same HTML, the same checks.
        post = Post(
            body=body,
            summary=request.POST.get("summary", "").strip(),
            category_id=number(request.POST.get("category", "")),
        )
        post.render()
    finally:
        cache.delete(busy)
    # Lines as the editor counts them: the blank lines the form strips from the top count.
    above = raw[: len(raw) - len(raw.lstrip())].count("\n")
    return no_store_json(
        {
            "html": post.body_html,
            "toc": post.toc_html,
            "reading_minutes": post.reading_minutes,
            "warnings": list(post.render_warnings),
            "problems": [
                {"line": problem.line, "message": problem.message()}
                for problem in (Problem.from_stored(row).below(above) for row in post.problems)
            ],
        }
    )


def number(text):
    return int(text) if NUMBER_RE.fullmatch(text) else None


def _too_many(wait):
    answer = no_store_json(
        {"error": _("Too many previews; the next in %(s)s s.") % {"s": wait}}, 429
    )
    answer["Retry-After"] = str(wait)
    return answer


def no_store_json(data, status=200):
    answer = JsonResponse(data, status=status)
    add_never_cache_headers(answer)
    return answer
