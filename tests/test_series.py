"""Series: posts meant to be read in order show "part 3 of 5" with links to the others; the
series has its own page and feeds; Hexo's and Hugo's `series` front matter imports into it."""

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from blog import publishing
from blog.models import Post, Series


def test_an_article_says_which_part_it_is_and_links_the_others(client, make_post):
    series = publishing.save_series(Series(name="从零实现 Transformer", slug="transformer"))
    now = timezone.now()
    posts = [
        make_post(
            title=f"第 {n} 篇",
            series=series,
            series_position=n,
            published_at=now - timedelta(days=10 - n),
        )  # fmt: skip
        for n in (3, 1, 2)
    ]
    make_post(title="草稿的第 4 篇", series=series, series_position=4, status=Post.Status.DRAFT)
    third = posts[0]
    page = client.get(third.get_absolute_url()).content.decode()
    assert "共 3 篇中的第 3 篇" in page and 'href="/series/transformer/"' in page
    order = [page.index(f"第 {n} 篇") for n in (1, 2)]
    assert order == sorted(order) and '<span aria-current="page">第 3 篇</span>' in page
    assert "草稿的第 4 篇" not in page  # readers do not see what is coming

    listing = client.get("/series/transformer/").content.decode()
    positions = [listing.index(f"第 {n} 篇") for n in (1, 2, 3)]
    assert positions == sorted(positions)
    feed = client.get("/series/transformer/feed/")
    assert feed.status_code == 200 and "第 2 篇" in feed.content.decode()
    assert client.get("/series/transformer/feed/atom/").status_code == 200


def test_parts_without_numbers_follow_by_date(client, make_post):
    series = publishing.save_series(Series(name="随笔", slug="notes"))
    now = timezone.now()
    make_post(title="较早", series=series, published_at=now - timedelta(days=2))
    later = make_post(title="较晚", series=series, published_at=now - timedelta(days=1))
    assert "共 2 篇中的第 2 篇" in client.get(later.get_absolute_url()).content.decode()


def test_a_series_of_drafts_only_has_no_page(client, make_post):
    series = publishing.save_series(Series(name="未来的系列", slug="future"))
    make_post(series=series, status=Post.Status.DRAFT)
    assert client.get("/series/future/").status_code == 404
    assert client.get("/series/future/feed/").status_code == 404
    assert client.get("/series/nothing/").status_code == 404


def test_series_front_matter_imports_into_one_series(db, tmp_path, client):
    for n in (1, 2):
        (tmp_path / f"part-{n}.md").write_text(
            f"---\ntitle: 第 {n} 部分\nslug: part-{n}\ndate: 2026-0{n}-01\n"
            f"series: [深入 CUDA]\nseries_position: {n}\n---\n正文 {n}。\n",
            encoding="utf-8",
        )
    call_command("import_markdown", str(tmp_path), stdout=io.StringIO())
    series = Series.objects.get()
    assert series.name == "深入 CUDA"
    assert list(series.series_posts.order_by("series_position").values_list("slug", flat=True)) == [
        "part-1",
        "part-2",
    ]
    assert "共 2 篇中的第 2 篇" in client.get("/posts/part-2/").content.decode()
    call_command("import_markdown", "--dry-run", str(tmp_path), stdout=io.StringIO())
    assert Series.objects.count() == 1


def test_a_deleted_series_leaves_its_posts(admin_client, client, make_post):
    series = publishing.save_series(Series(name="临时", slug="tmp"))
    post = make_post(series=series, series_position=1)
    publishing.delete_series(Series.objects.filter(pk=series.pk))
    post.refresh_from_db()
    assert post.series is None
    assert client.get(post.get_absolute_url()).status_code == 200


def test_the_post_form_sets_the_series(admin_client, make_post):
    from tests.forms import post_form

    series = publishing.save_series(Series(name="系列", slug="s"))
    post = make_post(summary="摘要。")
    form = post_form(post, series=series.pk, series_position="2")
    assert admin_client.post(f"/admin/blog/post/{post.pk}/change/", form).status_code == 302
    post.refresh_from_db()
    assert (post.series, post.series_position) == (series, 2)
    assert admin_client.get("/admin/blog/series/").status_code == 200
