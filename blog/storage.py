import logging
from urllib.parse import urlsplit

from django.core.exceptions import SuspiciousFileOperation
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
            if self._collectstatic_is_behind(name):
                logger.error(
                    "Static file %r is not in the manifest: run `python manage.py collectstatic`.",
                    name,
                )
            return FileSystemStorage.url(self, name)

    def _collectstatic_is_behind(self, name):
        """Whether a name missing from the manifest means collectstatic needs running.

        WhiteNoise, at every start, asks for names that are no file at all, to learn which
        files carry a hash: `admin/js/jquery.init.js` looks like `jquery` hashed `init`, so it
        asks for `admin/js/jquery.js`, which is rightly missing. Only a missing manifest, or a
        collected file the manifest does not know, is worth an error.
        """
        if not self.hashed_files:
            return True
        try:
            return self.exists(urlsplit(name).path)
        except (SuspiciousFileOperation, OSError, ValueError):  # a name no file could have
            return False
