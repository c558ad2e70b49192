"""A post's draft shown through a shared link (/preview/<token>/): to someone without an
account, while the link has not expired, never cached, never indexed. It shows the pending
draft of a live post, or a draft or scheduled post as it stands."""

import re

from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from taggit.models import Tag

from .models import Post, PreviewLink
from .publishing import with_draft

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")  # what secrets.token_urlsafe makes


def shared_preview(request, token):
    if not TOKEN_RE.fullmatch(token):
        raise Http404("No such preview link, or it has expired.")
    link = (
        PreviewLink.objects.filter(token=token, expires_at__gt=timezone.now())
        .select_related("post")
        .first()
    )
    if link is None:
        raise Http404("No such preview link, or it has expired.")
    post = Post.objects.select_related("category", "author", "pending").filter(pk=link.post_id)
    post = post.first()
    if post is None:  # in the trash since
        raise Http404("No such preview link, or it has expired.")
    post = with_draft(post)
    names = getattr(post, "draft_tags", None)
    tags = Tag.objects.filter(name__in=names) if names is not None else post.tags.all()
    post.tag_list = sorted(tags, key=lambda tag: tag.name.lower())
    context = {
        "post": post,
        "previous_post": None,
        "next_post": None,
        "related_posts": [],
        "canonical_url": request.build_absolute_uri(post.get_absolute_url()),
        "shared_preview": link,
    }
    response = TemplateResponse(request, "blog/post_detail.html", context)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    return response
