"""Headers every response carries, whichever layer answered it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import include, path

from blog.middleware import PermissionsPolicyMiddleware, permissions_policy_header
from tests.test_settings import check_production, production_environment

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "Zq8-vN2_pL5xR7tW0yB3mK6cF9hJ1dS4gA8eU2iO5wQ7zX0-test-only-Hy4"
DENIED = ["camera", "microphone", "geolocation", "payment", "usb", "interest-cohort"]


def broken_view(request):
    raise RuntimeError("a bug")


# This module doubles as a URLconf that adds a view failing with a 500 to the site's own.
urlpatterns = [path("broken/", broken_view), path("", include("site_config.urls"))]


def assert_denies_powerful_features(response):
    policy = response.headers.get("Permissions-Policy", "")
    for feature in DENIED:
        assert f"{feature}=()" in policy, (response.status_code, policy)


def test_the_policy_is_written_as_browsers_parse_it():
    header = permissions_policy_header({"camera": [], "fullscreen": ["self"]})
    assert header == "camera=(), fullscreen=(self)"


@pytest.mark.parametrize(
    "url",
    ["/", "/archive/", "/feed/", "/feed/atom/", "/sitemap.xml", "/robots.txt", "/no-such-page/"],
)
def test_public_responses_deny_powerful_features(client, make_post, url):
    make_post(title="一篇文章")
    assert_denies_powerful_features(client.get(url))


def test_the_article_and_its_304_deny_powerful_features(client, make_post):
    post = make_post(title="一篇文章")
    page = client.get(post.get_absolute_url())
    assert page.status_code == 200
    assert_denies_powerful_features(page)
    feed = client.get("/feed/")
    again = client.get("/feed/", HTTP_IF_NONE_MATCH=feed["ETag"])
    assert again.status_code == 304
    assert_denies_powerful_features(again)


def test_admin_pages_deny_powerful_features(client, admin_client):
    assert_denies_powerful_features(client.get("/admin/login/"))
    assert_denies_powerful_features(client.get("/admin/"))  # the redirect to the login
    assert_denies_powerful_features(admin_client.get("/admin/blog/post/"))


def test_media_responses_deny_powerful_features(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert_denies_powerful_features(client.get("/media/figure.png"))
    assert_denies_powerful_features(client.get("/media/missing.png"))


@override_settings(ROOT_URLCONF=__name__)
def test_server_errors_deny_powerful_features(client, db):
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    assert_denies_powerful_features(response)


def test_a_header_a_view_set_itself_is_kept(rf):
    def view(request):
        response = HttpResponse("embeds a map")
        response["Permissions-Policy"] = "geolocation=(self)"
        return response

    response = PermissionsPolicyMiddleware(view)(rf.get("/"))
    assert response["Permissions-Policy"] == "geolocation=(self)"


PRODUCTION_RESPONSES = """
import json
import django
from django.test import Client

django.setup()
client = Client()
answers = {
    "static": client.get("/static/favicon.svg", secure=True),
    "https redirect": client.get("/", HTTP_HOST="blog.example"),
}
print(json.dumps({
    name: [r.status_code, r.headers.get("Permissions-Policy", "")] for name, r in answers.items()
}))
"""


def test_production_static_files_and_redirects_deny_powerful_features():
    """In production WhiteNoise and the HTTPS redirect answer before any view: the header
    must come from outside them, in the production middleware order."""
    environment = production_environment(
        DJANGO_SETTINGS_MODULE="site_config.settings.prod",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="blog.example,testserver",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_RESPONSES],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["static"][0] == 200
    assert answers["https redirect"][0] == 301
    for status, policy in answers.values():
        for feature in DENIED:
            assert f"{feature}=()" in policy, (status, policy)


def check_deploy(**env):
    result = check_production(
        DJANGO_SECRET_KEY=SECRET_KEY, DJANGO_ALLOWED_HOSTS="blog.example", **env
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "silenced"),
    [
        # The redirect is blog.middleware's (W008); preload is the domain owner's call (W021).
        ({}, 2),
        ({"DJANGO_HSTS_PRELOAD": "1"}, 1),
    ],
)
def test_production_passes_the_deployment_checks_silencing_only_what_is_met(env, silenced):
    status, output = check_deploy(**env)
    assert status == 0, output
    assert f"identified no issues ({silenced} silenced)" in output


def test_without_the_https_redirect_the_deployment_check_warns_again():
    status, output = check_deploy(DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_HSTS_PRELOAD="1")
    assert status != 0
    assert "security.W008" in output


def test_cookies_to_the_machine_itself_over_http_are_kept_with_the_redirect_off(rf):
    from blog.middleware import HttpsRedirectMiddleware

    def view(request):
        response = HttpResponse("ok")
        response.set_cookie("sessionid", "x", secure=True)
        response.set_cookie("csrftoken", "y", secure=True)
        return response

    with override_settings(BLOG_HTTPS_REDIRECT=False, ALLOWED_HOSTS=["*"]):
        response = HttpsRedirectMiddleware(view)(
            rf.get("/admin/login/", HTTP_HOST="127.0.0.1:8000")
        )
        public = HttpsRedirectMiddleware(view)(rf.get("/", HTTP_HOST="blog.example"))
    assert response.cookies["sessionid"]["secure"] == ""
    assert response.cookies["csrftoken"]["secure"] == ""
    assert public.cookies["sessionid"]["secure"] is True


@pytest.fixture
def collected(tmp_path):
    """A STATIC_ROOT as collectstatic leaves it: originals, hashed copies, the manifest."""
    for name in ["css/site.css", "css/site.0123456789ab.css", "admin/js/jquery.init.js"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("/* */")
    manifest = {
        "version": "1.1",
        "hash": "x",
        "paths": {
            "css/site.css": "css/site.0123456789ab.css",
            "admin/js/jquery.init.js": "admin/js/jquery.init.0123456789ab.js",
        },
    }
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return tmp_path


def storage_errors(location, names, caplog):
    from blog.storage import StaticStorage

    storage = StaticStorage(location=location)
    caplog.clear()
    with caplog.at_level("ERROR", logger="blog.storage"):
        urls = [storage.url(name) for name in names]
    return urls, [record.getMessage() for record in caplog.records]


def test_whitenoise_probes_for_unhashed_names_log_no_error(collected, caplog):
    # What WhiteNoise asks at start for admin/js/jquery.init.js: no such file, rightly.
    urls, errors = storage_errors(collected, ["css/site.css", "admin/js/jquery.js"], caplog)
    assert urls[0].endswith("css/site.0123456789ab.css")
    assert errors == []


def test_a_collected_file_the_manifest_lacks_is_reported(collected, caplog):
    (collected / "css/new.css").write_text("/* added since collectstatic */")
    urls, errors = storage_errors(collected, ["css/new.css"], caplog)
    assert urls == ["/static/css/new.css"]
    assert len(errors) == 1 and "collectstatic" in errors[0]


def test_a_missing_manifest_is_reported(tmp_path, caplog):
    urls, errors = storage_errors(tmp_path, ["css/site.css"], caplog)
    assert urls == ["/static/css/site.css"]
    assert len(errors) == 1 and "collectstatic" in errors[0]
