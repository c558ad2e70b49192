"""Moving a blog in: import_markdown with Hexo, Hugo and Jekyll files; export and back."""
# ruff: noqa: E501

import io
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from taggit.models import Tag

from blog.models import Category, Post

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
SHANGHAI = ZoneInfo("Asia/Shanghai")


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


@pytest.fixture
def hexo(tmp_path):
    posts = tmp_path / "hexo" / "source" / "_posts"
    write(
        posts / "ddp-notes.md",
        "---\ntitle: DDP 学习笔记\ndate: 2024-03-05 21:30:00\nupdated: 2024-03-06 10:00:00\n"
        "categories:\n- [分布式训练, PyTorch]\ntags: [PyTorch, pytorch, 分布式]\n"
        "mathjax: true\n---\n"
        "引言 $a_i$ 讲梯度。\n\n<!-- more -->\n\n{% asset_img ring.svg 环形通信 %}\n\n"
        '{% codeblock lang:python %}\nprint("hi")\n{% endcodeblock %}\n\n'
        "{% note info %}\n提示内容\n{% endnote %}\n",
    )
    write(posts / "ddp-notes" / "ring.svg", SVG)
    write(
        tmp_path / "hexo" / "source" / "_drafts" / "draft-post.md",
        "---\ntitle: 还没写完\ndate: 2024-04-01\ntags: PyTorch\n---\n草稿。\n",
    )
    return tmp_path / "hexo"


@pytest.fixture
def hugo(tmp_path):
    site = tmp_path / "hugo"
    write(
        site / "content" / "posts" / "bundle" / "index.md",
        '+++\ntitle = "Hugo 的页面包"\ndate = 2024-05-01T08:00:00+09:00\nlastmod = 2024-05-02\n'
        'categories = "计算机视觉"\ntags = ["CV", "分割"]\nweight = 3\n+++\n\n'
        '{{< figure src="cat.svg" alt="一只猫" caption="示意图" >}}\n\n'
        "{{< highlight go >}}\npackage main\n{{< /highlight >}}\n\n"
        '见 [另一篇]({{< ref "other.md" >}})，![缺](missing.png)，![静态](/images/logo.svg)\n',
    )
    write(site / "content" / "posts" / "bundle" / "cat.svg", SVG)
    write(site / "static" / "images" / "logo.svg", SVG)
    write(
        site / "content" / "posts" / "other.md",
        "---\ntitle: 另一篇\ndate: 2024-05-03\ndraft: true\n---\n正文\n",
    )
    return site


@pytest.fixture
def jekyll(tmp_path):
    posts = tmp_path / "jekyll" / "_posts"
    write(
        posts / "2023-01-02-hello-world.markdown",
        '---\nlayout: post\ntitle: "Hello & <World>"\ndate: 2023-01-02 10:00:00 +0800\n'
        "category: Python\ntags: python jekyll\nexcerpt: 手写的摘要。\n---\n"
        "{% highlight ruby %}\nputs 1\n{% endhighlight %}\n\n"
        "{% raw %}{{ not liquid }}{% endraw %}\n",
    )
    write(
        posts / "2023-02-03-unpublished.md",
        "---\ntitle: 未发布\ndate: 2023-02-03\npublished: false\n---\nx\n",
    )
    return tmp_path / "jekyll"


@pytest.fixture
def broken(tmp_path):
    folder = tmp_path / "broken"
    write(folder / "bad-yaml.md", "---\ntitle: [unclosed\n---\nbody\n")
    write(folder / "bad-date.md", "---\ntitle: ok\ndate: not-a-date\n---\nbody\n")
    write(folder / "gbk.md", b"---\ntitle: gbk\n---\n" + "你好".encode("gbk"))
    write(folder / "unclosed.md", "---\ntitle: never closed\n")
    write(folder / "fine.md", "---\ntitle: 好文件\ndate: 2024-01-01\n---\n正常。\n")
    return folder


