"""Bounded work for articles (issue 10, finding 8): a size limit checked before rendering, and a
rendering time budget after which formulas stay TeX source, code is not highlighted and, in
the end, the article is shown as plain text, always with a warning."""

import itertools

import pytest
from django.core.exceptions import ValidationError

from blog import publishing
from blog.models import Post
from blog.rendering import limits, math, render_markdown
from blog.rendering.spans import DISPLAY, find_spans
from tests.forms import post_form


@pytest.fixture
def limit(settings):
    def set_limit(**values):
        settings.BLOG = {**settings.BLOG, **values}

    return set_limit


@pytest.fixture
def fake_clock(monkeypatch):
    """limits.clock gives `start` once (the budget's start), then each value of `later`."""

    def install(start, *later):
        times = itertools.chain([start], later, itertools.repeat(later[-1] if later else start))
        monkeypatch.setattr(limits, "clock", lambda: next(times))

    return install


def admin_add(admin_client, category, body):
    form = post_form(
        category=category, title="太长的文章", slug="too-long", body=body, status="draft"
    )
    return admin_client.post("/admin/blog/post/add/", form)


# --- Size --------------------------------------------------------------------------------


def test_the_admin_refuses_an_article_over_the_size_limit_with_a_form_error(
    admin_client, category, limit, monkeypatch
):
    limit(MAX_ARTICLE_BYTES=3000)
    monkeypatch.setattr(Post, "render", lambda post: pytest.fail("rendered before the check"))
    # 1,001 Chinese characters are 3,003 bytes: the limit counts bytes, not characters.
    response = admin_add(admin_client, category, "长" * 1001)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "body" in form.errors
    error = "文章的 Markdown 有 2.9\xa0KB，超出上限（2.9\xa0KB）3\xa0字节。请拆成几篇文章。"
    assert form.errors["body"] == [error]
    assert error in response.content.decode()
    assert not Post.objects.exists()


def test_the_admin_saves_an_article_at_the_size_limit(admin_client, category, limit):
    limit(MAX_ARTICLE_BYTES=3000)
    response = admin_add(admin_client, category, "长" * 1000)
    assert response.status_code == 302
    assert Post.objects.get().body == "长" * 1000


def test_save_post_refuses_an_article_over_the_limit_before_rendering(category, limit, monkeypatch):
    limit(MAX_ARTICLE_BYTES=100)
    monkeypatch.setattr(Post, "render", lambda post: pytest.fail("rendered before the check"))
    with pytest.raises(ValidationError) as refused:
        publishing.create_post(title="大", slug="big", category=category, body="x" * 101)
    assert refused.value.code == "article_too_large"
    assert "超出上限（100\xa0字节）1\xa0字节" in refused.value.messages[0]
    assert not Post.objects.exists()


def test_the_size_rule_counts_utf8_bytes_of_text_or_bytes(limit):
    limit(MAX_ARTICLE_BYTES=6)
    limits.validate_article_size("公式")
    limits.validate_article_size("公式".encode())
    with pytest.raises(ValidationError):
        limits.validate_article_size("公式x")
    with pytest.raises(ValidationError):
        limits.validate_article_size(b"1234567")


# --- Time --------------------------------------------------------------------------------


def test_formulas_past_the_deadline_stay_tex_source_with_one_warning(
    limit, fake_clock, monkeypatch
):
    limit(RENDER_SECONDS=5)
    now = [0.0]
    monkeypatch.setattr(limits, "clock", lambda: now[0])
    prepare = math.prepare

    def slow(tex, display=False):
        now[0] += 3  # each formula takes 3 s of the 5
        return prepare(tex, display)

    monkeypatch.setattr(math, "prepare", slow)
    rendered = render_markdown("$a$ $b$ $c$ $d$\n\n$$e$$\n")
    assert rendered.html.count("<math") == 2
    assert rendered.html.count('class="math-source"') == 3
    # Display formulas are taken out first: $$e$$ and $a$ made it in time.
    assert '<code class="math-source">d</code>' in rendered.html
    assert rendered.warnings == [
        "Rendering limit: the article took longer than 5 s to render, "
        "so 3 formulas are shown as TeX source."
    ]


def test_code_past_the_deadline_is_shown_without_highlighting(limit, fake_clock):
    limit(RENDER_SECONDS=4)
    fake_clock(0.0, 4.5)  # past the soft deadline from the start, not the hard one
    rendered = render_markdown("```python\nx = 1\n```\n\n    indented = 2\n\n$x$\n")
    assert '<pre><code class="language-python">x = 1\n</code></pre>' in rendered.html
    assert "<pre><code>indented = 2\n</code></pre>" in rendered.html
    assert 'class="highlight"' not in rendered.html
    assert rendered.warnings == [
        "Rendering limit: the article took longer than 4 s to render, so 1 formulas are "
        "shown as TeX source and 2 code blocks without highlighting."
    ]


def test_code_and_formulas_within_the_deadline_are_rendered(limit, fake_clock):
    limit(RENDER_SECONDS=4)
    fake_clock(0.0, 3.9)
    rendered = render_markdown("```python\nx = 1\n```\n\n$x$\n")
    assert 'class="highlight"' in rendered.html
    assert "<math" in rendered.html
    assert rendered.warnings == []


