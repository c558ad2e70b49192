from django.conf import settings
from django.utils.functional import SimpleLazyObject


def site(request):
    """The site's name and the category row of the navigation, on every page.

    The categories are lazy so pages that do not show them (the admin) run no query."""
    from .models import Category

    return {
        "blog": settings.BLOG,
        "nav_categories": SimpleLazyObject(lambda: list(Category.objects.only("name", "slug"))),
    }
