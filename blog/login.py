"""Login throttling: the pieces django-axes asks the site for (settings AXES_* in base.py).

Which address a request came from, what a successful login forgives, and the page a refused
login gets.
"""

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _valid(address):
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request):
    """The address failures are counted against.

    REMOTE_ADDR, unless settings.BLOG["TRUSTED_PROXIES"] says how many proxies of our own
    stand in front: each appends the address it was reached from to X-Forwarded-For, so the
    client is that many entries from the right. Entries further left are whatever the client
    chose to send, and trusting them would let every guess come from a new address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.BLOG["TRUSTED_PROXIES"]
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(forwarded) >= proxies:
            # A malformed entry is not stored (the column is an address): the proxy's own
            # address is counted instead, which errs towards locking, not towards letting in.
            return _valid(forwarded[-proxies]) or _valid(remote)
    return _valid(remote)


# AccessAttempt.username is 255 characters: a longer name (no account has one) was a 500 on
# PostgreSQL, which refuses what SQLite stores. NUL is refused by PostgreSQL in any text.
USERNAME_LENGTH = 255


def attempted_username(request, credentials=None):
    """The name a login attempt is counted under: as typed, cut to what the log can hold."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    name = source.get(settings.AXES_USERNAME_FORM_FIELD) if source else None
    if name is None:
        return None
    return str(name).replace("\0", "")[:USERNAME_LENGTH]


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler, with a narrower pardon on success.

    Axes forgives every failure matching any lockout parameter: all failures from the
    address and all failures on the account. Then a staff member who may log in could wipe
    the count of the address they guess other accounts from, and the count of the account
    they guess, by logging into their own account between guesses. Here a success forgives
    only the failures of that account from that address: someone who mistyped their own
    password starts afresh, and no one else's count moves.
    """

    def reset_user_attempts(self, request, credentials=None):
        count, _deleted = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count


def lockout_response(request, original_response=None, credentials=None):
    """The admin's login page with the reason the login was refused (status 429)."""
    minutes = int(get_cool_off(request).total_seconds() // 60)
    next_url = request.POST.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    context = {
        **admin.site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "form": AdminAuthenticationForm(request),
        REDIRECT_FIELD_NAME: next_url,
        "lockout_message": ngettext(
            "Too many failed logins for this account or from this address. Logging in is "
            "refused for %(minutes)d minute after the last attempt; try again later.",
            "Too many failed logins for this account or from this address. Logging in is "
            "refused for %(minutes)d minutes after the last attempt; try again later.",
            minutes,
        )
        % {"minutes": minutes},
    }
    return render(
        request,
        "admin/login_locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
