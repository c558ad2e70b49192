"""Hostile input through every rendering path, opened in Chromium with dialogs hooked.

Each payload of tests/xss_payloads.py calls `hit(N)` (or `alert(N)`) if it ever runs. A page
is opened with `hit` defined in every frame, every element gets the events handlers listen
for, every link and button that does not lead to an ordinary address is clicked, and then
no hit and no dialog may have happened, and the text around each payload must still be on
the page (nothing swallowed the rest of it). Article pages are checked with the site's own
Content-Security-Policy and, as stored HTML and feed entries, without it: a proxy or a feed
reader that drops the header must find nothing that runs.
"""

import contextlib
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import timedelta
from functools import cache
from html import escape
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.timezone import now as django_now

from blog import publishing, views
from blog.admin import PostAdmin
from blog.models import Category, Post
from tests.xss_payloads import body_payloads, text_payloads

# A made-up origin for HTML that the site does not serve itself (stored HTML, feed entries):
# relative addresses resolve, images 404, and no Content-Security-Policy applies.
SANDBOX = "http://xss.test/"
BATCH = 60

# In every frame, before any of the page's own scripts: `hit` reports to the top window
# (or to its own frame when the top is of another origin), and cannot be replaced.
HOOKS = """(() => {
    const record = n => {
        const entry = String(n);
        try { (window.top.__hits = window.top.__hits || []).push(entry); }
        catch (e) { (window.__hits = window.__hits || []).push(entry); }
    };
    Object.defineProperty(window, 'hit', {value: record, writable: false, configurable: false});
    window.__hits = window.__hits || [];
    // The admin's own scripts open popups, go back and submit forms when clicked: the
    // probe must stay on its page (none of this is anything a payload could use to run).
    window.open = () => null;
    history.back = history.go = () => {};
    HTMLFormElement.prototype.submit = function () {};
})();"""

# Events handlers listen for, on every element; then a click on every link, button and
# field that does not lead to an ordinary address (those are not followed).
PROBE = """async () => {
    const ORDINARY = ['http:', 'https:', 'mailto:'];
    const XLINK = 'http://www.w3.org/1999/xlink';
    const ordinary = href => {
        try { return ORDINARY.includes(new URL(href, document.baseURI).protocol); }
        catch (e) { return false; }
    };
    document.addEventListener('click', event => {
        const link = event.target.closest && event.target.closest('a, area');
        if (!link) return;
        const href = link.getAttribute('href') ?? link.getAttributeNS(XLINK, 'href');
        if (href === null || ordinary(href)) event.preventDefault();
    }, true);
    document.addEventListener('submit', event => {
        const action = (event.submitter && event.submitter.getAttribute('formaction'))
            || event.target.getAttribute('action') || document.baseURI;
        if (ordinary(action)) event.preventDefault();
    }, true);
    const types = ['mouseover', 'mouseenter', 'pointerenter', 'focus', 'focusin', 'click',
        'toggle', 'error', 'load', 'animationstart', 'begin', 'input', 'change'];
    for (const el of [...document.querySelectorAll('*')]) {
        for (const type of types) el.dispatchEvent(new Event(type));
        if (el.matches('a, area, button, input, summary, select, textarea')) {
            // SVG and MathML elements have no click(): a dispatched click still follows links.
            if (el.click) { try { el.click(); } catch (e) {} }
            else el.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
        }
    }
    await new Promise(resolve => setTimeout(resolve, WAIT));
}"""