def test_past_the_hard_deadline_the_article_is_escaped_plain_text(limit, fake_clock):
    limit(RENDER_SECONDS=4)
    fake_clock(0.0, 8.0)
    rendered = render_markdown("# 标题\n\n正文 *强调* <script>alert(1)</script>\n\n第二段")
    assert rendered.html == (
        "<p># 标题</p>\n<p>正文 *强调* &lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>第二段</p>"
    )
    assert rendered.warnings == [
        "Rendering limit: the article took longer than 8 s to render, so it is shown as plain text."
    ]
    assert rendered.excerpt.startswith("# 标题 正文")


def test_a_code_block_over_the_size_bound_is_not_highlighted(monkeypatch):
    monkeypatch.setattr(limits, "MAX_HIGHLIGHTED_CODE", 50)
    rendered = render_markdown("```python\n" + "x = 1\n" * 20 + "```\n\n```python\ny = 2\n```")
    assert '<pre><code class="language-python">x = 1\n' in rendered.html
    assert rendered.html.count('class="highlight"') == 1  # the small block still is
    assert rendered.warnings == [
        "Rendering limit: a code block of 120 characters (more than 50) is shown without "
        "highlighting: x = 1"
    ]


def test_a_formula_over_the_size_bound_is_shown_as_source():
    rendered = render_markdown("$$" + "x+" * 25_000 + "1$$")
    assert '<code class="math-source">x+x+' in rendered.html
    assert rendered.warnings[0].startswith("the formula is longer than 5000 characters")


def test_the_admin_names_a_limit_as_such(admin_client, category, limit, fake_clock):
    limit(RENDER_SECONDS=4)
    fake_clock(0.0, 4.5)
    response = admin_client.post(
        "/admin/blog/post/add/",
        post_form(category=category, title="慢", slug="slow", body="$x$", status="draft"),
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("渲染限制：the article took longer than 4 s") for m in messages), (
        messages
    )
    assert not any("公式无法转换" in m for m in messages)


# --- Pathological input ------------------------------------------------------------------

PATHOLOGICAL = {
    "stars": "*" * 100_000,
    "brackets": "[" * 100_000,
    "backticks": "`" * 100_000,
    "spaced backticks": "` " * 50_000,
    "dollars": "$" * 100_000,
    "unclosed display": "\\[" * 50_000,
    "unclosed inline": "\\(" * 50_000,
    "dollar then equals": "$ " + "=" * 100_000,
    "angle brackets": "<a" * 50_000,
    "nested definitions": "a\n: b\n" * 20_000,
    "flat list": "- x\n" * 25_000,
    "deep quote": ">" * 100_000,
    "rules": "---\n" * 25_000,
    "fences": "```\nx\n```\n" * 10_000,
    "big formula": "$$" + "\\frac{a}{b}+" * 5_000 + "$$",
    "big code block": "```python\n" + "value = compute(1, 2)  # note\n" * 17_000 + "```\n",
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_finishes_and_is_sanitized(text, limit):
    limit(RENDER_SECONDS=0.5)
    rendered = render_markdown(text + "\n\n<script>alert(1)</script><img src=x onerror=alert(1)>")
    assert "<script" not in rendered.html
    assert "<img" not in rendered.html or " onerror" not in rendered.html.split("<img", 1)[1]
    assert all(isinstance(w, str) for w in rendered.warnings)


# Each paragraph small, so that only our own passes over the whole text could be slow.
LINEAR = {
    "unclosed display": "\\[ x\n\n" * 20_000,
    "unclosed environment": "\\begin{equation} x\n\n" * 10_000,
    "dollar then equals": "$ " + "=" * 100_000,
    "dollar, backslash, spaces": "$\\a" + " " * 100_000 + "x",
    "angle brackets": "<a b\n\n" * 20_000,
    "fences": "```\nx\n```\n" * 5_000,
}


@pytest.mark.parametrize("text", LINEAR.values(), ids=LINEAR.keys())
def test_our_extensions_read_hostile_input_in_linear_time(text, limit):
    """Each of these took from 10 s to hours before: a budget this generous is not reached."""
    limit(RENDER_SECONDS=60)
    rendered = render_markdown(text)
    assert not any("took longer" in w for w in rendered.warnings)


def test_the_deadline_is_one_per_rendering_in_each_thread(limit):
    import threading

    limit(RENDER_SECONDS=30)
    seen = []

    def render():
        with limits.budget() as budget:
            seen.append(limits.current() is budget)

    threads = [threading.Thread(target=render) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [True] * 4
    assert limits.current() is None


def test_spans_keep_the_leftmost_rule_and_leave_unclosed_delimiters():
    text = "\\[a\\] `$$code$$` $$b$$ \\[ never $$c$$ \\begin{align}d\\end{align}"
    spans = find_spans(text, DISPLAY, code_spans=True)
    assert [(s.kind, s.inner) for s in spans] == [
        ("brackets", "a"),
        ("code", "$$code$$"),
        ("dollars", "b"),
        ("dollars", "c"),
        ("environment", "\\begin{align}d\\end{align}"),
    ]