def run(*paths, **options):
    out = io.StringIO()
    call_command("import_markdown", *map(str, paths), stdout=out, **options)
    return out.getvalue()


def test_hexo_post_with_categories_tags_more_and_assets(db, hexo):
    output = run(hexo)
    post = Post.objects.get(slug="ddp-notes")
    assert post.title == "DDP 学习笔记"
    assert post.published_at == datetime(2024, 3, 5, 21, 30, tzinfo=SHANGHAI)
    assert post.updated_at == datetime(2024, 3, 6, 10, 0, tzinfo=SHANGHAI)
    assert post.category.name == "分布式训练"
    assert sorted(t.name for t in post.tags.all()) == ["PyTorch", "分布式"]
    assert post.summary == "引言 aᵢ 讲梯度。"  # a short formula reads as itself
    assert post.front_matter == {"mathjax": True, "categories": ["分布式训练", "PyTorch"]}
    assert "![环形通信](/media/posts/ddp-notes/ring.svg)" in post.body
    assert default_storage.exists("posts/ddp-notes/ring.svg")
    assert '<code class="language-python">' in post.body_html
    assert "提示内容" in post.body_html and "{%" not in post.body_html
    assert Post.objects.get(slug="draft-post").status == Post.Status.DRAFT
    assert "kept unknown keys: categories, mathjax" in output
    assert "2 created, 0 updated, 0 unchanged, 0 failed." in output