class Sandbox:
    """One browser context for a test: `open` a page of the live server (its CSP applies) or
    `show` HTML at the made-up origin (no CSP), then `probe` it."""

    def __init__(self, browser, live_url=""):
        self.live_url = live_url
        self.context = browser.new_context()
        self.context.add_init_script(HOOKS)
        self.context.route("**/*", self._route)
        self.dialogs = []
        self.page = self.context.new_page()
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.html = ""
        self.ran = []  # (where, what): hits and dialogs, for the report

    def _route(self, route):
        url = route.request.url
        if self.live_url and url.startswith(self.live_url):
            route.continue_()
        elif url == SANDBOX:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self.html)
        else:  # nowhere else: images and scripts from other hosts fail, as offline
            route.fulfill(status=404, body="")

    def open(self, path, status=200):
        self._settle()
        response = self.page.goto(self.live_url + path)
        assert response.status == status, f"{path} answered {response.status}"
        return self.page

    def _settle(self):
        """Lets the writing room's last preview finish before the next page: the editor asks
        600 ms after an input event (the probe sends some), and a request still running when
        the next page is asked for would meet it on the live server's single SQLite
        connection, which two threads cannot use at once (a test server's limit only)."""
        if self.live_url and self.page.url.startswith(self.live_url + "/admin/blog/post/"):
            self.page.wait_for_timeout(800)
            self.page.wait_for_load_state("networkidle")

    def show(self, html):
        self.html = (
            f"<!doctype html><html><head><meta charset=utf-8></head><body>{html}</body></html>"
        )
        self.page.goto(SANDBOX)
        return self.page

    def probe(self, where, wait=60):
        url = self.page.url
        self.page.evaluate(PROBE.replace("WAIT", str(wait)))
        hits = []
        for frame in self.page.frames:
            with contextlib.suppress(Exception):  # a frame that went away meanwhile
                hits += frame.evaluate("window.__hits || []")
        self.ran += [(where, f"hit({n})") for n in hits]
        self.ran += [(where, f"dialog {m!r}") for m in self.dialogs]
        self.dialogs.clear()
        if self.page.url != url:
            self.ran.append((where, f"navigated to {self.page.url}"))
        return self.page

    def text(self):
        return self.page.evaluate("document.documentElement.textContent")

    def close(self):
        self.context.close()


def ran_report(ran, payloads):
    by_number = {str(p.number): p for p in payloads}
    lines = []
    for where, what in ran:
        number = re.sub(r"\D", "", what.split(",")[0])
        payload = by_number.get(number)
        lines.append(
            f"{where}: {what} <- {payload.family}: {payload.text!r}"
            if payload
            else f"{where}: {what}"
        )
    return "\n".join(lines)


@pytest.fixture
def sandbox(browser, live_server):
    box = Sandbox(browser, live_server.url)
    yield box
    box.close()


@pytest.fixture
def lists_show_everything(monkeypatch, settings):
    """Every post on one page of each list, feed and admin change list."""
    monkeypatch.setattr(views.PostListMixin, "paginate_by", 5000)
    monkeypatch.setattr(PostAdmin, "list_per_page", 5000)
    settings.BLOG = {**settings.BLOG, "FEED_ITEMS": 5000}


# --- Articles ---------------------------------------------------------------------------------

BODIES = body_payloads()
TEXTS = text_payloads()


def framed(payload):
    return f"XSSA{payload.number}\n\n{payload.text}\n\nXSSZ{payload.number}"


def markers_kept(html, payloads):
    text = re.sub(r"<[^>]*>", "", html)  # sanitized HTML has no ">" inside attributes
    return all(f"XSSA{p.number}" in text and f"XSSZ{p.number}" in text for p in payloads)


ACTIVE_ELEMENTS = {
    "script", "style", "iframe", "frame", "object", "embed", "svg", "form", "input", "button",
    "base", "meta", "link", "textarea", "select", "template", "annotation-xml", "maction",
}  # fmt: skip


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, "", ""))
        self.found += [(tag, name, value or "") for name, value in attrs]


def attributes_of(html):
    parser = _Attributes()
    parser.feed(html)
    parser.close()
    return parser.found


@cache
def rendered_alone():
    """Each payload as the only content of an article: its stored HTML, and whether the text
    after it survives (an unclosed <style> or ``` legitimately takes the rest)."""
    out = {}
    for payload in BODIES:
        post = Post(body=framed(payload))
        post.render()
        out[payload.number] = (
            post.body_html + post.toc_html,
            markers_kept(post.body_html, [payload]),
        )
    return out


