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
        local = False
        if not request.is_secure():
            host = request.get_host()
            domain, _port = split_domain_port(host)
            local = domain.strip("[]") in LOOPBACK_HOSTS
            if not local and getattr(settings, "BLOG_HTTPS_REDIRECT", False):
                return HttpResponsePermanentRedirect(f"https://{host}{request.get_full_path()}")
        response = self.get_response(request)
        if local:
            for morsel in response.cookies.values():
                morsel["secure"] = ""
        return response
