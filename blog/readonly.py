"""What a public address answers to methods: GET and HEAD, and 405 (with `Allow: GET, HEAD`)
to anything else, OPTIONS and TRACE included (issue 10, finding 11)."""

from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe


def read_only(view):
    """`view` answering GET and HEAD only. It is exempt from the CSRF check, which guards
    handlers that change something: these have none, and a POST should hear 405, not 403."""
    return csrf_exempt(require_safe(view))