def test_hugo_bundle_toml_figure_highlight_ref_and_static(db, hugo):
    output = run(hugo)
    post = Post.objects.get(slug="bundle")
    assert post.title == "Hugo 的页面包"
    assert post.published_at == datetime(2024, 5, 1, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert timezone.localtime(post.updated_at).date().isoformat() == "2024-05-02"
    assert post.category.name == "计算机视觉"
    assert post.front_matter == {"weight": 3}
    assert "![一只猫](/media/posts/bundle/cat.svg)" in post.body and "*示意图*" in post.body
    assert "![静态](/media/posts/bundle/logo.svg)" in post.body
    assert "[另一篇](/posts/other/)" in post.body
    assert "![缺](missing.png)" in post.body
    assert '<code class="language-go">' in post.body_html
    assert "image not found, reference kept: missing.png" in output
    assert Post.objects.get(slug="other").status == Post.Status.DRAFT


def test_jekyll_post_slug_drops_the_date_and_tags_split_on_spaces(db, jekyll):
    run(jekyll)
    post = Post.objects.get(slug="hello-world")
    assert post.title == "Hello & <World>"
    assert post.published_at == datetime(2023, 1, 2, 2, 0, tzinfo=ZoneInfo("UTC"))
    assert post.category.name == "Python"
    assert sorted(t.name for t in post.tags.all()) == ["jekyll", "python"]
    assert post.summary == "手写的摘要。"
    assert "```ruby\nputs 1\n```" in post.body
    assert "{{ not liquid }}" in post.body and "raw" not in post.body
    assert Post.objects.get(slug="unpublished").status == Post.Status.DRAFT


def test_broken_files_are_reported_and_the_rest_imported(db, broken):
    out = io.StringIO()
    with pytest.raises(CommandError, match="4 file"):
        call_command("import_markdown", str(broken), stdout=out)
    report = out.getvalue()
    assert (
        f"failed     {broken / 'bad-yaml.md'}: the YAML front matter is not valid at line" in report
    )
    assert f"{broken / 'bad-date.md'}: date: 'not-a-date' is not a date" in report
    assert f"{broken / 'gbk.md'}: not UTF-8 text" in report
    assert (
        f"{broken / 'unclosed.md'}: the front matter opened with --- on line 1 is never closed"
        in report
    )
    assert "1 created, 0 updated, 0 unchanged, 4 failed." in report
    assert list(Post.objects.values_list("slug", flat=True)) == ["fine"]


def test_a_missing_path_is_reported(db, tmp_path):
    with pytest.raises(CommandError):
        run(tmp_path / "nope")


def test_importing_again_changes_nothing_and_duplicates_nothing(db, hexo, hugo, jekyll):
    run(hexo, hugo, jekyll)
    counts = (Post.objects.count(), Tag.objects.count(), Category.objects.count())
    stamps = dict(Post.objects.values_list("slug", "updated_at"))
    stored = sorted(default_storage.listdir("posts/bundle")[1])
    output = run(hexo, hugo, jekyll)
    assert "0 created, 0 updated, 6 unchanged, 0 failed." in output
    assert (Post.objects.count(), Tag.objects.count(), Category.objects.count()) == counts
    assert dict(Post.objects.values_list("slug", "updated_at")) == stamps
    assert sorted(default_storage.listdir("posts/bundle")[1]) == stored


def test_an_edited_file_updates_its_post(db, jekyll):
    run(jekyll)
    path = jekyll / "_posts" / "2023-02-03-unpublished.md"
    path.write_text("---\ntitle: 已发布\ndate: 2023-02-03\n---\n新正文\n", encoding="utf-8")
    output = run(jekyll)
    assert "0 created, 1 updated, 1 unchanged, 0 failed." in output
    post = Post.objects.get(slug="unpublished")
    assert (post.title, post.status, post.body) == ("已发布", Post.Status.PUBLISHED, "新正文")


def test_tags_and_categories_match_whatever_their_case(db, tmp_path):
    write(tmp_path / "a.md", "---\ntitle: a\ncategories: python\ntags: [PyTorch]\n---\nx\n")
    Category.objects.create(name="Python", slug="python")
    Tag.objects.create(name="pytorch", slug="pytorch")
    run(tmp_path)
    assert Category.objects.count() == 1 and Tag.objects.count() == 1


def test_dry_run_writes_nothing(db, hexo, hugo):
    output = run(hexo, hugo, dry_run=True)
    assert "Dry run, nothing written: 4 created" in output
    assert not Post.objects.exists() and not Category.objects.exists()
    assert not default_storage.exists("posts/bundle/cat.svg")


def test_a_date_without_a_time_zone_is_in_the_sites(db, tmp_path, settings):
    write(tmp_path / "a.md", "---\ntitle: a\ndate: 2024-06-01 12:00\n---\nx\n")
    run(tmp_path)
    assert Post.objects.get().published_at == datetime(2024, 6, 1, 12, 0, tzinfo=SHANGHAI)


def test_progress_bar_shows_on_a_terminal(db, hexo, monkeypatch):
    out = io.StringIO()
    out.isatty = lambda: True
    call_command("import_markdown", str(hexo), stdout=out)
    assert "[##############################] 2/2" in out.getvalue()


# --- Export and back -------------------------------------------------------------------------


FIELDS = ("title", "slug", "body", "summary", "status", "published_at", "updated_at",
          "front_matter", "reading_minutes", "body_html")  # fmt: skip


def snapshot():
    posts = Post.objects.select_related("category", "author").prefetch_related("tags")
    return {
        post.slug: (
            *(getattr(post, name) for name in FIELDS),
            post.category.name,
            post.category.slug,
            post.author.username if post.author else None,
            sorted(t.name for t in post.tags.all()),
        )
        for post in posts
    }


def test_export_then_import_gives_back_identical_posts(demo, hexo, hugo, tmp_path):
    run(hexo, hugo)
    before = snapshot()
    out = io.StringIO()
    call_command("export_markdown", str(tmp_path / "out"), stdout=out)
    assert f"{len(before)} post(s) written" in out.getvalue()
    draft = (tmp_path / "out" / "gradient-accumulation.md").read_text(encoding="utf-8")
    assert "draft: true" in draft
    # Into the same blog: nothing to do.
    assert f"0 created, 0 updated, {len(before)} unchanged, 0 failed." in run(tmp_path / "out")
    # Into an empty blog: the same posts.
    Post.objects.all().delete()
    Category.objects.all().delete()
    Tag.objects.all().delete()
    run(tmp_path / "out")
    assert snapshot() == before


# --- The admin's upload -----------------------------------------------------------------------


def test_author_uploads_a_markdown_file_in_the_admin(admin_client):
    upload = SimpleUploadedFile(
        "2024-07-01-upload.md", "---\ntitle: 上传的文章\ntags: [上传]\n---\n正文 $x$\n".encode()
    )
    response = admin_client.post("/admin/blog/post/import/", {"upload": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 created, 0 updated, 0 unchanged, 0 failed." in html
    assert 'href="/posts/upload/"' in html
    assert Post.objects.get(slug="upload").title == "上传的文章"


def test_author_uploads_a_zip_of_a_hugo_site(admin_client, hugo):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in hugo.rglob("*"):
            if path.is_file():
                archive.write(path, path.relative_to(hugo.parent))
    upload = SimpleUploadedFile("site.zip", buffer.getvalue(), content_type="application/zip")
    html = admin_client.post("/admin/blog/post/import/", {"upload": upload}).content.decode()
    assert "2 created" in html and "image not found, reference kept: missing.png" in html
    assert "hugo/content/posts/bundle/index.md" in html
    assert default_storage.exists("posts/bundle/cat.svg")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"x", "upload a .md or .markdown file, or a .zip"),
        ("broken.zip", b"not a zip", "is not a readable zip archive"),
    ],
)
def test_bad_uploads_get_a_clear_answer(admin_client, name, data, message):
    upload = SimpleUploadedFile(name, data)
    html = admin_client.post("/admin/blog/post/import/", {"upload": upload}).content.decode()
    assert message in html
    assert not Post.objects.exists()


