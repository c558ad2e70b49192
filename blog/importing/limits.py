"""How much an import may cost: what is refused before it is read whole (issue 10, findings 8
and 9). Each bound is checked against what a file or an archive declares first, then against
what reading it actually gives, since a header can lie."""

from django.core.exceptions import ValidationError

from ..images.checks import MAX_IMAGE_BYTES  # noqa: F401 (the one rule, for the importer)
from ..rendering.limits import max_article_bytes, validate_article_bytes
from .frontmatter import MAX_FRONT_MATTER_BYTES, ImportProblem

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 5000
# Markdown deflates to about a third; far past that is a bomb, not a blog. Small members are
# let through whatever their ratio (a file of blank lines), as they cannot cost much.
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
# Most file systems refuse a longer name (per component, in bytes).
MAX_NAME_BYTES = 255
# A whole path: well within the 4,096 bytes Linux allows, and few folders (each member's
# folders are checked against the other members' names).
MAX_PATH_BYTES, MAX_DEPTH = 2048, 64
MAX_POST_IMAGE_BYTES = 100 * 1024 * 1024
CHUNK = 64 * 1024


def check_article(size):
    """The rendering's own rule (blog.rendering.limits), so the editor and the importer refuse
    the same articles; said as a report line."""
    try:
        validate_article_bytes(size)
    except ValidationError as exc:
        raise ImportProblem(" ".join(exc.messages)) from exc


def markdown_file_limit():
    """The largest Markdown file worth opening: an article and its front matter."""
    return max_article_bytes() + MAX_FRONT_MATTER_BYTES


def check_markdown_file(size):
    if size > markdown_file_limit():
        check_article(size)


def read_bounded(stream, limit, what):
    """At most `limit` bytes from `stream`, read in chunks; more is an ImportProblem."""
    parts, size = [], 0
    while chunk := stream.read(min(CHUNK, limit + 1 - size)):
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise ImportProblem(f"{what} is larger than {limit:,} bytes")
    return b"".join(parts)
