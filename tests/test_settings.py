"""Production settings fail loudly without secrets, and redirect to HTTPS behind the proxy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from blog.middleware import HttpsRedirectMiddleware

ROOT = Path(__file__).resolve().parent.parent


def production_environment(**env):
    """This process's environment without any DJANGO_ variable of its own, with DEBUG off
    (the production settings) and `env`, for a subprocess."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update({"DJANGO_DEBUG": "0", **env})
    return environment


def check_production(**env):
    environment = production_environment(**env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "blog.example"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "x" * 50}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_a_required_variable(env, missing):
    result = check_production(**env)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_production_starts_with_its_variables():
    result = check_production(
        DJANGO_SECRET_KEY="Zq8-vN2_pL5xR7tW0yB3mK6cF9hJ1dS4gA8eU2iO5wQ7zX0-test-only-Hy4",
        DJANGO_ALLOWED_HOSTS="blog.example,127.0.0.1",
    )
    assert result.returncode == 0, result.stderr


def test_production_keeps_images_in_the_bucket_it_is_given():
    """BLOG_S3_BUCKET reaches the production settings (prod.py once replaced STORAGES whole)."""
    show = "from django.conf import settings; print(settings.STORAGES['default']['BACKEND'])"
    environment = production_environment(
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="blog.example",
        BLOG_S3_BUCKET="blog-images",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.strip().splitlines()[-1] == "storages.backends.s3.S3Storage", result.stderr
    environment.pop("BLOG_S3_BUCKET")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.strip().splitlines()[-1] == "django.core.files.storage.FileSystemStorage"


def respond(host, secure=False, enabled=True):
    factory = RequestFactory()
    extra = {"HTTP_X_FORWARDED_PROTO": "https"} if secure else {}
    request = factory.get("/posts/x/?page=2", HTTP_HOST=host, **extra)
    middleware = HttpsRedirectMiddleware(lambda r: HttpResponse("page"))
    with override_settings(
        BLOG_HTTPS_REDIRECT=enabled,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        ALLOWED_HOSTS=["*"],
    ):
        response = middleware(request)
    return response.content.decode() if response.status_code == 200 else response


def test_plain_http_through_the_proxy_is_redirected_to_https():
    response = respond("blog.example")
    assert response.status_code == 301
    assert response["Location"] == "https://blog.example/posts/x/?page=2"


def test_https_through_the_proxy_is_served():
    assert respond("blog.example", secure=True) == "page"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "[::1]:8000"])
def test_requests_to_the_machine_itself_are_not_redirected(host):
    assert respond(host) == "page"


def test_redirect_can_be_switched_off():
    assert respond("blog.example", enabled=False) == "page"


def test_cookies_to_the_machine_itself_over_http_are_not_secure_only():
    def view(request):
        response = HttpResponse("ok")
        response.set_cookie("sessionid", "x", secure=True)
        return response

    factory = RequestFactory()
    middleware = HttpsRedirectMiddleware(view)
    with override_settings(
        BLOG_HTTPS_REDIRECT=True,
        ALLOWED_HOSTS=["*"],
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    ):
        local = middleware(factory.get("/", HTTP_HOST="127.0.0.1:8000"))
        proxied = middleware(
            factory.get("/", HTTP_HOST="blog.example", HTTP_X_FORWARDED_PROTO="https")
        )
    assert local.cookies["sessionid"]["secure"] == ""
    assert proxied.cookies["sessionid"]["secure"] is True


DEVELOPMENT_VISIT = """
import json
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
call_command("migrate", verbosity=0)
setup_test_environment()  # the test Client's template hooks; DEBUG stays as the settings say
from django.conf import settings
client = Client(raise_request_exception=False)
missing = client.get("/no-such-page/", HTTP_HOST="127.0.0.1")
css = client.get("/static/css/site.css", HTTP_HOST="127.0.0.1")
print(json.dumps({
    "debug": settings.DEBUG,
    "status": missing.status_code,
    "page": missing.content.decode(),
    "css": css.status_code,
}))
"""


def visit_in_development(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BLOG_"))}
    environment.update(
        DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'dev.sqlite3'}", **env
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", DEVELOPMENT_VISIT],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def test_make_run_shows_the_sites_own_404_and_serves_its_static_files(tmp_path):
    seen = visit_in_development(tmp_path)
    assert seen["debug"] is False
    assert seen["status"] == 404
    assert "页面不存在" in seen["page"] and 'class="site-search"' in seen["page"]
    assert "DEBUG = True" not in seen["page"]
    assert seen["css"] == 200


def test_django_debug_pages_only_when_asked_for(tmp_path):
    seen = visit_in_development(tmp_path, BLOG_DEBUG_PAGES="1")
    assert seen["debug"] is True
    assert seen["status"] == 404 and "DEBUG = True" in seen["page"]