def test_zip_slip_is_refused(admin_client, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.md", "---\ntitle: evil\n---\nx\n")
    upload = SimpleUploadedFile("evil.zip", buffer.getvalue())
    html = admin_client.post("/admin/blog/post/import/", {"upload": upload}).content.decode()
    assert "unsafe path in the archive" in html
    assert not Post.objects.exists()


def test_import_page_is_linked_from_the_post_list(admin_client):
    html = admin_client.get("/admin/blog/post/").content.decode()
    assert 'href="/admin/blog/post/import/"' in html


def test_a_file_without_front_matter_takes_its_title_from_the_first_heading(db, tmp_path):
    write(tmp_path / "notes.md", "# 我的笔记\n\n正文第一段。\n")
    run(tmp_path)
    post = Post.objects.get(slug="notes")
    assert post.title == "我的笔记" and post.body == "正文第一段。"


def test_imported_images_are_served(db, client, hexo, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    run(hexo)
    response = client.get("/media/posts/ddp-notes/ring.svg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SVG
    assert client.get("/media/../settings.py").status_code in (400, 404)
    assert client.get("/media/posts/none.svg").status_code == 404


def test_a_whole_site_folder_is_narrowed_to_its_posts(db, hexo):
    write(hexo / "README.md", "# 站点说明\n")
    write(hexo / "themes" / "next" / "README.md", "---\ntitle: theme\n---\nx\n")
    write(hexo / "source" / "about" / "index.md", "---\ntitle: 关于\n---\nx\n")
    write(hexo / "node_modules" / "pkg" / "readme.md", "# pkg\n")
    run(hexo)
    assert sorted(Post.objects.values_list("slug", flat=True)) == ["ddp-notes", "draft-post"]


def test_hugo_section_pages_are_not_posts(db, hugo):
    write(hugo / "content" / "posts" / "_index.md", "---\ntitle: Posts\n---\n")
    run(hugo)
    assert sorted(Post.objects.values_list("slug", flat=True)) == ["bundle", "other"]


def test_hexo_front_matter_without_the_opening_dashes(db, tmp_path):
    write(
        tmp_path / "old.md", "title: 老文章\ndate: 2015-06-01 09:00:00\ntags: [旧]\n---\n正文。\n"
    )
    run(tmp_path)
    post = Post.objects.get(slug="old")
    assert (post.title, post.body) == ("老文章", "正文。")
    assert [t.name for t in post.tags.all()] == ["旧"]


def test_values_the_database_would_refuse_are_reported(db, tmp_path):
    write(tmp_path / "long-title.md", f"---\ntitle: {'长' * 201}\n---\nx\n")
    write(tmp_path / f"{'s' * 250}.md", "---\ntitle: 短\n---\nx\n")
    with pytest.raises(CommandError):
        output = io.StringIO()
        call_command("import_markdown", str(tmp_path), stdout=output)
    assert "title is longer than 200 characters" in output.getvalue()
    assert "slug shortened to 200 characters" in output.getvalue()
    assert Post.objects.get().slug == "s" * 200


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
            + (640).to_bytes(4, "big")
            + (320).to_bytes(4, "big"),
            (640, 320),
        ),
        (b"GIF89a" + (20).to_bytes(2, "little") + (10).to_bytes(2, "little"), (20, 10)),
        (
            b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x11\x08"
            + (300).to_bytes(2, "big")
            + (400).to_bytes(2, "big"),
            (400, 300),
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32px"/>', (64, 32)),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 60"/>', (120, 60)),
        (b"not an image", None),
        (b"\x89PNG\r\n\x1a\n", None),
    ],
)
def test_image_sizes_are_read_from_the_file(data, size):
    from blog.images.imagesize import image_size

    assert image_size(data) == size


def test_imported_images_get_their_size_on_the_page(db, hexo):
    run(hexo)
    post = Post.objects.get(slug="ddp-notes")
    assert "![环形通信](/media/posts/ddp-notes/ring.svg){ width=10 height=10 }" in post.body
    assert 'height="10"' in post.body_html and 'width="10"' in post.body_html
    assert "0 created, 0 updated, 2 unchanged" in run(hexo)


IMPORT_PIECES = [
    "---\n", "+++\n", "title: ", "date: ", "tags: ", "categories: ", "slug: ", "draft: ",
    "updated: ", "2024-01-01", "2024-13-45", "[a, b", "]", "{", "}", ":", "- ", "\t", "'", '"',
    "&anchor ", "*anchor", "!!python/object:os.system ", "=", "\n", "中文", "x", "{% asset_img x.png 图 %}",
    "{{< figure src=\"y.png\" >}}", "{% codeblock %}", "{% endcodeblock %}", "```", "$", "\\",
    "<!--more-->", "![](../../etc/passwd)", "\x00", "\ufeff",
]  # fmt: skip


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(IMPORT_PIECES), max_size=30).map("".join))
def test_no_file_makes_the_importer_raise(db, tmp_path, text):
    from blog.importing import OUTCOMES, Importer

    path = tmp_path / "fuzz.md"
    path.write_text(text, encoding="utf-8")
    result = Importer(dry_run=True).import_file(path)
    assert result.outcome in OUTCOMES
    assert result.outcome != "failed" or result.reason


