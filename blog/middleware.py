from django.conf import settings
from django.http import HttpResponsePermanentRedirect
from django.http.request import split_domain_port

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class HttpsRedirectMiddleware:
    """Sends plain-HTTP requests to HTTPS, except those addressed to this machine itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "BLOG_HTTPS_REDIRECT", False) and not request.is_secure():
            host = request.get_host()
            domain, _port = split_domain_port(host)
            if domain.strip("[]") not in LOOPBACK_HOSTS:
                return HttpResponsePermanentRedirect(f"https://{host}{request.get_full_path()}")
        return self.get_response(request)