@cache
def article_batches():
    """The payloads as few articles as can hold them without one swallowing another's text:
    runs of payloads that keep what follows them, each closed by one that may not."""
    alone = rendered_alone()
    keeping = [p for p in BODIES if alone[p.number][1]]
    swallowing = [p for p in BODIES if not alone[p.number][1]]
    runs = [keeping[i : i + BATCH] for i in range(0, len(keeping), BATCH)]
    batches = []
    while runs or swallowing:
        run = runs.pop(0) if runs else []
        last = [swallowing.pop(0)] if swallowing else []
        batches += _split_until_kept(run, last)
    return batches


def article_body(payloads):
    # PostgreSQL's text cannot hold NUL, and the admin's form refuses it: articles that are
    # stored go without (the stored-HTML test has the payloads with NUL as they are).
    return "\n\n".join(framed(p) for p in payloads).replace("\x00", "")


def _split_until_kept(run, last):
    post = Post(body=article_body(run + last))
    post.render()
    if markers_kept(post.body_html, run) and (
        not last or f"XSSA{last[0].number}" in post.body_html
    ):
        return [(run + last, post)]
    if len(run) <= 1:
        return [(run, None)] * bool(run) + [(last, None)] * bool(last)
    half = len(run) // 2
    return _split_until_kept(run[:half], []) + _split_until_kept(run[half:], last)


def article_posts(category, slug, status, step=1, at=None):
    """New, rendered and saved articles holding the payloads of every `step`-th batch, with
    their payloads."""
    made = []
    for index, (payloads, rendered) in enumerate(article_batches()[::step]):
        post = Post(body=article_body(payloads))
        if rendered is None:
            post.render()
        else:
            for name in Post.RENDERED_FIELDS:
                setattr(post, name, getattr(rendered, name))
        post.title, post.slug, post.category = f"载荷 {slug} {index}", f"{slug}-{index}", category
        post.status = status
        post.published_at = at or django_now() - timedelta(minutes=index + 1)
        made.append((post, payloads))
    publishing.bulk_create_posts([post for post, _payloads in made])
    return made


def test_payload_lists_are_large_and_none_makes_rendering_fail():
    assert len(BODIES) >= 1000 and len(TEXTS) >= 80
    assert len({p.number for p in BODIES + TEXTS}) == len(BODIES) + len(TEXTS)
    families = {p.family.split(":")[0].split("@")[0] for p in BODIES}
    assert families >= {
        "url",
        "handler",
        "script",
        "parser",
        "svg",
        "mathml",
        "breakout",
        "markdown",
        "tex",
    }
    alone = rendered_alone()  # raises, naming nothing, if any payload breaks the renderer
    assert len(alone) == len(BODIES)
    # Whatever the sanitizer keeps, no handler, no active element and no address with a
    # scheme other than http(s) and mailto does.
    for number, (html, _kept) in alone.items():
        for tag, name, value in attributes_of(html):
            assert tag not in ACTIVE_ELEMENTS, (number, tag)
            assert not name.startswith("on"), (number, tag, name)
            if name in ("href", "src"):
                scheme = re.match(r"\s*([a-z][a-z0-9+.-]*):", value, re.I)
                assert not scheme or scheme.group(1).lower() in ("http", "https", "mailto"), (
                    number,
                    tag,
                    value,
                )


@pytest.mark.browser
def test_xss_payloads_run_nowhere(browser):
    """The stored HTML of each payload's article on its own, without the page's
    Content-Security-Policy: the sanitizer alone has to hold."""
    alone = rendered_alone()
    box = Sandbox(browser)
    try:
        for start in range(0, len(BODIES), 600):
            chunk = BODIES[start : start + 600]
            box.show("".join(f"<section>{alone[p.number][0]}</section>" for p in chunk))
            box.probe(f"stored HTML {start}", wait=300)
            text = box.text()
            lost = [p for p in chunk if f"XSSA{p.number}" not in text]
            lost += [p for p in chunk if alone[p.number][1] and f"XSSZ{p.number}" not in text]
            assert not lost, [(p.number, p.text) for p in lost]
        assert not box.ran, ran_report(box.ran, BODIES)
    finally:
        box.close()