# --- Where a post came from -----------------------------------------------------------------


def test_two_files_with_the_same_slug_become_two_posts(db, tmp_path):
    posts = tmp_path / "_posts"
    write(posts / "2019-12-31-year-in-review.md", "---\ntitle: 2019 年回顾\n---\n一\n")
    write(posts / "2020-12-31-year-in-review.md", "---\ntitle: 2020 年回顾\n---\n二\n")
    output = run(tmp_path)
    assert "2 created, 0 updated, 0 unchanged, 0 failed." in output
    assert "this one is /posts/year-in-review-2/" in output
    titles = dict(Post.objects.values_list("slug", "title"))
    assert titles == {"year-in-review": "2019 年回顾", "year-in-review-2": "2020 年回顾"}
    again = run(tmp_path)
    assert "0 created, 0 updated, 2 unchanged, 0 failed." in again
    assert "belongs to another post" not in again  # said once, at the first import


def test_a_file_with_an_id_is_the_same_post_whatever_its_name(db, tmp_path):
    write(tmp_path / "first-name.md", "---\ntitle: 有编号\nid: 7f3a\n---\n正文\n")
    run(tmp_path)
    (tmp_path / "first-name.md").rename(tmp_path / "second-name.md")
    output = run(tmp_path)
    assert "0 created, 1 updated" in output
    assert list(Post.objects.values_list("slug", "front_matter")) == [
        ("second-name", {"id": "7f3a"})
    ]


