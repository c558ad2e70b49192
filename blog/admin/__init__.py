"""The authors' side: posts and the writing room (posts), images (images), categories and
tags (labels)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .images import ImageAdmin
from .labels import CategoryAdmin, SeriesAdmin, TagAdmin
from .posts import PostAdmin
from .trash import TrashedPostAdmin

admin.site.site_header = _("Blog authoring")
admin.site.site_title = _("Blog authoring")

__all__ = [
    "CategoryAdmin",
    "ImageAdmin",
    "PostAdmin",
    "SeriesAdmin",
    "TagAdmin",
    "TrashedPostAdmin",
]
