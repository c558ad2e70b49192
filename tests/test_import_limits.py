"""Bounded imports (issue 10, findings 8 and 9): files and zips over their limits are refused
before they are read whole, every problem is a line of the report (never a 500), and a
report says exactly what was written."""
# ruff: noqa: E501

import io
import struct
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.importing import Importer
from blog.models import Post
from blog.rendering.limits import validate_article_bytes

GOOD = "---\ntitle: 好文章 {n}\ndate: 2024-01-0{n}\n---\n正文 {n}\n"


def make_zip(members, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def post_upload(client, data, name="site.zip", **fields):
    upload = SimpleUploadedFile(name, data)
    response = client.post("/admin/blog/post/import/", {"upload": upload, **fields})
    assert response.status_code == 200
    return response.content.decode()


def refusal(size):
    """What the one article-size rule says of an article of `size` bytes."""
    with pytest.raises(ValidationError) as refused:
        validate_article_bytes(size)
    return refused.value.messages[0]


def central_header(data):
    """Offset of the first member's central directory header."""
    return data.index(b"PK\x01\x02")


# --- Sizes -------------------------------------------------------------------------------------


def test_an_article_over_the_limit_is_a_line_of_the_report(admin_client, settings):
    settings.BLOG = {**settings.BLOG, "MAX_ARTICLE_BYTES": 1000}
    data = make_zip([("a.md", GOOD.format(n=1)), ("big.md", "---\ntitle: 大\n---\n" + "字" * 1000)])
    html = post_upload(admin_client, data)
    assert "big.md" in html and refusal(len(("字" * 1000).encode())) in html
    assert "1 created, 0 updated, 0 unchanged, 1 failed." in html


def test_an_uploaded_file_over_the_limit_is_a_line_of_the_report(admin_client, settings):
    settings.BLOG = {**settings.BLOG, "MAX_ARTICLE_BYTES": 1000}
    data = b"---\ntitle: big\n---\n" + b"x" * 70_000
    html = post_upload(admin_client, data, "big.md")
    assert "big.md" in html and refusal(len(data)) in html
    assert "0 created, 0 updated, 0 unchanged, 1 failed." in html


def test_a_central_directory_listing_more_members_than_allowed_is_refused(admin_client):
    data = bytearray(make_zip([("a.md", GOOD.format(n=1))]))
    end = data.rindex(b"PK\x05\x06")
    data[end + 8 : end + 12] = struct.pack("<HH", 60000, 60000)  # entries claimed
    assert "holds more than 5000 files" in post_upload(admin_client, bytes(data))


def test_the_command_line_refuses_a_5_mb_file_without_reading_it(db, tmp_path):
    path = tmp_path / "huge.md"
    data = b"---\ntitle: huge\n---\n" + b"x" * 5_000_000
    path.write_bytes(data)
    out = io.StringIO()
    tracemalloc.start()
    with pytest.raises(CommandError):
        call_command("import_markdown", str(path), stdout=out)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert refusal(len(data)) in out.getvalue()
    assert peak < 1_000_000  # the file was never read into memory
    assert not Post.objects.exists()


def test_a_zip_that_inflates_too_far_is_refused(admin_client, monkeypatch):
    from blog.importing import limits

    monkeypatch.setattr(limits, "MAX_UNPACKED_BYTES", 10_000)
    data = make_zip([(f"{n}.md", "x" * 4000) for n in range(3)])
    assert "unpacks to more than" in post_upload(admin_client, data)
    assert not Post.objects.exists()


def test_a_zip_with_too_many_members_is_refused(admin_client, monkeypatch):
    from blog.importing import limits

    monkeypatch.setattr(limits, "MAX_MEMBERS", 2)
    data = make_zip([(f"{n}.md", GOOD.format(n=1)) for n in range(3)])
    assert "holds more than 2 files" in post_upload(admin_client, data)


def test_a_member_compressed_like_a_bomb_is_refused(admin_client):
    data = make_zip([("bomb.md", b"\n" * 50_000_000)])
    assert len(data) < 100_000
    assert "compressed more than" in post_upload(admin_client, data)
    assert not Post.objects.exists()


def test_a_member_whose_size_header_lies_is_refused(admin_client):
    body = ("---\ntitle: 谎\n---\n" + "x" * 3_000_000).encode()
    data = bytearray(make_zip([("liar.md", body)]))
    at = central_header(data)
    data[at + 24 : at + 28] = struct.pack("<I", 100)  # uncompressed size: 100 bytes
    local = data.index(b"PK\x03\x04")
    data[local + 22 : local + 26] = struct.pack("<I", 100)
    html = post_upload(admin_client, bytes(data))
    assert "liar.md" in html and "is damaged" in html
    assert not Post.objects.exists()


def test_a_bad_crc_is_refused(admin_client):
    data = bytearray(make_zip([("a.md", GOOD.format(n=1))]))
    at = central_header(data)
    data[at + 16 : at + 20] = b"\0\0\0\0"
    html = post_upload(admin_client, bytes(data))
    assert "a.md" in html and "is damaged" in html
    assert not Post.objects.exists()


# --- Names -------------------------------------------------------------------------------------


def test_a_name_that_is_not_utf8_though_flagged_so_is_refused(admin_client):
    data = make_zip([("é.md", GOOD.format(n=1))]).replace("é".encode(), b"\xff\xfe")
    html = post_upload(admin_client, data)
    assert "not valid UTF-8" in html
    assert not Post.objects.exists()


def test_a_name_longer_than_the_file_system_allows_is_refused(admin_client):
    name = "长" * 90 + ".md"  # 273 bytes
    html = post_upload(admin_client, make_zip([(name, GOOD.format(n=1))]))
    assert "longer than 255 bytes" in html
    assert not Post.objects.exists()


def test_a_path_too_deep_is_refused(admin_client):
    html = post_upload(admin_client, make_zip([("a/" * 2000 + "b.md", GOOD.format(n=1))]))
    assert "too deep or too long" in html


@pytest.mark.parametrize("order", [("x", "x/y.md"), ("x/y.md", "x")])
def test_a_file_and_a_folder_of_one_name_are_refused(admin_client, order):
    html = post_upload(admin_client, make_zip([(name, GOOD.format(n=1)) for name in order]))
    assert "both a file and a folder" in html
    assert not Post.objects.exists()


def test_a_name_twice_is_refused(admin_client):
    with pytest.warns(UserWarning):
        data = make_zip([("a.md", GOOD.format(n=1)), ("a.md", GOOD.format(n=2))])
    assert "twice" in post_upload(admin_client, data)


# --- Front matter ------------------------------------------------------------------------------

BILLION_LAUGHS = """---
title: lol
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
---
x
"""


def test_a_yaml_alias_bomb_is_refused(db, tmp_path):
    (tmp_path / "lol.md").write_text(BILLION_LAUGHS)
    result = Importer().run([tmp_path]).results[0]
    assert result.outcome == "failed" and "alias" in result.reason


@pytest.mark.parametrize(
    "front_matter",
    ["[" * 5000, "a: " + "9" * 5000, "title: " + "x" * 100_000],
)
def test_front_matter_that_costs_too_much_is_refused(db, tmp_path, front_matter):
    (tmp_path / "a.md").write_text(f"---\n{front_matter}\n---\nx\n")
    result = Importer().run([tmp_path]).results[0]
    assert result.outcome == "failed" and result.reason


@pytest.mark.parametrize(
    "date",
    [
        "0001-01-01",
        "0001-01-01 00:00:00",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:59:59-23:59",
        "1899-12-31",
    ],
)
def test_an_extreme_date_is_a_line_of_the_report(admin_client, date):
    html = post_upload(admin_client, f"---\ntitle: 远\ndate: {date}\n---\nx\n".encode(), "a.md")
    assert "is outside the years" in html
    assert not Post.objects.exists()


def test_an_extreme_updated_date_and_file_name_date(db, tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: a\nupdated: 0001-01-01\n---\nx\n")
    (tmp_path / "0001-01-01-b.md").write_text("---\ntitle: b\n---\nx\n")
    report = Importer().run([tmp_path])
    outcomes = {r.path.rsplit("/", 1)[1]: r.outcome for r in report.results}
    assert outcomes == {"a.md": "failed", "0001-01-01-b.md": "created"}


# --- What a report says was written ------------------------------------------------------------

THREE = [
    ("a.md", GOOD.format(n=1)),
    ("b.md", "---\ntitle: 坏\ndate: 0001-01-01\n---\nx\n"),
    ("c.md", GOOD.format(n=3)),
]


def test_the_second_of_three_failing_leaves_the_others_imported_and_reported(admin_client):
    html = post_upload(admin_client, make_zip(THREE))
    assert "2 created, 0 updated, 0 unchanged, 1 failed." in html
    assert sorted(Post.objects.values_list("slug", flat=True)) == ["a", "c"]


def test_all_or_nothing_writes_nothing_when_one_file_fails(admin_client):
    html = post_upload(admin_client, make_zip(THREE), all_or_nothing="on")
    assert "0 created, 0 updated, 0 unchanged, 2 skipped, 1 failed." in html
    assert "not imported: 1 other file of this import failed" in html
    assert not Post.objects.exists()


def test_all_or_nothing_rolls_back_a_failure_while_writing(db, tmp_path, monkeypatch):
    from blog import publishing

    (tmp_path / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    for name, text in THREE[:1] + THREE[2:]:
        (tmp_path / name).write_text(text + "\n![](fig.png)\n")
    save = publishing.save_post

    def fail_on_the_second(post, **kwargs):
        if post.slug == "c":
            raise DatabaseError("disk full")
        return save(post, **kwargs)

    monkeypatch.setattr(publishing, "save_post", fail_on_the_second)
    report = Importer(all_or_nothing=True).run([tmp_path])
    assert [r.outcome for r in report.results] == ["skipped", "failed"]
    assert not Post.objects.exists()
    from django.core.files.storage import default_storage

    assert not default_storage.exists("posts/a/fig.png")


def test_the_command_line_has_an_all_or_nothing_option(db, tmp_path):
    for name, text in THREE:
        (tmp_path / name).write_text(text)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_markdown", str(tmp_path), all_or_nothing=True, stdout=out)
    assert "2 skipped, 1 failed" in out.getvalue()
    assert not Post.objects.exists()


# --- Any zip -----------------------------------------------------------------------------------

NAMES = st.sampled_from(["a.md", "x", "x/y.md", "../z.md", "é.md", "b.markdown", "img.png", "d/"])
CONTENT = st.sampled_from(
    [
        b"",
        b"---\ntitle: t\n---\nx",
        b"---\ndate: 0001-01-01\n---\n",
        b"\xff\xfe",
        b"![](../../x.png)",
    ]
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(NAMES, CONTENT), max_size=5), st.integers(0, 400), st.binary(max_size=4))
def test_no_zip_makes_the_upload_fail(admin_client, members, at, noise):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = bytearray(make_zip(members))
    if data and noise:
        at %= len(data)
        data[at : at + len(noise)] = noise  # a damaged archive
    html = post_upload(admin_client, bytes(data))
    assert 'class="import-summary"' in html or 'class="errornote"' in html


def test_a_zip_made_on_a_mac_imports_its_posts_and_not_their_metadata(admin_client):
    data = make_zip(
        [
            ("site/a.md", GOOD.format(n=1)),
            ("__MACOSX/site/._a.md", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X"),
        ]
    )
    html = post_upload(admin_client, data)
    assert "1 created, 0 updated, 0 unchanged, 0 failed." in html
    assert Post.objects.get().source_key == "path:a.md"  # the folder's own paths


def test_a_nul_character_is_refused_alike_on_every_database(admin_client):
    data = make_zip([("a.md", "---\ntitle: 零\n---\n第一行\n第二\x00行\n")])
    html = post_upload(admin_client, data)
    assert "a NUL character on line 5" in html
    assert not Post.objects.exists()


# --- Time ---------------------------------------------------------------------------------------


def ticking(monkeypatch, seconds_per_look):
    """The importer's clock moving on `seconds_per_look` each time it is read."""
    now = [0.0]

    def clock():
        now[0] += seconds_per_look
        return now[0]

    monkeypatch.setattr("blog.importing.clock", clock)


def test_an_upload_stops_at_its_time_and_says_which_files_wait(admin_client, settings, monkeypatch):
    settings.BLOG = {**settings.BLOG, "IMPORT_SECONDS": 25}
    # Each look at the clock is 1 s: the start is at 1 (so the time is up at 26), reading
    # nine files takes it to 10, checking them to 19, and six writes (20-25) fit before 26.
    ticking(monkeypatch, 1)
    data = make_zip([(f"{n}.md", GOOD.format(n=n)) for n in range(1, 10)])
    html = post_upload(admin_client, data)
    created = Post.objects.count()
    assert created == 6
    assert "ran out before this file" in html
    assert f"{created} created, 0 updated, 0 unchanged, {9 - created} skipped, 0 failed." in html
    monkeypatch.undo()
    again = post_upload(admin_client, data)  # the rest come in; the first are recognised
    assert f"{9 - created} created, 0 updated, {created} unchanged, 0 failed." in again
    assert Post.objects.count() == 9


def test_all_or_nothing_out_of_time_writes_nothing(admin_client, settings, monkeypatch):
    settings.BLOG = {**settings.BLOG, "IMPORT_SECONDS": 8}
    ticking(monkeypatch, 1)
    data = make_zip([(f"{n}.md", GOOD.format(n=n)) for n in range(1, 4)])
    html = post_upload(admin_client, data, all_or_nothing="on")
    assert not Post.objects.exists()
    assert "ran out before this file" in html and "failed" in html


def test_the_command_line_has_no_time_limit(db, tmp_path, monkeypatch):
    ticking(monkeypatch, 3600)
    for n in (1, 2):
        (tmp_path / f"{n}.md").write_text(GOOD.format(n=n), encoding="utf-8")
    call_command("import_markdown", str(tmp_path), stdout=io.StringIO())
    assert Post.objects.count() == 2


@pytest.mark.parametrize(
    "name",
    [
        "长" * 200 + ".md",
        "x" * 300 + ".md",
        "a\x00b.md",
        "../../x.md",
        "a/b\\c.md",
        ".md",
        "x.md.zip",
    ],
)
def test_an_upload_of_any_name_gets_an_answer(admin_client, name):
    """A Chinese name of 200 characters (600 bytes) passed Django's 255-character cut and
    was a 500 when written (ENAMETOOLONG); every name now gets the page, with a reason."""
    admin_client.raise_request_exception = False
    upload = SimpleUploadedFile(name, b"---\ntitle: t\n---\nbody\n")
    response = admin_client.post("/admin/blog/post/import/", {"upload": upload})
    assert response.status_code == 200


def test_a_file_with_too_many_tags_is_a_line_of_the_report(admin_client):
    from blog.models import MAX_TAGS

    tags = ", ".join(f"t{n}" for n in range(MAX_TAGS + 1))
    data = make_zip([("a.md", f"---\ntitle: 多\ntags: [{tags}]\n---\n正文\n")])
    html = post_upload(admin_client, data)
    assert "0 created, 0 updated, 0 unchanged, 1 failed." in html
    assert str(MAX_TAGS) in html
