"""Request hygiene shared by every page: answers that no cache may keep, and parameters that
no database can take."""

from django.conf import settings
from django.http import Http404
from django.utils.cache import patch_cache_control
from django.views.defaults import bad_request, page_not_found

from pti.views import server_error


class PrivateResponseMiddleware:
    """Every answer of the application (pages, htmx fragments, exports, PDFs) carries
    `Cache-Control: no-store, private`: it may hold personal data, and neither the browser's
    cache nor a proxy may keep it (CNIL, ANSSI). Static files are served before this
    middleware (whitenoise) and stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        return response


class RejectNulCharactersMiddleware:
    """A NUL character in the path or a parameter (`?etat=%00`) is a 400 « Requête
    incorrecte » page: no database stores it (PostgreSQL refuses it in a text), and no field
    of the application may hold it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._carries_nul(request):
            return bad_request(request, ValueError("NUL character in the request"))
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request):
        if "\x00" in request.path:
            return True
        parameters = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            parameters.append(request.POST)
        return any(
            "\x00" in key or any("\x00" in value for value in values)
            for query in parameters
            for key, values in query.lists()
        )


class FrenchErrorPagesMiddleware:
    """In debug mode (`make run`), the 404 and 500 answers are the application's French
    pages, as on a server, instead of Django's English technical pages: a demonstration or a
    user trying the product sees what they will see in production. A developer who wants the
    traceback in the browser sets `PTI_TECHNICAL_ERROR_PAGES=true`. Without debug mode this
    middleware does nothing (Django already answers with `404.html` and `handler500`).

    The technical pages are recognised by the robots tag Django writes in both of them; the
    error itself is still logged by Django before this middleware sees the answer."""

    TECHNICAL_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'

    def __init__(self, get_response):
        self.get_response = get_response
        self.active = settings.DEBUG and not settings.PTI_TECHNICAL_ERROR_PAGES

    def __call__(self, request):
        response = self.get_response(request)
        if not self.active or response.status_code not in (404, 500) or response.streaming:
            return response
        if self.TECHNICAL_PAGE_MARK not in response.content:
            return response
        if response.status_code == 404:
            return page_not_found(request, Http404())
        return server_error(request)
