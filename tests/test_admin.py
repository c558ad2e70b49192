from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from taggit.models import Tag

from blog.models import Category, Post
from tests.forms import post_form


def test_changelist_has_filters_search_and_date_hierarchy(admin_client, make_post):
    make_post(title="感受野", tags=["CNN"])
    python = Category.objects.create(name="Python", slug="python")
    make_post(title="进程与线程", status=Post.Status.DRAFT, category=python)
    response = admin_client.get("/admin/blog/post/")
    assert response.status_code == 200
    html = response.content.decode()
    for filter_link in ("?status__exact=draft", "?category__id__exact=", "?tags__id__exact="):
        assert filter_link in html
    assert "?published_at__year=" in html  # the date hierarchy
    found = admin_client.get("/admin/blog/post/", {"q": "感受"}).content.decode()
    assert "感受野" in found and "进程与线程" not in found
    drafts = admin_client.get("/admin/blog/post/", {"status__exact": "draft"}).content.decode()
    assert "进程与线程" in drafts and "感受野" not in drafts


def test_changelist_filters_by_tag(admin_client, make_post):
    make_post(title="带标签", tags=["分布式"])
    make_post(title="不带标签")
    from taggit.models import Tag

    tag = Tag.objects.get(name="分布式")
    html = admin_client.get("/admin/blog/post/", {"tags__id__exact": tag.pk}).content.decode()
    assert "带标签" in html and "不带标签" not in html


