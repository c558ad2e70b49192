"""Pre-publish checks: each warning from a minimal post, none from a clean one, with its line
and in the site's language; the count and the "has problems" filter in the post list; the
one question asked before a post with broken formulas goes live."""

import pytest
from django.urls import reverse
from django.utils import translation

from blog import checks
from blog.checks.source import FILLER, Source
from blog.images.storing import store
from blog.models import Post
from tests.forms import post_form
from tests.pictures import png

CLEAN = """## 引言

卷积把输入 $x$ 与核 $k$ 相乘再求和：

$$y_i = \\sum_j k_j x_{i+j}$$

```python
def conv(x, k):
    return sum(a * b for a, b in zip(x, k))
```

### 细节

见[上一篇](/posts/earlier/)，图片如下：

![卷积示意图](https://example.com/conv.png)
"""


def codes(post):
    return [(row[0], row[1]) for row in post.problems]


@pytest.fixture
def earlier(make_post):
    return make_post(slug="earlier", title="上一篇")


def test_a_clean_post_has_no_problems(make_post, earlier):
    post = make_post(body=CLEAN)
    assert post.problems == [] and post.problem_count == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("第一行。\n\n公式 $\\frac{a$ 坏了。", [("formula", 3)]),
        ("第一行。\n\n$$\n\\begin{foo} x \\end{foo}\n$$", [("formula", 3)]),
        ("文字。\n\n放大 $\\large x$ 的公式。", [("tex_dropped", 3)]),
        ("文字。\n\n换行 $a \\\\ b$ 无效。", [("tex_dropped", 3)]),
        ("代码：\n\n```\nprint(1)\n```\n", [("code_language", 3)]),
        ("图：\n\n![](https://example.com/a.png)", [("image_alt", 3)]),
        ('图：<img src="https://example.com/a.png">', [("image_alt", 1)]),
        ("图：\n\n![没有的图](/media/images/nowhere.png)", [("image_missing", 3)]),
        ("图：\n\n![相对路径](figure.png)", [("image_missing", 3)]),
        ("见[这篇](/posts/no-such-post/)。", [("link_missing", 1)]),
        ("见[那篇][ref]。\n\n[ref]: /posts/gone/", [("link_missing", 3)]),
        ('见<a href="/posts/gone/">那篇</a>。', [("link_missing", 1)]),
        ("## 二级\n\n正文。\n\n#### 四级\n\n正文。", [("heading_skip", 5)]),
        ("### 一开始就是三级\n\n正文。", [("heading_skip", 1)]),
        ("$$E = mc^2$$\n\n$$F = ma$$", [("summary", None)]),
    ],
)
def test_each_problem_is_found_with_its_line(make_post, body, expected):
    # A summary of its own, so that only the placeholder case is about the excerpt.
    summary = "" if expected == [("summary", None)] else "摘要。"
    post = make_post(body=body, summary=summary)
    assert codes(post) == expected
    assert post.problem_count == len(expected)


def test_what_looks_like_a_problem_inside_code_is_not_one(make_post):
    body = "正文。\n\n```markdown\n#### 不是标题\n![](nothing.png)\n[x](/posts/none/)\n```"
    assert make_post(body=body, summary="摘要。").problems == []


def test_a_summary_answers_the_placeholder_excerpt(make_post):
    assert make_post(body="$$E = mc^2$$", summary="质能方程。").problems == []


def test_an_uploaded_image_exists_and_lends_its_alt_text(make_post, admin_user):
    image, _new = store(png((20, 20)), "a.png", alt="一张图", user=admin_user)
    assert make_post(body=f"![]({image.url})", summary="摘要。").problems == []
    bare, _new = store(png((21, 20)), "b.png", user=admin_user)
    assert codes(make_post(body=f"![]({bare.url})", summary="摘要。")) == [("image_alt", 1)]


def test_a_link_to_an_existing_article_is_fine_whatever_its_spelling(make_post):
    make_post(slug="卷积", title="卷积")
    body = "见[卷积](/posts/%E5%8D%B7%E7%A7%AF/)与[同一篇](/posts/卷积/#intro)。"
    assert make_post(body=body).problems == []


