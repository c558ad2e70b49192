"""Images in an S3-compatible bucket, over the wire: moto's standalone server started on
127.0.0.1 for these tests, the blog's storage configured as BLOG_S3_BUCKET configures it
(django-storages' S3Storage), an upload through the admin, the renditions in the bucket,
the article's addresses pointing there, and the bytes served back by the bucket."""

import io
import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage

from blog.models import Image
from tests.pictures import png

boto3 = pytest.importorskip("boto3", reason="the s3 extra is not installed (pip install '.[dev]')")
pytest.importorskip("moto", reason="moto is not installed (pip install '.[dev]')")

BUCKET = "blog-images"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("moto's server did not start")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket(s3_server, settings, monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    # Readers fetch images straight from the bucket (README, Images): it must let them.
    client.put_bucket_policy(
        Bucket=BUCKET,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{BUCKET}/*",
                    }
                ],
            }
        ),
    )
    # As site_config.settings.base configures it from BLOG_S3_BUCKET and friends.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "querystring_auth": False,
                "file_overwrite": False,
                "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
            },
        },
    }
    yield client
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client):
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_an_upload_lands_in_the_bucket_with_its_renditions(bucket, s3_server, admin_client):
    answer = admin_client.post(
        reverse("admin:blog_image_upload"),
        {"file": SimpleUploadedFile("曲线.png", png((1000, 500)))},
    )
    assert answer.status_code == 201
    image = Image.objects.get(pk=answer.json()["id"])
    assert keys(bucket) == sorted(image.stored_names())
    assert len(image.stored_names()) == 9  # the file, 480 and 960 px in 3 formats, 1000 in 2
    url = answer.json()["url"]
    assert url.startswith(f"{s3_server}/{BUCKET}/images/")
    head = bucket.head_object(Bucket=BUCKET, Key=image.file.name)
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["ContentType"] == "image/png"
    with urllib.request.urlopen(url) as served:  # readers get it from the bucket
        assert PILImage.open(io.BytesIO(served.read())).size == (1000, 500)


def test_an_article_points_at_the_bucket(bucket, s3_server, make_post, admin_user):
    from blog.images.storing import store

    image, _new = store(png((1000, 500)), "fig.png", user=admin_user)
    post = make_post(body=f"![图]({image.url})", summary="一张图。")
    assert f'src="{s3_server}/{BUCKET}/images/' in post.body_html
    assert f"{s3_server}/{BUCKET}/images/" in post.body_html.split("srcset=")[1]
    assert 'width="1000"' in post.body_html and "<picture>" in post.body_html
    assert list(image.posts.all()) == [post]
    assert post.problems == []


def test_a_refused_file_leaves_nothing_in_the_bucket(bucket, admin_client):
    answer = admin_client.post(
        reverse("admin:blog_image_upload"),
        {"file": SimpleUploadedFile("x.png", b"not an image")},
    )
    assert answer.status_code == 400
    assert keys(bucket) == []
    assert default_storage.__class__.__name__ == "S3Storage"


def test_deleting_an_unused_image_removes_its_objects(bucket, admin_client, admin_user):
    from blog.images.storing import store

    image, _new = store(png((600, 300)), "gone.png", user=admin_user)
    assert keys(bucket)
    admin_client.post(reverse("admin:blog_image_delete", args=[image.pk]), {"post": "yes"})
    assert keys(bucket) == []
