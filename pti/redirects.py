"""Where a form may send the user back: only to a page of this site."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default):
    """The `next` parameter of the request (posted, else in the query string) when it is a URL
    of this site (same host, and HTTPS when the request is), else `default`. Every view that
    reads `next` goes through here: an open redirection would send a user who trusts the
    application to any site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