def test_a_post_made_here_is_matched_by_its_slug_once(make_post, tmp_path):
    post = make_post(slug="written-here", title="在后台写的")
    write(tmp_path / "written-here.md", "---\ntitle: 在后台写的\n---\n导入的正文\n")
    assert "0 created, 1 updated" in run(tmp_path)
    post.refresh_from_db()
    assert post.body == "导入的正文" and post.source_key == "path:written-here.md"


def test_links_between_posts_resolve_to_the_slugs_they_end_up_with(db, tmp_path):
    posts = tmp_path / "_posts"
    write(
        posts / "2024-01-01-linking.md",
        "---\ntitle: 引用\n---\n"
        "[Jekyll]({% post_url 2024-02-02-target %}) "
        '[Hugo]({{< ref "2024-02-02-target.md#part" >}}) '
        "{% post_link 2024-02-02-target %} "
        "[丢失]({% post_url 2024-03-03-missing %})\n",
    )
    write(posts / "2024-02-02-target.md", "---\ntitle: 目标文章\nslug: real-slug\n---\n正文\n")
    output = run(tmp_path)
    body = Post.objects.get(slug="linking").body
    assert "[Jekyll](/posts/real-slug/)" in body
    assert "[Hugo](/posts/real-slug/#part)" in body
    assert "[目标文章](/posts/real-slug/)" in body
    assert "[丢失](2024-03-03-missing)" in body
    assert "no single post '2024-03-03-missing' to link to" in output


def test_a_link_to_a_post_imported_earlier_resolves(db, tmp_path):
    write(tmp_path / "one" / "target.md", "---\ntitle: 先导入\nslug: first-in\n---\nx\n")
    run(tmp_path / "one")
    write(tmp_path / "two" / "later.md", '---\ntitle: 后导入\n---\n[见]({{< ref "target" >}})\n')
    run(tmp_path / "two")
    assert "[见](/posts/first-in/)" in Post.objects.get(slug="later").body


def test_an_undated_file_keeps_its_date_on_every_upload(admin_client, time_machine):
    def upload():
        data = "---\ntitle: 没有日期\n---\n正文\n".encode()
        file = SimpleUploadedFile("undated.md", data)
        admin_client.post("/admin/blog/post/import/", {"upload": file})

    upload()
    first = Post.objects.get(slug="undated").published_at
    time_machine.move_to(timezone.now() + timedelta(days=3))
    upload()
    assert Post.objects.get(slug="undated").published_at == first


