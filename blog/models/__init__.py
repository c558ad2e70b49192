"""The blog's models, one module per concern; everything is importable from here."""

from .addresses import FormerAddress
from .images import Image, ImageQuerySet, ImageUse
from .labels import MAX_TAGS, Category, Series, fallback_slug, unique_slug, validate_tags
from .media import media_base_url
from .posts import MAX_STORAGE_LOOKUPS, Post, PostQuerySet, TrashedPost
from .previews import PreviewLink
from .revisions import Revision
from .site import ContentGeneration, SearchEntry, new_epoch

__all__ = [
    "MAX_STORAGE_LOOKUPS", "MAX_TAGS", "Category", "ContentGeneration", "FormerAddress",
    "Image", "ImageQuerySet", "ImageUse", "Post", "PostQuerySet", "PreviewLink", "Revision",
    "SearchEntry", "Series", "TrashedPost", "fallback_slug", "media_base_url", "new_epoch",
    "unique_slug", "validate_tags",
]  # fmt: skip
