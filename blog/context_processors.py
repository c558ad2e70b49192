from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from . import lists

OG_LOCALES = {"zh-hans": "zh_CN", "zh-hant": "zh_TW", "en": "en_US", "en-us": "en_US"}


def site(request):
    """The site's name and the category row of the navigation, on every page.

    The categories are lazy so pages that do not show them (the admin) run no query."""
    return {
        "blog": settings.BLOG,
        "canonical_url": request.build_absolute_uri(request.path),
        "og_locale": OG_LOCALES.get(get_language().lower(), "en_US"),
        "nav_categories": SimpleLazyObject(lists.site_categories),
    }
