"""What the review of issue 14's first build found: NUL bytes PostgreSQL refuses, a restore
onto a slug the trash holds, a submitted post exported as public, a series change lost to a
stale form or a draft, a draft-only tag's new name shown, a diff number int() refuses."""

import io
import re
from datetime import datetime
from pathlib import Path

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from blog import publishing
from blog.models import Post, Revision, Series
from tests.forms import post_form


def test_addresses_with_a_nul_are_404s(client, make_post):
    make_post(slug="here")
    for address in ("/no-such-page%00/", "/posts/a%00b/", "/tag/a%00/", "/preview/%00/"):
        assert client.get(address).status_code == 404, address


def test_autosave_drops_nul_bytes(admin_client, make_post):
    post = make_post()
    url = reverse("admin:blog_post_autosave")
    data = {
        "post": post.pk,
        "title": "a\x00b",
        "summary": "s\x00",
        "tags": "t\x00g",
        "body": "x\x00y",
    }
    assert admin_client.post(url, data).status_code == 200
    kept = Revision.objects.get(kind=Revision.Kind.AUTOSAVE)
    assert (kept.title, kept.summary, kept.tags, kept.body) == ("ab", "s", ["tg"], "xy")


def test_restoring_a_slug_the_trash_holds_keeps_the_post_s_own(admin_client, make_post):
    post = make_post(slug="x")
    post.slug = "y"
    publishing.save_post(post)
    other = make_post(slug="x")
    publishing.trash_posts([other])
    first = post.revisions.order_by("number").first()
    url = reverse("admin:blog_post_revision_restore", args=[post.pk, first.number])
    assert admin_client.post(url).status_code == 302
    assert Post.objects.get(pk=post.pk).slug == "y"


def test_a_post_submitted_for_review_is_exported_as_a_draft(make_post, tmp_path):
    make_post(slug="waiting", status=Post.Status.REVIEW)
    call_command("export_markdown", str(tmp_path), stdout=io.StringIO())
    text = next(Path(tmp_path).rglob("*.md")).read_text(encoding="utf-8")
    assert "draft: true" in text


def test_a_stale_form_does_not_undo_another_s_series(admin_client, make_post):
    series = publishing.save_series(Series(name="系列", slug="s"))
    # At the time post_form sends, so that the series is the only difference.
    at = timezone.make_aware(datetime(2026, 3, 1, 10, 0))
    post = make_post(summary="摘要。", published_at=at, body="正文。")
    stale = post_form(post, summary="摘要。")  # opened now
    publishing.save_post(post)  # nothing changed: the form is still current
    assert (
        admin_client.post(reverse("admin:blog_post_change", args=[post.pk]), stale).status_code
        == 302
    )
    stale = post_form(post, summary="摘要。")
    post.series, post.series_position = series, 2
    publishing.save_post(post)
    answer = admin_client.post(reverse("admin:blog_post_change", args=[post.pk]), stale)
    assert answer.status_code == 200 and 'class="edit-conflict"' in answer.content.decode()
    assert Post.objects.get(pk=post.pk).series == series


def test_a_draft_keeps_its_series(admin_client, make_post):
    series = publishing.save_series(Series(name="系列", slug="s"))
    post = make_post(summary="摘要。")
    form = post_form(post, body="改了。", series=series.pk, series_position="3", _save_draft="1")
    assert (
        admin_client.post(reverse("admin:blog_post_change", args=[post.pk]), form).status_code
        == 302
    )
    assert Post.objects.get(pk=post.pk).series is None  # readers' version
    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    chooser = re.search(r'<select name="series".*?</select>', page, re.S).group(0)
    assert f'<option value="{series.pk}" selected>' in chooser
    assert 'name="series_position" value="3"' in page


def test_a_draft_only_tag_s_new_name_is_not_given_away(client, make_post):
    make_post(status=Post.Status.DRAFT, tags=["public-name"])
    tag = Tag.objects.get(name="public-name")
    tag.name, tag.slug = "secret launch", "secret-launch"
    publishing.save_tag(tag)
    assert client.get("/tag/public-name/").status_code == 404


def test_a_diff_of_a_number_int_refuses_is_a_404(admin_client, make_post):
    post = make_post()
    url = reverse("admin:blog_post_revision_diff", args=[post.pk])
    assert admin_client.get(url, {"a": "²", "b": "1"}).status_code == 404


def test_editors_manage_series_and_authors_choose_them(db):
    editors = Group.objects.get(name="editors").permissions.values_list("codename", flat=True)
    authors = Group.objects.get(name="authors").permissions.values_list("codename", flat=True)
    assert {"add_series", "change_series", "delete_series"} <= set(editors)
    assert "view_series" in authors
