"""Uploaded and imported files as Django serves them (blog.media; issue 10, finding 7): never a
page of this origin, whatever the file holds."""

import pytest

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
    b'<rect width="10" height="10"/></svg>'
)


@pytest.fixture
def media(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    folder = tmp_path / "posts" / "figures"
    folder.mkdir(parents=True)
    (folder / "ring.svg").write_bytes(SVG)
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "notes.html").write_bytes(b"<script>alert(3)</script>")
    return folder


def test_svg_is_an_attachment_that_runs_nothing(client, media):
    response = client.get("/media/posts/figures/ring.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"] == 'attachment; filename="ring.svg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert b"".join(response.streaming_content) == SVG


def test_raster_images_are_shown_inline_under_the_same_policy(client, media):
    response = client.get("/media/posts/figures/photo.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_any_other_file_is_an_attachment(client, media):
    response = client.get("/media/posts/figures/notes.html")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_pages_keep_the_site_policy(client, media):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy


def test_an_unchanged_file_is_304_with_the_same_headers(client, media):
    first = client.get("/media/posts/figures/ring.svg")
    again = client.get(
        "/media/posts/figures/ring.svg", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )
    assert again.status_code == 304
    assert again["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.parametrize(
    "path",
    ["posts/", "posts/figures", "posts/none.png", "../settings.py", "posts/%00.png", "x" * 256],
)
def test_what_is_not_a_file_there_is_not_served(client, media, path):
    client.raise_request_exception = False
    assert client.get(f"/media/{path}").status_code in (400, 404)