def test_problems_are_said_in_the_sites_language_with_the_line(make_post):
    post = make_post(body="第一行。\n\n公式 $\\frac{a$ 坏了，还有 $\\foo$。")
    with translation.override("zh-hans"):
        messages = checks.messages(post.problems)
    assert messages[0].startswith("第 3 行：") and "\\frac{a" in messages[0]
    assert "\\foo" in messages[1] and "不支持" in messages[1]
    with translation.override("en"):
        assert checks.messages(post.problems)[0].startswith("Line 3: ")


def test_the_preview_shows_the_checks_with_a_missing_category(admin_client):
    answer = admin_client.post(
        reverse("admin:blog_post_preview"), {"body": "## 标题\n\n#### 跳级", "category": ""}
    ).json()
    lines = [(p["line"], p["message"]) for p in answer["problems"]]
    assert lines[0][0] == 3 and "h4" in lines[0][1]
    assert lines[-1][0] is None and "分类" in lines[-1][1]


def test_the_preview_checks_are_the_saved_ones(admin_client, make_post, category):
    body = "正文。\n\n```\ncode\n```\n\n![](x.png)"
    answer = admin_client.post(
        reverse("admin:blog_post_preview"), {"body": body, "category": str(category.pk)}
    ).json()
    post = make_post(body=body)
    assert [p["message"] for p in answer["problems"]] == checks.messages(post.problems)


# --- The post list --------------------------------------------------------------------------


def test_the_post_list_counts_problems_and_filters_posts_that_have_some(admin_client, make_post):
    make_post(title="有问题的文章", body="```\nx\n```\n\n![](y.png)", summary="摘要。")
    make_post(title="干净的文章", body="正文。")
    changelist = reverse("admin:blog_post_changelist")
    page = admin_client.get(changelist).content.decode()
    assert "⚠ 2" in page
    with_problems = admin_client.get(changelist, {"problems": "yes"}).content.decode()
    assert "有问题的文章" in with_problems and "干净的文章" not in with_problems
    without = admin_client.get(changelist, {"problems": "no"}).content.decode()
    assert "干净的文章" in without and "有问题的文章" not in without


def test_the_change_form_lists_the_checks_of_the_last_save(admin_client, make_post):
    post = make_post(body="正文。\n\n```\nx\n```")
    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert "第 3 行" in page


# --- Publishing with broken formulas --------------------------------------------------------


def test_publishing_a_post_with_a_broken_formula_asks_once(admin_client, category):
    add = reverse("admin:blog_post_add")
    body = "能量 $\\frac{1}{$ 守恒。"
    asked = admin_client.post(add, post_form(category=category, body=body))
    assert asked.status_code == 200  # the form again, with the question
    assert "publish_anyway" in asked.content.decode()
    assert not Post.objects.exists()

    admin_client.post(add, post_form(category=category, body=body, publish_anyway="on"))
    post = Post.objects.get()
    assert post.status == Post.Status.PUBLISHED

    change = reverse("admin:blog_post_change", args=[post.pk])
    again = admin_client.post(change, post_form(post, body=body + "\n\n再改一句。"))
    assert again.status_code == 302  # published already: not asked again
    post.refresh_from_db()
    assert post.body.endswith("再改一句。")


def test_a_draft_with_a_broken_formula_is_saved_without_a_question(admin_client, category):
    add = reverse("admin:blog_post_add")
    body = "能量 $\\frac{1}{$ 守恒。"
    answer = admin_client.post(add, post_form(category=category, body=body, status="draft"))
    assert answer.status_code == 302
    assert Post.objects.get().problem_count == 1


def test_a_clean_post_is_published_without_a_question(admin_client, category):
    answer = admin_client.post(reverse("admin:blog_post_add"), post_form(category=category))
    assert answer.status_code == 302
    assert Post.objects.get().status == Post.Status.PUBLISHED


