import logging

from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files from `collectstatic`, served with far-future headers.

    If `collectstatic` was forgotten, pages still render (with unhashed URLs that WhiteNoise
    cannot find, hence a loud log line) instead of every page failing with a 500.
    """

    def url(self, name, force=False):
        try:
            return super().url(name, force)
        except ValueError:
            logger.error(
                "Static file %r is not in the manifest: run `python manage.py collectstatic`.",
                name,
            )
            return FileSystemStorage.url(self, name)
