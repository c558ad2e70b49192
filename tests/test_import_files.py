"""Files stay where they belong (issue 10, findings 6 and 7): an import copies only images
inside its own folder, and never stores an SVG that could run script."""
# ruff: noqa: E501

import io
import re
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from blog.importing import Importer
from blog.models import Post
from tests.pictures import png

PNG = png()


@pytest.fixture
def secret(tmp_path):
    """A readable file outside the import's folder, with an image suffix."""
    path = tmp_path / "outside" / "secret.png"
    path.parent.mkdir()
    path.write_bytes(PNG)
    return path


def import_one(folder, body, name="post.md", user=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"---\ntitle: 图\n---\n{body}\n", encoding="utf-8")
    report = Importer(user=user).run([folder])
    return report, Post.objects.get()


def stored():
    """The files imported for the post, less the renditions made of them (name.w480.webp)."""
    try:
        names = default_storage.listdir("posts/post")[1]
        return [name for name in names if not re.search(r"\.w[0-9]+\.[a-z]+$", name)]
    except FileNotFoundError:
        return []


@pytest.mark.parametrize(
    "reference",
    [
        "../outside/secret.png",
        "../../../../../../../../{secret}",
        "/{secret}",
        "{secret}",
        "%2e%2e/outside/secret.png",
    ],
)
def test_an_image_outside_the_import_is_never_copied(db, tmp_path, secret, reference):
    reference = reference.format(secret=str(secret).lstrip("/"))
    report, post = import_one(tmp_path / "site", f"![x]({reference})")
    assert stored() == []
    assert f"![x]({reference})" in post.body
    notes = " ".join(report.results[0].notes)
    assert reference in notes and ("outside the import" in notes or "not found" in notes)


def test_an_absolute_file_system_path_is_not_copied(db, tmp_path, secret):
    report, post = import_one(tmp_path / "site", f"![x]({secret})")
    assert stored() == [] and f"![x]({secret})" in post.body


def test_a_symlink_pointing_out_is_not_followed(db, tmp_path, secret):
    site = tmp_path / "site"
    site.mkdir()
    (site / "link.png").symlink_to(secret)
    report, post = import_one(site, "![x](link.png)")
    assert stored() == []
    assert "image outside the import's folder, reference kept: link.png" in report.results[0].notes


def test_the_sites_static_folder_is_inside_the_import(db, tmp_path):
    site = tmp_path / "hugo"
    (site / "static" / "images").mkdir(parents=True)
    (site / "static" / "images" / "logo.png").write_bytes(PNG)
    (site / "content" / "posts").mkdir(parents=True)
    (site / "content" / "posts" / "post.md").write_text(
        "---\ntitle: 图\n---\n![](/images/logo.png)\n"
    )
    Importer().run([site])
    assert stored() == ["logo.png"]


def test_an_upload_cannot_reach_files_of_the_server(admin_client, secret):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "post.md", f"---\ntitle: 图\n---\n![a](/{secret})\n![b](../../../../../..{secret})\n"
        )
    upload = SimpleUploadedFile("site.zip", buffer.getvalue())
    html = admin_client.post("/admin/blog/post/import/", {"upload": upload}).content.decode()
    assert "1 created" in html
    assert stored() == []


# --- SVG ---------------------------------------------------------------------------------------

HOSTILE_SVG = """<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="40" height="20" onload="alert(1)">
  <script>alert(2)</script>
  <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml"
    onclick="alert(3)">x</div></foreignObject>
  <a xlink:href="javascript:alert(4)"><rect width="10" height="10" fill="red"/></a>
  <a href="javascript:alert(5)"><circle r="3" onmouseover="alert(6)"/></a>
  <image href="https://evil.example/x.png" width="5" height="5"/>
  <use href="https://evil.example/s.svg#a"/>
  <set attributeName="onmouseover" to="alert(7)"/>
  <animate attributeName="href" to="javascript:alert(8)"/>
  <rect width="5" height="5" style="fill: url(https://evil.example/p)"/>
  <path d="M0 0 L10 10" stroke="blue"/>
  <text x="1" y="15">图 &amp; 字</text>
</svg>""".encode()


def svg_import(tmp_path, data):
    site = tmp_path / "site"
    site.mkdir()
    (site / "fig.svg").write_bytes(data)
    report, post = import_one(site, "![图](fig.svg)")
    return report, post


def test_an_svg_keeps_its_gradients_and_local_references(db, tmp_path):
    data = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="4" height="4">'
        b'<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>'
        b'<rect id="r" width="4" height="4" style="fill:url(#g)"/><use xlink:href="#r"/></svg>'
    )
    svg_import(tmp_path, data)
    stored_svg = default_storage.open("posts/post/fig.svg").read().decode()
    assert 'style="fill:url(#g)"' in stored_svg and '<use href="#r"/>' in stored_svg


def test_an_svg_is_stored_without_anything_that_runs(db, tmp_path):
    report, post = svg_import(tmp_path, HOSTILE_SVG)
    data = default_storage.open("posts/post/fig.svg").read().decode()
    for word in ("script", "alert", "foreignObject", "onload", "onclick", "javascript",
                 "evil.example", "<set", "<animate"):  # fmt: skip
        assert word not in data, word
    assert '<path d="M0 0 L10 10" stroke="blue"' in data and "图 &amp; 字" in data
    assert "/media/posts/post/fig.svg){ width=40 height=20 }" in post.body
    assert any("fig.svg: removed" in note for note in report.results[0].notes)


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
        b"<svg xmlns='http://www.w3.org/2000/svg'><unclosed></svg>",
        b"<html><script>alert(1)</script></html>",
    ],
)
def test_an_svg_that_cannot_be_made_safe_is_not_copied(db, tmp_path, data):
    report, post = svg_import(tmp_path, data)
    assert stored() == []
    assert "![图](fig.svg)" in post.body
    assert any("fig.svg" in note and "not copied" in note for note in report.results[0].notes)
