"""Response headers that Django's own settings do not cover."""

from django.conf import settings


class CrossOriginResourcePolicyMiddleware:
    """Cross-Origin-Resource-Policy on every response, static files included (placed before
    whitenoise): no other site may load our pages, files or images into its own
    (PTI_CROSS_ORIGIN_RESOURCE_POLICY, « same-origin »)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(
            "Cross-Origin-Resource-Policy", settings.PTI_CROSS_ORIGIN_RESOURCE_POLICY
        )
        return response
