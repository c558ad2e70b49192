"""Links that show a post's draft to someone without an account: secret, and not for long."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token():
    return secrets.token_urlsafe(32)


class PreviewLink(models.Model):
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    post = models.ForeignKey("Post", on_delete=models.CASCADE, related_name="preview_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("preview link")
        verbose_name_plural = _("preview links")

    def __str__(self):
        return f"{self.post_id}:{self.expires_at:%Y-%m-%d}"

    @classmethod
    def make(cls, post, user, days=None):
        days = settings.BLOG["PREVIEW_LINK_DAYS"] if days is None else days
        expires = timezone.now() + timedelta(days=days)
        return cls.objects.create(post=post, created_by=user, expires_at=expires)
