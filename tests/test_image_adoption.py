"""Files kept before images had rows, made images of the blog (adopted) by rerender_posts and by
a second import: cleaned as an upload is, never from outside the storage or of a rendition,
nothing left behind when an import rolls back; and what an image's alt text changes."""

import contextlib
import errno
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from PIL import Image as PILImage

from blog import publishing
from blog.images.storing import adopt, store
from blog.importing import Importer
from blog.models import Image, ImageUse, Post
from tests.pictures import png

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def camera_jpeg(size=(120, 60)):
    """A phone's photograph: sideways (orientation 6) with the place it was taken."""
    image = PILImage.new("RGB", size, (30, 120, 200))
    exif = PILImage.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 5.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_an_adopted_photograph_is_turned_upright_and_loses_its_location(db, make_post):
    default_storage.save("posts/trip/photo.jpg", ContentFile(camera_jpeg()))
    post = make_post(body="![旅途](/media/posts/trip/photo.jpg)", summary="摘要。")
    call_command("rerender_posts")
    image = Image.objects.get()
    assert (image.width, image.height) == (60, 120)  # as it is shown: upright
    with default_storage.open("posts/trip/photo.jpg") as kept:
        data = kept.read()
    picture = PILImage.open(io.BytesIO(data))
    assert picture.size == (60, 120)
    assert not picture.getexif().get_ifd(GPS_IFD) and picture.getexif().get(ORIENTATION, 1) == 1
    assert image.size == len(data)
    post.refresh_from_db()
    assert 'height="120"' in post.body_html and 'width="60"' in post.body_html


@pytest.mark.parametrize("address", ["/media/../outside.png", "/media/a%00b.png"])
def test_an_address_outside_the_storage_is_never_adopted(db, make_post, address, capsys):
    make_post(body=f"![图]({address})", summary="摘要。")
    call_command("rerender_posts")  # once a SuspiciousFileOperation or a ValueError
    assert not Image.objects.exists()
    assert "1 post(s) rendered" in capsys.readouterr().out


def test_a_rendition_named_by_a_post_is_not_adopted_as_an_image(db, make_post, admin_user):
    image, _new = store(png((1200, 600)), "wide.png", alt="宽图", user=admin_user)
    rendition = image.renditions[0]["name"]
    make_post(body=f"![小图](/media/{rendition})", summary="摘要。")
    call_command("rerender_posts")
    assert list(Image.objects.all()) == [image]


def test_a_rendition_the_storage_renamed_is_not_adopted_either(db, make_post, admin_user):
    # Files already at the renditions' names make the storage add to theirs (fig.w480_AbC.webp).
    plain = {f"posts/x/fig.w{w}.{kind}" for w in (480, 960) for kind in ("webp", "avif", "png")}
    for name in plain:
        default_storage.save(name, ContentFile(b"taken"))
    image, _new = store(png((1200, 600)), "fig.png", user=admin_user, name="posts/x/fig.png")
    renamed = [r["name"] for r in image.renditions if r["name"] not in plain]
    assert renamed
    make_post(body="".join(f"![小图](/media/{name})\n\n" for name in renamed), summary="摘要。")
    call_command("rerender_posts")
    assert list(Image.objects.all()) == [image]


class FillsUp(FileSystemStorage):
    """A disk that fills up part of the way through the next `failures` writes of `name`."""

    def __init__(self, name, **kwargs):
        super().__init__(**kwargs)
        self.full_at, self.failures = name, 0

    def _save(self, name, content):
        if name == self.full_at and self.failures:
            self.failures -= 1
            Path(self.path(name)).write_bytes(content.read()[:100])
            raise OSError(errno.ENOSPC, "No space left on device")
        return super()._save(name, content)


@pytest.fixture
def photo_on_a_filling_disk(tmp_path):
    """(the storage, the photograph it holds at trip/photo.jpg, as it was written)."""
    storage = FillsUp("trip/photo.jpg", location=tmp_path)
    original = camera_jpeg((1200, 600))
    storage.save("trip/photo.jpg", ContentFile(original))
    return storage, original


