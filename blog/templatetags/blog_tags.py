import json
import re

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext, to_language

from blog import language, links
from blog.rendering.markdown_ext import PERMALINK_TITLE

register = template.Library()

# As in Django's json_script: nothing inside the data can close the <script> element.
JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def blog_posting_json_ld(context, post):
    """schema.org BlogPosting for search engines: a data block, never executed (and so
    allowed by the Content-Security-Policy, which only governs scripts that run)."""
    request = context["request"]
    url = request.build_absolute_uri(post.get_absolute_url())
    home = request.build_absolute_uri("/")
    author = (post.author.get_full_name() or post.author.get_username()) if post.author else None
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.excerpt,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": post.published_at.isoformat(),
        "dateModified": max(post.updated_at, post.published_at).isoformat(),
        "author": {"@type": "Person", "name": author or settings.BLOG["TITLE"]},
        "publisher": {"@type": "Organization", "name": settings.BLOG["TITLE"], "url": home},
        "articleSection": post.category.name,
        "keywords": [tag.name for tag in post.tag_list],
        "inLanguage": settings.LANGUAGE_CODE,
    }
    if image := post.first_image_url:
        data["image"] = request.build_absolute_uri(image)
    payload = json.dumps(data, ensure_ascii=False).translate(JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


# A post's line of facts: its category, date, tags and reading time. Written here rather than
# as a template partial: ten cards a page made it a third of the page's rendering time.
META = """<p class="meta">
  <a class="meta-category" href="{}"{}>{}</a>
  <span aria-hidden="true">·</span>
  <time datetime="{}">{}</time>
  {}
  <span aria-hidden="true">·</span>
  <span class="meta-reading">{}</span>
</p>
"""
TAGS = """<span aria-hidden="true">·</span>
  <span class="meta-tags"{}>{}</span>"""
TAG = '<a href="{}" rel="tag">#{}</a>'
CARD = """<article class="card">
  <h2 class="card-title"{}><a href="{}">{}</a></h2>
  <p class="card-excerpt"{}>{}</p>
  {}
</article>
"""


@register.simple_tag
def post_meta(post):
    published = timezone.localtime(post.published_at)
    lang = mark_safe(language.content_lang())
    tags = ""
    if post.tag_list:
        links = " ".join(format_html(TAG, tag.url, tag.name) for tag in post.tag_list)
        tags = format_html(TAGS, lang, mark_safe(links))
    return format_html(
        META,
        post.category.get_absolute_url(),
        lang,
        post.category.name,
        published.isoformat(),
        f"{published:%Y-%m-%d}",
        tags,
        reading_time(post.reading_minutes),
    )


def reading_time(minutes):
    return ngettext("%(minutes)d min read", "%(minutes)d min read", minutes) % {"minutes": minutes}


@register.simple_tag
def post_card(post):
    """A post in a list: its title, its excerpt (as stored, sanitized) and its meta line."""
    excerpt = mark_safe(post.excerpt_html) if post.excerpt_html else post.excerpt
    lang = mark_safe(language.content_lang())
    return format_html(
        CARD, lang, post.get_absolute_url(), post.title, lang, excerpt, post_meta(post)
    )


@register.simple_tag
def site_link(name):
    """The address of one of the site's own pages ("index", "feed_rss"…), as {% url %} would
    give it, without a reverse() per link (blog.links); works on the error pages, which have
    no request context."""
    return links.site_links()[name]


@register.filter
def absolute(path, request):
    return request.build_absolute_uri(path)


# Boxes of an article that scroll sideways when wider than the page (site.css): a keyboard
# must reach them to scroll them (WCAG 2.1.1; axe's scrollable-region-focusable). Added where
# the page shows the article, not stored: the sanitizer lets no author write a tabindex, and
# feeds, whose readers lay out for themselves, carry none.
SCROLLING_BOX_RE = re.compile(r'<(pre|table|div class="math math-display")(\s[^<>]*)?>')
STORED_PERMALINK_TITLE = f' title="{PERMALINK_TITLE}">'


@register.filter
def article_as_shown(html):
    """The stored article HTML as the page shows it: its scrolling boxes in the tab order,
    its headings' links named in the reader's language."""

    def reachable(match):
        tag, attributes = match.group(1), match.group(2) or ""
        if "tabindex" in attributes:
            return match.group()
        return f'<{tag}{attributes} tabindex="0">'

    html = SCROLLING_BOX_RE.sub(reachable, html)
    if STORED_PERMALINK_TITLE in html:
        label = escape(gettext("Link to this section"))
        lang = f' lang="{to_language(get_language())}"' if language.content_lang() else ""
        named = f' title="{label}" aria-label="{label}"{lang}>'
        html = html.replace(STORED_PERMALINK_TITLE, named)
    return mark_safe(html)


@register.simple_tag
def content_lang():
    """` lang="…"` on the author's text where the interface speaks another language."""
    return mark_safe(language.content_lang())


SWITCH = """<form class="language-switch" action="{}" method="post" aria-label="{}">
  <input type="hidden" name="next" value="{}">
  {}
</form>"""


@register.simple_tag(takes_context=True)
def language_switch(context, here=True):
    """The other languages as buttons, the current one marked: a plain form, so it works
    without JavaScript, by keyboard, and on a page kept for every reader. It comes back to
    this page (`here`), or else to the one the Referer names."""
    request = context.get("request") if here else None
    current = get_language()
    choices = []
    for code, name in settings.LANGUAGES:
        if code == current:
            choices.append(format_html('<span aria-current="true" lang="{}">{}</span>', code, name))
        else:
            choices.append(
                format_html(
                    '<button type="submit" name="language" value="{}" lang="{}">{}</button>',
                    code,
                    code,
                    name,
                )
            )
    return format_html(
        SWITCH,
        links.site_links()["language"],
        gettext("Language"),
        request.get_full_path() if request is not None else "",
        mark_safe("\n  ".join(choices)),
    )