def test_the_publish_action_asks_once_about_drafts_with_broken_formulas(admin_client, make_post):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    broken = make_post(title="公式坏了", body="能量 $\\frac{1}{$ 守恒。", status="draft")
    clean = make_post(title="一切正常", body="正文。", status="draft")
    changelist = reverse("admin:blog_post_changelist")
    chosen = {"action": "publish", ACTION_CHECKBOX_NAME: [broken.pk, clean.pk]}
    asked = admin_client.post(changelist, chosen)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "公式坏了" in page and "一切正常" not in page
    assert not Post.objects.filter(status="published").exists()
    admin_client.post(changelist, {**chosen, "publish_anyway": "1"})
    assert Post.objects.filter(status="published").count() == 2


def test_the_publish_action_does_not_ask_about_clean_drafts(admin_client, make_post):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    draft = make_post(body="正文。", status="draft")
    changelist = reverse("admin:blog_post_changelist")
    admin_client.post(changelist, {"action": "publish", ACTION_CHECKBOX_NAME: [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "published"


def test_saving_says_which_formula_failed_on_which_line(admin_client, category):
    body = "第一行。\n\n能量 $\\frac{1}{$ 守恒。"
    answer = admin_client.post(
        reverse("admin:blog_post_add"),
        post_form(category=category, body=body, status="draft"),
        follow=True,
    )
    said = [str(m) for m in answer.context["messages"]]
    assert any(m.startswith("第 3 行：") and "\\frac{1}{" in m for m in said)


def test_a_static_file_of_the_site_is_an_image_that_exists(make_post):
    post = make_post(body="![环形 AllReduce](/static/demo/ring-allreduce.svg)", summary="摘要。")
    assert post.problems == []
    gone = make_post(body="![无](/static/demo/../../settings.py)", summary="摘要。")
    assert codes(gone) == [("image_missing", 1)]


# --- What a review of the checks found --------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "行内代码 `![](/media/nowhere.png)` 与 `[x](/posts/none/)` 不算。",
        "注释不算：<!-- ![](/media/nowhere.png) [x](/posts/none/) -->",
        "双反引号 ``代码里有 ` 与 ![](gone.png)`` 也不算。",
    ],
)
def test_inline_code_and_comments_are_not_prose(make_post, body):
    assert make_post(body=body, summary="摘要。").problems == []


def test_a_setext_heading_is_a_heading(make_post):
    post = make_post(body="标题\n---\n\n正文。\n\n### 小节\n\n正文。", summary="摘要。")
    assert post.problems == []  # h2 (underlined), then h3: no level skipped
    skipped = make_post(body="标题\n===\n\n#### 小节", summary="摘要。")
    assert codes(skipped) == [("heading_skip", 4)]


def test_a_formula_is_found_on_its_own_line_not_where_its_tex_first_appears(make_post):
    post = make_post(body="{braces} here\n\nline3 $}$", summary="摘要。")
    assert codes(post) == [("formula", 3)]
    twice = make_post(body="$\\frac{a$\n\n正文。\n\n$\\frac{a$", summary="摘要。")
    assert codes(twice) == [("formula", 1), ("formula", 5)]


def test_a_link_to_a_draft_is_one_readers_cannot_follow_yet(make_post):
    make_post(slug="not-yet", status="draft")
    post = make_post(body="见[草稿](/posts/not-yet/)。", summary="摘要。")
    assert codes(post) == [("link_unpublished", 1)]


def test_a_path_leaving_the_media_folder_is_a_missing_image_not_an_error(
    make_post, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    post = make_post(
        body="![x](/media/../settings.py)\n\n![y](/media/%2e%2e/x.png)", summary="摘要。"
    )
    assert codes(post) == [("image_missing", 1), ("image_missing", 3)]


def test_a_reference_style_image_is_used_checked_and_dressed(make_post, admin_user):
    image, _new = store(png((1000, 500)), "ref.png", user=admin_user)
    post = make_post(body=f"![曲线][fig]\n\n[fig]: {image.url}", summary="摘要。")
    assert list(image.posts.all()) == [post]
    assert "srcset=" in post.body_html and post.problems == []
    missing = make_post(body="![][gone]\n\n[gone]: /media/none.png", summary="摘要。")
    assert codes(missing) == [("image_missing", 1)]


def test_a_body_of_thousands_of_problems_keeps_a_few_hundred_and_the_count(make_post):
    post = make_post(body="\n".join("![](/media/a.png)" for _ in range(3000)), summary="摘要。")
    assert post.problem_count == 3000
    assert len(post.problems) == checks.MAX_PROBLEMS
    assert post.problems[-1][1] == checks.MAX_PROBLEMS  # the first ones, by line


def test_an_article_over_the_size_limit_is_refused_before_it_is_rendered(
    admin_client, category, settings, monkeypatch
):
    settings.BLOG = {**settings.BLOG, "MAX_ARTICLE_BYTES": 1000}
    rendered = []
    monkeypatch.setattr(Post, "render", lambda self: rendered.append(1))
    answer = admin_client.post(
        reverse("admin:blog_post_add"), post_form(category=category, body="长" * 2000)
    )
    assert answer.status_code == 200 and "body" in answer.context["adminform"].form.errors
    assert rendered == []


def test_the_preview_counts_lines_as_the_editor_does(admin_client):
    answer = admin_client.post(
        reverse("admin:blog_post_preview"), {"body": "\n\n\n```\nx\n```", "category": "1"}
    ).json()
    assert [p["line"] for p in answer["problems"]][0] == 4


def test_a_category_that_is_not_a_number_is_no_category_and_no_error(admin_client):
    url = reverse("admin:blog_post_preview")
    answer = admin_client.post(url, {"body": "正文。", "category": "²"})
    assert answer.status_code == 200
    assert admin_client.post(url, {"body": "正文。"}).status_code == 200  # not left busy


def test_editing_an_images_alt_text_reaches_the_posts_that_show_it(
    admin_client, make_post, admin_user
):
    image, _new = store(png((300, 200)), "alt.png", user=admin_user)
    post = make_post(body=f"![]({image.url})", summary="摘要。")
    assert codes(post) == [("image_alt", 1)]
    admin_client.post(reverse("admin:blog_image_change", args=[image.pk]), {"alt": "一张示意图"})
    post.refresh_from_db()
    assert 'alt="一张示意图"' in post.body_html and post.problems == []


# --- Bodies that once broke the checks (issue 13's second review) ---------------------------


def _checked_in(body):
    """Seconds that checking `body` took (its masking and lines; the renderer's work aside)."""
    import time

    started = time.perf_counter()
    Source(body)
    return time.perf_counter() - started


def _stairs(size):
    """Runs of backticks each one longer than the last: none is closed by a later one."""
    runs, length = [], 1
    while sum(map(len, runs)) + len(runs) < size:
        runs.append("`" * length)
        length += 1
    return " ".join(runs)


@pytest.mark.parametrize(
    ("unclosed", "closed"),
    [
        ((lambda size: ("<!-- " * size)[:size]), (lambda size: ("<!-- --> " * size)[:size])),
        (_stairs, (lambda size: ("`x` y " * size)[:size])),
    ],
    ids=["comments", "backticks"],
)
def test_unclosed_openers_cost_no_more_than_closed_ones(unclosed, closed):
    # Each unclosed opener once sent the search for its closer over the rest of the body (or
    # 10,000 characters of its line, from each backtick of a run): 158 s for a megabyte of
    # comments, 3 s for 20 KB of backticks. Not a time but a ratio, measured here against
    # the same length of closed ones.
    baseline = min(_checked_in(closed(40_000)) for _ in range(3))
    assert min(_checked_in(unclosed(40_000)) for _ in range(2)) < 5 * baseline + 0.01


def test_code_spans_and_comments_are_masked_as_markdown_reads_them():
    source = Source("a `code` b ``x ` y`` c \\`not` d `open\n<!-- gone --> e <!-- open")
    first, second = source.masked.replace(FILLER, " ").split("\n")
    assert first == "a        b           c \\`not     open"
    assert second == "              e <!-- open"


def test_a_heading_inside_a_comment_is_not_one(make_post):
    body = "## 二级\n\n<!--\n#### 注释里的四级\n-->\n\n正文。"
    assert make_post(body=body, summary="摘要。").problems == []


def test_a_body_with_crlf_lines_is_checked_like_one_with_lf(make_post):
    body = "二级\r\n---\r\n\r\n### 三级\r\n\r\n```\r\nx\r\n```\r\n"
    assert codes(make_post(body=body, summary="摘要。")) == [("code_language", 6)]
    skipped = "## 二级\r\n\r\n#### 四级\r\n"
    assert codes(make_post(body=skipped, summary="摘要。")) == [("heading_skip", 3)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # The underline under a block's second line is a rule, not a heading's (tested
        # against Python-Markdown: "<p>a b</p><hr>").
        ("# 一级\n\n第一行\n第二行\n---\n\n#### 四级", [("heading_skip", 7)]),
        # Under a block's first line it is one, whatever the line holds.
        ("## 二级\n\n- 列表\n---\n\n#### 四级", [("heading_skip", 6)]),
        ("### 三级\n\n- 列表\n---", [("heading_skip", 1)]),
        # Indented underlines are rules or text.
        ("# 一级\n\n文字\n  ---\n\n### 三级", [("heading_skip", 6)]),
    ],
)
def test_setext_headings_are_found_where_python_markdown_finds_them(make_post, body, expected):
    assert codes(make_post(body=body, summary="摘要。")) == expected


def test_setext_headings_agree_with_the_rendered_page():
    import re

    from blog.rendering import render_markdown

    bodies = ["- 列表\n---", "第一行\n第二行\n---", "文字\n  ---", "x\n==\n\n    缩进\n---"]
    bodies += ["a\n---\nb\n---", "<!-- c -->\nx\n---", "x\n-=-"]
    # After a rule or indented code a block starts; a tab may end an underline; a line
    # that is all code span is not blank (issue 13's third review).
    bodies += ["***\nx\n---", "    code\nx\n---", "x\n-\t", "`y`\n---", "a\n`y`\n---"]
    for body in bodies:
        html = render_markdown(body).html
        assert len(Source(body).headings) == len(re.findall("<h[1-6]", html)), body


def test_a_formula_is_found_in_prose_not_in_inline_code_before_it(make_post):
    body = "代码 `$\\frac{a$` 在前。\n\n公式 $\\frac{a$ 在这里。"
    assert codes(make_post(body=body, summary="摘要。")) == [("formula", 3)]


def test_many_broken_formulas_each_have_their_own_line(make_post):
    body = "\n\n".join(f"第 {n} 个 $\\frac{{{n}$ 与 $$\\foo{n}$$" for n in range(80))
    post = make_post(body=body, summary="摘要。", status="draft")
    lines = [row[1] for row in post.problems]
    assert post.problem_count == 160
    assert lines[:4] == [1, 1, 3, 3] and lines == sorted(lines)


def test_failed_formulas_are_kept_when_other_problems_are_cut(make_post):
    images = "\n\n".join(f"![](https://example.com/{n}.png)" for n in range(checks.MAX_PROBLEMS))
    post = make_post(body=f"{images}\n\n坏公式 $\\frac{{a$。", summary="摘要。", status="draft")
    assert post.problem_count == checks.MAX_PROBLEMS + 1
    assert len(post.problems) == checks.MAX_PROBLEMS
    assert any(row[0] == "formula" for row in post.problems)


def test_publishing_asks_about_a_broken_formula_after_many_other_problems(admin_client, category):
    images = "\n\n".join(f"![](https://example.com/{n}.png)" for n in range(checks.MAX_PROBLEMS))
    body = f"{images}\n\n坏公式 $\\frac{{a$。"
    asked = admin_client.post(
        reverse("admin:blog_post_add"), post_form(category=category, body=body)
    )
    assert asked.status_code == 200 and "publish_anyway" in asked.content.decode()


@pytest.mark.parametrize("address", ["http://[::1", "/media/../x.png", "/media/a%00.png"])
def test_an_unreadable_address_is_a_warning_not_a_failure(make_post, admin_client, address):
    body = f'见[这里]({address})，图 ![]({address})，<a href="{address}">链接</a>。'
    post = make_post(body=body, summary="摘要。")
    assert post.problems is not None
    answer = admin_client.post(reverse("admin:blog_post_preview"), {"body": body})
    assert answer.status_code == 200


# --- The source read as the renderer reads it (issue 13's third review) ---------------------


def test_a_formula_is_placed_by_its_own_delimiters_whatever_order_it_is_reported_in(make_post):
    # Display formulas are reported before inline ones, conversion failures after both: a
    # running place sent the inline \foo to line 5, where "$\foo$" is inside "$$\foo$$".
    post = make_post(body="a $\\foo$ b\n\nc $\\large y$ d\n\n$$\\foo$$\n", summary="摘要。")
    assert codes(post) == [("formula", 1), ("tex_dropped", 3), ("formula", 5)]


def test_a_formula_with_a_tab_is_found_on_its_line(make_post):
    # Python-Markdown expands tabs before the renderer sees the TeX: "}    {1}" was never found.
    body = "\n\n".join(f"第 {n} 段 $}}\t{{{n}}}$" for n in range(1, 31))
    post = make_post(body=body, summary="摘要。", status="draft")
    assert [line for _code, line in codes(post)] == list(range(1, 60, 2))


def test_formulas_the_source_does_not_hold_cost_no_more_than_ones_it_does():
    # Each unfound formula once searched the whole body for four needles: a long article
    # with a thousand of them spent its time there. Not a time but a ratio.
    import time

    body = "\n\n".join(f"第 {n} 段 $x_{{{n}}}$ 与文字。" * 5 for n in range(2000))

    def located(texts):
        source = Source(body)
        started = time.perf_counter()
        for tex in texts:
            source.line_of(tex, False)
        return time.perf_counter() - started

    found = min(located([f"x_{{{n}}}" for n in range(2000)]) for _ in range(3))
    unfound = min(located([f"y_{{{n}}}" for n in range(2000)]) for _ in range(3))
    assert unfound < 5 * found + 0.05


# Bodies whose comments, code spans, fences and blocks were once read otherwise than the
# renderer reads them: each image written without alt text there must be warned about
# exactly when the page shows it.
DIFFERENT_READINGS = [
    "a <!-- x\n\n![](https://example.com/1.png)\n\n--> b",  # inline: ends at a blank line
    "<!-- x\n\n![](https://example.com/2.png)\n\n-->",  # a block comment does not
    "text\n<!-- x\n\n![](https://example.com/3.png)\n\n-->",  # at a line start: a block
    "    <!-- x\n\n![](https://example.com/4.png)\n\n-->",  # indented: code, then prose
    "a <!-- x\n# H\n![](https://example.com/5.png) --> b",  # a heading ends the paragraph
    "- item <!-- x\n\n![](https://example.com/6.png)\n\n-->",
    '``"``![](https://example.com/7.png)`"``',  # the image is between two code spans
    "```x` ![](https://example.com/8.png) `",  # "```x`" is the code "``x"
    "\\``code` ![](https://example.com/9.png)",  # the escaped backtick's neighbour opens
    "`a\nb ![](https://example.com/10.png)`",  # a code span may wrap a line
    "  ```\n![](https://example.com/11.png)\n  ```",  # an indented fence is no fence
    "```\n![](https://example.com/12.png)\n",  # nor one that is never closed
    "````\n![](https://example.com/13.png)\n`````",  # nor one closed by a longer fence
    "```\n![](https://example.com/14.png)\n``` x\n```",  # "``` x" does not close it
]


@pytest.mark.parametrize("body", DIFFERENT_READINGS)
def test_images_are_warned_about_where_the_page_shows_them(make_post, body):
    import re

    post = make_post(body=body, summary="摘要。", status="draft")
    shown = len(re.findall(r"<img\b", post.body_html))
    assert sum(code == "image_alt" for code, _line in codes(post)) == shown, post.body_html


def test_a_heading_after_a_rule_is_one(make_post):
    body = "# 一级\n\n***\nx\n---\n\n### 三级"  # h1, h2, h3
    assert codes(make_post(body=body, summary="摘要。")) == []


def test_a_heading_the_source_reading_cannot_place_still_counts(make_post):
    # An <h4> the page has and no Markdown line makes: the skip is reported, without a line.
    body = "## 二级\n\n<div>\n<h4>四级</h4>\n</div>"
    post = make_post(body=body, summary="摘要。")
    assert [code for code, _line in codes(post)] == ["heading_skip"]