def test_reimporting_an_edited_file_refreshes_feeds_though_its_date_did_not_move(
    client, db, tmp_path
):
    path = tmp_path / "a.md"
    head = "---\ntitle: 原文\ndate: 2024-01-01\nupdated: 2024-01-02\n---\n"
    write(path, head + "第一版\n")
    run(tmp_path)
    first = client.get("/feed/")
    write(path, head + "第二版\n")
    run(tmp_path)
    again = client.get("/feed/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "第二版" in again.content.decode()


def test_an_import_never_moves_the_edit_time_back(admin_client, db, tmp_path):
    path = tmp_path / "a.md"
    write(path, "---\ntitle: 原文\ndate: 2024-01-01\nupdated: 2024-01-02\n---\n正文\n")
    run(tmp_path)
    post = Post.objects.get()
    post.body = "在后台改过"
    from blog import publishing

    publishing.save_post(post)
    edited = Post.objects.get().updated_at
    write(path, "---\ntitle: 原文\ndate: 2024-01-01\nupdated: 2024-01-03\n---\n文件又改了\n")
    run(tmp_path)
    post = Post.objects.get()
    assert post.body == "文件又改了" and post.updated_at == edited


def test_export_and_import_keep_a_category_changed_in_the_admin(admin_client, hexo, tmp_path):
    run(hexo)
    post = Post.objects.get(slug="ddp-notes")
    assert post.category.name == "分布式训练"
    other = Category.objects.create(name="性能优化", slug="perf")
    from blog import publishing

    post.category = other
    publishing.save_post(post)
    call_command("export_markdown", str(tmp_path / "out"), stdout=io.StringIO())
    run(tmp_path / "out")
    assert Post.objects.get(slug="ddp-notes").category.name == "性能优化"
    assert Post.objects.count() == 2


def test_two_images_of_the_same_name_in_one_post_settle(db, tmp_path):
    other_svg = SVG.replace(b'width="10"', b'width="20"')
    write(tmp_path / "a" / "fig.svg", SVG)
    write(tmp_path / "b" / "fig.svg", other_svg)
    write(tmp_path / "pics.md", "---\ntitle: 两张图\n---\n![一](a/fig.svg)\n\n![二](b/fig.svg)\n")
    run(tmp_path)
    stored = sorted(default_storage.listdir("posts/pics")[1])
    assert len(stored) == 2 and "fig.svg" in stored
    body = Post.objects.get().body
    assert "(/media/posts/pics/fig.svg)" in body and body.count("/media/posts/pics/fig") == 2
    assert "0 created, 0 updated, 1 unchanged" in run(tmp_path)
    assert sorted(default_storage.listdir("posts/pics")[1]) == stored


def test_a_file_that_fails_leaves_no_images_behind(db, tmp_path):
    write(tmp_path / "fig.svg", SVG)
    write(tmp_path / "too-long.md", f"---\ntitle: {'长' * 201}\n---\n![图](fig.svg)\n")
    with pytest.raises(CommandError):
        run(tmp_path)
    assert not default_storage.exists("posts/too-long/fig.svg")
    assert not Post.objects.exists()


def test_a_file_whose_images_cannot_all_be_stored_leaves_nothing(db, tmp_path, monkeypatch):
    write(tmp_path / "one.svg", SVG)
    write(tmp_path / "two.svg", SVG.replace(b"10", b"12"))
    write(tmp_path / "half.md", "---\ntitle: 一半\n---\n![一](one.svg)\n\n![二](two.svg)\n")
    from django.core.files.storage import storages

    storage_class = type(storages["default"])
    save = storage_class.save
    calls = []

    def save_once(self, name, content, *args, **kwargs):
        calls.append(name)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return save(self, name, content, *args, **kwargs)

    monkeypatch.setattr(storage_class, "save", save_once)
    with pytest.raises(CommandError):
        output = io.StringIO()
        call_command("import_markdown", str(tmp_path), stdout=output)
    assert "No space left on device" in output.getvalue()
    assert len(calls) == 2
    assert not default_storage.exists(calls[0]) and not Post.objects.exists()


def test_a_link_by_a_name_two_files_share_is_kept_and_reported(db, tmp_path):
    write(tmp_path / "a" / "intro.md", "---\ntitle: 甲\n---\nx\n")
    write(tmp_path / "b" / "intro.md", "---\ntitle: 乙\nslug: intro-b\n---\nx\n")
    write(tmp_path / "c.md", '---\ntitle: 丙\n---\n[见]({{< ref "intro" >}})\n')
    output = run(tmp_path)
    assert "[见](intro)" in Post.objects.get(slug="c").body
    assert "no single post 'intro' to link to" in output


def test_a_jekyll_file_without_a_date_key_is_dated_by_its_name(db, tmp_path):
    write(tmp_path / "_posts" / "2021-07-07-no-date-key.md", "---\ntitle: 无日期键\n---\nx\n")
    write(tmp_path / "_posts" / "2021-13-45-not-a-date.md", "---\ntitle: 假日期\n---\nx\n")
    run(tmp_path)
    post = Post.objects.get(slug="no-date-key")
    assert post.published_at == datetime(2021, 7, 7, tzinfo=SHANGHAI)
    assert Post.objects.get(slug="not-a-date").published_at.year == timezone.now().year


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_zip_names_without_the_utf8_flag_keep_their_chinese(admin_client, encoding):
    # As Info-ZIP on Linux (UTF-8) or Windows on a Chinese system (GBK) write them: the
    # name's bytes without the flag that says which encoding they are in. zipfile would set
    # the flag itself, so an ASCII stand-in of the same length is written and then replaced.
    raw = "博客/分布式训练.md".encode(encoding)
    stand_in = b"n" * (len(raw) - 3) + b".md"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(stand_in.decode(), "---\ntitle: 分布式训练\n---\n正文\n")
    data = buffer.getvalue().replace(stand_in, raw)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not archive.infolist()[0].flag_bits & 0x800
    upload = SimpleUploadedFile("site.zip", data)
    html = admin_client.post("/admin/blog/post/import/", {"upload": upload}).content.decode()
    assert "1 created" in html
    post = Post.objects.get()
    assert post.slug == "分布式训练" and post.source_key == "path:分布式训练.md"


def test_a_file_imported_alone_has_the_same_source_as_in_its_site(db, tmp_path):
    path = write(tmp_path / "_posts" / "2020" / "2020-01-01-x.md", "---\ntitle: 单独\n---\nx\n")
    run(path)
    assert Post.objects.get().source_key == "path:2020/2020-01-01-x.md"
    assert "0 created, 0 updated, 1 unchanged" in run(tmp_path)


def test_another_blogs_file_at_the_same_path_is_pointed_out(db, tmp_path):
    first = tmp_path / "one" / "source" / "_posts" / "hello-world.md"
    write(first, "---\ntitle: Hello World\ndate: 2019-01-01\n---\n第一个博客\n")
    run(tmp_path / "one")
    second = tmp_path / "two" / "source" / "_posts" / "hello-world.md"
    write(second, "---\ntitle: 你好\ndate: 2023-05-05\n---\n另一个博客\n")
    assert "which came from the same path" in run(tmp_path / "two")


def test_a_category_or_tag_renamed_here_survives_a_reimport(db, tmp_path):
    from taggit.models import Tag

    from blog import publishing

    write(tmp_path / "a.md", "---\ntitle: 甲\ncategories: 深度学习\ntags: [attention]\n---\nx\n")
    run(tmp_path)
    category = Category.objects.get(name="深度学习")
    category.name = "机器学习"
    publishing.save_category(category)
    tag = Tag.objects.get(name="attention")
    tag.name = "注意力"
    publishing.save_tag(tag)
    assert "0 created, 0 updated, 1 unchanged" in run(tmp_path)
    post = Post.objects.get()
    assert post.category.name == "机器学习" and [t.name for t in post.tags.all()] == ["注意力"]
    assert Category.objects.count() == 1 and Tag.objects.count() == 1


def test_a_category_is_never_taken_for_another_with_the_same_slug(db, tmp_path):
    Category.objects.create(name="C++", slug="c")
    write(tmp_path / "a.md", "---\ntitle: 甲\ncategories: C#\n---\nx\n")
    run(tmp_path)
    assert Post.objects.get().category.name == "C#"


def test_a_very_deep_path_is_a_source_the_database_can_hold(db, tmp_path):
    deep = tmp_path.joinpath(*["很深的目录名" * 3] * 12) / "post.md"
    write(deep, "---\ntitle: 深\n---\nx\n")
    run(tmp_path)
    assert len(Post.objects.get().source_key) <= 600
    assert "0 created, 0 updated, 1 unchanged" in run(tmp_path)
