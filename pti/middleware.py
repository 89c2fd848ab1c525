"""Request hygiene shared by every page: answers that no cache may keep, and parameters that
no database can take."""

from django.utils.cache import patch_cache_control
from django.views.defaults import bad_request


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
