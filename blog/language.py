"""Which language a reader's page speaks, and the switch that lets the reader choose it.

The site's own words (navigation, headings, dates, counts, reading time) come in Simplified
Chinese and English. A page follows the reader: the choice made with the switch (a cookie, so
no login and no session), else the browser's Accept-Language, else BLOG_LANGUAGE. Addresses
stay the same in both languages, so a link shared by one reader works for the other, and a
page answers with `Vary: Accept-Language, Cookie` (the page cache keeps one copy a language).

Feeds, sitemaps, robots.txt and media are documents for machines: they always speak the
site's language, carry no Vary on it, and are kept once (their views are marked with
`site_language_only`).

The articles themselves are written in the site's language (BLOG_LANGUAGE): where the
interface speaks another, templates mark what is the author's text with `lang` (content_lang),
so a screen reader reads Chinese as Chinese and the browser picks Chinese glyphs.
"""

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

# Addresses longer than this are rare and anyone can make them up: resolved each time.
LONGEST_REMEMBERED_PATH = 256


def site_language_only(view):
    """`view`, marked as answering in the site's language whoever asks (feeds, sitemaps)."""
    view.site_language_only = True
    return view


def _speaks_site_language(path):
    try:
        view = resolve(path).func
    except Resolver404:
        return False
    return getattr(view, "site_language_only", False)


_remembered = lru_cache(maxsize=1024)(_speaks_site_language)


@receiver(setting_changed, dispatch_uid="language-urlconf")
def _forget_views(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _remembered.cache_clear()


def site_language_at(path):
    """Whether the address `path` answers in the site's language alone."""
    if len(path) > LONGEST_REMEMBERED_PATH:
        return _speaks_site_language(path)
    return _remembered(path)


def for_request(request):
    """The language the page `request` asks for is built in: what LocaleMiddleware will
    activate for it (the page cache keys on it before that middleware runs)."""
    if site_language_at(request.path_info):
        return settings.LANGUAGE_CODE
    return translation.get_language_from_request(request)


class ReaderLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, but for the addresses that speak the site's language."""

    def process_request(self, request):
        if site_language_at(request.path_info):
            request.site_language_only = True
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return
        super().process_request(request)

    def process_response(self, request, response):
        if getattr(request, "site_language_only", False):
            response.headers.setdefault("Content-Language", settings.LANGUAGE_CODE)
            return response
        response = super().process_response(request, response)
        # A choice made with the switch lives in a cookie: the page varies by it too.
        patch_vary_headers(response, ["Cookie"])
        return response


def content_lang():
    """` lang="…"` for the author's text where the interface speaks another language, else
    nothing (the page's own `lang` already says it)."""
    if translation.get_language() == settings.LANGUAGE_CODE:
        return ""
    return f' lang="{translation.to_language(settings.LANGUAGE_CODE)}"'


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def switch(request):
    """The language switch: a POST sets the reader's language cookie (to one of LANGUAGES,
    nothing else) and goes back to `next`, or to the page the Referer names, on this site.

    It changes nothing but the reader's own cookie, so it takes no CSRF token: a page that
    shows the switch stays cacheable (no CSRF cookie, no session), and a forged switch costs
    its victim one click back."""
    home = reverse("blog:index")
    back = request.POST.get("next") or request.headers.get("Referer") or home
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = home
    response = HttpResponseRedirect(back)
    chosen = request.POST.get("language", "")
    if request.method == "POST" and chosen in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            chosen,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
