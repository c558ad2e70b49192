import io
import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from taggit.models import Tag

from blog.models import Category, Post


def run(*args, **options):
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def snapshot():
    return sorted(
        (p.slug, p.title, p.status, p.published_at, p.updated_at, p.body_html)
        for p in Post.objects.all()
    ), sorted(Tag.objects.values_list("name", flat=True))


def test_demo_covers_what_the_issue_asks_for(demo):
    posts = list(Post.objects.prefetch_related("tags"))
    assert len(posts) >= 15
    assert Category.objects.filter(posts__isnull=False).distinct().count() >= 4
    assert Tag.objects.count() >= 12
    assert Post.objects.filter(status=Post.Status.DRAFT).count() == 1
    scheduled = Post.objects.filter(status=Post.Status.PUBLISHED, published_at__gt=timezone.now())
    assert scheduled.count() == 1
    months = {(p.published_at.year, p.published_at.month) for p in posts}
    assert len(months) >= 4
    for post in posts:
        assert post.body.lstrip()[:1] != "#", post.slug  # starts with prose
        assert re.search(r"^#{2,3} ", post.body, re.M), post.slug
        assert "$" in post.body, post.slug
        assert re.search(r"^```[a-z]+", post.body, re.M), post.slug
        assert 'class="math' in post.body_html, post.slug
        assert post.reading_minutes >= 2, post.slug
    with_table = [p for p in posts if "<table>" in p.body_html]
    with_image = [p for p in posts if "<img " in p.body_html]
    assert len(with_table) >= 3 and len(with_image) >= 2


def test_demo_images_exist_as_static_files(demo):
    from django.contrib.staticfiles import finders

    for post in Post.objects.all():
        for src in re.findall(r'<img [^>]*src="/static/([^"]+)"', post.body_html):
            assert finders.find(src), f"{post.slug}: missing static file {src}"


def test_second_demo_run_changes_nothing(demo):
    before = snapshot()
    assert "nothing changed" in run("load_demo")
    assert snapshot() == before


def test_if_empty_leaves_an_existing_blog_alone(make_post):
    make_post()
    assert "not loaded" in run("load_demo", if_empty=True)
    assert Post.objects.count() == 1


@override_settings(BLOG_DEVELOPMENT=True)
def test_demo_creates_an_editor_with_a_one_time_password_in_development(db):
    from django.contrib.auth import get_user_model

    output = run("load_demo")
    password = re.search(r"password: (\S+)", output).group(1)
    editor = get_user_model().objects.get(username="editor")
    assert editor.is_superuser and editor.check_password(password)
    assert "password" not in run("load_demo")


def test_demo_never_creates_a_login_outside_development(db):
    from django.contrib.auth import get_user_model

    output = run("load_demo")
    assert "password" not in output
    assert "createsuperuser" in output
    assert not get_user_model().objects.exists()


def test_rerender_posts_renders_again_and_counts(make_post):
    post = make_post(body="**粗体**")
    Post.objects.filter(pk=post.pk).update(body_html="<p>stale</p>")
    make_post()
    output = run("rerender_posts")
    assert "2 post(s) rendered, 1 changed." in output
    post.refresh_from_db()
    assert "<strong>粗体</strong>" in post.body_html
    assert "0 changed" in run("rerender_posts")


def test_demo_file_with_bad_front_matter_names_file_and_line(tmp_path, monkeypatch, db):
    from django.core.management import CommandError

    from blog.management.commands import load_demo

    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    monkeypatch.setattr(load_demo, "DEMO_DIR", tmp_path)
    with pytest.raises(CommandError, match=r"bad\.md:\d+: front matter is not valid YAML"):
        run("load_demo")
    assert not Post.objects.exists()


def test_rerender_posts_updates_the_search_index(make_post):
    from blog.models import SearchEntry
    from blog.search import search_posts

    post = make_post(body="旧的内容")
    Post.objects.filter(pk=post.pk).update(body="全新的内容")  # as if the pipeline changed
    run("rerender_posts")
    assert SearchEntry.objects.get(post=post).text == "全新的内容"
    assert list(search_posts(Post.objects.published(), "全新")[0]) == [post]


def test_rerender_posts_lists_formulas_it_could_not_convert(make_post):
    make_post(slug="broken", body="$$\\begin{tikzpicture}x\\end{tikzpicture}$$")
    output = run("rerender_posts")
    assert "broken: the environment tikzpicture is not supported" in output


def test_demo_articles_have_no_formula_problems(demo):
    assert [(p.slug, p.render_warnings) for p in Post.objects.all() if p.render_warnings] == []


def test_pygments_css_command_keeps_site_css_in_step(tmp_path, settings):
    from blog.rendering.code import END_MARK, START_MARK, stylesheet

    (tmp_path / "static" / "css").mkdir(parents=True)
    css = tmp_path / "static" / "css" / "site.css"
    css.write_text(f"body {{}}\n{START_MARK}\nold\n{END_MARK}\np {{}}\n", encoding="utf-8")
    settings.BASE_DIR = tmp_path
    run("pygments_css")
    text = css.read_text(encoding="utf-8")
    assert text.startswith("body {}") and text.endswith("p {}\n")
    assert stylesheet() in text and "\nold\n" not in text


def test_demo_articles_pass_the_pre_publish_checks(demo):
    # Their diagrams are static files (/static/demo/…), which the checks know exist.
    assert [(p.slug, p.problems) for p in Post.objects.all() if p.problems] == []
