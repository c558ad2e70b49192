"""Uploaded and imported files, served by Django itself when BLOG["SERVE_MEDIA"] is on (enough
for one machine; the README says what a proxy serving /media/ instead must add).

A file is never a page: every answer carries `nosniff` and a policy of `default-src 'none'`
in place of the site's, and only raster images are shown inline. Anything else, SVG first
(it may hold script and event handlers), is sent as an attachment, which an <img> still
displays but a browser never opens as a document of this origin (issue 10, finding 7).
"""

import mimetypes
import stat
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.utils._os import safe_join
from django.utils.csp import CSP
from django.utils.http import http_date
from django.views.decorators.csp import csp_override
from django.views.static import was_modified_since

from .language import site_language_only
from .readonly import read_only

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"})
MEDIA_POLICY = {"default-src": [CSP.NONE]}


@site_language_only
@read_only
@csp_override(MEDIA_POLICY)
def serve_media(request, path):
    # safe_join refuses a path that leaves MEDIA_ROOT (400, as a suspicious operation).
    fullpath = Path(safe_join(settings.MEDIA_ROOT, path))
    try:
        status = fullpath.stat()
        if not stat.S_ISREG(status.st_mode):
            raise Http404("Not a file.")
        if not was_modified_since(request.headers.get("If-Modified-Since"), status.st_mtime):
            response = HttpResponseNotModified()
        else:
            response = file_response(fullpath)
    except (OSError, ValueError) as exc:
        # Missing, unreadable, a name longer than the file system allows (ENAMETOOLONG), a
        # NUL in it: whatever the path, the reader's answer is that there is no such file.
        raise Http404("No such file.") from exc
    response["Last-Modified"] = http_date(status.st_mtime)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def file_response(fullpath):
    content_type, encoding = mimetypes.guess_type(fullpath.name)
    if encoding or not content_type:
        # x.svg.gz is not an image to show: a compressed file is a download.
        content_type = "application/octet-stream"
    return FileResponse(
        fullpath.open("rb"),
        content_type=content_type,
        as_attachment=content_type not in INLINE_TYPES,
        filename=fullpath.name,
    )
