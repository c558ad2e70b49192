"""Search: what each query finds and in what order, the same on SQLite and PostgreSQL."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from blog import search, search_results
from blog.models import Category, Post, SearchEntry
from blog.search import document_tokens, parse_query, search_posts
from blog.search_results import results_page


@pytest.fixture
def library(db):
    """A fixed set of articles; each query below was written against it."""
    now = timezone.now()
    dl = Category.objects.create(name="深度学习", slug="deep-learning")
    dist = Category.objects.create(name="分布式训练", slug="distributed")
    specs = [
        # slug, title, tags, body, category, days ago
        ("rf", "感受野的计算", ["CNN"], "卷积层叠加时感受野变大。", dl, 10),
        ("dilated", "空洞卷积", ["卷积", "感受野"], "dilation 让卷积核变稀疏。", dl, 20),
        ("ddp", "PyTorch DistributedDataParallel 实战", ["分布式", "NCCL"],
         "用 DDP 做数据并行，梯度通过 allreduce 平均。", dist, 5),
        ("allreduce", "AllReduce 的分解", ["集合通信"],
         "ring 算法在 PyTorch 与 NCCL 中都常见。分布式训练离不开它。", dist, 30),
        ("seg", "语义分割评价指标", ["评价指标"], "mIoU 的计算和卷积无关。", dl, 40),
        ("old-rf", "旧文：感受野", [], "很久以前写的。", dl, 400),
    ]  # fmt: skip
    posts = {}
    for slug, title, tags, body, category, days in specs:
        post = Post.objects.create(
            slug=slug,
            title=title,
            body=body,
            category=category,
            status=Post.Status.PUBLISHED,
            published_at=now - timedelta(days=days),
        )
        post.tags.set(tags)
        posts[slug] = post
    Post.objects.create(
        slug="draft", title="感受野草稿", body="PyTorch 卷积", category=dl, status="draft"
    )
    Post.objects.create(
        slug="future",
        title="感受野的未来",
        body="PyTorch 卷积",
        category=dl,
        status=Post.Status.PUBLISHED,
        published_at=now + timedelta(days=1),
    )
    return posts


def found(query):
    """The slugs `query` finds, in order: as the queryset of blog.search has them, and as
    the search page's one statement (blog.search_results) pages through them."""
    results, _terms = search_posts(Post.objects.published(), query)
    slugs = [post.slug for post in results]
    paged = []
    for number in range(1, len(slugs) // 2 + 2):
        page, _terms = results_page(Post.objects.published(), query, number, 2)
        assert page.count == len(slugs) and not page.more, query
        paged += [post.slug for post in page.posts]
    assert paged == slugs, query
    return slugs


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # title above tag above body; newer above older when equal
        ("感受野", ["rf", "old-rf", "dilated"]),
        ("卷积", ["dilated", "rf", "seg"]),
        ("空洞卷积的感受野", ["dilated"]),
        ("感受野 卷积", ["dilated", "rf"]),
        ("pytorch", ["ddp", "allreduce"]),
        ("PYTORCH", ["ddp", "allreduce"]),
        ("ＰｙＴｏｒｃｈ", ["ddp", "allreduce"]),  # full-width letters
        ("DDP", ["ddp"]),
        ("Distributed", ["ddp"]),  # a part of DistributedDataParallel
        ("PyTorch 分布式", ["ddp", "allreduce"]),
        ("pytorch, 分布式！", ["ddp", "allreduce"]),  # punctuation does not matter
        ("  nccl   ", ["ddp", "allreduce"]),
        ("集合通信", ["allreduce"]),
        ("深度学习", ["rf", "dilated", "seg", "old-rf"]),  # category names are searched
        ("miou", ["seg"]),
        ("感受野 nccl", []),
        ("区块链", []),
    ],
)
def test_queries_find_what_a_person_expects(library, query, expected):
    assert found(query) == expected


def test_drafts_and_scheduled_posts_are_never_found(library):
    for query in ("感受野", "pytorch", "草稿", "未来"):
        assert "draft" not in found(query) and "future" not in found(query)


def test_a_scheduled_post_is_found_once_its_time_comes(library, time_machine):
    time_machine.move_to(timezone.now() + timedelta(days=2))
    assert "future" in found("感受野")