@pytest.mark.browser
def test_the_probe_sees_what_runs(browser):
    """The harness itself: unsanitized payloads of each kind are caught, so a quiet page
    above means nothing ran, not that nothing was looked at."""
    box = Sandbox(browser)
    try:
        box.show(
            "<img src=x onerror=hit(1)><a href=javascript:hit(2)>a</a>"
            "<details open ontoggle=hit(3)>d</details>"
            "<svg><a href=javascript:hit(4)><text>s</text></a></svg>"
            "<iframe srcdoc='<script>parent.hit(5)</script>'></iframe><p onmouseover=hit(6)>p</p>"
            "<form action=javascript:hit(7)><button>b</button></form><script>alert(8)</script>"
            "<math><mtext><a href=javascript:hit(9)>m</a></mtext></math><a href=/x>ordinary</a>"
        )
        box.probe("control", wait=300)
        seen = {what for _where, what in box.ran}
        assert {f"hit({n})" for n in range(1, 8)} | {"hit(9)", "dialog '8'"} <= seen, seen
        assert not [what for what in seen if what.startswith("navigated")]
    finally:
        box.close()


def probe_article(box, post, payloads):
    box.open(post.get_absolute_url())
    box.probe(f"article {post.slug}")
    text = box.text()
    lost = [p.number for p in payloads if f"XSSA{p.number}" not in text]
    assert not lost, f"{post.slug}: the text around payloads {lost} is gone"


@pytest.mark.browser
def test_article_pages_run_nothing(sandbox, category, lists_show_everything):
    """Every payload in a published article, read with the site's Content-Security-Policy;
    the headings among them make tables of contents. Their automatic excerpts and search
    snippets (text that was code or escaped markup in the article) on the lists."""
    articles = article_posts(category, "payloads", Post.Status.PUBLISHED)
    assert any(post.toc_html for post, _payloads in articles)
    for post, payloads in articles:
        probe_article(sandbox, post, payloads)
    for path in ["/", category.get_absolute_url(), "/search/?q=onerror", "/search/?q=script"]:
        sandbox.open(path)
        sandbox.probe(path)
        assert exact_texts(sandbox, "article.card h2")
    assert not sandbox.ran, ran_report(sandbox.ran, BODIES)


# --- Titles, summaries, names, search, feeds, admin -------------------------------------------


@pytest.fixture
def hostile_site(db, lists_show_everything):
    """One post per text payload: the payload is its title, its category's name, its tag's
    name and its author's name, its summary (even posts) or its automatic excerpt (odd
    ones), and text of its body next to the words searched for."""
    users = get_user_model().objects
    posts = []
    for index, payload in enumerate(TEXTS):
        text = payload.text
        category = publishing.save_category(
            Category(name=text[:100], slug=f"c-{payload.number}", description=text)
        )
        author = users.create_user(f"author{payload.number}", first_name=text[:150])
        body = f"XSSQ 前文{payload.number} {escape(text)} 后文{payload.number}\n\n{text}"
        post = publishing.create_post(
            title=text[:200],
            slug=f"t-{payload.number}",
            category=category,
            author=author,
            body=body,
            summary=text if index % 2 == 0 else "",
            status=Post.Status.PUBLISHED,
            published_at=django_now() - timedelta(minutes=index + 1),
            tags=[text[:100]],
        )
        posts.append(post)
    return [Post.objects.get(pk=post.pk) for post in posts]


def exact_texts(box, selector):
    return box.page.eval_on_selector_all(selector, "els => els.map(el => el.textContent)")


