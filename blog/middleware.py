from django.conf import settings
from django.http import HttpResponsePermanentRedirect
from django.http.request import split_domain_port

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def permissions_policy_header(policy):
    """`{"camera": [], "fullscreen": ["self"]}` -> `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in policy.items())


class PermissionsPolicyMiddleware:
    """Puts settings.PERMISSIONS_POLICY on every response, as a header Django has no setting for.

    It is outside every layer but the page cache (which keeps what it adds), so that what the
    layers inside answer on their own (static files from WhiteNoise, redirects, error pages)
    carries it too.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class HttpsRedirectMiddleware:
    """Sends plain-HTTP requests to HTTPS, except those addressed to this machine itself.

    A request to 127.0.0.1 or localhost never passed the public proxy: it is a health check
    or someone on the box, and gunicorn has no HTTPS port to send it to. For the same
    reason its cookies drop the Secure flag, as browsers already treat loopback as secure;
    without that, an admin login over http://127.0.0.1 could never keep its session. That
    holds with the redirect switched off too (DJANGO_SECURE_SSL_REDIRECT=0).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if must_redirect(request):
            return HttpResponsePermanentRedirect(
                f"https://{request.get_host()}{request.get_full_path()}"
            )
        response = self.get_response(request)
        if not request.is_secure() and is_loopback(request):
            for morsel in response.cookies.values():
                morsel["secure"] = ""
        return response


def is_loopback(request):
    domain, _port = split_domain_port(request.get_host())
    return domain.strip("[]") in LOOPBACK_HOSTS


def must_redirect(request):
    """Whether HttpsRedirectMiddleware sends this request to HTTPS (blog.pagecache leaves
    such a request to it)."""
    return (
        getattr(settings, "BLOG_HTTPS_REDIRECT", False)
        and not request.is_secure()
        and not is_loopback(request)
    )