def test_index_follows_edits_tags_categories_and_deletes(library):
    from taggit.models import Tag

    from blog import publishing

    post = library["seg"]
    post.title = "分割指标与 Transformer"
    publishing.save_post(post)
    assert found("transformer") == ["seg"]
    names = [t.name for t in post.tags.all()]
    publishing.save_post(post, tags=[*names, "图像分割"])
    assert found("图像分割") == ["seg"]
    publishing.save_post(post, tags=names)
    assert found("图像分割") == []
    publishing.save_post(post, tags=[*names, "临时标签"])
    assert found("临时标签") == ["seg"]
    publishing.delete_tags(Tag.objects.filter(name="临时标签"))
    assert found("临时标签") == []
    category = post.category
    category.name = "计算机视觉"
    publishing.save_category(category)
    assert "seg" in found("计算机视觉")
    publishing.delete_posts([post])
    assert found("transformer") == []


def test_every_post_has_a_search_entry(library):
    assert SearchEntry.objects.count() == Post.objects.count()


def test_rebuild_search_index(library):
    SearchEntry.objects.all().delete()
    assert found("感受野") == []
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "Search index rebuilt: 8 post(s)." in out.getvalue()
    assert found("感受野") == ["rf", "old-rf", "dilated"]


def test_the_database_index_is_used(library):
    """The search must not read every post: FTS5 on SQLite, the GIN index on PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'blog_search_fts'")
            assert cursor.fetchone()
            results, _ = search_posts(Post.objects.published(), "感受野")
            assert "blog_search_fts MATCH" in str(results.query)
        else:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                           ["blog_searchentry_vector"])  # fmt: skip
            assert "gin" in cursor.fetchone()[0].lower()


def test_tokens_split_cjk_into_bigrams_and_latin_into_words():
    assert document_tokens("空洞卷积 PyTorch") == "空洞 洞卷 卷积 pytorch py torch"
    assert (
        document_tokens("F.cross_entropy，３ｘ３ ResNet50")
        == "f cross entropy 3x3 resnet50 res net 50"
    )
    assert [t.tokens for t in parse_query("感受野 DDP")] == [("感受", "受野"), ("ddp",)]


# --- The search page ------------------------------------------------------------------------


def test_search_page_lists_results_with_highlighted_snippets(client, library):
    html = client.get("/search/", {"q": "感受野"}).content.decode()
    assert "“感受野”共有 3 条结果" in html
    assert '<a href="/posts/rf/"><mark>感受野</mark>的计算</a>' in html
    assert "卷积层叠加时<mark>感受野</mark>变大。" in html
    assert html.index("/posts/rf/") < html.index("/posts/old-rf/") < html.index("/posts/dilated/")


def test_search_is_paginated_like_the_home_page(client, many_posts):
    many_posts(0)
    category = Category.objects.get()
    for i in range(25):
        Post.objects.create(
            title=f"分页 {i}", slug=f"p{i}", body="相同的词", category=category, status="published",
            published_at=timezone.now() - timedelta(minutes=i + 1),
        )  # fmt: skip
    first = client.get("/search/", {"q": "相同的词"})
    assert len(first.context["posts"]) == 10
    assert "?q=%E7%9B%B8%E5%90%8C%E7%9A%84%E8%AF%8D&amp;page=2" in first.content.decode()
    assert len(client.get("/search/", {"q": "相同的词", "page": 3}).context["posts"]) == 5
    assert client.get("/search/", {"q": "相同的词", "page": 4}).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "感" * 2000,
        "a" * 2000,
        "' OR 1=1; DROP TABLE blog_post; --",
        '"unbalanced',
        "NEAR(a b) AND OR NOT * ^ :",
        "{title} : x",
        "<script>alert(1)</script>",
        "%00\x00",
        "💡🚀",
        "'&|!<->():*",
    ],
)
def test_any_query_gets_a_normal_page(client, library, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert Post.objects.filter(slug="rf").exists()


def test_lone_surrogates_in_the_raw_query_string(client, library):
    assert client.get("/search/?q=%ED%A0%80%E6%84%9F%E5%8F%97%E9%87%8E").status_code == 200


def test_empty_query_shows_the_page_without_results(client, library):
    html = client.get("/search/").content.decode()
    assert "输入一两个词" in html and 'class="card"' not in html


def test_every_page_has_the_search_box(client, library):
    for url in ("/", "/posts/rf/", "/archive/", "/nope/"):
        html = client.get(url).content.decode()
        assert '<form class="site-search" role="search" action="/search/" method="get">' in html


def test_search_queries_do_not_grow_with_results(client, library, django_assert_num_queries):
    # the names of all categories and tags (2), once per change of the site's content
    with django_assert_num_queries(2):
        search.label_names()
    assert client.get("/search/", {"q": "卷积"}).status_code == 200  # the process's first
    # the page with its count and snippet texts, and their tags (the navigation is kept)
    with django_assert_num_queries(2):
        assert client.get("/search/", {"q": "感受野"}).status_code == 200


def test_renaming_a_category_or_tag_is_searchable_at_once_and_writes_no_entry(library):
    from django.test.utils import CaptureQueriesContext
    from taggit.models import Tag

    from blog import publishing

    category = Category.objects.get(slug="distributed")
    category.name = "并行计算"
    tag = Tag.objects.get(name="CNN")
    tag.name = "卷积网络"
    with CaptureQueriesContext(connection) as queries:
        publishing.save_category(category)
        publishing.save_tag(tag)
    assert not [q for q in queries.captured_queries if "blog_searchentry" in q["sql"]]
    assert found("并行计算") == ["ddp", "allreduce"] and found("分布式训练") == ["allreduce"]
    assert found("卷积网络") == ["rf"] and found("CNN") == []
    assert found("并行 PyTorch") == ["ddp", "allreduce"]  # a label and a word together


def test_merging_or_deleting_tags_rewrites_only_the_labels_of_their_posts(library):
    from taggit.models import Tag

    from blog import publishing

    publishing.merge_tags(Tag.objects.filter(name__in=["CNN", "卷积"]), "卷积网络")
    assert found("卷积网络") == ["rf", "dilated"]
    assert found("CNN") == []
    publishing.delete_tags(Tag.objects.filter(name="卷积网络"))
    assert found("卷积网络") == []
    assert found("卷积") == ["dilated", "rf", "seg"]  # still in their titles and bodies


def test_snippets_start_at_a_word_and_mark_the_match():
    from blog.search import parse_query, snippet

    text = "Batch Normalization statistics " * 3 + "这里讲 PyTorch 的实现。"
    result = snippet(text, parse_query("pytorch"), width=40)
    assert result.startswith("…") and "<mark>PyTorch</mark>" in result
    first_word = result[1:].split()[0]
    assert first_word in text.split() or not first_word.isascii()
    assert snippet("a < b 和 PyTorch", parse_query("pytorch")) == "a &lt; b 和 <mark>PyTorch</mark>"


# --- Past RESULTS_LIMIT: each tier read by walking the publication index --------------------


@pytest.fixture
def crowded(db, many_posts, monkeypatch):
    """60 posts with one word in the body of all, the title of some, a tag of a few; a
    limit of 7, so every tier is past it and is walked."""
    monkeypatch.setattr(search_results, "RESULTS_LIMIT", 7)
    many_posts(60)
    posts = list(Post.objects.order_by("pk"))
    for number, post in enumerate(posts):
        if number % 3 == 0:
            post.title = f"{post.title} 梯度"
        post.body = f"{post.body} 梯度下降。"
        tags = ["梯度"] if number % 5 == 0 else []
        from blog import publishing

        publishing.save_post(post, tags=tags)
    return posts


def test_past_the_limit_the_first_results_are_paged_in_the_same_order(crowded):
    everything, _terms = search_posts(Post.objects.published(), "梯度")
    expected = [post.pk for post in everything][:7]
    paged = []
    for number in (1, 2, 3, 4):
        page, _terms = results_page(Post.objects.published(), "梯度", number, 2)
        assert (page.count, page.more) == (7, True)
        paged += [post.pk for post in page.posts]
    assert paged == expected


def test_the_search_page_says_there_are_more(client, crowded):
    page = client.get("/search/", {"q": "梯度"}).content.decode()
    assert "的结果超过 7 条" in page
    assert page.count('class="card"') == 7  # ten a page, the first seven results
    assert client.get("/search/", {"q": "梯度", "page": 2}).status_code == 404