def check_article_fields(box, post):
    """What a title and its neighbours must be on the post's page: the very same text."""
    tag = post.tags.get()
    site = settings.BLOG["TITLE"]
    page = box.page
    assert page.eval_on_selector("head > title", "el => el.textContent") == f"{post.title} · {site}"
    assert exact_texts(box, "h1") == [post.title]
    metas = page.eval_on_selector_all(
        "meta[property], meta[name]",
        "els => Object.fromEntries(els.map(el => [el.getAttribute('property') || el.name,"
        " el.content]))",
    )
    assert metas["og:title"] == metas["twitter:title"] == post.title
    assert metas["description"] == post.excerpt
    assert metas["article:section"] == post.category.name
    assert metas["article:tag"] == tag.name
    data = json.loads(
        page.eval_on_selector("script[type='application/ld+json']", "el => el.textContent")
    )
    assert data["headline"] == post.title
    assert data["description"] == post.excerpt
    assert data["articleSection"] == post.category.name
    assert data["keywords"] == [tag.name]
    assert data["author"]["name"] == post.author.get_full_name()
    assert exact_texts(box, ".post-tags a") == [tag.name]
    assert exact_texts(box, ".meta-category") == [post.category.name]


@pytest.mark.browser
def test_titles_names_summaries_and_search_run_nothing(sandbox, hostile_site):
    payloads = TEXTS
    # Each article, with its title in <title>, <h1>, meta tags and JSON-LD, and its
    # neighbours' titles in "previous" and "next".
    # Every plain vector; of the same after ordinary words (there for cut fields: excerpts,
    # snippets), every fourth: the contexts are the same.
    half = len(hostile_site) // 2
    for post in hostile_site[:half] + hostile_site[half::4]:
        sandbox.open(post.get_absolute_url())
        sandbox.probe(f"article {post.slug}")
        check_article_fields(sandbox, post)
    # The lists: every title, excerpt, category and tag name on one page each.
    titles = {post.title for post in hostile_site}
    for path in ["/", "/archive/", f"/archive/{django_now():%Y/%m}/".replace("/0", "/")]:
        sandbox.open(path)
        sandbox.probe(path)
        if path != "/archive/":
            assert set(exact_texts(sandbox, "article.card h2")) == titles
            assert set(exact_texts(sandbox, "article.card .card-excerpt")) == {
                post.excerpt for post in hostile_site
            }
    for post in hostile_site[::8]:
        for label, path in [
            (post.category.name, post.category.get_absolute_url()),
            (post.tags.get().name, f"/tag/{post.tags.get().slug}/"),
        ]:
            sandbox.open(path)
            sandbox.probe(path)
            assert exact_texts(sandbox, "h1") == [label]
    # Search: the word next to every payload, words inside the payloads (highlighted in
    # them), and the payloads themselves as queries.
    for query in ["XSSQ", "img onerror", "script", "hit", "卷积", "svg"]:
        sandbox.open(f"/search/?q={quote(query)}")
        sandbox.probe(f"search {query}")
        found = exact_texts(sandbox, "article.card h2")
        assert found, query
        assert set(found) <= titles
    sandbox.open("/search/?q=XSSQ")
    assert len(exact_texts(sandbox, ".search-snippet")) == len(hostile_site)
    for payload in payloads[::12]:
        sandbox.open(f"/search/?q={quote(payload.text)}")
        sandbox.probe(f"search for payload {payload.number}")
        assert sandbox.page.input_value("#site-search-q") == " ".join(payload.text.split())[:200]
    for path in ["/sitemap.xml", "/robots.txt"]:
        sandbox.open(path)
        sandbox.probe(path)
    assert not sandbox.ran, ran_report(sandbox.ran, payloads)


ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"


ADOPT_ATOM = """xml => {
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    for (const content of doc.getElementsByTagNameNS('http://www.w3.org/2005/Atom', 'content')) {
        const article = document.createElement('article');
        for (const node of content.childNodes) article.appendChild(document.importNode(node, true));
        document.body.appendChild(article);
    }
}"""


