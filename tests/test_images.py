"""Images in the writing room: uploads checked and kept with their renditions, articles that
show them with sizes and srcset, feeds with absolute addresses, an image list that will not
delete what a post still shows, imports that make the same kind of image."""

import io
import re

import feedparser
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage

from blog import publishing
from blog.admin import images as image_admin
from blog.images import checks
from blog.images.storing import store
from blog.importing import Importer
from blog.models import Image, ImageUse, Post
from tests.pictures import image_bytes, jpeg, png


@pytest.fixture
def url():
    return reverse("admin:blog_image_upload")


def upload(client, url, data, name="shot.png", **fields):
    return client.post(url, {"file": SimpleUploadedFile(name, data), **fields})


def files_of(image):
    return [name for name in image.stored_names() if default_storage.exists(name)]


# --- Uploads --------------------------------------------------------------------------------


def test_a_good_png_is_kept_with_its_renditions(admin_client, url):
    answer = upload(admin_client, url, png((2000, 1000)), "架构图.png", alt="系统架构")
    assert answer.status_code == 201
    data = answer.json()
    image = Image.objects.get(pk=data["id"])
    assert data["markdown"] == f"![系统架构]({image.url})"
    assert image.url.startswith("/media/images/") and image.url.endswith(".png")
    assert (image.width, image.height, image.kind, image.alt) == (2000, 1000, "png", "系统架构")
    made = {(r["width"], r["type"]) for r in image.renditions}
    assert made == {
        (w, kind) for w in (480, 960, 1600) for kind in ("image/avif", "image/webp", "image/png")
    }
    assert files_of(image) == image.stored_names()  # every one was written
    with default_storage.open(image.renditions[0]["name"]) as small:
        assert PILImage.open(small).size[0] == 480


def test_a_small_image_gets_renditions_at_its_own_width_only(admin_client, url):
    image = Image.objects.get(pk=upload(admin_client, url, jpeg((300, 200)), "a.jpg").json()["id"])
    assert {(r["width"], r["type"]) for r in image.renditions} == {
        (300, "image/avif"),
        (300, "image/webp"),
    }


def test_a_photo_is_turned_upright_and_loses_its_gps_position(admin_client, url):
    exif = PILImage.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to show
    exif[0x010F] = "Camera maker"
    gps = exif.get_ifd(0x8825)
    gps[2] = (39.0, 54.0, 27.0)  # latitude
    gps[4] = (116.0, 23.0, 30.0)  # longitude
    photo = jpeg((400, 100), exif=exif.tobytes())
    assert PILImage.open(io.BytesIO(photo)).getexif()[0x0112] == 6

    image = Image.objects.get(pk=upload(admin_client, url, photo, "p.jpg").json()["id"])
    assert (image.width, image.height) == (100, 400)  # upright
    with default_storage.open(image.file.name) as kept:
        data = kept.read()
    stored = PILImage.open(io.BytesIO(data))
    assert stored.size == (100, 400)
    assert not stored.getexif()
    assert b"Camera maker" not in data


def test_an_image_without_metadata_is_kept_byte_for_byte(admin_client, url):
    plain = png((50, 40))
    image = Image.objects.get(pk=upload(admin_client, url, plain).json()["id"])
    with default_storage.open(image.file.name) as kept:
        assert kept.read() == plain


def test_the_same_file_twice_is_one_image(admin_client, url):
    first = upload(admin_client, url, png((30, 30)), "a.png")
    second = upload(admin_client, url, png((30, 30)), "b.png")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["url"] == second.json()["url"]
    assert Image.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (b"#!/bin/sh\nrm -rf /\n", "evil.png", "not an image"),
        (b"<html><script>alert(1)</script></html>", "page.png", "not an image"),
        (png((40, 40))[:60], "cut.png", "not an image"),  # truncated
        (b"", "empty.png", "empty"),
        (image_bytes("BMP", (10, 10)), "old.bmp", "not an image"),
        (image_bytes("TIFF", (10, 10)), "scan.tiff", "not an image"),
    ],
)
def test_hostile_or_unaccepted_files_are_refused_with_the_reason(
    admin_client, url, data, name, said
):
    with_english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    answer = admin_client.post(url, {"file": SimpleUploadedFile(name, data)}, **with_english)
    assert answer.status_code == 400
    assert name in answer.json()["error"]
    assert Image.objects.count() == 0
    assert not default_storage.listdir("")[0]  # nothing was written