def test_a_disk_full_while_an_adopted_file_is_written_again_keeps_the_original(
    db, tmp_path, photo_on_a_filling_disk
):
    storage, original = photo_on_a_filling_disk
    storage.failures = 1
    assert adopt("trip/photo.jpg", storage) is None
    assert (tmp_path / "trip" / "photo.jpg").read_bytes() == original
    assert [path.name for path in (tmp_path / "trip").iterdir()] == ["photo.jpg"]
    assert not Image.objects.exists()


def test_when_not_even_the_original_can_be_written_back_it_is_kept_aside(
    db, tmp_path, caplog, photo_on_a_filling_disk
):
    storage, original = photo_on_a_filling_disk
    storage.failures = 2
    assert adopt("trip/photo.jpg", storage) is None
    assert (tmp_path / "trip" / "photo.jpg.original").read_bytes() == original
    assert "trip/photo.jpg.original" in caplog.text
    assert not Image.objects.exists()


def _as_before_rows(tmp_path):
    """An import's post and image, as an import before images had rows left them: the file
    without its row (or renditions)."""
    (tmp_path / "post.md").write_text("---\ntitle: 旧导入\n---\n![图](fig.png)\n", encoding="utf-8")
    (tmp_path / "fig.png").write_bytes(png((1000, 500)))
    Importer().run([tmp_path / "post.md"])
    names = Image.objects.get().stored_names()
    ImageUse.objects.all().delete()
    Image.objects.all().delete()
    for name in names:
        default_storage.delete(name)
    default_storage.save(names[0], ContentFile(png((1000, 500))))
    return names


def test_an_import_rolled_back_leaves_no_renditions_of_what_it_adopted(
    db, tmp_path, category, monkeypatch
):
    names = _as_before_rows(tmp_path)
    (tmp_path / "post.md").write_text("---\ntitle: 改过的\n---\n![图](fig.png)\n", encoding="utf-8")

    def fails(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(publishing, "save_post", fails)
    with contextlib.suppress(RuntimeError):
        Importer().run([tmp_path / "post.md"])
    assert not Image.objects.exists()
    assert [name for name in names if default_storage.exists(name)] == names[:1]
    folder = names[0].rsplit("/", 1)[0]
    assert default_storage.listdir(folder)[1] == [names[0].rsplit("/", 1)[1]]


def test_an_edit_saved_during_a_rerender_keeps_its_own_image_uses(
    db, make_post, admin_user, monkeypatch
):
    image, _new = store(png((300, 200)), "a.png", alt="图", user=admin_user)
    post = make_post(body=f"![图]({image.url})", summary="摘要。")
    assert ImageUse.objects.filter(post=post).exists()
    render = Post.render

    def edited_meanwhile(self):
        render(self)
        # The author saves a text without the image while this post is being rendered.
        Post.objects.filter(pk=self.pk).update(body="不再有图。")
        ImageUse.objects.filter(post_id=self.pk).delete()

    monkeypatch.setattr(Post, "render", edited_meanwhile)
    publishing.rerender(Post.objects.filter(pk=post.pk))
    assert not ImageUse.objects.filter(post=post).exists()


def test_alt_text_given_by_a_second_upload_reaches_the_pages(db, make_post, admin_user):
    data = png((300, 200))
    image, _new = store(data, "a.png", user=admin_user)
    post = make_post(body=f"![]({image.url})", summary="摘要。")
    assert 'alt=""' in post.body_html
    again, created = store(data, "a.png", alt="第二次上传时写的说明", user=admin_user)
    assert again == image and not created
    post.refresh_from_db()
    assert 'alt="第二次上传时写的说明"' in post.body_html


def test_a_body_naming_many_stored_files_asks_the_storage_a_few_times(db, make_post, monkeypatch):
    from blog import models
    from blog.models import media

    asked = []
    stored = media.stored
    monkeypatch.setattr(media, "stored", lambda *args: asked.append(args) or stored(*args))
    body = "\n\n".join(f"![图 {n}](/media/posts/many/{n}.png)" for n in range(40))
    post = make_post(body=body, summary="摘要。")
    assert 0 < len(asked) <= models.MAX_STORAGE_LOOKUPS
    missing = [row for row in post.problems if row[0] == "image_missing"]
    assert len(missing) == models.MAX_STORAGE_LOOKUPS