def feed_entries(client, path):
    """(title, [HTML of the entry]) for each entry of the feed at `path`, as a reader gets
    them: RSS's description and content:encoded, Atom's summary and XHTML content, JSON
    Feed's content_html."""
    response = client.get(path)
    assert response.status_code == 200, path
    if path.endswith("/json/"):
        return [
            (item["title"], [item["content_html"]])
            for item in json.loads(response.content)["items"]
        ]
    root = ET.fromstring(response.content)  # well-formed, whatever the authors wrote
    if root.tag == "rss":
        return [
            (
                item.findtext("title"),
                [item.findtext("description"), item.findtext(CONTENT_ENCODED) or ""],
            )
            for item in root.iter("item")
        ]
    # The XHTML content as written, for readers that put it into an HTML page as it is
    # (readers that keep it as XML are the `xml` step of the test).
    contents = re.findall(r'<content type="xhtml">(.*?)</content>', response.content.decode(), re.S)
    entries = [
        (entry.findtext(f"{ATOM}title"), [entry.findtext(f"{ATOM}summary") or "", xhtml])
        for entry, xhtml in zip(root.iter(f"{ATOM}entry"), contents, strict=True)
    ]
    return entries


@pytest.mark.browser
def test_feed_entries_run_nothing_in_a_reader_without_csp(browser, hostile_site, category):
    """A feed reader shows the entries' HTML under its own policy, or none: here, none."""
    # Articles with the body payloads too, in the batches the article pages use.
    articles = article_posts(
        category, "feed", Post.Status.PUBLISHED, step=3, at=django_now() - timedelta(days=1)
    )
    posts = list(hostile_site) + [post for post, _payloads in articles]
    client = Client()
    titles = {post.title for post in posts}
    paths = ["/feed/", "/feed/atom/", "/feed/json/"]
    for post in hostile_site[::24]:
        paths += [
            f"{post.category.get_absolute_url()}feed/",
            f"/tag/{post.tags.get().slug}/feed/atom/",
        ]
    box = Sandbox(browser)
    try:
        for path in paths:
            entries = feed_entries(client, path)
            assert entries, path
            assert {title for title, _html in entries} <= titles
            if path in ("/feed/", "/feed/atom/", "/feed/json/"):
                assert {title for title, _html in entries} == titles, path
            box.show(
                "".join(
                    f"<article>{html}</article>" for _title, fields in entries for html in fields
                )
            )
            box.probe(f"feed {path}", wait=200)
            if "atom" in path:  # XHTML kept as XML: its nodes adopted into the page
                box.show("")
                box.page.evaluate(ADOPT_ATOM, client.get(path).content.decode())
                box.probe(f"feed {path} (xml)", wait=200)
        assert not box.ran, ran_report(box.ran, BODIES + TEXTS)
    finally:
        box.close()