def test_author_writes_a_chinese_post_in_the_admin(admin_client, category):
    response = admin_client.post(
        "/admin/blog/post/add/",
        {
            "title": "PyTorch 分布式训练入门",
            "slug": "pytorch-分布式训练入门",
            "category": category.pk,
            "tags": "PyTorch, 分布式, 集合 通信",
            "body": "## 开始\n\n梯度平均 $\\bar g = \\frac{1}{N}\\sum_i g_i$。",
            "summary": "",
            "status": "published",
            "published_at_0": "2026-03-01",
            "published_at_1": "10:00:00",
            "author": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    post = Post.objects.get()
    assert post.slug == "pytorch-分布式训练入门"
    assert sorted(t.name for t in post.tags.all()) == ["PyTorch", "分布式", "集合 通信"]
    assert sorted(t.slug for t in post.tags.all()) == ["pytorch", "分布式", "集合-通信"]
    assert "bar g" in post.body_html
    assert admin_client.get(f"/tag/{quote('集合-通信')}/").status_code == 200


def test_tags_differing_only_in_case_are_one_tag(make_post):
    from taggit.models import Tag

    make_post(tags=["PyTorch"])
    make_post(tags=["pytorch"])
    assert Tag.objects.count() == 1


def test_add_form_prefills_slug_from_title_and_uses_unicode(admin_client, db):
    html = admin_client.get("/admin/blog/post/add/").content.decode()
    assert "&quot;dependency_list&quot;: [&quot;title&quot;]" in html
    assert "&quot;allowUnicode&quot;: true" in html


def test_publish_and_unpublish_actions(admin_client, make_post):
    draft = make_post(status=Post.Status.DRAFT, published_at=timezone.now() - timedelta(days=30))
    scheduled_draft = make_post(
        status=Post.Status.DRAFT, published_at=timezone.now() + timedelta(days=2)
    )
    admin_client.post(
        "/admin/blog/post/",
        {"action": "publish", "_selected_action": [draft.pk, scheduled_draft.pk]},
    )
    draft.refresh_from_db()
    scheduled_draft.refresh_from_db()
    assert draft.is_published
    assert timezone.now() - draft.published_at < timedelta(minutes=1)
    assert scheduled_draft.is_scheduled
    admin_client.post("/admin/blog/post/", {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Post.Status.DRAFT


def test_changelist_marks_scheduled_posts(admin_client, visibility_grid):
    html = admin_client.get("/admin/blog/post/").content.decode()
    assert "定时发布" in html and "草稿" in html  # the authoring side speaks the site's language


def test_view_on_site_leads_to_the_preview(admin_client, visibility_grid):
    draft = visibility_grid["draft_past"]
    html = admin_client.get(f"/admin/blog/post/{draft.pk}/change/").content.decode()
    assert 'href="/admin/r/' in html  # "View on site"
    assert admin_client.get(draft.get_absolute_url()).status_code == 200


def test_categories_are_managed_in_the_admin(admin_client, db):
    response = admin_client.post(
        "/admin/blog/category/add/", {"name": "计算机视觉", "slug": "cv", "description": ""}
    )
    assert response.status_code == 302
    assert Category.objects.get().slug == "cv"


@pytest.mark.parametrize("url", ["/admin/blog/post/", "/admin/blog/category/", "/admin/"])
def test_admin_pages_need_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_changelist_queries_do_not_grow_with_posts(
    admin_client, many_posts, django_assert_max_num_queries
):
    many_posts(200)
    with django_assert_max_num_queries(12):
        assert admin_client.get("/admin/blog/post/").status_code == 200


def test_author_is_warned_about_a_formula_that_cannot_be_converted(admin_client, category):
    body = "好的 $x^2$，坏的 $$\\frac{1}{$$ 结束。"
    response = admin_client.post(
        "/admin/blog/post/add/",
        post_form(category=category, title="坏公式", slug="bad-formula", body=body, status="draft"),
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    # As the checks word it: its line, the TeX and why, in the site's language.
    said = "第 1 行：公式无法转换，读者将看到 TeX 源码：\\frac{1}{（左花括号 { 没有闭合）"
    assert said in messages, messages
    post = Post.objects.get()
    assert post.render_warnings == ["an opening brace { is never closed: \\frac{1}{"]
    change = admin_client.get(f"/admin/blog/post/{post.pk}/change/").content.decode()
    assert said in change
    assert '<code class="math-source">\\frac{1}{</code>' in post.body_html


def test_the_admin_speaks_english_on_an_english_site(admin_client, visibility_grid, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        html = admin_client.get("/admin/blog/post/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Scheduled" in html and "Import Markdown" in html


def test_compiled_translations_match_their_source():
    """locale/…/django.mo is committed (no gettext on a fresh machine); it must say what the
    .po says. Recompile with `msgfmt -o django.mo django.po` after editing."""
    import gettext
    import re
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"
    source = (folder / "django.po").read_text(encoding="utf-8")
    entries = re.findall(r'msgid ((?:"[^"\n]*"\n?)+)msgstr ((?:"[^"\n]*"\n?)+)', source)

    def join(block):
        # The .po's escapes (\\, \", \n) undone, as the compiled catalogue holds the text.
        escaped = "".join(re.findall(r'"([^"\n]*)"', block))
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), escaped)

    with (folder / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    pairs = [(join(msgid), join(msgstr)) for msgid, msgstr in entries if join(msgid)]
    assert len(pairs) > 50
    for msgid, msgstr in pairs:
        assert catalogue.gettext(msgid) == msgstr, msgid


@pytest.mark.parametrize(
    "url, name, prefix",
    [("/admin/blog/category/add/", "!!!", "category-"), ("/admin/taggit/tag/add/", "🔥", "tag-")],
)
def test_a_label_without_letters_added_in_the_admin_gets_an_address(
    admin_client, url, name, prefix
):
    response = admin_client.post(url, {"name": name, "slug": "", "description": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    model = Category if "category" in url else Tag
    label = model.objects.get(name=name)
    assert label.slug == f"{prefix}{label.pk}"
    assert admin_client.get("/").status_code == 200


def test_a_post_with_too_many_tags_is_a_form_error(admin_client, category):
    from blog.models import MAX_TAGS

    names = ", ".join(f"标签{n}" for n in range(MAX_TAGS + 1))
    response = admin_client.post(
        "/admin/blog/post/add/",
        post_form(
            category=category, title="标签太多", slug="too-many-tags", tags=names, status="draft"
        ),
    )
    assert response.status_code == 200
    assert str(MAX_TAGS) in response.context["adminform"].form.errors["tags"][0]
    assert not Post.objects.exists() and not Tag.objects.exists()


def test_the_write_path_refuses_too_many_tags_before_writing(category):
    from django.core.exceptions import ValidationError

    from blog import publishing
    from blog.models import MAX_TAGS

    with pytest.raises(ValidationError):
        publishing.create_post(
            title="t", slug="t", category=category, body="b",
            tags=[f"t{n}" for n in range(MAX_TAGS + 1)],
        )  # fmt: skip
    assert not Post.objects.exists() and not Tag.objects.exists()
