"""The admin's front door: where it is, and how many wrong passwords it takes."""

from importlib import reload

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import clear_url_caches, reverse

import site_config.urls
from site_config.settings.base import _admin_path


@pytest.fixture
def admin_at(settings):
    """Moves the admin as BLOG_ADMIN_PATH would, by rebuilding the URLconf."""
    original = settings.BLOG

    def move(prefix):
        settings.BLOG = {**original, "ADMIN_PATH": _admin_path(prefix)}
        clear_url_caches()
        reload(site_config.urls)

    yield move
    settings.BLOG = original
    clear_url_caches()
    reload(site_config.urls)


def test_the_admin_moves_with_its_setting(client, admin_client, admin_at):
    admin_at("/editors-desk")
    assert reverse("admin:index") == "/editors-desk/"
    assert client.get("/editors-desk/login/").status_code == 200
    assert client.get("/admin/login/").status_code == 404
    # The admin's own links and its login redirect follow it.
    redirect = client.get("/editors-desk/blog/post/")
    assert redirect["Location"].startswith("/editors-desk/login/")
    assert 'href="/editors-desk/blog/post/' in admin_client.get("/editors-desk/").content.decode()


def test_the_admin_path_cannot_be_the_site_root():
    with pytest.raises(ImproperlyConfigured, match="BLOG_ADMIN_PATH"):
        _admin_path(" / ")


def test_the_demo_loader_names_the_admin_where_it_is(db, settings, admin_at):
    from io import StringIO

    from django.core.management import call_command

    admin_at("editors-desk/")
    settings.DEBUG = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Admin login for /editors-desk/" in out.getvalue()