def sign_in(box, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.org", "s3cret-pass-1")
    page = box.open("/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "s3cret-pass-1")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


@pytest.mark.browser
def test_admin_pages_run_nothing_for_a_superuser(
    sandbox, hostile_site, category, django_user_model
):
    """The change lists (titles, categories, tags, their filters), change forms, delete and
    history pages, the tag merge page and the preview of drafts, as a superuser sees them."""
    drafts = article_posts(category, "draft", Post.Status.DRAFT, step=10, at=django_now())
    sign_in(sandbox, django_user_model)
    titles = {post.title for post in hostile_site} | {post.title for post, _p in drafts}
    sandbox.open("/admin/blog/post/")
    sandbox.probe("post change list")
    assert set(exact_texts(sandbox, "#result_list th.field-title a")) == titles
    paths = [
        "/admin/",
        "/admin/blog/category/",
        "/admin/taggit/tag/",
        "/admin/blog/post/?status__exact=draft",
        f"/admin/blog/post/?q={quote(TEXTS[7].text)}",
        f"/admin/blog/post/?category__id__exact={hostile_site[3].category_id}",
        f"/admin/blog/post/{hostile_site[0].pk}/delete/",
        f"/admin/blog/post/{hostile_site[1].pk}/history/",
    ]
    for path in paths:
        sandbox.open(path)
        sandbox.probe(path)
    for post in hostile_site[::12]:
        sandbox.open(f"/admin/blog/post/{post.pk}/change/")
        sandbox.probe(f"change form of {post.slug}")
        assert sandbox.page.input_value("#id_title") == post.title
        assert sandbox.page.input_value("#id_summary") == post.summary
        sandbox.open(f"/admin/blog/category/{post.category_id}/change/")
        sandbox.probe(f"category form of {post.slug}")
        assert sandbox.page.input_value("#id_name") == post.category.name
    for post, payloads in drafts:
        sandbox.open(f"/admin/blog/post/{post.pk}/change/")
        sandbox.probe(f"change form of {post.slug}")
        # Whole in its <textarea> (control characters aside, which the HTML parser changes).
        body = sandbox.page.input_value("#id_body")
        assert all(f"XSSA{p.number}" in body and f"XSSZ{p.number}" in body for p in payloads)
        probe_article(sandbox, post, payloads)  # the preview
        assert sandbox.page.locator(".preview-note").count() == 1
    # Merging tags shows the chosen ones on a page of its own.
    page = sandbox.open("/admin/taggit/tag/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "merge")
    page.click("button[name=index]")
    page.wait_for_selector("input[name=into]")
    sandbox.probe("tag merge page")
    assert not sandbox.ran, ran_report(sandbox.ran, BODIES + TEXTS)


def front_matter_file(payload, other):
    """A Markdown file whose every front matter field carries a payload."""
    meta = {
        "title": payload.text,
        "slug": f"imported-{payload.number}",
        "date": "2024-05-01 10:00",
        "tags": [payload.text[:100], other.text[:100]],
        "categories": [other.text[:100], payload.text[:100]],
        "summary": payload.text if payload.number % 2 else "",
        "author": payload.text,
        payload.text: other.text,
        "extra": {"nested": payload.text},
    }
    body = f"导入 XSSQ {escape(payload.text)}\n\n{other.text}\n\n<!-- more -->\n\n{payload.text}"
    header = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return f"---\n{header}---\n{body}\n"


@pytest.mark.browser
def test_imported_front_matter_runs_nothing(sandbox, db, lists_show_everything, django_user_model):
    """Front matter fields (title, tags, categories, summary, author, unknown keys) and file
    names through the admin's importer: its report, then the pages of what it made."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for index, payload in enumerate(TEXTS):
            other = TEXTS[(index + 7) % len(TEXTS)]
            zipped.writestr(f"_posts/{index:03d}.md", front_matter_file(payload, other))
        for payload in TEXTS[::12]:  # names from a file name: the report prints it
            name = payload.text.replace("/", "／")
            zipped.writestr(f"_posts/{name}.md", f"# {payload.text}\n\n正文\n")
    sign_in(sandbox, django_user_model)
    page = sandbox.open("/admin/blog/post/import/")
    page.set_input_files(
        "#id_upload",
        files=[{"name": "site.zip", "mimeType": "application/zip", "buffer": archive.getvalue()}],
    )
    page.click("input[type=submit]")
    page.wait_for_selector(".import-summary")
    sandbox.probe("import report")
    summary = page.inner_text(".import-summary")
    imported = list(Post.objects.filter(slug__startswith="imported-").prefetch_related("tags"))
    assert len(imported) == len(TEXTS), summary
    assert {post.title for post in imported} == {p.text.strip() for p in TEXTS}
    for path in ["/", "/search/?q=XSSQ", "/feed/json/"]:
        sandbox.open(path)
        sandbox.probe(path)
    for post in imported[::12]:
        sandbox.open(post.get_absolute_url())
        sandbox.probe(f"imported {post.slug}")
        assert exact_texts(sandbox, "h1") == [post.title]
        for tag in post.tags.all():
            sandbox.open(f"/tag/{tag.slug}/")
            sandbox.probe(f"imported tag {tag.slug}")
        sandbox.open(post.category.get_absolute_url())
        sandbox.probe(f"imported category {post.category.slug}")
    assert not sandbox.ran, ran_report(sandbox.ran, TEXTS)
