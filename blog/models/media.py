"""The media storage as posts and images ask it: its base address, and whether an address of
this site names a file it holds."""

from urllib.parse import unquote, urlsplit

from django.core.exceptions import SuspiciousFileOperation


def storage():
    from django.core.files.storage import default_storage

    return default_storage


def stored(storage, name):
    try:
        return storage.exists(name)
    except (SuspiciousFileOperation, ValueError, OSError):  # ../ out of the folder, a NUL
        return False


def of_this_site(src):
    try:
        parts = urlsplit(src)
    except ValueError:  # "http://[::1": an address of no site, this one's neither
        return False
    return not (parts.scheme or parts.netloc or src.startswith(("#", "data:")))


def static_file_exists(name):
    from django.contrib.staticfiles import finders

    name = unquote(name.partition("?")[0].partition("#")[0])
    try:
        return bool(name) and finders.find(name) is not None
    except SuspiciousFileOperation:  # ../ out of the static folders: no file of ours
        return False


def media_base_url():
    """The media storage's base address, for callers outside this module."""
    return base_url(storage())


def base_url(storage):
    """The address every stored name is appended to ("/media/", or the bucket's). Asked of
    a name, not of "": S3's storage refuses an empty key."""
    url = storage.url("_")
    return url[:-1] if url.endswith("_") else ""