def test_a_file_over_the_limit_is_refused_before_it_is_read(admin_client, url, monkeypatch):
    monkeypatch.setattr(image_admin, "MAX_IMAGE_BYTES", 1000)
    answer = upload(admin_client, url, png((300, 300)) + b"\0" * 2000, "big.png")
    assert answer.status_code == 400
    assert "big.png" in answer.json()["error"] and "1000" in answer.json()["error"]
    assert Image.objects.count() == 0


def test_a_decompression_bomb_is_refused(admin_client, url):
    bomb = io.BytesIO()
    PILImage.new("1", (10_000, 6_000)).save(bomb, format="PNG")  # 60 MP in a few KB
    assert len(bomb.getvalue()) < 100_000
    answer = upload(admin_client, url, bomb.getvalue(), "bomb.png")
    assert answer.status_code == 400 and "bomb.png" in answer.json()["error"]


SVG_WITH_SCRIPT = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" onload="alert(1)">
  <script>alert(document.cookie)</script>
  <a href="javascript:alert(2)"><rect width="120" height="60" fill="teal"/></a>
  <foreignObject><iframe src="https://evil.example"/></foreignObject>
</svg>"""


def test_an_svg_with_script_is_kept_only_as_a_drawing(admin_client, url):
    answer = upload(admin_client, url, SVG_WITH_SCRIPT, "diagram.svg")
    assert answer.status_code == 201
    image = Image.objects.get(pk=answer.json()["id"])
    with default_storage.open(image.file.name) as kept:
        data = kept.read().decode()
    assert "<rect" in data
    for bad in ("script", "onload", "javascript", "foreignObject", "iframe"):
        assert bad not in data
    assert (image.kind, image.width, image.height, image.renditions) == ("svg", 120, 60, [])
    assert "script" in answer.json()["removed"]


def test_an_svg_declaring_entities_is_refused(admin_client, url):
    bomb = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>'
    answer = upload(admin_client, url, bomb, "lol.svg")
    assert answer.status_code == 400 and "lol.svg" in answer.json()["error"]


def test_an_animation_is_kept_as_it_is(admin_client, url):
    frames = [PILImage.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    image = Image.objects.get(pk=upload(admin_client, url, out.getvalue(), "a.gif").json()["id"])
    assert image.renditions == []
    with default_storage.open(image.file.name) as kept:
        assert PILImage.open(kept).n_frames == 2


def test_uploads_need_a_signed_in_author_with_the_right_and_the_csrf_token(
    client, url, admin_user, django_user_model
):
    assert upload(client, url, png()).status_code == 302  # to the login page
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(admin_user)
    assert upload(checked, url, png()).status_code == 403
    staff = django_user_model.objects.create_user("reader", password="x", is_staff=True)
    client.force_login(staff)
    assert upload(client, url, png()).status_code == 403
    assert client.get(url).status_code == 405
    assert Image.objects.count() == 0


def test_an_author_uploading_too_fast_waits(admin_client, url, monkeypatch):
    monkeypatch.setattr(image_admin, "UPLOADS_PER_MINUTE", 2)
    for n in range(2):
        assert upload(admin_client, url, png((n + 2, 2))).status_code == 201
    refused = upload(admin_client, url, png((9, 9)))
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1


# --- Pages and feeds ------------------------------------------------------------------------


@pytest.fixture
def figure(admin_user):
    image, _new = store(png((2000, 1000)), "figure.png", alt="替代文字", user=admin_user)
    return image


def test_an_article_shows_a_kept_image_with_sizes_srcset_and_modern_formats(
    make_post, figure, client
):
    post = make_post(body=f"图如下：\n\n![损失曲线]({figure.url})\n\n完。")
    page = client.get(post.get_absolute_url()).content.decode()
    picture = re.search(r"<picture>.*?</picture>", page, re.S).group()
    sources = re.findall(r"<source [^>]*>", picture)
    assert [re.search(r'type="([^"]*)"', tag).group(1) for tag in sources] == [
        "image/avif",
        "image/webp",
    ]
    assert all(" 480w, " in tag and "sizes=" in tag for tag in sources)
    img = re.search(r"<img [^>]*>", picture).group()
    for part in ('width="2000"', 'height="1000"', 'loading="lazy"', 'alt="损失曲线"', "sizes="):
        assert part in img
    srcset = re.search(r'srcset="([^"]*)"', img).group(1)
    assert srcset.endswith(f"{figure.url} 2000w") and " 480w, " in srcset
    assert re.search(r'src="[^"]*\.w1600\.png"', img)  # not the full original
    assert ImageUse.objects.filter(post=post, image=figure).exists()


def test_the_images_alt_text_stands_in_where_the_post_gives_none(make_post, figure):
    post = make_post(body=f"![]({figure.url})")
    assert 'alt="替代文字"' in post.body_html


def test_the_authors_own_width_is_kept_with_the_height_that_fits(make_post, figure):
    post = make_post(body=f"![图]({figure.url}){{ width=400 }}")
    assert 'width="400"' in post.body_html and 'height="200"' in post.body_html


def test_feeds_carry_kept_images_with_absolute_addresses(make_post, figure, client):
    make_post(body=f"![图]({figure.url})")
    for name in ("blog:feed_rss", "blog:feed_atom", "blog:feed_json"):
        feed = client.get(reverse(name)).content.decode()
        assert "<picture" not in feed and "&lt;picture" not in feed and "<source" not in feed
        assert f"http://testserver{figure.url}" in feed
        assert "http://testserver/media/images/" in feed and "480w" in feed
        assert 'srcset="/media' not in feed and "srcset=&quot;/media" not in feed
    parsed = feedparser.parse(client.get(reverse("blog:feed_atom")).content)
    assert not parsed.bozo


def test_an_image_a_post_stops_naming_is_no_longer_its_use(make_post, figure):
    post = make_post(body=f"![图]({figure.url})")
    assert list(figure.posts.all()) == [post]
    post.body = "没有图了。"
    publishing.save_post(post)
    assert list(figure.posts.all()) == []


# --- The image list -------------------------------------------------------------------------


def test_the_image_list_shows_each_image_and_where_it_is_used(admin_client, make_post, figure):
    post = make_post(title="带图的文章", body=f"![图]({figure.url})")
    page = admin_client.get(reverse("admin:blog_image_changelist")).content.decode()
    assert "figure.png" in page and "2000 × 1000" in page and post.title in page


def test_an_image_a_post_shows_cannot_be_deleted(admin_client, make_post, figure):
    make_post(title="带图的文章", body=f"![图]({figure.url})")
    delete = reverse("admin:blog_image_delete", args=[figure.pk])
    page = admin_client.get(delete).content.decode()
    assert "带图的文章" in page  # named as what protects it
    admin_client.post(delete, {"post": "yes"})
    assert Image.objects.filter(pk=figure.pk).exists()
    assert files_of(figure) == figure.stored_names()


def test_an_unused_image_is_deleted_with_its_files(admin_client, figure):
    names = figure.stored_names()
    delete = reverse("admin:blog_image_delete", args=[figure.pk])
    admin_client.post(delete, {"post": "yes"})
    assert not Image.objects.filter(pk=figure.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_the_alt_text_is_edited_in_the_image_list(admin_client, figure):
    change = reverse("admin:blog_image_change", args=[figure.pk])
    admin_client.post(change, {"alt": "新的替代文字"})
    figure.refresh_from_db()
    assert figure.alt == "新的替代文字"


# --- Imports --------------------------------------------------------------------------------


def test_an_imported_image_becomes_an_image_with_renditions(db, tmp_path, category):
    (tmp_path / "post.md").write_text(
        "---\ntitle: 导入\ncategory: 深度学习\n---\n![示意图](fig.png)\n", encoding="utf-8"
    )
    (tmp_path / "fig.png").write_bytes(png((1200, 600)))
    Importer().run([tmp_path / "post.md"])
    post = Post.objects.get(title="导入")
    image = Image.objects.get()
    assert image.file.name == f"posts/{post.slug}/fig.png"
    assert {r["width"] for r in image.renditions} == {480, 960, 1200}
    assert "<picture>" in post.body_html and "srcset=" in post.body_html
    assert list(image.posts.all()) == [post]
    Importer().run([tmp_path / "post.md"])  # again: the same image, nothing new
    assert Image.objects.count() == 1


def test_an_import_keeps_the_reference_to_a_file_that_is_not_an_image(db, tmp_path, category):
    (tmp_path / "post.md").write_text("---\ntitle: 假图\n---\n![x](fake.png)\n", encoding="utf-8")
    (tmp_path / "fake.png").write_bytes(b"not a picture at all")
    report = Importer().run([tmp_path / "post.md"])
    (result,) = report.results
    assert any("fake.png" in note for note in result.notes)
    assert Image.objects.count() == 0
    assert "fake.png" in Post.objects.get().body


def test_the_limit_is_one_rule(settings):
    from blog.importing import limits

    assert limits.MAX_IMAGE_BYTES == checks.MAX_IMAGE_BYTES


# --- Files that once broke an upload (review of this change) ----------------------------------


def kept_bytes(image):
    with default_storage.open(image.file.name) as kept:
        return kept.read()


def test_a_long_screenshot_is_kept_with_the_renditions_its_encoders_can_make(admin_client, url):
    answer = upload(admin_client, url, png((1170, 20000)), "long.png")
    assert answer.status_code == 201, answer.content
    image = Image.objects.get()
    made = {(r["width"], r["type"]) for r in image.renditions}
    assert (480, "image/webp") in made  # 480 × 8205: within WebP's 16,383
    assert (1170, "image/webp") not in made  # 1170 × 20000 is not


def test_a_truncated_animation_is_refused(admin_client, url):
    frames = [PILImage.new("RGB", (64, 64), (n * 40, 0, 0)) for n in range(5)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], comment=b"x")
    answer = upload(admin_client, url, out.getvalue()[:-40], "cut.gif")
    assert answer.status_code == 400 and "cut.gif" in answer.json()["error"]


def test_an_animation_of_too_many_pixels_in_all_is_refused_unread(admin_client, url):
    frames = [PILImage.new("1", (5000, 5000), n % 2) for n in range(6)]  # 150 MP in all
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    answer = upload(admin_client, url, out.getvalue(), "huge.gif")
    assert answer.status_code == 400 and "huge.gif" in answer.json()["error"]


def test_an_svg_with_an_absurd_size_is_kept_without_one(admin_client, url):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="' + b"9" * 400 + b'" height="9"/>'
    answer = upload(admin_client, url, svg, "wide.svg")
    assert answer.status_code == 201
    assert (Image.objects.get().width, Image.objects.get().height) == (0, 0)


def test_comments_in_jpeg_and_gif_are_taken_out(admin_client, url):
    photo = jpeg((40, 30), comment=b"taken at home, 39.9N 116.4E")
    image = Image.objects.get(pk=upload(admin_client, url, photo, "c.jpg").json()["id"])
    assert b"taken at home" not in kept_bytes(image)
    out = io.BytesIO()
    PILImage.new("RGB", (10, 10)).save(out, format="GIF", comment=b"taken at home")
    image = Image.objects.get(pk=upload(admin_client, url, out.getvalue(), "c.gif").json()["id"])
    assert b"taken at home" not in kept_bytes(image)


def test_a_jpeg_without_metadata_is_kept_byte_for_byte(admin_client, url):
    photo = jpeg((64, 48))
    image = Image.objects.get(pk=upload(admin_client, url, photo, "plain.jpg").json()["id"])
    assert kept_bytes(image) == photo


def test_a_sixteen_bit_grey_png_keeps_its_greys_in_the_renditions(admin_client, url):
    out = io.BytesIO()
    PILImage.new("I;16", (600, 300), 30000).save(out, format="PNG")
    image = Image.objects.get(pk=upload(admin_client, url, out.getvalue(), "g.png").json()["id"])
    small = next(r for r in image.renditions if r["type"] == "image/webp")
    with default_storage.open(small["name"]) as rendition:
        grey = PILImage.open(rendition).convert("L").getpixel((10, 10))
    assert 100 < grey < 140  # 30000 of 65535, not clipped to white


@pytest.mark.parametrize("mode", ["LA", "P", "CMYK", "1", "RGBA"])
def test_images_of_every_common_mode_get_renditions(admin_client, url, mode):
    kind = "JPEG" if mode == "CMYK" else "PNG"
    data = image_bytes(kind, (700, 350), 120 if mode in ("LA", "P", "1") else None, mode=mode)
    answer = upload(admin_client, url, data, f"m.{kind.lower()}")
    assert answer.status_code == 201, answer.content
    assert Image.objects.get().renditions


def test_a_cameras_mpo_jpeg_is_a_jpeg(admin_client, url):
    first, second = PILImage.new("RGB", (80, 60), "red"), PILImage.new("RGB", (80, 60), "blue")
    out = io.BytesIO()
    first.save(out, format="MPO", save_all=True, append_images=[second])
    answer = upload(admin_client, url, out.getvalue(), "camera.jpg")
    assert answer.status_code == 201, answer.content
    image = Image.objects.get()
    assert image.kind == "jpg"
    assert PILImage.open(io.BytesIO(kept_bytes(image))).format == "JPEG"


def test_an_avif_is_an_image_too(admin_client, url):
    answer = upload(admin_client, url, image_bytes("AVIF", (500, 250)), "a.avif")
    assert answer.status_code == 201, answer.content
    assert Image.objects.get().kind == "avif"


def test_images_stored_before_images_had_rows_are_adopted(db, make_post, tmp_path, capsys):
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    default_storage.save("posts/old/fig.png", ContentFile(png((1000, 500))))
    post = make_post(body="![旧图](/media/posts/old/fig.png)", summary="摘要。")
    assert "srcset" not in post.body_html and not Image.objects.exists()
    call_command("rerender_posts")
    image = Image.objects.get()
    assert image.file.name == "posts/old/fig.png" and image.width == 1000
    post.refresh_from_db()
    assert "srcset=" in post.body_html and list(image.posts.all()) == [post]
    assert "1 stored image(s)" in capsys.readouterr().out


def test_a_second_import_adopts_the_images_of_the_first(db, tmp_path, category):
    from django.core.files.base import ContentFile

    (tmp_path / "post.md").write_text("---\ntitle: 旧导入\n---\n![图](fig.png)\n", encoding="utf-8")
    (tmp_path / "fig.png").write_bytes(png((800, 400)))
    Importer().run([tmp_path / "post.md"])
    post = Post.objects.get()
    image = Image.objects.get()
    # As an import before this change left it: the file, without its row.
    names = image.stored_names()
    ImageUse.objects.all().delete()
    Image.objects.all().delete()
    for name in names[1:]:
        default_storage.delete(name)
    default_storage.delete(names[0])
    default_storage.save(names[0], ContentFile(png((800, 400))))
    Importer().run([tmp_path / "post.md"])
    adopted = Image.objects.get()
    assert adopted.file.name == names[0] and adopted.renditions
    post.refresh_from_db()
    assert list(adopted.posts.all()) == [post]
